import pytest
from moto import mock_aws

from chalicelib import bootstrap, config

REGION = "us-east-1"
SECRET = b"generic-secret"


@pytest.fixture
def aws(monkeypatch):
    """A fresh moto account with the webhook's SSM secret, archive bucket and ingest queue (+ DLQ)."""
    for key, value in {
        "AWS_DEFAULT_REGION": REGION, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
    }.items():
        monkeypatch.setenv(key, value)
    with mock_aws():
        import boto3

        ssm = boto3.client("ssm")
        ssm.put_parameter(Name="/aftersales/webhook-secrets/generic", Value=SECRET.decode(), Type="SecureString")
        boto3.client("s3").create_bucket(Bucket="aftersales-archive")
        sqs = boto3.client("sqs")
        dlq = sqs.create_queue(QueueName="aftersales-ingest-dlq")["QueueUrl"]
        dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        queue = sqs.create_queue(
            QueueName="aftersales-ingest",
            Attributes={"RedrivePolicy": f'{{"deadLetterTargetArn": "{dlq_arn}", "maxReceiveCount": "3"}}'},
        )["QueueUrl"]
        monkeypatch.setenv("AFTERSALES_INGEST_QUEUE_URL", queue)
        monkeypatch.setenv("AFTERSALES_ARCHIVE_BUCKET", "aftersales-archive")
        config.load_config.cache_clear()
        bootstrap.webhook_ports.cache_clear()
        yield {"queue_url": queue, "dlq_url": dlq, "sqs": sqs, "s3": boto3.client("s3")}
        config.load_config.cache_clear()
        bootstrap.webhook_ports.cache_clear()
