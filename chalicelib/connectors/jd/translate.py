"""JD's records, as JOS answers them, turned into canonical events and effects (pure).

What is read (field names as JD's SDKs declare them):
- the order: jingdong.pop.order.get's `orderDetailInfo.orderInfo` (orderId, orderState, freightPrice,
  sellerDiscount, orderStartTime, paymentConfirmTime, orderEndTime, modified, pin, waybill, logisticsId,
  itemInfoList[skuId, outerSkuId, jdPrice, itemTotal]);
- the service order: jingdong.asc.query.view's `result.data` (ServiceBill: serviceId, orderId, customerExpect,
  serviceStatus, applyTime, questionTypeCid1Name/Cid2Name, questionDesc, questionPic,
  serviceBillDetailList[skuId, wareType, wareNum], wareChangeWithApplyDTO) or a jingdong.asc.sync.list row
  (ServiceBrief: skuId, serviceCount instead of the detail list); its return parcel from
  jingdong.asc.freight.view's `result.data` (expressCode, expressCompany);
- the refund application: a row of jingdong.pop.afs.soa.refundapply.queryPageList's `queryResult.result` (id,
  orderId, applyRefundSum, status, applyTime, checkTime, reason).

Ids are JD's numbers as text (JD's Longs exceed 2**53: the client reads them as exact ints; one through a float is
refused). Money is yuan, as text ("59.90", "90") or a JSON number the client read as Decimal (59.9), to exactly
two decimals ("59.905" is refused, and so is a float). Times are China time without a zone (or epoch milliseconds,
as Java's Date may come), turned to UTC. The order's lines are its skuIds (a sku twice: "<skuId>-2"). A shop's
return ids name what they come from, since JD numbers service orders and refund applications apart:
"service-<serviceId>" and "refund-<id>".
"""

import hashlib
import re
from datetime import datetime, timedelta, timezone

from chalicelib.connectors.china import carrier_of, fen_text, from_china_time, yuan_to_fen
from chalicelib.connectors.marketplace import MarketplaceRefunded, ReturnStatusSeen
from chalicelib.connectors.marketplace import MarketplaceRefundFailed as RefundFailed  # what status 4 proves
from chalicelib.connectors.translated import compact, order_upserted, validated
from chalicelib.domain.clock import iso_utc
from chalicelib.domain.events import (
    SOURCE_ID_PATTERN,
    OrderUpserted,
    ReturnRequested,
)
from chalicelib.ports.errors import HydrationFailed

CURRENCY = "CNY"
SERVICE_PREFIX, REFUND_PREFIX = "service-", "refund-"
RETURN, EXCHANGE, REPAIR = 10, 20, 30  # customerExpect
MAIN_WARE = 10  # a detail's wareType: the goods applied for (20 a gift, 30 an accessory, 40 the invoice, ...)

# JD's question types and our reasons (POLICY.md). JD's ids (questionTypeCid1/Cid2) are per category and shop; its
# names are what buyers chose, so the names decide: the second level's first (it is the more precise), then the
# first level's; the first row whose words the name contains wins, and nothing matched is "other".
REASONS: tuple[tuple[tuple[str, ...], str], ...] = (
    (("破损", "压坏", "运输"), "damaged_in_transit"),      # broken or crushed on the way
    (("少件", "漏发", "缺件", "少发", "配件"), "missing_parts"),  # parts or pieces missing
    (("发错", "错发"), "wrong_item"),                      # the wrong goods were sent
    (("不符",), "not_as_described"),                       # not as the listing says (与描述不符)
    (("质量", "故障", "瑕疵", "损坏", "性能"), "quality_issue"),  # quality, faults, defects
    (("尺码", "尺寸", "大小"), "wrong_size"),              # size
    (("不需要", "用不上"), "no_longer_needed"),            # no longer needed
    (("不想要", "无理由", "拍错", "拍多", "不喜欢"), "changed_mind"),  # changed mind, 7-day no-reason return
)

