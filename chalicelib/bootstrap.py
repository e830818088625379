"""The one place that wires the ports: `bootstrap()` gives the process's Ports, built once per warm Lambda.

Each port is built on first use, so a function creates (and may read) only
the clients, tables and secrets its handler touches. Tests and the local
cloud pass a configuration or any port instead (`bootstrap(config, returns=twin)`);
`reset()` forgets the wiring, so the next `bootstrap()` reads the environment again.
"""

from functools import cached_property
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from chalicelib.config import Config


class Ports:
    """Every port a service may use; an override given by name takes the place of the port."""

    def __init__(self, config: "Config | None" = None, **overrides) -> None:
        unknown = [name for name in overrides if not isinstance(getattr(type(self), name, None), cached_property)]
        if unknown:
            raise TypeError(f"no port named {', '.join(unknown)}")
        if config is not None:
            self.__dict__["config"] = config
        self.__dict__.update(overrides)

    def replacing(self, **overrides) -> "Ports":
        """These ports with some taken by others (the ones built so far are shared)."""
        ports = Ports(**overrides)
        ports.__dict__.update({**self.__dict__, **overrides})
        return ports

    @cached_property
    def config(self) -> "Config":
        from chalicelib.config import load_config  # a pydantic model: built only by a handler that reads it

        return load_config()

    # Tables.
    @cached_property
    def event_log(self):
        from chalicelib.adapters.dynamodb.event_log import DynamoEventLog

        return DynamoEventLog(self._table(self.config.event_log_table))

    @cached_property
    def orders(self):
        from chalicelib.adapters.dynamodb.orders import DynamoOrders

        return DynamoOrders(self._table(self.config.orders_table))

    @cached_property
    def customers(self):
        from chalicelib.adapters.dynamodb.customers import DynamoCustomers

        return DynamoCustomers(self._table(self.config.customers_table))

    @cached_property
    def returns(self):
        from chalicelib.adapters.dynamodb.returns import DynamoReturns

        return DynamoReturns(self._table(self.config.returns_table), self.audit)

    @cached_property
    def audit(self):
        from chalicelib.adapters.dynamodb.audit import DynamoAudit

        return DynamoAudit(self._table(self.config.audit_table))

    @cached_property
    def shops(self):
        from chalicelib.adapters.dynamodb.shops import DynamoShops

        return DynamoShops(self._table(self.config.shops_table))

    @cached_property
    def shipments(self):
        from chalicelib.adapters.dynamodb.shipments import DynamoShipments

        return DynamoShipments(self._table(self.config.shipments_table))

    @cached_property
    def ledger(self):
        from chalicelib.adapters.dynamodb.ledger import DynamoLedger

        return DynamoLedger(self._table(self.config.ledger_table), self.orders)

    # Secrets and the policy (SSM).
    @cached_property
    def sources(self):
        """The tenant registry (domain/sources.py): who may send what, with which secrets."""
        from chalicelib.domain.sources import source_of

        return self._directory(self.config.sources_prefix, source_of)

    @cached_property
    def connections(self):
        """Each marketplace shop's connection (domain/connections.py): how to reach its marketplace."""
        from chalicelib.domain.connections import connection_of

        return self._directory(self.config.connections_prefix, connection_of)

    @cached_property
    def staff_keys(self):
        from chalicelib.domain.staff_keys import staff_key_of

        return self._directory(self.config.staff_keys_prefix, staff_key_of)

    @cached_property
    def policies(self):
        from chalicelib.adapters.aws.ssm_policy import SsmPolicyStore

        return SsmPolicyStore(self._client("ssm"), self.config.policy_parameter)

    # Queue, archive, bus and workflows.
    @cached_property
    def queue(self):
        from chalicelib.adapters.aws.sqs_queue import SqsEventQueue

        return SqsEventQueue(self._client("sqs"), self.config.ingest_queue_url)

    @cached_property
    def archive(self):
        from chalicelib.adapters.aws.s3_archive import S3Archive

        return S3Archive(self._client("s3"), self.config.archive_bucket)

    @cached_property
    def bus(self):
        from chalicelib.adapters.aws.eventbridge import EventBridgeBus

        return EventBridgeBus(self._client("events"), self.config.event_bus)

    @cached_property
    def reports(self):
        from chalicelib.adapters.aws.athena_reports import AthenaReports

        config = self.config
        return AthenaReports(self._client("athena"), config.athena_workgroup, config.athena_database,
                             timeout_seconds=config.report_timeout_seconds, poll_seconds=0.2)

    @cached_property
    def lake(self):
        """The analytics lake's rows travel on the bus (LakeRow), which Firehose writes to S3."""
        return self.bus

    @cached_property
    def workflows(self):
        from chalicelib.adapters.aws.stepfunctions import StepFunctionsWorkflows

        return StepFunctionsWorkflows(self._client("stepfunctions"), self.config.return_workflow_arn)

    # Outside systems over HTTP.
    @cached_property
    def payments(self):
        from chalicelib.adapters.aws.ssm_secrets import SsmSecret
        from chalicelib.adapters.http.payment_provider import HttpPaymentProvider

        key = SsmSecret(self._client("ssm"), self.config.payment_provider_key_parameter)
        return HttpPaymentProvider(self.config.payment_provider_url, key, self.config.payment_timeout_seconds)

    @cached_property
    def marketplaces(self):
        """Each connected shop's marketplace (connectors/registry.py), its access token read from SSM."""
        from chalicelib.adapters.aws.ssm_secrets import SsmSecret
        from chalicelib.connectors.registry import Marketplaces

        ssm = self._client("ssm")
        return Marketplaces(
            self.connections, lambda parameter: SsmSecret(ssm, parameter), lambda: self.audit, lambda: self.shops,
            self.config.marketplace_timeout_seconds,
        )

    @cached_property
    def carrier_api(self):
        """None when no carrier API is configured (AFTERSALES_CARRIER_API_URL): the poller has nothing to ask."""
        from chalicelib.adapters.http.carrier_api import HttpCarrierApi

        return HttpCarrierApi(self.config.carrier_api_url) if self.config.carrier_api_url else None

    def _directory(self, prefix: str, parse):
        from chalicelib.adapters.aws.ssm_directory import SsmDirectory

        return SsmDirectory(self._client("ssm"), prefix, parse)

    @cached_property
    def session(self):
        """The boto3 session every client is made from: boto3's default one (tests pass one that has its service
        models loaded)."""
        import boto3  # imported on first use: it is most of a cold start

        if boto3.DEFAULT_SESSION is None:
            boto3.setup_default_session()
        return boto3.DEFAULT_SESSION

    def _table(self, name: str):
        return self._dynamodb.Table(name)

    @cached_property
    def _dynamodb(self):
        return self.session.resource("dynamodb")

    def _client(self, service: str):
        clients = self.__dict__.setdefault("_clients", {})
        if service not in clients:
            clients[service] = self.session.client(service)
        return clients[service]


_wired: Ports | None = None


def bootstrap(config: "Config | None" = None, **overrides) -> Ports:
    """The process's ports; given a configuration or ports, wires those instead (and keeps them until `reset`)."""
    global _wired
    if config is not None or overrides:
        _wired = Ports(config, **overrides)
    elif _wired is None:
        _wired = Ports()
    return _wired


def reset() -> None:
    """Forget the wiring and the configuration read from the environment."""
    from chalicelib.config import load_config

    global _wired
    _wired = None
    load_config.cache_clear()
