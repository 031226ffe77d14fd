# Private to ptero.panel: not a public API.
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""iterate() and collect(): every item once, in order, with the original query on every page."""

from __future__ import annotations

import json
import math
import re
import threading
from urllib.parse import parse_qsl, urlsplit

import pytest

from ansible_collections.ptero.panel.plugins.module_utils._client import PanelError

BASE_URL = "https://panel.example.test"  # the make_client fixture's default


class FakeList:
    """A paginated panel list: filter[name] (partial), include echo, per_page capped like the panel."""

    def __init__(
        self, path: str, count: int, *, max_per_page: int | None = None, default_per_page: int = 50, growth: int = 0
    ) -> None:
        self.path = path
        self.rows = [
            {"id": number, "name": f"{'web' if number % 3 else 'db'}-{number}"} for number in range(1, count + 1)
        ]
        self.max_per_page = max_per_page
        self.default_per_page = default_per_page
        self.growth = growth  # rows added after the first page was served (a list growing while paged)
        self.queries: list[list[tuple[str, str]]] = []
        self.threads: list[str] = []
        self.lock = threading.Lock()

    def register(self, panel) -> None:
        panel.add_callback("GET", re.compile(re.escape(BASE_URL + self.path) + r"(\?.*)?$"), callback=self.answer)

    def answer(self, request):
        pairs = parse_qsl(urlsplit(request.url).query, keep_blank_values=True)
        with self.lock:
            self.queries.append(pairs)
            self.threads.append(threading.current_thread().name)
            if self.growth and len(self.queries) == 2:
                start = len(self.rows) + 1
                self.rows += [{"id": n, "name": f"web-{n}"} for n in range(start, start + self.growth)]
        query = dict(pairs)
        rows = self.rows
        if "filter[name]" in query:
            rows = [row for row in rows if query["filter[name]"] in row["name"]]
        per_page = int(query.get("per_page", self.default_per_page))
        if self.max_per_page:
            per_page = min(per_page, self.max_per_page)
        page = int(query.get("page", 1))
        total_pages = max(1, math.ceil(len(rows) / per_page))
        chunk = rows[(page - 1) * per_page : page * per_page]
        includes = [name for name in query.get("include", "").split(",") if name]
        data = [
            {
                "object": "thing",
                "attributes": {**row, "relationships": {name: {"object": "list", "data": []} for name in includes}},
            }
            for row in chunk
        ]
        links = {}
        if page < total_pages:
            # A trap: following links instead of building page URLs would hit an unregistered host.
            links["next"] = f"https://links.invalid{self.path}?page={page + 1}"
        body = {
            "object": "list",
            "data": data,
            "meta": {
                "pagination": {
                    "total": len(rows),
                    "count": len(chunk),
                    "per_page": per_page,
                    "current_page": page,
                    "total_pages": total_pages,
                    "links": links,
                }
            },
        }
        return 200, {}, json.dumps(body)

    def expected(self, name_filter: str | None = None) -> list[int]:
        return [row["id"] for row in self.rows if name_filter is None or name_filter in row["name"]]


@pytest.mark.parametrize("per_page", [2, 50, 100])
@pytest.mark.parametrize("concurrent", [False, True])
def test_every_item_once_with_filters_and_includes_on_every_page(per_page, concurrent, panel, make_client):
    fake = FakeList("/api/application/servers", 233)
    fake.register(panel)
    query = {"filter[name]": "web", "include": ["allocations", "user"], "sort": "-id"}
    client = make_client(max_workers=4)

    items = client.collect("application.servers.list", query=query, per_page=per_page, concurrent=concurrent)

    ids = [item["id"] for item in items]
    assert ids == fake.expected("web")
    assert len(ids) == len(set(ids))
    assert all(item["relationships"] == {"allocations": [], "user": []} for item in items)
    pages = math.ceil(len(fake.expected("web")) / per_page)
    assert client.request_count == pages == len(fake.queries)
    for pairs in fake.queries:
        query_sent = dict(pairs)
        assert query_sent["filter[name]"] == "web"
        assert query_sent["include"] == "allocations,user"
        assert query_sent["sort"] == "-id"
        assert query_sent["per_page"] == str(per_page)
        assert len(pairs) == 5, pairs
    assert sorted(int(dict(pairs)["page"]) for pairs in fake.queries) == list(range(1, pages + 1))
    # Page 1 comes first from the caller's thread; with concurrency the rest come from the pool.
    assert dict(fake.queries[0])["page"] == "1" and fake.threads[0] == threading.current_thread().name
    pooled = [name for name in fake.threads[1:] if name.startswith("ptero-page")]
    assert len(pooled) == (pages - 1 if concurrent else 0)


def test_iterate_is_lazy_and_in_order(panel, make_client):
    fake = FakeList("/api/application/users", 9)
    fake.register(panel)
    client = make_client()
    iterator = client.iterate("application.users.list", per_page=2)
    assert client.request_count == 0
    first = next(iterator)
    assert first["id"] == 1 and client.request_count == 1
    assert [first["id"]] + [item["id"] for item in iterator] == list(range(1, 10))
    assert [dict(pairs)["page"] for pairs in fake.queries] == ["1", "2", "3", "4", "5"]


@pytest.mark.parametrize(
    ("name", "path", "asked", "sent"),
    [
        ("client.servers.list", "/api/client", None, "100"),
        ("client.servers.list", "/api/client", 500, "100"),
        ("client.servers.list", "/api/client", 7, "7"),
        ("client.account_activity.list", "/api/client/account/activity", None, "100"),
        ("client.backups.list", "/api/client/servers/abcd1234/backups", None, "50"),
        ("client.backups.list", "/api/client/servers/abcd1234/backups", 80, "50"),
        ("application.nodes.list", "/api/application/nodes", None, "100"),
        ("application.nodes.list", "/api/application/nodes", 1000, "1000"),
    ],
)
def test_per_page_defaults_and_caps(name, path, asked, sent, panel, make_client):
    fake = FakeList(path, 3)
    fake.register(panel)
    params = {"server": "abcd1234"} if name == "client.backups.list" else None
    make_client().collect(name, params, per_page=asked)
    assert dict(fake.queries[0])["per_page"] == sent


def test_per_page_from_the_query_is_used_and_page_is_ignored(panel, make_client):
    fake = FakeList("/api/application/locations", 5)
    fake.register(panel)
    items = make_client().collect("application.locations.list", query={"per_page": 2, "page": 3})
    assert [item["id"] for item in items] == [1, 2, 3, 4, 5]
    assert [dict(pairs)["per_page"] for pairs in fake.queries] == ["2", "2", "2"]


def test_unpaginated_lists_are_one_page_without_page_parameters(panel, make_client):
    panel.add(
        "GET",
        BASE_URL + "/api/application/nests/1/eggs",
        json={"object": "list", "data": [{"object": "egg", "attributes": {"id": n}} for n in (1, 2, 3)]},
    )
    client = make_client()
    assert [
        egg["id"] for egg in client.collect("application.eggs.list", {"nest": 1}, query={"include": "variables"})
    ] == [1, 2, 3]
    assert client.request_count == 1
    assert parse_qsl(urlsplit(panel.calls[0].request.url).query) == [("include", "variables")]


def test_a_paginated_route_answering_without_pagination_meta_is_one_page(panel, make_client):
    panel.add(
        "GET",
        BASE_URL + "/api/application/nodes/deployable",
        json={"object": "list", "data": [{"object": "node", "attributes": {"id": 4, "sum_memory": 0}}]},
    )
    client = make_client()
    assert client.collect("application.nodes.deployable", query={"memory": 1, "disk": 1}) == [
        {"id": 4, "sum_memory": 0}
    ]
    assert client.request_count == 1


def test_call_on_a_paginated_list_returns_only_the_first_page(panel, make_client):
    fake = FakeList("/api/application/users", 5)
    fake.register(panel)
    data, meta = make_client().call_with_meta("application.users.list", query={"per_page": 2})
    assert [item["id"] for item in data] == [1, 2]
    assert meta["pagination"]["total_pages"] == 3


def test_pages_added_while_collecting_are_fetched(panel, make_client):
    fake = FakeList("/api/application/users", 6, growth=3)
    fake.register(panel)
    items = make_client().collect("application.users.list", per_page=2, concurrent=True)
    assert [item["id"] for item in items] == list(range(1, 10))


def test_collect_of_an_empty_list(panel, make_client):
    fake = FakeList("/api/client", 0, max_per_page=100)
    fake.register(panel)
    assert make_client().collect("client.servers.list") == []
    assert len(fake.queries) == 1


def test_iterate_refuses_non_list_operations(make_client):
    with pytest.raises(ValueError, match="does not return a list"):
        make_client().iterate("application.users.get", {"user": 1})


def test_a_failing_page_raises_from_collect(panel, make_client):
    fake = FakeList("/api/application/users", 10)
    original = fake.answer

    def failing(request):
        if dict(parse_qsl(urlsplit(request.url).query)).get("page") == "4":
            return (
                404,
                {"Content-Type": "application/json"},
                json.dumps({"errors": [{"code": "NotFoundHttpException", "status": "404", "detail": "gone"}]}),
            )
        return original(request)

    fake.answer = failing
    fake.register(panel)
    with pytest.raises(PanelError, match="404 NotFoundHttpException: gone"):
        make_client().collect("application.users.list", per_page=2, concurrent=True)
