"""The ports every step of the return workflow uses, and the read every step starts with."""

from dataclasses import dataclass

from chalicelib.adapters.ports import (
    CustomerStore,
    EventBus,
    Ledger,
    OrderStore,
    PaymentProvider,
    PolicyStore,
    ReturnStore,
    ShipmentStore,
    Workflows,
)


@dataclass(frozen=True)
class WorkflowPorts:
    orders: OrderStore
    returns: ReturnStore
    ledger: Ledger
    bus: EventBus
    workflows: Workflows
    policies: PolicyStore
    customers: CustomerStore
    payments: PaymentProvider
    shipments: ShipmentStore


class ReturnNotFound(Exception):
    """The execution names a return that was never stored: not transient, so it goes to RecordFailure."""


def load_return(return_id: str, ports: WorkflowPorts) -> dict:
    record = ports.returns.get(return_id)
    if record is None or "order_id" not in record:
        raise ReturnNotFound(f"return {return_id} is not stored")
    return record
