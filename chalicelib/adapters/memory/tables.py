"""In-memory twins of the tables, with the semantics of the DynamoDB repositories: the same conditional writes
(a second ledger record for one key fails the same way), the same index orders and paging, copies in and out."""

import copy

from chalicelib.adapters.dynamodb.items import check_names, from_item, to_item
from chalicelib.adapters.dynamodb.ledger import record_of
from chalicelib.adapters.dynamodb.orders import order_of, paid_orders_of
from chalicelib.adapters.dynamodb.returns import return_of
from chalicelib.adapters.dynamodb.shipments import shipment_of
from chalicelib.domain.ledger import SETTLED, LedgerRecord
from chalicelib.domain.orders import RefundAccount
from chalicelib.domain.returns import MAX_ADDED_EVIDENCE, Return, new_stay
from chalicelib.domain.tenancy import own_id
from chalicelib.domain.tiers import Customer, PaidOrder
from chalicelib.domain.tracking import MAX_TIMELINE, Shipment, Status, shipment_id, supersedes
from chalicelib.ports.errors import StaleQuote


def _page(items: list[dict], key: str, limit: int, start: dict | None) -> tuple[list[dict], dict | None]:
    """DynamoDB's paging of a query sorted by `key`: a page of `limit` and the last key when more may follow."""
    if start is not None:
        items = [item for item in items if (item[key], item["id"]) > (start[key], start["id"])]
    page = items[:limit]
    last = {key: page[-1][key], "id": page[-1]["id"]} if page and len(page) == limit else None
    return [item["value"] for item in page], last


class MemoryEventLog:
    def __init__(self) -> None:
        self.items: dict[str, dict] = {}

    def seen(self, event_id: str) -> bool:
        return event_id in self.items

    def record(self, event: dict) -> None:
        self.items[event["event_id"]] = copy.deepcopy(event)

    def record_failure(self, message_key: str, error_type: str, error: str, at: str) -> None:
        from chalicelib.adapters.dynamodb.event_log import failure_key

        item = self.items.setdefault(failure_key(message_key), {"event_id": failure_key(message_key), "failures": 0})
        item.update(error_type=error_type, error=error, last_failed_at=at, failures=item["failures"] + 1)

    def failure(self, message_key: str) -> dict | None:
        from chalicelib.adapters.dynamodb.event_log import failure_key

        return copy.deepcopy(self.items.get(failure_key(message_key)))


class MemoryOrders:
    def __init__(self) -> None:
        self.items: dict[str, dict] = {}

    def get(self, order_id: str):
        item = self.items.get(order_id)
        return order_of(copy.deepcopy(item)) if item else None

    def upsert(self, order: dict, occurred_at: str) -> bool:
        item = self.items.setdefault(order["order_id"], {"order_id": order["order_id"]})
        if item.get("updated_at", "") > occurred_at:
            return False
        item.update(copy.deepcopy(order), updated_at=occurred_at)
        return True

    def with_reference(self, reference: str) -> list[str]:
        return sorted(order_id for order_id in self.items if own_id(order_id) == reference)

    def paid_orders(self, customer_id: str) -> list[PaidOrder]:
        items = sorted(
            (item for item in self.items.values() if item.get("customer_id") == customer_id and "paid_at" in item),
            key=lambda item: (item["paid_at"], item["order_id"]),
        )
        return paid_orders_of(items)

    def account_stale(self, order_id: str, expected_version: int) -> bool:
        """As DynamoOrders.account_update's condition: an order not stored is at version 0."""
        item = self.items.get(order_id, {})
        return item.get("refund_version", 0) != expected_version

    def move_account(self, order_id: str, account: RefundAccount, expected_version: int) -> None:
        """An update: on an order not stored, it makes an item that holds only the account (as DynamoDB does)."""
        item = self.items.setdefault(order_id, {"order_id": order_id})
        item.update(copy.deepcopy(account.as_fields()), refund_version=expected_version + 1)


