"""JD's side of `make run` and `make chaos`: buyers applying on the simulated JOS gateway (returns, an exchange, a
repair, cancellations of orders not yet shipped), JD finance paying (or failing to pay) the approved refunds; the
carrier scanning the return parcels and the warehouse holding and inspecting. Everything between is ours: the
poller finding the changes, the service orders audited, received and refunded through JOS as the store's operator."""

import random
from dataclasses import dataclass

from chalicelib.domain.tenancy import qualified
from localcloud.cloud import LocalCloud
from localcloud.taobao_traffic import relay_settled, relayed_until, scan_parcel, send_event, utc_now

# What buyers ask for, by share: returns (退货), an exchange (换货), a repair (维修: left to the store's people), and
# cancellations of orders not yet shipped (refund applications).
KINDS = ["return"] * 5 + ["cancel"] * 3 + ["exchange", "repair"]
QUESTIONS = [("尺码问题", "尺码不合适"), ("不想要了", "七天无理由"), ("商品不喜欢", "不喜欢")]


@dataclass
class JdCase:
    kind: str
    price: str
    question: tuple[str, str]
    order: str | None = None
    sku: str | None = None
    return_id: str | None = None


def jd_cases(count: int, seed: int = 20261204) -> list[JdCase]:
    rng = random.Random(seed)
    return [JdCase(kind=rng.choice(KINDS), price=f"{rng.randint(29, 499)}.{rng.choice(['00', '90'])}",
                   question=rng.choice(QUESTIONS)) for _ in range(count)]


def store_traffic(cloud: LocalCloud, shop: str, cases: list[JdCase], timeout: float) -> list[str]:
    """Play the cases in the store; the own ids of the requests that became returns of ours."""
    jd, vender = cloud.jd, cloud.jd_shops[shop]["vender_id"]
    for n, case in enumerate(cases):
        shipped = case.kind != "cancel"
        case.order = jd.add_order(vender, [{"price": case.price, "quantity": 1, "outer_sku_id": f"JD-{case.price}"}],
                                  state="FINISHED_L" if shipped else "WAIT_SELLER_STOCK_OUT", pin=f"jd_buyer_{n:03d}")
        case.sku = jd.order(case.order)["itemInfoList"][0]["skuId"]
        if case.kind == "cancel":
            case.return_id = f"refund-{jd.open_refund_application(case.order)}"
        else:
            expect = {"return": 10, "exchange": 20, "repair": 30}[case.kind]
            case.return_id = f"service-{jd.open_service(case.order, case.sku, customer_expect=expect, question=case.question)}"
    ours = [case for case in cases if case.kind != "repair"]
    statuses = relayed_until(cloud, shop, [case.return_id for case in ours], timeout)
    back = []
    for case in ours:
        status = statuses[qualified(shop, case.return_id)]
        if status == "awaiting_hold":
            send_event(cloud, "warehouse", {"event_id": f"hold-{case.return_id}", "type": "HoldShipmentAnswered",
                                            "shop": shop, "occurred_at": utc_now(),
                                            "data": {"return_id": case.return_id, "outcome": "held"}})
        elif status == "awaiting_parcel":
            waybill = f"SF7{case.return_id[-11:]}"
            jd.buyer_ships(case.return_id.removeprefix("service-"), "顺丰速运", waybill)
            back.append((case, waybill))
    relay_settled(cloud, timeout)
    for _, waybill in back:
        scan_parcel(cloud, waybill, "delivered")
    relay_settled(cloud, timeout)
    for case, _ in back:
        send_event(cloud, "warehouse", {
            "event_id": f"receipt-{case.return_id}", "type": "InspectionCompleted", "shop": shop, "occurred_at": utc_now(),
            "data": {"return_id": case.return_id, "items": [{"line_id": case.sku, "accepted": 1}]},
        })
    relayed_until(cloud, shop, [case.return_id for case in ours], timeout,
                  ("awaiting_hold", "awaiting_parcel", "awaiting_inspection"))
    relay_settled(cloud, timeout)
    return [case.return_id for case in ours]


def jd_refunds(cloud: LocalCloud) -> list[dict]:
    """Every refund JD finance paid (3) or JD forced (9), as the reconciliation compares them."""
    found = []
    for shop, store in cloud.jd_shops.items():
        for application in cloud.jd.refund_applications(store["vender_id"]):
            if application["status"] in (3, 9):
                found.append({"shop": shop, "marketplace_refund_id": str(application["id"]), "currency": "CNY",
                              "amount": f"{application['applyRefundSum']:.2f}"})
    return found
