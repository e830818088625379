"""The warehouse's ReplacementShipped on the in-memory twins: kept on the exchanged return and told to its
marketplace once per event, a refusal kept and published for people, and nothing told about a return not exchanged."""

from chalicelib.adapters.memory import MemoryMarketplaces, memory_ports
from chalicelib.domain.returns import Return, ReturnStatus
from chalicelib.ports.errors import MarketplaceRefused, MarketplaceUnavailable
from tests.unit.services.given import ingested

SHOP = "tmall-acme"
RETURN = f"{SHOP}/9007199254740993"


def shipped(event_id="rep-1") -> dict:
    return {"event_id": event_id, "type": "ReplacementShipped", "occurred_at": "2026-11-22T07:00:00Z",
            "data": {"return_id": RETURN, "shipment": {"carrier": "sf-express", "tracking_number": "SF5550001"}}}


def ports_with(status=ReturnStatus.EXCHANGED, connected=True):
    ports = memory_ports(marketplaces=MemoryMarketplaces({SHOP: object()} if connected else {}))
    ports.returns.create(Return(return_id=RETURN, order_id=f"{SHOP}/1", kind="return", resolution="exchange",
                                marketplace=SHOP, status=status))
    return ports


def test_the_replacements_parcel_is_kept_and_told_to_the_marketplace():
    ports = ports_with()

    assert ingested(ports, shipped(), source="warehouse") == ["replacement_shipped"]

    assert ports.marketplaces.actions(SHOP).calls == [("replacement_shipped", RETURN, "SF5550001")]
    assert ports.returns.get(RETURN).replacement_shipment == {
        "carrier": "sf-express", "tracking_number": "SF5550001", "shipped_at": "2026-11-22T07:00:00Z",
        "marketplace": "waybill told"}


def test_the_same_event_again_is_a_duplicate_and_tells_nothing_twice():
    ports = ports_with()

    assert ingested(ports, shipped(), shipped(), source="warehouse") == ["replacement_shipped", "duplicate"]
    assert len(ports.marketplaces.actions(SHOP).calls) == 1


def test_a_marketplace_that_refuses_is_kept_on_the_return_and_published_for_people():
    ports = ports_with()
    ports.marketplaces.actions(SHOP).refuse = MarketplaceRefused("Tmall takes the company by name")

    assert ingested(ports, shipped(), source="warehouse") == ["replacement_refused_by_marketplace"]

    assert ports.returns.get(RETURN).replacement_shipment["marketplace_refused"] == "Tmall takes the company by name"
    [told] = ports.bus.of("ReplacementNotTold")
    assert (told["return_id"], told["tracking_number"], told["why"]) == (
        "9007199254740993", "SF5550001", "Tmall takes the company by name")


def test_a_marketplace_out_of_reach_fails_the_message_so_the_queue_delivers_it_again():
    ports = ports_with()
    ports.marketplaces.actions(SHOP).refuse = MarketplaceUnavailable("TOP timed out")

    try:
        ingested(ports, shipped(), source="warehouse")
        raise AssertionError("the message should have failed")
    except MarketplaceUnavailable:
        pass
    ports.marketplaces.actions(SHOP).refuse = None

    assert ingested(ports, shipped(), source="warehouse") == ["replacement_shipped"]  # not logged as seen before


def test_a_return_that_was_not_exchanged_is_told_nothing():
    ports = ports_with(status=ReturnStatus.AWAITING_PARCEL)

    assert ingested(ports, shipped(), source="warehouse") == ["not_an_exchanged_return"]
    assert ports.marketplaces.actions(SHOP).calls == []
    assert ports.returns.get(RETURN).replacement_shipment is None


def test_a_shop_of_our_own_keeps_the_parcel_with_no_one_to_tell():
    ports = ports_with(connected=False)

    assert ingested(ports, shipped(), source="warehouse") == ["replacement_shipped"]
    assert ports.returns.get(RETURN).replacement_shipment["tracking_number"] == "SF5550001"
