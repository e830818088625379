"""Seeded, realistic traffic for `make run`: marketplace orders, returns and cancellations, the carriers'
tracking pushes in their three styles, the warehouse's receipts; some delivered twice and some out of order."""

import random
from dataclasses import dataclass, field

from chalicelib.domain.money import CURRENCY_EXPONENTS, format_minor, parse_minor

MARKET_CURRENCIES = ["CNY"] * 6 + ["USD"] * 2 + ["EUR", "JPY"]
SELLER_FAULT = ["quality_issue", "not_as_described", "wrong_item", "damaged_in_transit", "missing_parts"]
BUYER_FAULT = ["changed_mind", "wrong_size", "no_longer_needed", "other"]
CATEGORIES = ["apparel"] * 3 + ["footwear", "electronics", "home", "beauty", "perishable"]


@dataclass
class Case:
    """One return: its events in the order they happen, and the ones after which its refund is due."""

    return_id: str
    order: dict
    events: list[dict] = field(default_factory=list)
    last_needed: str | None = None  # event id after which the refund can be issued


def sample_cases(count: int, seed: int = 20261122) -> list[Case]:
    rng = random.Random(seed)
    return [_case(rng, i) for i in range(1, count + 1)]


def _case(rng: random.Random, i: int) -> Case:
    order_id, return_id = f"TM-{100000 + i}", f"RT-{100000 + i}"
    currency = rng.choice(MARKET_CURRENCIES)
    exponent = CURRENCY_EXPONENTS[currency]
    scale = 10**exponent if exponent else 100

    def money(units: int) -> str:
        return format_minor(units, exponent)

    lines = [
        {"line_id": f"L{n}", "sku": f"SKU-{rng.randint(1000, 9999)}", "category": rng.choice(CATEGORIES),
         "unit_price": money(rng.randint(5, 600) * scale + rng.randint(0, 99) * (scale // 100)),
         "quantity": rng.choices([1, 2, 3], weights=[70, 20, 10])[0]}
        for n in range(1, rng.choices([1, 2, 3], weights=[60, 30, 10])[0] + 1)
    ]
    kind = rng.choices(["return", "cancel", "late", "unknown_order", "in_transit"], weights=[72, 12, 8, 3, 5])[0]
    status = {"cancel": "paid", "in_transit": "shipped"}.get(kind, "delivered")
    order = {
        # One serial returner among them: their fifth request within 30 days goes to review.
        "order_id": order_id, "customer_id": "C-SERIAL" if rng.random() < 0.04 else f"C-{rng.randint(1, 400)}",
        "currency": currency, "status": status,
        "paid_at": "2026-11-10T08:00:00Z", "shipping_fee": money(rng.choice([0, 6, 10, 12]) * scale),
        "lines": lines,
    }
    if status != "paid":
        order["shipped_at"] = "2026-11-11T08:00:00Z"
    if status == "delivered":
        order["delivered_at"] = "2026-11-14T08:00:00Z"
    case = Case(return_id, order)
    items = [{"line_id": line["line_id"], "quantity": rng.randint(1, line["quantity"])}
             for line in lines if rng.random() < 0.7] or [{"line_id": "L1", "quantity": 1}]
    reason = rng.choice(SELLER_FAULT if rng.random() < 0.45 else BUYER_FAULT)
    requested_at = "2026-11-25T09:00:00Z" if kind == "late" else "2026-11-19T09:00:00Z"
    if kind == "cancel":
        case.events.append(_event(f"cx-{return_id}", "CancelRequested", requested_at,
                                  {"return_id": return_id, "order_id": order_id, "reason": reason, "items": items}))
        # The warehouse holds the shipment, or it had already left and comes back as a return.
        shipped = rng.random() < 0.15
        case.events.append(_event(f"ha-{return_id}", "HoldShipmentAnswered", "2026-11-19T10:00:00Z",
                                  {"return_id": return_id, "outcome": "already_shipped" if shipped else "held"}))
        case.last_needed = case.events[-1]["event_id"]
        if not shipped:
            return case
    else:
        request = {"return_id": return_id, "order_id": "TM-000000" if kind == "unknown_order" else order_id,
                   "reason": reason, "items": items}
        photos = [f"https://img.example.com/{return_id}/{n}.jpg" for n in range(rng.randint(1, 3))]
        late_photos = False
        if reason in SELLER_FAULT:
            if rng.random() < 0.85:
                request["evidence_urls"] = photos
            else:
                late_photos = rng.random() < 0.6  # the others never send any: they wait for a person
        if reason in ("wrong_size", "not_as_described") and rng.random() < 0.5:
            # An exchange for another size or model, a little cheaper or dearer than what comes back.
            first = lines[0]
            price = parse_minor(first["unit_price"], exponent) * rng.choice([80, 100, 120]) // 100
            request["resolution"] = "exchange"
            request["replacement"] = {"sku": f"{first['sku']}-X", "unit_price": money(price), "quantity": 1}
        if rng.random() < 0.4:
            request["return_shipping_paid"] = money(rng.choice([8, 12, 15, 40]) * scale)
        case.events.append(_event(f"rr-{return_id}", "ReturnRequested", requested_at, request))
        if late_photos:
            case.events.append(_event(f"ev-{return_id}", "EvidenceAdded", "2026-11-19T12:00:00Z",
                                      {"return_id": return_id, "evidence_urls": photos}))
        if kind in ("late", "unknown_order"):
            return case
    style = CARRIER_STYLES_IN_USE[i % len(CARRIER_STYLES_IN_USE)]
    case.events += _carrier_pushes(style, return_id, f"{style[:2].upper()}{900000 + i}")
    inspected = []
    for item in items:
        accepted = item["quantity"] if rng.random() < 0.85 else rng.randint(0, item["quantity"])
        deductions = ([{"code": "missing_accessory", "amount": money(rng.randint(1, 5) * scale)}]
                      if accepted and rng.random() < 0.1 else [])
        inspected.append({"line_id": item["line_id"], "accepted": accepted, "deductions": deductions})
    receipt = {"receipt_id": f"wr-{return_id}", "shop": "generic", "return_id": return_id, "inspected_at": "2026-11-22T10:00:00Z",
               "lines": inspected}
    case.events.append(_delivery("warehouse", receipt["receipt_id"], receipt))
    case.last_needed = receipt["receipt_id"]
    return case


# The parcel's two checkpoints, as each carrier style pushes them: the timeline so far, every time.
CARRIER_STYLES_IN_USE = ["aftership", "17track", "sf-express"]
_CHECKPOINTS = [("in_transit", "2026-11-20T10:00:00Z"), ("delivered", "2026-11-21T10:00:00Z")]
_AGGREGATOR_TAGS = {"in_transit": "InTransit", "delivered": "Delivered"}
_ROUTE_CODES = {"in_transit": "30", "delivered": "80"}
_CHINA_TIME = {"2026-11-20T10:00:00Z": "2026-11-20 18:00:00", "2026-11-21T10:00:00Z": "2026-11-21 18:00:00"}


def _carrier_pushes(style: str, return_id: str, number: str) -> list[dict]:
    pushes = []
    for n in range(1, len(_CHECKPOINTS) + 1):
        timeline = _CHECKPOINTS[:n]
        if style == "aftership":
            body = {"event": "tracking_update", "msg": {
                "tracking_number": number, "slug": "ups", "custom_fields": {"return_id": return_id},
                "checkpoints": [{"checkpoint_time": at, "tag": _AGGREGATOR_TAGS[status], "message": status}
                                for status, at in timeline]}}
        elif style == "17track":
            body = {"event": "TRACKING_UPDATED", "data": {
                "number": number, "carrier": 190012, "tag": return_id, "track_info": {"tracking": {"providers": [
                    {"events": [{"time_utc": at, "stage": _AGGREGATOR_TAGS[status], "description": status}
                                for status, at in reversed(timeline)]}]}}}}
        else:
            body = {"waybillNo": number, "orderId": return_id, "routes": [
                {"acceptTime": _CHINA_TIME[at], "opCode": _ROUTE_CODES[status], "acceptAddress": "杭州市"}
                for status, at in timeline]}
        pushes.append(_delivery(style, f"{style}-{number}-{n}", body))
    return pushes


def _delivery(channel: str, key: str, body: dict) -> dict:
    """A webhook for a channel of its own (a carrier, the warehouse); `event_id` names it for the report."""
    return {"channel": channel, "event_id": key, "body": body}


def _event(event_id: str, event_type: str, occurred_at: str, data: dict) -> dict:
    return {"event_id": event_id, "type": event_type, "occurred_at": occurred_at, "data": data}


def deliveries(
    cases: list[Case], seed: int = 20261122, duplicate_rate: float = 0.1, window: int = 8, max_copies: int = 2,
) -> list[dict]:
    """Every case's events, a share of them delivered again (up to `max_copies` times in all), shuffled within a
    sliding window so some arrive out of order.

    A return's request stays before its own tracking and inspection only by
    chance: the workflow must cope with either order.
    """
    rng = random.Random(seed + 1)
    stream = []
    for case in cases:
        for event in case.events:
            stream.append(event)
            if rng.random() < duplicate_rate:
                stream += [event] * (rng.randint(1, max_copies - 1) if max_copies > 2 else 1)
    for start in range(0, len(stream), window):
        chunk = stream[start:start + window]
        rng.shuffle(chunk)
        stream[start:start + window] = chunk
    return stream
