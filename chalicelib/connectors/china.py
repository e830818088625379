"""What Chinese marketplaces share at the edge: yuan amounts (strings or JSON numbers, never floats here), China
Standard Time without a zone, and express companies named in Chinese."""

import hashlib
import re
from datetime import datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation

CHINA_STANDARD_TIME = timezone(timedelta(hours=8))
CHINA_TIME_FORMAT = "%Y-%m-%d %H:%M:%S"
_CHINA_TIME = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d")

# Express companies as marketplaces name them (Taobao's company_name, JD's expressCompany) and as Kuaidi100 codes
# them, and our carrier ids (the carrier push routes' names where we take pushes).
CARRIERS = {
    "顺丰": "sf-express", "顺丰速运": "sf-express", "顺丰快递": "sf-express", "shunfeng": "sf-express", "SF": "sf-express",
    "中通": "zto", "中通快递": "zto", "zhongtong": "zto", "ZTO": "zto",
    "圆通": "yto", "圆通速递": "yto", "圆通快递": "yto", "yuantong": "yto", "YTO": "yto",
    "申通": "sto", "申通快递": "sto", "shentong": "sto", "STO": "sto",
    "韵达": "yunda", "韵达快递": "yunda", "韵达速递": "yunda", "yunda": "yunda",
    "极兔": "jtexpress", "极兔速递": "jtexpress", "jtexpress": "jtexpress",
    "京东": "jd-logistics", "京东快递": "jd-logistics", "京东物流": "jd-logistics", "jd": "jd-logistics",
    "邮政": "ems", "中国邮政": "ems", "EMS": "ems", "ems": "ems", "youzhengguonei": "ems",
    "德邦": "deppon", "德邦快递": "deppon", "debangwuliu": "deppon", "debangkuaidi": "deppon",
}
# How a marketplace is told the company of a parcel we send (Tmall's logistics_company_name): its usual name.
COMPANY_NAMES = {
    "sf-express": "顺丰速运", "zto": "中通快递", "yto": "圆通速递", "sto": "申通快递", "yunda": "韵达快递",
    "jtexpress": "极兔速递", "jd-logistics": "京东快递", "ems": "中国邮政", "deppon": "德邦快递",
}


def carrier_of(name: str) -> str | None:
    """Our id of an express company by its name or code; a company we do not know gets a stable id of its own
    ("cn-" and 10 hex digits of its name), never another's. None for no name."""
    name = (name or "").strip()
    if not name:
        return None
    if name in CARRIERS:
        return CARRIERS[name]
    if name.isascii() and name.replace("-", "").isalnum():
        return name.lower()
    return "cn-" + hashlib.sha256(name.encode()).hexdigest()[:10]


def from_china_time(text: object) -> datetime:
    """"2026-11-20 16:00:00" (China time, no zone) as the moment in UTC; anything not exactly that is refused."""
    if not isinstance(text, str) or not _CHINA_TIME.fullmatch(text):
        raise ValueError(f"{text!r} is not a China time (yyyy-MM-dd HH:mm:ss)")
    return datetime.strptime(text, CHINA_TIME_FORMAT).replace(tzinfo=CHINA_STANDARD_TIME).astimezone(timezone.utc)


def china_time(moment: datetime) -> str:
    """`yyyy-MM-dd HH:mm:ss` in UTC+8 (TOP's and JOS's only time format)."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{moment!r} has no time zone: China time needs an aware datetime")
    return moment.astimezone(CHINA_STANDARD_TIME).strftime(CHINA_TIME_FORMAT)


def yuan_to_fen(value: object) -> int:
    """"59.90", "59.9", 59.9 (a JSON number read as Decimal), 60 -> fen; ValueError for a float, a negative amount
    or one with more than 2 decimals (no amount is rounded)."""
    if isinstance(value, (bool, float)) or not isinstance(value, (str, int, Decimal)):
        raise ValueError(f"{value!r} is not an amount in yuan")
    try:
        fen = Decimal(value.strip() if isinstance(value, str) else value).scaleb(2)
    except InvalidOperation:
        raise ValueError(f"{value!r} is not an amount in yuan") from None
    if not fen.is_finite() or fen != fen.to_integral_value() or fen < 0:
        raise ValueError(f"{value!r} is not an amount in yuan (fen at most)")
    return int(fen)


def fen_text(fen: int) -> str:
    """Fen as our CNY amount: 5990 -> "59.90"."""
    return f"{fen // 100}.{fen % 100:02d}"
