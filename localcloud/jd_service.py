"""A simulated JOS router on loopback: the after-sales, refund-application and order methods of
chalicelib/connectors/jd/, for many POP stores (venders) on one server, at {url}/routerjson.

Each request is checked as JD's router checks it, in its order and with its codes (error_response {code, zh_desc,
en_desc}): the app key (21), the timestamp, China time within 6 minutes (8), the signature (11, 12), the method
(14, 15), the vender's access token (19, expire_token). It is then answered in JD's shapes:
`<method, dots as _>_responce` holding code "0" and the method's result wrapper, whose `success` false carries the
refusal {code, msg}. Ids are numbers above 2**53 (odd, so no double holds them): JSON numbers where JD's are Longs
(the after-sales records, the refund applications), text where JD writes text (the order: "orderId": "..."). Amounts
are text in the order ("59.90") and JSON numbers where JD's are BigDecimals (a service order's prices,
applyRefundSum: 59.9), so a client reading them as floats loses fen here, not in production.

Service orders step through JD's serviceStatus, each change moving updateDate and sysVersion (a write naming
another sysVersion is refused, STALE_SYS_VERSION):
    10001 awaiting audit --audit.send--> 10005 awaiting the goods --receive.register--> 10007 awaiting processing
    10001 --audit.refuse--> 10004 closed by audit          10001 / 10005 --buyer_cancels_service--> 10011
The buyer's parcel back (buyer_ships) is read with jingdong.asc.freight.view. The receipt of a return's goods
(receive.register, customerExpect 10) opens its refund application on the order, for what the buyer paid for the
goods (the service order's refundAmt, else its details' actualPayPrice): the money flow below. Refund applications
(an undelivered order under one is LOCKED; refunded, TRADE_CANCELED; refused or withdrawn, as it was; a delivered
order, a return's, stays as it is):
    0 --replyRefund 1 / 6--> 1 / 6 --settle()--> 3 refunded by JD finance (4 failed, after fail_refund_next())
    0 --replyRefund 2--> 2      0, 1, 6 --force_close--> 9 forced close and refund      0 --buyer_cancels_refund--> 11

Replaying production: feed_order(orderInfo) and feed_service_order(data) take a captured JD object (the
`orderDetailInfo.orderInfo` of jingdong.pop.order.get, the `result.data` of jingdong.asc.query.view, read with
`json.loads(text, parse_float=Decimal)`), answered as captured from then on for its id; a service order joins
sync.list by its updateDate, and the simulated steps go on from its serviceStatus and sysVersion.

Faults are scripted per method (None: the next call of any): time_out_next does the work and answers after the
client stopped waiting; fail_next answers an HTTP status (or the router's own failure code) and does nothing;
flow_control_next answers the router's code 2 and does nothing; refuse_next answers the method's refusal (code,
msg) and does nothing.
"""

import copy
import itertools
import json
import random
import re
import threading
import time
import urllib.parse
from collections import Counter, deque
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from http.server import BaseHTTPRequestHandler
from typing import Self

from chalicelib.connectors.china import china_time, from_china_time
from chalicelib.connectors.jd.jos_api import PARAM_JSON, response_key, sign
from localcloud.loopback import LoopbackServer

PATH = "/routerjson"
TIMESTAMP_SKEW = timedelta(minutes=6)
ROUTER_ERRORS = {  # code -> (zh_desc, en_desc), JD's table
    "2": ("限制时间内调用失败次数", "App Call Limited"),
    "7": ("缺少时间戳参数", "Missing Timestamp"),
    "8": ("非法的时间戳参数", "Invalid Timestamp"),
    "11": ("缺少签名参数", "Missing Signature"),
    "12": ("无效签名", "Invalid Signature"),
    "14": ("缺少方法名参数", "Missing Method"),
    "15": ("不存在的方法名", "Invalid Method"),
    "19": ("无效access_token", "Invalid access_token"),
    "21": ("无效App Key", "Invalid App Key"),
}
AWAITING_AUDIT = frozenset({10001, 10002, 10012, 10013})
DELIVERED = "FINISHED_L"
STATUS_NAMES = {10001: "待审核", 10004: "审核关闭", 10005: "待收货", 10007: "待处理", 10010: "完成", 10011: "取消"}
EXPECT_NAMES = {10: "退货", 20: "换货", 30: "维修"}
OPERATOR = ("buId", "operatePin", "operateNick")
RETURN_ADDRESS = (
    "returnContactName", "returnContactTel", "returnProvince", "returnCity", "returnCounty", "returnDetailAddress",
)
RECEIPT = ("packingState", "qualityState", "accessoryOrGift", "judgmentReason")
MAX_PAGE_SIZE = 50
CAPTURED_SERVICE_KEYS = ("serviceId", "orderId", "serviceStatus", "sysVersion", "updateDate")
_FIRST_ID = 2**53 + 1
_DECIMAL = "\u0000"