class MemoryCustomers:
    def __init__(self) -> None:
        self.items: dict[str, dict] = {}

    def get(self, customer_id: str) -> Customer | None:
        item = self.items.get(customer_id)
        return from_item(Customer, copy.deepcopy(item)) if item else None

    def set_tier(self, customer_id: str, tier: str, facts: dict, at: str, policy_version: str) -> None:
        self.items.setdefault(customer_id, {"customer_id": customer_id}).update(
            tier=tier, rfm=copy.deepcopy(facts), tier_computed_at=at, policy_version=policy_version
        )


class MemoryAudit:
    def __init__(self) -> None:
        self.entries: list[dict] = []

    def append(self, entry: dict) -> None:
        self.entries.append(copy.deepcopy(entry))


class MemoryReturns:
    def __init__(self, audit: MemoryAudit | None = None) -> None:
        self.items: dict[str, dict] = {}
        self.audit = (audit or MemoryAudit()).entries  # the decisions' entries, written with them

    def get(self, return_id: str) -> Return | None:
        item = self.items.get(return_id)
        return self._record(item) if item else None

    def create(self, record: Return) -> bool:
        item = self.items.setdefault(record.return_id, {"return_id": record.return_id})
        if "order_id" in item:
            return False
        item.update(copy.deepcopy(to_item(record)))
        return True

    def update(self, return_id: str, fields: dict, remove: tuple[str, ...] = ()) -> None:
        check_names(Return, [*fields, *remove])
        item = self.items.setdefault(return_id, {"return_id": return_id})
        item.update(copy.deepcopy(fields))
        for name in remove:
            item.pop(name, None)

    def wait_for(self, return_id: str, waiting_for: str, task_token: str, status: str, fields: dict | None = None) -> Return:
        fields = {"waiting_for": waiting_for, "task_token": task_token, "status": status, **(fields or {})}
        self.update(return_id, fields, new_stay(fields))
        return self.get(return_id)

    def record_tracking(self, return_id: str, parcel: dict, at: str) -> Return | None:
        item = self.items.setdefault(return_id, {"return_id": return_id})
        if item.get("parcel_at", "") > at:
            return None
        item.update(parcel=copy.deepcopy(parcel), parcel_at=at)
        item.pop("parcel_watch", None)
        return self._record(item)

    def flag_parcel_problem(self, return_id: str, problem: dict, queue: dict) -> bool:
        check_names(Return, queue)
        item = self.items.get(return_id)
        if item is None or "parcel_problem" in item or "order_id" not in item:
            return False
        item.update(copy.deepcopy({"parcel_problem": problem, **queue}))
        for name in new_stay(queue):
            item.pop(name, None)
        return True

    def record_inspection(self, return_id: str, inspection: dict, at: str, event_id: str) -> Return:
        item = self.items.setdefault(return_id, {"return_id": return_id})
        for name, value in (("inspection", copy.deepcopy(inspection)), ("inspected_at", at), ("inspection_event_id", event_id)):
            item.setdefault(name, value)
        return self._record(item)

    def record_hold_answer(self, return_id: str, answer: dict, at: str) -> Return:
        item = self.items.setdefault(return_id, {"return_id": return_id})
        if "hold_answer" not in item:
            item.update(hold_answer=copy.deepcopy(answer), hold_answered_at=at)
        return self._record(item)

    def add_evidence(self, return_id: str, urls: list[str]) -> Return:
        item = self.items.setdefault(return_id, {"return_id": return_id})
        if len(item.get("added_evidence", ())) <= MAX_ADDED_EVIDENCE - len(set(urls)):
            item["added_evidence"] = sorted({*item.get("added_evidence", ()), *urls})
        return self._record(item)

    def parcels_overdue(self, now: str) -> list[str]:
        due = [item for item in self.items.values()
               if item.get("parcel_watch") == "waiting" and item.get("tracking_due_at", now) < now]
        due.sort(key=lambda item: (item["tracking_due_at"], item["return_id"]))  # a tie: by the table's key, as moto
        return [item["return_id"] for item in due]

    def with_reference(self, reference: str) -> list[str]:
        return sorted(return_id for return_id in self.items if own_id(return_id) == reference)

    def requested_by(self, customer_id: str) -> list[str]:
        return sorted(item["return_id"] for item in self.items.values()
                      if item.get("customer_id") == customer_id and item.get("requested_at"))

    def count_requested(self, customer_id: str, since: str, until: str, excluding: str) -> int:
        return sum(
            1 for item in self.items.values()
            if item.get("customer_id") == customer_id and since <= item.get("requested_at", "") <= until
            and item["return_id"] != excluding
        )

    def waiting_for_review(self, queue: str, limit: int, start: dict | None) -> tuple[list[Return], dict | None]:
        items = [
            {"sla_deadline": item["sla_deadline"], "id": item["return_id"], "value": item}
            for item in self._in_queue(queue)
        ]
        page, last = _page(items, "sla_deadline", limit, start and {"sla_deadline": start["sla_deadline"], "id": start["return_id"]})
        position = {"return_id": last["id"], "review_queue": queue, "sla_deadline": last["sla_deadline"]} if last else None
        return [self._record(item) for item in page], position

    def overdue_reviews(self, queue: str, now: str) -> list[Return]:
        return [
            self._record(item) for item in self._in_queue(queue)
            if item["sla_deadline"] < now and "sla_breached_at" not in item
        ]

    def mark_breached(self, return_id: str, sla_deadline: str, at: str) -> None:
        item = self.items.get(return_id)
        if item and item.get("sla_deadline") == sla_deadline and "review_queue" in item:
            item["sla_breached_at"] = at

    def decide(self, return_id: str, waiting_for: str, status: str, key: str, review: dict, audit: dict) -> bool:
        check_names(Return, [key])
        item = self.items.get(return_id)
        # The audit table's key is (subject, entry): an entry is refused only when both are taken.
        audit_key = (audit["subject"], audit["entry"])
        if (item is None or item.get("waiting_for") != waiting_for or item.get("status") != status or key in item
                or any((entry["subject"], entry["entry"]) == audit_key for entry in self.audit)):
            return False
        item[key] = copy.deepcopy(review)
        item.pop("review_queue", None)
        self.audit.append(copy.deepcopy(audit))
        return True

    def _in_queue(self, queue: str) -> list[dict]:
        items = [item for item in self.items.values() if item.get("review_queue") == queue and "sla_deadline" in item]
        return sorted(items, key=lambda item: (item["sla_deadline"], item["return_id"]))

    @staticmethod
    def _record(item: dict) -> Return:
        return return_of(copy.deepcopy(item))


