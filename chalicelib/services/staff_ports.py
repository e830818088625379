"""The ports the staff endpoints use."""

from dataclasses import dataclass

from chalicelib.adapters.ports import (
    CustomerStore,
    Ledger,
    OrderStore,
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
