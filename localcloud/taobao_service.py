"""A simulated Taobao Open Platform (TOP) gateway on loopback: one app, many Taobao and Tmall sellers, their trades
and refunds, and the TMC message queue, for chalicelib/connectors/taobao/.

Clients POST form-encoded calls to {url}/router/rest. The gateway checks what TOP
checks, in its words (`error_response {code, msg, sub_code, sub_msg, request_id}`,
HTTP 200): the signature (md5 or hmac), the app key, a timestamp within 10 minutes
of its clock (China time), v=2.0, and for the seller's methods the session (unknown
or expired: code 27). It answers `{"<method>_response": {...}}` in TOP's classic
JSON (simplify=false): lists wrapped in an object named after their element
(`refunds: {refund: [...]}`, `orders: {order: [...]}`, `messages: {tmc_message: [...]}`),
empty lists left out, ids as JSON numbers above 2**53 (odd ones: no double holds them),
money as yuan strings, times as China time without a zone.

Refunds follow TOP's statuses: WAIT_SELLER_AGREE -> (taobao.rp.returngoods.agree)
WAIT_BUYER_RETURN_GOODS -> (buyer_returns_goods) WAIT_SELLER_CONFIRM_GOODS ->
(taobao.rp.refunds.agree) SUCCESS; a refusal is SELLER_REFUSE_BUYER; the buyer
closing is CLOSED. Every change moves refund_version (a millisecond timestamp) and
refund_remind_timeout (the platform's deadline), and publishes its TMC topic. Every
write names refund_version; a stale one is refused (in a batch agree: only that
refund's result fails). A Tmall refund is agreed only once reviewed
(taobao.rp.refund.review, which moves no version). taobao.rp.refunds.agree keeps
TOP's per-call limits (20 refunds / 6,000 CNY on Taobao, 30 / 10,000 on Tmall), its
amounts in fen equal to refund_fee, its per-refund `results` and, above
`sms_threshold_fen` a call, the SMS step: the answer says a code was sent (msg_code
SEND_CODE_SUCC), the code is `sms_code(user_id)`, and the same call with `code` acts.
The platform also acts by itself: `fast_refund` (极速退款), `timeout_agree_due` (the
deadline passed), `platform_rules` after `intervene`; `refunded(user_id)` tells the
money agreed by the seller from the money refunded by the platform.

TMC: every refund change is queued as a message for the seller's group (`permit`);
taobao.tmc.messages.consume (app-level, no session) hands out what is due, and a
message not confirmed (taobao.tmc.messages.confirm) is due again after
`redeliver_after_seconds`; `duplicate_rate` (seeded) queues some twice, under a new id.

Faults, like the other simulated services: `time_out_next` (acts, answers after the
client gave up), `fail_next` (an isp error, or a 5xx, acting nothing),
`flow_control_next` (code 7 App Call Limited), `refuse_next` (an isv refusal).

Replay: `feed_message(raw)` queues a captured TMC message (one element of a consume
answer's messages.tmc_message, as a dict or its JSON) as it is; `feed_refund(raw)` and
`feed_trade(raw)` answer a captured taobao.refund.get `refund` / taobao.trade.fullinfo.get
`trade` object as it is, for its id (read-only: writes act on the simulated state only).

Assumed, not found in TOP's documents (see the constants): the sub_codes of a stale
refund_version, a wrong SMS code, a refund in the wrong status or unknown, and a
Tmall-only method; the deadlines; refund_remind_timeout's remind_type; what a
timed-out seller deadline does (a refund only: refunded by the platform; a return:
agreed, the buyer to send the goods; the buyer not returning them: closed). Not
simulated: Taobao's return address fields (name, address, ...) beside seller_address_id,
proof images, sub-account sessions, TMC's 24-hour retention.
"""

import copy
import dataclasses
import itertools
import json
import random
import threading
import time
from collections import Counter, deque
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation
from hashlib import md5
from hmac import new as hmac_new
from http.server import BaseHTTPRequestHandler
from typing import Self
from urllib.parse import parse_qsl, urlsplit

from localcloud.loopback import LoopbackServer, send_json

CHINA = timezone(timedelta(hours=8))
TIME_FORMAT = "%Y-%m-%d %H:%M:%S"
PATH = "/router/rest"
SKEW = timedelta(minutes=10)
CENT = Decimal("0.01")
# Taobao's own app key, the publisher of the platform's TMC messages (as captured messages carry it).
PUB_APP_KEY = "12497914"
LIMITS = {"taobao": (20, 600_000), "tmall": (30, 1_000_000)}  # taobao.rp.refunds.agree: refunds, fen per call
# Assumed sub_codes (TOP publishes none for these).
STALE_VERSION_SUB_CODE = "isv.refund-version-expired"
STALE_VERSION_MESSAGE = "退款版本已变更(refund_version已过期)，请重新查询退款后再操作"
SMS_SENT_MSG_CODE = "SEND_CODE_SUCC"
SMS_SENT_MESSAGE = "发送二次验证短信成功"
SMS_CODE_INVALID_SUB_CODE = "isv.sms-code-invalid"
WRONG_STATUS_SUB_CODE = "isv.refund-status-not-support"
NOT_FOUND_SUB_CODES = {"refund": "isv.refund-not-exist", "trade": "isv.trade-not-exist"}
TMALL_ONLY_SUB_CODE = "isv.tmall-only"
INTERVENED_SUB_CODE = "isv.refund-cs-intervened"
ALREADY_INTERCEPTED_SUB_CODE = "isv.refund-intercepted"
NOT_IN_TRANSIT_SUB_CODE = "isv.refund-intercept-not-allowed"
EXCHANGE_SUB_CODE = "isv.refund-is-exchange"
EXCHANGE_STATUS_SUB_CODE = "isv.exchange-status-not-support"
DEADLINES = {  # approximate: how long the platform waits before acting by itself
    "WAIT_SELLER_AGREE": timedelta(days=5), "WAIT_BUYER_RETURN_GOODS": timedelta(days=7),
    "WAIT_SELLER_CONFIRM_GOODS": timedelta(days=10),
}
REMIND_TYPES = {"WAIT_SELLER_AGREE": 1, "WAIT_BUYER_RETURN_GOODS": 2, "WAIT_SELLER_CONFIRM_GOODS": 3,
                "SELLER_REFUSE_BUYER": 4}
