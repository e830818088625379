"""The marketplaces a shop can be connected to, and the port that reaches each connected shop's marketplace.

A platform is its hydrator (a notification -> canonical events and effects), its Admin API client and its
actions. Clients are built per shop on first use, with the shop's access token read from SSM (cached). A shop
that uninstalled our app is not called again until its access token is written anew (the app reinstalled)."""

from collections.abc import Callable
from datetime import datetime, timezone

from chalicelib.domain.connections import Connection
from chalicelib.domain.events import MarketplaceNotified
from chalicelib.ports import Audit, Directory, ShopStore
from chalicelib.ports.errors import HydrationFailed, MarketplaceRefused


class Marketplaces:
    def __init__(
        self, connections: Directory, token: Callable[[str], Callable[[], bytes | None]], audit: Callable[[], Audit],
        shops: Callable[[], ShopStore], timeout_seconds: float = 5.0,
        now: Callable[[], datetime] = lambda: datetime.now(timezone.utc),
    ) -> None:
        """`connections`: each shop's connection, by shop; `token(parameter)`: the reader of one access token (with
        `modified_at`); `audit()`, `shops()`: the audit and shops tables (built when needed)."""
        self._connections = connections
        self._token = token
        self._audit = audit
        self._shops = shops
        self._timeout = timeout_seconds
        self._now = now
        self._tokens: dict[str, Callable[[], bytes | None]] = {}
        self._clients: dict[object, object] = {}

    def connection(self, shop: str) -> Connection | None:
        return self._connections.get(shop)

    def hydrate(self, notice: MarketplaceNotified, context: dict) -> list:
        from chalicelib.connectors.shopify.hydrate import hydrate

        connection = self.connection(notice.source)
        if connection is None:
            raise HydrationFailed(f"shop {notice.source!r} is not connected to {notice.data.platform}")
        if notice.data.topic != "app/uninstalled":
            try:
                self._check_installed(notice.source, connection)
            except MarketplaceRefused as error:
                raise HydrationFailed(str(error)) from None
        return hydrate(notice, self._admin(connection), context)

    def actions(self, shop: str):
        """The shop's MarketplaceActions (connectors/marketplace.py); None for a shop of our own (no marketplace)."""
        from chalicelib.connectors.shopify.actions import ShopifyActions

        connection = self.connection(shop)
        if connection is None:
            return None
        self._check_installed(shop, connection)
        return ShopifyActions(self._admin(connection), self._audit(), self._now)

    def _check_installed(self, shop: str, connection: Connection) -> None:
        uninstalled_at = self._shops().uninstalled_at(shop)
        if uninstalled_at is None:
            return
        token = self._token_of(connection)
        token()
        if (getattr(token, "modified_at", None) or "") <= uninstalled_at:
            raise MarketplaceRefused(
                f"our app was uninstalled from {connection.domain} at {uninstalled_at}: nothing is sent there until it "
                f"is installed again and its new access token is put in {connection.access_token_parameter}"
            )

    def _token_of(self, connection: Connection) -> Callable[[], bytes | None]:
        parameter = connection.access_token_parameter
        if parameter not in self._tokens:
            self._tokens[parameter] = self._token(parameter)
        return self._tokens[parameter]

    def _admin(self, connection: Connection):
        from chalicelib.connectors.shopify.admin_api import ShopifyAdmin

        if connection not in self._clients:
            self._clients[connection] = ShopifyAdmin(connection, self._token_of(connection), self._timeout)
        return self._clients[connection]
