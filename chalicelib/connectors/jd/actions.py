"""The seller's after-sales actions in JD, through JOS (CONNECTORS.md, "JD (JOS)").

Two JD records stand behind a return of ours. The service order ("service-<serviceId>": the goods) is audited
(jingdong.asc.audit.send / .refuse) and its goods' receipt registered (jingdong.asc.receive.register), each as
the connection's operator; an audit names the service order's current sysVersion, read just before, so a write
racing a change (the buyer cancelled, JD's staff moved it) fails on the stale version and is read, decided and
sent again, a few times at most. The refund application (the money) is a cancellation of ours itself
("refund-<id>"), or the one JD opens on a service order's order once its goods were received; it is approved with
jingdong.pop.afs.soa.refundapply.replyRefund, whose remark names our ledger key: JD's application names only the
order, so the key is how it is known as ours, by the next attempt and by hydration.

Every write is preceded by a read, so one whose answer was lost is found done rather than sent twice. Money moved
only when JD says so: 3 (JD finance refunded) or 9 (JD closed the order and refunded by itself). An approval JD
took is not a payment: the dispatch is told PaymentNotConfirmed and its next attempt reads the application again
(3: confirmed; 4, JD finance failed: PaymentDeclined "refund_failed", for finance). JD refunds the amount the buyer
applied for, so one that is not our ledger record's is not approved (PaymentDeclined "amount_differs"). In dry_run
the reads are made and every write is recorded in the audit table (jd.dry_run) exactly as it would have been sent,
and not sent.
"""


from chalicelib.connectors.china import fen_text, yuan_to_fen
from chalicelib.connectors.jd import jos_api
from chalicelib.connectors.jd.hydrate import (
    applications_of_order,
    ledger_keys,
    operator,
    read_application,
    read_service,
)
from chalicelib.connectors.jd.translate import SERVICE_STATUSES, jd_object, jd_time
from chalicelib.connectors.seller_writes import SellerWrites
from chalicelib.domain.clock import iso_utc
from chalicelib.domain.explanations import REJECTED_AT_INSPECTION, explain
from chalicelib.domain.ledger import LedgerRecord, refund_id_for
from chalicelib.domain.returns import Return
from chalicelib.domain.tenancy import own_id
from chalicelib.ports.errors import (
    HydrationFailed,
    MarketplaceRefused,
    MarketplaceUnavailable,
    PaymentDeclined,
    PaymentNotConfirmed,
)

# Our rules' codes and JD's audit reason ids (approveReasonCid1). jingdong.asc.audit.reason.list lists a store's,
# per category: these defaults are assumptions; a store's connection names its own in `refuse_reasons`.
REFUSE_REASONS = {
    "WINDOW_EXPIRED": "1201", "NON_RETURNABLE": "1202", "QUANTITY_EXCEEDED": "1203", "ORDER_NOT_ELIGIBLE": "1204",
}
DEFAULT_REFUSE_REASON = "1299"
APPROVE_NOTES = "同意退货，请按退货地址寄回"  # what the buyer reads: agreed, send the goods to the return address
AWAITING_GOODS = 10005  # serviceStatus: approved, the goods not received yet
# A refund application's status (CONNECTORS.md).
PENDING, APPROVED, REFUSED, REFUNDED, REFUND_FAILED, INTERCEPTING, FORCED_REFUND, WITHDRAWN = 0, 1, 2, 3, 4, 6, 9, 11
PAID = frozenset({REFUNDED, FORCED_REFUND})
# replyRefund's outWareStatus: whether the goods had left the warehouse.
SHIPPED, NOT_SHIPPED = 1, 2
# replyRefund's rejectType when refusing (required; JD publishes no table of its values with the method: an
# assumption to check against the store's back office).
REJECT_TYPE = 1
# receive.register's states from our inspection. JD names them (packing, the main goods' function, accessories and
# gifts, the reason of the registration) without publishing their codes: 10 as expected / 20 not, and judgment 1
# as claimed / 2 not, are assumptions to check against the store's back office.
AS_EXPECTED, NOT_AS_EXPECTED = 10, 20
JUDGED_AS_CLAIMED, JUDGED_OTHERWISE = 1, 2
PACKING_WORDS = ("box", "packag", "carton", "wrap")
ACCESSORY_WORDS = ("accessor", "gift", "missing", "manual", "charger", "cable", "part")


