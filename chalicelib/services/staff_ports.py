"""The ports the staff endpoints use."""

from dataclasses import dataclass

from chalicelib.adapters.ports import (
    CustomerStore,
    Ledger,
    OrderStore,
    PaymentProvider,
    PolicyStore,
    ReturnStore,
    ReviewStore,
    SecretStore,
    ShipmentStore,
    Workflows,
)


@dataclass(frozen=True)
class StaffPorts:
    keys: SecretStore
    orders: OrderStore
    returns: ReturnStore
    policies: PolicyStore
    reviews: ReviewStore
    workflows: Workflows
    customers: CustomerStore
    shipments: ShipmentStore
    ledger: Ledger
    payments: PaymentProvider


class UnknownReturn(Exception):
    pass


def load_staff_return(return_id: str, ports: StaffPorts) -> dict:
    """The return a staff call is about; UnknownReturn (404) when it was never requested."""
    record = ports.returns.get(return_id)
    if record is None or "order_id" not in record:
        raise UnknownReturn(f"no return {return_id}")
    return record
