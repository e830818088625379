"""`make redrive`: list what sits in the ingest DLQ with the error each message failed with, and move it back
to the ingest queue once the cause is fixed. Uses the standard AWS credentials and region.

    python -m infra.redrive --list     # what is there, and why (make redrive LIST=1)
    python -m infra.redrive            # move every message back (make redrive)

A message is sent to the queue before it is deleted from the DLQ, so a crash in between leaves a copy in both;
the consumer applies an event id once, so the copy changes nothing.
"""

import argparse
import sys

from chalicelib import resources
from chalicelib.domain.message_keys import message_key


def dead_letters(sqs, dlq_url: str, event_log, hide_seconds: int = 30) -> list[dict]:
    """Every message in the DLQ with its recorded failure; they are back in the DLQ after `hide_seconds`."""
    seen = {}
    while batch := sqs.receive_message(
        QueueUrl=dlq_url, MaxNumberOfMessages=10, VisibilityTimeout=hide_seconds
    ).get("Messages"):
        for message in batch:
            key = message_key(message["Body"])
            seen.setdefault(key, {"body": message["Body"], "failure": event_log.failure(key)})
    return list(seen.values())


def redrive(sqs, dlq_url: str, queue_url: str) -> int:
    moved = 0
    while batch := sqs.receive_message(QueueUrl=dlq_url, MaxNumberOfMessages=10, VisibilityTimeout=30).get("Messages"):
        for message in batch:
            sqs.send_message(QueueUrl=queue_url, MessageBody=message["Body"])
            sqs.delete_message(QueueUrl=dlq_url, ReceiptHandle=message["ReceiptHandle"])
            moved += 1
    return moved


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--list", action="store_true", help="only list the dead letters")
    args = parser.parse_args()
    import boto3

    from chalicelib.adapters.dynamodb.event_log import DynamoEventLog
    from infra.package import infra_resources

    sqs = boto3.client("sqs")
    dlq_name = infra_resources()["IngestDeadLetterQueue"]["Properties"]["QueueName"]
    dlq_url = sqs.get_queue_url(QueueName=dlq_name)["QueueUrl"]
    queue_url = sqs.get_queue_url(QueueName=resources.INGEST_QUEUE)["QueueUrl"]
    event_log = DynamoEventLog(boto3.resource("dynamodb").Table(resources.EVENT_LOG_TABLE))
    if args.list:
        letters = dead_letters(sqs, dlq_url, event_log)
        for letter in letters:
            failure = letter["failure"] or {}
            print(f"{failure.get('failures', '?')} x {failure.get('error_type', 'unknown')}: "
                  f"{failure.get('error', '')[:200]}\n    {letter['body'][:200]}")
        print(f"{len(letters)} message(s) in the DLQ")
    else:
        print(f"moved {redrive(sqs, dlq_url, queue_url)} message(s) back to {resources.INGEST_QUEUE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