class _Refusal(Exception):
    """A method's refusal: success false in its result wrapper, nothing done."""

    def __init__(self, code: str, msg: str) -> None:
        super().__init__(f"{code} {msg}")
        self.code, self.msg = code, msg


class _Vender:
    def __init__(self, vender_id: str, token: str) -> None:
        self.id, self.token, self.expired = vender_id, token, False
        self.orders: dict[str, dict] = {}  # orderId -> orderInfo
        self.services: dict[str, dict] = {}  # serviceId -> ServiceBill
        self.freights: dict[str, dict] = {}  # serviceId -> freight.view data
        self.refunds: dict[str, dict] = {}  # id -> refund application row
        self.held_states: dict[str, str] = {}  # orderId -> its state before a refund application LOCKED it


class JdService(LoopbackServer):
    def __init__(
        self, app_key: str, app_secret: str, clock=None, seed: int = 7, *, late_answer_seconds: float = 1.5,
    ) -> None:
        """`clock`: the time of everything it writes and of its timestamp check (UTC wall clock by default);
        `late_answer_seconds`: how late a timed-out answer comes (longer than the client waits)."""
        self._app_key, self._secret = app_key, app_secret.encode()
        self._clock = clock or (lambda: datetime.now(timezone.utc))
        self._rng = random.Random(seed)
        self._late = late_answer_seconds
        self._ids = itertools.count(_FIRST_ID, 2)
        self._venders: dict[str, _Vender] = {}
        self._lock = threading.Lock()
        self._script: deque[tuple[str, str | None, dict]] = deque()
        self._failing_refunds = 0
        self._methods = {
            "jingdong.asc.sync.list": self._sync_list, "jingdong.asc.query.view": self._query_view,
            "jingdong.asc.freight.view": self._freight_view, "jingdong.asc.audit.send": self._audit_send,
            "jingdong.asc.audit.refuse": self._audit_refuse, "jingdong.asc.receive.register": self._receive_register,
            "jingdong.pop.order.get": self._order_get,
            "jingdong.pop.afs.soa.refundapply.queryPageList": self._refund_page,
            "jingdong.pop.afs.soa.refundapply.replyRefund": self._reply_refund,
        }
        self.calls: Counter = Counter()  # by what happened: a method, bad_signature, expired_token, timed_out, ...
        self.requests: list[tuple[str, dict]] = []  # (method, business parameters) of every signed request
        super().__init__("jd-service", self._answer)

    @property
    def gateway_url(self) -> str:
        return self.url + PATH

    def start(self) -> Self:
        """Polls for stop() every 50 ms (tests start and stop many of these)."""
        threading.Thread(
            target=self._http.serve_forever, kwargs={"poll_interval": 0.05}, name=self._name, daemon=True).start()
        return self

    # --- faults -----------------------------------------------------------------------------------------------

    def time_out_next(self, method: str | None = None, times: int = 1) -> None:
        self._add("time_out", method, times)

    def fail_next(self, method: str | None = None, times: int = 1, status: int = 503, code: str | None = None) -> None:
        """The next calls answer HTTP `status`, or with `code` the router's own failure (its 65, 66, 67: the
        service behind it timed out or could not be reached), and do nothing."""
        self._add("fail", method, times, status=status, code=code)

    def flow_control_next(self, method: str | None = None, times: int = 1) -> None:
        self._add("flow_control", method, times)

    def refuse_next(self, method: str, code: str, msg: str, times: int = 1) -> None:
        self._add("refuse", method, times, code=code, msg=msg)

    def fail_refund_next(self, times: int = 1) -> None:
        """The next approved refund applications settle() meets fail at JD finance (status 4)."""
        with self._lock:
            self._failing_refunds += times

    def _add(self, fault: str, method: str | None, times: int, **detail) -> None:
        with self._lock:
            self._script.extend([(fault, method, detail)] * times)

    # --- the store's and the buyer's side ---------------------------------------------------------------------

    def add_vender(self, vender_id: str, access_token: str) -> None:
        """Authorizes the app for a store (again, with a new token, keeping its records)."""
        with self._lock:
            vender = self._venders.setdefault(vender_id, _Vender(vender_id, access_token))
            vender.token, vender.expired = access_token, False

    def expire_token(self, vender_id: str) -> None:
        with self._lock:
            self._vender(vender_id).expired = True

    def add_order(
        self, vender_id: str, lines: list[dict], freight: str = "0.00", seller_discount: str = "0.00",
        state: str = "WAIT_SELLER_STOCK_OUT", pin: str = "jd_buyer_01",
    ) -> str:
        """`lines`: [{"price", "quantity", "outer_sku_id", "name"}]; answers the orderId (its skuIds: `order(...)`)."""
        with self._lock:
            vender, now = self._vender(vender_id), self._china_now()
            items = [{
                "skuId": str(next(self._ids)), "wareId": str(next(self._ids)),
                "outerSkuId": line.get("outer_sku_id", ""),
                "skuName": line.get("name", "商品"), "jdPrice": _money(line["price"]), "itemTotal": str(line["quantity"]),
            } for line in lines]
            goods = sum((Decimal(i["jdPrice"]) * int(i["itemTotal"]) for i in items), Decimal(0))
            discount, shipping = Decimal(seller_discount), Decimal(freight)
            number = str(next(self._ids))
            vender.orders[number] = {
                "orderId": number, "venderId": vender_id, "orderState": state, "orderType": "22",
                "orderTotalPrice": _money(goods), "orderSellerPrice": _money(goods - discount),
                "orderPayment": _money(goods - discount + shipping), "freightPrice": _money(shipping),
                "sellerDiscount": _money(discount), "orderStartTime": now, "paymentConfirmTime": now, "modified": now,
                "orderEndTime": "", "pin": pin, "waybill": "", "logisticsId": "", "itemInfoList": items,
            }
            return number

    def ship_order(self, order_id: str, logistics_id: str = "467", waybill: str | None = None) -> str:
        """The store ships the order; answers the waybill."""
        with self._lock:
            order = self._order(order_id)
            order["waybill"] = waybill or f"SF{self._rng.randrange(10**12, 10**13)}"
            order["logisticsId"], order["orderState"] = logistics_id, "WAIT_GOODS_RECEIVE_CONFIRM"
            order["modified"] = self._china_now()
            return order["waybill"]

    def open_service(
        self, order_id: str, sku_id: str, quantity: int = 1, customer_expect: int = 10,
        question: tuple[str, str] = ("质量问题", "商品故障"), description: str | None = None, pictures: tuple[str, ...] = (),
    ) -> str:
        """The buyer applies for after-sales service on a sku of the order (`question`: the question types'
        names, first and second level); answers the serviceId."""
        with self._lock:
            vender, order = self._owner_of_order(order_id)
            item = next((i for i in order["itemInfoList"] if i["skuId"] == str(sku_id)), None)
            if item is None or quantity > int(item["itemTotal"]):
                raise ValueError(f"order {order_id} has no {quantity} of sku {sku_id}")
            number, now = next(self._ids), self._china_now()
            vender.services[str(number)] = {
                "serviceId": number, "applyId": next(self._ids), "applyTime": now, "orderId": int(order_id),
                "orderType": 22, "customerExpect": customer_expect,
                "customerExpectName": EXPECT_NAMES.get(customer_expect, ""),
                "serviceStatus": 10001, "serviceStatusName": STATUS_NAMES[10001],
                "questionTypeCid1": 1000 + self._rng.randrange(100), "questionTypeCid1Name": question[0],
                "questionTypeCid2": 2000 + self._rng.randrange(100), "questionTypeCid2Name": question[1],
                "questionDesc": description or "", "questionPic": ",".join(pictures), "serviceCount": quantity,
                "updateDate": now, "sysVersion": 1, "customerInfo": {"jdPin": order["pin"]},
                "serviceBillDetailList": [{
                    "serviceDetailId": next(self._ids), "skuId": int(item["skuId"]), "wareName": item["skuName"],
                    "wareType": 10, "wareNum": quantity, "payPrice": Decimal(item["jdPrice"]),
                    "actualPayPrice": Decimal(item["jdPrice"]),
                }],
            }
            return str(number)

    def buyer_ships(self, service_id: str, company: str, waybill: str) -> None:
        """The buyer sends the goods back and fills in the parcel (only once the audit let them: 10005)."""
        with self._lock:
            vender, service = self._owner_of_service(service_id)
            if service["serviceStatus"] != 10005:
                raise ValueError(f"service order {service_id} is {service['serviceStatus']}: not awaiting the goods")
            now = self._china_now()
            vender.freights[str(service_id)] = {"serviceId": service["serviceId"], "orderId": service["orderId"],
                                                "expressCompany": company, "expressCode": waybill, "deliverDate": now}
            self._touch(service, freightUpdateDate=now)

    def buyer_cancels_service(self, service_id: str) -> None:
        with self._lock:
            _, service = self._owner_of_service(service_id)
            if service["serviceStatus"] not in AWAITING_AUDIT | {10005}:
                raise ValueError(f"service order {service_id} is {service['serviceStatus']} and cannot be cancelled")
            self._touch(service, serviceStatus=10011, serviceStatusName=STATUS_NAMES[10011])

    def open_refund_application(self, order_id: str, amount: str | None = None, reason: str = "不想要了") -> str:
        """The buyer asks to cancel a paid order (the whole payment by default); answers the application's id."""
        with self._lock:
            vender, order = self._owner_of_order(order_id)
            return self._open_application(vender, order, Decimal(amount or order["orderPayment"]), reason)

    def _open_application(self, vender: _Vender, order: dict, amount: Decimal, reason: str) -> str:
        number = next(self._ids)
        vender.refunds[str(number)] = {
            "id": number, "orderId": int(order["orderId"]), "status": 0, "applyTime": self._china_now(),
            "applyRefundSum": amount, "reason": reason, "buyerId": order["pin"], "buyerName": order["pin"],
            "checkTime": "", "checkUserName": "", "checkRemark": "",
        }
        if order["orderState"] != DELIVERED:
            vender.held_states.setdefault(str(order["orderId"]), order["orderState"])
            self._set_order_state(order, "LOCKED")
        return str(number)

    def settle(self) -> list[str]:
        """JD finance pays the approved refund applications (3), or fails to (4); answers their ids."""
        with self._lock:
            settled = []
            for vender in self._venders.values():
                for number, application in vender.refunds.items():
                    if application["status"] not in (1, 6):
                        continue
                    failed = self._failing_refunds > 0
                    self._failing_refunds -= failed
                    application["status"] = 4 if failed else 3
                    if not failed:
                        self._cancel_order(vender, application)
                    settled.append(number)
            return settled

    def force_close(self, refund_id: str) -> None:
        """JD closes the order and refunds the buyer by itself (9): the seller took too long, say."""
        with self._lock:
            vender, application = self._owner_of_refund(refund_id)
            if application["status"] not in (0, 1, 6):
                raise ValueError(f"refund application {refund_id} is {application['status']}")
            application.update(status=9, checkTime=self._china_now(), checkUserName="jd")
            self._cancel_order(vender, application)

    def buyer_cancels_refund(self, refund_id: str) -> None:
        with self._lock:
            vender, application = self._owner_of_refund(refund_id)
            if application["status"] != 0:
                raise ValueError(f"refund application {refund_id} is {application['status']}")
            application["status"] = 11
            self._release_order(vender, application)

    def feed_order(self, raw: dict, vender_id: str | None = None) -> str:
        """A captured orderInfo, answered for its orderId from now on (its venderId's store unless one is named)."""
        with self._lock:
            vender = self._vender(vender_id or str(raw.get("venderId") or self._only_vender()))
            vender.orders[str(raw["orderId"])] = copy.deepcopy(raw)
            return str(raw["orderId"])

    def feed_service_order(self, raw: dict, vender_id: str | None = None) -> str:
        """A captured query.view `data`, answered for its serviceId from now on (the only store unless one is named)."""
        missing = [key for key in CAPTURED_SERVICE_KEYS if raw.get(key) in (None, "")]
        if missing:
            raise ValueError(f"a captured service order needs {', '.join(missing)}")
        with self._lock:
            vender = self._vender(vender_id or self._only_vender())
            vender.services[str(raw["serviceId"])] = copy.deepcopy(raw)
            return str(raw["serviceId"])

    def order(self, order_id: str) -> dict:
        with self._lock:
            return copy.deepcopy(self._order(order_id))

    def service(self, service_id: str) -> dict:
        with self._lock:
            return copy.deepcopy(self._owner_of_service(service_id)[1])

    def refund_application(self, refund_id: str) -> dict:
        with self._lock:
            return copy.deepcopy(self._owner_of_refund(refund_id)[1])

    def refund_applications(self, vender_id: str) -> list[dict]:
        """Every refund application of the store, as JD keeps it."""
        with self._lock:
            return copy.deepcopy(list(self._vender(vender_id).refunds.values()))

    # --- the router -------------------------------------------------------------------------------------------

    def _answer(self, request: BaseHTTPRequestHandler, method: str) -> None:
        url = urllib.parse.urlsplit(request.path)
        length = int(request.headers.get("Content-Length") or 0)
        raw = request.rfile.read(length).decode() if method == "POST" else url.query
        if url.path != PATH:
            return _send(request, 404, b'{"error":"Not Found"}')
        params = {key: values[0] for key, values in urllib.parse.parse_qs(raw, keep_blank_values=True).items()}
        with self._lock:
            status, body, late = self._route(params)
        if late:
            time.sleep(self._late)
        _send(request, status, body)

    def _route(self, params: dict[str, str]) -> tuple[int, bytes, bool]:
        """Under the lock: the HTTP status, the body and whether it comes late."""
        checked = self._check(params)
        if isinstance(checked, str):
            self.calls[{"12": "bad_signature", "19": "expired_token"}.get(checked, f"router_{checked}")] += 1
            return 200, _router_error(checked), False
        name, vender, business = checked
        self.requests.append((name, business))
        index = next((i for i, (_, target, _) in enumerate(self._script) if target in (None, name)), None)
        fault, _, detail = self._script[index] if index is not None else (None, None, {})
        if fault:
            del self._script[index]
        if fault == "fail":
            self.calls["failed"] += 1
            if detail["code"]:
                return 200, _router_error(detail["code"]), False
            return detail["status"], b"Service Unavailable", False
        if fault == "flow_control":
            self.calls["flow_controlled"] += 1
            return 200, _router_error("2"), False
        if fault == "time_out":
            self.calls["timed_out"] += 1
        try:
            if fault == "refuse":
                raise _Refusal(detail["code"], detail["msg"])
            answer = self._methods[name](vender, business)
            self.calls[name] += 1
        except _Refusal as refusal:
            self.calls[f"refused_{refusal.code}"] += 1
            answer = _refused(name, refusal)
        return 200, _dumps({response_key(name): {"code": "0", **answer}}), fault == "time_out"

    def _check(self, params: dict[str, str]) -> str | tuple[str, _Vender, dict]:
        """The router's checks, in its order: a code of ROUTER_ERRORS, or (method, vender, business parameters)."""
        if params.get("app_key") != self._app_key:
            return "21"
        if not params.get("timestamp"):
            return "7"
        try:
            skew = abs(from_china_time(params["timestamp"]) - self._clock())
        except ValueError:
            return "8"
        if skew > TIMESTAMP_SKEW:
            return "8"
        if not params.get("sign"):
            return "11"
        if params["sign"] != sign(params, self._secret):
            return "12"
        if not params.get("method"):
            return "14"
        if params["method"] not in self._methods:
            return "15"
        vender = next((v for v in self._venders.values() if v.token == params.get("access_token")), None)
        if vender is None or vender.expired:
            return "19"
        try:
            business = json.loads(params.get(PARAM_JSON) or "{}", parse_float=Decimal)
        except ValueError:
            business = None
        return params["method"], vender, business if isinstance(business, dict) else {}

    # --- after-sales service orders (under the lock; each checks everything before it changes anything) ------

    def _sync_list(self, vender: _Vender, given: dict) -> dict:
        """Service orders changed between updateTimeBegin and updateTimeEnd (both included), oldest change first."""
        _operator(vender, given)
        begin, end = _time_param(given, "updateTimeBegin"), _time_param(given, "updateTimeEnd")
        number, size = _page(given, "pageNumber", 10)
        rows = sorted(
            (s for s in vender.services.values() if begin <= from_china_time(s["updateDate"]) <= end
             and all(given.get(key) in (None, "") or str(given[key]) == str(s.get(key))
                     for key in ("serviceId", "orderId", "serviceStatus"))),
            key=lambda s: (from_china_time(s["updateDate"]), s["serviceId"]),
        )
        page = rows[(number - 1) * size:number * size]
        return {"pageResult": {"success": True, "code": "0", "msg": "", "data": [_brief(s) for s in page],
                               "pageNumber": number, "pageSize": size, "totalCount": len(rows)}}

    def _query_view(self, vender: _Vender, given: dict) -> dict:
        _operator(vender, given)
        return _result(data=copy.deepcopy(self._service_of(vender, given)))

    def _freight_view(self, vender: _Vender, given: dict) -> dict:
        _operator(vender, given)
        service = self._service_of(vender, given)
        return _result(data=copy.deepcopy(vender.freights.get(str(service["serviceId"]))))

    def _audit_send(self, vender: _Vender, given: dict) -> dict:
        """Approved: the buyer sends the goods back to the return address given (10001 -> 10005)."""
        service = self._audited(vender, given, ("approveNotes", "sysVersion", *RETURN_ADDRESS))
        self._touch(
            service, serviceStatus=10005, serviceStatusName=STATUS_NAMES[10005], approveResult=33,
            approveResultName="客户发货", approveNotes=given["approveNotes"], approveDate=self._china_now(),
            approvePin=given["operatePin"], approveName=given["operateNick"],
            returnWareAddress={key: given[key] for key in RETURN_ADDRESS},
        )
        return _result()

    def _audit_refuse(self, vender: _Vender, given: dict) -> dict:
        service = self._audited(vender, given, ("approveNotes", "sysVersion", "approveReasonCid1"))
        self._touch(
            service, serviceStatus=10004, serviceStatusName=STATUS_NAMES[10004], approveNotes=given["approveNotes"],
            approveReasonCid1=given["approveReasonCid1"], approveReasonCid2=given.get("approveReasonCid2"),
            approveDate=self._china_now(), approvePin=given["operatePin"], approveName=given["operateNick"],
        )
        return _result()

    def _receive_register(self, vender: _Vender, given: dict) -> dict:
        """The goods are back and inspected on unpacking (10005 -> 10007). JD names no sysVersion here."""
        _operator(vender, given)
        _required(given, RECEIPT)
        service = self._service_of(vender, given)
        if service["serviceStatus"] != 10005:
            raise _Refusal("WRONG_STATUS", f"服务单状态为{service['serviceStatus']}，不能收货登记")
        self._touch(
            service, serviceStatus=10007, serviceStatusName=STATUS_NAMES[10007], receiveDate=self._china_now(),
            receiveRegister={key: given.get(key) for key in (*RECEIPT, "receivePin", "receiveName", "receiveRemark")},
        )
        order = vender.orders.get(str(service["orderId"]))
        if service.get("customerExpect") == 10 and order is not None:
            paid = sum((Decimal(d.get("actualPayPrice") or 0) * int(d.get("wareNum") or 1)
                        for d in service.get("serviceBillDetailList") or [] if d.get("wareType", 10) == 10), Decimal(0))
            refund = Decimal(service["refundAmt"]) if service.get("refundAmt") is not None else paid
            self._open_application(vender, order, refund, service.get("questionTypeCid2Name") or "退货")
        return _result()

    def _audited(self, vender: _Vender, given: dict, required: tuple[str, ...]) -> dict:
        """The service order an audit acts on: awaiting audit, at the sysVersion the call names."""
        _operator(vender, given)
        _required(given, required)
        service = self._service_of(vender, given)
        if str(given["sysVersion"]) != str(service["sysVersion"]):
            raise _Refusal("STALE_SYS_VERSION",
                           f"服务单版本号不一致(sysVersion {given['sysVersion']}，当前 {service['sysVersion']})，请刷新后重试")
        if service["serviceStatus"] not in AWAITING_AUDIT:
            raise _Refusal("WRONG_STATUS", f"服务单状态为{service['serviceStatus']}，不能审核")
        return service

    def _service_of(self, vender: _Vender, given: dict) -> dict:
        _required(given, ("serviceId",))
        service = vender.services.get(str(given["serviceId"]))
        named = given.get("orderId")
        if service is None or named not in (None, "") and str(named) != str(service["orderId"]):
            raise _Refusal("NOT_FOUND", f"服务单{given['serviceId']}不存在")
        return service

    def _touch(self, service: dict, **changes) -> None:
        service.update(changes, updateDate=self._china_now(), sysVersion=int(service["sysVersion"]) + 1)

    # --- orders and refund applications -----------------------------------------------------------------------

    def _order_get(self, vender: _Vender, given: dict) -> dict:
        order = vender.orders.get(str(given.get("order_id")))
        if order is None:
            return {"orderDetailInfo": {"apiResult": {"success": False, "numberCode": "NOT_FOUND",
                                                      "chineseErrCode": f"订单{given.get('order_id')}不存在"}}}
        fields = {f.strip() for f in str(given.get("optional_fields") or "").split(",") if f.strip()}
        info = {k: copy.deepcopy(v) for k, v in order.items() if not fields or k in fields or k == "orderId"}
        found = {"success": True, "numberCode": "", "chineseErrCode": ""}
        return {"orderDetailInfo": {"apiResult": found, "orderInfo": info}}

    def _refund_page(self, vender: _Vender, given: dict) -> dict:
        """Refund applications by ids (comma-separated), orderId, status, apply or check time; oldest first."""
        number, size = _page(given, "pageIndex", 50)
        ids = {i.strip() for i in str(given.get("ids") or "").split(",") if i.strip()}
        spans = [(key, _time_param(given, f"{key}Start"), _time_param(given, f"{key}End"))
                 for key in ("applyTime", "checkTime") if given.get(f"{key}Start") or given.get(f"{key}End")]
        rows = sorted(
            (a for a in vender.refunds.values()
             if (not ids or str(a["id"]) in ids)
             and all(given.get(key) in (None, "") or str(given[key]) == str(a[key]) for key in ("orderId", "status"))
             and all(a[key] and begin <= from_china_time(a[key]) <= end for key, begin, end in spans)),
            key=lambda a: (from_china_time(a["applyTime"]), a["id"]),
        )
        page = [copy.deepcopy(a) for a in rows[(number - 1) * size:number * size]]
        return {"queryResult": {"success": True, "result": page, "totalCount": len(rows)}}

    def _reply_refund(self, vender: _Vender, given: dict) -> dict:
        """The seller's answer to a pending application: 1 approve, 2 refuse (with rejectType), 6 approve and
        intercept the parcel; outWareStatus says whether the goods had left (1) or not (2)."""
        _required(given, ("id", "status", "checkUserName", "remark", "outWareStatus"))
        answer = str(given["status"])
        if answer not in ("1", "2", "6") or str(given["outWareStatus"]) not in ("1", "2"):
            raise _Refusal("PARAM_ERROR", f"status {given['status']} / outWareStatus {given['outWareStatus']} 不合法")
        if answer == "2":
            _required(given, ("rejectType",))
        application = vender.refunds.get(str(given["id"]))
        if application is None:
            raise _Refusal("NOT_FOUND", f"退款单{given['id']}不存在")
        if application["status"] != 0:
            raise _Refusal("WRONG_STATUS", f"退款单状态为{application['status']}，不能审核")
        application.update(status=int(answer), checkTime=self._china_now(), checkUserName=given["checkUserName"],
                           checkRemark=given["remark"])
        if answer == "2":
            self._release_order(vender, application)
        return {"replyResult": {"success": True, "errorCode": "", "errorMessage": ""}}

    def _cancel_order(self, vender: _Vender, application: dict) -> None:
        vender.held_states.pop(str(application["orderId"]), None)
        order = vender.orders[str(application["orderId"])]
        if order["orderState"] != DELIVERED:
            self._set_order_state(order, "TRADE_CANCELED")

    def _release_order(self, vender: _Vender, application: dict) -> None:
        state = vender.held_states.pop(str(application["orderId"]), None)
        if state:
            self._set_order_state(vender.orders[str(application["orderId"])], state)

    def _set_order_state(self, order: dict, state: str) -> None:
        order["orderState"], order["modified"] = state, self._china_now()

    # --- lookups ----------------------------------------------------------------------------------------------

    def _vender(self, vender_id: str) -> _Vender:
        if vender_id not in self._venders:
            raise KeyError(f"no vender {vender_id}: add_vender first")
        return self._venders[vender_id]

    def _only_vender(self) -> str:
        if len(self._venders) != 1:
            raise ValueError(f"{len(self._venders)} venders: name the one the object belongs to")
        return next(iter(self._venders))

    def _order(self, order_id: str) -> dict:
        return self._owner_of_order(order_id)[1]

    def _owner_of_order(self, order_id: str) -> tuple[_Vender, dict]:
        return self._find("orders", str(order_id), "order")

    def _owner_of_service(self, service_id: str) -> tuple[_Vender, dict]:
        return self._find("services", str(service_id), "service order")

    def _owner_of_refund(self, refund_id: str) -> tuple[_Vender, dict]:
        return self._find("refunds", str(refund_id), "refund application")

    def _find(self, table: str, key: str, what: str) -> tuple[_Vender, dict]:
        for vender in self._venders.values():
            if key in getattr(vender, table):
                return vender, getattr(vender, table)[key]
        raise ValueError(f"unknown {what} {key}")

    def _china_now(self) -> str:
        return china_time(self._clock())


