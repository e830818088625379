"""The refund ledger table: one record per refund id, written together with its order's refund account.

One transaction puts the record on condition that its id is new and moves
the order's account on condition that nobody refunded on the order since
the quote was made. The first condition makes a second refund impossible;
the second keeps a stale quote from breaking the cap.
"""

from chalicelib.adapters.dynamodb.items import (
    check_names,
    conditional,
    from_item,
    get_item,
    plain,
    query_page,
    set_fields,
    to_item,
)
from chalicelib.adapters.dynamodb.orders import DynamoOrders
from chalicelib.domain.ledger import LedgerRecord, PaymentStatus
from chalicelib.domain.orders import RefundAccount
from chalicelib.ports.errors import StaleQuote

# The index of infra/template.json: the records by day and time (finance queries).
DAY_INDEX = "by-day"


def record_of(item: dict) -> LedgerRecord:
    return from_item(LedgerRecord, item, payment_status=PaymentStatus(item.get("payment_status", "pending")))


class DynamoLedger:
    def __init__(self, table, orders: DynamoOrders) -> None:
        self._table = table
        self._orders = orders
        self._client = table.meta.client  # the resource's client: it takes plain Python values

    def get(self, refund_id: str) -> LedgerRecord | None:
        item = get_item(self._table, {"refund_id": refund_id})
        return record_of(item) if item else None

    def issue(self, record: LedgerRecord, account: RefundAccount, expected_version: int) -> bool:
        """True when written now; False when this refund id is already in the ledger; raises StaleQuote otherwise."""
        put = {"Put": {
            "TableName": self._table.name, "Item": to_item(record), "ConditionExpression": "attribute_not_exists(refund_id)",
        }}
        try:
            self._client.transact_write_items(
                TransactItems=[put, self._orders.account_update(record.order_id, account, expected_version)]
            )
        except self._client.exceptions.TransactionCanceledException:
            if self.get(record.refund_id) is not None:
                return False
            raise StaleQuote(f"order {record.order_id} was refunded since the quote was made") from None
        return True

    def issued_on(self, day: str, since: str, until: str, limit: int, start: dict | None) -> tuple[list[LedgerRecord], dict | None]:
        items, last = query_page(
            self._table, limit, start, IndexName=DAY_INDEX,
            KeyConditionExpression="issued_day = :day AND issued_at BETWEEN :since AND :until",
            ExpressionAttributeValues={":day": day, ":since": since, ":until": until},
        )
        return [record_of(item) for item in items], last

    def mark_published(self, refund_id: str, at: str) -> None:
        self._table.update_item(
            Key={"refund_id": refund_id}, UpdateExpression="SET published_at = :at", ExpressionAttributeValues={":at": at},
        )

    def update_payment(self, refund_id: str, fields: dict, attempt: bool = False) -> LedgerRecord | None:
        """A settled payment (confirmed, or dry run) is final: a late answer of an earlier attempt cannot move it back."""
        check_names(LedgerRecord, fields)
        update = set_fields(fields)
        values = update.setdefault("ExpressionAttributeValues", {})
        if attempt:
            update["UpdateExpression"] += " ADD payment_attempts :one, round_attempts :one"
            values[":one"] = 1
        values[":confirmed"], values[":dry_run"] = PaymentStatus.CONFIRMED, PaymentStatus.DRY_RUN
        response = conditional(
            self._table, "update_item", Key={"refund_id": refund_id}, **update, ReturnValues="ALL_NEW",
            ConditionExpression="attribute_exists(refund_id)"
            " AND (attribute_not_exists(payment_status) OR NOT payment_status IN (:confirmed, :dry_run))",
        )
        return record_of(plain(response["Attributes"])) if response else None
