"""A TMC message (or a backfill's find) made into what it means: the refund it names and its trade, read from TOP,
as canonical events and effects (translate.py). Every message restates the request under the same id, so a request
whose RefundCreated was lost (or confirmed and then dropped) still arrives with the next message about it."""

from chalicelib.connectors.marketplace import Disputed, LeftInMarketplace, ParcelLinked
from chalicelib.connectors.taobao import translate
from chalicelib.domain.events import MarketplaceNotified
from chalicelib.ports.errors import HydrationFailed

REFUND_FIELDS = (
    "refund_id,tid,oid,status,refund_fee,total_fee,payment,reason,desc,good_status,has_good_return,dispute_type,"
    "refund_version,refund_phase,sid,company_name,num,sku,outer_id,refund_remind_timeout,created,modified,"
    "buyer_nick,buyer_open_uid,title"
)
TRADE_FIELDS = (
    "tid,status,payment,post_fee,discount_fee,total_fee,created,modified,pay_time,consign_time,end_time,alipay_no,"
    "buyer_nick,buyer_open_uid,orders.oid,orders.num,orders.price,orders.payment,orders.outer_sku_id,orders.sku_id,"
    "orders.title,orders.refund_status,orders.logistics_company,orders.invoice_no,orders.consign_time,"
    "orders.divide_order_fee"
)
EXCHANGE_FIELDS = (
    "dispute_id,biz_order_id,status,num,reason,desc,bought_sku,exchange_sku,buyer_logistic_name,buyer_logistic_no,"
    "seller_logistic_name,seller_logistic_no,refund_version,refund_phase,time_out,created,modified"
)
# TMC topics of a platform dispute: Taobao's customer service decides, and a person of ours answers it there.
DISPUTE_TOPICS = ("taobao_refund_TaobaoInterApplied", "taobao_refund_TaobaoIntervened")


def hydrate(notice: MarketplaceNotified, client, context: dict) -> list:
    shop, at = notice.source, notice.received_at
    refund_id = refund_id_of(notice)
    refund = read_refund(client, refund_id)
    trade = read_trade(client, translate.number(refund, "tid"))
    effects: list = [translate.order_event(trade, shop, at, context)]
    if refund.get("dispute_type") == translate.EXCHANGE:
        effects += _exchange_effects(refund, read_exchange(client, refund_id), trade, shop, at, context)
    else:
        if refund.get("status") in translate.STANDING:
            request = translate.request_event(refund, trade, shop, at, context)
            effects.append(request or LeftInMarketplace(refund_id, f"Taobao's {refund.get('dispute_type')} dispute is "
                                                        "answered by the shop's people in the back office"))
        effects.append(translate.standing(refund))
    link = translate.parcel_link(refund)
    if link and refund.get("dispute_type") not in ("REFUND", translate.EXCHANGE):
        effects.append(link)
    paid = translate.refund_effect(refund, trade)
    if paid:
        effects.append(paid)
    if notice.data.topic in DISPUTE_TOPICS and refund.get("status") != "SUCCESS":
        effects.append(Disputed(refund_id, "Taobao's customer service took the dispute up" if notice.data.topic.endswith(
            "Intervened") else "the buyer asked Taobao's customer service to step in"))
    return effects


def _exchange_effects(refund: dict, exchange: dict, trade: dict, shop: str, at, context: dict) -> list:
    refund_id, status = translate.number(refund, "refund_id"), exchange.get("status")
    effects: list = []
    if status in translate.EXCHANGE_STANDING:
        request = translate.exchange_event(refund, exchange, trade, shop, at, context)
        effects.append(request or LeftInMarketplace(refund_id, (
            f"Tmall's exchange names no sku we can send ({exchange.get('exchange_sku')!r}): the shop's people "
            "answer it in the back office")))
    elif status == "请退款":
        effects.append(LeftInMarketplace(refund_id, "Tmall's exchange became a request for a refund: the shop's "
                                         "people answer it in the back office"))
    effects.append(translate.exchange_standing(refund, exchange))
    parcel = translate.exchange_parcel(exchange)
    if parcel:
        effects.append(ParcelLinked(refund_id, *parcel))
    return effects


def refund_id_of(notice: MarketplaceNotified) -> str:
    platform, kind, refund_id = (notice.data.resource or "//").split("/", 2)
    if (platform, kind) != ("taobao", "refund") or not refund_id.isdigit():
        raise HydrationFailed(f"a Taobao notification names no refund: {notice.data.resource!r}")
    return refund_id


def read_refund(client, refund_id: str) -> dict:
    found = client.call("taobao.refund.get", {"refund_id": refund_id, "fields": REFUND_FIELDS}).get("refund")
    if not isinstance(found, dict):
        raise HydrationFailed(f"Taobao has no refund {refund_id}")
    return found


def read_exchange(client, dispute_id: str) -> dict:
    """An exchange (tmall.exchange.get): its dispute_id is its refund's refund_id."""
    result = client.call("tmall.exchange.get", {"dispute_id": dispute_id, "fields": EXCHANGE_FIELDS}).get("result")
    found = result.get("exchange") if isinstance(result, dict) and result.get("success") in (True, "true") else None
    if not isinstance(found, dict):
        why = (result or {}).get("message") if isinstance(result, dict) else None
        raise HydrationFailed(f"Tmall has no exchange {dispute_id}" + (f": {why}" if why else ""))
    return found


def read_trade(client, tid: str) -> dict:
    found = client.call("taobao.trade.fullinfo.get", {"tid": tid, "fields": TRADE_FIELDS}).get("trade")
    if not isinstance(found, dict):
        raise HydrationFailed(f"Taobao has no trade {tid}")
    return found