OPEN = frozenset({"WAIT_SELLER_AGREE", "WAIT_BUYER_RETURN_GOODS", "WAIT_SELLER_CONFIRM_GOODS", "SELLER_REFUSE_BUYER"})
AGREEABLE = frozenset({"WAIT_SELLER_AGREE", "WAIT_SELLER_CONFIRM_GOODS", "SELLER_REFUSE_BUYER"})
BILL_TYPES = {"REFUND": "refund_bill", "REFUND_AND_RETURN": "return_bill", "TMALL_EXCHANGE": "replace_bill"}
# A Tmall exchange (dispute_type TMALL_EXCHANGE; its dispute_id is the refund_id) moves through tmall.exchange.*'s
# statuses, which tmall.exchange.get writes as text; its refund (taobao.refund.get) shows the nearest refund status.
EXCHANGE_STATUSES = {
    1: "换货待处理", 2: "待买家退货", 3: "买家已退货，待收货", 4: "换货关闭", 5: "换货成功", 6: "待买家修改",
    12: "待发出换货商品", 13: "待买家收货", 14: "请退款",
}
EXCHANGE_AS_REFUND = {
    1: "WAIT_SELLER_AGREE", 2: "WAIT_BUYER_RETURN_GOODS", 3: "WAIT_SELLER_CONFIRM_GOODS", 4: "CLOSED", 5: "SUCCESS",
    6: "SELLER_REFUSE_BUYER", 12: "WAIT_SELLER_CONFIRM_GOODS", 13: "WAIT_SELLER_CONFIRM_GOODS", 14: "WAIT_SELLER_AGREE",
}
SESSION_FREE = frozenset({"taobao.tmc.messages.consume", "taobao.tmc.messages.confirm"})
SYSTEM = frozenset({"method", "app_key", "session", "timestamp", "v", "sign_method", "sign", "format", "simplify",
                    "partner_id", "target_app_key"})
_FIRST_ID = 2**53 + 1
_REQUEST_ID = "0123456789abcdefghijklmnopqrstuvwxyz"


@dataclass
class _Seller:
    user_id: str
    nick: str
    session: str
    store: str
    group: str | None
    expired: bool = False
    sms_code: str | None = None
    trades: dict[int, dict] = dataclasses.field(default_factory=dict)
    refunds: dict[int, dict] = dataclasses.field(default_factory=dict)


class _Refusal(Exception):
    """An error_response: the call did nothing."""

    def __init__(self, code: int, msg: str, sub_code: str | None = None, sub_msg: str | None = None) -> None:
        super().__init__(f"{code} {msg} {sub_code} {sub_msg}")
        self.answer = {"code": code, "msg": msg, **({"sub_code": sub_code, "sub_msg": sub_msg} if sub_code else {})}


def _business(sub_code: str, sub_msg: str) -> _Refusal:
    return _Refusal(15, "Remote service error", sub_code, sub_msg)


def _missing(name: str) -> _Refusal:
    return _Refusal(40, f"Missing required arguments:{name}", "isv.missing-parameter", f"缺少必选参数:{name}")


def _invalid(name: str, why: str) -> _Refusal:
    return _Refusal(41, f"Invalid arguments:{name}", "isv.invalid-parameter", why)


