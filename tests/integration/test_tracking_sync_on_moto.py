"""Tracking sync on moto: the shipment timeline under duplicate and out-of-order checkpoints, tracking that
arrives before its return, and the three ways a tracking number is linked to its return."""

import json
import random
from dataclasses import asdict
from datetime import datetime, timezone

import pytest
from chalice.test import Client

from app import app
from chalicelib.bootstrap import bootstrap
from chalicelib.domain.events import canonical_events
from chalicelib.domain.staff_keys import secret_hash
from chalicelib.domain.tenancy import qualify
from chalicelib.services.ingest_event import ingest_event
from localcloud.cloud import clear_caches
from tests.integration.conftest import STAFF_HEADERS
from tests.webhook_events import TIMELINE, checkpoint, order_upserted, return_requested

RECEIVED = datetime(2026, 11, 22, 8, 0, tzinfo=timezone.utc)
EDGE = object()  # apply(..., shop=EDGE): qualified as the edge does it, for a parcel that names no return


def apply(*payloads: dict, source: str = "tmall", shop=None) -> list[str]:
    """Apply the events through the consumer's service; with `shop` (or EDGE), tenant-qualified as the edge queues
    them (domain/tenancy.py)."""
    events = [canonical_events.validate_python({**p, "source": source, "received_at": RECEIVED}) for p in payloads]
    if shop is not None:
        events = [qualify(event, None if shop is EDGE else shop) for event in events]
    return [ingest_event(event, bootstrap()) for event in events]


def shipment(number: str = "SF100") -> dict:
    return asdict(bootstrap().shipments.get("sf-express", number))


def test_shuffled_and_repeated_checkpoints_keep_one_timeline_and_end_delivered(aws):
    rng = random.Random(7)
    deliveries = [checkpoint(status, at) for status, at in TIMELINE] * 3
    rng.shuffle(deliveries)
    assert set(apply(*deliveries)) == {"tracking_unlinked", "duplicate"}
    stored = shipment()
    assert (stored["status"], stored["status_at"]) == ("delivered", "2026-11-21T06:30:00Z")
    assert sorted((c["at"], c["status"]) for c in stored["checkpoints"].values()) == [(at, s) for s, at in TIMELINE]


def test_a_late_in_transit_scan_never_undoes_delivered(aws):
    apply(checkpoint("delivered", "2026-11-21T06:30:00Z"), checkpoint("in_transit", "2026-11-21T09:00:00Z"))
    assert shipment()["status"] == "delivered"
    assert len(shipment()["checkpoints"]) == 2


def test_tracking_before_its_return_is_handed_over_when_the_request_names_the_parcel(aws):
    apply(order_upserted(), *(checkpoint(status, at) for status, at in TIMELINE[:2]))
    request = return_requested(shipment={"carrier": "sf-express", "tracking_number": "SF100"})
    assert apply(request) == ["workflow_started"]
    returned = asdict(bootstrap().returns.get("RT-1"))
    assert (returned["parcel"]["status"], returned["parcel_at"]) == ("in_transit", "2026-11-20T10:00:00Z")
    assert apply(checkpoint(*TIMELINE[3])) == ["tracking_stored"]  # the return is not waiting for it yet
    assert bootstrap().returns.get("RT-1").parcel["status"] == "delivered"


def test_a_checkpoint_naming_its_return_links_the_parcel_for_the_ones_after_it(aws):
    apply(order_upserted(), return_requested())
    apply(checkpoint("in_transit", "2026-11-20T10:00:00Z", return_id="RT-1"))
    assert apply(checkpoint("delivered", "2026-11-21T06:30:00Z")) == ["tracking_stored"]
    assert bootstrap().returns.get("RT-1").parcel["status"] == "delivered"


@pytest.fixture
def client(aws):
    with Client(app) as client:
        yield client


def put(client, return_id: str, body: dict, headers=STAFF_HEADERS, shop: str = "generic"):
    return client.http.put(f"/v1/returns/{shop}/{return_id}/tracking", headers=headers, body=json.dumps(body))


def audit_entries(aws) -> list[dict]:
    return sorted(aws["dynamodb"].Table("aftersales-audit").scan()["Items"], key=lambda entry: entry["entry"])


