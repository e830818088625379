"""In-memory twins of every port, with the semantics of the adapters they stand for: the same conditional
writes (a second ledger record for one key fails the same way), the same index orders, copies in and out.
Unit tests run services on them; tests/contract runs one suite on each twin and its AWS adapter."""

from chalicelib.adapters.memory.directory import MemoryDirectory
from chalicelib.adapters.memory.outside import (
    MemoryArchive,
    MemoryBus,
    MemoryCarrierApi,
    MemoryMarketplaceActions,
    MemoryMarketplaces,
    MemoryPayments,
    MemoryPolicies,
    MemoryQueue,
    MemoryReports,
    MemoryWorkflows,
)
from chalicelib.adapters.memory.tables import (
    MemoryAudit,
    MemoryCustomers,
    MemoryEventLog,
    MemoryLedger,
    MemoryOrders,
    MemoryReturns,
    MemoryShipments,
    MemoryShops,
)
from chalicelib.bootstrap import Ports

__all__ = [
    "MemoryArchive", "MemoryAudit", "MemoryBus", "MemoryCarrierApi", "MemoryCustomers", "MemoryDirectory", "MemoryEventLog", "MemoryLedger",
    "MemoryMarketplaceActions", "MemoryMarketplaces", "MemoryOrders", "MemoryPayments", "MemoryPolicies", "MemoryQueue", "MemoryReports", "MemoryReturns",
    "MemoryShipments", "MemoryShops", "MemoryWorkflows", "memory_ports",
]


def memory_ports(config=None, **overrides) -> Ports:
    """Ports with a twin in every place (overrides given by name win); nothing outside the process is touched, not
    even the environment: the configuration is the defaults unless one is given."""
    if config is None:
        from chalicelib.config import Config

        config = Config.model_validate({"AFTERSALES_INGEST_QUEUE_URL": "memory://ingest"})
    orders = overrides.pop("orders", None) or MemoryOrders()
    audit = overrides.pop("audit", None) or MemoryAudit()
    twins = {
        "event_log": MemoryEventLog(), "orders": orders, "customers": MemoryCustomers(), "returns": MemoryReturns(audit),
        "audit": audit, "shops": MemoryShops(),
        "shipments": MemoryShipments(), "ledger": MemoryLedger(orders), "sources": MemoryDirectory(), "connections": MemoryDirectory(),
        "staff_keys": MemoryDirectory(), "policies": MemoryPolicies(),
        "queue": MemoryQueue(), "archive": MemoryArchive(), "bus": MemoryBus(), "lake": MemoryBus(), "reports": MemoryReports(),
        "workflows": MemoryWorkflows(),
        "payments": MemoryPayments(), "carrier_api": MemoryCarrierApi(), "marketplaces": MemoryMarketplaces(),
    }
    return Ports(config, **{**twins, **overrides})

