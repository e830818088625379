"""The simulated Shopify itself, over real HTTP: the Admin GraphQL contract our connector relies on (operations,
shapes, the Return state machine, idempotency, the cost bucket, scripted faults) and its webhooks as Shopify sends
them (signed, retried as the same delivery, duplicated as the same event), received by a tiny local endpoint."""

import base64
import hashlib
import hmac
import itertools
import json
import re
import socket
import threading
import time
import urllib.error
import urllib.request
from collections import deque
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from localcloud.shopify_service import UNAUTHORIZED, ShopifyService

DOMAIN, TOKEN, SECRET, VERSION = "acme.myshopify.com", "shpat_acme", "shpss_acme_secret", "2026-04"
NOW = datetime(2026, 11, 20, 8, 0, tzinfo=timezone.utc)
ISO = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")
GID = re.compile(r"gid://shopify/(\w+)/(\d+)")
PROCESS = """mutation AftersalesReturnProcess($input: ReturnProcessInput!, $idempotencyKey: String!) {
  returnProcess(input: $input) @idempotent(key: $idempotencyKey) { return { id status } userErrors { field message code } }
}"""
REFUND = """mutation AftersalesRefundCreate($input: RefundInput!, $idempotencyKey: String!) {
  refundCreate(input: $input) @idempotent(key: $idempotencyKey) { refund { id } userErrors { field message code } }
}"""


