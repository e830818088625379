"""A JD notification (the poller's find: a service order or a refund application that changed) made into what it
means: the record read again from JOS, with its order, as canonical events and effects (translate.py).

A service order ("jd/service/<serviceId>") is read by its serviceId alone (the poller's notification names only it;
JD numbers service orders across its orders), then its order and, once it is past its audit, the buyer's parcel
back. A refund application ("jd/refund/<id>") is read with its order. JD's application names only the order, so
the return it pays is known by the ledger key our approval wrote in its remark: a service order's money is applied
to that service order's ledger record, never as a second refund. A repair (or any service JD offers besides a
return or an exchange) is no request of ours: it waits for the shop's people in JD's back office.
"""

import itertools
import re
from dataclasses import replace

from chalicelib.connectors.jd import translate
from chalicelib.connectors.jd.translate import REFUND_PREFIX, SERVICE_PREFIX
from chalicelib.connectors.marketplace import LeftInMarketplace, ParcelLinked
from chalicelib.domain.connections import JdConnection
from chalicelib.domain.events import SHOP_PATTERN, MarketplaceNotified
from chalicelib.domain.ledger import refund_id_for
from chalicelib.domain.tenancy import qualified
from chalicelib.ports.errors import HydrationFailed

ORDER_FIELDS = ("orderId,orderState,freightPrice,sellerDiscount,orderStartTime,paymentConfirmTime,orderEndTime,"
                "modified,pin,waybill,logisticsId,itemInfoList")
STANDING = frozenset({"requested", "open"})  # a request still to be decided or carried out
NO_PARCEL_YET = frozenset({"requested", "declined"})  # the buyer ships only after the approval
APPLICATION_PAGE = 50
_LEDGER_KEY = re.compile(rf"RF-({SHOP_PATTERN})\.((?:{SERVICE_PREFIX}|{REFUND_PREFIX})[0-9]{{1,20}})(?![0-9])")


def hydrate(notice: MarketplaceNotified, client, context: dict) -> list:
    kind, number = jd_resource(notice)
    if kind == "service":
        return _service_effects(client, number, notice.source, notice.received_at, context)
    return _application_effects(client, number, notice.source, notice.received_at, context)


def _service_effects(client, number: str, shop: str, at, context: dict) -> list:
    service = read_service(client, number)
    order = read_order(client, translate.jd_id(service.get("orderId"), f"the orderId of service order {number}"))
    effects: list = [translate.order_event(order, shop, at, context)]
    why = translate.not_ours(service)
    if why:
        return effects + [LeftInMarketplace(SERVICE_PREFIX + number, why)]
    seen = translate.service_status(service)
    freight = None if seen.status in NO_PARCEL_YET else read_freight(client, service)
    if seen.status in STANDING:
        request = translate.return_event(service, order, shop, at, context, freight)
        if request is not None:
            effects.append(request)
    version = service.get("sysVersion")
    effects.append(replace(seen, version=None if version is None else str(version)))
    parcel = translate.return_parcel(freight)
    if parcel:
        effects.append(ParcelLinked(seen.return_id, *parcel))
    return effects


def _application_effects(client, number: str, shop: str, at, context: dict) -> list:
    application = read_application(client, number)
    order = read_order(client, translate.jd_id(application.get("orderId"), f"the orderId of application {number}"))
    effects: list = [translate.order_event(order, shop, at, context)]
    money = translate.refund_effect(application)
    paying = paid_return(application, shop)
    if paying and money:
        money = replace(money, return_id=paying, note=refund_id_for(qualified(shop, paying)))
    if paying and paying != REFUND_PREFIX + number:
        return effects + ([money] if money else [])  # a service order's money: the service order is the request
    seen = translate.refund_status(application)
    if seen.status in STANDING:
        cancel = translate.cancel_event(application, order, shop, at, context)
        if cancel is not None:
            effects.append(cancel)
    effects.append(seen)
    return effects + ([money] if money else [])


def jd_resource(notice: MarketplaceNotified) -> tuple[str, str]:
    """("service", serviceId) or ("refund", the application's id) of a JD notification."""
    platform, kind, number = (notice.data.resource or "//").split("/", 2)
    if platform != "jd" or kind not in ("service", "refund") or not number.isdigit():
        raise HydrationFailed(
            f"a JD notification names no service order or refund application: {notice.data.resource!r}")
    return kind, number


def ledger_keys(application: dict) -> list[str]:
    """The ledger keys ("RF-<shop>.<return id>") our approvals wrote in the application's remark."""
    return [found.group(0) for found in _LEDGER_KEY.finditer(str(application.get("checkRemark") or ""))]


def paid_return(application: dict, shop: str) -> str | None:
    """The return of the shop (its own id) whose ledger key our approval wrote in the application's remark."""
    return next((found.group(2) for found in _LEDGER_KEY.finditer(str(application.get("checkRemark") or ""))
                 if found.group(1) == shop), None)


def operator(connection: JdConnection) -> dict:
    """Who the after-sales methods act as (JD checks buId against the token's store)."""
    who = connection.operator
    return {"buId": who.bu_id, "operatePin": who.pin, "operateNick": who.nick}


def read_service(client, service_id: str, order_id: str | None = None) -> dict:
    params = {**operator(client.connection), "serviceId": int(service_id)}
    if order_id:
        params["orderId"] = int(order_id)
    found = client.call("jingdong.asc.query.view", params).get("data")
    if not isinstance(found, dict):
        raise HydrationFailed(f"JD has no service order {service_id}")
    return found


def read_freight(client, service: dict) -> dict | None:
    """The buyer's parcel back (None before the buyer filled it in)."""
    found = client.call("jingdong.asc.freight.view", {
        **operator(client.connection), "serviceId": service["serviceId"], "orderId": service["orderId"],
    }).get("data")
    return found if isinstance(found, dict) else None


def read_order(client, order_id: str) -> dict:
    found = client.call("jingdong.pop.order.get", {"order_id": int(order_id), "optional_fields": ORDER_FIELDS})
    if not isinstance(found.get("orderInfo"), dict):
        raise HydrationFailed(f"JD has no order {order_id}")
    return found["orderInfo"]


def read_application(client, refund_id: str) -> dict:
    found = client.call("jingdong.pop.afs.soa.refundapply.queryPageList",
                        {"ids": refund_id, "pageIndex": 1, "pageSize": APPLICATION_PAGE})
    application = next((row for row in found.get("result") or [] if str(row.get("id")) == refund_id), None)
    if application is None:
        raise HydrationFailed(f"JD has no refund application {refund_id}")
    return application


def applications_of_order(client, order_id: str) -> list[dict]:
    """Every refund application of the order, oldest first."""
    applications: list[dict] = []
    for page in itertools.count(1):
        found = client.call("jingdong.pop.afs.soa.refundapply.queryPageList",
                            {"orderId": int(order_id), "pageIndex": page, "pageSize": APPLICATION_PAGE})
        rows = found.get("result") or []
        applications += rows
        total = found.get("totalCount")
        if len(rows) < APPLICATION_PAGE or (total is not None and len(applications) >= int(total)):
            break
    return applications