def test_staff_link_a_tracking_number_and_what_is_known_of_it_is_handed_over(aws, client):
    """generic's returns, as the edge stores them ("generic/RT-1"), and a parcel's scans that name no return."""
    apply(order_upserted(), return_requested(), return_requested("RT-2", event_id="evt-2"), source="generic",
          shop="generic")
    apply(*(checkpoint(status, at) for status, at in TIMELINE), source="sf-express", shop=EDGE)
    response = put(client, "RT-1", {"carrier": "sf-express", "tracking_number": "SF100"})
    assert (response.status_code, response.json_body) == (200, {
        "carrier": "sf-express", "tracking_number": "SF100", "shop": "generic", "return_id": "RT-1",
        "status": "delivered", "status_at": "2026-11-21T06:30:00Z",
    })
    assert bootstrap().returns.get("generic/RT-1").parcel["status"] == "delivered"
    assert shipment()["return_id"] == "generic/RT-1"
    assert put(client, "RT-1", {"carrier": "sf-express", "tracking_number": "SF100"}).status_code == 200  # again: same
    taken = put(client, "RT-2", {"carrier": "sf-express", "tracking_number": "SF100"})
    assert (taken.status_code, taken.json_body["error"]["message"]) == (
        409, "sf-express SF100 is the parcel of return RT-1 of shop generic"
    )
    assert put(client, "RT-NOPE", {"carrier": "sf-express", "tracking_number": "SF1"}).status_code == 404
    # A return is its shop's: generic's RT-1 is not outlet's.
    assert put(client, "RT-1", {"carrier": "sf-express", "tracking_number": "SF1"}, shop="outlet").status_code == 404
    assert put(client, "RT-1", {"carrier": "sf-express"}).json_body["error"]["field"] == "tracking_number"
    assert put(client, "RT-1", {"carrier": "sf-express", "tracking_number": "SF1"}, {}).status_code == 401
    bad_shop = put(client, "RT-1", {"carrier": "sf-express", "tracking_number": "SF1"}, shop="Generic")
    assert (bad_shop.status_code, bad_shop.json_body["error"]["field"]) == (422, "shop")
    # Each link made is a staff write on the audit trail: who, from where, which parcel to which return.
    assert [(e["subject"], e["action"], e["by"], e["from"], e["return_id"], e["carrier"], e["tracking_number"])
            for e in audit_entries(aws)] == [
        ("return#generic/RT-1", "tracking.link", "ana", "127.0.0.1", "generic/RT-1", "sf-express", "SF100"),
    ] * 2


def test_linking_a_parcel_needs_the_after_sales_role(aws, client):
    apply(order_upserted(), return_requested(), source="generic", shop="generic")
    document = json.dumps({"sha256": secret_hash("fin-secret-00001"), "roles": ["finance"]})
    aws["session"].client("ssm").put_parameter(Name="/aftersales/staff-keys/fin", Value=document, Type="SecureString")
    clear_caches(aws["session"])
    finance = {**STAFF_HEADERS, "X-Api-Key": "fin.fin-secret-00001"}
    refused = put(client, "RT-1", {"carrier": "sf-express", "tracking_number": "SF100"}, finance)
    assert (refused.status_code, refused.json_body["error"]["code"]) == (403, "role_required")
    assert bootstrap().shipments.get("sf-express", "SF100") is None and audit_entries(aws) == []


class Workflows:
    def __init__(self) -> None:
        self.failed: list[tuple[str, str]] = []

    def fail(self, task_token: str, error: str, cause: str) -> bool:
        self.failed.append((task_token, error))
        return True


def test_the_parcel_watch_expires_only_returns_still_without_tracking(aws):
    from chalicelib.services.wait_for_event import wait_for_event
    from chalicelib.services.watch_parcels import watch_parcels

    apply(order_upserted(), return_requested(), return_requested("RT-2", event_id="evt-2"))
    ports = bootstrap()
    for return_id in ("RT-1", "RT-2"):
        wait_for_event(return_id, "parcel", f"token-{return_id}", ports, RECEIVED)
        assert ports.returns.get(return_id).tracking_due_at == "2026-11-29T08:00:00Z"
    # RT-2's tracking lands between the watch being set and the sweep, with the watch still on it.
    ports.returns.update("RT-2", {"parcel": {"status": "in_transit"}})
    workflows = Workflows()
    watch = ports.replacing(workflows=workflows)
    assert watch_parcels(watch, datetime(2026, 11, 29, 7, 59, tzinfo=timezone.utc)) == {"expired": []}
    assert watch_parcels(watch, datetime(2026, 11, 29, 8, 1, tzinfo=timezone.utc)) == {"expired": ["RT-1"]}
    assert workflows.failed == [("token-RT-1", "NoTracking")]
    assert ports.returns.get("RT-2").parcel_watch is None and ports.returns.get("RT-2").expiry_reason is None
    assert watch_parcels(watch, datetime(2026, 12, 30, tzinfo=timezone.utc)) == {"expired": []}


