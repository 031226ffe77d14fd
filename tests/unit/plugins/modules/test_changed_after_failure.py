"""A write that happened is reported as a change whatever fails after it (issue 17, B2 and B3): a server created
and then not installed in time (or failed), a backup created / locked / restoring and then not finished. Also:
a failed backup is never restored (issue 12), and the restore message names the server once."""

from __future__ import annotations

import json

import pytest
import responses

from ansible_collections.ptero.panel.plugins.modules import backup as backup_module
from ansible_collections.ptero.panel.plugins.modules import server as server_module
from ansible_collections.ptero.panel.tests.unit.envelopes import item, listing

PANEL = "https://panel.example.test"
APP = f"{PANEL}/api/application"
CLIENT = f"{PANEL}/api/client"
UUID = "1a7ce997-259b-452e-8b4e-cecc464142ca"


# ----------------------------------------------------------------------------------------------- server (B2)

NEW_SERVER = {
    "id": 9,
    "external_id": None,
    "uuid": UUID,
    "identifier": "1a7ce997",
    "name": "fresh",
    "description": "",
    "status": "installing",
    "suspended": False,
    "user": 2,
    "node": 1,
    "allocation": 41,
    "nest": 1,
    "egg": 3,
    "limits": {"memory": 1024, "swap": 0, "disk": 5000, "io": 500, "cpu": 0, "threads": None, "oom_disabled": True},
    "feature_limits": {"databases": 0, "allocations": 0, "backups": 0},
    "container": {"startup_command": "run", "image": "img", "installed": 0, "environment": {}},
    "relationships": {"allocations": {"object": "list", "data": []}},
}
EGG = item(
    "egg",
    {
        "id": 3,
        "nest": 1,
        "name": "Paper",
        "docker_image": "img",
        "docker_images": {"Java": "img"},
        "startup": "run",
        "relationships": {"variables": {"object": "list", "data": []}},
    },
)


def app_panel_with(status):
    """A panel where the server does not exist until the POST; afterwards it is found, and reads as `status`."""
    created = []

    def lookup(request):
        return 200, {"Content-Type": "application/json"}, json.dumps(listing("server", [NEW_SERVER] if created else []))

    def create(request):
        created.append(json.loads(request.body))
        return 201, {"Content-Type": "application/json"}, json.dumps(item("server", NEW_SERVER))

    mock = responses.RequestsMock(assert_all_requests_are_fired=False)
    mock.add_callback(responses.GET, f"{APP}/servers", callback=lookup)
    mock.add_callback(responses.POST, f"{APP}/servers", callback=create)
    mock.get(f"{APP}/users/2", json=item("user", {"id": 2, "username": "owner"}))
    mock.get(f"{APP}/nests/1", json=item("nest", {"id": 1, "name": "Minecraft"}))
    mock.get(f"{APP}/nests/1/eggs/3", json=EGG)
    mock.get(f"{APP}/servers/9", json=item("server", {**NEW_SERVER, "status": status}))
    return mock


def server_args(**extra):
    return {
        "name": "fresh",
        "owner": "2",
        "nest": "1",
        "egg": "3",
        "allocation": "41",
        "limits": {"memory": 1024, "disk": 5000},
        "wait": True,
        "wait_timeout": 0,
        **extra,
    }


def test_server_created_but_install_wait_times_out_is_changed(run_module):
    with app_panel_with("installing"):
        outcome = run_module(server_module.main, server_args())
    assert outcome.failed and outcome.result["changed"] is True
    assert outcome.result["msg"] == (
        "Timed out after 0s waiting for server 'fresh' to finish installing; last seen: "
        "status 'installing'. Already done before this failure: created the server"
    )


def test_server_created_but_install_failed_is_changed(run_module):
    with app_panel_with("install_failed"):
        outcome = run_module(server_module.main, server_args(wait_timeout=30))
    assert outcome.failed and outcome.result["changed"] is True
    assert outcome.result["msg"] == (
        "server 'fresh' failed to install (status install_failed). Already done before this failure: created the server"
    )


