"""The node module on today's panels (issue 12): a change the panel saved while Wings was unreachable is reported
(D-C1), `description` is managed on 1.12+ and refused clearly on 1.11, `upload_size` has no local upper bound, and
a key without node write access asking for the configuration is told which permission it lacks (1.13+)."""

from __future__ import annotations

import json

import pytest
import responses

from ansible_collections.ptero.panel.plugins.modules import node as node_module
from ansible_collections.ptero.panel.tests.unit.envelopes import listing

APP = "https://panel.example.test/api/application"
JSON = {"Content-Type": "application/json"}
NODE = {
    "id": 3,
    "uuid": "n",
    "name": "fra1-node1",
    "description": None,
    "location_id": 1,
    "fqdn": "node1.example.com",
    "scheme": "https",
    "behind_proxy": False,
    "public": True,
    "maintenance_mode": False,
    "memory": 65536,
    "memory_overallocate": 0,
    "disk": 512000,
    "disk_overallocate": 0,
    "upload_size": 100,
    "daemon_listen": 8080,
    "daemon_sftp": 2022,
    "daemon_base": "/srv/wings",
}
NOT_PERSISTED = {
    "errors": [
        {
            "code": "ConfigurationNotPersistedException",
            "status": "400",
            "detail": (
                "The daemon configuration has been updated, however there was an error encountered while attempting to "
                "automatically update the configuration file on the Daemon. You will need to manually update the "
                "configuration file (config.yml) for the daemon to apply these changes."
            ),
        }
    ]
}


def node(**changes):
    return {"object": "node", "attributes": {**NODE, **changes}}


@pytest.fixture
def panel():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


def patches(panel):
    return [json.loads(call.request.body) for call in panel.calls if call.request.method == "PATCH"]


def test_a_change_saved_without_wings_is_changed_and_says_how_to_push_it(panel, run_module):
    saved = []

    def node_list(request):
        return 200, JSON, json.dumps(listing("node", [{**NODE, "fqdn": "new.example.com"}] if saved else [NODE]))

    def update(request):
        saved.append(json.loads(request.body))
        return 400, JSON, json.dumps(NOT_PERSISTED)

    panel.add_callback(responses.GET, f"{APP}/nodes", callback=node_list)
    panel.add_callback(responses.PATCH, f"{APP}/nodes/3", callback=update)
    outcome = run_module(node_module.main, {"name": "fra1-node1", "fqdn": "new.example.com"})
    assert outcome.failed and outcome.result.get("changed") is True, outcome.result
    msg = outcome.result["msg"]
    assert msg.startswith(
        "node 'fra1-node1': the panel saved the change, but Wings (https://new.example.com:8080) "
        "did not get its new configuration (ConfigurationNotPersistedException)"
    )
    assert "running this task again will not send it" in msg
    assert "save the node in the admin area" in msg and "wings configure" in msg and "--node 3" in msg
    assert msg.endswith("Already done before this failure: saved fqdn in the panel, not in Wings")
    assert outcome.result["node"]["fqdn"] == "new.example.com"
    assert len(saved) == 1  # not retried: a POST/PATCH is never sent twice


def test_description_is_sent_and_compared_on_1_12(panel, run_module):
    panel.get(f"{APP}/nodes", json=listing("node", [NODE]))
    panel.patch(f"{APP}/nodes/3", json=node(description="rack 3"))
    outcome = run_module(node_module.main, {"name": "fra1-node1", "description": "rack 3"})
    assert not outcome.failed and outcome.result["changed_fields"] == ["description"]
    (body,) = patches(panel)
    assert body["description"] == "rack 3" and body["daemon_base"] == "/srv/wings"


def test_description_already_right_sends_nothing(panel, run_module):
    panel.get(f"{APP}/nodes", json=listing("node", [{**NODE, "description": "rack 3"}]))
    outcome = run_module(node_module.main, {"name": "fra1-node1", "description": "rack 3"})
    assert outcome.result["changed"] is False and patches(panel) == []


