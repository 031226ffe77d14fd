"""The Pelican-only database_host module: create with node links, update of the shown fields, the write-only
password (update_password), node links the API sets only on create, check/diff mode, Pterodactyl refused."""

from __future__ import annotations

import json

import pytest
import responses

from ansible_collections.ptero.panel.plugins.modules import database_host as database_host_module
from ansible_collections.ptero.panel.tests.unit.envelopes import item, listing

PANEL = "https://panel.example.test"
APP = f"{PANEL}/api/application"
PELICAN_KEY = "papp_unittestkey" + "x" * 32
SECRET = "s3cret-db-passw0rd"
NODE_1 = {"id": 1, "uuid": "0c0e3f5c-1111-4a4a-8b8b-000000000001", "name": "fra1"}
NODE_2 = {"id": 2, "uuid": "0c0e3f5c-1111-4a4a-8b8b-000000000002", "name": "fra2"}
HOST = {
    "id": 5,
    "name": "fra-mariadb",
    "host": "10.0.0.20",
    "port": 3306,
    "username": "pelican",
    "created_at": "2026-01-01T00:00:00+00:00",
    "updated_at": "2026-01-01T00:00:00+00:00",
}


def host_with_nodes(host, nodes):
    attributes = dict(host, relationships={"nodes": {"object": "list", "data": [item("node", n) for n in nodes]}})
    return item("database_host", attributes)


@pytest.fixture
def panel():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.get(f"{APP}/nodes", json=listing("node", [NODE_1, NODE_2]))
        mock.get(f"{APP}/nodes/1", json=item("node", NODE_1))
        mock.get(f"{APP}/nodes/2", json=item("node", NODE_2))
        yield mock


@pytest.fixture
def existing(panel):
    panel.get(f"{APP}/database-hosts", json=listing("database_host", [HOST]))
    panel.get(f"{APP}/database-hosts/5", json=host_with_nodes(HOST, [NODE_1]))
    return panel


def writes(panel):
    return [
        (
            call.request.method,
            call.request.url.split("/api/application/")[1].split("?")[0],
            json.loads(call.request.body) if call.request.body else None,
        )
        for call in panel.calls
        if call.request.method != "GET"
    ]


def run(run_module, args, **kwargs):
    return run_module(database_host_module.main, {"api_key": PELICAN_KEY, "name": "fra-mariadb", **args}, **kwargs)


def test_create_sends_the_password_and_node_links(panel, run_module):
    panel.get(f"{APP}/database-hosts", json=listing("database_host", []))
    panel.post(f"{APP}/database-hosts", json=item("database_host", HOST), status=201)
    panel.get(f"{APP}/database-hosts/5", json=host_with_nodes(HOST, [NODE_1, NODE_2]))
    outcome = run(run_module, {"host": "10.0.0.20", "username": "pelican", "password": SECRET, "nodes": ["fra1", "2"]})
    assert not outcome.failed, outcome.result["msg"]
    assert outcome.result["changed"] is True
    assert outcome.result["database_host"]["nodes"] == [1, 2]
    assert "relationships" not in outcome.result["database_host"]
    assert writes(panel) == [
        (
            "POST",
            "database-hosts",
            {
                "name": "fra-mariadb",
                "host": "10.0.0.20",
                "port": 3306,
                "username": "pelican",
                "node_ids": [1, 2],
                "password": SECRET,
            },
        )
    ]
    assert SECRET not in json.dumps(outcome.result)


def test_create_needs_host_and_username(panel, run_module):
    panel.get(f"{APP}/database-hosts", json=listing("database_host", []))
    outcome = run(run_module, {"password": SECRET})
    assert outcome.failed
    assert outcome.result["msg"] == (
        "database host 'fra-mariadb' does not exist; to create it, also set: host, username"
    )
    assert writes(panel) == []


def test_same_settings_again_is_no_change_and_the_password_is_not_resent(existing, run_module):
    outcome = run(run_module, {"host": "10.0.0.20", "username": "pelican", "password": SECRET, "nodes": ["fra1"]})
    assert not outcome.failed, outcome.result["msg"]
    assert outcome.result["changed"] is False and writes(existing) == []


