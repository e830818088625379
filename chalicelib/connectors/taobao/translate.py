"""Taobao's and Tmall's records, as TOP answers them (taobao.trade.fullinfo.get, taobao.refund.get), turned into
canonical events and effects (pure).

Ids are TOP's numbers as text (tid, oid, refund_id exceed 2^53; the client reads them as integers, never floats);
a sub-order (`oid`) is an order line and a refund (`refund_id`) is a request. Amounts are yuan strings, made fen
exactly. Times are China time without a zone, made UTC. What a refund asks for is its `dispute_type`:

| dispute_type | the goods | our request |
|---|---|---|
| REFUND | | ReturnRequested, resolution refund_only (POLICY.md section 8): not shipped, the shipment held, then refunded; shipped, the parcel intercepted |
| REFUND_AND_RETURN | | ReturnRequested, resolution refund: the parcel comes back |
| TMALL_EXCHANGE | | ReturnRequested, resolution exchange: the parcel comes back, the replacement (`exchange_sku`) goes out |

A Tmall exchange is a refund whose dispute_id is its refund_id; what it stands at and what it swaps are read from
tmall.exchange.get (`exchange_event`). Tmall swaps like for like: the replacement is worth whatever the goods sent
back are (`like_for_like`; its unit_price is what the buyer paid per unit), so it refunds nothing and asks for
nothing. Other dispute types (RESHIPPING, ...) are not
requests we answer: people do, in the back office.
"""

import re
from datetime import datetime

from chalicelib.connectors.china import carrier_of, fen_text, from_china_time, yuan_to_fen
from chalicelib.connectors.marketplace import MarketplaceRefunded, ParcelLinked, ReturnStatusSeen
from chalicelib.connectors.translated import compact, order_upserted, validated
from chalicelib.domain.clock import iso_utc
from chalicelib.domain.events import SOURCE_ID_PATTERN, OrderUpserted, ReturnRequested
from chalicelib.ports.errors import HydrationFailed

CURRENCY = "CNY"
# Buyers pick a reason from Taobao's list (its text varies by category and year); the first phrase found in it
# decides, in this order (a "质量问题" reason that also says "尺码" is a quality claim).
REASONS = (
    ("破损", "damaged_in_transit"), ("压坏", "damaged_in_transit"),
    ("质量", "quality_issue"), ("做工", "quality_issue"), ("瑕疵", "quality_issue"), ("假货", "not_as_described"),
    ("与描述不符", "not_as_described"), ("描述不符", "not_as_described"), ("色差", "not_as_described"),
    ("发错", "wrong_item"), ("错发", "wrong_item"),
    ("少件", "missing_parts"), ("漏发", "missing_parts"), ("缺件", "missing_parts"),
    ("尺码", "wrong_size"), ("尺寸", "wrong_size"), ("大小", "wrong_size"),
    ("不想要", "no_longer_needed"), ("拍错", "no_longer_needed"), ("多拍", "no_longer_needed"), ("不需要", "no_longer_needed"),
    ("七天无理由", "changed_mind"), ("7天无理由", "changed_mind"), ("不喜欢", "changed_mind"), ("效果不好", "changed_mind"),
)
# Trade statuses: not paid, paid and waiting to ship, shipped, received.
_NOT_PAID = frozenset({"TRADE_NO_CREATE_PAY", "WAIT_BUYER_PAY", "PAY_PENDING", "WAIT_PRE_AUTH_CONFIRM"})
_NOT_SHIPPED = frozenset({"WAIT_SELLER_SEND_GOODS", "PAID_FORBID_CONSIGN"})
_RECEIVED = frozenset({"TRADE_BUYER_SIGNED", "TRADE_FINISHED"})
# Refund statuses in which the request stands. Not CLOSED (the buyer withdrew it, or it ended without money), nor
# SUCCESS: a request first heard of refunded was answered by Taobao itself (fast refund, timeout agree), and all
# there is to keep of it is the money (refund_effect), not a request to decide.
STANDING = frozenset({"WAIT_SELLER_AGREE", "WAIT_BUYER_RETURN_GOODS", "WAIT_SELLER_CONFIRM_GOODS", "SELLER_REFUSE_BUYER"})
EXCHANGE = "TMALL_EXCHANGE"
# tmall.exchange.get writes an exchange's status as text: our name for each, and those in which the request stands.
EXCHANGE_STATUSES = {
    "换货待处理": "wait_seller_agree", "待买家退货": "wait_buyer_return_goods", "买家已退货，待收货": "wait_seller_confirm_goods",
    "待买家修改": "seller_refuse_buyer", "待发出换货商品": "wait_seller_send_goods", "待买家收货": "wait_buyer_confirm_goods",
    "换货成功": "exchanged", "换货关闭": "closed", "请退款": "refund_asked",
}
EXCHANGE_STANDING = frozenset({"换货待处理", "待买家退货", "买家已退货，待收货", "待买家修改"})
_NOTE_LIMIT = 512
_SKU_ID = re.compile(SOURCE_ID_PATTERN)


