"""Generic-format webhook payloads for tests."""

import json

from chalicelib.domain.signatures import sign


def order_upserted(order_id="TM-1001", event_id=None, status="delivered", **data) -> dict:
    return {
        "event_id": event_id or f"evt-order-{order_id}",
        "type": "OrderUpserted",
        "occurred_at": "2026-11-20T08:00:00Z",
        "data": {
            "order_id": order_id,
            "customer_id": "C-1",
            "currency": "CNY",
            "status": status,
            "paid_at": "2026-11-15T08:00:00Z",
            "shipped_at": "2026-11-16T08:00:00Z",
            "delivered_at": "2026-11-18T08:00:00Z",
            "shipping_fee": "12.00",
            "order_discount": "30.00",
            "lines": [
                {"line_id": "L1", "sku": "SHOE-42", "category": "footwear", "unit_price": "299.00", "quantity": 1},
                {"line_id": "L2", "sku": "SOCK-3P", "category": "apparel", "unit_price": "33.33", "quantity": 3,
                 "line_discount": "9.99"},
            ],
            **data,
        },
    }


def return_requested(return_id="RT-1", order_id="TM-1001", event_id=None, **data) -> dict:
    return {
        "event_id": event_id or f"evt-return-{return_id}",
        "type": "ReturnRequested",
        "occurred_at": "2026-11-20T09:00:00Z",
        "data": {
            "return_id": return_id,
            "order_id": order_id,
            "reason": "changed_mind",
            "items": [{"line_id": "L1", "quantity": 1}],
            **data,
        },
    }


# A parcel's scans as the carrier made them, and one of them as a generic TrackingUpdated event.
TIMELINE = [
    ("info_received", "2026-11-20T01:00:00Z"), ("in_transit", "2026-11-20T10:00:00Z"),
    ("out_for_delivery", "2026-11-21T00:05:00Z"), ("delivered", "2026-11-21T06:30:00Z"),
]


def checkpoint(status: str, at: str, return_id: str | None = None, number: str = "SF100") -> dict:
    data = {"carrier": "sf-express", "tracking_number": number, "status": status}
    if return_id:
        data["return_id"] = return_id
    return {"event_id": f"cp-{number}-{status}-{at}", "type": "TrackingUpdated", "occurred_at": at, "data": data}


def signed_headers(secret: bytes, body: bytes, timestamp: int) -> dict:
    return {
        "Content-Type": "application/json",
        "X-Aftersales-Timestamp": str(timestamp),
        "X-Aftersales-Signature": sign(secret, str(timestamp), body),
    }


def encode(payload: dict) -> bytes:
    return json.dumps(payload).encode()
