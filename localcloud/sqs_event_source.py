"""What Lambda's SQS event source mapping does, for a handler running in this process.

Receives a batch, calls the handler with a real SQS event, deletes the records
that succeeded and leaves the failed ones (reported in `batchItemFailures`, or
the whole batch when the handler raises) to come back after the queue's
visibility timeout; the queue's redrive policy moves them to the DLQ after
maxReceiveCount receives, exactly as on AWS.
"""

import logging
import time

log = logging.getLogger(__name__)


class SqsEventSource:
    def __init__(self, sqs, queue_url: str, handler, batch_size: int = 10, region: str = "us-east-1") -> None:
        self._sqs = sqs
        self._url = queue_url
        self._handler = handler
        self._batch_size = batch_size
        self._region = region
        self._arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]

    def poll_once(self) -> tuple[int, int]:
        """One batch: returns (records delivered, records failed)."""
        messages = self._sqs.receive_message(
            QueueUrl=self._url,
            MaxNumberOfMessages=self._batch_size,
            AttributeNames=["All"],
            MessageAttributeNames=["All"],
        ).get("Messages", [])
        if not messages:
            return 0, 0
        records = [self._record(m) for m in messages]
        try:
            response = self._handler({"Records": records}, None)
        except Exception:
            log.exception("handler failed the whole batch of %d records", len(records))
            failed = {r["messageId"] for r in records}
        else:
            failed = {item["itemIdentifier"] for item in (response or {}).get("batchItemFailures", [])}
        done = [m for m in messages if m["MessageId"] not in failed]
        if done:
            self._sqs.delete_message_batch(
                QueueUrl=self._url,
                Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(done)],
            )
        return len(messages), len(failed)

    def _record(self, message: dict) -> dict:
        return {
            "messageId": message["MessageId"],
            "receiptHandle": message["ReceiptHandle"],
            "body": message["Body"],
            "attributes": message.get("Attributes", {}),
            "messageAttributes": {
                name: {"stringValue": value.get("StringValue"), "dataType": value["DataType"],
                       "stringListValues": [], "binaryListValues": []}
                for name, value in message.get("MessageAttributes", {}).items()
            },
            "md5OfBody": message["MD5OfBody"],
            "eventSource": "aws:sqs",
            "eventSourceARN": self._arn,
            "awsRegion": self._region,
        }


def queue_depth(sqs, queue_url: str) -> int:
    """Messages on the queue, visible or in flight (one reading)."""
    attributes = sqs.get_queue_attributes(
        QueueUrl=queue_url, AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    )["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"]) + int(attributes["ApproximateNumberOfMessagesNotVisible"])


def queue_empty(sqs, queue_url: str) -> bool:
    """Nothing visible or in flight, seen twice 50 ms apart: moto reads the two counts at two instants, so a
    message whose visibility timeout ends between them is counted in neither."""
    for attempt in range(2):
        if attempt:
            time.sleep(0.05)
        if queue_depth(sqs, queue_url):
            return False
    return True
