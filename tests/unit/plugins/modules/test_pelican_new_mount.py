"""The Pelican-only mount module: a missing mount fails (the API cannot create one), updates send the whole mount,
attachments are read before attaching (a re-attach answers 500) and only the difference is sent, check/diff mode."""

from __future__ import annotations

import json

import pytest
import responses

from ansible_collections.ptero.panel.plugins.modules import mount as mount_module
from ansible_collections.ptero.panel.tests.unit.envelopes import item, listing

PANEL = "https://panel.example.test"
APP = f"{PANEL}/api/application"
PELICAN_KEY = "papp_unittestkey" + "x" * 32
MOUNT = {
    "id": 4,
    "uuid": "6f1b2c3d-0000-4000-8000-000000000004",
    "name": "maps",
    "description": "Shared maps",
    "source": "/srv/maps",
    "target": "/maps",
    "read_only": False,
    "user_mountable": False,
}
NODE_1 = {"id": 1, "name": "fra1"}
NODE_2 = {"id": 2, "name": "fra2"}
PAPER = {"id": 3, "uuid": "5c2d1c50-8a64-4f4e-9a8e-0f6d3b1e7a21", "name": "Paper"}
FORGE = {"id": 6, "uuid": "7d3e2d61-9b75-4a5f-8b9f-1a7e4c2f8b32", "name": "Forge"}


@pytest.fixture
def panel():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.get(f"{APP}/mounts", json=listing("mount", [MOUNT]))
        mock.get(f"{APP}/nodes", json=listing("node", [NODE_1, NODE_2]))
        mock.get(f"{APP}/nodes/1", json=item("node", NODE_1))
        mock.get(f"{APP}/nodes/2", json=item("node", NODE_2))
        mock.get(f"{APP}/eggs", json={"object": "list", "data": [item("egg", PAPER), item("egg", FORGE)]})
        mock.get(f"{APP}/mounts/4/nodes", json={"object": "list", "data": [item("node", NODE_1)]})
        mock.get(f"{APP}/mounts/4/eggs", json={"object": "list", "data": [item("egg", PAPER)]})
        yield mock


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
    return run_module(mount_module.main, {"api_key": PELICAN_KEY, "name": "maps", **args}, **kwargs)


def test_a_missing_mount_fails_and_says_to_create_it_in_the_ui(panel, run_module):
    panel.replace(responses.GET, f"{APP}/mounts", json=listing("mount", []))
    for check_mode in (False, True):
        outcome = run(run_module, {"source": "/srv/maps", "target": "/maps"}, check_mode=check_mode)
        assert outcome.failed
        assert "create it in the panel UI first" in outcome.result["msg"]
        assert outcome.result.get("changed") is not True
    assert writes(panel) == []


def test_same_mount_and_attachments_is_no_change(panel, run_module):
    outcome = run(run_module, {"source": "/srv/maps", "read_only": False, "nodes": ["fra1"], "eggs": ["Paper"]})
    assert not outcome.failed, outcome.result["msg"]
    assert outcome.result["changed"] is False and writes(panel) == []
    assert outcome.result["mount"]["nodes"] == [1] and outcome.result["mount"]["eggs"] == [3]


def test_update_sends_the_whole_mount(panel, run_module):
    panel.patch(f"{APP}/mounts/4", json=item("mount", {**MOUNT, "read_only": True}))
    outcome = run(run_module, {"read_only": True}, diff=True)
    assert outcome.result["changed"] is True and outcome.result["changed_fields"] == ["read_only"]
    assert writes(panel) == [
        (
            "PATCH",
            "mounts/4",
            {
                "name": "maps",
                "description": "Shared maps",
                "source": "/srv/maps",
                "target": "/maps",
                "read_only": True,
                "user_mountable": False,
            },
        )
    ]
    assert (
        outcome.result["diff"]["before"]["read_only"] is False and outcome.result["diff"]["after"]["read_only"] is True
    )


def test_only_missing_attachments_are_attached_and_extra_ones_detached(panel, run_module):
    panel.post(f"{APP}/mounts/4/nodes", json=item("mount", MOUNT))
    panel.delete(f"{APP}/mounts/4/eggs/3", status=204)
    panel.post(f"{APP}/mounts/4/eggs", json=item("mount", MOUNT))
    outcome = run(run_module, {"nodes": ["fra1", "fra2"], "eggs": [FORGE["uuid"]]}, diff=True)
    assert not outcome.failed, outcome.result["msg"]
    assert outcome.result["changed"] is True
    assert writes(panel) == [
        ("POST", "mounts/4/eggs", {"eggs": [6]}),
        ("DELETE", "mounts/4/eggs/3", None),
        ("POST", "mounts/4/nodes", {"nodes": [2]}),
    ]
    assert outcome.result["mount"]["nodes"] == [1, 2] and outcome.result["mount"]["eggs"] == [6]
    assert outcome.result["diff"]["before"]["eggs"] == [3] and outcome.result["diff"]["after"]["eggs"] == [6]


def test_append_detaches_nothing(panel, run_module):
    panel.post(f"{APP}/mounts/4/eggs", json=item("mount", MOUNT))
    outcome = run(run_module, {"eggs": ["Forge"], "append": True})
    assert writes(panel) == [("POST", "mounts/4/eggs", {"eggs": [6]})]
    assert outcome.result["mount"]["eggs"] == [3, 6]


def test_an_empty_list_detaches_all(panel, run_module):
    panel.delete(f"{APP}/mounts/4/nodes/1", status=204)
    outcome = run(run_module, {"nodes": []})
    assert outcome.result["changed"] is True and writes(panel) == [("DELETE", "mounts/4/nodes/1", None)]


def test_check_mode_reports_attachments_without_writing(panel, run_module):
    outcome = run(run_module, {"nodes": ["fra2"], "read_only": True}, check_mode=True, diff=True)
    assert outcome.result["changed"] is True and writes(panel) == []
    assert outcome.result["diff"]["after"]["nodes"] == [2] and outcome.result["diff"]["after"]["read_only"] is True


def test_an_unknown_egg_is_named_before_any_write(panel, run_module):
    outcome = run(run_module, {"eggs": ["Nope"], "read_only": True})
    assert outcome.failed and outcome.result["msg"] == "eggs: no egg 'Nope' exists on the panel"
    # Resolved before the mount update: nothing half-done.
    assert outcome.result.get("changed") is not True and writes(panel) == []


def test_absent_deletes_the_mount(panel, run_module):
    panel.delete(f"{APP}/mounts/4", status=204)
    outcome = run(run_module, {"state": "absent"})
    assert outcome.result["changed"] is True and writes(panel) == [("DELETE", "mounts/4", None)]


def test_pterodactyl_is_refused_before_any_request(panel, run_module):
    outcome = run_module(mount_module.main, {"name": "maps", "panel": "pterodactyl"})
    assert outcome.failed and "ptero.panel.mount needs a Pelican panel" in outcome.result["msg"]
    assert len(panel.calls) == 0
