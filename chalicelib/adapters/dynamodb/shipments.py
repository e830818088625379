"""The shipments table: parcels by carrier and tracking number, with the checkpoint timeline (a map by checkpoint
id, so a checkpoint applied twice is kept once), the current status by carrier time and rank, the return it
belongs to, and when to ask its carrier next (a sparse index of the parcels still moving)."""

from chalicelib.adapters.dynamodb.items import (
    conditional,
    from_item,
    get_item,
    plain,
    query_all,
    query_page,
    set_fields,
)
from chalicelib.domain.tracking import MAX_TIMELINE, Shipment, Status, shipment_id, supersedes

POLL_INDEX = "by-next-poll"
TRACKING_NUMBER_INDEX = "by-tracking-number"
# Each write below loses only to another writer of the same parcel that succeeded; this many losses in a row
# means something else is wrong.
MAX_RACES = 20


class ShipmentRace(Exception):
    """The parcel kept changing under every attempt; the message is retried from the queue."""


def shipment_of(item: dict) -> Shipment:
    return from_item(Shipment, item)


class DynamoShipments:
    def __init__(self, table) -> None:
        self._table = table

    def get(self, carrier: str, tracking_number: str) -> Shipment | None:
        item = get_item(self._table, {"shipment_id": shipment_id(carrier, tracking_number)})
        return shipment_of(item) if item else None

    def with_tracking_number(self, tracking_number: str) -> list[tuple[str, str]]:
        """(carrier, tracking number) of every parcel of that number: two carriers may use one."""
        items = query_all(self._table, IndexName=TRACKING_NUMBER_INDEX, KeyConditionExpression="tracking_number = :number",
                          ExpressionAttributeValues={":number": tracking_number})
        return sorted(tuple(item["shipment_id"].split("#", 1)) for item in items)

    def record(self, carrier: str, tracking_number: str, checkpoint_id: str, checkpoint: dict, return_id: str | None) -> Shipment:
        key = {"shipment_id": shipment_id(carrier, tracking_number)}
        values = {":cp": checkpoint, ":carrier": carrier, ":number": tracking_number, ":room": MAX_TIMELINE}
        link = ""
        if return_id:
            link, values[":return"] = ", return_id = if_not_exists(return_id, :return)", return_id
        for _ in range(MAX_RACES):
            added = conditional(
                self._table, "update_item", Key=key,
                ConditionExpression="attribute_exists(checkpoints)"
                " AND (size(checkpoints) < :room OR attribute_exists(checkpoints.#cp))",
                UpdateExpression="SET checkpoints.#cp = :cp, carrier = :carrier, tracking_number = :number" + link,
                ExpressionAttributeNames={"#cp": checkpoint_id}, ExpressionAttributeValues=values,
            )
            created = added or conditional(
                self._table, "update_item", Key=key, ConditionExpression="attribute_not_exists(checkpoints)",
                UpdateExpression="SET checkpoints = :timeline, carrier = :carrier, tracking_number = :number" + link,
                ExpressionAttributeValues={**{k: v for k, v in values.items() if k not in (":cp", ":room")},
                                           ":timeline": {checkpoint_id: checkpoint}},
            )
            if created:
                return self._move_status(key, checkpoint)
            if len((get_item(self._table, key) or {}).get("checkpoints", {})) >= MAX_TIMELINE:
                return self._move_status(key, checkpoint)  # the timeline is full: the status still moves
        raise ShipmentRace(f"{key['shipment_id']}: the checkpoint could not be stored in {MAX_RACES} attempts")

    def _move_status(self, key: dict, checkpoint: dict) -> Shipment:
        new = Status(checkpoint["status"], checkpoint["at"])
        for _ in range(MAX_RACES):
            shipment = shipment_of(get_item(self._table, key))
            current = shipment.current
            if not supersedes(new, current):
                return shipment
            condition = "attribute_not_exists(status_at)" if current is None else "#status = :old AND status_at = :old_at"
            values = {":status": new.status, ":at": new.at, ":detail": checkpoint}
            if current is not None:
                values.update({":old": current.status, ":old_at": current.at})
            moved = conditional(
                self._table, "update_item", Key=key, ConditionExpression=condition,
                UpdateExpression="SET #status = :status, status_at = :at, status_detail = :detail",
                ExpressionAttributeNames={"#status": "status"}, ExpressionAttributeValues=values, ReturnValues="ALL_NEW",
            )
            if moved:
                return shipment_of(plain(moved["Attributes"]))
        raise ShipmentRace(f"{key['shipment_id']}: the status could not be moved in {MAX_RACES} attempts")

    def schedule_poll(self, carrier: str, tracking_number: str, next_poll_at: str | None, attempts: int = 0) -> None:
        key = {"shipment_id": shipment_id(carrier, tracking_number)}
        if next_poll_at is None:
            self._table.update_item(Key=key, **set_fields({}, remove=("poll_state", "next_poll_at")))
        else:
            fields = {"poll_state": "active", "next_poll_at": next_poll_at, "poll_attempts": attempts}
            self._table.update_item(Key=key, **set_fields(fields))

    def due_for_poll(self, now: str, limit: int) -> list[Shipment]:
        items, _ = query_page(
            self._table, limit, None, IndexName=POLL_INDEX,
            KeyConditionExpression="poll_state = :active AND next_poll_at <= :now",
            ExpressionAttributeValues={":active": "active", ":now": now},
        )
        return [shipment_of(item) for item in items]  # the index carries what the poller reads

    def link(self, carrier: str, tracking_number: str, return_id: str) -> Shipment | None:
        response = conditional(
            self._table, "update_item", Key={"shipment_id": shipment_id(carrier, tracking_number)},
            UpdateExpression="SET return_id = :return, carrier = :carrier, tracking_number = :number",
            ConditionExpression="attribute_not_exists(return_id) OR return_id = :return",
            ExpressionAttributeValues={":return": return_id, ":carrier": carrier, ":number": tracking_number},
            ReturnValues="ALL_NEW",
        )
        return shipment_of(plain(response["Attributes"])) if response else None
