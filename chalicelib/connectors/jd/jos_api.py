"""The JD Open Service (JOS) router: signed calls with a POP seller's access token, and its errors as the project's.

Every call is one form POST to `connection.gateway_url`: the system parameters (method, app_key, access_token,
timestamp in China time, v=2.0, format=json), the business parameters as one compact JSON string in
`360buy_param_json`, and `sign` over all of them. The router answers HTTP 200 either way:
`{"error_response": {code, zh_desc, en_desc}}` when the gateway refuses, or `{"<method, dots as _>_responce": ...}`
(sic; `_response` is taken too) holding JD's `code` ("0") and one result wrapper with its own success flag: the
after-sales reads and writes answer `result` {success, code, msg, data} or `pageResult` {success, code, msg, data,
pageNumber, pageSize, totalCount}, the refund applications `queryResult` {success, result, totalCount} and
`replyResult` {success}, the order read `orderDetailInfo` {apiResult {success, ...}, orderInfo}.

Errors are the project's: a refusal is `JosRefused` (a stale sysVersion among them: `stale_version`), a refused
token `TokenExpired`, and what may go better later (flow control, JD's system errors, 5xx, no answer, no JSON)
`JosUnavailable`, whose `unknown_outcome` says whether a write may have acted anyway. JSON numbers are read
exactly: ids (JD's Longs, above 2**53) as ints, amounts (59.9, JD's BigDecimals) as Decimal, never floats.
"""

import hashlib
import http.client
import json
import socket
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from datetime import datetime, timezone
from decimal import Decimal

from chalicelib.connectors.china import china_time
from chalicelib.domain.connections import JdConnection
from chalicelib.ports.errors import MarketplaceRefused, MarketplaceUnavailable

VERSION = "2.0"
PARAM_JSON = "360buy_param_json"
# The gateway's own codes (error_response.code), as JD's error table and the SDKs' handling of it give them:
# 19 "无效access_token"; 2 "App Call Limited" (calls refused for a while: nothing was done); 33, 65 "系统处理超时"
# and 66, 67 (the router could not reach, or timed out waiting for, the service behind it: it may have acted).
TOKEN_CODES = frozenset({"19"})
FLOW_CONTROL_CODES = frozenset({"2"})
SYSTEM_CODES = frozenset({"33", "65", "66", "67"})
# The wrappers a business answer comes in (the first one present is the answer).
RESULT_WRAPPERS = ("result", "pageResult", "queryResult", "replyResult", "orderDetailInfo", "returnType")
# What JD says when a write names an older sysVersion than the service order's: its code is not published, so
# the words are matched (the simulated gateway answers STALE_SYS_VERSION with them).
STALE_VERSION_CODES = frozenset({"STALE_SYS_VERSION"})
_STALE_MARKS = ("sysversion", "版本")


def sign(params: dict[str, str], secret: bytes) -> str:
    """JOS's signature: UPPER(hex(MD5(secret + every name then value, sorted by name, none between + secret))), over
    the system parameters and 360buy_param_json; `sign` itself and empty values are left out, as the SDKs do."""
    text = "".join(f"{key}{params[key]}" for key in sorted(params) if key != "sign" and params[key] not in (None, ""))
    return hashlib.md5(secret + text.encode() + secret).hexdigest().upper()


def response_key(method: str) -> str:
    """jingdong.asc.query.view -> jingdong_asc_query_view_responce (JD's spelling)."""
    return f"{method.replace('.', '_')}_responce"


class JosRefused(MarketplaceRefused):
    """JD answered and refused: nothing was done; `code` and `message` are JD's own."""

    def __init__(self, method: str, code: str, message: str, text: str | None = None) -> None:
        super().__init__(text or f"JD refused {method}: {code} {message}".rstrip())
        self.method, self.code, self.message = method, code, message


class TokenExpired(JosRefused):
    """The seller's access token is refused (expired, revoked or wrong): only the seller can authorize again."""


class JosUnavailable(MarketplaceUnavailable):
    """No useful answer; `unknown_outcome`: a write may have acted (check JD before sending it again)."""

    def __init__(self, message: str, unknown_outcome: bool, code: str | None = None) -> None:
        super().__init__(message)
        self.unknown_outcome, self.code = unknown_outcome, code


def stale_version(error: BaseException) -> bool:
    """Whether JD refused a write for naming an older sysVersion: re-read the service order, decide again."""
    return isinstance(error, JosRefused) and (
        error.code in STALE_VERSION_CODES or any(mark in error.message.lower() for mark in _STALE_MARKS)
    )


