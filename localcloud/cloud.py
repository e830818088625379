"""The whole system on one machine: moto running the real ASL, this app's handlers, SQS polling, the HTTP API.

No AWS account and no Docker: moto's Step Functions executes the state
machine and reaches the Lambda tasks through the loopback Invoke server;
SQS event sources are polled here the way Lambda's event source mapping
does it, and schedules fired by a timer; the API is Chalice's local server on
127.0.0.1; a simulated carrier tracking API answers the stale-shipment poller,
and a simulated payment provider the refund dispatch, and a simulated Shopify
(localcloud/shopify_service.py) the Shopify shops, whose webhooks it sends to
the API as Shopify does.
"""

import importlib
import json
import logging
import os
import threading
import time
import uuid
from datetime import datetime, timezone

from chalice.app import ScheduledEventConfig, SQSEventConfig

from chalicelib.connectors.carriers import CARRIER_STYLES
from chalicelib.domain.connections import shopify_shop_name
from chalicelib.domain.events import EVENT_TYPES
from infra.package import ROOT
from localcloud.athena_on_duckdb import run_athena_queries_on
from localcloud.carrier_service import CarrierService
from localcloud.jd_service import JdService
from localcloud.lake_delivery import LakeDelivery, subscribe
from localcloud.lambda_invoke import LambdaInvokeServer
from localcloud.moto_fidelity import (
    answer_item_operations_as_json,
    parse_each_definition_once,
    read_the_clock_cheaply_in_sqs,
    receive_without_recounting_the_queue,
    reuse_lambda_clients,
    serialize_moto_requests,
)
from localcloud.payment_service import PaymentService
from localcloud.provision import ACCOUNT, deployed_function_name, provision
from localcloud.shopify_service import ShopifyService
from localcloud.sqs_event_source import SqsEventSource, queue_depth, queue_empty
from localcloud.taobao_service import TaobaoService

REGION = "us-east-1"
# The tenant registry of the local cloud: two shops, the warehouse serving them and the Shopify shop (its entry is
# added at start, see DEFAULT_SHOPIFY_SHOPS), the carriers serving the
# `generic` shop (their return ids are its returns). `generic` is also its own warehouse and carrier relay: it may
# send every event type; `outlet` sends what a shop sends by default.
DEFAULT_SOURCES = {
    "generic": {"kind": "shop", "secrets": ["local-generic-secret"], "event_types": list(EVENT_TYPES)},
    "outlet": {"kind": "shop", "secrets": ["local-outlet-secret"]},
    "warehouse": {"kind": "warehouse", "secrets": ["local-warehouse-secret"], "shops": ["generic", "outlet", "shopify-acme", "tmall-acme", "jd-acme"]},
    **{carrier: {"kind": "carrier", "secrets": [f"local-{carrier}-key"], "shops": ["generic"]} for carrier in CARRIER_STYLES},
}
# Each source's current secret, by name.
DEFAULT_SECRETS = {name: entry["secrets"][0] for name, entry in DEFAULT_SOURCES.items()}
# key id -> (secret, roles)
DEFAULT_STAFF_KEYS = {
    "local-staff": ("local-staff-secret", ["admin"]),
    "local-clerk": ("local-clerk-secret", ["after_sales"]),
    "local-finance": ("local-finance-secret", ["finance"]),
}
DEFAULT_PAYMENT_KEY = "local-payment-key"
# The Shopify shops of the local cloud, by domain, and the mode each runs in; all installed with one app.
DEFAULT_SHOPIFY_SHOPS = {"acme.myshopify.com": "live"}
SHOPIFY_APP_SECRET = "local-shopify-app-secret"
# A Shopify shop's registry entry: a shop whose webhooks the app's client secret signs.
SHOPIFY_SOURCE = {"kind": "shop", "secrets": [SHOPIFY_APP_SECRET]}
# The Taobao/Tmall stores on the simulated TOP gateway, by shop name: its store, seller (TMC's user_id) and mode.
DEFAULT_TAOBAO_SHOPS = {"tmall-acme": {"store": "tmall", "seller_id": "2206598765432", "mode": "live"}}
TAOBAO_APP_KEY, TAOBAO_APP_SECRET = "12345678", "local-taobao-app-secret"
TAOBAO_APP_SECRET_PARAMETER = "/aftersales/taobao/app-secret"
# The JD stores on the simulated JOS gateway, by shop name: the store's JD id (venderId) and mode.
DEFAULT_JD_SHOPS = {"jd-acme": {"vender_id": "10086", "mode": "live"}}
JD_APP_KEY, JD_APP_SECRET = "localjdappkey", "local-jd-app-secret"
JD_APP_SECRET_PARAMETER = "/aftersales/jd/app-secret"
# Above this a refund agree waits for the SMS code TOP sends the seller (3,000 CNY here).
TAOBAO_SMS_ABOVE_FEN = 300_000
_FAKE_CREDENTIALS = {
    "AWS_DEFAULT_REGION": REGION, "AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local",
    "AWS_SESSION_TOKEN": "local",
}

