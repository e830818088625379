"""The returns table: every return with where its workflow stands, and its sparse indexes: the review queues
(by queue and SLA deadline), the approved returns with no tracking yet (by when it is due), and a customer's
requests by time (the abuse signal). A reviewer's decision is written with its audit entry, in one transaction."""

from chalicelib.adapters.dynamodb.audit import DynamoAudit
from chalicelib.adapters.dynamodb.items import (
    check_names,
    conditional,
    from_item,
    get_item,
    plain,
    query_all,
    query_page,
    set_fields,
    to_item,
)
from chalicelib.domain.returns import MAX_ADDED_EVIDENCE, Return, ReturnStatus, Waiting, new_stay
from chalicelib.domain.tenancy import own_id

CUSTOMER_INDEX = "by-customer"
REVIEW_INDEX = "by-review-queue"
PARCEL_WATCH_INDEX = "by-parcel-watch"
REFERENCE_INDEX, REFERENCE = "by-reference", "reference"


def return_of(item: dict) -> Return:
    status, waiting_for = item.get("status"), item.get("waiting_for")
    return from_item(
        Return, item, status=ReturnStatus(status) if status else None, waiting_for=Waiting(waiting_for) if waiting_for else None,
    )


class DynamoReturns:
    def __init__(self, table, audit: DynamoAudit) -> None:
        self._table = table
        self._audit = audit
        self._client = table.meta.client  # the resource's client: it takes plain Python values

    def get(self, return_id: str) -> Return | None:
        item = get_item(self._table, {"return_id": return_id})
        return return_of(item) if item else None

    def create(self, record: Return) -> bool:
        """Sets the request's fields once; merges into an item that tracking created first."""
        fields = {key: value for key, value in to_item(record).items() if key != "return_id"}
        fields[REFERENCE] = own_id(record.return_id)  # the shop's own id, which search finds in every shop
        return conditional(
            self._table, "update_item", Key={"return_id": record.return_id},
            ConditionExpression="attribute_not_exists(order_id)", **set_fields(fields),
        ) is not None

    def update(self, return_id: str, fields: dict, remove: tuple[str, ...] = ()) -> None:
        check_names(Return, [*fields, *remove])
        self._table.update_item(Key={"return_id": return_id}, **set_fields(fields, remove))

    def wait_for(self, return_id: str, waiting_for: str, task_token: str, status: str, fields: dict | None = None) -> Return:
        fields = {"waiting_for": waiting_for, "task_token": task_token, "status": status, **(fields or {})}
        check_names(Return, fields)
        response = self._table.update_item(
            Key={"return_id": return_id}, **set_fields(fields, new_stay(fields)), ReturnValues="ALL_NEW"
        )
        return self._record(response)

    def record_tracking(self, return_id: str, parcel: dict, at: str) -> Return | None:
        response = conditional(
            self._table, "update_item", Key={"return_id": return_id},
            UpdateExpression="SET parcel = :parcel, parcel_at = :at REMOVE parcel_watch",
            ConditionExpression="attribute_not_exists(parcel_at) OR parcel_at <= :at",
            ExpressionAttributeValues={":parcel": parcel, ":at": at}, ReturnValues="ALL_NEW",
        )
        return self._record(response) if response else None

    def flag_parcel_problem(self, return_id: str, problem: dict, queue: dict) -> bool:
        check_names(Return, queue)
        return conditional(
            self._table, "update_item", Key={"return_id": return_id},
            ConditionExpression="attribute_not_exists(parcel_problem) AND attribute_exists(order_id)",
            **set_fields({"parcel_problem": problem, **queue}, new_stay(queue)),
        ) is not None

    def record_inspection(self, return_id: str, inspection: dict, at: str, event_id: str) -> Return:
        response = self._table.update_item(
            Key={"return_id": return_id},
            UpdateExpression="SET inspection = if_not_exists(inspection, :inspection), "
            "inspected_at = if_not_exists(inspected_at, :at), inspection_event_id = if_not_exists(inspection_event_id, :id)",
            ExpressionAttributeValues={":inspection": inspection, ":at": at, ":id": event_id},
            ReturnValues="ALL_NEW",
        )
        return self._record(response)

    def record_hold_answer(self, return_id: str, answer: dict, at: str) -> Return:
        response = conditional(
            self._table, "update_item", Key={"return_id": return_id},
            ConditionExpression="attribute_not_exists(hold_answer)", ReturnValues="ALL_NEW",
            **set_fields({"hold_answer": answer, "hold_answered_at": at}),
        )
        return self._record(response) if response else self.get(return_id)

    def add_evidence(self, return_id: str, urls: list[str]) -> Return:
        """Added while there is room for all of them (MAX_ADDED_EVIDENCE); else the return as it is."""
        response = conditional(
            self._table, "update_item", Key={"return_id": return_id}, UpdateExpression="ADD added_evidence :urls",
            ConditionExpression="attribute_not_exists(added_evidence) OR size(added_evidence) <= :room",
            ExpressionAttributeValues={":urls": set(urls), ":room": MAX_ADDED_EVIDENCE - len(set(urls))},
            ReturnValues="ALL_NEW",
        )
        return self._record(response) if response else self.get(return_id)

    def parcels_overdue(self, now: str) -> list[str]:
        items = query_all(
            self._table, IndexName=PARCEL_WATCH_INDEX,
            KeyConditionExpression="parcel_watch = :waiting AND tracking_due_at < :now",
            ExpressionAttributeValues={":waiting": "waiting", ":now": now},
        )
        return [item["return_id"] for item in items]

    def with_reference(self, reference: str) -> list[str]:
        items = query_all(self._table, IndexName=REFERENCE_INDEX, KeyConditionExpression="#reference = :reference",
                          ExpressionAttributeNames={"#reference": REFERENCE},
                          ExpressionAttributeValues={":reference": reference})
        return [item["return_id"] for item in items]

    def requested_by(self, customer_id: str) -> list[str]:
        items = query_all(self._table, IndexName=CUSTOMER_INDEX, KeyConditionExpression="customer_id = :customer",
                          ExpressionAttributeValues={":customer": customer_id})
        return [item["return_id"] for item in items]

    def count_requested(self, customer_id: str, since: str, until: str, excluding: str) -> int:
        items = query_all(
            self._table, IndexName=CUSTOMER_INDEX,
            KeyConditionExpression="customer_id = :customer AND requested_at BETWEEN :since AND :until",
            ExpressionAttributeValues={":customer": customer_id, ":since": since, ":until": until},
        )
        return sum(1 for item in items if item["return_id"] != excluding)

    def waiting_for_review(self, queue: str, limit: int, start: dict | None) -> tuple[list[Return], dict | None]:
        items, last = query_page(
            self._table, limit, start, IndexName=REVIEW_INDEX, KeyConditionExpression="review_queue = :queue",
            ExpressionAttributeValues={":queue": queue},
        )
        return [return_of(item) for item in items], last

    def overdue_reviews(self, queue: str, now: str) -> list[Return]:
        items = query_all(
            self._table, IndexName=REVIEW_INDEX,
            KeyConditionExpression="review_queue = :queue AND sla_deadline < :now",
            FilterExpression="attribute_not_exists(sla_breached_at)",
            ExpressionAttributeValues={":queue": queue, ":now": now},
        )
        return [return_of(item) for item in items]

    def mark_breached(self, return_id: str, sla_deadline: str, at: str) -> None:
        conditional(
            self._table, "update_item", Key={"return_id": return_id},
            UpdateExpression="SET sla_breached_at = :at",
            ConditionExpression="sla_deadline = :deadline AND attribute_exists(review_queue)",
            ExpressionAttributeValues={":at": at, ":deadline": sla_deadline},
        )

    def decide(self, return_id: str, waiting_for: str, status: str, key: str, review: dict, audit: dict) -> bool:
        """The second of two reviewers, or one after a timeout, writes nothing."""
        check_names(Return, [key])
        decision = {
            "Update": {
                "TableName": self._table.name,
                "Key": {"return_id": return_id},
                "ConditionExpression": "waiting_for = :waiting AND #status = :status AND attribute_not_exists(#decision)",
                "UpdateExpression": "SET #decision = :review REMOVE review_queue",
                "ExpressionAttributeNames": {"#status": "status", "#decision": key},
                "ExpressionAttributeValues": {":waiting": waiting_for, ":status": status, ":review": review},
            }
        }
        try:
            self._client.transact_write_items(TransactItems=[decision, self._audit.entry_put(audit)])
        except self._client.exceptions.TransactionCanceledException:
            return False
        return True

    @staticmethod
    def _record(response: dict) -> Return:
        return return_of(plain(response["Attributes"]))
