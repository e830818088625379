"""Manual review on moto: the queues by SLA deadline, a decision kept once with its audit entry, 409s.

Behind the edge a return is keyed by its shop ("generic/RT-1"); staff name it by shop and own id
(`/v1/reviews/{shop}/{return_id}`), and what they are shown carries the shop beside the shop's own ids."""

import json
from datetime import datetime, timedelta, timezone

import pytest
from chalice.test import Client

from app import app
from chalicelib.bootstrap import bootstrap
from chalicelib.domain.staff_keys import secret_hash
from chalicelib.domain.tenancy import qualified
from chalicelib.ports.errors import Conflict, Forbidden
from chalicelib.services.review_return import review_return
from chalicelib.services.wait_for_event import wait_for_event
from localcloud.cloud import clear_caches
from tests.bus import watch_bus
from tests.integration.conftest import STAFF_HEADERS
from tests.integration.test_verification_on_moto import store_order, store_return
from tests.unit.services.given import staff

NOW = datetime(2026, 11, 22, 8, 0, tzinfo=timezone.utc)
SHOP = "generic"
CLERK = staff("after_sales", key_id="ana")  # authenticated, from 203.0.113.7


def key(return_id: str) -> str:
    """The return as the records know it."""
    return qualified(SHOP, return_id)


class RecordingWorkflows:
    """Step Functions as far as a reviewer's decision goes: the task tokens it was resumed with."""

    def __init__(self, waiting: bool = True) -> None:
        self.waiting = waiting
        self.resumed: list[tuple[str, dict]] = []

    def resume(self, task_token: str, output: dict) -> bool:
        self.resumed.append((task_token, output))
        return self.waiting


@pytest.fixture
def client(aws):
    with Client(app) as client:
        yield client


def in_review(return_id: str, reason: str = "quality_issue", at: datetime = NOW, waiting_for: str = "review") -> None:
    """The shop's return parked by AwaitReview (or AwaitFailureReview), as the workflow leaves it."""
    store_return(return_id, reason=reason, shop=SHOP)
    ports = bootstrap()
    ports.returns.update(key(return_id), {"decision": {"code": "HIGH_VALUE", "facts": {"estimate": "2500.00"},
                                                       "policy_version": "default-2026-11"}})
    if waiting_for == "failure_review":
        ports.returns.update(key(return_id), {"status": "failed", "failure": {"step": "CalculateRefund", "error": "X"}})
    wait_for_event(key(return_id), waiting_for, f"token-{return_id}", ports, at)


def a_staff_key(aws, key_id: str, secret: str, roles: list[str]) -> dict:
    """Issue a key in SSM as the README says; its X-Api-Key headers."""
    document = json.dumps({"sha256": secret_hash(secret), "roles": roles})
    aws["session"].client("ssm").put_parameter(Name=f"/aftersales/staff-keys/{key_id}", Value=document, Type="SecureString")
    clear_caches(aws["session"])
    return {**STAFF_HEADERS, "X-Api-Key": f"{key_id}.{secret}"}


def audit_entries(aws) -> list[dict]:
    return aws["dynamodb"].Table("aftersales-audit").scan()["Items"]


def get(client, path, headers=STAFF_HEADERS):
    return client.http.get(path, headers=headers)


def post(client, path, body, headers=STAFF_HEADERS):
    return client.http.post(path, headers=headers, body=json.dumps(body))


def test_each_queue_lists_its_waiting_items_by_sla_deadline_with_the_decision_facts(aws, client):
    store_order(shop=SHOP)
    in_review("RT-LATE", at=NOW)
    in_review("RT-EARLY", at=NOW - timedelta(hours=3))
    in_review("RT-SHIP", reason="damaged_in_transit")
    in_review("RT-SIZE", reason="wrong_size")
    in_review("RT-FAIL", reason="wrong_size", waiting_for="failure_review")
    body = get(client, "/v1/reviews?queue=product_quality").json_body
    assert [item["return_id"] for item in body["items"]] == ["RT-EARLY", "RT-LATE"]
    first = body["items"][0]
    assert (first["queue"], first["sla_deadline"], first["review_since"]) == (
        "product_quality", "2026-11-22T13:00:00Z", "2026-11-22T05:00:00Z"
    )  # 8 h for a normal customer
    assert first["decision"] == {"code": "HIGH_VALUE", "facts": {"estimate": "2500.00"}, "policy_version": "default-2026-11"}
    assert (first["shop"], first["return_id"], first["order_id"]) == ("generic", "RT-EARLY", "TM-1001")  # its own ids
    assert [i["return_id"] for i in get(client, "/v1/reviews?queue=logistics").json_body["items"]] == ["RT-SHIP"]
    assert [i["return_id"] for i in get(client, "/v1/reviews?queue=service").json_body["items"]] == ["RT-SIZE"]
    [failed] = get(client, "/v1/reviews?queue=failures").json_body["items"]
    assert (failed["return_id"], failed["failure"]["step"]) == ("RT-FAIL", "CalculateRefund")