log = logging.getLogger(__name__)


def resolve(handler_string: str):
    """`functions.verify_return.handle_verify_return` -> the callable, as the Lambda runtime finds it."""
    module, _, name = handler_string.rpartition(".")
    return getattr(importlib.import_module(module), name)


class LocalCloud:
    def __init__(
        self,
        sources: dict[str, dict] | None = None,
        api_port: int | None = 0,
        visibility_timeout: int = 5,
        max_receive_count: int | None = None,
        staff_keys: dict[str, tuple[str, list[str]]] | None = None,
        policy: str | None = None,
        schedule_interval: float | None = 60,
        payment_retry_seconds: str = "1,2,4",
        payment_time_out_rate: float = 0.0,
        wrap_handler=None,
        api_middleware=None,
        shopify_shops: dict[str, str] | None = None,
        shopify_duplicate_rate: float = 0.0,
        taobao_shops: dict[str, dict] | None = None,
        jd_shops: dict[str, dict] | None = None,
    ) -> None:
        """`api_port`: 0 picks a free port, None serves no HTTP API; `policy`: a policy document to publish;
        `schedule_interval`: seconds between runs of the scheduled functions (None: only `fire_schedules()`);
        `payment_retry_seconds`: the waits between payment attempts; `payment_time_out_rate`: the share of
        refund calls the simulated provider answers too late; `wrap_handler(name, handler)`: what runs instead of
        each Lambda task and queue consumer, `api_middleware`: a Chalice HTTP middleware around the API (make chaos
        injects its faults there); `shopify_shops`: {domain: mode} of the shops on the simulated Shopify;
        `shopify_duplicate_rate`: the share of its events Shopify delivers twice; `taobao_shops`: {shop: {store,
        seller_id, mode}} of the stores on the simulated TOP gateway; `jd_shops`: {shop: {vender_id, mode}} of the
        stores on the simulated JOS gateway (whose finance pays approved refunds within a second)."""
        self.sources = sources or DEFAULT_SOURCES
        self.staff_keys = staff_keys or DEFAULT_STAFF_KEYS
        self._policy = policy
        self._schedule_interval = schedule_interval
        self._api_port = api_port
        self._visibility_timeout = visibility_timeout
        self._max_receive_count = max_receive_count
        self._payment_env = {
            "AFTERSALES_PAYMENT_TIMEOUT_SECONDS": "1", "AFTERSALES_PAYMENT_RETRY_SECONDS": payment_retry_seconds,
        }
        self._payment_time_out_rate = payment_time_out_rate
        self._wrap = wrap_handler or (lambda name, handler: handler)
        self._api_middleware = api_middleware
        self.shopify_shops = DEFAULT_SHOPIFY_SHOPS if shopify_shops is None else shopify_shops
        self._shopify_duplicate_rate = shopify_duplicate_rate
        self.taobao_shops = DEFAULT_TAOBAO_SHOPS if taobao_shops is None else taobao_shops
        self.jd_shops = DEFAULT_JD_SHOPS if jd_shops is None else jd_shops
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self.api_url: str | None = None

    def start(self) -> "LocalCloud":
        os.environ.update(_FAKE_CREDENTIALS)
        for key in ("AWS_ENDPOINT_URL", "AWS_PROFILE"):
            os.environ.pop(key, None)
        from moto import mock_aws

        serialize_moto_requests()
        reuse_lambda_clients()
        parse_each_definition_once()
        answer_item_operations_as_json()
        receive_without_recounting_the_queue()
        read_the_clock_cheaply_in_sqs()
        self._mock = mock_aws(config={"stepfunctions": {"execute_state_machine": True}})
        self._mock.start()
        import boto3

        from app import app
        from chalicelib import resources

        self.app = app
        functions = {f.name: self._wrap(f.name, resolve(f.handler_string)) for f in app.pure_lambda_functions}
        self.lambdas = LambdaInvokeServer(functions, deployed_function_name).start()
        os.environ["AWS_ENDPOINT_URL_LAMBDA"] = self.lambdas.url
        self.carrier_service = CarrierService().start()
        os.environ["AFTERSALES_CARRIER_API_URL"] = self.carrier_service.url
        self.payment_service = PaymentService(DEFAULT_PAYMENT_KEY, time_out_rate=self._payment_time_out_rate).start()
        os.environ.update(self._payment_env, AFTERSALES_PAYMENT_PROVIDER_URL=self.payment_service.url)
        self.shopify = ShopifyService(
            {domain: shopify_access_token(domain) for domain in self.shopify_shops}, app_secret=SHOPIFY_APP_SECRET,
            duplicate_rate=self._shopify_duplicate_rate,
        ).start()
        self.sources = {**self.sources, **{shopify_shop_name(domain): SHOPIFY_SOURCE for domain in self.shopify_shops}}
        self.connections = {
            shopify_shop_name(domain): shopify_connection(domain, mode, self.shopify.url)
            for domain, mode in self.shopify_shops.items()
        }
        self.taobao = TaobaoService(TAOBAO_APP_KEY, TAOBAO_APP_SECRET, redeliver_after_seconds=5,
                                    sms_threshold_fen=TAOBAO_SMS_ABOVE_FEN).start()
        for shop, store in self.taobao_shops.items():
            self.taobao.add_seller(store["seller_id"], shop, taobao_session(shop), store=store["store"])
            self.connections[shop] = taobao_connection(shop, store, self.taobao.gateway_url)
        tokens = {entry["access_token_parameter"]: shopify_access_token(entry["domain"])
                  for entry in self.connections.values() if entry["platform"] == "shopify"}
        tokens.update({entry["session_parameter"]: taobao_session(shop) for shop, entry in self.connections.items()
                       if entry["platform"] == "taobao"})
        if self.taobao_shops:
            tokens[TAOBAO_APP_SECRET_PARAMETER] = TAOBAO_APP_SECRET
        self.jd = JdService(JD_APP_KEY, JD_APP_SECRET).start()
        for shop, store in self.jd_shops.items():
            self.jd.add_vender(store["vender_id"], jd_access_token(shop))
            self.connections[shop] = jd_connection(shop, store, self.jd.gateway_url)
            tokens[self.connections[shop]["access_token_parameter"]] = jd_access_token(shop)
        if self.jd_shops:
            tokens[JD_APP_SECRET_PARAMETER] = JD_APP_SECRET
        self.session = boto3.Session(region_name=REGION)
        self.env = provision(
            self.session, list(functions), self.sources, self._visibility_timeout, self._max_receive_count,
            self.staff_keys, self._policy, DEFAULT_PAYMENT_KEY, tokens, self.connections,
        )
        os.environ.update(self.env, AFTERSALES_JD_POLL_SECONDS="0")  # every run of the schedule polls JD here
        clear_caches()
        self.lake = LakeDelivery(self.session, subscribe(self.session, resources.EVENT_BUS), resources.ANALYTICS_BUCKET)
        self._stop_athena = run_athena_queries_on(self.lake)
        self.sqs = self.session.client("sqs")
        self.sfn = self.session.client("stepfunctions")
        self.dynamodb = self.session.resource("dynamodb")
        queues = {resources.INGEST_QUEUE: self.env["AFTERSALES_INGEST_QUEUE_URL"]}
        self.event_sources = [
            SqsEventSource(
                self.sqs, queues[source.queue], self._wrap(source.name, resolve(source.handler_string)), source.batch_size,
                REGION,
            )
            for source in app.event_sources
            if isinstance(source, SQSEventConfig)
        ]
        self.schedules = {
            source.name: resolve(source.handler_string)
            for source in app.event_sources
            if isinstance(source, ScheduledEventConfig)
        }
        self._spawn("sqs-event-sources", self._poll)
        self._spawn("lake-delivery", self._deliver_lake)
        if self.jd_shops:
            self._spawn("jd-finance", self._settle_jd_refunds)
        if self._schedule_interval is not None:
            self._spawn("schedules", self._fire_schedules_periodically)
        if self._api_port is not None:
            self._serve_api()
            self.shopify.deliver_to(f"{self.api_url}/v1/webhooks/shopify")
        return self

    def stop(self) -> None:
        self._stop.set()
        if getattr(self, "_api", None):
            self._api.shutdown()
        for thread in self._threads:
            thread.join(timeout=5)
        self.lambdas.stop()
        self.carrier_service.stop()
        self.payment_service.stop()
        self.shopify.stop()
        self.taobao.stop()
        self.jd.stop()
        getattr(self, "_stop_athena", lambda: None)()
        self._mock.stop()
        for name in ("AWS_ENDPOINT_URL_LAMBDA", "AFTERSALES_JD_POLL_SECONDS", "AFTERSALES_CARRIER_API_URL", "AFTERSALES_PAYMENT_PROVIDER_URL", *self._payment_env):
            os.environ.pop(name, None)
        clear_caches()

    def __enter__(self) -> "LocalCloud":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def _spawn(self, name: str, target) -> None:
        thread = threading.Thread(target=target, name=name, daemon=True)
        thread.start()
        self._threads.append(thread)

    def _poll(self) -> None:
        while not self._stop.is_set():
            busy = False
            for source in self.event_sources:
                try:
                    busy |= source.poll_once()[0] > 0
                except Exception:
                    log.exception("polling an event source failed")
            if not busy:
                self._stop.wait(0.05)

    def _deliver_lake(self) -> None:
        """Firehose's buffer, shortened: what arrived is written every second."""
        while not self._stop.wait(1.0):
            try:
                self.lake.flush()
            except Exception:
                log.exception("delivering the lake's rows failed")

    def _settle_jd_refunds(self) -> None:
        """JD finance: the refund applications the stores approved are paid (or fail) a moment later."""
        while not self._stop.wait(0.5):
            self.jd.settle()

    def fire_schedules(self) -> dict:
        """Run every scheduled function once, with the event EventBridge sends it; their results by name."""
        return {name: self.fire_schedule(name) for name in self.schedules}

    def fire_schedule(self, name: str):
        """Run one scheduled function once, with the event EventBridge sends it; its result."""
        event = {
            "version": "0", "id": str(uuid.uuid4()), "detail-type": "Scheduled Event", "source": "aws.events",
            "account": ACCOUNT, "time": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "region": REGION, "resources": [f"arn:aws:events:{REGION}:{ACCOUNT}:rule/{name}"], "detail": {},
        }
        return self.schedules[name](event, None)

    def _fire_schedules_periodically(self) -> None:
        while not self._stop.wait(self._schedule_interval):
            try:
                self.fire_schedules()
            except Exception:
                log.exception("a scheduled function failed")

    def _serve_api(self) -> None:
        from chalice.config import Config
        from chalice.local import create_local_server

        config = Config.create(
            chalice_stage="dev",
            app_name=self.app.app_name,
            chalice_app=self.app,
            config_from_disk=json.loads((ROOT / ".chalice" / "config.json").read_text()),
        )
        if self._api_middleware is not None:
            self.app.register_middleware(self._api_middleware, "http")
        self._api = create_local_server(self.app, config, "127.0.0.1", self._api_port)
        self.api_url = f"http://127.0.0.1:{self._api.server.server_address[1]}"
        self._spawn("http-api", self._api.server.serve_forever)

    def queue_depth(self) -> int:
        """Messages on the ingest queue, visible or in flight (one reading; see queue_idle for a settled one)."""
        return queue_depth(self.sqs, self.env["AFTERSALES_INGEST_QUEUE_URL"])

    def queue_idle(self) -> bool:
        """Nothing visible or in flight on the ingest queue."""
        return queue_empty(self.sqs, self.env["AFTERSALES_INGEST_QUEUE_URL"])

    def wait_until(self, condition, timeout: float, interval: float = 0.05) -> None:
        """Poll `condition` until true, or raise after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while not condition():
            if time.monotonic() > deadline:
                raise TimeoutError(f"not reached within {timeout:g} s")
            time.sleep(interval)


def shopify_access_token(domain: str) -> str:
    return f"local-token-{domain}"


def shopify_connection(domain: str, mode: str, shopify_url: str) -> dict:
    """A Shopify shop's connection (domain/connections.py), reaching the simulated Shopify at `shopify_url`."""
    return {
        "platform": "shopify", "domain": domain, "mode": mode, "admin_url": f"{shopify_url}/{domain}",
        "access_token_parameter": f"/aftersales/shopify/{domain.removesuffix('.myshopify.com')}/access-token",
    }


