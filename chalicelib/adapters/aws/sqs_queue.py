"""The SQS ingest queue."""

from botocore.exceptions import BotoCoreError, ClientError

from chalicelib.ports.errors import QueueUnavailable


class SqsEventQueue:
    def __init__(self, sqs_client, queue_url: str) -> None:
        self._sqs = sqs_client
        self._url = queue_url

    def send(self, body: str, attributes: dict[str, str]) -> None:
        try:
            self._sqs.send_message(
                QueueUrl=self._url,
                MessageBody=body,
                MessageAttributes={k: {"DataType": "String", "StringValue": v} for k, v in attributes.items()},
            )
        except (ClientError, BotoCoreError) as error:
            raise QueueUnavailable(str(error)) from None
