"""What Firehose does on AWS, for the local cloud: the bus's LakeRow events (a rule sends them to a queue here) are
written to the analytics bucket as JSON lines under `analytics/<table>/dt=<day>/`, one object per table and day
per delivery, as Firehose's dynamic partitioning writes them (infra/template.json, LakeDeliveryStream)."""

import json
import threading
import uuid
from collections import defaultdict
from pathlib import Path

LAKE_PREFIX = "analytics"
RULE = "aftersales-lake"
QUEUE = "aftersales-lake-delivery"


def subscribe(session, bus: str) -> str:
    """The rule and queue standing in for the template's rule and delivery stream; the queue's URL."""
    sqs, events = session.client("sqs"), session.client("events")
    url = sqs.create_queue(QueueName=QUEUE)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    events.put_rule(Name=RULE, EventBusName=bus, EventPattern=json.dumps({"detail-type": ["LakeRow"]}))
    events.put_targets(Rule=RULE, EventBusName=bus, Targets=[{"Id": "lake", "Arn": arn}])
    return url


class LakeDelivery:
    def __init__(self, session, queue_url: str, bucket: str) -> None:
        self._sqs, self._s3 = session.client("sqs"), session.client("s3")
        self._url, self._bucket = queue_url, bucket
        self._lock = threading.Lock()
        self.delivered = 0

    def flush(self) -> int:
        """Write what the rule delivered so far; how many rows."""
        with self._lock:
            parts: dict[tuple[str, str], list[str]] = defaultdict(list)
            handles = []
            while batch := self._sqs.receive_message(QueueUrl=self._url, MaxNumberOfMessages=10).get("Messages", []):
                for message in batch:
                    row = json.loads(message["Body"])["detail"]
                    parts[(row["_table"], row["_dt"])].append(json.dumps(row, ensure_ascii=False))
                    handles.append(message["ReceiptHandle"])
            for (table, day), lines in parts.items():
                key = f"{LAKE_PREFIX}/{table}/dt={day}/aftersales-lake-{uuid.uuid4().hex}.json"
                self._s3.put_object(Bucket=self._bucket, Key=key, Body=("\n".join(lines) + "\n").encode())
            for start in range(0, len(handles), 10):
                self._sqs.delete_message_batch(QueueUrl=self._url, Entries=[
                    {"Id": str(i), "ReceiptHandle": handle} for i, handle in enumerate(handles[start:start + 10])])
            count = sum(len(lines) for lines in parts.values())
            self.delivered += count
            return count

    def dump(self, into: Path) -> int:
        """Copy the lake's objects to a directory (the lake `make report` reads); how many objects."""
        self.flush()
        paginator = self._s3.get_paginator("list_objects_v2")
        count = 0
        for page in paginator.paginate(Bucket=self._bucket, Prefix=f"{LAKE_PREFIX}/"):
            for found in page.get("Contents", []):
                target = into / found["Key"]
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(self._s3.get_object(Bucket=self._bucket, Key=found["Key"])["Body"].read())
                count += 1
        return count