# orderState -> our order status. LOCKED (a cancellation pending) and POP_ORDER_PAUSE keep the goods where they
# are: shipped when the order has a waybill, else paid; a paid state without paymentConfirmTime is cash on delivery.
ORDER_STATUSES = {
    "WAIT_SELLER_STOCK_OUT": "paid", "WAIT_SELLER_DELIVERY": "paid", "LOCKED": "paid", "POP_ORDER_PAUSE": "paid",
    "WAIT_GOODS_RECEIVE_CONFIRM": "shipped", "FINISHED_L": "delivered", "TRADE_CANCELED": "cancelled",
}
_HELD_STATES = frozenset({"LOCKED", "POP_ORDER_PAUSE"})

# serviceStatus -> where the return stands (ReturnStatusSeen). JD's other steps (on-site work, dunning) are open.
SERVICE_STATUSES = {
    10000: "requested", 10001: "requested", 10002: "requested", 10012: "requested", 10013: "requested",
    10005: "open", 10006: "open", 10007: "open", 10009: "open", 10041: "open",
    10004: "declined", 10011: "canceled", 10010: "closed",
}
# A refund application's status (CONNECTORS.md) -> where the cancellation stands. 4 (JD finance failed to pay) is
# open: the money has not moved.
REFUND_STATUSES = {
    0: "requested", 1: "open", 6: "open", 4: "open", 2: "declined", 3: "closed", 9: "closed", 11: "canceled",
}
REFUNDED = frozenset({3, 9})  # refunded by JD finance; forced close and refund by JD: the only proofs money moved
REFUND_FAILED = 4

_DIGITS = re.compile(r"[0-9]{1,20}")
_ID = re.compile(SOURCE_ID_PATTERN)
_NOTE_LIMIT = 512
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def order_event(order: dict, shop: str, received_at, context: dict) -> OrderUpserted:
    number = jd_id(order.get("orderId"), "the order's orderId")
    state = order.get("orderState")
    waybill = _first_waybill(order.get("waybill"))
    status = _order_status(number, state, waybill, order.get("paymentConfirmTime"))
    logistics = order.get("logisticsId")
    carrier = f"jd-carrier-{jd_id(logistics, 'logisticsId')}" if waybill and logistics else None
    data = {
        "order_id": number,
        "customer_id": _customer(order.get("pin"), number),
        "currency": CURRENCY,
        "status": status,
        "paid_at": jd_time(order.get("paymentConfirmTime")),
        "delivered_at": jd_time(order.get("orderEndTime")) if status == "delivered" else None,
        "shipment": {"carrier": carrier, "tracking_number": waybill} if carrier and _ID.fullmatch(waybill) else None,
        "shipping_fee": yuan(order.get("freightPrice", "0")),
        "order_discount": yuan(order.get("sellerDiscount", "0")),
        "lines": [{"line_id": line_id, "sku": sku, "unit_price": yuan(item.get("jdPrice")), "quantity": quantity}
                  for line_id, sku, item, quantity in _lines(order, number)],
    }
    version = compact(order.get("modified")) or str(state)
    return order_upserted({
        "event_id": f"order-{number}-{version}", "source": shop,
        "occurred_at": jd_time(order.get("modified")) or jd_time(order.get("orderStartTime")),
        "received_at": received_at, "data": data,
    }, context, f"order {number}")


def not_ours(service: dict) -> str | None:
    """Why a service order is no return of ours (None: it is one). A repair, and JD's other services (installation,
    refund-only, compensation), go to a person in JD's back office: the caller flags the service order for one."""
    expect = _count(service.get("customerExpect"), "customerExpect")
    if expect in (RETURN, EXCHANGE):
        return None
    name = service.get("customerExpectName") or ("repair" if expect == REPAIR else "not a return or an exchange")
    return f"JD service order {service.get('serviceId')} asks for customerExpect {expect} ({name}): for a person at JD"