def lines_of(trade: dict) -> list[dict]:
    """A trade's sub-orders: TOP wraps lists ({"orders": {"order": [...]}}) unless asked to simplify."""
    return listed(trade.get("orders"), "order")


def listed(value: object, name: str) -> list[dict]:
    if isinstance(value, dict):
        value = value.get(name)
    return [item for item in value or [] if isinstance(item, dict)] if isinstance(value, list) else []


def order_event(trade: dict, shop: str, received_at: datetime, context: dict) -> OrderUpserted:
    tid = number(trade, "tid")
    status = str(trade.get("status"))
    post_fee = _fen(trade.get("post_fee", "0"), f"trade {tid}'s post_fee")
    lines = []
    for line in lines_of(trade):
        oid, units, price, paid = _line_amounts(trade, line)
        sku = str(line.get("outer_sku_id") or line.get("sku_id") or "") or None
        lines.append({
            "line_id": oid, "quantity": units, "unit_price": fen_text(price),
            # What the buyer paid for the line is after its own discounts and its share of the trade's.
            "line_discount": fen_text(max(price * units - paid, 0)), **({"sku": sku} if sku else {}),
        })
    if not lines:
        raise HydrationFailed(f"trade {tid} has no sub-orders")
    paid_at, shipped_at, finished_at = (_time(trade.get(name)) for name in ("pay_time", "consign_time", "end_time"))
    shipment = _outbound_parcel(trade)
    data = {
        "order_id": tid,
        "customer_id": str(trade.get("buyer_open_uid") or trade.get("buyer_nick") or f"guest-{tid}"),
        "currency": CURRENCY,
        "status": _order_status(status, paid_at, shipped_at or (shipment and "shipped")),
        "paid_at": paid_at, "shipped_at": shipped_at,
        "delivered_at": finished_at if status in _RECEIVED else None,
        "shipment": shipment,
        "payment_ref": str(trade.get("alipay_no") or tid),
        "shipping_fee": fen_text(post_fee),
        "lines": lines,
    }
    return order_upserted({
        "event_id": f"trade-{tid}-{compact(trade.get('modified') or trade.get('created'))}", "source": shop,
        "occurred_at": _time(trade.get("modified") or trade.get("created")) or received_at,
        "received_at": received_at, "data": data,
    }, context, f"trade {tid}")


