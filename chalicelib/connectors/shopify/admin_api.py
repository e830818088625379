"""Shopify's Admin GraphQL API: the reads hydration needs and the writes the after-sales actions make.

POST {origin}/admin/api/{version}/graphql.json with `X-Shopify-Access-Token`. Errors come three ways: HTTP
(401 a refused token, 5xx or no answer: unknown), top-level `errors` (a schema error; `Throttled`; Shopify's
own INTERNAL_SERVER_ERROR, whose outcome is unknown), and the
mutation's own `userErrors` (HTTP 200; returned to the caller, which knows what they mean). Every answer reports
the app's cost bucket in `extensions.cost.throttleStatus`; a throttled call is waited out from those figures,
within `throttle_budget_seconds`, and then reported unavailable (the caller's retry comes later).
"""

import json
import socket
import time
import urllib.error
import urllib.request
from collections.abc import Callable

from chalicelib.domain.connections import ShopifyConnection
from chalicelib.ports.errors import MarketplaceRefused, MarketplaceUnavailable

_MONEY = "presentmentMoney { amount currencyCode }"

ORDER = f"""query AftersalesOrder($id: ID!) {{
  order(id: $id) {{
    id name createdAt updatedAt processedAt cancelledAt displayFinancialStatus presentmentCurrencyCode
    customer {{ id }}
    totalShippingPriceSet {{ {_MONEY} }}
    lineItems(first: 250) {{
      nodes {{
        id sku quantity product {{ productType }}
        originalUnitPriceSet {{ {_MONEY} }}
        discountAllocations {{ allocatedAmountSet {{ {_MONEY} }} }}
      }}
      pageInfo {{ hasNextPage }}
    }}
    fulfillments {{ id status createdAt deliveredAt trackingInfo {{ company number }} }}
    fulfillmentOrders(first: 10) {{
      nodes {{ id status lineItems(first: 250) {{ nodes {{ lineItem {{ id }} remainingQuantity }} }} }}
    }}
    transactions {{ id kind status gateway amountSet {{ {_MONEY} }} parentTransaction {{ id }} }}
    refunds {{ id createdAt note return {{ id }} totalRefundedSet {{ {_MONEY} }} }}
  }}
}}"""

RETURN = f"""query AftersalesReturn($id: ID!) {{
  return(id: $id) {{
    id name status createdAt
    order {{ id }}
    decline {{ reason note }}
    returnLineItems(first: 250) {{
      nodes {{
        ... on ReturnLineItem {{
          id quantity processedQuantity returnReason returnReasonNote customerNote
          fulfillmentLineItem {{ lineItem {{ id }} }}
        }}
      }}
    }}
    reverseFulfillmentOrders(first: 10) {{
      nodes {{
        id
        reverseDeliveries(first: 10) {{
          nodes {{ id deliverable {{ ... on ReverseDeliveryShippingDeliverable {{ tracking {{ carrierName number }} }} }} }}
        }}
      }}
    }}
    refunds(first: 10) {{ nodes {{ id createdAt totalRefundedSet {{ {_MONEY} }} }} }}
    exchangeLineItems(first: 10) {{
      nodes {{ id quantity processedQuantity variantId lineItems {{ sku originalUnitPriceSet {{ {_MONEY} }} }} }}
    }}
  }}
}}"""

REFUND = f"""query AftersalesRefund($id: ID!) {{
  refund(id: $id) {{
    id createdAt note
    order {{ id }}
    return {{ id }}
    totalRefundedSet {{ {_MONEY} }}
    refundLineItems(first: 250) {{ nodes {{ quantity lineItem {{ id }} subtotalSet {{ {_MONEY} }} }} }}
  }}
}}"""

REVERSE_DELIVERY = """query AftersalesReverseDelivery($id: ID!) {
  reverseDelivery(id: $id) {
    id
    deliverable { ... on ReverseDeliveryShippingDeliverable { tracking { carrierName number } } }
    reverseFulfillmentOrder { id return { id } }
  }
}"""

_USER_ERRORS = "userErrors { field message code }"

RETURN_APPROVE = f"""mutation AftersalesReturnApprove($input: ReturnApproveRequestInput!) {{
  returnApproveRequest(input: $input) {{ return {{ id status }} {_USER_ERRORS} }}
}}"""

RETURN_DECLINE = f"""mutation AftersalesReturnDecline($input: ReturnDeclineRequestInput!) {{
  returnDeclineRequest(input: $input) {{ return {{ id status }} {_USER_ERRORS} }}
}}"""

RETURN_PROCESS = f"""mutation AftersalesReturnProcess($input: ReturnProcessInput!, $idempotencyKey: String!) {{
  returnProcess(input: $input) @idempotent(key: $idempotencyKey) {{
    return {{ id status refunds(first: 10) {{ nodes {{ id createdAt totalRefundedSet {{ {_MONEY} }} }} }} }}
    {_USER_ERRORS}
  }}
}}"""

