"""DynamoDB tables: the permanent event log (dedupe), orders, returns, the refund ledger, reviews and their audit."""

from decimal import Decimal

from chalicelib.adapters.ports import StaleQuote
from chalicelib.domain.tracking import Status, shipment_id, supersedes

# The indexes of infra/template.json: a customer's orders (for RFM) and return requests (for the abuse signal)
# by time, the returns waiting for a person by queue and SLA deadline, and the approved returns with no
# tracking yet by when it is due; the parcels still moving by when to ask their carrier next; the refund
# ledger by day and time.
CUSTOMER_INDEX = "by-customer"
REVIEW_INDEX = "by-review-queue"
PARCEL_WATCH_INDEX = "by-parcel-watch"
POLL_INDEX = "by-next-poll"
LEDGER_DAY_INDEX = "by-day"


def _conditional(table, write, **request):
    """Run a conditional write; None when its condition did not hold (nothing was written), else the response."""
    try:
        return getattr(table, write)(**request)
    except table.meta.client.exceptions.ConditionalCheckFailedException:
        return None


def plain(value):
    """DynamoDB numbers come back as Decimal (every number this project stores is an integer), sets as sets."""
    if isinstance(value, Decimal):
        return int(value)
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [plain(item) for item in value]
    if isinstance(value, set):
        return sorted(plain(item) for item in value)
    return value


def _get(table, key: dict) -> dict | None:
    item = table.get_item(Key=key, ConsistentRead=True).get("Item")
    return plain(item) if item else None


