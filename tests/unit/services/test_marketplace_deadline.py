"""A marketplace that acts by itself at its own deadline (Taobao's refund_remind_timeout) is beaten to it: a return
waiting on a person is due, and escalated by the SLA sweep, well before it."""

from datetime import datetime, timezone

from chalicelib.adapters.memory import MemoryMarketplaces, memory_ports
from chalicelib.connectors.marketplace import ReturnStatusSeen
from chalicelib.domain.events import MarketplaceNotified
from chalicelib.domain.returns import Return
from chalicelib.domain.review import queue_fields
from chalicelib.domain.tenancy import qualify
from chalicelib.services.ingest_notification import ingest_notification
from chalicelib.services.sweep_sla import sweep_sla

NOW = datetime(2026, 11, 21, 8, 0, tzinfo=timezone.utc)
SHOP, REFUND = "tmall-acme", "9007199254740993"
RESOURCE = f"taobao/refund/{REFUND}"


def test_a_persons_deadline_is_the_tiers_unless_the_marketplace_acts_sooner():
    assert queue_fields("service", 8, NOW)["sla_deadline"] == "2026-11-21T16:00:00Z"
    # Taobao acts at 20:00: the person's deadline is 6 h before it, 14:00, sooner than the tier's 16:00.
    assert queue_fields("service", 8, NOW, "2026-11-21T20:00:00Z")["sla_deadline"] == "2026-11-21T14:00:00Z"
    assert queue_fields("service", 8, NOW, "2026-11-25T20:00:00Z")["sla_deadline"] == "2026-11-21T16:00:00Z"


def notified(deadline: str, event_id: str = "tmc-1") -> MarketplaceNotified:
    return qualify(MarketplaceNotified.model_validate({
        "event_id": event_id, "source": SHOP, "occurred_at": NOW, "received_at": NOW,
        "data": {"platform": "taobao", "topic": "taobao_refund_RefundBuyerModifyAgreement", "resource": RESOURCE},
    }), SHOP)


def ports_with(deadline: str, **record):
    ports = memory_ports(marketplaces=MemoryMarketplaces(
        {SHOP: object()}, {RESOURCE: [ReturnStatusSeen(REFUND, "wait_seller_agree", "1763625600123", deadline)]}))
    ports.returns.create(Return(return_id=f"{SHOP}/{REFUND}", order_id=f"{SHOP}/1", kind="return", **record))
    return ports


def test_a_return_already_waiting_on_a_person_is_due_before_the_marketplace_acts():
    ports = ports_with("2026-11-21T12:00:00Z", status="in_review", review_queue="service",
                       review_since="2026-11-21T07:00:00Z", sla_deadline="2026-11-21T15:00:00Z")

    ingest_notification(notified("2026-11-21T12:00:00Z"), ports, NOW)

    record = ports.returns.get(f"{SHOP}/{REFUND}")
    assert (record.marketplace_deadline, record.marketplace_version) == ("2026-11-21T12:00:00Z", "1763625600123")
    assert record.sla_deadline == "2026-11-21T06:00:00Z"
    assert sweep_sla(ports, NOW)["breached"] == [f"{SHOP}/{REFUND}"]  # past already: escalated on the next sweep
    assert ports.bus.of("SlaBreached")[0]["sla_deadline"] == "2026-11-21T06:00:00Z"


def test_a_return_no_person_waits_for_keeps_only_the_marketplaces_deadline():
    ports = ports_with("2026-11-21T12:00:00Z", status="awaiting_parcel")

    ingest_notification(notified("2026-11-21T12:00:00Z"), ports, NOW)

    record = ports.returns.get(f"{SHOP}/{REFUND}")
    assert (record.marketplace_deadline, record.sla_deadline) == ("2026-11-21T12:00:00Z", None)


def test_a_deadline_the_marketplace_no_longer_has_is_forgotten():
    ports = ports_with("2026-11-21T12:00:00Z", status="awaiting_parcel")
    ingest_notification(notified("2026-11-21T12:00:00Z"), ports, NOW)
    ports.marketplaces.found[RESOURCE] = [ReturnStatusSeen(REFUND, "wait_buyer_return_goods", "1763625600999", None)]

    ingest_notification(notified(None, "tmc-2"), ports, NOW)

    record = ports.returns.get(f"{SHOP}/{REFUND}")
    assert (record.marketplace_deadline, record.marketplace_version) == (None, "1763625600999")
