"""The seller's after-sales actions in Taobao and Tmall, through TOP (CONNECTORS.md, "Taobao / Tmall (TOP)").

Every write reads the refund first and names its current `refund_version`: a write whose answer was lost is found
done (the refund agreed, refused, SUCCESS), and a write racing a change (the buyer edited the request, Taobao
itself moved it) fails on the stale version instead of acting twice; it is then re-read, decided again and sent
again, a few times at most. A Tmall refund is reviewed (taobao.rp.refund.review) before it is agreed. Refunds are
agreed with taobao.rp.refunds.agree in calls within its limits, and each refund's own result is read (a call can
agree some and not others). When Taobao answers that it sent the seller an SMS code, the refund waits in the
finance queue until a person gives the code (services/complete_sms_refund.py). In `dry_run` the reads are made
and every write is recorded in the audit table exactly as it would have been sent, and not sent.

A Tmall exchange is answered with tmall.exchange.* by its dispute_id (no version: its status is read before every
write): agreed (the buyer sent the return address), refused before or after the goods came back, its goods
confirmed received when our inspection passes them (Notify), and the replacement's waybill told to Tmall once our
warehouse ships it (ReplacementShipped). Tmall refunds nothing on it and ships nothing itself.
"""

from dataclasses import dataclass
from datetime import datetime

from chalicelib.connectors.china import COMPANY_NAMES, fen_text, from_china_time, yuan_to_fen
from chalicelib.connectors.seller_writes import SellerWrites
from chalicelib.connectors.taobao import top_api
from chalicelib.connectors.taobao.hydrate import read_exchange, read_refund
from chalicelib.domain.clock import iso_utc
from chalicelib.domain.explanations import explain
from chalicelib.domain.ledger import LedgerRecord
from chalicelib.domain.returns import Return
from chalicelib.domain.tenancy import own_id
from chalicelib.ports.errors import MarketplaceRefused, MarketplaceUnavailable, PaymentDeclined, PaymentNotConfirmed

# Our rules' codes and Taobao's refuse_reason_id (taobao.refund.refusereason.get lists a shop's; these are the
# common ids, and a shop's connection may name its own in `refuse_reasons`).
REFUSE_REASONS = {
    "WINDOW_EXPIRED": "1001", "NON_RETURNABLE": "1002", "QUANTITY_EXCEEDED": "1003", "ORDER_NOT_ELIGIBLE": "1004",
}
DEFAULT_REFUSE_REASON = "1099"
# taobao.rp.refunds.agree per call: refunds and yuan (in fen), by store.
AGREE_LIMITS = {"taobao": (20, 600_000), "tmall": (30, 1_000_000)}
_AGREED = frozenset({"WAIT_BUYER_RETURN_GOODS", "WAIT_SELLER_CONFIRM_GOODS"})
# tmall.exchange.get's statuses: agreed (or further along), and refused or ended.
_EXCHANGE_AGREED = frozenset({"待买家退货", "买家已退货，待收货", "待发出换货商品", "待买家收货", "换货成功"})
_EXCHANGE_RECEIVED = frozenset({"待发出换货商品", "待买家收货", "换货成功"})
_EXCHANGE_SENT = frozenset({"待买家收货", "换货成功"})
_EXCHANGE_ENDED = frozenset({"待买家修改", "换货关闭"})
EXPRESS = "200"  # tmall.exchange.consigngoods logistics_type: 100 post, 200 express
SMS_CODE_REQUIRED = "sms_code_required"
SMS_CODE_REFUSED = "sms_code_refused"
ABOVE_CALL_LIMIT = "above_call_limit"


class SmsCodeRequired(MarketplaceRefused):
    """Taobao sent the seller an SMS code and agreed nothing: a person calls again with the code."""

    code = SMS_CODE_REQUIRED


class _Stale(Exception):
    """One refund of an agree call named a refund_version that is no longer current."""


@dataclass(frozen=True)
class Agreement:
    """One refund of a taobao.rp.refunds.agree call: `refund_id|fen|version|phase`."""

    refund_id: str
    fen: int
    version: str
    phase: str

    @property
    def info(self) -> str:
        return f"{self.refund_id}|{self.fen}|{self.version}|{self.phase}"