class TaobaoService(LoopbackServer):
    def __init__(
        self, app_key: str, app_secret: str, sign_method: str | None = None, *, clock=None, seed: int = 7,
        late_answer_seconds: float = 1.5, redeliver_after_seconds: float = 60.0, duplicate_rate: float = 0.0,
        sms_threshold_fen: int | None = None, deadlines: dict[str, timedelta] | None = None,
    ) -> None:
        """`sign_method`: the only one accepted (both when None); `clock`: the gateway's time (timestamps are
        checked against it, and everything it writes is at it), UTC wall clock by default; `late_answer_seconds`:
        how late a timed-out answer comes; `sms_threshold_fen`: above it, a batch agree needs the SMS code."""
        self._app_key, self._secret = app_key, app_secret.encode()
        self._sign_methods = {sign_method} if sign_method else {"md5", "hmac"}
        self._clock = clock or (lambda: datetime.now(timezone.utc))
        self._rng = random.Random(seed)
        self._late = late_answer_seconds
        self.redeliver_after_seconds = redeliver_after_seconds
        self.duplicate_rate = duplicate_rate
        self.sms_threshold_fen = sms_threshold_fen
        self._deadlines = dict(DEADLINES if deadlines is None else deadlines)
        self._ids = itertools.count(_FIRST_ID, 2)
        self._sellers: dict[str, _Seller] = {}
        self._captured_refunds: dict[int, dict] = {}
        self._captured_trades: dict[int, dict] = {}
        self._queue: list[dict] = []  # {message, group, due}: handed out by consume, gone when confirmed
        self._published: list[dict] = []
        self._script: deque[tuple[str, str | None, dict]] = deque()
        self._lock = threading.Lock()
        self._handlers = {
            "taobao.trade.fullinfo.get": self._trade_get, "taobao.refund.get": self._refund_get,
            "taobao.refunds.receive.get": self._refunds_receive, "taobao.rp.returngoods.agree": self._returngoods_agree,
            "taobao.refund.refuse": self._refund_refuse, "taobao.rp.returngoods.refuse": self._returngoods_refuse,
            "taobao.rp.refund.review": self._review, "taobao.rp.refunds.agree": self._agree,
            "taobao.rp.refund.intercept": self._intercept, "taobao.tmc.messages.consume": self._consume,
            "taobao.tmc.messages.confirm": self._confirm, "tmall.exchange.get": self._exchange_get,
            "tmall.exchange.agree": self._exchange_agree, "tmall.exchange.refuse": self._exchange_refuse,
            "tmall.exchange.returngoods.agree": self._exchange_receive,
            "tmall.exchange.returngoods.refuse": self._exchange_refuse_goods,
            "tmall.exchange.consigngoods": self._exchange_consign,
        }
        self.calls: Counter = Counter()  # by method, and by what happened: invalid_signature, timed_out, ...
        self.requests: list[tuple[str | None, dict]] = []  # (method, business parameters) of every request
        super().__init__("taobao-service", self._answer)

    def start(self) -> Self:
        """Polling for stop() every 50 ms, not 0.5 s: tests start and stop many of these."""
        threading.Thread(target=self._http.serve_forever, kwargs={"poll_interval": 0.05}, name=self._name,
                         daemon=True).start()
        return self

    @property
    def gateway_url(self) -> str:
        return self.url + PATH

    # --- faults -----------------------------------------------------------------------------------------------

    def time_out_next(self, method: str | None = None, times: int = 1) -> None:
        """The next calls do their work but answer after the client stopped waiting."""
        self._add("time_out", method, times)

    def fail_next(
        self, method: str | None = None, times: int = 1, status: int | None = None,
        sub_code: str = "isp.top-remote-service-unavailable",
    ) -> None:
        """The next calls do nothing and answer an isp error (HTTP 200), or HTTP `status` when given."""
        self._add("fail", method, times, status=status, sub_code=sub_code)

    def flow_control_next(self, method: str | None = None, times: int = 1, ban_seconds: int = 1) -> None:
        """The next calls are refused by flow control (code 7, App Call Limited) and do nothing."""
        self._add("flow_control", method, times, ban_seconds=ban_seconds)

    def refuse_next(
        self, sub_code: str, sub_msg: str, method: str | None = None, times: int = 1, code: int = 15,
    ) -> None:
        """The next calls answer this refusal and do nothing."""
        self._add("refuse", method, times, code=code, sub_code=sub_code, sub_msg=sub_msg)

    def _add(self, fault: str, method: str | None, times: int, **detail) -> None:
        with self._lock:
            self._script.extend([(fault, method, detail)] * times)

    # --- sellers, trades, and what buyers and the platform do -------------------------------------------------

    def add_seller(
        self, user_id, nick: str, session: str, store: str = "taobao", group: str | None = "default",
    ) -> None:
        """Authorizes the app for a seller (its session key) and permits its messages in `group` (None: none)."""
        if store not in LIMITS:
            raise ValueError(f"store is taobao or tmall, not {store!r}")
        with self._lock:
            self._sellers[str(user_id)] = _Seller(str(user_id), nick, session, store, group)

    def expire_session(self, user_id) -> None:
        with self._lock:
            self._seller(user_id).expired = True

    def renew_session(self, user_id, session: str) -> None:
        """The seller authorized the app again."""
        with self._lock:
            seller = self._seller(user_id)
            seller.session, seller.expired = session, False

    def permit(self, user_id, group: str = "default") -> None:
        """taobao.tmc.user.permit: the seller's messages from now on go to `group`."""
        with self._lock:
            self._seller(user_id).group = group

    def sms_code(self, user_id) -> str | None:
        """The code last sent to the seller's phone by a batch agree (None: none waits)."""
        with self._lock:
            return self._seller(user_id).sms_code

    def add_trade(self, user_id, trade: dict) -> str:
        """A trade as taobao.trade.fullinfo.get renders it (tid, status, payment, post_fee, discount_fee, created,
        pay_time, consign_time, end_time, buyer_open_uid, orders [{oid, num, price, payment, outer_sku_id, sku_id,
        title, cid, refund_status}]), ids as ints; `orders` a list or {"order": [...]}. Answers the tid."""
        with self._lock:
            seller = self._seller(user_id)
            record = copy.deepcopy(trade)
            record["tid"] = int(record["tid"])
            orders = record.get("orders") or []
            record["orders"] = orders.get("order", []) if isinstance(orders, dict) else orders
            for order in record["orders"]:
                order["oid"] = int(order["oid"])
                order.setdefault("refund_status", "NO_REFUND")
            record.setdefault("seller_nick", seller.nick)
            seller.trades[record["tid"]] = record
            return str(record["tid"])

    def ship(self, user_id, tid, at: datetime | None = None) -> None:
        """The seller ships the trade: its goods are in transit (WAIT_BUYER_CONFIRM_GOODS)."""
        with self._lock:
            trade = self._trade(self._seller(user_id), tid)
            trade["status"], trade["consign_time"] = "WAIT_BUYER_CONFIRM_GOODS", _china(at or self._now())

    def open_refund(
        self, user_id, tid, oid, dispute_type: str, refund_fee, reason: str = "不想要了", num: int = 1, *,
        desc: str = "", good_status: str | None = None, has_good_return: bool | None = None,
        refund_phase: str | None = None, exchange_sku: str | None = None,
    ) -> str:
        """The buyer asks for `refund_fee` yuan back on one sub-order (REFUND, REFUND_AND_RETURN, TMALL_EXCHANGE, ...);
        answers the refund_id. The defaults follow the trade: goods not received before it is finished, a return
        for a return, onsale before the trade is finished and aftersale after. A TMALL_EXCHANGE (Tmall only) names
        the `exchange_sku` the buyer wants instead."""
        with self._lock:
            seller = self._seller(user_id)
            if dispute_type == "TMALL_EXCHANGE" and (seller.store != "tmall" or not exchange_sku):
                raise ValueError("an exchange is a Tmall store's, and names its exchange_sku")
            trade = self._trade(seller, tid)
            order = next((o for o in trade["orders"] if o["oid"] == int(oid)), None)
            if order is None:
                raise ValueError(f"trade {tid} has no sub-order {oid}")
            if any(r["oid"] == order["oid"] and r["status"] in OPEN for r in seller.refunds.values()):
                raise ValueError(f"sub-order {oid} has a refund open already")
            fee, paid = _yuan(refund_fee), _yuan(order.get("payment", "0"))
            if not 0 < fee <= paid:
                raise ValueError(f"a refund of {fee} on a sub-order paid {paid}")
            finished = trade.get("status") == "TRADE_FINISHED"
            now = self._now()
            refund = {
                "refund_id": next(self._ids), "tid": trade["tid"], "oid": order["oid"], "user_id": seller.user_id,
                "status": "WAIT_SELLER_AGREE", "dispute_type": dispute_type, "refund_fee": fee, "total_fee": paid,
                "reason": reason, "desc": desc, "num": int(num),
                "good_status": good_status or ("BUYER_RECEIVED" if finished else "BUYER_NOT_RECEIVED"),
                "has_good_return": dispute_type != "REFUND" if has_good_return is None else has_good_return,
                "refund_phase": refund_phase or ("aftersale" if finished else "onsale"),
                "refund_version": int(now.timestamp() * 1000), "created": now, "modified": now, "timeout": None,
                "title": order.get("title"), "price": order.get("price"), "outer_id": order.get("outer_sku_id"),
                "sku": order.get("sku_id") and f"{order['sku_id']}|{order.get('sku_properties_name', '')}",
                "buyer_nick": trade.get("buyer_nick"), "buyer_open_uid": trade.get("buyer_open_uid"),
                "company_name": None, "sid": None, "good_return_time": None, "cs_status": 1, "reviewed": None,
                "intercepted_at": None, "paid_by": None, "seller_address_id": None, "refuse_reason_id": None,
                "refuse_message": None,
                "exchange": None if dispute_type != "TMALL_EXCHANGE" else {
                    "status": 1, "exchange_sku": exchange_sku, "bought_sku": order.get("sku_id") or order.get("outer_sku_id"),
                    "address_id": None, "seller_logistic_name": None, "seller_logistic_no": None,
                },
            }
            seller.refunds[refund["refund_id"]] = refund
            self._changed(seller, refund, "RefundCreated", moved=False)
            return str(refund["refund_id"])

    def buyer_returns_goods(self, refund_id, company_name: str, sid: str) -> None:
        """The buyer ships the goods back (WAIT_BUYER_RETURN_GOODS -> WAIT_SELLER_CONFIRM_GOODS; an exchange 2 -> 3)."""
        with self._lock:
            seller, refund = self._find(refund_id, "WAIT_BUYER_RETURN_GOODS")
            refund.update(good_status="BUYER_RETURNED_GOODS", company_name=company_name, sid=sid,
                          good_return_time=self._now())
            self._move(refund, "WAIT_SELLER_CONFIRM_GOODS", 3)
            self._changed(seller, refund, "RefundBuyerReturnGoods")

    def buyer_receives_replacement(self, refund_id) -> None:
        """The buyer confirms the replacement of an exchange arrived (13 -> 5, 换货成功): no money moves."""
        with self._lock:
            seller, refund = self._find(refund_id, "WAIT_SELLER_CONFIRM_GOODS")
            self._exchange_in(refund, 13)
            self._move(refund, "SUCCESS", 5)
            self._changed(seller, refund, "RefundSuccess")

    def buyer_modifies(self, refund_id, refund_fee) -> None:
        """The buyer asks for another amount: the seller must decide again (and a Tmall refund be reviewed again)."""
        with self._lock:
            seller, refund = self._find(refund_id, *OPEN)
            if refund["exchange"] is not None:
                raise ValueError(f"refund {refund_id} is an exchange: it asks for no amount")
            fee = _yuan(refund_fee)
            if not 0 < fee <= refund["total_fee"]:
                raise ValueError(f"a refund of {fee} on a sub-order paid {refund['total_fee']}")
            refund.update(refund_fee=fee, reviewed=None,
                          status="WAIT_SELLER_AGREE" if refund["status"] == "SELLER_REFUSE_BUYER" else refund["status"])
            self._changed(seller, refund, "RefundBuyerModifyAgreement")

    def buyer_closes(self, refund_id) -> None:
        with self._lock:
            seller, refund = self._find(refund_id, *OPEN)
            self._move(refund, "CLOSED", 4)
            self._changed(seller, refund, "RefundClosed")

    def intervene(self, refund_id) -> None:
        """The buyer asks the platform to step in (TaobaoInterApplied) and its customer service does
        (TaobaoIntervened): the seller may no longer refuse; `platform_rules` decides."""
        with self._lock:
            seller, refund = self._find(refund_id, *OPEN)
            refund["cs_status"] = 2
            self._changed(seller, refund, "TaobaoInterApplied")
            refund["cs_status"] = 3
            self._changed(seller, refund, "TaobaoIntervened")

    def platform_rules(self, refund_id, refund_buyer: bool) -> None:
        """The platform's customer service decides an intervened refund: refunded by the platform, or closed."""
        with self._lock:
            seller, refund = self._find(refund_id, *OPEN)
            if refund["cs_status"] < 3:
                raise ValueError(f"refund {refund_id} is not intervened")
            refund["cs_status"] = 6
            if refund_buyer:
                self._settle(seller, refund, "platform")
            else:
                self._close(seller, refund)

    def fast_refund(self, refund_id) -> None:
        """极速退款: the platform refunds at once, without the seller."""
        with self._lock:
            seller, refund = self._find(refund_id, *OPEN)
            self._settle(seller, refund, "platform")

    def timeout_agree_due(self) -> list[str]:
        """The platform acts on every refund whose deadline passed: the seller's silence agrees (a refund only is
        refunded; a return is agreed, the buyer then sends the goods; goods received and not confirmed are
        refunded), the buyer's closes. Answers the refund_ids it acted on."""
        with self._lock:
            now, acted = self._now(), []
            for seller in self._sellers.values():
                for refund in list(seller.refunds.values()):
                    if refund["timeout"] is None or refund["timeout"] > now or refund["status"] not in self._deadlines:
                        continue
                    acted.append(str(refund["refund_id"]))
                    if refund["exchange"] is not None:
                        self._exchange_times_out(seller, refund)
                    elif refund["status"] == "WAIT_BUYER_RETURN_GOODS":
                        self._close(seller, refund)
                    elif refund["status"] == "WAIT_SELLER_AGREE" and refund["has_good_return"]:
                        refund["status"] = "WAIT_BUYER_RETURN_GOODS"
                        self._changed(seller, refund, "RefundSellerAgreeAgreement")
                    else:
                        self._settle(seller, refund, "platform")
            return acted

    # --- what tests read --------------------------------------------------------------------------------------

    def exchange_status(self, refund_id) -> str | None:
        """An exchange's status as tmall.exchange.get writes it (None: the refund is no exchange)."""
        with self._lock:
            for seller in self._sellers.values():
                refund = seller.refunds.get(int(refund_id))
                if refund is not None:
                    return refund["exchange"] and EXCHANGE_STATUSES[refund["exchange"]["status"]]
            raise KeyError(f"no refund {refund_id}")

    def refunds(self, user_id) -> list[dict]:
        """Each refund's state (Decimal yuan, aware datetimes, int ids), with `paid_by`: seller (agreed through the
        API), platform (by itself), None (not refunded)."""
        with self._lock:
            return copy.deepcopy(list(self._seller(user_id).refunds.values()))

    def trades(self, user_id) -> list[dict]:
        with self._lock:
            return copy.deepcopy(list(self._seller(user_id).trades.values()))

    def refunded(self, user_id) -> dict[str, Decimal]:
        """Money refunded, by who agreed it: {"seller": ..., "platform": ...}."""
        with self._lock:
            paid = {"seller": Decimal("0.00"), "platform": Decimal("0.00")}
            for refund in self._seller(user_id).refunds.values():
                if refund["paid_by"]:
                    paid[refund["paid_by"]] += refund["refund_fee"]
            return paid

    @property
    def messages(self) -> list[dict]:
        """Every TMC message published or fed, in order (duplicates included)."""
        with self._lock:
            return copy.deepcopy(self._published)

    def queued(self, group: str = "default") -> list[dict]:
        """The group's messages not confirmed yet (handed out or not)."""
        with self._lock:
            return [copy.deepcopy(entry["message"]) for entry in self._queue if entry["group"] == group]

    # --- replay -----------------------------------------------------------------------------------------------

    def feed_message(self, raw: dict | str, group: str = "default") -> str:
        """Queues a captured TMC message as it is (its id, topic, content string ...); answers its id."""
        message = _exact(raw)
        with self._lock:
            self._queue.append({"message": message, "group": group, "due": self._now()})
            self._published.append(copy.deepcopy(message))
        return str(message["id"])

    def feed_refund(self, raw: dict | str) -> str:
        """taobao.refund.get answers this captured `refund` object for its refund_id, as it is."""
        refund = _exact(raw)
        with self._lock:
            self._captured_refunds[int(refund["refund_id"])] = refund
        return str(refund["refund_id"])

    def feed_trade(self, raw: dict | str) -> str:
        """taobao.trade.fullinfo.get answers this captured `trade` object for its tid, as it is."""
        trade = _exact(raw)
        with self._lock:
            self._captured_trades[int(trade["tid"])] = trade
        return str(trade["tid"])

    # --- the gateway ------------------------------------------------------------------------------------------

    def _answer(self, request: BaseHTTPRequestHandler, verb: str) -> None:
        raw = request.rfile.read(int(request.headers.get("Content-Length") or 0))
        place = urlsplit(request.path)
        params = dict(parse_qsl(place.query, keep_blank_values=True))
        params.update(parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True))
        with self._lock:
            status, answer, late = self._gateway(place.path, params)
        if late:
            time.sleep(self._late)
        send_json(request, status, answer)

    def _gateway(self, path: str, params: dict[str, str]) -> tuple[int, dict, bool]:
        """Under the lock: the HTTP status, the answer, and whether it comes late."""
        if path != PATH:
            self.calls["not_found"] += 1
            return 404, {"error": "Not Found"}, False
        method = params.get("method")
        self.requests.append((method, {k: v for k, v in params.items() if k not in SYSTEM}))
        try:
            seller = self._verify(method, params)
        except _Refusal as refusal:
            return 200, self._error(refusal), False
        index = next((i for i, (_, target, _) in enumerate(self._script) if target in (None, method)), None)
        fault, _, detail = self._script[index] if index is not None else (None, None, {})
        if index is not None:
            del self._script[index]
        if fault == "fail":
            self.calls["failed"] += 1
            if detail["status"]:
                return detail["status"], {"error": "Service Unavailable"}, False
            return 200, self._error(_Refusal(15, "Remote service error", detail["sub_code"], "服务暂时不可用")), False
        if fault == "flow_control":
            self.calls["flow_controlled"] += 1
            return 200, self._error(_Refusal(7, "App Call Limited", "accesscontrol.limited-by-app-access-count",
                                             f"This ban will last for {detail['ban_seconds']} more seconds")), False
        if fault == "refuse":
            self.calls["refused"] += 1
            return 200, self._error(_Refusal(detail["code"], "Remote service error", detail["sub_code"],
                                             detail["sub_msg"])), False
        late = fault == "time_out"
        if late:
            self.calls["timed_out"] += 1
        self.calls[method] += 1
        try:
            content = self._handlers[method](seller, params)
        except _Refusal as refusal:
            return 200, self._error(refusal), late
        key = f"{method.removeprefix('taobao.').replace('.', '_')}_response"
        return 200, {key: {**content, "request_id": self._request_id()}}, late

    def _verify(self, method: str | None, params: dict[str, str]) -> _Seller | None:
        """What the gateway checks before any method runs, in TOP's codes; the session's seller."""
        if not method:
            raise self._counted("missing_method", _Refusal(21, "Missing method"))
        if not params.get("app_key"):
            raise self._counted("invalid_app_key", _Refusal(28, "Missing app key"))
        if params["app_key"] != self._app_key:
            raise self._counted("invalid_app_key", _Refusal(29, "Invalid app Key"))
        given, sign_method = params.get("sign"), params.get("sign_method") or "md5"
        if not given:
            raise self._counted("invalid_signature", _Refusal(24, "Missing signature"))
        if sign_method not in self._sign_methods or given != _sign(params, self._secret, sign_method):
            raise self._counted("invalid_signature", _Refusal(25, "Invalid signature"))
        try:
            stamp = datetime.strptime(params.get("timestamp", ""), TIME_FORMAT).replace(tzinfo=CHINA)
        except ValueError:
            raise self._counted("invalid_timestamp", _Refusal(31, "Invalid timestamp")) from None
        if abs(stamp - self._now()) > SKEW:
            raise self._counted("invalid_timestamp", _Refusal(
                31, "Invalid timestamp", "isv.invalid-timestamp", "时间戳与服务器时间相差超过10分钟"))
        if params.get("v") != "2.0":
            raise self._counted("invalid_version", _Refusal(32, "Missing version") if not params.get("v")
                                else _Refusal(34, "Unsupported version"))
        if params.get("format", "xml") != "json":
            raise self._counted("invalid_format", _Refusal(23, "Invalid format", "isv.invalid-format",
                                                           "this gateway answers format=json only"))
        if method not in self._handlers:
            raise self._counted("invalid_method", _Refusal(22, "Invalid method"))
        if method in SESSION_FREE:
            return None
        session = params.get("session")
        if not session:
            raise self._counted("invalid_session", _Refusal(26, "Missing session"))
        seller = next((s for s in self._sellers.values() if s.session == session), None)
        if seller is None:
            raise self._counted("invalid_session", _Refusal(
                27, "Invalid session", "invalid-sessionkey", "SessionKey非法"))
        if seller.expired:
            raise self._counted("session_expired", _Refusal(27, "Invalid session", "session-expired", "SessionKey已过期"))
        return seller

    def _counted(self, what: str, refusal: _Refusal) -> _Refusal:
        self.calls[what] += 1
        return refusal

    def _error(self, refusal: _Refusal) -> dict:
        return {"error_response": {**refusal.answer, "request_id": self._request_id()}}

    def _request_id(self) -> str:
        return "".join(self._rng.choice(_REQUEST_ID) for _ in range(12))

    # --- reads ------------------------------------------------------------------------------------------------

    def _trade_get(self, seller: _Seller, params: dict) -> dict:
        fields, tid = _fields(params), _id(params, "tid")
        if tid in self._captured_trades:
            return {"trade": copy.deepcopy(self._captured_trades[tid])}
        trade = seller.trades.get(tid)
        if trade is None:
            raise self._counted("not_found", _business(NOT_FOUND_SUB_CODES["trade"], f"交易{tid}不存在"))
        orders = [dict(o) for o in trade["orders"]]
        order_fields = {f.split(".", 1)[1] for f in fields if f.startswith("orders.")}
        if order_fields:
            orders = [{k: v for k, v in o.items() if k in order_fields} for o in orders]
        rendered = {k: v for k, v in trade.items() if k in fields and k != "orders"}
        if orders and ("orders" in fields or order_fields):
            rendered["orders"] = {"order": orders}
        return {"trade": copy.deepcopy(rendered)}

    def _refund_get(self, seller: _Seller, params: dict) -> dict:
        fields, refund_id = _fields(params), _id(params, "refund_id")
        if refund_id in self._captured_refunds:
            return {"refund": copy.deepcopy(self._captured_refunds[refund_id])}
        return {"refund": _render(self._own(seller, refund_id), seller, fields)}

    def _refunds_receive(self, seller: _Seller, params: dict) -> dict:
        fields = set(params["fields"].split(",")) if params.get("fields") else None
        start, end = (_time(params, name) for name in ("start_modified", "end_modified"))
        page_no, page_size = _int(params, "page_no", 1), _int(params, "page_size", 40)
        if page_no < 1:
            raise _invalid("page_no", "page_no须为大于零的整数")
        if not 0 < page_size <= 100:
            raise _invalid("page_size", "page_size最大值为100")
        chosen = sorted(
            (r for r in seller.refunds.values()
             if (start is None or r["modified"] >= start) and (end is None or r["modified"] <= end)
             and params.get("status") in (None, "", r["status"])),
            key=lambda r: (r["modified"], r["refund_id"]))
        page = chosen[(page_no - 1) * page_size: page_no * page_size]
        answer = {"refunds": {"refund": [_render(r, seller, fields) for r in page]}} if page else {}
        if params.get("use_has_next") == "true":
            answer["has_next"] = page_no * page_size < len(chosen)
        else:
            answer["total_results"] = len(chosen)
        return answer

    # --- writes (each checks everything before it changes anything) -------------------------------------------

    def _returngoods_agree(self, seller: _Seller, params: dict) -> dict:
        refund = self._writable(seller, params, "WAIT_SELLER_AGREE")
        _need(params, "seller_address_id")
        if not refund["has_good_return"]:
            raise self._wrong_status(refund, "该退款无需退货")
        refund.update(status="WAIT_BUYER_RETURN_GOODS", seller_address_id=params["seller_address_id"])
        self._changed(seller, refund, "RefundSellerAgreeAgreement")
        return {"is_success": True}

    def _refund_refuse(self, seller: _Seller, params: dict) -> dict:
        refund = self._writable(seller, params, "WAIT_SELLER_AGREE")
        message = _need(params, "refuse_message")
        if not 2 <= len(message) <= 200:
            raise _invalid("refuse_message", "拒绝退款说明长度须为2-200")
        self._not_intervened(refund)
        refund.update(status="SELLER_REFUSE_BUYER", refuse_message=message,
                      refuse_reason_id=params.get("refuse_reason_id"))
        self._changed(seller, refund, "RefundSellerRefuseAgreement")
        return {"refund": {"refund_id": refund["refund_id"], "status": refund["status"],
                           "modified": _china(refund["modified"])}, "is_success": True}

    def _returngoods_refuse(self, seller: _Seller, params: dict) -> dict:
        self._tmall_only(seller, "taobao.rp.returngoods.refuse")
        refund = self._writable(seller, params, "WAIT_SELLER_CONFIRM_GOODS")
        reason = _need(params, "refuse_reason_id")
        self._not_intervened(refund)
        refund.update(status="SELLER_REFUSE_BUYER", refuse_reason_id=reason)
        self._changed(seller, refund, "RefundSellerRefuseAgreement")
        return {"is_success": True}

    def _review(self, seller: _Seller, params: dict) -> dict:
        """Marks a Tmall refund fit (or not) for the batch agree; the refund itself, and its version, stay."""
        self._tmall_only(seller, "taobao.rp.refund.review")
        for name in ("operator", "message"):
            _need(params, name)
        if _need(params, "result") not in ("true", "false"):
            raise _invalid("result", "result须为true或false")
        refund = self._writable(seller, params, *OPEN)
        refund["reviewed"] = params["result"] == "true"
        return {"is_success": True}

    def _agree(self, seller: _Seller, params: dict) -> dict:
        """taobao.rp.refunds.agree: refund_infos "refund_id|fen|version|phase" (phase needed on Tmall), comma
        separated; each refund succeeds or fails on its own."""
        asked = self._refund_infos(seller, _need(params, "refund_infos"))
        most, most_fen = LIMITS[seller.store]
        if len(asked) > most:
            raise _invalid("refund_infos", f"一次最多同意{most}笔退款")
        total = sum(fen for _, fen, _, _ in asked)
        if total > most_fen:
            raise _invalid("refund_infos", f"一次同意退款的总金额不能超过{most_fen // 100}元")
        if self.sms_threshold_fen is not None and total > self.sms_threshold_fen:
            code = params.get("code")
            if not code:
                seller.sms_code = f"{self._rng.randrange(10**6):06d}"
                self.calls["sms_code_sent"] += 1
                return {"msg_code": SMS_SENT_MSG_CODE, "message": SMS_SENT_MESSAGE, "succ": False}
            if code != seller.sms_code:
                raise self._counted("sms_code_refused", _business(SMS_CODE_INVALID_SUB_CODE, "短信验证码错误或已过期"))
            seller.sms_code = None
        results = [self._agree_one(seller, *entry) for entry in asked]
        succeeded = sum(result["succ"] for result in results)
        msg_code, message = (("OP_SUCC", "操作成功") if succeeded == len(results) else
                             ("SOME_OP_SUCC", "部分成功") if succeeded else ("OP_FAILURE_UE", "全部失败"))
        return {"results": {"refund_mapping_result": results}, "msg_code": msg_code, "succ": bool(succeeded),
                "message": message}

    def _refund_infos(self, seller: _Seller, text: str) -> list[tuple[int, int, int, str | None]]:
        asked = []
        for entry in text.split(","):
            parts = entry.strip().split("|")
            if len(parts) not in (3, 4) or not all(part.isdigit() for part in parts[:3]) or (
                    seller.store == "tmall" and len(parts) != 4):
                raise _invalid("refund_infos", f"退款信息格式错误: {entry} (refund_id|amount|version|phase)")
            asked.append((int(parts[0]), int(parts[1]), int(parts[2]), parts[3] if len(parts) == 4 else None))
        if len({refund_id for refund_id, *_ in asked}) != len(asked):
            raise _invalid("refund_infos", "同一退款不能重复")
        return asked

    def _agree_one(self, seller: _Seller, refund_id: int, fen: int, version: int, phase: str | None) -> dict:
        refund = seller.refunds.get(refund_id)
        failure = (
            "退款不存在" if refund is None else
            "换货单不能同意退款" if refund["exchange"] is not None else
            STALE_VERSION_MESSAGE if version != refund["refund_version"] else
            "退款状态不支持此操作" if refund["status"] not in AGREEABLE else
            "退款阶段不正确" if phase not in (None, refund["refund_phase"]) else
            "退款金额与申请金额不一致" if fen != _fen(refund["refund_fee"]) else
            "退款未审核，请先审核" if seller.store == "tmall" and not refund["reviewed"] else None)
        if failure:
            self.calls["stale_version" if failure == STALE_VERSION_MESSAGE else "agree_refused"] += 1
            return {"refund_id": refund_id, "succ": False, "message": failure}
        self._settle(seller, refund, "seller")
        return {"refund_id": refund_id, "succ": True, "message": "操作成功" if seller.store == "tmall" else "succ"}

    def _intercept(self, seller: _Seller, params: dict) -> dict:
        """A parcel still in transit to the buyer is sent back; recorded on the refund."""
        refund = self._writable(seller, params, "WAIT_SELLER_AGREE")
        if refund["intercepted_at"] is not None:
            raise _business(ALREADY_INTERCEPTED_SUB_CODE, "已发起过拦截")
        trade = seller.trades.get(refund["tid"]) or {}
        if trade.get("status") != "WAIT_BUYER_CONFIRM_GOODS" or refund["good_status"] != "BUYER_NOT_RECEIVED":
            raise _business(NOT_IN_TRANSIT_SUB_CODE, "包裹不在运输途中，无法拦截")
        refund["intercepted_at"] = self._now()
        return {}

    def _writable(self, seller: _Seller, params: dict, *statuses: str) -> dict:
        """The refund a write names, at the version it names, in one of `statuses`; Tmall wants refund_phase."""
        refund = self._own(seller, _id(params, "refund_id"))
        version = _id(params, "refund_version")
        if seller.store == "tmall":
            _need(params, "refund_phase")
        if params.get("refund_phase") not in (None, "", refund["refund_phase"]):
            raise _invalid("refund_phase", f"退款阶段应为{refund['refund_phase']}")
        if version != refund["refund_version"]:
            raise self._counted("stale_version", _business(STALE_VERSION_SUB_CODE, STALE_VERSION_MESSAGE))
        if refund["exchange"] is not None:
            raise self._counted("wrong_status", _business(EXCHANGE_SUB_CODE, "换货单请使用tmall.exchange.*接口处理"))
        if refund["status"] not in statuses:
            raise self._wrong_status(refund, "退款状态不支持此操作")
        return refund

    def _own(self, seller: _Seller, refund_id: int) -> dict:
        refund = seller.refunds.get(refund_id)
        if refund is None:
            raise self._counted("not_found", _business(NOT_FOUND_SUB_CODES["refund"], f"退款{refund_id}不存在"))
        return refund

    def _wrong_status(self, refund: dict, why: str) -> _Refusal:
        return self._counted("wrong_status", _business(WRONG_STATUS_SUB_CODE, f"{why} (status {refund['status']})"))

    def _not_intervened(self, refund: dict) -> None:
        if refund["cs_status"] >= 3:
            raise _business(INTERVENED_SUB_CODE, "客服已介入，卖家不能拒绝")

    def _tmall_only(self, seller: _Seller, method: str) -> None:
        if seller.store != "tmall":
            raise _business(TMALL_ONLY_SUB_CODE, f"{method}目前仅支持天猫")

    # --- Tmall exchanges (tmall.exchange.*: by dispute_id, no version; each answers {result: {success, ...}}) ----

    def _exchange_get(self, seller: _Seller, params: dict) -> dict:
        refund = self._exchange_of(seller, params)
        fields = _fields(params)
        return {"result": {"success": True, "exchange": {
            k: v for k, v in _render_exchange(refund).items() if k in fields and v is not None}}}

    def _exchange_agree(self, seller: _Seller, params: dict) -> dict:
        """The seller agrees: the buyer is sent the return address (`address_id`, taobao.logistics.address.search's
        contact_id) and ships the goods back (1 -> 2)."""
        refund = self._exchange_of(seller, params, 1)
        refund["exchange"]["address_id"] = _need(params, "address_id")
        self._move(refund, "WAIT_BUYER_RETURN_GOODS", 2)
        self._changed(seller, refund, "RefundSellerAgreeAgreement")
        return self._exchange_answer(refund)

    def _exchange_refuse(self, seller: _Seller, params: dict) -> dict:
        return self._refuse_exchange(seller, params, 1)

    def _exchange_refuse_goods(self, seller: _Seller, params: dict) -> dict:
        """The goods came back and the seller refuses them (3 -> 6): the buyer may change the request."""
        return self._refuse_exchange(seller, params, 3)

    def _refuse_exchange(self, seller: _Seller, params: dict, status: int) -> dict:
        refund = self._exchange_of(seller, params, status)
        reason = _id(params, "seller_refuse_reason_id")
        self._not_intervened(refund)
        refund.update(refuse_reason_id=str(reason), refuse_message=params.get("leave_message"))
        self._move(refund, "SELLER_REFUSE_BUYER", 6)
        self._changed(seller, refund, "RefundSellerRefuseAgreement")
        return self._exchange_answer(refund)

    def _exchange_receive(self, seller: _Seller, params: dict) -> dict:
        """The seller confirms the goods came back (3 -> 12): the replacement is to be sent."""
        refund = self._exchange_of(seller, params, 3)
        self._move(refund, "WAIT_SELLER_CONFIRM_GOODS", 12)
        self._changed(seller, refund, "RefundSellerAgreeAgreement")
        return self._exchange_answer(refund)

    def _exchange_consign(self, seller: _Seller, params: dict) -> dict:
        """The seller sent the replacement (12 -> 13): its company and waybill, shown to the buyer."""
        refund = self._exchange_of(seller, params, 12)
        waybill, company = _need(params, "logistics_no"), _need(params, "logistics_company_name")
        if _need(params, "logistics_type") not in ("100", "200"):
            raise _invalid("logistics_type", "logistics_type须为100(平邮)或200(快递)")
        refund["exchange"].update(seller_logistic_no=waybill, seller_logistic_name=company)
        self._move(refund, "WAIT_SELLER_CONFIRM_GOODS", 13)
        self._changed(seller, refund, "RefundSellerAgreeAgreement")
        return self._exchange_answer(refund)

    def _exchange_of(self, seller: _Seller, params: dict, *statuses: int) -> dict:
        self._tmall_only(seller, "tmall.exchange")
        refund = self._own(seller, _id(params, "dispute_id"))
        if refund["exchange"] is None:
            raise self._counted("not_found", _business(NOT_FOUND_SUB_CODES["refund"], f"换货单{refund['refund_id']}不存在"))
        if statuses and refund["exchange"]["status"] not in statuses:
            raise self._counted("wrong_status", _business(
                EXCHANGE_STATUS_SUB_CODE, f"换货单状态不支持此操作 ({EXCHANGE_STATUSES[refund['exchange']['status']]})"))
        return refund

    def _exchange_answer(self, refund: dict) -> dict:
        return {"result": {"success": True, "exchange": {
            "dispute_id": refund["refund_id"], "bizorder_id": refund["tid"], "modified": _china(refund["modified"]),
            "status": EXCHANGE_STATUSES[refund["exchange"]["status"]]}}}

    def _exchange_times_out(self, seller: _Seller, refund: dict) -> None:
        """Tmall acts on an exchange past its deadline: agrees it, closes it when the buyer sends nothing back, or
        takes the goods as received."""
        status = refund["exchange"]["status"]
        if status == 1:
            self._move(refund, "WAIT_BUYER_RETURN_GOODS", 2)
            self._changed(seller, refund, "RefundSellerAgreeAgreement")
        elif status == 2:
            self._close(seller, refund)
        elif status == 3:
            self._move(refund, "WAIT_SELLER_CONFIRM_GOODS", 12)
            self._changed(seller, refund, "RefundSellerAgreeAgreement")

    @staticmethod
    def _move(refund: dict, status: str, exchange_status: int) -> None:
        """A refund's status, and an exchange's own beside it."""
        refund["status"] = status
        if refund["exchange"] is not None:
            refund["exchange"]["status"] = exchange_status

    @staticmethod
    def _exchange_in(refund: dict, *statuses: int) -> None:
        if refund["exchange"] is None or refund["exchange"]["status"] not in statuses:
            raise ValueError(f"refund {refund['refund_id']} is no exchange in {statuses}")

    # --- TMC --------------------------------------------------------------------------------------------------

    def _consume(self, _: None, params: dict) -> dict:
        group, quantity = params.get("group_name") or "default", _int(params, "quantity", 100)
        if not 0 < quantity <= 200:
            raise _invalid("quantity", "quantity最大值为200")
        now = self._now()
        due = [entry for entry in self._queue if entry["group"] == group and entry["due"] <= now][:quantity]
        for entry in due:
            entry["due"] = now + timedelta(seconds=self.redeliver_after_seconds)
        return {"messages": {"tmc_message": [copy.deepcopy(e["message"]) for e in due]}} if due else {}

    def _confirm(self, _: None, params: dict) -> dict:
        group, text = params.get("group_name") or "default", _need(params, "s_message_ids")
        try:
            ids = {int(part) for part in text.split(",")}
        except ValueError:
            raise _invalid("s_message_ids", "s_message_ids须为逗号分隔的消息ID") from None
        if len(ids) > 200:
            raise _invalid("s_message_ids", "最多200个消息ID")
        self._queue = [e for e in self._queue if not (e["group"] == group and int(e["message"]["id"]) in ids)]
        return {"is_success": True}

    # --- state ------------------------------------------------------------------------------------------------

    def _settle(self, seller: _Seller, refund: dict, paid_by: str) -> None:
        if refund["exchange"] is not None:
            raise ValueError(f"refund {refund['refund_id']} is an exchange: no money moves on it")
        refund.update(status="SUCCESS", paid_by=paid_by)
        self._changed(seller, refund, "RefundSuccess")

    def _close(self, seller: _Seller, refund: dict) -> None:
        self._move(refund, "CLOSED", 4)
        self._changed(seller, refund, "RefundClosed")

    def _changed(self, seller: _Seller, refund: dict, topic: str, moved: bool = True) -> None:
        """Under the lock: the refund changed (its version, modified and deadline move on), its sub-order follows,
        and its message is published."""
        now = self._now()
        if moved:
            refund["modified"] = max(now, refund["modified"])
            refund["refund_version"] = max(int(now.timestamp() * 1000), refund["refund_version"] + 1)
        deadline = self._deadlines.get(refund["status"])
        refund["timeout"] = now + deadline if deadline else None
        for order in seller.trades[refund["tid"]]["orders"]:
            if order["oid"] == refund["oid"]:
                order["refund_status"], order["refund_id"] = refund["status"], refund["refund_id"]
        content = {
            "buyer_nick": refund["buyer_nick"], "buyer_open_uid": refund["buyer_open_uid"],
            "refund_phase": refund["refund_phase"], "refund_fee": _money(refund["refund_fee"]),
            "modified": _china(refund["modified"]), "bill_type": BILL_TYPES.get(refund["dispute_type"], "refund_bill"),
            "oid": refund["oid"], "seller_nick": seller.nick, "refund_id": refund["refund_id"], "tid": refund["tid"],
        }
        message = {
            "id": next(self._ids), "topic": f"taobao_refund_{topic}", "pub_app_key": PUB_APP_KEY,
            "pub_time": _china(now), "user_id": int(seller.user_id), "user_nick": seller.nick,
            "content": json.dumps({k: v for k, v in content.items() if v is not None}, ensure_ascii=False,
                                  separators=(",", ":")),
        }
        copies = [message]
        if self._rng.random() < self.duplicate_rate:
            copies.append({**message, "id": next(self._ids)})
        for each in copies:
            self._published.append(copy.deepcopy(each))
            if seller.group is not None:
                self._queue.append({"message": each, "group": seller.group, "due": now})

    def _find(self, refund_id, *statuses: str) -> tuple[_Seller, dict]:
        for seller in self._sellers.values():
            refund = seller.refunds.get(int(refund_id))
            if refund is not None:
                if refund["status"] not in statuses:
                    raise ValueError(f"refund {refund_id} is {refund['status']}, not {' or '.join(statuses)}")
                return seller, refund
        raise KeyError(f"no refund {refund_id}")

    def _seller(self, user_id) -> _Seller:
        if str(user_id) not in self._sellers:
            raise KeyError(f"no seller {user_id}: add_seller first")
        return self._sellers[str(user_id)]

    def _trade(self, seller: _Seller, tid) -> dict:
        if int(tid) not in seller.trades:
            raise KeyError(f"seller {seller.user_id} has no trade {tid}: add_trade first")
        return seller.trades[int(tid)]

    def _now(self) -> datetime:
        return self._clock().astimezone(timezone.utc).replace(microsecond=0)


