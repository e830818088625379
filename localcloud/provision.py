"""Create every resource of the system in the current AWS target (moto in-process, or any endpoint).

Tables and queue settings come from infra/template.json, the state machine
from the same ASL file, with its `${<Name>FunctionArn}` placeholders filled
from the Chalice app's own Lambda functions, so local and cloud cannot drift.
"""

import json

from chalicelib import resources
from chalicelib.domain.staff_keys import secret_hash
from infra.package import STAGE, WORKFLOW_ASL, infra_resources

ACCOUNT = "123456789012"


def _properties(logical_id: str) -> dict:
    return infra_resources()[logical_id]["Properties"]


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
    sources: dict[str, dict],
    visibility_timeout: int = 30,
    max_receive_count: int | None = None,
    staff_keys: dict[str, tuple[str, list[str]]] | None = None,
    policy: str | None = None,
    payment_key: str | None = None,
    secrets: dict[str, str] | None = None,
    connections: dict[str, dict] | None = None,
) -> dict:
    """Create the resources; returns the environment variables the Lambdas read.

    `sources`: the tenant registry, an entry (domain/sources.py) per source; `staff_keys`: (secret, roles) per
    key id, stored as the registry stores them (hashed); `policy`: a policy document (JSON text) to publish;
    `payment_key`: the payment provider's API key; `secrets`: more SecureStrings by name (marketplace tokens);
    `connections`: each marketplace shop's connection (domain/connections.py).
    """
    region = session.region_name
    ssm = session.client("ssm")
    for name, entry in sources.items():
        ssm.put_parameter(Name=f"{resources.SOURCES_PREFIX}/{name}", Value=json.dumps(entry), Type="SecureString")
    for key_id, (secret, roles) in (staff_keys or {}).items():
        document = json.dumps({"sha256": secret_hash(secret), "roles": roles})
        ssm.put_parameter(Name=f"{resources.STAFF_KEYS_PREFIX}/{key_id}", Value=document, Type="SecureString")
    if payment_key is not None:
        ssm.put_parameter(Name=resources.PAYMENT_PROVIDER_KEY_PARAMETER, Value=payment_key, Type="SecureString")
    for name, entry in (connections or {}).items():
        ssm.put_parameter(Name=f"{resources.CONNECTIONS_PREFIX}/{name}", Value=json.dumps(entry), Type="SecureString")
    for name, value in (secrets or {}).items():
        ssm.put_parameter(Name=name, Value=value, Type="SecureString")
    if policy is not None:
        ssm.put_parameter(Name=resources.POLICY_PARAMETER, Value=policy, Type="String")
    session.client("s3").create_bucket(Bucket=resources.ARCHIVE_BUCKET)
    sqs = session.client("sqs")
    dlq_properties = _properties("IngestDeadLetterQueue")
    dlq = sqs.create_queue(
        QueueName=dlq_properties["QueueName"],
        Attributes={"MessageRetentionPeriod": str(dlq_properties["MessageRetentionPeriod"])},
    )["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    queue_properties = _properties("IngestQueue")
    queue = sqs.create_queue(
        QueueName=queue_properties["QueueName"],
        Attributes={
            "VisibilityTimeout": str(visibility_timeout),
            "MessageRetentionPeriod": str(queue_properties["MessageRetentionPeriod"]),
            "RedrivePolicy": json.dumps(
                {
                    "deadLetterTargetArn": dlq_arn,
                    "maxReceiveCount": str(max_receive_count or queue_properties["RedrivePolicy"]["maxReceiveCount"]),
                }
            ),
        },
    )["QueueUrl"]
    dynamodb = session.client("dynamodb")
    for resource in infra_resources().values():
        if resource.get("Type") == "AWS::DynamoDB::Table":
            table = resource["Properties"]
            dynamodb.create_table(
                **{
                    key: table[key]
                    for key in ("TableName", "BillingMode", "KeySchema", "AttributeDefinitions", "GlobalSecondaryIndexes")
                    if key in table
                }
            )
    session.client("events").create_event_bus(Name=resources.EVENT_BUS)
    session.client("s3").create_bucket(Bucket=resources.ANALYTICS_BUCKET)
    session.client("athena").create_work_group(Name=resources.ATHENA_WORKGROUP, Configuration={
        "ResultConfiguration": {"OutputLocation": f"s3://{resources.ANALYTICS_BUCKET}/athena-results/"},
        "EnforceWorkGroupConfiguration": True,
    })
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