# ----------------------------------------------------------------------------------------------- backup (B3)

SERVER = {
    "identifier": "1a7ce997",
    "uuid": UUID,
    "internal_id": 9,
    "name": "Survival",
    "feature_limits": {"databases": 0, "allocations": 0, "backups": 3},
}
BACKUPS = f"{CLIENT}/servers/{UUID}/backups"
RUNNING = {
    "uuid": "b0000000-0000-4000-8000-000000000001",
    "name": "nightly",
    "ignored_files": [],
    "is_successful": False,
    "is_locked": False,
    "checksum": None,
    "bytes": 0,
    "created_at": "2026-01-01T00:00:00+00:00",
    "completed_at": None,
}
DONE = {**RUNNING, "is_successful": True, "completed_at": "2026-01-01T00:01:00+00:00", "bytes": 10}
FAILED = {**RUNNING, "is_successful": False, "completed_at": "2026-01-01T00:01:00+00:00"}


@pytest.fixture
def client_panel():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.get(f"{CLIENT}/servers/1a7ce997", json=item("server", SERVER))
        yield mock


def backup_args(**extra):
    return {"server": "1a7ce997", "name": "nightly", "wait": True, "wait_timeout": 0, **extra}


def writes(panel):
    return [
        (call.request.method, call.request.url.replace(CLIENT, ""))
        for call in panel.calls
        if call.request.method != "GET"
    ]


def test_backup_created_but_wait_times_out_is_changed(client_panel, run_module):
    client_panel.get(BACKUPS, json=listing("backup", []))
    client_panel.post(BACKUPS, json=item("backup", RUNNING))
    client_panel.get(f"{BACKUPS}/{RUNNING['uuid']}", json=item("backup", RUNNING))
    outcome = run_module(backup_module.main, backup_args())
    assert outcome.failed and outcome.result["changed"] is True
    assert outcome.result["msg"] == (
        "Timed out after 0s waiting for backup 'nightly' of server 'Survival' to finish; "
        "last seen: still running. Already done before this failure: created the backup"
    )


def test_backup_created_but_failed_on_the_node_is_changed(client_panel, run_module):
    client_panel.get(BACKUPS, json=listing("backup", []))
    client_panel.post(BACKUPS, json=item("backup", RUNNING))
    client_panel.get(f"{BACKUPS}/{RUNNING['uuid']}", json=item("backup", FAILED))
    outcome = run_module(backup_module.main, backup_args(wait_timeout=30))
    assert outcome.failed and outcome.result["changed"] is True
    assert outcome.result["msg"] == (
        "backup 'nightly' of server 'Survival' failed on the node. Already done before this failure: created the backup"
    )


def test_backup_locked_but_wait_times_out_is_changed(client_panel, run_module):
    client_panel.get(BACKUPS, json=listing("backup", [RUNNING]))
    client_panel.post(f"{BACKUPS}/{RUNNING['uuid']}/lock", json=item("backup", {**RUNNING, "is_locked": True}))
    client_panel.get(f"{BACKUPS}/{RUNNING['uuid']}", json=item("backup", RUNNING))
    outcome = run_module(backup_module.main, backup_args(locked=True))
    assert outcome.failed and outcome.result["changed"] is True
    assert outcome.result["msg"].endswith("Already done before this failure: locked the backup")


def test_restore_started_but_wait_times_out_is_changed_and_names_the_server_once(client_panel, run_module):
    client_panel.get(BACKUPS, json=listing("backup", [DONE]))
    client_panel.post(f"{BACKUPS}/{DONE['uuid']}/restore", status=204)
    client_panel.get(f"{CLIENT}/servers/{UUID}", json=item("server", {**SERVER, "status": "restoring_backup"}))
    outcome = run_module(backup_module.main, backup_args(state="restored"))
    assert outcome.failed and outcome.result["changed"] is True
    assert outcome.result["msg"] == (
        "Timed out after 0s waiting for the server to finish restoring backup 'nightly' of server 'Survival'; "
        "last seen: status 'restoring_backup'. Already done before this failure: started restoring the backup"
    )
    assert outcome.result["msg"].count("Survival") == 1


