"""The node module on Pelican (issue 15), at the HTTP level: Pelican's required fields with documented defaults,
`location` as a node tag, tags compared as a set, no perpetual diff on fields one panel lacks, and the Pelican-only
options refused on Pterodactyl before anything is sent."""

from __future__ import annotations

import json

import pytest
import responses

from ansible_collections.ptero.panel.plugins.modules import node as node_module
from ansible_collections.ptero.panel.tests.unit.envelopes import listing

APP = "https://panel.example.test/api/application"
PELICAN_KEY = "papp_unittestkey" + "x" * 32
JSON = {"Content-Type": "application/json"}
# A Pelican node as beta38 shows it: no location_id; tags, cpu, cpu_overallocate, daemon_connect, daemon_sftp_alias.
NODE = {
    "id": 4,
    "uuid": "n",
    "name": "fra1-node1",
    "description": None,
    "public": True,
    "fqdn": "node1.example.com",
    "scheme": "https",
    "behind_proxy": False,
    "maintenance_mode": False,
    "memory": 65536,
    "memory_overallocate": 0,
    "disk": 512000,
    "disk_overallocate": 0,
    "cpu": 0,
    "cpu_overallocate": -1,
    "upload_size": 256,
    "daemon_listen": 8080,
    "daemon_sftp": 2022,
    "daemon_sftp_alias": None,
    "daemon_connect": 8080,
    "daemon_base": "/var/lib/pelican/volumes",
    "tags": ["fra1", "ssd"],
}


def page(items):
    return listing("node", items)


@pytest.fixture
def panel():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


def writes(panel):
    return [(c.request.method, json.loads(c.request.body)) for c in panel.calls if c.request.method != "GET"]


def run(run_module, args, **kwargs):
    return run_module(node_module.main, {"api_key": PELICAN_KEY, "panel": "auto", **args}, **kwargs)


def echo_create(panel):
    def create(request):
        return 201, JSON, json.dumps({"object": "node", "attributes": {**json.loads(request.body), "id": 9}})

    panel.add_callback(responses.POST, f"{APP}/nodes", callback=create)


def test_create_sends_pelican_required_fields_with_their_defaults_and_location_as_a_tag(panel, run_module):
    panel.get(f"{APP}/nodes", json=page([]))
    echo_create(panel)
    outcome = run(
        run_module,
        {
            "name": "fra1-node2",
            "location": "fra1",
            "fqdn": "node2.example.com",
            "memory": 1024,
            "disk": 2048,
            "daemon_listen": 8443,
        },
    )
    assert not outcome.failed and outcome.result["changed"] is True, outcome.result
    ((method, body),) = writes(panel)
    assert method == "POST"
    # cpu 0 with overallocation -1: no CPU check on placement, as Pterodactyl never had one.
    assert body["cpu"] == 0 and body["cpu_overallocate"] == -1
    assert body["daemon_connect"] == 8443  # clients reach Wings on the port it listens on
    assert body["daemon_base"] == "/var/lib/pelican/volumes"
    assert body["tags"] == ["fra1"]
    assert "location_id" not in body
    # No location lookup: Pelican has no locations route.
    assert not any("/locations" in c.request.url for c in panel.calls)


def test_create_without_location_is_allowed_on_pelican(panel, run_module):
    panel.get(f"{APP}/nodes", json=page([]))
    echo_create(panel)
    outcome = run(
        run_module,
        {
            "name": "n2",
            "fqdn": "node2.example.com",
            "memory": 1024,
            "disk": 2048,
            "cpu": 400,
            "daemon_connect": 443,
            "tags": ["b", "a", "b"],
        },
    )
    assert not outcome.failed, outcome.result
    ((_method, body),) = writes(panel)
    assert body["cpu"] == 400 and body["daemon_connect"] == 443 and body["tags"] == ["a", "b"]


def test_the_same_pterodactyl_playbook_again_is_no_change(panel, run_module):
    # location fra1 is one of the node's tags; tags in another order, and the Pterodactyl options, all match.
    panel.get(f"{APP}/nodes", json=page([NODE]))
    outcome = run(
        run_module,
        {
            "name": "fra1-node1",
            "location": "fra1",
            "fqdn": "node1.example.com",
            "memory": 65536,
            "disk": 512000,
            "daemon_listen": 8080,
        },
        diff=True,
    )
    assert outcome.result["changed"] is False and writes(panel) == [], outcome.result
    assert outcome.result["diff"]["before"]["tags"] == ["fra1", "ssd"]


def test_tags_are_a_set(panel, run_module):
    panel.get(f"{APP}/nodes", json=page([NODE]))
    assert run(run_module, {"name": "fra1-node1", "tags": ["ssd", "fra1"]}).result["changed"] is False


def test_a_new_location_is_added_to_the_tags_keeping_the_others(panel, run_module):
    panel.get(f"{APP}/nodes", json=page([NODE]))
    panel.patch(f"{APP}/nodes/4", json={"object": "node", "attributes": {**NODE, "tags": ["ams1", "fra1", "ssd"]}})
    outcome = run(run_module, {"name": "fra1-node1", "location": "ams1"})
    assert outcome.result["changed_fields"] == ["tags"]
    ((method, body),) = writes(panel)
    assert method == "PATCH" and body["tags"] == ["ams1", "fra1", "ssd"]
    # The complete Pelican body: every field it requires, none it lacks.
    assert set(body) == {"name", *node_module.PELICAN_SETTINGS}
    assert "location_id" not in body and body["daemon_connect"] == 8080 and body["cpu_overallocate"] == -1


