"""The marketplaces a shop can be connected to, and the port that reaches each connected shop's marketplace.

A platform is its API client, its hydrator (a notification -> canonical events and effects) and its actions,
each in its package under connectors/ (shopify, taobao, jd). Clients are built per shop on first use, with the
shop's secrets read from SSM (cached). A Shopify shop that uninstalled our app is not called again until its access
token is written anew (the app reinstalled)."""

import importlib
from collections.abc import Callable
from datetime import datetime, timezone

from chalicelib.domain.connections import Connection, JdConnection, ShopifyConnection, TaobaoConnection
from chalicelib.domain.events import MarketplaceNotified
from chalicelib.ports import Audit, Directory, ShopStore
from chalicelib.ports.errors import HydrationFailed, MarketplaceRefused

# Each platform's actions (connectors/marketplace.py's MarketplaceActions), made of its client, audit and clock.
_ACTIONS = {"shopify": "ShopifyActions", "taobao": "TaobaoActions", "jd": "JdActions"}


class Marketplaces:
    def __init__(
        self, connections: Directory, secret: Callable[[str], Callable[[], bytes | None]], audit: Callable[[], Audit],
        shops: Callable[[], ShopStore], timeout_seconds: float = 5.0,
        now: Callable[[], datetime] = lambda: datetime.now(timezone.utc),
    ) -> None:
        """`connections`: each shop's connection, by shop; `secret(parameter)`: the reader of one SecureString (an
        access token, a session key, an app secret; with `modified_at`); `audit()`, `shops()`: the audit and shops
        tables (built when needed)."""
        self._connections = connections
        self._secret = secret
        self._audit = audit
        self._shops = shops
        self._timeout = timeout_seconds
        self._now = now
        self._secrets: dict[str, Callable[[], bytes | None]] = {}
        self._clients: dict[str, object] = {}

    def connection(self, shop: str) -> Connection | None:
        return self._connections.get(shop)

    def connected(self, platform: str) -> dict[str, Connection]:
        """Every shop connected to that platform, by shop (what its poller goes through)."""
        return {shop: c for shop, c in self._connections.entries().items() if c.platform == platform}

    def hydrate(self, notice: MarketplaceNotified, context: dict) -> list:
        connection = self.connection(notice.source)
        if connection is None or connection.platform != notice.data.platform:
            raise HydrationFailed(f"shop {notice.source!r} is not connected to {notice.data.platform}")
        if notice.data.topic != "app/uninstalled":
            try:
                self._check_installed(notice.source, connection)
            except MarketplaceRefused as error:
                raise HydrationFailed(str(error)) from None
        hydrator = importlib.import_module(f"chalicelib.connectors.{connection.platform}.hydrate")
        return hydrator.hydrate(notice, self.client(connection), context)

    def actions(self, shop: str):
        """The shop's MarketplaceActions (connectors/marketplace.py); None for a shop of our own (no marketplace)."""
        connection = self.connection(shop)
        if connection is None:
            return None
        self._check_installed(shop, connection)
        module = importlib.import_module(f"chalicelib.connectors.{connection.platform}.actions")
        return getattr(module, _ACTIONS[connection.platform])(self.client(connection), self._audit(), self._now)

    def client(self, connection: Connection):
        """The platform's API client for this shop (one per connection)."""
        key = connection.model_dump_json()  # a connection holds a dict (refuse_reasons): not hashable itself
        if key not in self._clients:
            self._clients[key] = self._new_client(connection)
        return self._clients[key]

    def _new_client(self, connection: Connection):
        if isinstance(connection, ShopifyConnection):
            from chalicelib.connectors.shopify.admin_api import ShopifyAdmin

            return ShopifyAdmin(connection, self._secret_of(connection.access_token_parameter), self._timeout)
        if isinstance(connection, TaobaoConnection):
            from chalicelib.connectors.taobao.top_api import TopClient

            return TopClient(connection, self._secret_of(connection.app_secret_parameter),
                             self._secret_of(connection.session_parameter), self._timeout, self._now)
        assert isinstance(connection, JdConnection)
        from chalicelib.connectors.jd.jos_api import JosClient

        return JosClient(connection, self._secret_of(connection.app_secret_parameter),
                         self._secret_of(connection.access_token_parameter), self._timeout, self._now)

    def _check_installed(self, shop: str, connection: Connection) -> None:
        """Only Shopify tells us of an uninstall (app/uninstalled); the others refuse an expired session instead."""
        if not isinstance(connection, ShopifyConnection):
            return
        uninstalled_at = self._shops().uninstalled_at(shop)
        if uninstalled_at is None:
            return
        token = self._secret_of(connection.access_token_parameter)
        token()
        if (getattr(token, "modified_at", None) or "") <= uninstalled_at:
            raise MarketplaceRefused(
                f"our app was uninstalled from {connection.domain} at {uninstalled_at}: nothing is sent there until it "
                f"is installed again and its new access token is put in {connection.access_token_parameter}"
            )

    def _secret_of(self, parameter: str) -> Callable[[], bytes | None]:
        if parameter not in self._secrets:
            self._secrets[parameter] = self._secret(parameter)
        return self._secrets[parameter]