def return_event(
    service: dict, order: dict, shop: str, received_at, context: dict, freight: dict | None = None,
) -> ReturnRequested | None:
    """The buyer's return (customerExpect 10) or exchange (20) of lines of `order`; None for what `not_ours` names.
    `freight`: the service order's parcel (jingdong.asc.freight.view), once the buyer has shipped."""
    if not_ours(service):
        return None
    number = jd_id(service.get("serviceId"), "serviceId")
    order_number = _same_order(service, order, f"service order {number}")
    lines = {}
    for line_id, sku, item, _ in _lines(order, order_number):
        lines.setdefault(jd_id(item.get("skuId"), "skuId"), (line_id, sku, item))
    units = _service_units(service, number)
    missing = sorted(set(units) - set(lines))
    if missing:
        raise HydrationFailed(f"service order {number} names sku {', '.join(missing)}, not in order {order_number}")
    questions = (service.get("questionTypeCid2Name"), service.get("questionTypeCid1Name"))
    data = {
        "return_id": SERVICE_PREFIX + number, "order_id": order_number, "reason": reason_of(*questions),
        "items": [{"line_id": lines[sku_id][0], "quantity": quantity} for sku_id, quantity in units.items()],
    }
    if service.get("questionDesc"):
        data["note"] = str(service["questionDesc"])[:_NOTE_LIMIT]
    pictures = [url.strip() for url in str(service.get("questionPic") or "").split(",") if url.strip()]
    if pictures:
        data["evidence_urls"] = pictures[:20]
    parcel = return_parcel(freight)
    if parcel:
        data["shipment"] = {"carrier": parcel[0], "tracking_number": parcel[1]}
    if _count(service.get("customerExpect"), "customerExpect") == EXCHANGE:
        sku_id, quantity = next(iter(units.items()))
        data.update(resolution="exchange", replacement=_replacement(service, lines[sku_id], quantity))
    return validated(ReturnRequested, {
        "event_id": f"{data['return_id']}-requested", "source": shop, "occurred_at": jd_time(service.get("applyTime")),
        "received_at": received_at, "data": data,
    }, context, f"service order {number}")


def cancel_event(application: dict, order: dict, shop: str, received_at, context: dict) -> ReturnRequested | None:
    """A refund application (the buyer cancels a paid order, before or while it ships) as a refund-only request
    for all the order's lines (POLICY.md section 8: not shipped, the shipment held; shipped, the parcel
    intercepted); None once the order was delivered: the buyer's way back is then a service order."""
    number = jd_id(application.get("id"), "the refund application's id")
    order_number = _same_order(application, order, f"refund application {number}")
    if order.get("orderState") == "FINISHED_L":
        return None
    return validated(ReturnRequested, {
        "event_id": f"{REFUND_PREFIX}{number}-requested", "source": shop,
        "occurred_at": jd_time(application.get("applyTime")), "received_at": received_at,
        "data": {
            "return_id": REFUND_PREFIX + number, "order_id": order_number, "resolution": "refund_only",
            "reason": reason_of(application.get("reason")),
            "items": [{"line_id": line_id, "quantity": quantity}
                      for line_id, _, _, quantity in _lines(order, order_number)],
        },
    }, context, f"refund application {number}")


