"""Reading every page of a paged source, within a bound: a source that does not end, or comes back to a page it
gave, is refused rather than followed for ever."""

import json
from collections.abc import Callable
from typing import TypeVar

from chalicelib.ports.errors import TooManyPages

Item = TypeVar("Item")
MAX_PAGES = 10_000


def every_page(read: Callable[[object], tuple[list[Item], object]], max_pages: int = MAX_PAGES) -> list[Item]:
    """`read(position)` gives a page and the position after it (None at the end); the first call gets None."""
    items: list[Item] = []
    position, seen = None, set()
    for _ in range(max_pages):
        page, position = read(position)
        items += page
        if position is None:
            return items
        key = json.dumps(position, sort_keys=True, default=str)
        if key in seen:
            raise TooManyPages(f"the source came back to position {position!r}")
        seen.add(key)
    raise TooManyPages(f"the source gave more than {max_pages} pages")