def test_a_queue_pages_with_a_cursor(aws, client):
    store_order(shop=SHOP)
    for n in range(5):
        in_review(f"RT-{n}", at=NOW + timedelta(minutes=n))
    seen, cursor = [], None
    while True:
        body = get(client, "/v1/reviews?queue=product_quality&limit=2" + (f"&cursor={cursor}" if cursor else "")).json_body
        seen += [item["return_id"] for item in body["items"]]
        cursor = body["next_cursor"]
        if not cursor:
            break
    assert seen == [f"RT-{n}" for n in range(5)]


def test_a_cursor_continues_only_its_own_queue(aws, client):
    store_order(shop=SHOP)
    for n in range(3):
        in_review(f"RT-{n}", at=NOW + timedelta(minutes=n))
    cursor = get(client, "/v1/reviews?queue=product_quality&limit=1").json_body["next_cursor"]
    assert cursor
    response = get(client, f"/v1/reviews?queue=logistics&cursor={cursor}")
    assert (response.status_code, response.json_body["error"]["field"]) == (422, "cursor")
    after = get(client, f"/v1/reviews?queue=product_quality&limit=1&cursor={cursor}").json_body["items"]
    assert [item["return_id"] for item in after] == ["RT-1"]


def test_a_decision_resumes_the_workflow_once_and_is_audited(aws):
    store_order(shop=SHOP)
    in_review("RT-1")
    workflows = RecordingWorkflows()
    ports = bootstrap().replacing(workflows=workflows)
    answer = review_return(key("RT-1"), {"decision": "approve", "note": "photos show the defect"}, CLERK, ports, NOW)
    assert answer == {"return_id": "RT-1", "shop": "generic", "decision": "approve", "note": "photos show the defect",
                      "by": "ana", "at": "2026-11-22T08:00:00Z"}
    assert workflows.resumed == [("token-RT-1", {"decision": "approve"})]
    record = ports.returns.get(key("RT-1"))
    assert record.review_queue is None and record.review["by"] == "ana"
    [audit] = audit_entries(aws)
    assert {k: audit[k] for k in ("subject", "action", "by", "from", "at", "return_id", "note", "decision_code")} == {
        "subject": "return#generic/RT-1", "action": "review.approve", "by": "ana", "from": "203.0.113.7",
        "at": "2026-11-22T08:00:00Z", "return_id": "generic/RT-1", "note": "photos show the defect",
        "decision_code": "HIGH_VALUE",
    }
    assert audit["entry"].startswith("2026-11-22T08:00:00Z#")
    with pytest.raises(Conflict, match="return RT-1 was already reviewed: approve by ana at 2026-11-22T08:00:00Z"):
        review_return(key("RT-1"), {"decision": "reject", "note": "second thoughts"}, staff("after_sales", key_id="bo"),
                      ports, NOW)
    assert workflows.resumed == [("token-RT-1", {"decision": "approve"})]
    assert len(audit_entries(aws)) == 1


def test_a_key_without_the_role_the_queue_needs_decides_nothing(aws):
    store_order(shop=SHOP)
    in_review("RT-1")
    workflows = RecordingWorkflows()
    ports = bootstrap().replacing(workflows=workflows)
    with pytest.raises(Forbidden) as refused:
        review_return(key("RT-1"), {"decision": "approve", "note": "ok"}, staff("finance", key_id="fin"), ports, NOW)
    assert refused.value.code == "role_required"
    assert workflows.resumed == [] and audit_entries(aws) == []
    record = ports.returns.get(key("RT-1"))
    assert (record.review, record.review_queue) == (None, "product_quality")
    assert review_return(key("RT-1"), {"decision": "approve", "note": "ok"}, staff("admin", key_id="root"), ports,
                         NOW)["by"] == "root"  # admin may do everything