def test_description_left_out_is_not_sent(panel, run_module):
    panel.get(f"{APP}/nodes", json=listing("node", [{**NODE, "description": "rack 3"}]))
    panel.patch(f"{APP}/nodes/3", json=node(description="rack 3", memory=1024))
    run_module(node_module.main, {"name": "fra1-node1", "memory": 1024})
    (body,) = patches(panel)
    assert "description" not in body


def test_description_ignored_by_a_1_11_panel_fails_without_a_change(panel, run_module):
    panel.get(f"{APP}/nodes", json=listing("node", [NODE]))
    panel.patch(f"{APP}/nodes/3", json=node())  # 1.11 drops the field it does not know
    outcome = run_module(node_module.main, {"name": "fra1-node1", "description": "rack 3"})
    assert outcome.failed and not outcome.result.get("changed")
    assert outcome.result["msg"] == (
        "description: the panel did not store the description of node 'fra1-node1' (it still has None); setting it "
        "through the API needs Pterodactyl panel 1.12.0 or later. Set it in the admin area, or leave description out"
    )


def test_description_ignored_with_other_changes_is_a_change_and_fails(panel, run_module):
    panel.get(f"{APP}/nodes", json=listing("node", [NODE]))
    panel.patch(f"{APP}/nodes/3", json=node(memory=1024))
    outcome = run_module(node_module.main, {"name": "fra1-node1", "description": "rack 3", "memory": 1024})
    assert outcome.failed and outcome.result["changed"] is True
    assert outcome.result["msg"].startswith("description: the panel did not store the description")


def test_upload_size_over_1024_is_sent(panel, run_module):
    panel.get(f"{APP}/nodes", json=listing("node", [NODE]))
    panel.patch(f"{APP}/nodes/3", json=node(upload_size=4096))
    outcome = run_module(node_module.main, {"name": "fra1-node1", "upload_size": 4096})
    assert not outcome.failed
    assert patches(panel)[0]["upload_size"] == 4096


def test_configuration_with_a_read_only_key_names_the_permission(panel, run_module):
    panel.get(f"{APP}/nodes", json=listing("node", [NODE]))
    panel.get(
        f"{APP}/nodes/3/configuration",
        status=403,
        json={
            "errors": [{"code": "AccessDeniedHttpException", "status": "403", "detail": "This action is unauthorized."}]
        },
    )
    outcome = run_module(node_module.main, {"name": "fra1-node1", "wings_configuration": True})
    assert outcome.failed and not outcome.result.get("changed")
    assert outcome.result["msg"].startswith(
        "Could not read the Wings configuration of node 'fra1-node1': this application API key lacks write access "
        "to nodes, which panel 1.13 and later require for the node configuration; use a key with Nodes: Read & Write"
    )


def test_a_create_answered_with_not_persisted_is_still_a_creation(panel, run_module):
    # Panels up to 1.14 do not contact Wings on create; should one, the node exists and the task must say so.
    created = []

    def node_list(request):
        return 200, JSON, json.dumps(listing("node", [NODE] if created else []))

    def create(request):
        created.append(json.loads(request.body))
        return 400, JSON, json.dumps(NOT_PERSISTED)

    panel.add_callback(responses.GET, f"{APP}/nodes", callback=node_list)
    panel.add_callback(responses.POST, f"{APP}/nodes", callback=create)
    panel.get(f"{APP}/locations/1", json={"object": "location", "attributes": {"id": 1, "short": "fra1"}})
    outcome = run_module(
        node_module.main,
        {"name": "fra1-node1", "location": "1", "fqdn": "node1.example.com", "memory": 65536, "disk": 512000},
    )
    assert outcome.failed and outcome.result["changed"] is True
    assert "the panel saved the change, but Wings" in outcome.result["msg"]
    assert outcome.result["msg"].endswith("Already done before this failure: created the node in the panel")
    assert len(created) == 1