def receipt_of(inspection: dict) -> dict:
    """receive.register's states for our warehouse's inspection: a deduction names what was wrong (its code's words
    say packing or accessories; any other is the goods themselves), a line accepted at 0 is goods not as expected,
    and a gift the buyer kept is an accessory missing."""
    lines = inspection.get("items") or []
    codes = [str(d.get("code") or "").lower() for line in lines for d in line.get("deductions") or []]
    packing = [code for code in codes if any(word in code for word in PACKING_WORDS)]
    accessories = [code for code in codes if code not in packing and any(word in code for word in ACCESSORY_WORDS)]
    goods = [code for code in codes if code not in packing and code not in accessories]
    rejected = any(not line.get("accepted") for line in lines)
    flawed = bool(codes) or rejected or bool(inspection.get("kept_gifts"))
    summary = "; ".join(
        f"{line.get('line_id')}: {line.get('accepted')} accepted"
        + "".join(f", {d.get('code')} -{d.get('amount')}" for d in line.get("deductions") or []) for line in lines)
    return {
        "packingState": NOT_AS_EXPECTED if packing else AS_EXPECTED,
        "qualityState": NOT_AS_EXPECTED if goods or rejected else AS_EXPECTED,
        "accessoryOrGift": NOT_AS_EXPECTED if accessories or inspection.get("kept_gifts") else AS_EXPECTED,
        "judgmentReason": JUDGED_OTHERWISE if flawed else JUDGED_AS_CLAIMED,
        "receiveRemark": f"inspected: {summary}"[:200],
    }


def application_of(applications: list[dict], issued: LedgerRecord, number: str) -> dict | None:
    """Ours (its remark names our key: answered by an earlier attempt), else one still pending that no other
    return of ours claims, of our amount if there are several. One answered by someone else is a refund made
    without us: a person reconciles it, nothing is paid."""
    ours = [a for a in applications if issued.refund_id in ledger_keys(a)]
    if ours:
        return ours[0]
    free = [a for a in applications if not ledger_keys(a)]
    pending = [a for a in free if _status(a) == PENDING]
    if pending:
        return next((a for a in pending if _fen(a) == issued.total_minor), pending[0])
    answered = [a for a in free if _status(a) in PAID | {APPROVED, INTERCEPTING}]
    if answered:
        application = answered[0]
        raise PaymentDeclined("refunded_by_marketplace", (
            f"JD's refund application {application['id']} on the order of service order {number} was answered "
            f"without us (status {_status(application)}, {fen_text(_fen(application))} CNY): a person reconciles "
            f"it with {issued.refund_id}; nothing more is paid"))
    return None


