"""Verify on moto: the policy document from SSM (changed without a deploy, invalid ones refused), the
abuse count from the returns table's customer index, and the policy a return keeps."""

import json
from dataclasses import asdict
from datetime import datetime, timedelta, timezone

import pytest

from chalicelib.adapters.aws.ssm_policy import SsmPolicyStore
from chalicelib.bootstrap import bootstrap
from chalicelib.domain.clock import iso_utc
from chalicelib.domain.events import canonical_events
from chalicelib.domain.policy import DEFAULT_POLICY
from chalicelib.domain.tenancy import qualified
from chalicelib.services.ingest_event import return_record
from chalicelib.services.quote_return import quote_return
from chalicelib.services.verify_return import verify_return
from localcloud.cloud import clear_caches
from tests.webhook_events import order_upserted, return_requested

PARAMETER = "/aftersales/policy"
NOW = "2026-11-22T08:00:00Z"
REQUESTED = datetime(2026, 11, 20, 9, 0, tzinfo=timezone.utc)


def publish(aws, document) -> None:
    value = document if isinstance(document, str) else json.dumps(document)
    aws["session"].client("ssm").put_parameter(Name=PARAMETER, Value=value, Type="String", Overwrite=True)


def in_shop(shop: str | None, own_id: str) -> str:
    """The id as the records behind the edge know it: qualified by its shop ("generic/RT-1"), or as given."""
    return qualified(shop, own_id) if shop else own_id


def store_order(customer_id="C-1", order_id="TM-1001", source="tmall", shop=None, **data) -> None:
    """An order stored directly; with `shop`, under its tenant-qualified ids as the edge stores them."""
    event = canonical_events.validate_python({
        **order_upserted(in_shop(shop, order_id), customer_id=in_shop(shop, customer_id), **data), "source": source,
        "received_at": NOW,
    })
    bootstrap().orders.upsert({**event.data.model_dump(mode="json", exclude_none=True), "marketplace": source}, NOW)


def store_return(return_id, order_id="TM-1001", at="2026-11-20T09:00:00Z", source="tmall", shop=None, **data) -> None:
    """A requested return stored directly; with `shop`, its return and order ids qualified by it."""
    data.setdefault("items", [{"line_id": "L2", "quantity": 1}])
    event = canonical_events.validate_python({
        **return_requested(in_shop(shop, return_id), in_shop(shop, order_id), **data), "occurred_at": at,
        "source": source, "received_at": NOW,
    })
    bootstrap().returns.create(return_record(event))


def test_without_a_policy_parameter_the_defaults_of_policy_md_apply(aws):
    store_order()
    store_return("RT-1")
    assert verify_return("RT-1", bootstrap())["code"] == "APPROVED"
    record = asdict(bootstrap().returns.get("RT-1"))
    assert record["decision"]["policy_version"] == "default-2026-11"
    assert record["policy"] == DEFAULT_POLICY.resolve("tmall", "normal").model_dump(mode="json")
    assert record["customer_id"] == "C-1"


def test_a_published_policy_changes_decisions_without_a_deploy_and_a_return_keeps_its_version(aws):
    store_order()
    publish(aws, {"version": "tmall-strict-1", "marketplaces": {"tmall": {"defaults": {"return_window_days": 1}}}})
    store_return("RT-1")  # 1 day 1 hour after delivery
    assert verify_return("RT-1", bootstrap())["code"] == "WINDOW_EXPIRED"
    record = asdict(bootstrap().returns.get("RT-1"))
    assert (record["decision"]["policy_version"], record["decision"]["facts"]["window_days"]) == (
        "tmall-strict-1", {"L2": 1}
    )

    publish(aws, {"version": "postage-5", "defaults": {"max_return_shipping_reimbursement": "5.00"}})
    clear_caches()  # what the cache's minute does on AWS
    store_return("RT-2", reason="wrong_item", evidence_urls=["https://img.example.com/1.jpg"],
                 return_shipping_paid="18.00")
    assert verify_return("RT-2", bootstrap())["code"] == "APPROVED"
    publish(aws, {"version": "postage-50", "defaults": {"max_return_shipping_reimbursement": "50.00"}})
    clear_caches()
    ports = bootstrap()
    ports.returns.record_inspection("RT-2", {"items": [{"line_id": "L2", "accepted": 1}]}, NOW, "ins-RT-2")
    quote_return("RT-2", ports)
    [postage] = [e for e in ports.returns.get("RT-2").quote["entries"] if e["code"] == "return_postage_reimbursement"]
    assert postage["amount"] == "5.00"  # the version RT-2 was decided under, not the one published since