def request_event(refund: dict, trade: dict, shop: str, received_at: datetime, context: dict):
    """The request a refund makes (module docstring), under an id that is the same however often it is read; None
    for a dispute type we do not answer."""
    refund_id, tid = number(refund, "refund_id"), number(refund, "tid")
    kind = refund.get("dispute_type") or ("REFUND_AND_RETURN" if refund.get("has_good_return") else "REFUND")
    line = _line_of(refund, trade)
    units = refund.get("num") if isinstance(refund.get("num"), int) and refund.get("num") > 0 else line.get("num")
    items = [{"line_id": number(line, "oid"), "quantity": units}]
    reason = reason_of(refund.get("reason"))
    fields = {"event_id": f"refund-{refund_id}-requested", "source": shop,
              "occurred_at": _time(refund.get("created")) or received_at, "received_at": received_at}
    data: dict = {"return_id": refund_id, "order_id": tid, "reason": reason, "items": items}
    if kind == "REFUND":
        data["resolution"] = "refund_only"
    elif kind != "REFUND_AND_RETURN":
        return None
    note = "; ".join(str(text) for text in (refund.get("reason"), refund.get("desc")) if text)
    if note:
        data["note"] = note[:_NOTE_LIMIT]
    parcel = return_parcel(refund)
    if parcel and kind != "REFUND":
        data["shipment"] = {"carrier": parcel[0], "tracking_number": parcel[1]}
    return validated(ReturnRequested, {**fields, "data": data}, context, f"refund {refund_id}")