# --- JD's rules and shapes ------------------------------------------------------------------------------------

def _operator(vender: _Vender, given: dict) -> None:
    """The after-sales methods act as an operator of the store the token is for."""
    _required(given, OPERATOR)
    if str(given["buId"]) != vender.id:
        raise _Refusal("WRONG_VENDER", f"商家编号{given['buId']}与授权商家不符")


def _required(given: dict, names: tuple[str, ...]) -> None:
    missing = [name for name in names if given.get(name) in (None, "")]
    if missing:
        raise _Refusal("MISSING_PARAM", f"{', '.join(missing)}不能为空")


def _time_param(given: dict, name: str) -> datetime:
    try:
        return from_china_time(given.get(name))
    except ValueError:
        raise _Refusal("PARAM_ERROR", f"{name} 必须为 yyyy-MM-dd HH:mm:ss") from None


def _page(given: dict, name: str, default_size: int) -> tuple[int, int]:
    number, size = given.get(name, 1), given.get("pageSize", default_size)
    if not (isinstance(number, int) and isinstance(size, int) and number >= 1 and 1 <= size <= MAX_PAGE_SIZE):
        raise _Refusal("PARAM_ERROR", f"{name} 从1开始，pageSize 1~{MAX_PAGE_SIZE}")
    return number, size


