"""TOP's answers as taobao.trade.fullinfo.get and taobao.refund.get give them (non-simplified JSON: lists wrapped,
yuan as strings, China time without a zone, ids as integers above 2^53)."""

import copy

TID = 4_503_599_627_370_497_1  # > 2^53
OID_SHIRT = 4_503_599_627_370_497_3
OID_SOCKS = 4_503_599_627_370_497_5
REFUND_ID = 9_007_199_254_740_993_1

TRADE = {
    "tid": TID, "status": "WAIT_BUYER_CONFIRM_GOODS", "payment": "208.00", "post_fee": "10.00",
    "discount_fee": "12.00", "total_fee": "210.00",
    "created": "2026-11-18 09:30:00", "modified": "2026-11-19 10:00:00", "pay_time": "2026-11-18 09:31:05",
    "consign_time": "2026-11-19 10:00:00", "alipay_no": "2026111822001400001234567890",
    "buyer_nick": "t**1", "buyer_open_uid": "AAGx1_buyer_open_uid",
    "orders": {"order": [
        {"oid": OID_SHIRT, "num": 2, "price": "89.00", "payment": "170.00", "outer_sku_id": "SHIRT-M-BLUE",
         "sku_id": "5123456789012", "title": "衬衫", "logistics_company": "顺丰速运", "invoice_no": "SF1234567890123",
         "consign_time": "2026-11-19 10:00:00"},
        {"oid": OID_SOCKS, "num": 1, "price": "32.00", "payment": "28.00", "outer_sku_id": "SOCKS-3",
         "title": "袜子"},
    ]},
}

REFUND = {
    "refund_id": REFUND_ID, "tid": TID, "oid": OID_SHIRT, "status": "WAIT_SELLER_AGREE", "refund_fee": "85.00",
    "total_fee": "178.00", "payment": "170.00", "reason": "7天无理由退换货", "desc": "不合适",
    "good_status": "BUYER_RECEIVED", "has_good_return": True, "dispute_type": "REFUND_AND_RETURN",
    "refund_version": 1_763_625_600_123, "refund_phase": "aftersale", "num": 1,
    "refund_remind_timeout": {"remind_type": 1, "exist_timeout": True, "timeout": "2026-11-23 16:00:00"},
    "created": "2026-11-20 16:00:00", "modified": "2026-11-20 16:00:00",
}


def trade(**changes) -> dict:
    found = copy.deepcopy(TRADE)
    found.update(changes)
    return found


def refund(**changes) -> dict:
    found = copy.deepcopy(REFUND)
    found.update(changes)
    return found