class MemoryShipments:
    def __init__(self) -> None:
        self.items: dict[tuple[str, str], dict] = {}

    def get(self, carrier: str, tracking_number: str) -> Shipment | None:
        item = self.items.get((carrier, tracking_number))
        return shipment_of(copy.deepcopy(item)) if item is not None else None

    def with_tracking_number(self, tracking_number: str) -> list[tuple[str, str]]:
        return sorted(key for key in self.items if key[1] == tracking_number)

    def record(self, carrier: str, tracking_number: str, checkpoint_id: str, checkpoint: dict, return_id: str | None) -> Shipment:
        item = self._item(carrier, tracking_number)
        timeline = item.setdefault("checkpoints", {})
        if len(timeline) < MAX_TIMELINE or checkpoint_id in timeline:
            timeline[checkpoint_id] = copy.deepcopy(checkpoint)
        item.update(carrier=carrier, tracking_number=tracking_number)
        if return_id:
            item.setdefault("return_id", return_id)
        new = Status(checkpoint["status"], checkpoint["at"])
        current = Status(item["status"], item["status_at"]) if "status_at" in item else None
        if supersedes(new, current):
            item.update(status=new.status, status_at=new.at, status_detail=copy.deepcopy(checkpoint))
        return self.get(carrier, tracking_number)

    def link(self, carrier: str, tracking_number: str, return_id: str) -> Shipment | None:
        item = self._item(carrier, tracking_number)
        if item.setdefault("return_id", return_id) != return_id:
            return None
        item.update(carrier=carrier, tracking_number=tracking_number)
        return self.get(carrier, tracking_number)

    def schedule_poll(self, carrier: str, tracking_number: str, next_poll_at: str | None, attempts: int = 0) -> None:
        item = self._item(carrier, tracking_number)
        if next_poll_at is None:
            item.pop("poll_state", None)
            item.pop("next_poll_at", None)
        else:
            item.update(poll_state="active", next_poll_at=next_poll_at, poll_attempts=attempts)

    def due_for_poll(self, now: str, limit: int) -> list[Shipment]:
        due = [item for _, item in sorted(
            ((item["next_poll_at"], shipment_id(*key)), item) for key, item in self.items.items()
            if item.get("poll_state") == "active" and item["next_poll_at"] <= now
        )[:limit]]  # the index's order: by time, then (as moto orders a tie) by the table's key
        index = ("carrier", "tracking_number", "status_at", "return_id", "poll_attempts", "poll_state", "next_poll_at")
        return [shipment_of({key: item[key] for key in index if key in item}) for item in due]

    def _item(self, carrier: str, tracking_number: str) -> dict:
        """The item, made empty when new: as in DynamoDB, only record and link set carrier and tracking_number, so a
        parcel only scheduled (never recorded nor linked) is no Shipment yet."""
        return self.items.setdefault((carrier, tracking_number), {})