def test_an_invalid_policy_is_refused_and_the_newest_valid_version_stays_in_force(aws):
    ssm = aws["session"].client("ssm")
    publish(aws, {"version": "good-1", "defaults": {"return_window_days": 30}})
    publish(aws, {"version": "good-2", "defaults": {"return_window_days": 20}})
    store = SsmPolicyStore(ssm, PARAMETER, ttl_seconds=0)
    assert store.current().version == "good-2"
    publish(aws, {"version": "bad", "defaults": {"return_window_days": "twenty"}})
    assert store.current().version == "good-2"  # a warm Lambda keeps what it had
    publish(aws, "{not json")
    cold = SsmPolicyStore(ssm, PARAMETER, ttl_seconds=0)
    assert cold.current().version == "good-2"  # a cold one finds it in the parameter's history
    publish(aws, {"version": "good-3"})
    assert store.current().version == cold.current().version == "good-3"


def test_only_invalid_versions_fall_back_to_the_defaults(aws):
    publish(aws, {"version": "bad", "tiers": {"gold": {}}})
    assert SsmPolicyStore(aws["session"].client("ssm"), PARAMETER).current() == DEFAULT_POLICY


@pytest.mark.parametrize("earlier, flagged", [(4, False), (5, True)])
def test_the_abuse_signal_counts_the_customers_requests_of_the_30_days_before(aws, earlier, flagged):
    store_order(order_id="TM-1001", customer_id="C-9")
    store_order(order_id="TM-OTHER", customer_id="C-8")
    ports = bootstrap()
    days = [1, 5, 10, 20, 29, 30][:earlier] + [31]  # 31 days before is outside the window
    for n, day in enumerate(days):
        return_id = f"RT-OLD-{n}"
        store_return(return_id, at=iso_utc(REQUESTED - timedelta(days=day)))
        ports.returns.update(return_id, {"customer_id": "C-9"})
    store_return("RT-ELSE", order_id="TM-OTHER")
    ports.returns.update("RT-ELSE", {"customer_id": "C-8"})
    store_return("RT-NOW", at=iso_utc(REQUESTED))
    result = verify_return("RT-NOW", ports)
    facts = ports.returns.get("RT-NOW").decision["facts"]
    assert facts["returns_30d"] == earlier
    assert result["code"] == ("RETURN_ABUSE_SIGNAL" if flagged else "APPROVED")


def test_arriving_orders_rank_the_customer_and_verify_uses_the_tier(aws):
    from chalicelib.bootstrap import bootstrap
    from chalicelib.services.ingest_event import ingest_event

    publish(aws, {"version": "vip-30", "tiers": {"vip": {"return_window_days": 30}}})
    line = {"line_id": "L1", "category": "apparel", "unit_price": "400.00", "quantity": 1}
    for customer, orders in (("C-VIP", 8), ("C-NEW", 1)):
        for n in range(orders):
            event = {**order_upserted(f"TM-{customer}-{n}", customer_id=customer, lines=[line]), "source": "tmall",
                     "received_at": NOW}
            outcome = ingest_event(canonical_events.validate_python(event), bootstrap())
    assert outcome == "order_stored, customer normal"
    vip = asdict(bootstrap().customers.get("C-VIP"))
    assert vip["tier"] == "vip" and vip["policy_version"] == "vip-30"
    assert vip["rfm"]["scores"] == {"recency": 5, "frequency": 4, "monetary": 4, "total": 13}  # 8 x 382.00 spent

    for customer in ("C-VIP", "C-NEW"):  # 20 days after delivery
        store_return(f"RT-{customer}", order_id=f"TM-{customer}-0", at="2026-12-08T08:00:00Z",
                     items=[{"line_id": "L1", "quantity": 1}])
        verify_return(f"RT-{customer}", bootstrap())
    vip_decision = bootstrap().returns.get("RT-C-VIP").decision
    assert (vip_decision["code"], vip_decision["facts"]["tier"]) == ("APPROVED", "vip")
    assert bootstrap().returns.get("RT-C-NEW").decision["code"] == "WINDOW_EXPIRED"


