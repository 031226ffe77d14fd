"""Eggs, nests and locations on Pelican (issue 15), at the HTTP level: egg_info reads Pelican's flat egg list (nest
as an egg tag) and still needs a nest on Pterodactyl; nest_info, location, location_info and node_info's location
include fail on Pelican, naming what replaced them, before any other request."""

from __future__ import annotations

import pytest
import responses

from ansible_collections.ptero.panel.plugins.modules import egg_info, location, location_info, nest_info, node_info
from ansible_collections.ptero.panel.tests.unit.envelopes import item, unpaged

APP = "https://panel.example.test/api/application"
PELICAN_KEY = "papp_unittestkey" + "x" * 32


EGGS = [
    {"id": 3, "name": "Paper", "tags": ["Minecraft"]},
    {"id": 4, "name": "Vanilla", "tags": ["minecraft"]},
    {"id": 5, "name": "Rust", "tags": ["rust"]},
]


@pytest.fixture
def panel():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.get(f"{APP}/eggs", json=unpaged("egg", EGGS))
        yield mock


def run(run_module, main, args):
    return run_module(main, {"api_key": PELICAN_KEY, "panel": "auto", **args})


def test_egg_info_lists_every_pelican_egg_with_its_variables(panel, run_module):
    result = run(run_module, egg_info.main, {}).result
    assert [egg["id"] for egg in result["eggs"]] == [3, 4, 5] and result["changed"] is False
    (call,) = panel.calls
    assert call.request.url == f"{APP}/eggs?include=variables"


def test_egg_info_nest_is_an_egg_tag_without_case(panel, run_module):
    result = run(run_module, egg_info.main, {"nest": "MINECRAFT"}).result
    assert [egg["id"] for egg in result["eggs"]] == [3, 4]


def test_egg_info_name_and_id_narrow_exactly(panel, run_module):
    assert [e["id"] for e in run(run_module, egg_info.main, {"nest": "minecraft", "name": "Paper"}).result["eggs"]] == [
        3
    ]
    assert run(run_module, egg_info.main, {"name": "paper"}).result["eggs"] == []
    assert [e["id"] for e in run(run_module, egg_info.main, {"id": 5}).result["eggs"]] == [5]


def test_egg_info_still_needs_a_nest_on_pterodactyl(panel, run_module):
    outcome = run_module(egg_info.main, {"panel": "pterodactyl"})
    assert outcome.failed and len(panel.calls) == 0
    assert outcome.result["msg"].startswith("nest: required on Pterodactyl")


def test_egg_info_on_pterodactyl_reads_the_nest(panel, run_module):
    panel.get(f"{APP}/nests/1", json=item("nest", {"id": 1, "name": "Minecraft"}))
    panel.get(f"{APP}/nests/1/eggs", json=unpaged("egg", [{"id": 3, "nest": 1, "name": "Paper"}]))
    result = run_module(egg_info.main, {"panel": "pterodactyl", "nest": "1"}).result
    assert [egg["id"] for egg in result["eggs"]] == [3]


@pytest.mark.parametrize(
    ("main", "args", "start"),
    [
        (nest_info.main, {}, "Pelican has no nests: its eggs carry tags instead"),
        (
            location_info.main,
            {"short": "fra1"},
            "Pelican has no locations: its migration made each location's short code",
        ),
        (location.main, {"short": "fra1", "long": "Frankfurt"}, "Pelican has no locations"),
        (location.main, {"short": "fra1", "state": "absent"}, "Pelican has no locations"),
        (node_info.main, {"include": ["location"]}, "include: location cannot be read. Pelican has no locations"),
    ],
)
def test_what_pelican_lacks_fails_naming_what_replaced_it(panel, run_module, main, args, start):
    outcome = run(run_module, main, args)
    assert outcome.failed and not outcome.result.get("changed")
    assert outcome.result["msg"].startswith(start), outcome.result["msg"]
    assert outcome.result["msg"].endswith("; nothing was changed")
    assert len(panel.calls) == 0  # the key's prefix told the panel: not one request


def test_node_info_reads_pelican_nodes(panel, run_module):
    panel.get(
        f"{APP}/nodes",
        json={
            **unpaged("node", [{"id": 1, "name": "n1", "tags": ["fra1"]}]),
            "meta": {
                "pagination": {"total": 1, "count": 1, "per_page": 50, "current_page": 1, "total_pages": 1, "links": {}}
            },
        },
    )
    result = run(run_module, node_info.main, {"name": "n1"}).result
    assert result["nodes"] == [{"id": 1, "name": "n1", "tags": ["fra1"]}]