def test_tags_with_location_replace_the_set(panel, run_module):
    panel.get(f"{APP}/nodes", json=page([NODE]))
    panel.patch(f"{APP}/nodes/4", json={"object": "node", "attributes": {**NODE, "tags": ["fra1", "nvme"]}})
    outcome = run(run_module, {"name": "fra1-node1", "location": "fra1", "tags": ["nvme"]}, diff=True)
    assert outcome.result["changed_fields"] == ["tags"]
    assert writes(panel)[0][1]["tags"] == ["fra1", "nvme"]
    assert outcome.result["diff"]["before"]["tags"] == ["fra1", "ssd"]
    assert outcome.result["diff"]["after"]["tags"] == ["fra1", "nvme"]


def test_check_mode_predicts_the_tags_without_writing(panel, run_module):
    panel.get(f"{APP}/nodes", json=page([NODE]))
    outcome = run(run_module, {"name": "fra1-node1", "tags": ["fra1"], "cpu": 800}, check_mode=True, diff=True)
    assert outcome.result["changed"] is True and writes(panel) == []
    assert sorted(outcome.result["changed_fields"]) == ["cpu", "tags"]
    assert outcome.result["diff"]["after"]["tags"] == ["fra1"] and outcome.result["diff"]["after"]["cpu"] == 800


def test_a_location_id_is_refused_on_pelican(panel, run_module):
    panel.get(f"{APP}/nodes", json=page([NODE]))
    outcome = run(run_module, {"name": "fra1-node1", "location": "1"})
    assert outcome.failed and writes(panel) == []
    assert outcome.result["msg"].startswith("location: '1' looks like a location id, but Pelican has no locations")


def test_pelican_only_options_are_refused_on_pterodactyl_before_any_write(panel, run_module):
    panel.get(f"{APP}/nodes", json=page([{**NODE, "location_id": 1}]))
    outcome = run_module(node_module.main, {"panel": "pterodactyl", "name": "fra1-node1", "cpu": 400, "tags": ["x"]})
    assert outcome.failed and writes(panel) == []
    assert outcome.result["msg"].startswith(
        "cpu, tags: only Pelican nodes have these fields; this panel is Pterodactyl"
    )


def test_absent_deletes_the_node(panel, run_module):
    panel.get(f"{APP}/nodes", json=page([NODE]))
    panel.delete(f"{APP}/nodes/4", status=204)
    outcome = run(run_module, {"name": "fra1-node1", "state": "absent"}, diff=True)
    assert outcome.result["changed"] is True and outcome.result["diff"]["before"]["tags"] == ["fra1", "ssd"]
    assert [c.request.method for c in panel.calls] == ["GET", "DELETE"]


# -- which panel, without a request where the node itself tells ----------------------------------------------------

MIGRATED_KEY = "ptla_unittestkey" + "x" * 32  # a Pterodactyl key carried over to Pelican keeps its prefix


def test_a_found_pelican_node_tells_the_panel_without_the_probe(panel, run_module):
    panel.get(f"{APP}/nodes", json=page([NODE]))
    outcome = run_module(
        node_module.main, {"api_key": MIGRATED_KEY, "panel": "auto", "name": "fra1-node1", "location": "fra1"}
    )
    assert outcome.result["changed"] is False, outcome.result
    assert [c.request.url.split("?")[0] for c in panel.calls] == [f"{APP}/nodes"]  # no GET /api/application/eggs


def test_a_found_pterodactyl_node_tells_the_panel_without_the_probe(panel, run_module):
    ptero_node = {key: value for key, value in NODE.items() if key not in node_module.PELICAN_ONLY}
    panel.get(f"{APP}/nodes", json=page([{**ptero_node, "location_id": 1}]))
    outcome = run_module(
        node_module.main, {"api_key": MIGRATED_KEY, "panel": "auto", "name": "fra1-node1", "memory": 65536}
    )
    assert outcome.result["changed"] is False, outcome.result
    assert len(panel.calls) == 1


def test_a_new_node_asks_which_panel_once(panel, run_module):
    panel.get(f"{APP}/nodes", json=page([]))
    panel.get(
        f"{APP}/eggs",
        status=401,
        json={"errors": [{"code": "AuthenticationException", "status": "401", "detail": "Unauthenticated."}]},
    )
    outcome = run_module(
        node_module.main,
        {"api_key": MIGRATED_KEY, "panel": "auto", "name": "n2", "fqdn": "n2.example.com", "memory": 1, "disk": 1},
        check_mode=True,
    )
    # Probed once (401: Pelican), so no location is required and Pelican's defaults apply.
    assert not outcome.failed and outcome.result["changed"] is True, outcome.result
    assert outcome.result["node"]["tags"] == [] and outcome.result["node"]["cpu_overallocate"] == -1
    assert [c.request.url.split("?")[0] for c in panel.calls] == [f"{APP}/nodes", f"{APP}/eggs"]