def exchange_event(refund: dict, exchange: dict, trade: dict, shop: str, received_at: datetime, context: dict):
    """The request a Tmall exchange makes: its refund's (request_event) with the replacement the buyer chose, at
    what the buyer paid per unit of the goods sent back; None when its exchange_sku is no id we can send on."""
    request = request_event({**refund, "dispute_type": "REFUND_AND_RETURN"}, trade, shop, received_at, context)
    sku = str(exchange.get("exchange_sku") or "")
    if not _SKU_ID.fullmatch(sku):
        return None
    _, bought, _, paid = _line_amounts(trade, _line_of(refund, trade))
    data = {**request.data.model_dump(mode="json", exclude_none=True), "resolution": "exchange", "replacement": {
        "sku": sku, "unit_price": fen_text(paid // bought), "quantity": request.data.items[0].quantity,
        "like_for_like": True}}
    parcel = exchange_parcel(exchange)
    if parcel:
        data["shipment"] = {"carrier": parcel[0], "tracking_number": parcel[1]}
    return validated(ReturnRequested, {**request.model_dump(mode="json", exclude={"data", "type"}), "data": data},
                     context, f"exchange {request.data.return_id}")


def exchange_standing(refund: dict, exchange: dict) -> ReturnStatusSeen:
    status = str(exchange.get("status"))
    deadline = _time(exchange.get("time_out"))
    version = exchange.get("refund_version") or refund.get("refund_version")
    return ReturnStatusSeen(number(refund, "refund_id"), EXCHANGE_STATUSES.get(status, "unknown"),
                            str(version) if version is not None else None, iso_utc(deadline) if deadline else None)


def exchange_parcel(exchange: dict) -> tuple[str, str] | None:
    """The goods the buyer sent back on an exchange: `buyer_logistic_name` and `buyer_logistic_no`."""
    return return_parcel({"company_name": exchange.get("buyer_logistic_name"), "sid": exchange.get("buyer_logistic_no")})


def standing(refund: dict) -> ReturnStatusSeen:
    """Where the refund stands in Taobao, its refund_version (every write names it) and the platform's deadline."""
    timeout = refund.get("refund_remind_timeout") or {}
    deadline = _time(timeout.get("timeout")) if isinstance(timeout, dict) and timeout.get("exist_timeout") is not False else None
    version = refund.get("refund_version")
    return ReturnStatusSeen(
        number(refund, "refund_id"), str(refund.get("status")).lower(),
        str(version) if version is not None else None, iso_utc(deadline) if deadline else None,
    )


def parcel_link(refund: dict) -> ParcelLinked | None:
    parcel = return_parcel(refund)
    return ParcelLinked(number(refund, "refund_id"), *parcel) if parcel else None


def return_parcel(refund: dict) -> tuple[str, str] | None:
    """The return parcel the buyer sent (RefundBuyerReturnGoods): its company and waybill (`sid`)."""
    carrier, waybill = carrier_of(str(refund.get("company_name") or "")), str(refund.get("sid") or "").strip()
    return (carrier, waybill) if carrier and waybill else None


def refund_effect(refund: dict, trade: dict) -> MarketplaceRefunded | None:
    """A refund that succeeded: the money moved, by our agree or by Taobao itself (fast refund, timeout agree). An
    exchange that succeeded moved goods, not money."""
    if refund.get("status") != "SUCCESS" or refund.get("dispute_type") == EXCHANGE:
        return None
    refund_id = number(refund, "refund_id")
    units = refund.get("num") if isinstance(refund.get("num"), int) and refund.get("num") > 0 else None
    line = _line_of(refund, trade)
    return MarketplaceRefunded(
        refund_ref=refund_id, order_id=number(refund, "tid"), return_id=refund_id, currency=CURRENCY,
        total=fen_text(_fen(refund.get("refund_fee"), f"refund {refund_id}'s refund_fee")),
        units={number(line, "oid"): units or line.get("num") or 1},
        created_at=iso_utc(_time(refund.get("modified")) or _time(refund.get("created"))),
    )


def reason_of(text: object) -> str:
    text = str(text or "")
    return next((reason for phrase, reason in REASONS if phrase in text), "other")


def number(record: dict, field: str) -> str:
    value = record.get(field)
    if isinstance(value, bool) or not isinstance(value, (int, str)) or not str(value).isdigit():
        raise HydrationFailed(f"Taobao answered without a {field} (or a {field} that is not a number): {value!r}")
    return str(value)


def _line_of(refund: dict, trade: dict) -> dict:
    oid = number(refund, "oid")
    for line in lines_of(trade):
        if str(line.get("oid")) == oid:
            return line
    raise HydrationFailed(f"refund {refund.get('refund_id')} is for sub-order {oid}, which trade {trade.get('tid')} does not have")


def _order_status(status: str, paid_at, shipped) -> str:
    if status in _NOT_PAID:
        return "pending_payment"
    if status == "TRADE_CLOSED_BY_TAOBAO" or (status == "TRADE_CLOSED" and not paid_at):
        return "cancelled"
    if status in _RECEIVED:
        return "delivered"
    return "shipped" if shipped and status not in _NOT_SHIPPED else "paid"


def _outbound_parcel(trade: dict) -> dict | None:
    for line in lines_of(trade):
        carrier = carrier_of(str(line.get("logistics_company") or ""))
        waybill = str(line.get("invoice_no") or "").strip()
        if carrier and waybill:
            return {"carrier": carrier, "tracking_number": waybill}
    return None


def _line_amounts(trade: dict, line: dict) -> tuple[str, int, int, int]:
    """A sub-order's oid, units, unit price and what its buyer paid for it (fen)."""
    oid, units = number(line, "oid"), line.get("num")
    if not isinstance(units, int) or units < 1:
        raise HydrationFailed(f"sub-order {oid} of trade {trade.get('tid')} has no units ({units!r})")
    price = _fen(line.get("price"), f"sub-order {oid}'s price")
    post_fee = _fen(trade.get("post_fee", "0"), f"trade {trade.get('tid')}'s post_fee") if len(lines_of(trade)) == 1 else 0
    return oid, units, price, _paid_for(line, price * units, post_fee, oid)


def _paid_for(line: dict, listed: int, post_fee: int, oid: str) -> int:
    """What the buyer paid for a sub-order, after every discount: `divide_order_fee` (the trade's discounts shared
    out), else `payment`, which TOP writes without the trade's shared discounts and, for a trade of one sub-order,
    as the trade's payment: with its post fee, taken off here."""
    if line.get("divide_order_fee") not in (None, ""):
        return _fen(line["divide_order_fee"], f"sub-order {oid}'s divide_order_fee")
    if line.get("payment") in (None, ""):
        return listed
    return max(_fen(line["payment"], f"sub-order {oid}'s payment") - post_fee, 0)


def _fen(value: object, what: str) -> int:
    try:
        return yuan_to_fen(value)
    except ValueError as error:
        raise HydrationFailed(f"{what}: {error}") from None


def _time(value: object) -> datetime | None:
    if value in (None, ""):
        return None
    try:
        return from_china_time(value)
    except ValueError:
        raise HydrationFailed(f"{value!r} is not a time as Taobao writes them (yyyy-MM-dd HH:mm:ss)") from None