def test_a_failed_backup_is_not_restored(client_panel, run_module):
    client_panel.get(BACKUPS, json=listing("backup", [FAILED]))
    outcome = run_module(backup_module.main, backup_args(state="restored"))
    assert outcome.failed and not outcome.result.get("changed")
    assert outcome.result["msg"] == (
        f"Cannot restore backup 'nightly' of server 'Survival': it failed on the node "
        f"(uuid {FAILED['uuid']}), and a failed backup cannot be restored; create a new backup"
    )
    assert writes(client_panel) == []


def test_a_running_backup_that_then_fails_is_not_restored(client_panel, run_module):
    client_panel.get(BACKUPS, json=listing("backup", [RUNNING]))
    client_panel.get(f"{BACKUPS}/{RUNNING['uuid']}", json=item("backup", FAILED))
    outcome = run_module(backup_module.main, backup_args(state="restored", wait_timeout=30))
    assert outcome.failed and "a failed backup cannot be restored" in outcome.result["msg"]
    assert writes(client_panel) == []


def test_the_1_14_refusal_reads_like_the_local_one(client_panel, run_module):
    client_panel.get(BACKUPS, json=listing("backup", [DONE]))
    client_panel.post(
        f"{BACKUPS}/{DONE['uuid']}/restore",
        status=400,
        json={
            "errors": [
                {
                    "code": "BadRequestHttpException",
                    "status": "400",
                    "detail": "This backup cannot be restored at this time: not completed or failed.",
                }
            ]
        },
    )
    outcome = run_module(backup_module.main, backup_args(state="restored"))
    assert outcome.failed and not outcome.result.get("changed")
    assert outcome.result["msg"].startswith(
        "Cannot restore backup 'nightly' of server 'Survival': it failed on the node"
    )


def test_check_mode_restore_of_a_failed_backup_fails_too(client_panel, run_module):
    client_panel.get(BACKUPS, json=listing("backup", [FAILED]))
    outcome = run_module(backup_module.main, backup_args(state="restored"), check_mode=True)
    assert outcome.failed and "cannot be restored" in outcome.result["msg"]


# ----------------------------------------------------------------------------------------- startup (audit)


def test_startup_variable_refused_after_another_was_set_is_changed(client_panel, run_module):
    from ansible_collections.ptero.panel.plugins.modules import startup as startup_module

    def variable(name, value):
        return {
            "name": name,
            "env_variable": name,
            "server_value": value,
            "default_value": "",
            "is_editable": True,
            "rules": "nullable|string",
            "description": "",
        }

    startup = f"{CLIENT}/servers/{UUID}/startup"
    client_panel.get(
        startup,
        json={
            "object": "list",
            "data": [
                item("egg_variable", variable("BUILD_NUMBER", "1")),
                item("egg_variable", variable("MINECRAFT_VERSION", "1.20")),
            ],
            "meta": {"startup_command": "run"},
        },
    )
    client_panel.put(f"{startup}/variable", json=item("egg_variable", variable("BUILD_NUMBER", "2")))
    client_panel.put(
        f"{startup}/variable",
        status=422,
        json={
            "errors": [
                {
                    "code": "ValidationException",
                    "status": "422",
                    "detail": "The value format is invalid.",
                    "meta": {"source_field": "value", "rule": "regex"},
                }
            ]
        },
    )
    outcome = run_module(
        startup_module.main,
        {"server": "1a7ce997", "variables": {"BUILD_NUMBER": "2", "MINECRAFT_VERSION": "bad value!"}},
    )
    assert outcome.failed and outcome.result["changed"] is True
    assert outcome.result["msg"].startswith("Could not set MINECRAFT_VERSION of server 'Survival': PUT ")
    assert outcome.result["msg"].endswith("Already done before this failure: set BUILD_NUMBER")
