"""Tenant-qualified ids: every record's key carries the shop it belongs to ("generic/RT-1"), and every event id
the source that sent it, so that no source can change, answer for or dedupe away another's records.

The edge qualifies each accepted event once; everything behind it keys on the qualified ids, and what goes out
(finance records, bus events, review items) names the shop and the shop's own id again. Shop names have no "/"
and a source's own ids none either, so the first "/" always separates the two.
"""

from chalicelib.domain.events import CanonicalEvent, TrackingUpdated

# The fields of an event's data that name a shop's records.
_RECORD_IDS = ("order_id", "customer_id", "return_id")


def qualified(shop: str, own_id: str) -> str:
    return f"{shop}/{own_id}"


def shop_of(key: str) -> str | None:
    shop, separator, _ = key.partition("/")
    return shop if separator else None


def own_id(key: str) -> str:
    """The id as its shop knows it (the whole text of an id that is not qualified)."""
    return key.partition("/")[2] or key


def qualify(event: CanonicalEvent, shop: str | None) -> CanonicalEvent:
    """The event as the records behind the edge know it: its id qualified by its source, its record ids by the
    shop it is about (`None` for tracking that names no return: a parcel is the carrier's, not a shop's)."""
    data = event.data
    if shop is not None:
        ids = {name: qualified(shop, getattr(data, name)) for name in _RECORD_IDS if getattr(data, name, None)}
        data = data.model_copy(update=ids)
    elif isinstance(event, TrackingUpdated):
        data = data.model_copy(update={"return_id": None})
    return event.model_copy(update={"event_id": qualified(event.source, event.event_id), "data": data})


def unqualified(record: dict) -> dict:
    """A record as it goes out: the shop's own ids, and the shop beside them."""
    out = dict(record)
    for name in _RECORD_IDS:
        if isinstance(out.get(name), str) and shop_of(out[name]):
            out.setdefault("shop", shop_of(out[name]))
            out[name] = own_id(out[name])
    return out