def test_two_reviewers_at_once_one_decision(aws):
    import threading

    store_order(shop=SHOP)
    in_review("RT-1")
    workflows = RecordingWorkflows()
    ports = bootstrap().replacing(workflows=workflows)
    outcomes = []

    def decide(who: str) -> None:
        try:
            reviewer = staff("after_sales", key_id=who)
            outcomes.append(review_return(key("RT-1"), {"decision": "approve", "note": "ok"}, reviewer, ports, NOW)["by"])
        except Conflict:
            outcomes.append("conflict")

    threads = [threading.Thread(target=decide, args=(f"staff-{n}",)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(outcomes) == 6 and sorted(outcomes).count("conflict") == 5 and len(workflows.resumed) == 1
    [audit] = audit_entries(aws)
    [winner] = [outcome for outcome in outcomes if outcome != "conflict"]
    assert audit["by"] == winner == ports.returns.get(key("RT-1")).review["by"]


def test_a_decision_after_the_review_timed_out_is_refused(aws):
    store_order(shop=SHOP)
    in_review("RT-1")
    ports = bootstrap().replacing(workflows=RecordingWorkflows(waiting=False))
    with pytest.raises(Conflict, match="return RT-1 stopped waiting .*timed out"):
        review_return(key("RT-1"), {"decision": "approve", "note": "late"}, CLERK, ports, NOW)
    assert ports.returns.get(key("RT-1")).review["applied"] is False
    bootstrap().returns.update(key("RT-1"), {"status": "expired", "waiting_for": None})
    with pytest.raises(Conflict, match=r"return RT-1 is closed \(expired\) after its review timed out"):
        review_return(key("RT-1"), {"decision": "approve", "note": "later still"}, CLERK, ports, NOW)


def test_http_answers(aws, client):
    store_order(shop=SHOP)
    in_review("RT-1")
    in_review("RT-F", waiting_for="failure_review")
    store_return("RT-NEW", shop=SHOP)
    assert post(client, "/v1/reviews/generic/RT-1", {"decision": "approve", "note": "ok"}, {}).status_code == 401
    assert get(client, "/v1/reviews?queue=service", {}).status_code == 401
    response = post(client, "/v1/reviews/generic/RT-NOPE", {"decision": "approve", "note": "ok"})
    assert (response.status_code, response.json_body["error"]["code"]) == (404, "unknown_return")
    response = post(client, "/v1/reviews/generic/RT-NEW", {"decision": "approve", "note": "ok"})
    assert (response.status_code, response.json_body["error"]["message"]) == (
        409, "return RT-NEW does not wait for a review (status requested)"
    )
    for body, field in [
        ({"decision": "maybe", "note": "x"}, "decision"),
        ({"decision": "approve"}, "note"),
        ({"decision": "approve", "note": "   "}, "note"),
        ({"decision": "retry", "note": "x"}, "decision"),
    ]:
        response = post(client, "/v1/reviews/generic/RT-1", body)
        assert (response.status_code, response.json_body["error"]["field"]) == (422, field), body
    response = post(client, "/v1/reviews/generic/RT-F", {"decision": "approve", "note": "x"})
    assert (response.status_code, response.json_body["error"]["message"]) == (422, "return RT-F waits for retry or reject")
    assert client.http.post("/v1/reviews/generic/RT-1", headers=STAFF_HEADERS, body="{").status_code == 400
    for query, field in [("", "queue"), ("?queue=vip", "queue"), ("?queue=service&limit=0", "limit"),
                         ("?queue=service&limit=x", "limit"), ("?queue=service&cursor=abc", "cursor")]:
        response = get(client, f"/v1/reviews{query}")
        assert (response.status_code, response.json_body["error"]["field"]) == (422, field), query
    for path, field in [("/v1/reviews/Generic/RT-1", "shop"), ("/v1/reviews/gen.eric/RT-1", "shop"),
                        ("/v1/reviews/generic/-RT-1", "return_id")]:
        response = post(client, path, {"decision": "approve", "note": "ok"})
        assert (response.status_code, response.json_body["error"]["field"]) == (422, field), path
    # A return is its shop's: the same own id under another shop is not it.
    response = post(client, "/v1/reviews/outlet/RT-1", {"decision": "approve", "note": "ok"})
    assert (response.status_code, response.json_body["error"]["code"]) == (404, "unknown_return")
    assert bootstrap().returns.get(key("RT-1")).review is None  # nothing was written by the refusals
    assert audit_entries(aws) == []


def test_a_decision_over_http_names_the_return_by_shop_and_is_audited_with_the_caller_s_address(aws, client):
    store_order(shop=SHOP)
    in_review("RT-1")
    response = post(client, "/v1/reviews/generic/RT-1", {"decision": "approve", "note": "ok"})
    assert response.status_code == 200
    assert {k: response.json_body[k] for k in ("shop", "return_id", "decision", "by")} == {
        "shop": "generic", "return_id": "RT-1", "decision": "approve", "by": "ana",
    }
    assert bootstrap().returns.get(key("RT-1")).review["decision"] == "approve"
    [audit] = audit_entries(aws)
    # chalice's local gateway gives every request the source IP 127.0.0.1; API Gateway gives the caller's.
    assert (audit["subject"], audit["action"], audit["by"], audit["from"]) == (
        "return#generic/RT-1", "review.approve", "ana", "127.0.0.1",
    )


def test_http_roles_each_queue_needs(aws, client):
    store_order(shop=SHOP)
    in_review("RT-1")
    clerk = a_staff_key(aws, "clerk", "clerk-secret-0001", ["after_sales"])
    finance = a_staff_key(aws, "fin", "fin-secret-00001", ["finance"])
    assert [i["return_id"] for i in get(client, "/v1/reviews?queue=product_quality", clerk).json_body["items"]] == ["RT-1"]
    for path, headers in [("/v1/reviews?queue=finance", clerk), ("/v1/reviews?queue=product_quality", finance)]:
        response = get(client, path, headers)
        assert (response.status_code, response.json_body["error"]["code"]) == (403, "role_required"), path
    assert get(client, "/v1/reviews?queue=finance", finance).status_code == 200
    response = post(client, "/v1/reviews/generic/RT-1", {"decision": "approve", "note": "ok"}, finance)
    assert (response.status_code, response.json_body["error"]["code"]) == (403, "role_required")
    assert bootstrap().returns.get(key("RT-1")).review is None and audit_entries(aws) == []


def test_the_sla_sweep_announces_each_overdue_item_once(aws):
    from chalicelib.bootstrap import bootstrap
    from chalicelib.services.sweep_sla import sweep_sla

    breaches = watch_bus(aws["session"], "sla-watch", {"detail-type": ["SlaBreached"]})
    store_order(shop=SHOP)
    in_review("RT-OVERDUE", at=NOW - timedelta(hours=9))  # normal tier: 8 h
    in_review("RT-IN-TIME", at=NOW - timedelta(hours=7))
    in_review("RT-DECIDED", at=NOW - timedelta(hours=9))
    ports = bootstrap().replacing(workflows=RecordingWorkflows())
    review_return(key("RT-DECIDED"), {"decision": "approve", "note": "ok"}, CLERK, ports, NOW)

    assert sweep_sla(bootstrap(), NOW) == {"breached": [key("RT-OVERDUE")]}
    assert sweep_sla(bootstrap(), NOW + timedelta(minutes=5)) == {"breached": []}
    [detail] = [envelope["detail"] for envelope in breaches()]
    # On the bus: the shop's own ids and the shop beside them; the breach id (the consumers' dedupe key) stays
    # unique across shops.
    assert {k: detail[k] for k in ("breach_id", "shop", "return_id", "queue", "sla_deadline", "detected_at")} == {
        "breach_id": "generic/RT-OVERDUE@2026-11-22T07:00:00Z", "shop": "generic", "return_id": "RT-OVERDUE",
        "queue": "product_quality", "sla_deadline": "2026-11-22T07:00:00Z", "detected_at": "2026-11-22T08:00:00Z",
    }
    assert bootstrap().returns.get(key("RT-OVERDUE")).sla_breached_at == "2026-11-22T08:00:00Z"
    [item] = [i for i in bootstrap().returns.waiting_for_review("product_quality", 10, None)[0]
              if i.return_id == key("RT-OVERDUE")]
    assert item.sla_breached_at == "2026-11-22T08:00:00Z"


def test_a_vip_customer_gets_the_two_hour_sla(aws):
    store_order(customer_id="C-VIP")
    bootstrap().customers.set_tier("C-VIP", "vip", {}, "2026-11-22T00:00:00Z", "default-2026-11")
    store_return("RT-VIP", reason="quality_issue")
    from chalicelib.services.verify_return import verify_return

    assert verify_return("RT-VIP", bootstrap())["code"] == "EVIDENCE_REQUIRED"
    wait_for_event("RT-VIP", "review", "token", bootstrap(), NOW)
    assert bootstrap().returns.get("RT-VIP").sla_deadline == "2026-11-22T10:00:00Z"