# --- TOP's rules and shapes -----------------------------------------------------------------------------------

def _sign(params: dict[str, str], secret: bytes, sign_method: str) -> str:
    """Verified independently of the client: sorted name+value pairs of the non-empty parameters but sign."""
    text = "".join(f"{k}{v}" for k, v in sorted(params.items()) if k != "sign" and v != "").encode()
    if sign_method == "hmac":
        return hmac_new(secret, text, "md5").hexdigest().upper()
    return md5(secret + text + secret).hexdigest().upper()


def _render(refund: dict, seller: _Seller, fields: set[str] | None) -> dict:
    """A refund as taobao.refund.get answers it: ids as numbers, yuan strings, China times; absent fields left out."""
    trade = seller.trades.get(refund["tid"]) or {}
    timeout = refund["timeout"]
    rendered = {
        "refund_id": refund["refund_id"], "tid": refund["tid"], "oid": refund["oid"], "status": refund["status"],
        "order_status": trade.get("status"), "dispute_type": refund["dispute_type"],
        "good_status": refund["good_status"], "has_good_return": refund["has_good_return"],
        "refund_fee": _money(refund["refund_fee"]), "total_fee": _money(refund["total_fee"]),
        "payment": _money(refund["total_fee"] - refund["refund_fee"]), "reason": refund["reason"],
        "desc": refund["desc"], "title": refund["title"], "price": refund["price"], "num": refund["num"],
        "company_name": refund["company_name"], "sid": refund["sid"],
        "good_return_time": refund["good_return_time"] and _china(refund["good_return_time"]),
        "created": _china(refund["created"]), "modified": _china(refund["modified"]),
        "refund_remind_timeout": {
            "remind_type": REMIND_TYPES.get(refund["status"], 0), "exist_timeout": timeout is not None,
            **({"timeout": _china(timeout)} if timeout else {}),
        },
        "refund_phase": refund["refund_phase"], "refund_version": refund["refund_version"], "sku": refund["sku"],
        "outer_id": refund["outer_id"], "buyer_nick": refund["buyer_nick"], "buyer_open_uid": refund["buyer_open_uid"],
        "seller_nick": seller.nick, "cs_status": refund["cs_status"],
    }
    return {k: v for k, v in rendered.items() if v is not None and (fields is None or k in fields)}


