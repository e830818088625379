"""A registry kept as one SSM parameter per entry under a path (the sources, the staff keys), read whole.

One paged GetParametersByPath fills the cache for `ttl` seconds, so a lookup never reaches SSM: a name that is
not registered costs nothing, however many are tried. When SSM fails (throttled, unreachable) the last good read
is served and SSM is asked again after `retry_seconds`; with no good read yet, the caller gets Unavailable (503).
"""

import logging
import time
from collections.abc import Callable
from typing import Generic, TypeVar

from botocore.exceptions import BotoCoreError, ClientError

from chalicelib.ports.errors import Unavailable

Entry = TypeVar("Entry")
MAX_PAGES = 100  # 1,000 entries at SSM's 10 a page
logger = logging.getLogger(__name__)


class SsmDirectory(Generic[Entry]):
    def __init__(
        self, ssm_client, prefix: str, parse: Callable[[str, str], Entry], ttl_seconds: float = 300.0,
        retry_seconds: float = 30.0,
    ) -> None:
        self._ssm = ssm_client
        self._prefix = prefix.rstrip("/") + "/"
        self._parse = parse
        self._ttl = ttl_seconds
        self._retry = retry_seconds
        self._entries: dict[str, Entry] | None = None
        self._fresh_until = 0.0

    def get(self, name: str) -> Entry | None:
        if time.monotonic() >= self._fresh_until:
            self._refresh()
        return self._entries.get(name)

    def entries(self) -> dict[str, Entry]:
        if time.monotonic() >= self._fresh_until:
            self._refresh()
        return dict(self._entries)

    def _refresh(self) -> None:
        try:
            entries = self._read()
        except (ClientError, BotoCoreError) as error:
            self._fresh_until = time.monotonic() + self._retry
            if self._entries is None:
                raise Unavailable("the registry could not be read; try again", "registry_unavailable") from None
            logger.warning("serving the last good read of %s: %s", self._prefix, type(error).__name__)
            return
        self._entries = entries
        self._fresh_until = time.monotonic() + self._ttl

    def _read(self) -> dict[str, Entry]:
        entries: dict[str, Entry] = {}
        request = {"Path": self._prefix, "WithDecryption": True, "MaxResults": 10}
        for _ in range(MAX_PAGES):
            page = self._ssm.get_parameters_by_path(**request)
            for parameter in page["Parameters"]:
                name = parameter["Name"].removeprefix(self._prefix)
                try:
                    entries[name] = self._parse(name, parameter["Value"])
                except ValueError as error:  # one bad entry disables that entry, not the registry
                    logger.error("ignoring the registry entry %s%s: %s", self._prefix, name, error)
            if not page.get("NextToken"):
                break
            request["NextToken"] = page["NextToken"]
        return entries