def _query_all(table, **query) -> list[dict]:
    items = []
    while True:
        page = table.query(**query)
        items += [plain(item) for item in page["Items"]]
        if "LastEvaluatedKey" not in page:
            return items
        query["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def _set_fields(fields: dict, remove: tuple[str, ...] = ()) -> dict:
    clauses = []
    if fields:
        clauses.append("SET " + ", ".join(f"#f{i} = :v{i}" for i in range(len(fields))))
    if remove:
        clauses.append("REMOVE " + ", ".join(f"#r{i}" for i in range(len(remove))))
    request = {
        "UpdateExpression": " ".join(clauses),
        "ExpressionAttributeNames": {
            **{f"#f{i}": key for i, key in enumerate(fields)}, **{f"#r{i}": key for i, key in enumerate(remove)}
        },
    }
    if fields:
        request["ExpressionAttributeValues"] = {f":v{i}": value for i, value in enumerate(fields.values())}
    return request


class DynamoEventLog:
    """Event ids kept forever, so a duplicate redriven from the DLQ days later is still recognised."""

    def __init__(self, table) -> None:
        self._table = table

    def seen(self, event_id: str) -> bool:
        return "Item" in self._table.get_item(Key={"event_id": event_id}, ConsistentRead=True)

    def record(self, event: dict) -> None:
        self._table.put_item(Item=event)

    def record_failure(self, message_key: str, error_type: str, error: str, at: str) -> None:
        self._table.update_item(
            Key={"event_id": failure_key(message_key)},
            UpdateExpression="SET error_type = :type, #error = :error, last_failed_at = :at ADD failures :one",
            ExpressionAttributeNames={"#error": "error"},
            ExpressionAttributeValues={":type": error_type, ":error": error, ":at": at, ":one": 1},
        )

    def failure(self, message_key: str) -> dict | None:
        return _get(self._table, {"event_id": failure_key(message_key)})


def failure_key(message_key: str) -> str:
    """Failures share the event log under their own prefix, which no source's event id can take (ids are alnum first)."""
    return f"#failure:{message_key}"


class DynamoOrders:
    def __init__(self, table) -> None:
        self._table = table

    def paid_orders(self, customer_id: str) -> list[dict]:
        from boto3.dynamodb.conditions import Key

        return _query_all(self._table, IndexName=CUSTOMER_INDEX, KeyConditionExpression=Key("customer_id").eq(customer_id))

    def get(self, order_id: str) -> dict | None:
        return _get(self._table, {"order_id": order_id})

    def upsert(self, order: dict, occurred_at: str) -> bool:
        """Conditional on the source's time, so a late, older version never overwrites a newer one.

        An update, not a put: the refund account kept on the same item must survive new order versions.
        """
        fields = {key: value for key, value in order.items() if key != "order_id"}
        request = _set_fields({**fields, "updated_at": occurred_at})
        request["ExpressionAttributeValues"][":at"] = occurred_at
        return _conditional(
            self._table,
            "update_item",
            Key={"order_id": order["order_id"]},
            ConditionExpression="attribute_not_exists(updated_at) OR updated_at <= :at",
            **request,
        ) is not None


class DynamoReturns:
    def __init__(self, table) -> None:
        self._table = table

    def get(self, return_id: str) -> dict | None:
        return _get(self._table, {"return_id": return_id})

    def create(self, record: dict) -> bool:
        """Sets the request's fields once; merges into an item that tracking created first."""
        fields = {key: value for key, value in record.items() if key != "return_id"}
        return _conditional(
            self._table,
            "update_item",
            Key={"return_id": record["return_id"]},
            ConditionExpression="attribute_not_exists(order_id)",
            **_set_fields(fields),
        ) is not None

    def update(self, return_id: str, fields: dict, remove: tuple[str, ...] = ()) -> None:
        self._table.update_item(Key={"return_id": return_id}, **_set_fields(fields, remove))

    def wait_for(self, return_id: str, waiting_for: str, task_token: str, status: str, fields: dict | None = None) -> dict:
        response = self._table.update_item(
            Key={"return_id": return_id},
            **_set_fields({"waiting_for": waiting_for, "task_token": task_token, "status": status, **(fields or {})}),
            ReturnValues="ALL_NEW",
        )
        return plain(response["Attributes"])

    def record_tracking(self, return_id: str, tracking: dict, at: str) -> dict | None:
        response = _conditional(
            self._table,
            "update_item",
            Key={"return_id": return_id},
            UpdateExpression="SET parcel = :parcel, parcel_at = :at REMOVE parcel_watch",
            ConditionExpression="attribute_not_exists(parcel_at) OR parcel_at <= :at",
            ExpressionAttributeValues={":parcel": tracking, ":at": at},
            ReturnValues="ALL_NEW",
        )
        return plain(response["Attributes"]) if response else None

    def flag_parcel_problem(self, return_id: str, problem: dict, queue: dict) -> bool:
        """Put the return in its review queue for its parcel's trouble, once per trouble; True when flagged now."""
        return _conditional(
            self._table, "update_item", Key={"return_id": return_id},
            ConditionExpression="attribute_not_exists(parcel_problem) AND attribute_exists(order_id)",
            **_set_fields({"parcel_problem": problem, **queue}),
        ) is not None

    def record_inspection(self, return_id: str, inspection: dict, at: str, event_id: str) -> dict:
        response = self._table.update_item(
            Key={"return_id": return_id},
            UpdateExpression="SET inspection = if_not_exists(inspection, :inspection), "
            "inspected_at = if_not_exists(inspected_at, :at), inspection_event_id = if_not_exists(inspection_event_id, :id)",
            ExpressionAttributeValues={":inspection": inspection, ":at": at, ":id": event_id},
            ReturnValues="ALL_NEW",
        )
        return plain(response["Attributes"])

    def record_hold_answer(self, return_id: str, answer: dict, at: str) -> dict:
        fields = {"hold_answer": answer, "hold_answered_at": at}
        response = _conditional(
            self._table,
            "update_item",
            Key={"return_id": return_id},
            ConditionExpression="attribute_not_exists(hold_answer)",
            ReturnValues="ALL_NEW",
            **_set_fields(fields),
        )
        return plain(response["Attributes"]) if response else self.get(return_id)

    def add_evidence(self, return_id: str, urls: list[str]) -> dict:
        response = self._table.update_item(
            Key={"return_id": return_id},
            UpdateExpression="ADD added_evidence :urls",
            ExpressionAttributeValues={":urls": set(urls)},
            ReturnValues="ALL_NEW",
        )
        return plain(response["Attributes"])

    def parcels_overdue(self, now: str) -> list[dict]:
        from boto3.dynamodb.conditions import Key

        return _query_all(
            self._table, IndexName=PARCEL_WATCH_INDEX,
            KeyConditionExpression=Key("parcel_watch").eq("waiting") & Key("tracking_due_at").lt(now),
        )

    def count_requested(self, customer_id: str, since: str, until: str, excluding: str) -> int:
        from boto3.dynamodb.conditions import Key

        query = {
            "IndexName": CUSTOMER_INDEX,
            "KeyConditionExpression": Key("customer_id").eq(customer_id) & Key("requested_at").between(since, until),
        }
        return sum(1 for item in _query_all(self._table, **query) if item["return_id"] != excluding)


class DynamoLedger:
    """The refund ledger: one record per refund id, written together with the order's refund account.

    One transaction puts the record on condition that its id is new and moves
    the order's account on condition that nobody refunded on the order since
    the quote was made. The first condition makes a second refund impossible;
    the second keeps a stale quote from breaking the cap.
    """

    def __init__(self, ledger_table, orders_table) -> None:
        self._ledger = ledger_table
        self._orders = orders_table
        self._client = ledger_table.meta.client  # the resource's client: it takes plain Python values

    def get(self, refund_id: str) -> dict | None:
        return _get(self._ledger, {"refund_id": refund_id})

    def issue(self, record: dict, order_id: str, account: dict, expected_version: int) -> bool:
        """True when written now; False when this refund id is already in the ledger; raises StaleQuote otherwise."""
        account = {**account, "refund_version": expected_version + 1}
        update = _set_fields(account)
        update["ExpressionAttributeValues"][":expected"] = expected_version
        try:
            self._client.transact_write_items(
                TransactItems=[
                    {
                        "Put": {
                            "TableName": self._ledger.name,
                            "Item": record,
                            "ConditionExpression": "attribute_not_exists(refund_id)",
                        }
                    },
                    {
                        "Update": {
                            "TableName": self._orders.name,
                            "Key": {"order_id": order_id},
                            "ConditionExpression": "(attribute_not_exists(refund_version) AND :expected = :zero)"
                            " OR refund_version = :expected",
                            "UpdateExpression": update["UpdateExpression"],
                            "ExpressionAttributeNames": update["ExpressionAttributeNames"],
                            "ExpressionAttributeValues": {**update["ExpressionAttributeValues"], ":zero": 0},
                        }
                    },
                ]
            )
        except self._client.exceptions.TransactionCanceledException:
            if self.get(record["refund_id"]) is not None:
                return False
            raise StaleQuote(f"order {order_id} was refunded since the quote was made") from None
        return True

    def issued_on(self, day: str, since: str, until: str, limit: int, start: dict | None) -> tuple[list[dict], dict | None]:
        """A page of the records issued on `day` (YYYY-MM-DD) in [since, until], oldest first, and where to go on."""
        from boto3.dynamodb.conditions import Key

        query = {
            "IndexName": LEDGER_DAY_INDEX, "Limit": limit,
            "KeyConditionExpression": Key("issued_day").eq(day) & Key("issued_at").between(since, until),
        }
        if start:
            query["ExclusiveStartKey"] = start
        page = self._ledger.query(**query)
        return [plain(item) for item in page["Items"]], page.get("LastEvaluatedKey")

    def mark_published(self, refund_id: str, at: str) -> None:
        self._ledger.update_item(
            Key={"refund_id": refund_id},
            UpdateExpression="SET published_at = :at",
            ExpressionAttributeValues={":at": at},
        )

    def update_payment(self, refund_id: str, fields: dict, attempt: bool = False) -> dict | None:
        """A confirmed payment is final: a late answer of an earlier attempt cannot move it back."""
        update = _set_fields(fields)
        if attempt:
            update["UpdateExpression"] += " ADD payment_attempts :one, round_attempts :one"
            update["ExpressionAttributeValues"][":one"] = 1
        update["ExpressionAttributeValues"][":confirmed"] = "confirmed"
        response = _conditional(
            self._ledger, "update_item", Key={"refund_id": refund_id}, **update, ReturnValues="ALL_NEW",
            ConditionExpression="attribute_exists(refund_id)"
            " AND (attribute_not_exists(payment_status) OR payment_status <> :confirmed)",
        )
        return plain(response["Attributes"]) if response else None


class DynamoCustomers:
    """A customer's tier, recomputed from the order history whenever an order arrives."""

    def __init__(self, table) -> None:
        self._table = table

    def get(self, customer_id: str) -> dict | None:
        return _get(self._table, {"customer_id": customer_id})

    def set_tier(self, customer_id: str, tier: str, facts: dict, at: str, policy_version: str) -> None:
        self._table.update_item(
            Key={"customer_id": customer_id},
            **_set_fields({"tier": tier, "rfm": facts, "tier_computed_at": at, "policy_version": policy_version}),
        )


class DynamoReviews:
    """The review queues (a sparse index of the returns table by queue and deadline) and the audit trail.

    A decision is written in one transaction with its audit entry, on
    condition that the return still waits for that decision: the second of two
    reviewers, or one after a timeout, writes nothing.
    """

    def __init__(self, returns_table, audit_table) -> None:
        self._returns = returns_table
        self._audit = audit_table
        self._client = returns_table.meta.client

    def waiting(self, queue: str, limit: int, start: dict | None) -> tuple[list[dict], dict | None]:
        """A page of the queue's items by SLA deadline, and the key to continue from (None at the end)."""
        from boto3.dynamodb.conditions import Key

        query = {"IndexName": REVIEW_INDEX, "KeyConditionExpression": Key("review_queue").eq(queue), "Limit": limit}
        if start:
            query["ExclusiveStartKey"] = start
        page = self._returns.query(**query)
        return [plain(item) for item in page["Items"]], page.get("LastEvaluatedKey")

    def overdue(self, queue: str, now: str) -> list[dict]:
        """The queue's items past their SLA deadline and not yet marked as breached."""
        from boto3.dynamodb.conditions import Attr, Key

        return _query_all(
            self._returns,
            IndexName=REVIEW_INDEX,
            KeyConditionExpression=Key("review_queue").eq(queue) & Key("sla_deadline").lt(now),
            FilterExpression=Attr("sla_breached_at").not_exists(),
        )

    def mark_breached(self, return_id: str, sla_deadline: str, at: str) -> None:
        """Only while the item still waits with that deadline: a decided item stays as it was decided."""
        _conditional(
            self._returns,
            "update_item",
            Key={"return_id": return_id},
            UpdateExpression="SET sla_breached_at = :at",
            ConditionExpression="sla_deadline = :deadline AND attribute_exists(review_queue)",
            ExpressionAttributeValues={":at": at, ":deadline": sla_deadline},
        )

    def decide(self, return_id: str, waiting_for: str, status: str, key: str, review: dict, audit: dict) -> bool:
        """Keep the decision under `key` and leave the queue; False when the return no longer waits for it."""
        try:
            self._client.transact_write_items(
                TransactItems=[
                    {
                        "Update": {
                            "TableName": self._returns.name,
                            "Key": {"return_id": return_id},
                            "ConditionExpression": "waiting_for = :waiting AND #status = :status"
                            " AND attribute_not_exists(#decision)",
                            "UpdateExpression": "SET #decision = :review REMOVE review_queue",
                            "ExpressionAttributeNames": {"#status": "status", "#decision": key},
                            "ExpressionAttributeValues": {":waiting": waiting_for, ":status": status, ":review": review},
                        }
                    },
                    {
                        "Put": {
                            "TableName": self._audit.name,
                            "Item": audit,
                            "ConditionExpression": "attribute_not_exists(entry)",
                        }
                    },
                ]
            )
        except self._client.exceptions.TransactionCanceledException:
            return False
        return True


class DynamoShipments:
    """Parcels by carrier and tracking number: the checkpoint timeline (a map by checkpoint id, so a checkpoint
    applied twice is kept once), the current status by carrier time and rank, and the return it belongs to."""

    def __init__(self, table) -> None:
        self._table = table

    def get(self, carrier: str, tracking_number: str) -> dict | None:
        return _get(self._table, {"shipment_id": shipment_id(carrier, tracking_number)})

    def record(self, carrier: str, tracking_number: str, checkpoint_id: str, checkpoint: dict, return_id: str | None) -> dict:
        key = {"shipment_id": shipment_id(carrier, tracking_number)}
        names = {"#cp": checkpoint_id}
        values = {":cp": checkpoint, ":carrier": carrier, ":number": tracking_number}
        link = ""
        if return_id:
            link, values[":return"] = ", return_id = if_not_exists(return_id, :return)", return_id
        while True:
            added = _conditional(
                self._table, "update_item", Key=key, ConditionExpression="attribute_exists(checkpoints)",
                UpdateExpression="SET checkpoints.#cp = :cp, carrier = :carrier, tracking_number = :number" + link,
                ExpressionAttributeNames=names, ExpressionAttributeValues=values,
            )
            created = added or _conditional(
                self._table, "update_item", Key=key, ConditionExpression="attribute_not_exists(checkpoints)",
                UpdateExpression="SET checkpoints = :timeline, carrier = :carrier, tracking_number = :number" + link,
                ExpressionAttributeValues={**{k: v for k, v in values.items() if k != ":cp"},
                                           ":timeline": {checkpoint_id: checkpoint}},
            )
            if created:
                break
        return self._move_status(key, checkpoint)

    def _move_status(self, key: dict, checkpoint: dict) -> dict:
        new = Status(checkpoint["status"], checkpoint["at"])
        while True:
            item = _get(self._table, key)
            current = Status(item["status"], item["status_at"]) if "status_at" in item else None
            if not supersedes(new, current):
                return item
            condition = (
                "attribute_not_exists(status_at)" if current is None else "#status = :old AND status_at = :old_at"
            )
            values = {":status": new.status, ":at": new.at, ":detail": checkpoint}
            if current is not None:
                values.update({":old": current.status, ":old_at": current.at})
            moved = _conditional(
                self._table, "update_item", Key=key, ConditionExpression=condition,
                UpdateExpression="SET #status = :status, status_at = :at, status_detail = :detail",
                ExpressionAttributeNames={"#status": "status"}, ExpressionAttributeValues=values,
                ReturnValues="ALL_NEW",
            )
            if moved:
                return plain(moved["Attributes"])

    def schedule_poll(self, carrier: str, tracking_number: str, next_poll_at: str | None, attempts: int = 0) -> None:
        """When to ask the carrier's API about this parcel next; None: never (its status is final)."""
        key = {"shipment_id": shipment_id(carrier, tracking_number)}
        if next_poll_at is None:
            self._table.update_item(Key=key, **_set_fields({}, remove=("poll_state", "next_poll_at")))
        else:
            fields = {"poll_state": "active", "next_poll_at": next_poll_at, "poll_attempts": attempts}
            self._table.update_item(Key=key, **_set_fields(fields))

    def due_for_poll(self, now: str, limit: int) -> list[dict]:
        from boto3.dynamodb.conditions import Key

        page = self._table.query(
            IndexName=POLL_INDEX, Limit=limit,
            KeyConditionExpression=Key("poll_state").eq("active") & Key("next_poll_at").lte(now),
        )
        return [plain(item) for item in page["Items"]]  # the index carries what the poller reads

    def link(self, carrier: str, tracking_number: str, return_id: str) -> dict | None:
        """Link the parcel to its return; None when it is linked to another return already."""
        response = _conditional(
            self._table, "update_item", Key={"shipment_id": shipment_id(carrier, tracking_number)},
            UpdateExpression="SET return_id = :return, carrier = :carrier, tracking_number = :number",
            ConditionExpression="attribute_not_exists(return_id) OR return_id = :return",
            ExpressionAttributeValues={":return": return_id, ":carrier": carrier, ":number": tracking_number},
            ReturnValues="ALL_NEW",
        )
        return plain(response["Attributes"]) if response else None