def _render_exchange(refund: dict) -> dict:
    """An exchange as tmall.exchange.get answers it (ids as numbers, its status as text, China times)."""
    exchange, timeout = refund["exchange"], refund["timeout"]
    return {
        "dispute_id": refund["refund_id"], "biz_order_id": refund["tid"], "status": EXCHANGE_STATUSES[exchange["status"]],
        "num": refund["num"], "reason": refund["reason"], "desc": refund["desc"], "title": refund["title"],
        "price": refund["price"], "payment": _money(refund["total_fee"]), "bought_sku": exchange["bought_sku"],
        "exchange_sku": exchange["exchange_sku"], "buyer_nick": refund["buyer_nick"],
        "buyer_logistic_name": refund["company_name"], "buyer_logistic_no": refund["sid"],
        "seller_logistic_name": exchange["seller_logistic_name"], "seller_logistic_no": exchange["seller_logistic_no"],
        "refund_phase": refund["refund_phase"], "refund_version": refund["refund_version"],
        "created": _china(refund["created"]), "modified": _china(refund["modified"]),
        "time_out": timeout and _china(timeout),
    }


def _need(params: dict, name: str) -> str:
    if not params.get(name):
        raise _missing(name)
    return params[name]


def _fields(params: dict) -> set[str]:
    return {field.strip() for field in _need(params, "fields").split(",")}