class MemoryLedger:
    def __init__(self, orders: MemoryOrders) -> None:
        self.items: dict[str, dict] = {}
        self._orders = orders

    def get(self, refund_id: str) -> LedgerRecord | None:
        item = self.items.get(refund_id)
        return record_of(copy.deepcopy(item)) if item else None

    def issue(self, record: LedgerRecord, account: RefundAccount, expected_version: int) -> bool:
        if record.refund_id in self.items:
            return False
        if self._orders.account_stale(record.order_id, expected_version):
            raise StaleQuote(f"order {record.order_id} was refunded since the quote was made")
        self.items[record.refund_id] = copy.deepcopy(to_item(record))
        self._orders.move_account(record.order_id, account, expected_version)
        return True

    def mark_published(self, refund_id: str, at: str) -> None:
        self.items.setdefault(refund_id, {"refund_id": refund_id})["published_at"] = at

    def update_payment(self, refund_id: str, fields: dict, attempt: bool = False) -> LedgerRecord | None:
        check_names(LedgerRecord, fields)
        item = self.items.get(refund_id)
        if item is None or item.get("payment_status") in SETTLED:
            return None
        item.update(copy.deepcopy(fields))
        if attempt:
            item["payment_attempts"] = item.get("payment_attempts", 0) + 1
            item["round_attempts"] = item.get("round_attempts", 0) + 1
        return self.get(refund_id)

    def issued_on(self, day: str, since: str, until: str, limit: int, start: dict | None) -> tuple[list[LedgerRecord], dict | None]:
        items = sorted(
            ({"issued_at": item["issued_at"], "id": item["refund_id"], "value": item} for item in self.items.values()
             if item.get("issued_day") == day and since <= item["issued_at"] <= until),
            key=lambda item: (item["issued_at"], item["id"]),
        )
        page, last = _page(items, "issued_at", limit, start and {"issued_at": start["issued_at"], "id": start["refund_id"]})
        position = {"refund_id": last["id"], "issued_day": day, "issued_at": last["issued_at"]} if last else None
        return [record_of(copy.deepcopy(item)) for item in page], position


class MemoryShops:
    def __init__(self) -> None:
        self.uninstalled: dict[str, str] = {}
        self.cursors: dict[tuple[str, str], str] = {}

    def cursor(self, shop: str, name: str) -> str | None:
        return self.cursors.get((shop, name))

    def move_cursor(self, shop: str, name: str, value: str) -> None:
        if value > self.cursors.get((shop, name), ""):
            self.cursors[(shop, name)] = value

    def uninstalled_at(self, shop: str) -> str | None:
        return self.uninstalled.get(shop)

    def mark_uninstalled(self, shop: str, at: str) -> None:
        self.uninstalled[shop] = at