class JosClient:
    def __init__(
        self, connection: JdConnection, app_secret: Callable[[], bytes | None],
        access_token: Callable[[], bytes | None], timeout_seconds: float = 5.0,
        now: Callable[[], datetime] = lambda: datetime.now(timezone.utc),
    ) -> None:
        self.connection = connection
        self._secret, self._token = app_secret, access_token
        self._timeout, self._now = timeout_seconds, now

    def call(self, method: str, business: dict) -> dict:
        """The business answer: the result wrapper JD answered in (`result`, `pageResult`, ...), its success checked;
        the whole `_responce` object for a method answering none of them."""
        answer = self._post(method, self._signed(method, business))
        if "error_response" in answer:
            raise self._gateway_error(method, answer["error_response"])
        envelope = answer.get(response_key(method), answer.get(response_key(method).replace("_responce", "_response")))
        if not isinstance(envelope, dict):
            raise JosUnavailable(f"JD answered {method} without {response_key(method)}", unknown_outcome=True)
        if _text(envelope.get("code")) not in (None, "0"):
            raise self._gateway_error(method, envelope)
        for name in RESULT_WRAPPERS:
            wrapper = envelope.get(name)
            if isinstance(wrapper, dict):
                _check_success(method, wrapper)
                return wrapper
        return envelope

    def _signed(self, method: str, business: dict) -> dict[str, str]:
        secret = self._secret()
        if not secret:
            raise JosRefused(method, "no_app_secret", f"no app secret in {self.connection.app_secret_parameter}")
        token = self._token()
        if not token:
            raise TokenExpired(method, "no_access_token", "", text=self._authorize_again("there is no access token"))
        params = {
            "method": method, "app_key": self.connection.app_key, "access_token": token.decode(),
            "timestamp": china_time(self._now()), "v": VERSION, "format": "json",
            PARAM_JSON: json.dumps(business, separators=(",", ":"), ensure_ascii=False, default=_decimal_text),
        }
        params["sign"] = sign(params, secret)
        return params

    def _post(self, method: str, params: dict[str, str]) -> dict:
        request = urllib.request.Request(
            self.connection.gateway_url, data=urllib.parse.urlencode(params).encode(), method="POST",
            headers={"Content-Type": "application/x-www-form-urlencoded;charset=UTF-8", "Accept": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=self._timeout) as response:
                raw = response.read()
        except urllib.error.HTTPError as error:
            if error.code >= 500 or error.code == 429:
                unknown = error.code != 429  # throttled: refused before anything was done
                raise JosUnavailable(f"JD answered {error.code} to {method}", unknown_outcome=unknown) from None
            raise JosRefused(method, str(error.code), f"HTTP {error.code} from {self.connection.gateway_url}") from None
        except urllib.error.URLError as error:
            refused = isinstance(error.reason, ConnectionRefusedError)  # nothing reached JD
            raise JosUnavailable(
                f"no answer from JD to {method}: {error.reason}", unknown_outcome=not refused) from None
        except (socket.timeout, TimeoutError, ConnectionError, http.client.HTTPException) as error:
            raise JosUnavailable(
                f"no answer from JD to {method} in {self._timeout} s: {error}", unknown_outcome=True) from None
        try:
            answer = json.loads(raw, parse_float=Decimal)
        except ValueError:
            raise JosUnavailable(f"JD answered {method} with no JSON: {raw[:200]!r}", unknown_outcome=True) from None
        if not isinstance(answer, dict):
            raise JosUnavailable(f"JD answered {method} with {type(answer).__name__}", unknown_outcome=True)
        return answer

    def _gateway_error(self, method: str, error: object) -> Exception:
        error = error if isinstance(error, dict) else {}
        code = _text(error.get("code")) or "unknown"
        words = _text(error.get("zh_desc")) or _text(error.get("en_desc")) or _text(error.get("msg")) or ""
        if code in TOKEN_CODES:
            refusal = self._authorize_again(f"JD refused its access token ({code} {words})")
            return TokenExpired(method, code, words, text=refusal)
        if code in FLOW_CONTROL_CODES:
            return JosUnavailable(
                f"JD refused {method} for now (flow control, {code} {words})", unknown_outcome=False, code=code)
        if code in SYSTEM_CODES:
            return JosUnavailable(f"JD failed {method} ({code} {words})", unknown_outcome=True, code=code)
        return JosRefused(method, code, words)

    def _authorize_again(self, what: str) -> str:
        return (f"JD store {self.connection.vender_id}: {what}; the seller must authorize the app again and the new "
                f"access token be put in {self.connection.access_token_parameter}")


def _check_success(method: str, wrapper: dict) -> None:
    """A wrapper's own success flag (the order read keeps it in `apiResult`): false is JD's refusal, in its words."""
    flagged = wrapper.get("apiResult") if isinstance(wrapper.get("apiResult"), dict) else wrapper
    success = flagged.get("success", True)
    if success is True or _text(success) == "true":
        return
    code = next((_text(flagged.get(key)) for key in ("code", "errorCode", "resultCode", "numberCode")
                 if _text(flagged.get(key))), "unknown")
    words = next((_text(flagged.get(key)) for key in ("msg", "errorMsg", "message", "chineseErrCode", "englishErrCode")
                  if _text(flagged.get(key))), "")
    raise JosRefused(method, code, words)


def _text(value: object) -> str | None:
    """JD writes codes and flags as strings or numbers: the text of either, None for nothing."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _decimal_text(value: object) -> str:
    """An amount sent to JD goes as its exact decimal text; nothing else but JSON's own types may be sent."""
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"{type(value).__name__} cannot be sent to JD: {value!r}")
