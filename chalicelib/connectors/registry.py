"""The marketplaces a shop can be connected to, and the port that reaches each connected shop's marketplace.

A platform is its hydrator (a notification -> canonical events and effects), its Admin API client and its
actions. Clients are built per shop on first use, with the shop's access token read from SSM (cached)."""

from collections.abc import Callable
from datetime import datetime, timezone

from chalicelib.domain.connections import Connection
from chalicelib.domain.events import MarketplaceNotified
from chalicelib.ports import Audit, Directory
from chalicelib.ports.errors import HydrationFailed


class Marketplaces:
    def __init__(
        self, sources: Directory, token: Callable[[str], Callable[[], bytes | None]], audit: Callable[[], Audit],
        timeout_seconds: float = 5.0, now: Callable[[], datetime] = lambda: datetime.now(timezone.utc),
    ) -> None:
        """`token(parameter)`: the reader of one access token; `audit()`: the audit table (built when needed)."""
        self._sources = sources
        self._token = token
        self._audit = audit
        self._timeout = timeout_seconds
        self._now = now
        self._clients: dict[tuple, object] = {}

    def connection(self, shop: str) -> Connection | None:
        source = self._sources.get(shop)
        return source.connection if source is not None else None

    def hydrate(self, notice: MarketplaceNotified, context: dict) -> list:
        from chalicelib.connectors.shopify.hydrate import hydrate

        connection = self.connection(notice.source)
        if connection is None:
            raise HydrationFailed(f"shop {notice.source!r} is not connected to {notice.data.platform}")
        return hydrate(notice, self._admin(connection), context)

    def actions(self, shop: str):
        """The shop's MarketplaceActions (connectors/marketplace.py); None for a shop of our own (no marketplace)."""
        from chalicelib.connectors.shopify.actions import ShopifyActions

        connection = self.connection(shop)
        return ShopifyActions(self._admin(connection), self._audit(), self._now) if connection else None

    def _admin(self, connection: Connection):
        from chalicelib.connectors.shopify.admin_api import ShopifyAdmin

        if connection not in self._clients:
            token = self._token(connection.access_token_parameter)
            self._clients[connection] = ShopifyAdmin(connection, token, self._timeout)
        return self._clients[connection]