def agree_refunds(client, store: str, agreements: list[Agreement], code: str | None = None) -> dict[str, dict]:
    """Agree refunds in as few calls as the limits allow: each refund's result ({"succ", "message"}). A refund above
    the per-call amount is refused here, not sent. SmsCodeRequired when Taobao sent the seller a code."""
    most, ceiling = AGREE_LIMITS[store]
    results: dict[str, dict] = {}
    batch: list[Agreement] = []
    for agreement in agreements:
        if agreement.fen > ceiling:
            results[agreement.refund_id] = {"succ": False, "above_limit": True, "message": (
                f"{fen_text(agreement.fen)} CNY is above the {fen_text(ceiling)} CNY one taobao.rp.refunds.agree may "
                f"agree on {store}: agree it in the back office")}
            continue
        if batch and (len(batch) == most or sum(a.fen for a in batch) + agreement.fen > ceiling):
            results.update(_agree(client, batch, code))
            batch = []
        batch.append(agreement)
    if batch:
        results.update(_agree(client, batch, code))
    return results


def _agree(client, batch: list[Agreement], code: str | None) -> dict[str, dict]:
    params = {"refund_infos": ",".join(a.info for a in batch)}
    if code:
        params["code"] = code
    answer = client.call("taobao.rp.refunds.agree", params)
    if top_api.sms_code_required(answer):
        raise SmsCodeRequired(
            f"Taobao sent the seller an SMS code to agree {', '.join(a.refund_id for a in batch)} "
            f"({answer.get('msg') or 'no message'}): give it with POST /v1/refunds/{{shop}}/{{return_id}}/sms-code"
        )
    found = {str(result.get("refund_id")): {**result, "succ": result.get("succ") in (True, "true")}
             for result in _results(answer)}
    if not found and answer.get("succ") in (True, "true"):
        found = {a.refund_id: {"succ": True, "message": str(answer.get("msg") or "")} for a in batch}
    return {a.refund_id: found.get(a.refund_id, {"succ": False, "unsaid": True, "message": "Taobao did not say"})
            for a in batch}


def _results(answer: dict) -> list[dict]:
    results = answer.get("results")
    if isinstance(results, dict):  # TOP wraps lists: {"results": {"refund_mapping_result": [...]}}
        results = next((value for value in results.values() if isinstance(value, list)), [])
    return [result for result in results or [] if isinstance(result, dict)]


