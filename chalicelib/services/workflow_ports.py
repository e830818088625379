"""The ports every step of the return workflow uses."""

from dataclasses import dataclass

from chalicelib.adapters.ports import EventBus, Ledger, OrderStore, ReturnStore, Workflows


@dataclass(frozen=True)
class WorkflowPorts:
    orders: OrderStore
    returns: ReturnStore
    ledger: Ledger
    bus: EventBus
    workflows: Workflows