def taobao_session(shop: str) -> str:
    return f"6100local-session-{shop}"


def taobao_connection(shop: str, store: dict, gateway_url: str) -> dict:
    """A Taobao store's connection (domain/connections.py), reaching the simulated TOP gateway."""
    return {
        "platform": "taobao", "store": store["store"], "seller_id": store["seller_id"], "seller_nick": shop,
        "mode": store["mode"], "app_key": TAOBAO_APP_KEY, "app_secret_parameter": TAOBAO_APP_SECRET_PARAMETER,
        "session_parameter": f"/aftersales/taobao/{shop}/session", "gateway_url": gateway_url,
        "seller_address_id": "1001",
    }


def jd_access_token(shop: str) -> str:
    return f"local-jd-token-{shop}"


def jd_connection(shop: str, store: dict, gateway_url: str) -> dict:
    """A JD store's connection (domain/connections.py), reaching the simulated JOS gateway."""
    return {
        "platform": "jd", "vender_id": store["vender_id"], "mode": store["mode"], "app_key": JD_APP_KEY,
        "app_secret_parameter": JD_APP_SECRET_PARAMETER, "access_token_parameter": f"/aftersales/jd/{shop}/token",
        "gateway_url": gateway_url, "operator": {"bu_id": store["vender_id"], "pin": f"{shop}_pop", "nick": "aftersales"},
        "return_address": {"contact_name": "王仓管", "contact_phone": "010-12345678", "province": "北京", "city": "北京市",
                           "county": "大兴区", "address": "亦庄经济开发区科创十一街 18 号", "zip_code": "100176",
                           "province_code": 1, "city_code": 2810, "county_code": 51081, "address_type": 1},
    }


def clear_caches(session=None) -> None:
    """The next handler call wires its ports from the environment again (with this boto3 session, if given)."""
    from chalicelib.bootstrap import bootstrap, reset

    reset()
    if session is not None:
        bootstrap(session=session)
