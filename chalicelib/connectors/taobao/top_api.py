"""The Taobao Open Platform (TOP) REST gateway: signed calls in a seller's name, and its errors as the project's.

Every call is one POST, form-encoded, to `connection.gateway_url`: the system parameters (method, app_key,
session, timestamp in China time, v=2.0, sign_method, format=json, simplify=false) and the business ones, signed
(`sign`). TOP answers HTTP 200 either way: `{"<method>_response": {...}}` (the method without "taobao.", dots as
"_") or `{"error_response": {code, msg, sub_code, sub_msg, request_id}}`. With simplify=false lists come wrapped
in an object named after their element (`refunds: {refund: [...]}`), and empty ones are left out.

Errors are the project's: a refusal (`isv.*` and the gateway's own codes) is `TopRefused`, a refused or expired
session `SessionExpired`, and what may go better later (flow control, `isp.*`, 5xx, no answer, no JSON) is
`TopUnavailable`, whose `unknown_outcome` says whether a write may have acted anyway. Ids (tid, oid, refund_id,
TMC message ids) are JSON numbers above 2**53: they are parsed as exact ints, never as floats.
"""

import hashlib
import hmac
import http.client
import json
import socket
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from datetime import datetime, timezone
from decimal import Decimal
from typing import TYPE_CHECKING

from chalicelib.connectors.china import china_time
from chalicelib.ports.errors import MarketplaceRefused, MarketplaceUnavailable

if TYPE_CHECKING:  # pydantic stays out of the import of this module
    from chalicelib.domain.connections import TaobaoConnection

SYSTEM_PARAMETERS = frozenset({
    "method", "app_key", "session", "timestamp", "v", "sign_method", "sign", "format", "simplify", "partner_id",
    "target_app_key",
})
# Codes of the gateway itself (TOP's published table): 7 App Call Limited is flow control; 10 Service Currently
# Unavailable; 26 Missing Session and 27 Invalid Session mean the seller's session key must be renewed.
FLOW_CONTROL_CODE = 7
SERVICE_UNAVAILABLE_CODE = 10
SESSION_CODES = frozenset({26, 27})
# What TOP says of a session it will not take (seen in the SDKs and in captured answers).
SESSION_SUB_CODES = frozenset({"invalid-sessionkey", "session-expired", "session-not-exist"})
# A write naming a refund_version that is no longer the refund's. Assumed: no published sub_code was found; the
# local simulator answers it, and a refusal mentioning the version is read the same way.
STALE_VERSION_SUB_CODES = frozenset({"isv.refund-version-expired"})
_STALE_MARKS = ("refund_version", "版本")
# taobao.rp.refunds.agree above the seller's threshold: nothing is refunded, an SMS code is sent to the seller and
# the call must be made again with `code` (a person's step). Clients in the wild read msg_code SEND_CODE_SUCC and
# message 发送二次验证短信成功; a code TOP will not take is assumed to be refused as `isv.sms-code-invalid`.
SMS_SENT_MSG_CODE = "SEND_CODE_SUCC"
_SMS_SENT_MARK = "二次验证短信"
SMS_CODE_SUB_CODES = frozenset({"isv.sms-code-invalid"})
_READS = frozenset({"get", "search", "query", "consume"})


def sign(params: dict[str, str], secret: bytes, sign_method: str) -> str:
    """TOP's signature: the parameters sorted by name, each name then value, none between; `md5` hashes
    secret + that + secret, `hmac` is HMAC-MD5 keyed by the secret; upper-case hex. Like the SDKs, parameters
    with no value (None or "") are left out, and so is `sign` itself."""
    text = "".join(f"{key}{params[key]}" for key in sorted(params) if key != "sign" and params[key] not in (None, ""))
    if sign_method == "md5":
        return hashlib.md5(secret + text.encode() + secret).hexdigest().upper()
    if sign_method == "hmac":
        return hmac.new(secret, text.encode(), hashlib.md5).hexdigest().upper()
    raise ValueError(f"unknown TOP sign_method {sign_method!r}: md5 or hmac")


def response_key(method: str) -> str:
    """The object a method answers in: taobao.refund.get -> refund_get_response (only "taobao." is dropped)."""
    return f"{method.removeprefix('taobao.').replace('.', '_')}_response"


