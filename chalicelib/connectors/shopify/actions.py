"""The seller's after-sales actions in Shopify, through the Admin API (CONNECTORS.md, "Shopify").

Every write reads the Return (or, for a cancellation, the order) first and acts only if Shopify still needs it:
an approval whose answer was lost is found approved, a refund whose answer was lost is found on the Return (or
on the order, by its note: our ledger key). The refund itself also carries `@idempotent(key: <ledger key>)`, so
even two sends in a race make one refund. A cancellation before shipment holds the order's fulfillment orders
(what Shopify's warehouse and fulfillment apps ship from) and is refunded with refundCreate, restocking nothing.
In `dry_run` the reads are made and every write is recorded in the audit table (and logged) exactly as it would
have been sent, and not sent.
"""

from collections.abc import Callable
from datetime import datetime

from chalicelib.connectors.shopify import admin_api
from chalicelib.connectors.shopify.admin_api import ShopifyAdmin, user_errors
from chalicelib.connectors.shopify.translate import amount
from chalicelib.connectors.shopify.webhook import gid, number_of
from chalicelib.domain.audit import system_entry
from chalicelib.domain.connections import Mode
from chalicelib.domain.explanations import REJECTED_AT_INSPECTION, explain
from chalicelib.domain.ledger import LedgerRecord, refund_id_for
from chalicelib.domain.returns import Return
from chalicelib.domain.tenancy import own_id
from chalicelib.ports import Audit
from chalicelib.ports.errors import (
    HydrationFailed,
    MarketplaceRefused,
    MarketplaceUnavailable,
    PaymentDeclined,
    PaymentNotConfirmed,
)

# Fulfillment orders whose goods have not left (what a hold can still stop, or stops already).
_NOT_SHIPPED = ("OPEN", "SCHEDULED", "ON_HOLD")
# Our rules' codes and Shopify's decline reasons.
DECLINE_REASONS = {"WINDOW_EXPIRED": "RETURN_PERIOD_ENDED", "NON_RETURNABLE": "FINAL_SALE"}
DEFAULT_DECLINE_REASON = "OTHER"