class TaobaoActions(SellerWrites):
    PLATFORM, LOCKED = "taobao", "Taobao's refund"

    def approve(self, record: Return) -> str:
        if record.resolution == "exchange":
            return self._agree_exchange(record)
        if record.resolution == "refund_only" or record.kind == "cancel":
            return "nothing to approve in Taobao: agreeing the refund answers a refund-only request"
        return self._stale_safe(lambda: self._approve(record))

    def _approve(self, record: Return) -> str:
        refund = self._refund(record)
        status = refund.get("status")
        if status in _AGREED:
            return "already agreed in Taobao"
        if status == "SUCCESS":
            return "already refunded in Taobao"
        if status != "WAIT_SELLER_AGREE":
            raise MarketplaceRefused(f"Taobao's refund {refund['refund_id']} is {status}; it cannot be agreed")
        return self._write("taobao.rp.returngoods.agree", {
            **self._version_of(refund), "seller_address_id": self._connection.seller_address_id,
        }, record) or "return agreed in Taobao, the buyer sent the return address"

    def decline(self, record: Return, code: str | None) -> str:
        if record.resolution == "exchange":
            return self._refuse_exchange(record, code)
        return self._stale_safe(lambda: self._decline(record, code))

    def _agree_exchange(self, record: Return) -> str:
        exchange = self._exchange(record)
        status = exchange.get("status")
        if status in _EXCHANGE_AGREED:
            return "already agreed in Tmall"
        if status != "换货待处理":
            raise MarketplaceRefused(f"Tmall's exchange {exchange.get('dispute_id')} is {status}; it cannot be agreed")
        return self._exchange_write("tmall.exchange.agree", {
            "dispute_id": own_id(record.return_id), "address_id": self._connection.seller_address_id,
        }, record) or "exchange agreed in Tmall, the buyer sent the return address"

    def _refuse_exchange(self, record: Return, code: str | None) -> str:
        exchange = self._exchange(record)
        status = exchange.get("status")
        if status in _EXCHANGE_ENDED:
            return f"already {status} in Tmall"
        params = {"dispute_id": own_id(record.return_id), "seller_refuse_reason_id": self._refuse_reason(code),
                  "leave_message": explain(code)[:200]}
        if status == "换货待处理":
            return self._exchange_write("tmall.exchange.refuse", params, record) or "exchange refused in Tmall"
        if status == "买家已退货，待收货":  # the goods came back and failed our inspection
            return (self._exchange_write("tmall.exchange.returngoods.refuse", params, record)
                    or "returned goods of the exchange refused in Tmall")
        raise MarketplaceRefused(f"Tmall's exchange {exchange.get('dispute_id')} is {status}; it cannot be refused")

    def _refuse_reason(self, code: str | None) -> str:
        return {**REFUSE_REASONS, **self._connection.refuse_reasons}.get(code, DEFAULT_REFUSE_REASON)

    def _decline(self, record: Return, code: str | None) -> str:
        refund = self._refund(record)
        status = refund.get("status")
        if status in ("SELLER_REFUSE_BUYER", "CLOSED"):
            return f"already {status.lower()} in Taobao"
        params = {**self._version_of(refund), "refuse_reason_id": self._refuse_reason(code),
                  "refuse_message": explain(code)[:200]}
        if status == "WAIT_SELLER_AGREE":
            return self._write("taobao.refund.refuse", params, record) or "refused in Taobao"
        if status == "WAIT_SELLER_CONFIRM_GOODS":  # the goods came back and failed our inspection
            if self._connection.store != "tmall":  # TOP refuses returned goods for Tmall only (rp.returngoods.refuse)
                raise MarketplaceRefused(f"Taobao lets a Taobao store refuse returned goods only in its back office: "
                                         f"refuse refund {refund['refund_id']} there before Taobao's deadline")
            return self._write("taobao.rp.returngoods.refuse", params, record) or "returned goods refused in Tmall"
        raise MarketplaceRefused(f"Taobao's refund {refund['refund_id']} is {status}; it cannot be refused")

    def hold(self, record: Return) -> str | None:
        """Taobao ships nothing itself: the warehouse holds the order (None: ask it)."""
        return None

    def intercept(self, record: Return) -> str:
        return self._stale_safe(lambda: self._intercept(record))

    def _intercept(self, record: Return) -> str:
        refund = self._refund(record)
        if refund.get("status") != "WAIT_SELLER_AGREE":
            return f"nothing to intercept: Taobao's refund is {refund.get('status')}"
        return self._write("taobao.rp.refund.intercept", self._version_of(refund), record) or "interception asked in Taobao"

    def exchange(self, record: Return) -> str | None:
        """Taobao ships nothing itself: the replacement comes from our warehouse (None: ask it). A Tmall exchange's
        goods, which passed our inspection, are first confirmed received there, or Tmall would wait for them."""
        if record.resolution == "exchange":
            confirm = {"dispute_id": own_id(record.return_id)}
            if self._dry_run:  # Tmall was told nothing before either: its status says nothing of this step
                self._write("tmall.exchange.returngoods.agree", confirm, record)
                return None
            exchange = self._exchange(record)
            status = exchange.get("status")
            if status == "买家已退货，待收货":
                self._exchange_write("tmall.exchange.returngoods.agree", confirm, record)
            elif status not in _EXCHANGE_RECEIVED:
                raise MarketplaceRefused(f"Tmall's exchange {exchange.get('dispute_id')} is {status}: its goods cannot "
                                         "be confirmed received")
        return None

    def replacement_shipped(self, record: Return, parcel: dict) -> str:
        """Tell Tmall the replacement's waybill: the buyer sees it, and confirming its receipt ends the exchange."""
        if record.resolution != "exchange":
            return "nothing to tell Taobao: the replacement is ours"
        company = COMPANY_NAMES.get(parcel["carrier"])
        if company is None:
            raise MarketplaceRefused(f"Tmall takes the replacement's express company by name, and {parcel['carrier']} "
                                     "has none we know: send it in the back office")
        consign = {"dispute_id": own_id(record.return_id), "logistics_no": parcel["tracking_number"],
                   "logistics_type": EXPRESS, "logistics_company_name": company}
        if not self._dry_run:
            exchange = self._exchange(record)
            status = exchange.get("status")
            if status in _EXCHANGE_SENT:
                return "already sent in Tmall"
            if status != "待发出换货商品":
                raise MarketplaceRefused(f"Tmall's exchange {exchange.get('dispute_id')} is {status}: no replacement "
                                         "can be sent on it")
        return self._exchange_write("tmall.exchange.consigngoods", consign, record) or "replacement's waybill sent to Tmall"

    def _exchange(self, record: Return) -> dict:
        return read_exchange(self._client, own_id(record.return_id))

    def _exchange_write(self, method: str, params: dict, record: Return) -> str | None:
        """An exchange write: its answer says in `result.success` whether it acted (None: it did)."""
        if self._dry_run:
            return self._write(method, params, record)
        result = self._client.call(method, params).get("result")
        if not isinstance(result, dict) or result.get("success") not in (True, "true"):
            why = result.get("message") or result.get("msg_code") if isinstance(result, dict) else None
            raise MarketplaceRefused(f"Tmall did not act on {method} for {params['dispute_id']}: {why or 'no answer'}")
        return None

    def refund(self, record: Return, issued: LedgerRecord) -> dict:
        return self._agree_refund(record, issued, None)

    def verification_code_refund(self, record: Return, issued: LedgerRecord, code: str) -> dict:
        """The refund again, with the SMS code Taobao sent the seller (a person gave it)."""
        return self._agree_refund(record, issued, code)

    def _agree_refund(self, record: Return, issued: LedgerRecord, verification_code: str | None) -> dict:
        if self._dry_run and verification_code:
            raise PaymentDeclined("dry_run", f"{self._connection.seller_nick} runs dry: nothing is agreed in Taobao")
        try:
            return self._stale_safe(lambda: self._refund_once(record, issued, verification_code))
        except MarketplaceUnavailable as error:
            raise PaymentNotConfirmed(str(error)) from None
        except MarketplaceRefused as error:
            if isinstance(error, SmsCodeRequired):
                raise PaymentDeclined(SMS_CODE_REQUIRED, str(error)) from None
            if verification_code and top_api.sms_code_required(error):
                raise PaymentDeclined(SMS_CODE_REFUSED, str(error)) from None
            raise PaymentDeclined("marketplace_refused", str(error)) from None

    def _refund_once(self, record: Return, issued: LedgerRecord, verification_code: str | None) -> dict:
        refund = self._refund(record)
        status, refund_id = refund.get("status"), str(refund["refund_id"])
        try:
            fee = yuan_to_fen(refund.get("refund_fee"))
        except ValueError as error:
            raise MarketplaceUnavailable(f"Taobao's refund {refund_id} has no amount we can read: {error}") from None
        if status == "SUCCESS":
            if fee != issued.total_minor:
                raise PaymentDeclined("refunded_by_marketplace", f"Taobao refunded {fen_text(fee)} CNY on refund {refund_id} "
                                      f"by itself; our record is {issued.total} CNY: nothing more is paid")
            return {"marketplace_refund_id": refund_id, "created_at": _utc(refund.get("modified"), self._now())}
        if status not in ("WAIT_SELLER_AGREE", "WAIT_SELLER_CONFIRM_GOODS"):
            raise PaymentDeclined("marketplace_refused", f"Taobao's refund {refund_id} is {status}; it cannot be agreed")
        if fee != issued.total_minor:
            raise PaymentDeclined("amount_differs", f"the buyer asks {fen_text(fee)} CNY on refund {refund_id}, our quote is "
                                  f"{issued.total} CNY: Taobao agrees only the amount asked")
        if self._dry_run:
            self._write("taobao.rp.refunds.agree", {"refund_infos": self._agreement(refund, fee).info}, record)
            return {"dry_run": True}
        if self._connection.store == "tmall":
            self._write("taobao.rp.refund.review", {
                **self._version_of(refund), "operator": self._connection.seller_nick, "result": "true",
                "message": f"aftersales {issued.refund_id}",
            }, record)
            refund = self._refund(record)
        result = agree_refunds(self._client, self._connection.store, [self._agreement(refund, fee)],
                               verification_code)[refund_id]
        if not result["succ"]:
            if top_api.stale_version(result):
                raise _Stale(result.get("message"))
            if result.get("unsaid"):  # the call answered, but not about this refund: it may have been agreed
                raise PaymentNotConfirmed(f"Taobao's answer did not say whether refund {refund_id} was agreed")
            if result.get("above_limit"):
                raise PaymentDeclined(ABOVE_CALL_LIMIT, result["message"])
            raise PaymentDeclined("marketplace_refused", f"Taobao did not agree refund {refund_id}: {result.get('message')}")
        return {"marketplace_refund_id": refund_id, "created_at": iso_utc(self._now())}

    def _agreement(self, refund: dict, fee: int) -> Agreement:
        return Agreement(str(refund["refund_id"]), fee, str(refund.get("refund_version")), str(refund.get("refund_phase") or "aftersale"))

    def _refund(self, record: Return) -> dict:
        return read_refund(self._client, own_id(record.return_id))

    @staticmethod
    def _version_of(refund: dict) -> dict:
        return {"refund_id": str(refund["refund_id"]), "refund_version": str(refund.get("refund_version")),
                "refund_phase": str(refund.get("refund_phase") or "aftersale")}

    def _shop(self) -> str:
        return self._connection.seller_nick

    def _stale(self, error: Exception) -> bool:
        return isinstance(error, _Stale) or (isinstance(error, top_api.TopRefused) and top_api.stale_version(error))


def _utc(china: object, default: datetime) -> str:
    try:
        return iso_utc(from_china_time(china))
    except ValueError:
        return iso_utc(default)
