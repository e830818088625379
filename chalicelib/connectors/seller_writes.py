"""What the actions of a marketplace guarded by an optimistic lock share (Taobao's refund_version, JD's sysVersion):
the shop's API client, writes recorded instead of sent when the shop runs dry, and a write refused for a stale
version read, decided and sent again, a few times."""

from collections.abc import Callable
from datetime import datetime

from chalicelib.domain.audit import system_entry
from chalicelib.domain.connections import Mode
from chalicelib.domain.returns import Return
from chalicelib.ports import Audit
from chalicelib.ports.errors import MarketplaceUnavailable

STALE_RETRIES = 3


class SellerWrites:
    PLATFORM = ""  # names the dry run's audit action ("taobao.dry_run")
    LOCKED = ""  # what the version guards, for the message of a record that kept changing

    def __init__(self, client, audit: Audit, now: Callable[[], datetime]) -> None:
        self._client = client
        self._connection = client.connection
        self._audit = audit
        self._now = now

    @property
    def _dry_run(self) -> bool:
        return self._connection.mode == Mode.DRY_RUN

    def _shop(self) -> str:
        """The shop as the audit entry names it."""
        raise NotImplementedError

    def _stale(self, error: Exception) -> bool:
        """Whether the write was refused for naming a version that is no longer current."""
        raise NotImplementedError

    def _stale_safe(self, act: Callable[[], object]):
        """Act; on a stale version, read and decide again (the record moved under us), a few times."""
        for attempt in range(STALE_RETRIES):
            try:
                return act()
            except Exception as error:
                if not self._stale(error):
                    raise
                if attempt == STALE_RETRIES - 1:
                    raise MarketplaceUnavailable(
                        f"{self.LOCKED} kept changing under us ({error}); tried {STALE_RETRIES} times") from None

    def _write(self, method: str, params: dict, record: Return) -> str | None:
        """Send a write, or in dry run record it: "dry run: ..." then (None: it was sent)."""
        if not self._dry_run:
            self._client.call(method, params)
            return None
        self._audit.append(system_entry(
            f"return#{record.return_id}", f"{self.PLATFORM}.dry_run", self._now(), return_id=record.return_id,
            method=method, params=params, shop=self._shop(),
        ))
        return f"dry run: {method} recorded, not sent"
