"""What finance or a notification service would see on the bus: an SQS queue subscribed by a rule."""

import json


def watch_bus(session, name: str, pattern: dict):
    """Subscribe a new queue to `pattern` on the bus `aftersales`; returns a function that drains it."""
    sqs, events = session.client("sqs"), session.client("events")
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    events.put_rule(Name=name, EventBusName="aftersales", EventPattern=json.dumps(pattern))
    events.put_targets(Rule=name, EventBusName="aftersales", Targets=[{"Id": "watch", "Arn": arn}])

    def received() -> list[dict]:
        """The events delivered so far (whole envelopes: detail-type, detail, ...), removed from the queue."""
        envelopes = []
        while batch := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
            for message in batch:
                envelopes.append(json.loads(message["Body"]))
                sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
        return envelopes

    return received
