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
        # A short visibility timeout so failed records come back within the test's deadline.
        queue = sqs.create_queue(
            QueueName="aftersales-ingest",
            Attributes={
                "VisibilityTimeout": "1",
                "RedrivePolicy": f'{{"deadLetterTargetArn": "{dlq_arn}", "maxReceiveCount": "2"}}',
            },
        )["QueueUrl"]
        dynamodb = boto3.client("dynamodb")
        for table, key in [("aftersales-event-log", "event_id"), ("aftersales-orders", "order_id"),
                           ("aftersales-returns", "return_id")]:
            dynamodb.create_table(
                TableName=table, BillingMode="PAY_PER_REQUEST",
                KeySchema=[{"AttributeName": key, "KeyType": "HASH"}],
                AttributeDefinitions=[{"AttributeName": key, "AttributeType": "S"}],
            )
        sfn = boto3.client("stepfunctions")
        workflow = sfn.create_state_machine(
            name="aftersales-return-workflow",
            definition='{"StartAt": "Wait", "States": {"Wait": {"Type": "Pass", "End": true}}}',
            roleArn="arn:aws:iam::123456789012:role/aftersales-workflow",
        )["stateMachineArn"]
        monkeypatch.setenv("AFTERSALES_INGEST_QUEUE_URL", queue)
        monkeypatch.setenv("AFTERSALES_ARCHIVE_BUCKET", "aftersales-archive")
        monkeypatch.setenv("AFTERSALES_RETURN_WORKFLOW_ARN", workflow)
        clear_caches()
        yield {"queue_url": queue, "dlq_url": dlq, "sqs": sqs, "s3": boto3.client("s3"), "sfn": sfn,
               "workflow_arn": workflow, "dynamodb": boto3.resource("dynamodb")}
        clear_caches()


def clear_caches() -> None:
    config.load_config.cache_clear()
    bootstrap.webhook_ports.cache_clear()
    bootstrap.ingest_ports.cache_clear()