def refund_effect(application: dict, currency: str = CURRENCY) -> MarketplaceRefunded | RefundFailed | None:
    """What a refund application proves about money: refunded (3, 9), failed (4, for finance), or nothing yet."""
    status = _count(application.get("status"), "status")
    if status not in REFUNDED and status != REFUND_FAILED:
        return None
    number = jd_id(application.get("id"), "the refund application's id")
    order_number = jd_id(application.get("orderId"), "orderId")
    total = yuan(application.get("applyRefundSum"))
    at = jd_time(application.get("checkTime")) or jd_time(application.get("applyTime"))
    if at is None:
        raise HydrationFailed(f"refund application {number} has neither checkTime nor applyTime")
    if status == REFUND_FAILED:
        return RefundFailed(
            refund_ref=number, order_id=order_number, return_id=REFUND_PREFIX + number, currency=currency, total=total,
            reason=f"JD finance failed to pay refund application {number} of order {order_number} (status 4)",
            at=iso_utc(at),
        )
    return MarketplaceRefunded(
        refund_ref=number, order_id=order_number, return_id=REFUND_PREFIX + number, currency=currency, total=total,
        units={}, created_at=iso_utc(at),
    )


def service_status(service: dict) -> ReturnStatusSeen:
    number = jd_id(service.get("serviceId"), "serviceId")
    status = _count(service.get("serviceStatus"), "serviceStatus")
    return ReturnStatusSeen(SERVICE_PREFIX + number, SERVICE_STATUSES.get(status, "open"))


def refund_status(application: dict) -> ReturnStatusSeen:
    number = jd_id(application.get("id"), "the refund application's id")
    status = _count(application.get("status"), "status")
    if status not in REFUND_STATUSES:
        raise HydrationFailed(f"refund application {number} has status {status}, which JD does not document")
    return ReturnStatusSeen(REFUND_PREFIX + number, REFUND_STATUSES[status])


def jd_object(return_id: str) -> tuple[str, str]:
    """Which JD record a return id of ours is: ("service", serviceId) or ("refund", the application's id)."""
    for kind, prefix in (("service", SERVICE_PREFIX), ("refund", REFUND_PREFIX)):
        number = return_id.removeprefix(prefix)
        if number != return_id and _DIGITS.fullmatch(number):
            return kind, number
    raise ValueError(f"{return_id!r} is not a JD return id (service-<serviceId> or refund-<id>)")


def reason_of(*names: object) -> str:
    """Our reason for JD's question-type names, the most precise first (REASONS)."""
    for name in names:
        if not isinstance(name, str):
            continue
        for words, reason in REASONS:
            if any(word in name for word in words):
                return reason
    return "other"


def return_parcel(freight: dict | None) -> tuple[str, str] | None:
    """The buyer's parcel back (freight.view): our carrier id (connectors/china.py's, by the company's name) and
    the waybill; None before it has both."""
    freight = freight or {}
    company = freight.get("expressCompany")
    carrier = carrier_of(company) if isinstance(company, str) else None
    waybill = _first_waybill(freight.get("expressCode"))
    return (carrier, waybill) if carrier and waybill and _ID.fullmatch(waybill) else None


def yuan(value: object) -> str:
    """A JD amount in yuan as our two-decimal text: "59.9", 59.9 (Decimal) and "59.90" are "59.90"; a float, a
    negative amount or one with part of a fen is refused."""
    if isinstance(value, float):
        raise HydrationFailed(f"the amount {value!r} came as a float: read JD's JSON with parse_float=Decimal")
    try:
        return fen_text(yuan_to_fen(value))
    except ValueError as error:
        raise HydrationFailed(str(error)) from None


def jd_time(value: object) -> datetime | None:
    """A JD time (China time "yyyy-MM-dd HH:mm:ss", or epoch milliseconds) in UTC; None for none."""
    if value is None or value == "":
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return _EPOCH + timedelta(milliseconds=value)
    try:
        return from_china_time(value)
    except ValueError:
        raise HydrationFailed(f"{value!r} is not a JD time (yyyy-MM-dd HH:mm:ss, China time)") from None


def jd_id(value: object, what: str) -> str:
    """A JD id (a Long: a JSON number read exactly, or its digits) as text; through a float it may have lost digits."""
    text = str(value) if isinstance(value, int) and not isinstance(value, bool) else value
    if not isinstance(text, str) or not _DIGITS.fullmatch(text):
        raise HydrationFailed(f"{what} {value!r} is not a JD id")
    return text