class ShopifyActions:
    def __init__(self, admin: ShopifyAdmin, audit: Audit, now: Callable[[], datetime]) -> None:
        self._admin = admin
        self._connection = admin.connection
        self._audit = audit
        self._now = now

    @property
    def _dry_run(self) -> bool:
        return self._connection.mode == Mode.DRY_RUN

    def approve(self, record: Return) -> str:
        found = self._return(record)
        status = found["status"]
        if status in ("OPEN", "CLOSED"):
            return f"already {status.lower()} in Shopify"
        if status != "REQUESTED":
            raise MarketplaceRefused(f"Shopify's return {found.get('name') or found['id']} is {status.lower()}; it cannot be approved")
        variables = {"input": {"id": found["id"], "notifyCustomer": self._connection.notify_customer}}
        return self._write(admin_api.RETURN_APPROVE, variables, "returnApproveRequest", record) or "approved in Shopify"

    def decline(self, record: Return, code: str | None) -> str:
        if record.kind == "cancel":
            return "a cancellation has no return in Shopify to decline: the order ships as it is"
        found = self._return(record)
        status = found["status"]
        if status == "DECLINED":
            return "already declined in Shopify"
        if status == "OPEN" and code == REJECTED_AT_INSPECTION:
            return "Shopify declines no approved return: it stays open there (close it in the admin)"
        if status != "REQUESTED":
            raise MarketplaceRefused(f"Shopify's return {found.get('name') or found['id']} is {status.lower()}; it cannot be declined")
        variables = {"input": {
            "id": found["id"], "declineReason": DECLINE_REASONS.get(code, DEFAULT_DECLINE_REASON),
            "declineNote": explain(code)[:500], "notifyCustomer": self._connection.notify_customer,
        }}
        return self._write(admin_api.RETURN_DECLINE, variables, "returnDeclineRequest", record) or "declined in Shopify"

    def refund(self, record: Return, issued: LedgerRecord) -> dict:
        try:
            return self._refund(record, issued)
        except MarketplaceUnavailable as error:
            raise PaymentNotConfirmed(str(error)) from None
        except MarketplaceRefused as error:
            raise PaymentDeclined("shopify_refused", str(error)) from None

    def hold(self, record: Return) -> str:
        """Keep the cancelled units from shipping: held (their open fulfillment orders put on hold), or
        already_shipped when some of them are no longer in an open fulfillment order."""
        order = self._order(record)
        fulfillment_orders = [fo for fo in (order.get("fulfillmentOrders") or {}).get("nodes") or []
                              if fo.get("status") in _NOT_SHIPPED]
        left: dict[str, int] = {}
        holding = []
        for fulfillment_order in fulfillment_orders:
            lines = {number_of((line.get("lineItem") or {}).get("id"), "LineItem"): line.get("remainingQuantity") or 0
                     for line in (fulfillment_order.get("lineItems") or {}).get("nodes") or []}
            if any(lines.get(item["line_id"]) for item in record.items):
                holding.append(fulfillment_order)
            for line_id, count in lines.items():
                left[line_id] = left.get(line_id, 0) + count
        if any(left.get(item["line_id"], 0) < item["quantity"] for item in record.items):
            return "already_shipped"
        for fulfillment_order in holding:
            if fulfillment_order["status"] != "ON_HOLD":
                self._write(admin_api.FULFILLMENT_ORDER_HOLD, {
                    "id": fulfillment_order["id"],
                    "fulfillmentHold": {"reason": "OTHER", "reasonNotes": f"cancel requested ({own_id(record.return_id)})"},
                }, "fulfillmentOrderHold", record)
        return "held"

    def intercept(self, record: Return) -> str:
        """Shopify has no refund-only requests and stops no parcel: refused, so that a person asks the carrier (the
        failures queue says why) rather than the workflow waiting for a return to sender nobody asked for."""
        raise MarketplaceRefused(
            f"Shopify cannot intercept the parcel of order {own_id(record.order_id)}: ask the carrier of its "
            "fulfillment to stop it, then retry or reject the return"
        )

    def _refund(self, record: Return, issued: LedgerRecord) -> dict:
        if record.kind == "cancel":  # a cancellation has no Return in Shopify, whether it had shipped or not
            return self._refund_cancellation(record, issued)
        found = self._return(record)
        made = _refunds(found, issued)
        if made:
            return made[0]  # the refund an earlier attempt made: its answer was lost
        if found["status"] != "OPEN" and not self._dry_run:  # a dry run never approved it
            raise MarketplaceRefused(f"Shopify's return {found.get('name') or found['id']} is {found['status'].lower()}, not open")
        if not issued.payment_ref:
            raise MarketplaceRefused(f"order {own_id(record.order_id)} has no payment in Shopify to refund to")
        variables = {"idempotencyKey": issued.idempotency_key, "input": {
            **_processing(found, self._connection.notify_customer),
            "financialTransfer": {"issueRefund": {"orderTransactions": [{
                "parentId": gid("OrderTransaction", issued.payment_ref),
                "transactionAmount": {"amount": issued.total, "currencyCode": issued.currency},
            }]}},
        }}
        payload = self._write(admin_api.RETURN_PROCESS, variables, "returnProcess", record, answer=True)
        if payload is None:
            return {"dry_run": True}
        made = _refunds(payload.get("return") or {}, issued)
        if not made:
            raise PaymentNotConfirmed(f"Shopify processed return {found['id']} but answered no refund")
        return made[0]

    def exchange(self, record: Return) -> str:
        """Process an exchange nothing was refunded for: Shopify then ships the replacement (holding it until the
        buyer pays a dearer one's difference). One that was refunded was processed with its refund."""
        found = self._return(record)
        if found["status"] == "CLOSED":
            return "processed in Shopify"
        if found["status"] != "OPEN" and not self._dry_run:
            raise MarketplaceRefused(f"Shopify's return {found.get('name') or found['id']} is {found['status'].lower()}, not open")
        variables = {"idempotencyKey": f"{refund_id_for(record.return_id)}.exchange",
                     "input": _processing(found, self._connection.notify_customer)}
        self._write(admin_api.RETURN_PROCESS, variables, "returnProcess", record, answer=True)
        return "dry run: recorded, not sent" if self._dry_run else "exchange processed in Shopify"

    def replacement_shipped(self, record: Return, parcel: dict) -> str:
        return "nothing to tell Shopify: it ships an exchange's replacement itself"

    def _refund_cancellation(self, record: Return, issued: LedgerRecord) -> dict:
        order = self._order(record)
        for made in order.get("refunds") or []:
            if made.get("note") == issued.refund_id:  # an earlier attempt's, whose answer was lost
                return {"marketplace_refund_id": number_of(made["id"], "Refund"), "created_at": made.get("createdAt")}
        sale = next((t for t in order.get("transactions") or [] if number_of(t.get("id"), "OrderTransaction") == issued.payment_ref), None)
        if sale is None:
            raise MarketplaceRefused(f"order {own_id(record.order_id)} has no payment {issued.payment_ref} in Shopify")
        # Held, nothing left: cancelled from the order. Shipped after all, and back: returned to stock.
        restock = "CANCEL" if record.refund_kind == "cancel" else "RETURN"
        variables = {"idempotencyKey": issued.idempotency_key, "input": {
            "orderId": order["id"], "note": issued.refund_id, "notify": self._connection.notify_customer,
            "refundLineItems": [{"lineItemId": gid("LineItem", item["line_id"]), "quantity": item["quantity"],
                                 "restockType": restock} for item in record.items],
            "transactions": [{"orderId": order["id"], "parentId": sale["id"], "amount": issued.total, "kind": "REFUND",
                              "gateway": sale.get("gateway")}],
        }}
        payload = self._write(admin_api.REFUND_CREATE, variables, "refundCreate", record, answer=True)
        if payload is None:
            return {"dry_run": True}
        made = payload.get("refund") or {}
        if not made.get("id"):
            raise PaymentNotConfirmed(f"Shopify answered refundCreate for order {order['id']} with no refund")
        return {"marketplace_refund_id": number_of(made["id"], "Refund"), "created_at": made.get("createdAt")}

    def _order(self, record: Return) -> dict:
        found = self._admin.call(admin_api.ORDER, {"id": gid("Order", own_id(record.order_id))}).get("order")
        if not found:
            raise MarketplaceRefused(f"Shopify has no order {own_id(record.order_id)}")
        return found

    def _return(self, record: Return) -> dict:
        found = self._admin.call(admin_api.RETURN, {"id": gid("Return", own_id(record.return_id))}).get("return")
        if not found:
            raise MarketplaceRefused(f"Shopify has no return {own_id(record.return_id)}")
        return found

    def _write(self, document: str, variables: dict, field: str, record: Return, answer: bool = False):
        """Send the mutation (or record it, in dry run); its payload when `answer`, else None. userErrors refuse."""
        if self._dry_run:
            from chalicelib.observability import logger

            entry = system_entry(
                f"return#{record.return_id}", "shopify.dry_run", self._now(), shop=self._connection.domain,
                operation=field, variables=variables,
            )
            self._audit.append(entry)
            logger.info("dry run: not sent to Shopify", extra={"operation": field, "variables": variables})
            return None if answer else "dry run: recorded, not sent"
        payload = self._admin.call(document, variables).get(field)
        problem = user_errors(payload)
        if problem:
            raise MarketplaceRefused(f"Shopify refused {field}: {problem}")
        return payload if answer else None


