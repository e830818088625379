"""Domain facts written to the analytics lake as they happen (domain/lake_rows.py): a return as it closes, a refund
as it is paid, an order as it is stored. Rows go on the bus as LakeRow events, which Firehose writes to S3 on AWS
and the local cloud to its own S3; a retried step writes its rows again, and the reports count each fact once."""

from chalicelib.bootstrap import Ports
from chalicelib.domain.lake_rows import closed_return_rows, order_line_rows, refund_row
from chalicelib.domain.ledger import LedgerRecord
from chalicelib.domain.returns import Return
from chalicelib.domain.tenancy import shop_of

LAKE_ROW = "LakeRow"
OWN = "own"  # a shop of our own, on no marketplace


def platform_of(shop: str | None, ports: Ports) -> str:
    """The marketplace a shop sells on (a Taobao connection's store says taobao or tmall)."""
    connection = ports.marketplaces.connection(shop) if shop else None
    if connection is None:
        return OWN
    return getattr(connection, "store", None) or getattr(connection, "platform", OWN)


def record_closed_return(record: Return, outcome: str, closed_at: str, ports: Ports) -> None:
    order = ports.orders.get(record.order_id) if record.order_id else None
    parcel = ports.shipments.get(record.parcel["carrier"], record.parcel["tracking_number"]) if record.parcel else None
    refund = ports.ledger.get(record.refund_id) if record.refund_id else None
    rows = closed_return_rows(record, outcome, closed_at, platform_of(shop_of(record.return_id), ports), order,
                              parcel, refund)
    ports.lake.publish_many(LAKE_ROW, rows)


def record_refund(refund: LedgerRecord, ports: Ports) -> None:
    shop = refund.marketplace or shop_of(refund.order_id)
    ports.lake.publish(LAKE_ROW, refund_row(refund, platform_of(shop, ports)))


def record_order(order: dict, shop: str, ordered_at: str, ports: Ports) -> None:
    ports.lake.publish_many(LAKE_ROW, order_line_rows(order, shop, platform_of(shop, ports), ordered_at))