class JdActions(SellerWrites):
    PLATFORM, LOCKED = "jd", "JD's service order"

    def approve(self, record: Return) -> str:
        kind, number = jd_object(own_id(record.return_id))
        if kind == "refund":
            return "nothing to approve in JD: a refund application is answered when its refund is approved"
        return self._stale_safe(lambda: self._approve(record, number))

    def _approve(self, record: Return, number: str) -> str:
        service = self._service(record, number)
        standing = _standing(service)
        if standing in ("declined", "canceled"):
            raise MarketplaceRefused(f"JD's service order {number} is {standing} (serviceStatus "
                                     f"{service.get('serviceStatus')}); it cannot be approved")
        if standing != "requested":
            return f"already approved in JD (serviceStatus {service.get('serviceStatus')})"
        details = [d["serviceDetailId"] for d in service.get("serviceBillDetailList") or [] if d.get("serviceDetailId")]
        params = {**self._audit_of(service), "approveNotes": APPROVE_NOTES, **self._return_address()}
        if details:
            params["applyDetailIdList"] = details
        address = self._connection.return_address
        return (self._write("jingdong.asc.audit.send", params, record)
                or f"approved in JD: the buyer sends the goods back to {address.city}{address.county}{address.address}")

    def decline(self, record: Return, code: str | None) -> str:
        kind, number = jd_object(own_id(record.return_id))
        if kind == "refund":
            return self._refuse_application(record, number, code)
        return self._stale_safe(lambda: self._decline(record, number, code))

    def _refuse_application(self, record: Return, number: str, code: str | None) -> str:
        """replyRefund with status 2: refused, with our rule's explanation (JD would otherwise close it by itself)."""
        application = self._application(number)
        status = _status(application)
        if status in (REFUSED, WITHDRAWN):
            return f"JD's refund application {number} is {'refused' if status == REFUSED else 'withdrawn'} already"
        if status != PENDING:
            raise MarketplaceRefused(f"JD's refund application {number} is answered already (status {status})")
        reply = {**self._reply(application, REFUSED, SHIPPED, refund_id_for(record.return_id)),
                 "remark": explain(code)[:200], "rejectType": REJECT_TYPE}
        return self._write("jingdong.pop.afs.soa.refundapply.replyRefund", reply, record) or f"refused in JD ({code})"

    def _decline(self, record: Return, number: str, code: str | None) -> str:
        service = self._service(record, number)
        standing = _standing(service)
        if standing == "declined":
            return "already refused in JD"
        if standing == "canceled":
            return "already cancelled by the buyer in JD"
        if code == REJECTED_AT_INSPECTION and standing != "requested":
            return self._reject_received(record, service)
        if standing != "requested":
            raise MarketplaceRefused(f"JD's service order {number} is past its audit (serviceStatus "
                                     f"{service.get('serviceStatus')}); it cannot be refused")
        reason = {**REFUSE_REASONS, **self._connection.refuse_reasons}.get(code or "", DEFAULT_REFUSE_REASON)
        params = {**self._audit_of(service), "approveReasonCid1": int(reason), "approveNotes": explain(code)[:200]}
        return self._write("jingdong.asc.audit.refuse", params, record) or f"refused in JD (reason {reason})"

    def _reject_received(self, record: Return, service: dict) -> str:
        """Goods back that failed our inspection: their receipt registered with what was wrong, and the refund
        application JD opens on it refused (else JD would pay it by itself)."""
        if service.get("serviceStatus") == AWAITING_GOODS:
            self._register_receipt(service, record)
        # The one it opened: pending and claimed by no other return of ours (as the refund's own lookup finds it).
        pending = [a for a in applications_of_order(self._client, str(service["orderId"]))
                   if _status(a) == PENDING and not ledger_keys(a)]
        if not pending:
            return "receipt registered in JD; no refund application open on it"
        reply = {**self._reply(pending[0], REFUSED, SHIPPED, refund_id_for(record.return_id)),
                 "remark": explain(REJECTED_AT_INSPECTION)[:200], "rejectType": REJECT_TYPE}
        return (self._write("jingdong.pop.afs.soa.refundapply.replyRefund", reply, record)
                or f"receipt registered in JD, its refund application {pending[0]['id']} refused")

    def hold(self, record: Return) -> str | None:
        """A POP store ships its JD orders itself: the warehouse holds the order (None: ask it)."""
        return None

    def intercept(self, record: Return) -> str:
        """Approve the refund application with JD's interception of the parcel (6): JD stops it and pays once the
        application settles; the refund's dispatch waits for that (3)."""
        kind, number = jd_object(own_id(record.return_id))
        if kind == "service":
            return "nothing to intercept in JD: a service order's goods come back from the buyer"
        application = self._application(number)
        status = _status(application)
        if status == PENDING:
            reply = self._reply(application, INTERCEPTING, SHIPPED, refund_id_for(record.return_id))
            return (self._write("jingdong.pop.afs.soa.refundapply.replyRefund", reply, record)
                    or f"refund application {number} approved in JD with the interception of its parcel")
        if status in (APPROVED, INTERCEPTING) or status in PAID:
            return f"nothing to intercept: JD's refund application {number} is answered already (status {status})"
        raise MarketplaceRefused(f"JD's refund application {number} is {status}; nothing can be intercepted on it")

    def exchange(self, record: Return) -> str | None:
        """JD ships nothing for a POP store: the replacement comes from our warehouse (None: ask it)."""
        return None

    def replacement_shipped(self, record: Return, parcel: dict) -> str:
        return "nothing to tell JD: a POP store's replacement is its own shipment"

    def refund(self, record: Return, issued: LedgerRecord) -> dict:
        try:
            return self._refund_once(record, issued)
        except MarketplaceUnavailable as error:
            raise PaymentNotConfirmed(str(error)) from None
        except MarketplaceRefused as error:
            raise PaymentDeclined("marketplace_refused", str(error)) from None

    def _refund_once(self, record: Return, issued: LedgerRecord) -> dict:
        kind, number = jd_object(own_id(record.return_id))
        if kind == "refund":
            held = (record.hold_answer or {}).get("outcome") == "held"
            return self._pay(self._application(number), issued, NOT_SHIPPED if held else SHIPPED, record)
        application = self._service_application(record, number, issued)
        if application is not None:
            return self._pay(application, issued, SHIPPED, record)
        if self._dry_run:
            return {"dry_run": True}
        raise PaymentNotConfirmed(f"JD has not opened the refund application of service order {number} yet (it does "
                                  "once the goods' receipt is registered): asked again later")

    def _service_application(self, record: Return, number: str, issued: LedgerRecord) -> dict | None:
        """The refund application paying this service order, its goods' receipt registered first; None before JD
        opened one."""
        service = self._service(record, number)
        standing = _standing(service)
        if standing in ("declined", "canceled"):
            raise MarketplaceRefused(f"JD's service order {number} is {standing}; nothing is refunded on it")
        if standing == "requested" and not self._dry_run:  # in dry run our approval was not sent: JD is behind us
            raise MarketplaceRefused(f"JD's service order {number} awaits its audit: nothing is refunded before it")
        if standing == "requested" or service.get("serviceStatus") == AWAITING_GOODS:
            self._register_receipt(service, record)
        return application_of(applications_of_order(self._client, str(service["orderId"])), issued, number)

    def _register_receipt(self, service: dict, record: Return) -> None:
        if not record.inspection:
            raise MarketplaceRefused(f"JD refunds service order {service['serviceId']} once its goods' receipt is "
                                     "registered, and our warehouse has not inspected them: a person registers it")
        who = self._connection.operator
        self._write("jingdong.asc.receive.register", {
            **operator(self._connection), "serviceId": service["serviceId"], "orderId": service["orderId"],
            "receivePin": who.pin, "receiveName": who.nick, **receipt_of(record.inspection),
        }, record)

    def _pay(self, application: dict, issued: LedgerRecord, out_ware: int, record: Return) -> dict:
        number, status, fen = str(application["id"]), _status(application), _fen(application)
        if status in PAID:
            if fen != issued.total_minor:
                raise PaymentDeclined("refunded_by_marketplace", (
                    f"JD refunded {fen_text(fen)} CNY on refund application {number} (status {status}); our record "
                    f"is {issued.total} CNY: nothing more is paid"))
            return self._paid(application)
        if status == REFUND_FAILED:
            raise PaymentDeclined("refund_failed", (
                f"JD finance failed to pay refund application {number} (status 4, {fen_text(fen)} CNY): no money "
                "moved; finance settles it with JD"))
        if status in (REFUSED, WITHDRAWN):
            words = "refused" if status == REFUSED else "withdrawn by the buyer"
            raise PaymentDeclined("marketplace_refused", f"JD's refund application {number} was {words}: not paid")
        if fen != issued.total_minor:
            raise PaymentDeclined("amount_differs", (
                f"the buyer applied for {fen_text(fen)} CNY on refund application {number}, our record is "
                f"{issued.total} CNY: JD refunds only the amount applied for"))
        if status == PENDING:
            reply = self._reply(application, APPROVED, out_ware, issued.refund_id)
            if self._write("jingdong.pop.afs.soa.refundapply.replyRefund", reply, record):
                return {"dry_run": True}
            application = self._application(number)
            if _status(application) in PAID:
                return self._paid(application)
        raise PaymentNotConfirmed(f"JD's refund application {number} is approved (status {_status(application)}); JD "
                                  "finance has not paid it yet: asked again later")

    def _paid(self, application: dict) -> dict:
        at = jd_time(application.get("checkTime")) or self._now()
        return {"marketplace_refund_id": str(application["id"]), "created_at": iso_utc(at)}

    def _reply(self, application: dict, status: int, out_ware: int, ledger_key: str) -> dict:
        return {"id": application["id"], "status": status, "checkUserName": self._connection.operator.nick,
                "remark": f"aftersales {ledger_key}", "outWareStatus": out_ware}

    def _service(self, record: Return, number: str) -> dict:
        try:
            return read_service(self._client, number, own_id(record.order_id) if record.order_id else None)
        except HydrationFailed as error:
            raise MarketplaceRefused(str(error)) from None

    def _application(self, number: str) -> dict:
        try:
            return read_application(self._client, number)
        except HydrationFailed as error:
            raise MarketplaceRefused(str(error)) from None

    def _audit_of(self, service: dict) -> dict:
        """What every audit names: the operator, the service order and its current sysVersion."""
        return {**operator(self._connection), "serviceId": service["serviceId"], "orderId": service["orderId"],
                "sysVersion": service.get("sysVersion")}

    def _return_address(self) -> dict:
        address = self._connection.return_address
        codes = {"province_code": address.province_code, "city_code": address.city_code,
                 "county_code": address.county_code}
        missing = [name for name, code in codes.items() if code is None]
        if missing:
            raise MarketplaceRefused(f"JD store {self._connection.vender_id}: the connection's return address has no "
                                     f"{', '.join(missing)} (JD's area ids), which jingdong.asc.audit.send needs")
        fields = {
            "returnContactName": address.contact_name, "returnContactTel": address.contact_phone,
            "returnContactMobile": address.contact_mobile, "returnZipcode": address.zip_code,
            "returnProvince": address.province_code, "returnCity": address.city_code,
            "returnCounty": address.county_code, "returnVillage": address.village_code,
            "returnDetailAddress": address.address, "returnAddressType": address.address_type,
        }
        return {name: value for name, value in fields.items() if value is not None}

    def _shop(self) -> str:
        return self._connection.vender_id

    def _stale(self, error: Exception) -> bool:
        return isinstance(error, jos_api.JosRefused) and jos_api.stale_version(error)


def _standing(service: dict) -> str:
    return SERVICE_STATUSES.get(service.get("serviceStatus"), "open")


def _status(application: dict) -> int:
    return int(str(application.get("status")))


def _fen(application: dict) -> int:
    return yuan_to_fen(application.get("applyRefundSum"))