FULFILLMENT_ORDER_HOLD = f"""mutation AftersalesFulfillmentOrderHold($id: ID!, $fulfillmentHold: FulfillmentOrderHoldInput!) {{
  fulfillmentOrderHold(id: $id, fulfillmentHold: $fulfillmentHold) {{ fulfillmentOrder {{ id status }} {_USER_ERRORS} }}
}}"""

REFUND_CREATE = f"""mutation AftersalesRefundCreate($input: RefundInput!, $idempotencyKey: String!) {{
  refundCreate(input: $input) @idempotent(key: $idempotencyKey) {{
    refund {{ id createdAt totalRefundedSet {{ {_MONEY} }} }}
    userErrors {{ field message }}
  }}
}}"""


class ShopifyAdmin:
    def __init__(
        self, connection: ShopifyConnection, access_token: Callable[[], bytes | None], timeout_seconds: float = 5.0,
        throttle_budget_seconds: float = 4.0, sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.connection = connection
        self._url = f"{connection.origin}/admin/api/{connection.api_version}/graphql.json"
        self._token = access_token
        self._timeout = timeout_seconds
        self._budget = throttle_budget_seconds
        self._sleep = sleep

    def call(self, document: str, variables: dict) -> dict:
        """The answer's `data`; waits out `Throttled` within the budget."""
        waited = 0.0
        while True:
            answer = self._post(document, variables)
            errors = answer.get("errors")
            if not errors:
                return answer.get("data") or {}
            if _coded(errors, "INTERNAL_SERVER_ERROR"):  # Shopify failed: a write may or may not have acted
                raise MarketplaceUnavailable(f"Shopify failed {_operation(document)}: {_messages(errors)}")
            if not _coded(errors, "THROTTLED"):
                raise MarketplaceRefused(f"Shopify refused {_operation(document)}: {_messages(errors)}")
            wait = _throttle_wait(answer)
            if waited + wait > self._budget:
                raise MarketplaceUnavailable(f"Shopify throttled {_operation(document)}; the bucket refills in {wait:.1f} s")
            self._sleep(wait)
            waited += wait

    def _post(self, document: str, variables: dict) -> dict:
        token = self._token()
        if not token:
            raise MarketplaceRefused(f"no access token for {self.connection.domain} ({self.connection.access_token_parameter})")
        body = json.dumps({"query": document, "variables": variables, "operationName": _operation(document)}).encode()
        request = urllib.request.Request(self._url, data=body, method="POST", headers={
            "Content-Type": "application/json", "X-Shopify-Access-Token": token.decode(),
        })
        try:
            with urllib.request.urlopen(request, timeout=self._timeout) as response:
                return json.loads(response.read())
        except urllib.error.HTTPError as error:
            if error.code in (401, 402, 403, 404, 423):
                raise MarketplaceRefused(f"Shopify answered {error.code} for {self.connection.domain}") from None
            raise MarketplaceUnavailable(f"Shopify answered {error.code} to {_operation(document)}") from None
        except (urllib.error.URLError, socket.timeout, TimeoutError, ConnectionError, ValueError) as error:
            raise MarketplaceUnavailable(f"no answer from Shopify to {_operation(document)}: {error}") from None


def user_errors(payload: dict | None) -> str | None:
    """A mutation's userErrors as one message (None: there are none)."""
    problems = (payload or {}).get("userErrors") or []
    if not problems:
        return None
    return "; ".join(
        f"{'.'.join(str(part) for part in problem.get('field') or [])}: {problem.get('message')}".lstrip(": ")
        for problem in problems
    )


def _operation(document: str) -> str:
    return document.split("(", 1)[0].split()[-1]


def _coded(errors: object, code: str) -> bool:
    return isinstance(errors, list) and any(
        isinstance(error, dict) and (error.get("extensions") or {}).get("code") == code for error in errors
    )


def _messages(errors: object) -> str:
    if isinstance(errors, list):
        return "; ".join(str(error.get("message") if isinstance(error, dict) else error) for error in errors)
    return str(errors)


def _throttle_wait(answer: dict) -> float:
    """Seconds until the bucket holds what the call asked for, from the figures Shopify sent with the refusal."""
    cost = (answer.get("extensions") or {}).get("cost") or {}
    status = cost.get("throttleStatus") or {}
    try:
        missing = float(cost.get("requestedQueryCost", 50)) - float(status.get("currentlyAvailable", 0))
        rate = float(status.get("restoreRate", 50)) or 50.0
    except (TypeError, ValueError):
        return 1.0
    return max(missing, 1.0) / rate