def is_read(method: str) -> bool:
    """Whether a call only reads (and may be sent again freely): *.get, *.search, *.query, tmc.messages.consume."""
    return method.rsplit(".", 1)[-1] in _READS


class TopError(Exception):
    """What TOP answered instead of the method's object (or that it did not answer usefully)."""

    def __init__(
        self, message: str, method: str, code: int | str | None = None, msg: str | None = None,
        sub_code: str | None = None, sub_msg: str | None = None, request_id: str | None = None,
    ) -> None:
        super().__init__(message)
        self.method, self.code, self.msg = method, code, msg
        self.sub_code, self.sub_msg, self.request_id = sub_code, sub_msg, request_id


class TopRefused(TopError, MarketplaceRefused):
    """TOP answered and refused: nothing was done; its code and words say why."""


class SessionExpired(TopRefused):
    """The seller's session key is missing, invalid or expired: the seller must authorize the app again."""


class TopUnavailable(TopError, MarketplaceUnavailable):
    """No usable answer (flow control, a platform error, 5xx, no answer, no JSON). `unknown_outcome`: a write
    that may have acted anyway, to be checked against TOP before it is sent again."""

    def __init__(self, message: str, method: str, unknown_outcome: bool, **answer) -> None:
        super().__init__(message, method, **answer)
        self.unknown_outcome = unknown_outcome


def stale_version(error: TopError | dict) -> bool:
    """Whether a write was refused for naming a refund_version that is no longer current (re-read, re-decide,
    retry): a refusal, or one refund's entry in taobao.rp.refunds.agree's results."""
    if isinstance(error, TopRefused):
        return error.sub_code in STALE_VERSION_SUB_CODES or (
            (error.sub_code or "").startswith("isv.") and any(mark in (error.sub_msg or "") for mark in _STALE_MARKS))
    if isinstance(error, dict):
        return not error.get("succ") and any(mark in str(error.get("message") or "") for mark in _STALE_MARKS)
    return False


def sms_code_required(error_or_result: TopError | dict) -> bool:
    """Whether taobao.rp.refunds.agree waits for the SMS code TOP sent the seller (or refused the code given):
    nothing was refunded and a person must call again with the code."""
    if isinstance(error_or_result, TopRefused):
        return error_or_result.sub_code in SMS_CODE_SUB_CODES
    if isinstance(error_or_result, dict):
        return error_or_result.get("msg_code") == SMS_SENT_MSG_CODE or _SMS_SENT_MARK in str(
            error_or_result.get("message") or "")
    return False