def _processing(found: dict, notify: bool) -> dict:
    """returnProcess's input for everything of the Return not processed yet: the goods back, and the exchange."""
    def left(kind: str) -> list[dict]:
        lines = [{"id": line["id"], "quantity": line["quantity"] - (line.get("processedQuantity") or 0)}
                 for line in (found.get(kind) or {}).get("nodes") or []]
        return [line for line in lines if line["quantity"] > 0]

    exchanged = left("exchangeLineItems")
    return {"returnId": found["id"], "notifyCustomer": notify, "returnLineItems": left("returnLineItems"),
            **({"exchangeLineItems": exchanged} if exchanged else {})}


def _refunds(found: dict, issued: LedgerRecord) -> list[dict]:
    """The Return's refunds of the ledger record's amount (another one is the merchant's, not ours), newest first,
    as the ledger keeps them."""
    nodes = sorted((found.get("refunds") or {}).get("nodes") or [], key=lambda node: node.get("createdAt") or "", reverse=True)
    return [
        {"marketplace_refund_id": number_of(node.get("id"), "Refund"), "created_at": node.get("createdAt")}
        for node in nodes
        if _amount_of(node) == (issued.total, issued.currency)
    ]


def _amount_of(refund: dict) -> tuple[str, str] | None:
    money = ((refund.get("totalRefundedSet") or {}).get("presentmentMoney") or {})
    try:
        return amount(refund.get("totalRefundedSet"), money.get("currencyCode")), money.get("currencyCode")
    except (HydrationFailed, KeyError):
        return None