def _lines(order: dict, number: str):
    """(line_id, sku, item, quantity) of each item the order has some of."""
    seen: dict[str, int] = {}
    for item in order.get("itemInfoList") or []:
        quantity = _count(item.get("itemTotal"), "itemTotal")
        if not quantity:
            continue
        sku_id = jd_id(item.get("skuId"), f"a skuId of order {number}")
        seen[sku_id] = seen.get(sku_id, 0) + 1
        line_id = sku_id if seen[sku_id] == 1 else f"{sku_id}-{seen[sku_id]}"
        sku = str(item.get("outerSkuId") or "").strip()[:128] or sku_id
        yield line_id, sku, item, quantity


def _service_units(service: dict, number: str) -> dict[str, int]:
    """{skuId: units} of the goods applied for: the detail list's main goods, else the row's skuId and serviceCount."""
    units: dict[str, int] = {}
    for detail in service.get("serviceBillDetailList") or []:
        if _count(detail.get("wareType") or MAIN_WARE, "wareType") == MAIN_WARE:
            sku_id = jd_id(detail.get("skuId"), f"a skuId of service order {number}")
            units[sku_id] = units.get(sku_id, 0) + _count(detail.get("wareNum", 1), "wareNum")
    if not units and service.get("skuId") is not None:
        units[jd_id(service["skuId"], "skuId")] = _count(service.get("serviceCount", 1), "serviceCount")
    units = {sku_id: quantity for sku_id, quantity in units.items() if quantity}
    if not units:
        raise HydrationFailed(f"service order {number} names no goods")
    return units


def _replacement(service: dict, line: tuple[str, str, dict], quantity: int) -> dict:
    """What the buyer gets instead: the sku JD names in wareChangeWithApplyDTO at its price, else the same goods
    at the order's price (our sku, or JD's skuId when ours cannot be an id)."""
    change = service.get("wareChangeWithApplyDTO") or {}
    _, sku, item = line
    if change.get("changeWareSku") is not None and str(change["changeWareSku"]) != str(item.get("skuId")):
        return {"sku": jd_id(change["changeWareSku"], "changeWareSku"),
                "unit_price": yuan(change.get("changeWarePrice")), "quantity": quantity}
    return {"sku": sku if _ID.fullmatch(sku) else jd_id(item.get("skuId"), "skuId"),
            "unit_price": yuan(item.get("jdPrice")), "quantity": quantity}


def _same_order(record: dict, order: dict, what: str) -> str:
    order_number = jd_id(record.get("orderId"), f"the orderId of {what}")
    if jd_id(order.get("orderId"), "the order's orderId") != order_number:
        raise HydrationFailed(f"{what} is of order {order_number}, not of order {order.get('orderId')}")
    return order_number


def _order_status(number: str, state: object, waybill: str | None, paid: object) -> str:
    if state not in ORDER_STATUSES:
        raise HydrationFailed(f"order {number} is {state!r}, an orderState we do not know")
    status = ORDER_STATUSES[state]
    if state in _HELD_STATES and waybill:
        return "shipped"
    return "pending_payment" if status == "paid" and not paid else status


def _customer(pin: object, number: str) -> str:
    """The buyer's pin when it can be an id of ours; else (a Chinese pin, say) a digest of it, the same each time."""
    if not isinstance(pin, str) or not pin:
        return f"guest-{number}"
    return pin if _ID.fullmatch(pin) else "pin-" + hashlib.sha256(pin.encode()).hexdigest()[:32]


def _first_waybill(value: object) -> str | None:
    """JD lists several waybills of one order with commas: the first."""
    first = str(value or "").split(",")[0].strip()
    return first or None


def _count(value: object, what: str) -> int:
    """A count or code JD writes as a number or as its digits."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and _DIGITS.fullmatch(value.strip()):
        return int(value)
    raise HydrationFailed(f"{what} {value!r} is not a number")
