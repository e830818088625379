"""In-memory twins of every port, with the semantics of the adapters they stand for: the same conditional
writes (a second ledger record for one key fails the same way), the same index orders, copies in and out.
Unit tests run services on them; tests/contract runs one suite on each twin and its AWS adapter."""

from chalicelib.adapters.memory.outside import (
    MemoryArchive,
    MemoryBus,
    MemoryCarrierApi,
    MemoryPayments,
    MemoryPolicies,
    MemoryQueue,
    MemorySecrets,
    MemoryWorkflows,
)
from chalicelib.adapters.memory.tables import (
    MemoryCustomers,
    MemoryEventLog,
    MemoryLedger,
    MemoryOrders,
    MemoryReturns,
    MemoryShipments,
)
from chalicelib.bootstrap import Ports

__all__ = [
    "MemoryArchive", "MemoryBus", "MemoryCarrierApi", "MemoryCustomers", "MemoryEventLog", "MemoryLedger",
    "MemoryOrders", "MemoryPayments", "MemoryPolicies", "MemoryQueue", "MemoryReturns", "MemorySecrets",
    "MemoryShipments", "MemoryWorkflows", "memory_ports",
]


def memory_ports(config=None, **overrides) -> Ports:
    """Ports with a twin in every place (overrides given by name win); nothing outside the process is touched."""
    orders = overrides.pop("orders", None) or MemoryOrders()
    twins = {
        "event_log": MemoryEventLog(), "orders": orders, "customers": MemoryCustomers(), "returns": MemoryReturns(),
        "shipments": MemoryShipments(), "ledger": MemoryLedger(orders), "webhook_secrets": MemorySecrets(),
        "carrier_secrets": MemorySecrets(), "staff_keys": MemorySecrets(), "policies": MemoryPolicies(),
        "queue": MemoryQueue(), "archive": MemoryArchive(), "bus": MemoryBus(), "workflows": MemoryWorkflows(),
        "payments": MemoryPayments(), "carrier_api": MemoryCarrierApi(),
    }
    return Ports(config, **{**twins, **overrides})