def test_update_sends_the_whole_host_without_the_password(existing, run_module):
    existing.patch(f"{APP}/database-hosts/5", json=item("database_host", {**HOST, "port": 3307}))
    outcome = run(run_module, {"port": 3307, "password": SECRET}, diff=True)
    assert outcome.result["changed"] is True and outcome.result["changed_fields"] == ["port"]
    assert writes(existing) == [
        (
            "PATCH",
            "database-hosts/5",
            {"name": "fra-mariadb", "host": "10.0.0.20", "port": 3307, "username": "pelican", "node_ids": [1]},
        )
    ]
    assert outcome.result["diff"]["before"]["port"] == 3306 and outcome.result["diff"]["after"]["port"] == 3307


def test_update_password_always_sends_it_and_reports_a_change(existing, run_module):
    existing.patch(f"{APP}/database-hosts/5", json=item("database_host", HOST))
    outcome = run(run_module, {"password": SECRET, "update_password": "always"})
    assert outcome.result["changed"] is True and outcome.result["changed_fields"] == ["password"]
    assert writes(existing)[0][2]["password"] == SECRET


def test_check_mode_with_update_password_always_writes_nothing(existing, run_module):
    outcome = run(run_module, {"password": SECRET, "update_password": "always"}, check_mode=True)
    assert outcome.result["changed"] is True and writes(existing) == []


def test_other_node_links_fail_as_create_only(existing, run_module):
    outcome = run(run_module, {"nodes": ["fra1", "fra2"]})
    assert outcome.failed
    assert outcome.result["msg"].startswith(
        "database host 'fra-mariadb': nodes can only be set when it is created (the panel has nodes=[1])"
    )
    assert writes(existing) == []


def test_an_unknown_node_is_named(panel, run_module):
    panel.get(f"{APP}/database-hosts", json=listing("database_host", []))
    outcome = run(run_module, {"host": "h", "username": "u", "nodes": ["nbg1"]})
    assert outcome.failed and outcome.result["msg"] == "nodes: no node 'nbg1' exists on the panel"


def test_bad_port_fails_before_any_request(panel, run_module):
    outcome = run(run_module, {"port": 70000})
    assert outcome.failed and outcome.result["msg"] == "port: must be between 1 and 65535, not 70000"
    assert len(panel.calls) == 0


def test_absent_deletes(existing, run_module):
    existing.delete(f"{APP}/database-hosts/5", status=204)
    outcome = run(run_module, {"state": "absent"})
    assert outcome.result["changed"] is True and writes(existing) == [("DELETE", "database-hosts/5", None)]


def test_pterodactyl_is_refused_before_any_request(panel, run_module):
    outcome = run_module(database_host_module.main, {"name": "x", "panel": "pterodactyl"})
    assert outcome.failed
    assert outcome.result["msg"].startswith(
        "ptero.panel.database_host needs a Pelican panel; this panel is Pterodactyl"
    )
    assert len(panel.calls) == 0


def test_a_panel_without_the_nodes_include_warns_instead_of_failing(panel, run_module):
    panel.get(f"{APP}/database-hosts", json=listing("database_host", [HOST]))
    panel.get(f"{APP}/database-hosts/5", json=item("database_host", HOST))
    panel.patch(f"{APP}/database-hosts/5", json=item("database_host", {**HOST, "port": 3307}))
    outcome = run(run_module, {"nodes": ["fra2"], "port": 3307})
    assert not outcome.failed, outcome.result["msg"]
    assert outcome.result["changed_fields"] == ["port"]
    assert any("nodes was not compared" in warning for warning in outcome.result["warnings"])
    # No node_ids: the links the panel has are not known, so they are not sent.
    assert writes(panel) == [
        ("PATCH", "database-hosts/5", {"name": "fra-mariadb", "host": "10.0.0.20", "port": 3307, "username": "pelican"})
    ]
