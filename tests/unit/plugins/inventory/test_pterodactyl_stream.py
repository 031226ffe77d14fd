# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The listing arrives page by page and its hosts reach ansible-core while later pages are still on the wire: names
as if named all at once, the bound on requests in flight, the id order asked of the panel, and nothing left behind
when the listing fails half-way."""

from __future__ import annotations

import random
import threading
import time

import pytest
import responses
from ansible.errors import AnsibleError
from test_pterodactyl_hosts import APPLICATION, LOCATIONS, NESTS, NODES, app_server
from test_pterodactyl_plugin import APPLICATION_KEY, FakePanel, Run

from ansible_collections.ptero.panel.plugins.inventory import pterodactyl as plugin
from ansible_collections.ptero.panel.plugins.module_utils._client import PanelClient
from ansible_collections.ptero.panel.plugins.module_utils._paging import PageReader, page_position

URL = "https://panel.example.test"


# ---------------------------------------------------------------------------------------------------- naming
def streamed(settings: plugin.Settings, servers: list[dict], nodes: list[dict]) -> list[dict]:
    """The entries HostStream hands out, in the order it hands them out (servers in listing order)."""
    joins = plugin._Joins(nodes, LOCATIONS, NESTS)
    stream = plugin.HostStream(settings)
    entries = stream.add_nodes(plugin._node_hosts(nodes, joins.locations))
    for server in servers:
        entries += stream.add_server(plugin.application_server_host(settings, server, joins))
    return entries + stream.finish()


# Names that collide after sanitising, with each other, with nodes and with the `_<identifier>` fallbacks.
NAME_POOL = [
    "alpha",
    "alpha beta",
    "alpha:beta",
    "alpha_beta",
    "fra-node-1",
    "fra node 1",
    "NYC_Node_#1",
    "NYC Node #1",
    "alpha_beta_00000003",
    "x",
    " x",
    "x ",
    "[x]",
    "_x_",
]


@pytest.mark.parametrize("seed", range(25))
def test_streamed_names_are_the_names_of_the_whole_listing(seed):
    """Whatever the mix of clean, sanitised and colliding names, naming hosts as they arrive (servers by id) gives
    exactly the names, groups and vars that naming them all at the end gives."""
    rng = random.Random(seed)
    servers = [app_server(server_id, rng.choice(NAME_POOL)) for server_id in range(1, rng.randint(2, 40))]
    whole = plugin.host_data(APPLICATION, plugin.application_hosts(APPLICATION, servers, NODES, LOCATIONS, NESTS), [])
    entries = streamed(APPLICATION, servers, NODES)
    assert sorted(entries, key=lambda entry: entry["name"]) == sorted(whole["hosts"], key=lambda entry: entry["name"])
    assert [entry["name"] for entry in entries] == [entry["name"] for entry in whole["hosts"]]


def test_clean_names_go_at_once_and_sanitised_ones_wait_for_the_end():
    stream = plugin.HostStream(APPLICATION)
    joins = plugin._Joins(NODES, LOCATIONS, NESTS)
    clean = plugin.application_server_host(APPLICATION, app_server(1, "alpha_beta"), joins)
    sanitised = plugin.application_server_host(APPLICATION, app_server(2, "alpha beta"), joins)
    late_clean = plugin.application_server_host(APPLICATION, app_server(3, "alpha_beta"), joins)
    assert stream.add_server(sanitised) == []
    assert [entry["name"] for entry in stream.add_server(clean)] == ["alpha_beta"]
    assert [entry["name"] for entry in stream.add_server(late_clean)] == ["alpha_beta_00000003"]
    assert [entry["name"] for entry in stream.finish()] == ["alpha_beta_00000002"]


def test_a_server_out_of_id_order_waits_for_the_end():
    stream = plugin.HostStream(APPLICATION)
    joins = plugin._Joins(NODES, LOCATIONS, NESTS)
    assert len(stream.add_server(plugin.application_server_host(APPLICATION, app_server(5, "a"), joins))) == 1
    assert stream.add_server(plugin.application_server_host(APPLICATION, app_server(4, "b"), joins)) == []
    assert [entry["name"] for entry in stream.finish()] == ["b"]


# ---------------------------------------------------------------------------------------------------- the plugin
class GatedPanel(FakePanel):
    """FakePanel whose LAST server page is answered only once ansible-core already holds hosts from earlier pages
    (or after 10 s), recording how many it held; answers take 10 ms and the most requests at once is recorded."""

    def __init__(self, mock, servers: int, run_box: list) -> None:
        self.run_box = run_box
        self.held_when_last_page_was_answered: int | None = None
        self.lock = threading.Lock()
        self.in_flight = 0
        self.peak = 0
        super().__init__(mock, servers=servers)

    def answer(self, request):
        with self.lock:
            self.in_flight += 1
            self.peak = max(self.peak, self.in_flight)
        try:
            time.sleep(0.01)
            if "/api/application/servers" in request.url and "page=10&" in request.url + "&":
                deadline = time.monotonic() + 10
                while time.monotonic() < deadline and len(self.run_box[0].inventory.hosts) < 100:
                    time.sleep(0.01)
                self.held_when_last_page_was_answered = len(self.run_box[0].inventory.hosts)
            return super().answer(request)
        finally:
            with self.lock:
                self.in_flight -= 1


def test_hosts_reach_ansible_while_later_pages_are_still_on_the_wire(config):
    run_box: list = []
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        fake = GatedPanel(mock, servers=1000, run_box=run_box)
        run_box.append(Run(config))
        inventory = run_box[0].parse()
    assert fake.held_when_last_page_was_answered is not None
    assert 100 <= fake.held_when_last_page_was_answered < 1001
    assert len(inventory.groups["pterodactyl_servers"].get_hosts()) == 1000
    assert 2 <= fake.peak <= plugin.MAX_IN_FLIGHT
    server_pages = [query for path, query in fake.queries if path == "/api/application/servers"]
    assert len(server_pages) == 10 and all(query["sort"] == "id" for query in server_pages)


class FailingPanel(FakePanel):
    """FakePanel whose server page 3 answers 500."""

    def answer(self, request):
        if "/api/application/servers" in request.url and "page=3&" in request.url + "&":
            return 500, {}, '{"errors": [{"code": "HttpException", "status": "500", "detail": "boom"}]}'
        return super().answer(request)


def test_a_listing_that_fails_half_way_leaves_no_host_and_no_group(config):
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        FailingPanel(mock, servers=500)
        run = Run(
            config, keyed_groups=[{"key": "pterodactyl_owner.username", "prefix": "owner", "parent_group": "owners"}]
        )
        run.inventory.add_host("other-source-host")
        run.inventory.add_group("other_source_group")
        with pytest.raises(AnsibleError, match=r"Could not read servers from the panel: .*500"):
            run.parse()
    assert set(run.inventory.hosts) == {"other-source-host"}
    assert set(run.inventory.groups) == {"all", "ungrouped", "other_source_group"}
    assert [group.name for group in run.inventory.groups["all"].child_groups] == ["ungrouped"]


def test_an_empty_listing_adds_nothing_before_it_fails(config):
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        FakePanel(mock, servers=0)
        run = Run(config, include_nodes=False)
        with pytest.raises(AnsibleError, match="sees no servers"):
            run.parse()
    assert set(run.inventory.hosts) == set()
    assert set(run.inventory.groups) == {"all", "ungrouped"}


# ---------------------------------------------------------------------------------------------------- PageReader
def test_page_position_reads_the_pagination_and_treats_the_rest_as_one_page():
    assert page_position({"pagination": {"current_page": 2, "total_pages": 7}}, 2) == (2, 7)
    assert page_position({}, 3) == (3, 3)
    assert page_position({"pagination": {"current_page": "x"}}, 1) == (1, 1)


class GrowingPanel(FakePanel):
    """FakePanel where 70 servers are created just before server page 3 is answered: a fourth page appears."""

    def answer(self, request):
        rows = self.rows["/api/application/servers"]
        if "page=3&" in request.url + "&" and len(rows) == 250:
            rows += [self._server(number) for number in range(251, 321)]
        return super().answer(request)


def test_the_reader_reads_pages_in_order_and_the_pages_added_while_paging():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        fake = GrowingPanel(mock, servers=250)
        client = PanelClient(URL, APPLICATION_KEY, panel="pterodactyl", max_workers=plugin.MAX_IN_FLIGHT)
        with client, PageReader(client, 4) as reader:
            pages = list(reader.listing("application.servers.list", per_page=100).pages())
    assert [server["id"] for page in pages for server in page] == list(range(1, 321))
    assert sorted(query["page"] for path, query in fake.queries) == ["1", "2", "3", "4"]
    assert all(query["per_page"] == "100" for path, query in fake.queries)


def test_the_reader_reads_a_bounded_number_of_pages_ahead_of_the_caller():
    """A caller slower than the panel holds at most READ_AHEAD_PER_REQUEST x max_in_flight pages it has not taken."""
    from ansible_collections.ptero.panel.plugins.module_utils._paging import READ_AHEAD_PER_REQUEST

    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        fake = FakePanel(mock, servers=300)
        client = PanelClient(URL, APPLICATION_KEY, panel="pterodactyl", max_workers=plugin.MAX_IN_FLIGHT)
        with client, PageReader(client, 2) as reader:
            pages = reader.listing("application.servers.list", per_page=10).pages()
            first = next(pages)
            time.sleep(0.5)
            asked_while_holding_page_1 = len(fake.queries)
            rest = list(pages)
    assert asked_while_holding_page_1 == 1 + READ_AHEAD_PER_REQUEST * 2
    assert [server["id"] for page in [first, *rest] for server in page] == list(range(1, 301))
    assert sorted(int(query["page"]) for _path, query in fake.queries) == list(range(1, 31))