class TopClient:
    def __init__(
        self, connection: "TaobaoConnection", app_secret: Callable[[], bytes | None],
        session: Callable[[], bytes | None], timeout_seconds: float = 5.0,
        now: Callable[[], datetime] = lambda: datetime.now(timezone.utc),
    ) -> None:
        self.connection = connection
        self._app_secret = app_secret
        self._session = session
        self._timeout = timeout_seconds
        self._now = now

    def call(self, method: str, params: dict, with_session: bool = True) -> dict:
        """The content of the method's `<name>_response`; `with_session=False` for app-level calls (TMC)."""
        body = urllib.parse.urlencode(self._signed(method, params, with_session)).encode()
        request = urllib.request.Request(self.connection.gateway_url, data=body, method="POST", headers={
            "Content-Type": "application/x-www-form-urlencoded;charset=utf-8", "Accept": "application/json",
        })
        write = not is_read(method)
        try:
            with urllib.request.urlopen(request, timeout=self._timeout) as response:
                raw = response.read()
        except urllib.error.HTTPError as error:
            if error.code == 429:
                raise TopUnavailable(f"TOP throttled {method} (HTTP 429): nothing was done; try again later",
                                     method, False, code=429) from None
            if error.code < 500:
                raise TopRefused(f"TOP answered HTTP {error.code} to {method} at {self.connection.gateway_url}",
                                 method, code=error.code) from None
            raise _unavailable(method, f"HTTP {error.code}", write) from None
        except urllib.error.URLError as error:
            sent = not isinstance(error.reason, (ConnectionRefusedError, socket.gaierror))
            raise _unavailable(method, f"no answer: {error.reason}", write and sent) from None
        except (OSError, http.client.HTTPException) as error:
            raise _unavailable(method, f"no answer: {error!r}", write) from None
        return self._content(method, raw, write)

    def _signed(self, method: str, params: dict, with_session: bool) -> dict[str, str]:
        connection = self.connection
        secret = self._app_secret()
        if not secret:
            raise MarketplaceRefused(
                f"no TOP app secret for {connection.seller_nick} ({connection.app_secret_parameter})")
        form = {
            "method": method, "app_key": connection.app_key, "timestamp": china_time(self._now()), "v": "2.0",
            "sign_method": connection.sign_method, "format": "json", "simplify": "false",
        }
        if with_session:
            session = self._session()
            if not session:
                raise SessionExpired(
                    f"no TOP session for {connection.seller_nick} in {connection.session_parameter}: the seller must "
                    "authorize the app to store one", method)
            form["session"] = session.decode()
        for key, value in params.items():
            if key in SYSTEM_PARAMETERS:
                raise ValueError(f"{key} is a TOP system parameter, not a business one of {method}")
            text = _text(value)
            if text not in (None, ""):
                form[key] = text
        form["sign"] = sign(form, secret, connection.sign_method)
        return form

    def _content(self, method: str, raw: bytes, write: bool) -> dict:
        try:
            answer = json.loads(raw, parse_float=Decimal)
        except ValueError:
            raise _unavailable(method, f"not JSON: {raw[:200]!r}", write) from None
        if not isinstance(answer, dict):
            raise _unavailable(method, f"not a TOP answer: {raw[:200]!r}", write)
        if isinstance(answer.get("error_response"), dict):
            raise self._error(method, answer["error_response"], write)
        content = answer.get(response_key(method))
        if not isinstance(content, dict):
            raise _unavailable(method, f"no {response_key(method)} in {raw[:200]!r}", write)
        return content

    def _error(self, method: str, error: dict, write: bool) -> TopError:
        answer = {
            "code": _code(error.get("code")), "msg": error.get("msg"), "sub_code": error.get("sub_code"),
            "sub_msg": error.get("sub_msg"), "request_id": error.get("request_id"),
        }
        code, sub_code = answer["code"], answer["sub_code"] or ""
        said = " ".join(str(part) for part in (code, answer["msg"], sub_code, answer["sub_msg"]) if part)
        if code in SESSION_CODES or sub_code in SESSION_SUB_CODES:
            return SessionExpired(
                f"TOP refused {method} for {self.connection.seller_nick}: the session in "
                f"{self.connection.session_parameter} is invalid or expired ({said}); the seller must authorize the "
                "app again to renew it", method, **answer)
        if code == FLOW_CONTROL_CODE or sub_code.startswith("accesscontrol."):
            return TopUnavailable(f"TOP flow control refused {method} ({said}): nothing was done; try again later",
                                  method, False, **answer)
        if code == SERVICE_UNAVAILABLE_CODE or sub_code.startswith("isp."):
            return _unavailable(method, said, write, **answer)
        return TopRefused(f"TOP refused {method}: {said}", method, **answer)


def _unavailable(method: str, detail: str, unknown_outcome: bool, **answer) -> TopUnavailable:
    outcome = ("it may have acted: check it against TOP before sending it again" if unknown_outcome
               else "nothing was done: try again later")
    return TopUnavailable(f"no usable answer from TOP to {method} ({detail}); {outcome}", method, unknown_outcome,
                          **answer)


def _code(value) -> int | str | None:
    """TOP's code as an int when it is one (JSON answers send 27, some clients "27")."""
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return value


def _text(value) -> str | None:
    """A business parameter as TOP takes it: text; booleans true/false; numbers exact; times in China time;
    objects and lists as compact JSON. Floats are refused: money is Decimal or fen."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, datetime):
        return china_time(value)
    if isinstance(value, (dict, list, tuple)):
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=_json_value)
    raise TypeError(f"a TOP parameter cannot be {type(value).__name__} ({value!r})")


def _json_value(value) -> str:
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, datetime):
        return china_time(value)
    raise TypeError(f"{type(value).__name__} is not JSON ({value!r})")
