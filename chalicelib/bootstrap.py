"""The one place that wires AWS adapters to services; built on first use and cached per warm Lambda."""

from functools import lru_cache

from chalicelib.config import load_config
from chalicelib.services.accept_webhook import WebhookPorts
from chalicelib.services.export_refunds import ExportPorts
from chalicelib.services.ingest_event import IngestPorts
from chalicelib.services.poll_carriers import PollPorts
from chalicelib.services.staff_ports import StaffPorts
from chalicelib.services.sweep_sla import SweepPorts
from chalicelib.services.watch_parcels import ParcelWatchPorts
from chalicelib.services.workflow_ports import WorkflowPorts


@lru_cache(maxsize=1)
def webhook_ports() -> WebhookPorts:
    import boto3  # imported on first use: it is most of a cold start

    from chalicelib.adapters.dynamodb import DynamoReturns
    from chalicelib.adapters.s3_archive import S3Archive
    from chalicelib.adapters.sqs_queue import SqsEventQueue
    from chalicelib.adapters.ssm_secrets import SsmSecretStore

    config = load_config()
    ssm = boto3.client("ssm")
    return WebhookPorts(
        secrets=SsmSecretStore(ssm, config.webhook_secrets_prefix),
        archive=S3Archive(boto3.client("s3"), config.archive_bucket),
        queue=SqsEventQueue(boto3.client("sqs"), config.ingest_queue_url),
        carrier_secrets=SsmSecretStore(ssm, config.carrier_secrets_prefix),
        returns=DynamoReturns(boto3.resource("dynamodb").Table(config.returns_table)),
    )


@lru_cache(maxsize=1)
def ingest_ports() -> IngestPorts:
    import boto3

    from chalicelib.adapters.dynamodb import (
        DynamoCustomers,
        DynamoEventLog,
        DynamoOrders,
        DynamoReturns,
        DynamoShipments,
    )
    from chalicelib.adapters.ssm_policy import SsmPolicyStore
    from chalicelib.adapters.stepfunctions import StepFunctionsWorkflows

    config = load_config()
    dynamodb = boto3.resource("dynamodb")
    return IngestPorts(
        event_log=DynamoEventLog(dynamodb.Table(config.event_log_table)),
        orders=DynamoOrders(dynamodb.Table(config.orders_table)),
        returns=DynamoReturns(dynamodb.Table(config.returns_table)),
        workflows=StepFunctionsWorkflows(boto3.client("stepfunctions"), config.return_workflow_arn),
        customers=DynamoCustomers(dynamodb.Table(config.customers_table)),
        policies=SsmPolicyStore(boto3.client("ssm"), config.policy_parameter),
        shipments=DynamoShipments(dynamodb.Table(config.shipments_table)),
    )


@lru_cache(maxsize=1)
def workflow_ports() -> WorkflowPorts:
    import boto3

    from chalicelib.adapters.dynamodb import DynamoCustomers, DynamoLedger, DynamoOrders, DynamoReturns, DynamoShipments
    from chalicelib.adapters.eventbridge import EventBridgeBus
    from chalicelib.adapters.ssm_policy import SsmPolicyStore
    from chalicelib.adapters.stepfunctions import StepFunctionsWorkflows

    config = load_config()
    dynamodb = boto3.resource("dynamodb")
    ssm = boto3.client("ssm")
    orders = dynamodb.Table(config.orders_table)
    return WorkflowPorts(
        orders=DynamoOrders(orders),
        returns=DynamoReturns(dynamodb.Table(config.returns_table)),
        ledger=DynamoLedger(dynamodb.Table(config.ledger_table), orders),
        bus=EventBridgeBus(boto3.client("events"), config.event_bus),
        workflows=StepFunctionsWorkflows(boto3.client("stepfunctions"), config.return_workflow_arn),
        policies=SsmPolicyStore(ssm, config.policy_parameter),
        customers=DynamoCustomers(dynamodb.Table(config.customers_table)),
        payments=payment_provider(ssm),
        shipments=DynamoShipments(dynamodb.Table(config.shipments_table)),
    )


def payment_provider(ssm):
    from chalicelib.adapters.payment_provider import HttpPaymentProvider
    from chalicelib.adapters.ssm_secrets import SsmSecretStore

    config = load_config()
    prefix, _, name = config.payment_provider_key_parameter.rpartition("/")
    key = SsmSecretStore(ssm, prefix)
    return HttpPaymentProvider(config.payment_provider_url, lambda: key.secret(name), config.payment_timeout_seconds)


