"""The one place that wires AWS adapters to services; built on first use and cached per warm Lambda."""

from functools import lru_cache

from chalicelib.config import load_config
from chalicelib.services.accept_webhook import WebhookPorts


@lru_cache(maxsize=1)
def webhook_ports() -> WebhookPorts:
    import boto3  # imported on first use: it is most of a cold start

    from chalicelib.adapters.s3_archive import S3Archive
    from chalicelib.adapters.sqs_queue import SqsEventQueue
    from chalicelib.adapters.ssm_secrets import SsmSecretStore

    config = load_config()
    return WebhookPorts(
        secrets=SsmSecretStore(boto3.client("ssm"), config.webhook_secrets_prefix),
        archive=S3Archive(boto3.client("s3"), config.archive_bucket),
        queue=SqsEventQueue(boto3.client("sqs"), config.ingest_queue_url),
    )