def test_the_abuse_signal_counts_requests_not_verified_yet_whatever_the_order_of_verification(aws):
    """A burst of six requests: the sixth has five before it, even when it is verified first."""
    from chalicelib.bootstrap import bootstrap
    from chalicelib.services.ingest_event import ingest_event

    store_order(customer_id="C-9")
    for n in range(6):
        event = {**return_requested(f"RT-B{n}", event_id=f"evt-b{n}", items=[{"line_id": "L2", "quantity": 1}]),
                 "occurred_at": iso_utc(REQUESTED + timedelta(minutes=n)), "source": "tmall", "received_at": NOW}
        ingest_event(canonical_events.validate_python(event), bootstrap())
    ports = bootstrap()
    codes = {n: verify_return(f"RT-B{n}", ports)["code"] for n in reversed(range(6))}
    counts = {n: ports.returns.get(f"RT-B{n}").decision["facts"]["returns_30d"] for n in range(6)}
    assert counts == {n: n for n in range(6)}
    assert codes == {5: "RETURN_ABUSE_SIGNAL", **{n: "APPROVED" for n in range(5)}}


def test_a_request_stored_before_its_order_is_counted_once_verified(aws):
    store_return("RT-EARLY", at=iso_utc(REQUESTED - timedelta(days=1)))  # no order yet: no customer
    assert bootstrap().returns.get("RT-EARLY").customer_id is None
    store_order(customer_id="C-9")
    verify_return("RT-EARLY", bootstrap())
    store_return("RT-NOW", at=iso_utc(REQUESTED))
    verify_return("RT-NOW", bootstrap())
    assert bootstrap().returns.get("RT-NOW").decision["facts"]["returns_30d"] == 1


def test_the_window_runs_from_the_carrier_s_delivered_scan_of_the_order_s_parcel(aws):
    """The order says delivered on the 18th; the carrier scanned its parcel delivered on the 20th at 08:00."""
    from chalicelib.bootstrap import bootstrap
    from chalicelib.services.ingest_event import ingest_event

    store_order(shipment={"carrier": "sf-express", "tracking_number": "SF-OUT"})
    scan = {"event_id": "cp-out-delivered", "type": "TrackingUpdated", "occurred_at": "2026-11-20T08:00:00Z",
            "data": {"carrier": "sf-express", "tracking_number": "SF-OUT", "status": "delivered"},
            "source": "sf-express", "received_at": NOW}
    assert ingest_event(canonical_events.validate_python(scan), bootstrap()) == "tracking_unlinked"
    store_return("RT-LATE", at="2026-11-26T09:00:00Z")  # 8 days after the order's date, 6 after the scan
    assert verify_return("RT-LATE", bootstrap())["code"] == "APPROVED"
    facts = bootstrap().returns.get("RT-LATE").decision["facts"]
    assert (facts["delivered_at"], facts["delivered_by"]) == ("2026-11-20T08:00:00Z", "carrier")


def test_a_customer_id_two_shops_share_is_two_customers_with_their_own_tier_and_requests(aws):
    """generic's C-9 and outlet's C-9 are two customers behind the edge ("generic/C-9", "outlet/C-9"): outlet's
    five requests of the month do not count against generic's, and generic's vip tier is not outlet's."""
    for shop in ("generic", "outlet"):
        store_order(customer_id="C-9", shop=shop)
    ports = bootstrap()
    ports.customers.set_tier("generic/C-9", "vip", {}, "2026-11-20T00:00:00Z", "default-2026-11")
    for n in range(5):
        store_return(f"RT-OLD-{n}", shop="outlet", at=iso_utc(REQUESTED - timedelta(days=n + 1)))
        ports.returns.update(f"outlet/RT-OLD-{n}", {"customer_id": "outlet/C-9"})
    for shop in ("generic", "outlet"):
        store_return("RT-NOW", shop=shop, at=iso_utc(REQUESTED))
    codes = {shop: verify_return(f"{shop}/RT-NOW", ports)["code"] for shop in ("generic", "outlet")}
    facts = {shop: ports.returns.get(f"{shop}/RT-NOW").decision["facts"] for shop in ("generic", "outlet")}
    assert codes == {"generic": "APPROVED", "outlet": "RETURN_ABUSE_SIGNAL"}
    assert {shop: (f["returns_30d"], f["tier"]) for shop, f in facts.items()} == {
        "generic": (0, "vip"), "outlet": (5, "normal"),
    }
    assert {shop: ports.returns.get(f"{shop}/RT-NOW").customer_id for shop in facts} == {
        "generic": "generic/C-9", "outlet": "outlet/C-9",
    }