class CarrierApi:
    def __init__(self, known: dict | None = None) -> None:
        self.known = known or {}
        self.asked: list[str] = []

    def checkpoints(self, carrier: str, tracking_number: str) -> list[dict]:
        self.asked.append(tracking_number)
        return self.known.get(tracking_number, [])


def poll_ports(aws, api: CarrierApi):
    from chalicelib.adapters.aws.sqs_queue import SqsEventQueue

    return bootstrap().replacing(carrier_api=api, queue=SqsEventQueue(aws["sqs"], aws["queue_url"]))


def test_the_poller_asks_only_quiet_parcels_a_batch_at_a_time_backs_off_and_flags_no_movement(aws):
    from datetime import timedelta

    from chalicelib.services.poll_carriers import poll_carriers

    apply(order_upserted(), return_requested())
    apply(*(checkpoint("in_transit", "2026-11-20T10:00:00Z", return_id="RT-1" if n == 0 else None, number=f"SF{n}")
            for n in range(4)))
    apply(checkpoint("delivered", "2026-11-20T10:00:00Z", number="SF-DONE"))
    api = CarrierApi({"SF1": [{"status": "in_transit", "at": "2026-11-20T10:00:00+00:00"},
                              {"status": "delivered", "at": "2026-11-22T09:00:00+00:00"}]})
    ports = poll_ports(aws, api)
    assert poll_carriers(ports, RECEIVED) == {  # not quiet yet
        "polled": 0, "moved": 0, "no_movement": [], "failed": 0, "errors": []}
    later = RECEIVED + timedelta(hours=73)
    first = poll_carriers(ports, later, batch=3)
    assert first["polled"] == 3 and "SF-DONE" not in api.asked  # delivered parcels are never asked about
    second = poll_carriers(ports, later, batch=3)
    assert (first["polled"] + second["polled"], first["moved"] + second["moved"]) == (4, 1)
    assert sorted(api.asked) == ["SF0", "SF1", "SF2", "SF3"]
    assert first["no_movement"] + second["no_movement"] == ["RT-1"]
    assert bootstrap().returns.get("RT-1").review_queue == "logistics"
    queued = aws["sqs"].receive_message(QueueUrl=aws["queue_url"], MaxNumberOfMessages=10)["Messages"]
    assert [json.loads(m["Body"])["data"]["status"] for m in queued] == ["delivered"]  # only what was new
    backed_off = shipment("SF2")
    assert (backed_off["poll_attempts"], backed_off["next_poll_at"]) == (1, "2026-12-01T09:00:00Z")  # 2 x 72 h
    assert poll_carriers(ports, later, batch=3)["polled"] == 0


def verified_vip_return() -> None:
    """RT-1 of customer C-1, ranked vip and verified, so its resolved policy carries the 2-hour SLA."""
    from chalicelib.services.verify_return import verify_return

    apply(order_upserted(), return_requested())
    bootstrap().customers.set_tier("C-1", "vip", {}, "2026-11-22T00:00:00Z", "default-2026-11")
    verify_return("RT-1", bootstrap())
    assert bootstrap().returns.get("RT-1").policy["review_sla_hours"] == 2


def test_a_parcel_in_trouble_queues_its_return_with_the_sla_of_the_return_s_tier(aws):
    verified_vip_return()
    apply(checkpoint("exception", "2026-11-21T10:00:00Z", return_id="RT-1"))
    record = asdict(bootstrap().returns.get("RT-1"))
    assert (record["review_queue"], record["sla_deadline"]) == ("logistics", "2026-11-22T10:00:00Z")  # 08:00 + 2 h


def test_a_parcel_in_trouble_before_verification_gets_the_sla_of_the_policy_in_force(aws):
    from tests.integration.test_verification_on_moto import publish

    publish(aws, {"version": "fast-review", "marketplaces": {"tmall": {"defaults": {"review_sla_hours": 1}}}})
    apply(order_upserted(), return_requested())
    apply(checkpoint("exception", "2026-11-21T10:00:00Z", return_id="RT-1"))
    assert bootstrap().returns.get("RT-1").sla_deadline == "2026-11-22T09:00:00Z"


def test_the_poller_queues_a_parcel_with_no_movement_with_the_sla_of_the_return_s_tier(aws):
    from datetime import timedelta

    from chalicelib.services.poll_carriers import poll_carriers

    verified_vip_return()
    apply(checkpoint("in_transit", "2026-11-20T10:00:00Z", return_id="RT-1"))
    later = RECEIVED + timedelta(hours=73)
    assert poll_carriers(poll_ports(aws, CarrierApi()), later)["no_movement"] == ["RT-1"]
    assert bootstrap().returns.get("RT-1").sla_deadline == "2026-11-25T11:00:00Z"  # 09:00 + 2 h