def _id(params: dict, name: str) -> int:
    text = _need(params, name)
    if not text.isdigit():
        raise _invalid(name, f"{name}须为数字")
    return int(text)


def _int(params: dict, name: str, default: int) -> int:
    text = params.get(name)
    if not text:
        return default
    try:
        return int(text)
    except ValueError:
        raise _invalid(name, f"{name}须为整数") from None


def _time(params: dict, name: str) -> datetime | None:
    text = params.get(name)
    if not text:
        return None
    try:
        return datetime.strptime(text, TIME_FORMAT).replace(tzinfo=CHINA).astimezone(timezone.utc)
    except ValueError:
        raise _invalid(name, f"{name}格式须为yyyy-MM-dd HH:mm:ss") from None


def _yuan(value) -> Decimal:
    if isinstance(value, float):
        raise TypeError("money is a str or a Decimal, never a float")
    try:
        return Decimal(str(value)).quantize(CENT)
    except InvalidOperation:
        raise ValueError(f"{value!r} is not an amount in yuan") from None


def _fen(amount: Decimal) -> int:
    return int(amount * 100)


def _money(amount: Decimal) -> str:
    return str(amount.quantize(CENT))


def _china(moment: datetime) -> str:
    return moment.astimezone(CHINA).strftime(TIME_FORMAT)


def _exact(raw: dict | str) -> dict:
    """A captured object as a dict (from its JSON, ids stay exact ints)."""
    return copy.deepcopy(raw) if isinstance(raw, dict) else json.loads(raw)