class Receiver:
    """Our webhook endpoint, played on loopback: it keeps every delivery and answers the statuses it is given
    (then 200)."""

    def __init__(self) -> None:
        self.received: list[tuple[dict, bytes]] = []
        self.statuses: deque[int] = deque()
        lock, receiver = threading.Lock(), self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers["Content-Length"]))
                with lock:
                    receiver.received.append((dict(self.headers.items()), body))
                    status = receiver.statuses.popleft() if receiver.statuses else 200
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self._http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._http.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._http.server_address[1]}/v1/webhooks/shopify"
        threading.Thread(target=self._http.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    def stop(self) -> None:
        self._http.shutdown()
        self._http.server_close()


def ticking():
    """A clock a second later at each reading."""
    seconds = itertools.count()
    return lambda: NOW + timedelta(seconds=next(seconds))


@pytest.fixture
def receiver():
    running = Receiver()
    yield running
    running.stop()


@pytest.fixture
def shopify(receiver):
    running = ShopifyService(
        {DOMAIN: TOKEN}, webhook_url=receiver.url, app_secret=SECRET, late_answer_seconds=0.3,
        retry_seconds=(0.01, 0.02, 0.04), clock=ticking(),
    ).start()
    yield running
    running.stop()


def gql(service, operation, variables=None, query="", token=TOKEN, domain=DOMAIN, version=VERSION, timeout=5.0):
    body = json.dumps({"query": query or f"query {operation} {{ }}", "variables": variables or {}, "operationName": operation})
    headers = {"Content-Type": "application/json", **({"X-Shopify-Access-Token": token} if token else {})}
    url = f"{service.url}/{domain}/admin/api/{version}/graphql.json"
    request = urllib.request.Request(url, data=body.encode(), method="POST", headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def data(service, operation, variables=None, query="", **options) -> dict:
    status, answer = gql(service, operation, variables, query, **options)
    assert status == 200 and "errors" not in answer, answer
    return answer["data"]


def an_order(service, **options) -> dict:
    """Two tees at 19.99 and a cap at 10.00 less 2.50, 5.00 shipping (52.48 paid), shipped by UPS."""
    made = service.create_order(DOMAIN, [
        {"sku": "TEE-S", "quantity": 2, "price": "19.99", "discount": "0.00", "product_type": "Shirts"},
        {"sku": None, "quantity": 1, "price": "10.00", "discount": "2.50", "product_type": None},
    ], **options)
    made["fulfillment"] = service.fulfill(DOMAIN, made["order"], number="1Z999AA10123456784")
    return made


def approved_return(service, made, quantity=2) -> str:
    ret = service.request_return(DOMAIN, made["order"], [(made["lines"][0], quantity, "size_too_small")])
    assert data(service, "AftersalesReturnApprove", {"input": {"id": ret, "notifyCustomer": False}})[
        "returnApproveRequest"]["userErrors"] == []
    return ret


def process(service, ret, line, quantity, key, refund=None):
    given = {"returnId": ret, "returnLineItems": [{"id": line, "quantity": quantity}], "notifyCustomer": False}
    if refund:
        parent, amount = refund
        given["financialTransfer"] = {"issueRefund": {"orderTransactions": [
            {"parentId": parent, "transactionAmount": {"amount": amount, "currencyCode": "USD"}}]}}
    return data(service, "AftersalesReturnProcess", {"input": given, "idempotencyKey": key}, PROCESS)["returnProcess"]


def refund_create(service, made, amount, key, query=REFUND, **options):
    given = {"orderId": made["order"], "note": "goodwill", "notify": False,
             "refundLineItems": [{"lineItemId": made["lines"][1], "quantity": 1, "restockType": "NO_RESTOCK"}],
             "transactions": [{"orderId": made["order"], "parentId": made["transaction"], "amount": amount,
                               "kind": "REFUND", "gateway": "shopify_payments"}]}
    return gql(service, "AftersalesRefundCreate", {"input": given, "idempotencyKey": key}, query, **options)


def line_of(service, ret) -> str:
    node = data(service, "AftersalesReturn", {"id": ret})["return"]
    return node["returnLineItems"]["nodes"][0]["id"]


def topics(service) -> list[str]:
    return [delivery["topic"] for delivery in service.deliveries]


def payloads(service, topic) -> list[dict]:
    return [json.loads(d["body"]) for d in service.deliveries if d["topic"] == topic]


def signed_by(secret: str, headers: dict, body: bytes) -> bool:
    expected = base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()
    return hmac.compare_digest(expected, headers["X-Shopify-Hmac-Sha256"])


def test_the_shop_the_version_and_the_token_are_checked_and_an_unknown_operation_is_a_graphql_error(shopify):
    assert gql(shopify, "AftersalesOrder", token="wrong") == (401, {"errors": UNAUTHORIZED})
    assert gql(shopify, "AftersalesOrder", token=None) == (401, {"errors": UNAUTHORIZED})
    assert gql(shopify, "AftersalesOrder", domain="other.myshopify.com") == (404, {"errors": "Not Found"})
    assert gql(shopify, "AftersalesOrder", version="2024-01") == (404, {"errors": "Not Found"})
    status, answer = gql(shopify, "AftersalesOrders")
    assert status == 200 and "data" not in answer
    assert answer["errors"] == [{"message": 'No operation named "AftersalesOrders"', "extensions": {"code": "BAD_REQUEST"}}]
    assert answer["extensions"]["cost"]["requestedQueryCost"] == 10
    assert (shopify.calls["unauthorized"], shopify.calls["not_found"]) == (2, 2)
    assert [operation for operation, _ in shopify.requests] == ["AftersalesOrder"] * 4 + ["AftersalesOrders"]


def test_an_order_reads_as_shopify_renders_it_with_ids_no_double_holds(shopify):
    made = an_order(shopify)
    shopify.deliver(DOMAIN, made["order"], datetime(2026, 11, 21, 9, 30, tzinfo=timezone.utc))
    status, answer = gql(shopify, "AftersalesOrder", {"id": made["order"]})
    assert status == 200
    assert answer["extensions"] == {"cost": {"requestedQueryCost": 10, "actualQueryCost": 10, "throttleStatus": {
        "maximumAvailable": 1000.0, "currentlyAvailable": 990.0, "restoreRate": 100.0}}}
    order = answer["data"]["order"]
    usd = lambda amount: {"presentmentMoney": {"amount": amount, "currencyCode": "USD"}}  # noqa: E731
    assert (order["id"], order["name"], order["displayFinancialStatus"]) == (made["order"], "#1001", "PAID")
    assert all(ISO.fullmatch(order[key]) for key in ("createdAt", "updatedAt", "processedAt"))
    assert order["updatedAt"] > order["createdAt"] and order["cancelledAt"] is None
    assert (order["presentmentCurrencyCode"], order["totalShippingPriceSet"]) == ("USD", usd("5.0"))
    assert GID.fullmatch(order["customer"]["id"])[1] == "Customer"
    assert order["lineItems"] == {"nodes": [
        {"id": made["lines"][0], "sku": "TEE-S", "quantity": 2, "product": {"productType": "Shirts"},
         "originalUnitPriceSet": usd("19.99"), "discountAllocations": []},
        {"id": made["lines"][1], "sku": None, "quantity": 1, "product": None, "originalUnitPriceSet": usd("10.0"),
         "discountAllocations": [{"allocatedAmountSet": usd("2.5")}]},
    ], "pageInfo": {"hasNextPage": False}}
    [fulfillment] = order["fulfillments"]
    assert fulfillment == {"id": made["fulfillment"], "status": "SUCCESS", "createdAt": fulfillment["createdAt"],
                           "deliveredAt": "2026-11-21T09:30:00Z",
                           "trackingInfo": [{"company": "UPS", "number": "1Z999AA10123456784"}]}
    assert order["transactions"] == [{"id": made["transaction"], "kind": "SALE", "status": "SUCCESS",
                                      "amountSet": usd("52.48"), "parentTransaction": None, "gateway": "bogus"}]
    assert order["refunds"] == []
    [fulfillment_order] = order["fulfillmentOrders"]["nodes"]
    assert fulfillment_order["status"] == "CLOSED"  # fulfilled: nothing left to hold
    assert {line["remainingQuantity"] for line in fulfillment_order["lineItems"]["nodes"]} == {0}
    [created], [updated] = payloads(shopify, "fulfillments/create"), payloads(shopify, "fulfillments/update")
    assert (created["shipment_status"], updated["shipment_status"], updated["tracking_number"]) == (
        None, "delivered", "1Z999AA10123456784")
    assert updated["id"] == int(made["fulfillment"].rsplit("/", 1)[1]) and updated["order_id"] == created["order_id"]
    ids = [int(GID.fullmatch(gid)[2]) for gid in [order["id"], order["customer"]["id"], *made["lines"], made["transaction"]]]
    assert all(n > 2**53 and float(n) != n for n in ids)

    unpaid = shopify.create_order(DOMAIN, [{"sku": "X", "quantity": 1, "price": "12.50"}], shipping="0.00",
                                  customer=False, paid=False)
    order = data(shopify, "AftersalesOrder", {"id": unpaid["order"]})["order"]
    assert (order["displayFinancialStatus"], order["customer"], order["transactions"], unpaid["transaction"]) == (
        "PENDING", None, [], None)
    assert (order["totalShippingPriceSet"], order["lineItems"]["nodes"][0]["originalUnitPriceSet"]) == (usd("0.0"), usd("12.5"))
    assert data(shopify, "AftersalesOrder", {"id": "gid://shopify/Order/1"}) == {"order": None}
    assert data(shopify, "AftersalesOrder", {"id": made["lines"][0]}) == {"order": None}


def test_a_return_is_approved_tracked_processed_with_a_refund_and_closed(shopify, receiver):
    made = an_order(shopify)
    ret = shopify.request_return(DOMAIN, made["order"], [(made["lines"][0], 2, "size_too_small")], note="too tight")
    before = data(shopify, "AftersalesOrder", {"id": made["order"]})["order"]["updatedAt"]
    node = data(shopify, "AftersalesReturn", {"id": ret})["return"]
    [line] = node["returnLineItems"]["nodes"]
    assert (node["name"], node["status"], node["order"], node["decline"]) == ("#1001-R1", "REQUESTED", {"id": made["order"]}, None)
    assert line == {"id": line["id"], "quantity": 2, "processedQuantity": 0, "returnReason": "SIZE_TOO_SMALL",
                    "returnReasonNote": "", "customerNote": "too tight",
                    "fulfillmentLineItem": {"lineItem": {"id": made["lines"][0]}}}
    assert (node["reverseFulfillmentOrders"], node["refunds"]) == ({"nodes": []}, {"nodes": []})

    approve = {"input": {"id": ret, "notifyCustomer": False}}
    assert data(shopify, "AftersalesReturnApprove", approve) == {
        "returnApproveRequest": {"return": {"id": ret, "status": "OPEN"}, "userErrors": []}}
    assert data(shopify, "AftersalesReturnApprove", approve) == {"returnApproveRequest": {"return": None, "userErrors": [
        {"field": ["input", "id"], "message": "Return is not approvable. Only returns with status REQUESTED can be approved.",
         "code": "INVALID_STATE"}]}}

    delivery = shopify.attach_return_tracking(DOMAIN, ret, "UPS", "1ZRETURN0001")
    reverse = data(shopify, "AftersalesReverseDelivery", {"id": delivery})["reverseDelivery"]
    rfo = data(shopify, "AftersalesReturn", {"id": ret})["return"]["reverseFulfillmentOrders"]["nodes"]
    tracking = {"tracking": {"carrierName": "UPS", "number": "1ZRETURN0001"}}
    assert reverse == {"id": delivery, "deliverable": tracking,
                       "reverseFulfillmentOrder": {"id": rfo[0]["id"], "return": {"id": ret}}}
    assert rfo[0]["reverseDeliveries"] == {"nodes": [{"id": delivery, "deliverable": tracking}]}

    first = process(shopify, ret, line["id"], 1, "process-1", refund=(made["transaction"], "19.99"))
    [refund] = first["return"]["refunds"]["nodes"]
    assert (first["return"]["status"], first["userErrors"]) == ("OPEN", [])
    assert refund["totalRefundedSet"] == {"presentmentMoney": {"amount": "19.99", "currencyCode": "USD"}}
    assert process(shopify, ret, line["id"], 2, "process-2")["userErrors"] == [
        {"field": ["input", "returnLineItems", "0", "quantity"], "message": "Quantity must be between 1 and 1, what is left to process.",
         "code": "INVALID"}]
    assert process(shopify, ret, line["id"], 1, "process-3")["return"]["status"] == "CLOSED"

    order = data(shopify, "AftersalesOrder", {"id": made["order"]})["order"]
    assert order["displayFinancialStatus"] == "PARTIALLY_REFUNDED" and order["updatedAt"] > before
    assert [(r["id"], r["return"]) for r in order["refunds"]] == [(refund["id"], {"id": ret})]
    assert order["transactions"][1]["kind"] == "REFUND"
    assert order["transactions"][1]["parentTransaction"] == {"id": made["transaction"]}
    assert data(shopify, "AftersalesRefund", {"id": refund["id"]})["refund"] == {
        **refund, "note": None, "order": {"id": made["order"]}, "return": {"id": ret},
        "refundLineItems": {"nodes": [{"quantity": 1, "lineItem": {"id": made["lines"][0]},
                                       "subtotalSet": {"presentmentMoney": {"amount": "19.99", "currencyCode": "USD"}}}]}}
    shopify.wait_for_deliveries(5)
    assert [headers["X-Shopify-Topic"] for headers, _ in receiver.received] == [
        "orders/create", "orders/paid", "fulfillments/create", "returns/request", "returns/approve",
        "reverse_deliveries/attach_deliverable", "refunds/create", "returns/close"]
    [closed] = payloads(shopify, "returns/close")
    assert (closed["status"], closed["order_id"], "order" in closed) == ("closed", int(made["order"].rsplit("/", 1)[1]), False)
    [attached] = payloads(shopify, "reverse_deliveries/attach_deliverable")
    assert attached["shipping_deliverable"] == {
        "tracking": {"carrier_name": "UPS", "tracking_number": "1ZRETURN0001", "tracking_url": None}, "label": None}
    assert shopify.calls["AftersalesReturnProcess"] == 3


def test_a_declined_return_keeps_its_reason_and_only_a_requested_return_is_declined(shopify):
    made = an_order(shopify)
    ret = shopify.request_return(DOMAIN, made["order"], [(made["lines"][0], 1, "style")])
    decline = {"input": {"id": ret, "declineReason": "FINAL_SALE", "declineNote": "sale item", "notifyCustomer": True}}
    assert data(shopify, "AftersalesReturnDecline", decline) == {
        "returnDeclineRequest": {"return": {"id": ret, "status": "DECLINED"}, "userErrors": []}}
    node = data(shopify, "AftersalesReturn", {"id": ret})["return"]
    assert (node["status"], node["decline"]) == ("DECLINED", {"reason": "FINAL_SALE", "note": "sale item"})
    assert data(shopify, "AftersalesReturnDecline", decline)["returnDeclineRequest"]["userErrors"][0]["code"] == "INVALID_STATE"
    assert data(shopify, "AftersalesReturnApprove", {"input": {"id": ret}})["returnApproveRequest"]["userErrors"][0][
        "code"] == "INVALID_STATE"
    [declined] = payloads(shopify, "returns/decline")
    assert (declined["status"], declined["decline"]) == ("declined", {"reason": "final_sale", "note": "sale item"})
    assert declined["return_line_items"][0]["return_reason"] == "style"

    other = shopify.request_return(DOMAIN, made["order"], [(made["lines"][1], 1, "defective")])
    status, answer = gql(shopify, "AftersalesReturnDecline", {"input": {"id": other, "declineReason": "TOO_LATE"}})
    assert status == 200 and "data" not in answer and answer["errors"][0]["extensions"]["code"] == "INVALID_VARIABLE"
    assert "declineReason" in answer["errors"][0]["message"]
    assert data(shopify, "AftersalesReturn", {"id": other})["return"]["status"] == "REQUESTED"
    assert data(shopify, "AftersalesReturnApprove", {"input": {"id": "gid://shopify/Return/3"}})["returnApproveRequest"] == {
        "return": None, "userErrors": [{"field": ["input", "id"], "message": "Return does not exist.", "code": "NOT_FOUND"}]}


def test_processing_needs_an_open_return_and_no_refund_exceeds_what_is_left_refundable(shopify):
    made = an_order(shopify)
    ret = shopify.request_return(DOMAIN, made["order"], [(made["lines"][0], 2, "size_too_small")])
    line = line_of(shopify, ret)
    assert process(shopify, ret, line, 1, "k1")["userErrors"][0]["code"] == "INVALID_STATE"
    data(shopify, "AftersalesReturnApprove", {"input": {"id": ret}})
    assert process(shopify, ret, line, 1, "k2", refund=(made["transaction"], "52.49"))["userErrors"] == [{
        "field": ["input", "financialTransfer", "issueRefund", "orderTransactions"],
        "message": "Refund amount exceeds the refundable amount", "code": "INVALID"}]
    assert process(shopify, ret, line, 1, "k3", refund=(made["lines"][0], "1.00"))["userErrors"][0]["field"] == [
        "input", "financialTransfer", "issueRefund", "orderTransactions", "0", "parentId"]
    node = data(shopify, "AftersalesReturn", {"id": ret})["return"]
    assert (node["status"], node["returnLineItems"]["nodes"][0]["processedQuantity"], shopify.refunds(DOMAIN)) == ("OPEN", 0, [])

    shopify.merchant_refund(DOMAIN, made["order"], [(made["lines"][1], 1)], "50.00")
    status, answer = refund_create(shopify, made, "2.49", "r1")
    assert answer["data"]["refundCreate"] == {"refund": None, "userErrors": [
        {"field": ["input", "transactions"], "message": "Refund amount exceeds the refundable amount", "code": "INVALID"}]}
    status, answer = refund_create(shopify, made, "2.48", "r2")
    assert answer["data"]["refundCreate"]["userErrors"] == []
    assert data(shopify, "AftersalesOrder", {"id": made["order"]})["order"]["displayFinancialStatus"] == "REFUNDED"
    with pytest.raises(ValueError, match="left to refund"):
        shopify.merchant_refund(DOMAIN, made["order"], [], "0.01")


def test_an_idempotency_key_answers_the_first_result_again_and_does_nothing(shopify):
    made = an_order(shopify)
    status, first = refund_create(shopify, made, "10.00", "refund-key")
    assert status == 200 and first["data"]["refundCreate"]["userErrors"] == []
    assert refund_create(shopify, made, "20.00", "refund-key")[1]["data"] == first["data"]
    literal = REFUND.replace("$idempotencyKey)", '"literal-key")')
    assert refund_create(shopify, made, "1.00", "ignored", literal)[1]["data"] == refund_create(shopify, made, "2.00", "x", literal)[1]["data"]
    assert [r["total"] for r in shopify.refunds(DOMAIN)] == [10, 1]
    assert topics(shopify).count("refunds/create") == 2

    too_much = refund_create(shopify, made, "99.00", "first-was-refused")[1]["data"]
    assert too_much["refundCreate"]["refund"] is None
    assert refund_create(shopify, made, "1.00", "first-was-refused")[1]["data"] == too_much  # the FIRST result

    ret = approved_return(shopify, made)
    line = line_of(shopify, ret)
    assert process(shopify, ret, line, 1, "process-key") == process(shopify, ret, line, 1, "process-key")
    assert shopify.returns(DOMAIN)[0]["return_line_items"][0]["processed_quantity"] == 1
    assert shopify.calls["replayed"] == 4


def test_the_idempotent_directive_is_required_from_2026_04(shopify):
    made = an_order(shopify)
    bare = REFUND.replace(" @idempotent(key: $idempotencyKey)", "")
    status, answer = refund_create(shopify, made, "1.00", "k", bare)
    assert status == 200 and "data" not in answer
    assert answer["errors"] == [{"message": "The @idempotent directive is required for this mutation",
                                 "extensions": {"code": "BAD_REQUEST"}}]
    assert refund_create(shopify, made, "1.00", "k", bare, version="2026-10")[1]["errors"] == answer["errors"]
    assert shopify.refunds(DOMAIN) == []
    assert refund_create(shopify, made, "1.00", "k", bare, version="2026-01")[1]["data"]["refundCreate"]["userErrors"] == []
    missing = refund_create(shopify, made, "1.00", "k", REFUND.replace("$idempotencyKey)", "$key)"))[1]
    assert missing["errors"][0]["extensions"]["code"] == "INVALID_VARIABLE"
    assert len(shopify.refunds(DOMAIN)) == 1


def test_the_cost_bucket_throttles_what_it_cannot_pay_and_does_nothing_then():
    service = ShopifyService({DOMAIN: TOKEN}, bucket_size=25, restore_rate=0).start()
    try:
        made = an_order(service)
        ret = service.request_return(DOMAIN, made["order"], [(made["lines"][0], 1, "unwanted")])
        left = [gql(service, "AftersalesOrder", {"id": made["order"]})[1]["extensions"]["cost"]["throttleStatus"][
            "currentlyAvailable"] for _ in range(2)]
        assert left == [15.0, 5.0]
        status, answer = gql(service, "AftersalesReturnApprove", {"input": {"id": ret}})
        assert (status, answer["errors"]) == (200, [{"message": "Throttled", "extensions": {
            "code": "THROTTLED", "documentation": "https://shopify.dev/api/usage/rate-limits"}}])
        assert answer["extensions"]["cost"] == {"requestedQueryCost": 10, "actualQueryCost": None, "throttleStatus": {
            "maximumAvailable": 25.0, "currentlyAvailable": 5.0, "restoreRate": 0.0}}
        assert service.returns(DOMAIN)[0]["status"] == "REQUESTED" and service.calls["throttled"] == 1
    finally:
        service.stop()

    service = ShopifyService({DOMAIN: TOKEN}, bucket_size=10, restore_rate=200).start()
    try:
        service.throttle_next()
        assert gql(service, "AftersalesOrder")[1]["errors"][0]["message"] == "Throttled"  # forced, on a full bucket
        assert "errors" not in gql(service, "AftersalesOrder")[1]  # spends the whole bucket
        deadline = time.monotonic() + 2
        while "errors" in (answer := gql(service, "AftersalesOrder")[1]):
            assert time.monotonic() < deadline, "the bucket never refilled"
        assert service.calls["AftersalesOrder"] == 2
    finally:
        service.stop()


def test_scripted_faults_fail_answer_late_or_answer_a_user_error_per_operation(shopify):
    made = an_order(shopify)
    ret = shopify.request_return(DOMAIN, made["order"], [(made["lines"][0], 1, "unwanted")])
    shopify.fail_next("AftersalesReturnApprove")
    assert data(shopify, "AftersalesOrder", {"id": made["order"]})["order"]  # another operation: not this fault's
    assert gql(shopify, "AftersalesReturnApprove", {"input": {"id": ret}}) == (503, {"errors": "Service Unavailable"})
    assert shopify.returns(DOMAIN)[0]["status"] == "REQUESTED"
    shopify.fail_next(status=502)
    assert gql(shopify, "AftersalesReturn", {"id": ret})[0] == 502

    shopify.user_error_next("AftersalesReturnApprove", "Return is locked", field=["input", "id"], code="LOCKED")
    assert data(shopify, "AftersalesReturnApprove", {"input": {"id": ret}}) == {"returnApproveRequest": {
        "return": None, "userErrors": [{"field": ["input", "id"], "message": "Return is locked", "code": "LOCKED"}]}}
    assert shopify.returns(DOMAIN)[0]["status"] == "REQUESTED" and "returns/approve" not in topics(shopify)
    with pytest.raises(ValueError):
        shopify.user_error_next("AftersalesOrder", "queries have no userErrors")

    shopify.time_out_next("AftersalesRefundCreate")
    with pytest.raises((TimeoutError, urllib.error.URLError)):
        refund_create(shopify, made, "5.00", "late-key", timeout=0.1)
    [refund] = shopify.refunds(DOMAIN)  # made all the same
    assert refund_create(shopify, made, "5.00", "late-key")[1]["data"]["refundCreate"]["refund"]["id"] == refund["id"]
    assert [shopify.calls[what] for what in ("failed", "user_error", "timed_out", "replayed")] == [2, 1, 1, 1]


def test_webhooks_are_signed_with_shopify_headers_and_numeric_ids_beyond_2_53(shopify, receiver):
    made = shopify.create_order(DOMAIN, [{"sku": "TEE-S", "quantity": 2, "price": "21.00", "product_type": "Shirts"}])
    shopify.wait_for_deliveries(5)
    assert [headers["X-Shopify-Topic"] for headers, _ in receiver.received] == ["orders/create", "orders/paid"]
    for headers, body in receiver.received:
        assert signed_by(SECRET, headers, body)
        assert (headers["X-Shopify-Shop-Domain"], headers["X-Shopify-API-Version"]) == (DOMAIN, "2026-10")
        assert ISO.fullmatch(headers["X-Shopify-Triggered-At"]) and len(headers["X-Shopify-Webhook-Id"]) == 36
    assert len({headers["X-Shopify-Event-Id"] for headers, _ in receiver.received}) == 2
    payload = json.loads(receiver.received[0][1])
    assert type(payload["id"]) is int and payload["id"] > 2**53 and float(payload["id"]) != payload["id"]
    assert f"gid://shopify/Order/{payload['id']}" == payload["admin_graphql_api_id"] == made["order"]
    assert payload["line_items"] == [{"id": int(made["lines"][0].rsplit("/", 1)[1]), "admin_graphql_api_id": made["lines"][0],
                                      "sku": "TEE-S", "quantity": 2, "price": "21.0"}]
    assert (payload["total_price"], payload["financial_status"], payload["currency"], payload["cancelled_at"]) == (
        "47.0", "paid", "USD", None)
    assert [(d["status"], d["attempts"]) for d in shopify.deliveries] == [(200, 1), (200, 1)]


def test_a_failing_receiver_gets_the_same_delivery_again_and_later_events_wait_their_turn(shopify, receiver):
    receiver.statuses.extend([500, 503])
    shopify.create_order(DOMAIN, [{"sku": "A", "quantity": 1, "price": "1.00"}], paid=False)
    shopify.create_order(DOMAIN, [{"sku": "B", "quantity": 1, "price": "1.00"}], paid=False)
    shopify.wait_for_deliveries(5)
    first, second = shopify.deliveries
    assert [(d["status"], d["attempts"]) for d in (first, second)] == [(200, 3), (200, 1)]
    assert receiver.received[:3] == [receiver.received[0]] * 3  # the same headers (webhook id, HMAC) and body
    assert receiver.received[0][0]["X-Shopify-Webhook-Id"] == first["webhook_id"]
    assert [json.loads(body)["line_items"][0]["sku"] for _, body in receiver.received] == ["A", "A", "A", "B"]

    receiver.statuses.extend([500] * 4)  # the first try and its three retries
    shopify.create_order(DOMAIN, [{"sku": "C", "quantity": 1, "price": "1.00"}], paid=False)
    shopify.wait_for_deliveries(5)
    assert [(d["status"], d["attempts"]) for d in shopify.deliveries[2:]] == [(500, 4)]


def test_an_unreachable_receiver_is_retried_then_given_up():
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{closed.getsockname()[1]}/v1/webhooks/shopify"
    service = ShopifyService({DOMAIN: TOKEN}, webhook_url=url, app_secret=SECRET, retry_seconds=(0.01, 0.01)).start()
    try:
        service.uninstall(DOMAIN)
        service.wait_for_deliveries(5)
        assert [(d["topic"], d["status"], d["attempts"]) for d in service.deliveries] == [("app/uninstalled", None, 3)]
    finally:
        service.stop()


def test_a_duplicated_event_is_a_second_delivery_with_the_same_event_id(receiver):
    def duplicated(rate: float) -> list[str]:
        service = ShopifyService({DOMAIN: TOKEN}, webhook_url=receiver.url, app_secret=SECRET, duplicate_rate=rate, seed=3).start()
        try:
            for n in range(6):
                service.create_order(DOMAIN, [{"sku": f"S{n}", "quantity": 1, "price": "1.00"}], paid=False)
            service.wait_for_deliveries(5)
            deliveries = service.deliveries
        finally:
            service.stop()
        assert len({d["webhook_id"] for d in deliveries}) == len(deliveries)
        return [d["event_id"] for d in deliveries]

    events = duplicated(1.0)
    assert len(events) == 12 and all(events[i] == events[i + 1] for i in range(0, 12, 2))
    assert len(set(events)) == 6
    shares = [len(duplicated(0.5)) for _ in range(2)]
    assert shares[0] == shares[1] and 6 < shares[0] < 12  # seeded: the same events are duplicated each run
    pairs = [(h["X-Shopify-Event-Id"], h["X-Shopify-Webhook-Id"]) for h, _ in receiver.received[:2]]
    assert pairs[0][0] == pairs[1][0] and pairs[0][1] != pairs[1][1]


def test_held_webhooks_come_late_in_order_and_a_rotated_secret_signs_the_events_after_it(shopify, receiver):
    shopify.hold_webhooks()
    made = an_order(shopify)
    with pytest.raises(TimeoutError):
        shopify.wait_for_deliveries(0.05)
    assert receiver.received == []
    shopify.rotate_secret("shpss_rotated")
    shopify.request_return(DOMAIN, made["order"], [(made["lines"][0], 1, "unwanted")])
    shopify.release_webhooks()
    shopify.wait_for_deliveries(5)
    assert [h["X-Shopify-Topic"] for h, _ in receiver.received] == [
        "orders/create", "orders/paid", "fulfillments/create", "returns/request"]
    assert [signed_by(SECRET, h, body) for h, body in receiver.received] == [True, True, True, False]
    assert signed_by("shpss_rotated", *receiver.received[-1])


def test_a_merchant_refund_on_a_return_a_canceled_return_and_the_refund_payload(shopify):
    made = an_order(shopify)
    ret = shopify.request_return(DOMAIN, made["order"], [(made["lines"][1], 1, "defective")])
    refund = shopify.merchant_refund(DOMAIN, made["order"], [(made["lines"][1], 1)], "7.50", return_gid=ret)
    assert [r["id"] for r in data(shopify, "AftersalesReturn", {"id": ret})["return"]["refunds"]["nodes"]] == [refund]
    [payload] = payloads(shopify, "refunds/create")
    number = lambda gid: int(gid.rsplit("/", 1)[1])  # noqa: E731
    money = {"amount": "7.50", "currency_code": "USD"}
    assert payload == {
        "id": number(refund), "admin_graphql_api_id": refund, "order_id": number(made["order"]),
        "created_at": payload["created_at"], "note": None, "return": {"id": number(ret), "admin_graphql_api_id": ret},
        "refund_line_items": [{"id": payload["refund_line_items"][0]["id"], "line_item_id": number(made["lines"][1]),
                               "quantity": 1, "subtotal": 7.5, "subtotal_set": {"shop_money": money, "presentment_money": money}}],
        "transactions": [{"id": payload["transactions"][0]["id"], "kind": "refund", "status": "success",
                          "amount": "7.50", "currency": "USD"}],
    }
    assert all(n > 2**53 for n in (payload["refund_line_items"][0]["id"], payload["transactions"][0]["id"]))

    shopify.cancel_return(DOMAIN, ret)
    assert data(shopify, "AftersalesReturn", {"id": ret})["return"]["status"] == "CANCELED"
    [canceled] = payloads(shopify, "returns/cancel")
    assert (canceled["status"], canceled["order"]) == ("canceled", {"id": number(made["order"]), "admin_graphql_api_id": made["order"]})
    assert canceled["return_line_items"][0]["fulfillment_line_item"]["line_item"]["id"] == number(made["lines"][1])
    with pytest.raises(ValueError):
        shopify.cancel_return(DOMAIN, ret)


def test_an_uninstalled_app_is_told_and_its_token_refused(shopify):
    assert "errors" not in gql(shopify, "AftersalesOrder")[1]
    shopify.uninstall(DOMAIN)
    assert gql(shopify, "AftersalesOrder") == (401, {"errors": UNAUTHORIZED})
    [payload] = payloads(shopify, "app/uninstalled")
    assert payload == {"id": payload["id"], "name": "acme", "domain": DOMAIN, "myshopify_domain": DOMAIN}
    assert type(payload["id"]) is int and payload["id"] > 2**53


def test_without_a_webhook_url_webhooks_are_only_recorded():
    service = ShopifyService({DOMAIN: TOKEN}).start()
    try:
        service.create_order(DOMAIN, [{"sku": "A", "quantity": 1, "price": "1.00"}])
        service.wait_for_deliveries(0)
        deliveries = service.deliveries
    finally:
        service.stop()
    assert [(d["topic"], d["status"], d["attempts"]) for d in deliveries] == [("orders/create", None, 0), ("orders/paid", None, 0)]
    assert "X-Shopify-Hmac-Sha256" not in deliveries[0]["headers"]  # no app secret: nothing to sign with
