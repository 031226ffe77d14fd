# Private to ptero.panel: not a public API.
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Whole listings read page by page, several pages at a time, with one bound on the requests in flight.

Every request of a `PageReader` (the pages of every listing, and single calls) runs on one thread pool of
`max_in_flight` threads, so however many listings run side by side, no more requests are in flight than that; the
reader refuses a bound larger than the client's connection pool, so no connection is opened and thrown away.

A listing's first page tells how many pages there are; the next ones are then queued, a bounded number ahead of the
caller, and handed out in page order as they arrive (`Listing.pages()`), so a caller can work on page 1 while later
pages are still on the wire.
"""

from __future__ import annotations

import collections
import functools
import threading
import typing as t
from concurrent.futures import Future, ThreadPoolExecutor

from ansible_collections.ptero.panel.plugins.module_utils._operations import get_operation

if t.TYPE_CHECKING:
    from ansible_collections.ptero.panel.plugins.module_utils._client import PanelClient

# Connections the client keeps per panel (requests' HTTPAdapter pool_maxsize, at least 10).
MIN_CONNECTION_POOL = 10
# Application lists have no per_page maximum (client lists cap it themselves); the panel's default is 50.
DEFAULT_PER_PAGE = 100
# A bound on page loops, whatever the panel claims in total_pages.
MAX_PAGES = 100_000
# Pages read ahead of the caller, per request allowed in flight: enough to keep every connection busy while the
# caller works, without holding a whole large listing in memory when the panel answers faster than it is taken.
READ_AHEAD_PER_REQUEST = 2

Page = list[dict[str, t.Any]]


def connection_pool_size(client: PanelClient) -> int:
    """How many connections `client` keeps open to the panel."""
    return max(MIN_CONNECTION_POOL, int(getattr(client, "max_workers", 0) or 0))


def page_position(meta: t.Mapping[str, t.Any], requested: int) -> tuple[int, int]:
    """(current_page, total_pages) of an answer's `meta`; an answer without pagination is a single page."""
    pagination = meta.get("pagination") if isinstance(meta, t.Mapping) else None
    if not isinstance(pagination, t.Mapping):
        return requested, requested
    try:
        current = int(pagination.get("current_page", requested))
        total = int(pagination.get("total_pages", current))
    except (TypeError, ValueError):
        return requested, requested
    return current, min(total, MAX_PAGES)


class PageReader:
    """Runs every request on one pool of `max_in_flight` threads. Use it as a context manager: leaving it cancels
    what has not started and waits for what is in flight."""

    def __init__(self, client: PanelClient, max_in_flight: int) -> None:
        pool = connection_pool_size(client)
        if not 1 <= max_in_flight <= pool:
            raise ValueError(
                f"max_in_flight must be between 1 and the client's connection pool ({pool}), not {max_in_flight}"
            )
        self.client = client
        self.max_in_flight = max_in_flight
        self._pool = ThreadPoolExecutor(max_workers=max_in_flight, thread_name_prefix="ptero-pages")

    def __enter__(self) -> PageReader:
        return self

    def __exit__(self, *exc_info: t.Any) -> None:
        self.close()

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)

    def submit(self, job: t.Callable[[], t.Any]) -> Future[t.Any]:
        return self._pool.submit(job)

    def call(self, operation: str, query: t.Mapping[str, t.Any] | None = None) -> Future[t.Any]:
        """One request (`client.call`), queued now; its Future gives the answer or raises the PanelError."""
        return self.submit(lambda: self.client.call(operation, query=query))

    def listing(
        self, operation: str, query: t.Mapping[str, t.Any] | None = None, per_page: int = DEFAULT_PER_PAGE
    ) -> Listing:
        """Every page of a list operation; the first page is queued now. Pages are read at most
        READ_AHEAD_PER_REQUEST x max_in_flight ahead of the caller."""
        return Listing(self, operation, query, per_page, READ_AHEAD_PER_REQUEST * self.max_in_flight)


class Listing:
    """The pages of one list operation, fetched through a PageReader, at most `read_ahead` pages ahead of the
    caller (pages read but not yet taken wait in memory)."""

    def __init__(
        self, reader: PageReader, operation: str, query: t.Mapping[str, t.Any] | None, per_page: int, read_ahead: int
    ) -> None:
        op = get_operation(operation)
        if not op.is_list:
            raise ValueError(f"{op.name} does not return a list")
        self.operation = operation
        self._reader = reader
        self._read_ahead = max(1, read_ahead)
        self._query = {key: value for key, value in (query or {}).items() if key not in ("page", "per_page")}
        self._paginated = op.paginated
        if op.paginated:
            self._query["per_page"] = max(1, min(per_page, op.max_per_page or per_page))
        self._lock = threading.Lock()
        self._queued: collections.deque[Future[t.Any]] = collections.deque()
        self._next_page = 2
        self._last_page: int | None = None
        self._first = reader.submit(lambda: self._page(1))
        # The next pages are queued as soon as the first one tells how many there are, by the thread that read it.
        self._first.add_done_callback(lambda _future: self._queue_more())

    def _page(self, number: int) -> tuple[Page, t.Mapping[str, t.Any]]:
        query = dict(self._query, page=number) if self._paginated else self._query
        data, meta = self._reader.client.call_with_meta(self.operation, query=query)
        return (data if isinstance(data, list) else []), meta

    def _queue_more(self) -> None:
        """Queue the next announced pages, up to `read_ahead` not yet taken."""
        with self._lock:
            if self._last_page is None:
                if self._first.cancelled() or self._first.exception() is not None:
                    self._last_page = 1
                else:
                    self._last_page = page_position(self._first.result()[1], 1)[1]
            while len(self._queued) < self._read_ahead and self._next_page <= self._last_page:
                self._queued.append(self._reader.submit(functools.partial(self._page, self._next_page)))
                self._next_page += 1

    def _take(self) -> Future[t.Any] | None:
        self._queue_more()
        with self._lock:
            future = self._queued.popleft() if self._queued else None
        self._queue_more()
        return future

    def pages(self) -> t.Iterator[Page]:
        """The pages in order, each as soon as it and the pages before it have arrived; raises the first page's
        error where that page would have been. Pages added while paging are read one by one at the end."""
        items, meta = self._first.result()
        yield items
        number, (current, total) = 1, page_position(meta, 1)
        future = self._take()
        while future is not None:
            items, meta = future.result()
            number += 1
            current, total = page_position(meta, number)
            yield items
            future = self._take()
        while current < total and number < MAX_PAGES:
            number += 1
            # Through the pool, so the bound on requests in flight holds here too.
            items, meta = self._reader.submit(functools.partial(self._page, number)).result()
            current, total = page_position(meta, number)
            yield items

    def items(self) -> Page:
        """Every item of every page, in order."""
        return [item for page in self.pages() for item in page]
