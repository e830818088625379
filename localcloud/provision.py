"""Create every resource of the system in the current AWS target (moto in-process, or any endpoint).

Names come from chalicelib.resources and the state machine from the same ASL
file infra/ deploys, with its `${<Name>FunctionArn}` placeholders filled from
the Chalice app's own Lambda functions, so local and cloud cannot drift.
"""

import json
from pathlib import Path

from chalicelib import resources

ROOT = Path(__file__).resolve().parent.parent
WORKFLOW_ASL = ROOT / "statemachines" / "return_workflow.asl.json"
ACCOUNT = "123456789012"
STAGE = "dev"
TABLE_KEYS = {
    resources.EVENT_LOG_TABLE: "event_id",
    resources.ORDERS_TABLE: "order_id",
    resources.RETURNS_TABLE: "return_id",
    resources.LEDGER_TABLE: "refund_id",
}


def deployed_function_name(name: str) -> str:
    """What Chalice names a Lambda function of the app in a stage."""
    return f"{resources.APP_NAME}-{STAGE}-{name}"


def substitution_key(name: str) -> str:
    """`verify_return` -> `VerifyReturnFunctionArn`, the key infra/ passes as DefinitionSubstitutions."""
    return "".join(part.capitalize() for part in name.split("_")) + "FunctionArn"


def workflow_definition(function_names: list[str], region: str) -> str:
    definition = WORKFLOW_ASL.read_text()
    for name in function_names:
        arn = f"arn:aws:lambda:{region}:{ACCOUNT}:function:{deployed_function_name(name)}"
        definition = definition.replace("${%s}" % substitution_key(name), arn)
    if "${" in definition:
        raise ValueError(f"{WORKFLOW_ASL.name} has a placeholder that no Lambda function of the app fills")
    return definition


def provision(
    session,
    function_names: list[str],
    secrets: dict[str, str],
    visibility_timeout: int = 30,
    max_receive_count: int = resources.INGEST_MAX_RECEIVE_COUNT,
) -> dict:
    """Create the resources; returns the environment variables the Lambdas read."""
    region = session.region_name
    ssm = session.client("ssm")
    for source, secret in secrets.items():
        ssm.put_parameter(Name=f"{resources.WEBHOOK_SECRETS_PREFIX}/{source}", Value=secret, Type="SecureString")
    session.client("s3").create_bucket(Bucket=resources.ARCHIVE_BUCKET)
    sqs = session.client("sqs")
    # The DLQ keeps messages longer than its source: a standard queue's DLQ keeps the original enqueue time.
    dlq = sqs.create_queue(QueueName=resources.INGEST_DLQ, Attributes={"MessageRetentionPeriod": "1209600"})["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    queue = sqs.create_queue(
        QueueName=resources.INGEST_QUEUE,
        Attributes={
            "VisibilityTimeout": str(visibility_timeout),
            "MessageRetentionPeriod": "345600",
            "RedrivePolicy": json.dumps(
                {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": str(max_receive_count)}
            ),
        },
    )["QueueUrl"]
    dynamodb = session.client("dynamodb")
    for table, key in TABLE_KEYS.items():
        dynamodb.create_table(
            TableName=table,
            BillingMode="PAY_PER_REQUEST",
            KeySchema=[{"AttributeName": key, "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": key, "AttributeType": "S"}],
        )
    session.client("events").create_event_bus(Name=resources.EVENT_BUS)
    workflow = session.client("stepfunctions").create_state_machine(
        name=resources.RETURN_WORKFLOW,
        definition=workflow_definition(function_names, region),
        roleArn=f"arn:aws:iam::{ACCOUNT}:role/{resources.RETURN_WORKFLOW}",
        type="STANDARD",
    )["stateMachineArn"]
    return {
        "AFTERSALES_INGEST_QUEUE_URL": queue,
        "AFTERSALES_INGEST_DLQ_URL": dlq,
        "AFTERSALES_RETURN_WORKFLOW_ARN": workflow,
    }