def _brief(service: dict) -> dict:
    """A service order as sync.list lists it (ServiceBrief)."""
    detail = (service.get("serviceBillDetailList") or [{}])[0]
    keys = ("serviceId", "orderId", "customerExpect", "customerExpectName", "serviceStatus", "serviceStatusName",
            "applyTime", "sysVersion", "serviceCount", "questionTypeCid1", "questionTypeCid1Name", "questionTypeCid2",
            "questionTypeCid2Name", "approveTime", "freightUpdateDate")
    return {**{key: copy.deepcopy(service.get(key)) for key in keys}, "updateTime": service["updateDate"],
            "skuId": detail.get("skuId"), "wareName": detail.get("wareName"),
            "customerPin": (service.get("customerInfo") or {}).get("jdPin")}


def _router_error(code: str) -> bytes:
    zh, en = ROUTER_ERRORS.get(code, ("服务异常", "Service Error"))
    return _dumps({"error_response": {"code": code, "zh_desc": zh, "en_desc": en}})


def _result(data: object = None) -> dict:
    return {"result": {"success": True, "code": "0", "msg": "成功", "data": data}}


def _refused(method: str, refusal: _Refusal) -> dict:
    if method == "jingdong.pop.order.get":
        refused = {"success": False, "numberCode": refusal.code, "chineseErrCode": refusal.msg}
        return {"orderDetailInfo": {"apiResult": refused}}
    wrapper = {"jingdong.asc.sync.list": "pageResult", "jingdong.pop.afs.soa.refundapply.queryPageList": "queryResult",
               "jingdong.pop.afs.soa.refundapply.replyRefund": "replyResult"}.get(method, "result")
    return {wrapper: {"success": False, "code": refusal.code, "msg": refusal.msg}}


def _money(value) -> str:
    """JD's order amounts: text with two decimals."""
    return str(Decimal(str(value)).quantize(Decimal("0.01")))


def _dumps(payload: dict) -> bytes:
    """JSON with each Decimal as the JSON number JD's BigDecimals are, written from its digits (59.90 -> 59.9)."""
    def number(value):
        if isinstance(value, Decimal):
            return f"{_DECIMAL}{format(value.normalize(), 'f')}{_DECIMAL}"
        raise TypeError(f"{type(value).__name__} is not JSON")

    text = json.dumps(payload, ensure_ascii=False, default=number)
    return re.sub(r'"\\u0000(-?[0-9.]+)\\u0000"', r"\1", text).encode()


def _send(request: BaseHTTPRequestHandler, status: int, body: bytes) -> None:
    request.send_response(status)
    request.send_header("Content-Type", "application/json;charset=utf-8")
    request.send_header("Content-Length", str(len(body)))
    request.end_headers()
    request.wfile.write(body)