@lru_cache(maxsize=1)
def staff_ports() -> StaffPorts:
    import boto3

    from chalicelib.adapters.dynamodb import (
        DynamoCustomers,
        DynamoLedger,
        DynamoOrders,
        DynamoReturns,
        DynamoReviews,
        DynamoShipments,
    )
    from chalicelib.adapters.ssm_policy import SsmPolicyStore
    from chalicelib.adapters.ssm_secrets import SsmSecretStore
    from chalicelib.adapters.stepfunctions import StepFunctionsWorkflows

    config = load_config()
    dynamodb = boto3.resource("dynamodb")
    ssm = boto3.client("ssm")
    returns = dynamodb.Table(config.returns_table)
    return StaffPorts(
        keys=SsmSecretStore(ssm, config.staff_keys_prefix),
        orders=DynamoOrders(dynamodb.Table(config.orders_table)),
        returns=DynamoReturns(returns),
        policies=SsmPolicyStore(ssm, config.policy_parameter),
        reviews=DynamoReviews(returns, dynamodb.Table(config.audit_table)),
        workflows=StepFunctionsWorkflows(boto3.client("stepfunctions"), config.return_workflow_arn),
        customers=DynamoCustomers(dynamodb.Table(config.customers_table)),
        shipments=DynamoShipments(dynamodb.Table(config.shipments_table)),
        ledger=DynamoLedger(dynamodb.Table(config.ledger_table), dynamodb.Table(config.orders_table)),
        payments=payment_provider(ssm),
    )


@lru_cache(maxsize=1)
def sweep_ports() -> SweepPorts:
    import boto3

    from chalicelib.adapters.dynamodb import DynamoReviews
    from chalicelib.adapters.eventbridge import EventBridgeBus

    config = load_config()
    dynamodb = boto3.resource("dynamodb")
    return SweepPorts(
        reviews=DynamoReviews(dynamodb.Table(config.returns_table), dynamodb.Table(config.audit_table)),
        bus=EventBridgeBus(boto3.client("events"), config.event_bus),
    )


@lru_cache(maxsize=1)
def parcel_watch_ports() -> ParcelWatchPorts:
    import boto3

    from chalicelib.adapters.dynamodb import DynamoReturns
    from chalicelib.adapters.stepfunctions import StepFunctionsWorkflows

    config = load_config()
    return ParcelWatchPorts(
        returns=DynamoReturns(boto3.resource("dynamodb").Table(config.returns_table)),
        workflows=StepFunctionsWorkflows(boto3.client("stepfunctions"), config.return_workflow_arn),
    )


@lru_cache(maxsize=1)
def poll_ports() -> PollPorts | None:
    """None when no carrier API is configured (AFTERSALES_CARRIER_API_URL)."""
    import boto3

    from chalicelib.adapters.carrier_api import HttpCarrierApi
    from chalicelib.adapters.dynamodb import DynamoReturns, DynamoShipments
    from chalicelib.adapters.sqs_queue import SqsEventQueue
    from chalicelib.adapters.ssm_policy import SsmPolicyStore

    config = load_config()
    if not config.carrier_api_url:
        return None
    dynamodb = boto3.resource("dynamodb")
    return PollPorts(
        shipments=DynamoShipments(dynamodb.Table(config.shipments_table)),
        carrier_api=HttpCarrierApi(config.carrier_api_url),
        queue=SqsEventQueue(boto3.client("sqs"), config.ingest_queue_url),
        returns=DynamoReturns(dynamodb.Table(config.returns_table)),
        policies=SsmPolicyStore(boto3.client("ssm"), config.policy_parameter),
    )


@lru_cache(maxsize=1)
def export_ports() -> ExportPorts:
    import boto3

    from chalicelib.adapters.dynamodb import DynamoLedger
    from chalicelib.adapters.s3_archive import S3Archive

    config = load_config()
    dynamodb = boto3.resource("dynamodb")
    return ExportPorts(
        ledger=DynamoLedger(dynamodb.Table(config.ledger_table), dynamodb.Table(config.orders_table)),
        archive=S3Archive(boto3.client("s3"), config.archive_bucket),
    )
