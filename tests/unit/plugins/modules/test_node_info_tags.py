"""node_info's `tags` option (Pelican nodes carry tags instead of a location), at the HTTP level: a node must carry
every listed tag, each matched exactly; Pelican's node listing has no tag filter, so every page is read and the
module keeps the matching nodes; an empty list filters nothing; Pterodactyl is refused before any node is read."""

from __future__ import annotations

import json
import urllib.parse

import pytest
import responses

from ansible_collections.ptero.panel.plugins.modules import node_info
from ansible_collections.ptero.panel.tests.unit.envelopes import item, listing

PANEL = "https://panel.example.test"
APP = f"{PANEL}/api/application"
PELICAN_KEY = "papp_unittestkey" + "x" * 32
JSON = {"Content-Type": "application/json"}


def pelican_node(node_id: int, name: str, tags: list[str] | None) -> dict:
    """A Pelican beta38 node as the application API shows it (no location_id; tags may be null)."""
    return {
        "id": node_id,
        "uuid": f"00000000-0000-4000-8000-00000000000{node_id}",
        "name": name,
        "fqdn": f"{name}.example.com",
        "memory": 65536,
        "disk": 512000,
        "cpu": 0,
        "cpu_overallocate": -1,
        "daemon_connect": 8080,
        "daemon_sftp_alias": None,
        "tags": tags,
    }


# Two listing pages: the client reads both before the tags are matched.
FIRST_PAGE = [
    pelican_node(1, "fra-node-1", ["de.fra", "ssd"]),
    pelican_node(2, "fra-node-2", ["de.fra"]),
]
SECOND_PAGE = [
    pelican_node(3, "nyc-node-1", ["us.nyc", "ssd"]),
    pelican_node(4, "fra-node-3", ["DE.FRA", "ssd"]),
    pelican_node(5, "bare-node", None),
]


@pytest.fixture
def panel():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


def page_number(request) -> int:
    return int(urllib.parse.parse_qs(urllib.parse.urlsplit(request.url).query).get("page", ["1"])[0])


def serve_two_pages(panel) -> None:
    def answer(request):
        number = page_number(request)
        body = listing("node", FIRST_PAGE if number == 1 else SECOND_PAGE, current_page=number, total_pages=2)
        return 200, JSON, json.dumps(body)

    panel.add_callback(responses.GET, f"{APP}/nodes", callback=answer)


def names(outcome) -> list[str]:
    assert not outcome.failed, outcome.result["msg"]
    return [node["name"] for node in outcome.result["nodes"]]


def run_pelican(run_module, args: dict, **kwargs):
    return run_module(node_info.main, {"api_key": PELICAN_KEY, **args}, **kwargs)


@pytest.mark.parametrize(
    ("tags", "expected"),
    [
        (["de.fra"], ["fra-node-1", "fra-node-2"]),
        (["ssd"], ["fra-node-1", "nyc-node-1", "fra-node-3"]),
        # Every tag must be carried, in any order; carrying more is fine.
        (["ssd", "de.fra"], ["fra-node-1"]),
        # One tag missing is enough to leave a node out.
        (["de.fra", "us.nyc"], []),
        (["hdd"], []),
    ],
)
def test_nodes_carrying_every_tag_across_pages(panel, run_module, tags, expected):
    serve_two_pages(panel)
    outcome = run_pelican(run_module, {"tags": tags})
    assert names(outcome) == expected
    assert outcome.result["changed"] is False
    pages = sorted(page_number(call.request) for call in panel.calls)
    assert pages == [1, 2]
    # Pelican's listing takes no tag filter (it filters by uuid, name, fqdn and daemon token only).
    assert all("tag" not in urllib.parse.unquote(call.request.url) for call in panel.calls)


@pytest.mark.parametrize("tags", [["DE.FRA"], ["De.Fra"], ["de"], ["de.fr"], ["de.fra "]])
def test_tags_match_exactly_and_case_sensitively(panel, run_module, tags):
    serve_two_pages(panel)
    expected = ["fra-node-3"] if tags == ["DE.FRA"] else []
    assert names(run_pelican(run_module, {"tags": tags})) == expected


def test_an_empty_list_filters_nothing(panel, run_module):
    serve_two_pages(panel)
    assert names(run_pelican(run_module, {"tags": []})) == [
        "fra-node-1",
        "fra-node-2",
        "nyc-node-1",
        "fra-node-3",
        "bare-node",
    ]


def test_tags_combine_with_name(panel, run_module):
    listed = panel.get(f"{APP}/nodes", json=listing("node", [FIRST_PAGE[0], FIRST_PAGE[1]]))
    assert names(run_pelican(run_module, {"name": "fra-node-2", "tags": ["de.fra"]})) == ["fra-node-2"]
    assert names(run_pelican(run_module, {"name": "fra-node-2", "tags": ["ssd"]})) == []
    # The name still narrows the listing on the panel; the tags are matched by the module.
    assert all("filter[name]=fra-node-2" in urllib.parse.unquote(call.request.url) for call in listed.calls)


def test_tags_apply_to_the_node_read_by_id(panel, run_module):
    panel.get(f"{APP}/nodes/1", json=item("node", FIRST_PAGE[0]))
    assert names(run_pelican(run_module, {"id": 1, "tags": ["ssd", "de.fra"]})) == ["fra-node-1"]
    assert names(run_pelican(run_module, {"id": 1, "tags": ["us.nyc"]})) == []
    assert {call.request.url.split("?")[0] for call in panel.calls} == {f"{APP}/nodes/1"}


def test_check_mode_returns_the_same(panel, run_module):
    serve_two_pages(panel)
    normal = run_pelican(run_module, {"tags": ["ssd"]})
    checked = run_pelican(run_module, {"tags": ["ssd"]}, check_mode=True)
    assert names(checked) == names(normal) == ["fra-node-1", "nyc-node-1", "fra-node-3"]
    assert checked.result["nodes"] == normal.result["nodes"]
    assert checked.result["changed"] is False


def assert_refused_naming_the_option(outcome) -> None:
    assert outcome.failed
    message = outcome.result["msg"]
    assert message.startswith("tags: Pelican only; Pterodactyl nodes have no tags"), message
    assert "ptero.panel.location_info" in message and "location_id" in message


@pytest.mark.parametrize("check_mode", [False, True])
def test_pterodactyl_is_refused_before_any_request(panel, run_module, check_mode):
    # The default unit-test key is a Pterodactyl one with panel: pterodactyl, so the flavour costs no request.
    outcome = run_module(node_info.main, {"tags": ["de.fra"]}, check_mode=check_mode)
    assert_refused_naming_the_option(outcome)
    assert len(panel.calls) == 0


def test_pterodactyl_detected_is_refused_before_any_node_is_read(panel, run_module):
    # A ptla_ key proves nothing (migrated keys keep it on Pelican): the one probe tells the panels apart.
    panel.get(f"{APP}/eggs", status=404, json={"errors": [{"code": "NotFoundHttpException", "status": "404"}]})
    outcome = run_module(node_info.main, {"panel": "auto", "tags": ["de.fra"]})
    assert_refused_naming_the_option(outcome)
    assert [call.request.url for call in panel.calls] == [f"{APP}/eggs"]


def test_pterodactyl_with_no_tags_lists_as_before(panel, run_module):
    node = {"id": 1, "name": "fra1-node1", "location_id": 1, "fqdn": "node1.example.com"}
    panel.get(f"{APP}/nodes", json=listing("node", [node]))
    assert names(run_module(node_info.main, {"tags": []})) == ["fra1-node1"]
    assert names(run_module(node_info.main, {})) == ["fra1-node1"]
