"""Issue 17, B1/B5/B6: server_database leaves an unset `remote` alone; server_settings sends a rename only when the
name or description differs, and a rename by name can run again."""

from __future__ import annotations

import json

import pytest
import responses

from ansible_collections.ptero.panel.plugins.modules import server_database as server_database_module
from ansible_collections.ptero.panel.plugins.modules import server_settings as server_settings_module
from ansible_collections.ptero.panel.tests.unit.envelopes import item, listing

PANEL = "https://panel.example.test"
APP = f"{PANEL}/api/application"
CLIENT = f"{PANEL}/api/client"
UUID = "1a7ce997-259b-452e-8b4e-cecc464142ca"


@pytest.fixture
def panel():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


def sent(panel):
    return [
        (
            call.request.method,
            call.request.url.split("/api/")[1].split("?")[0],
            json.loads(call.request.body) if call.request.body else None,
        )
        for call in panel.calls
        if call.request.method != "GET"
    ]


# ------------------------------------------------------------------------------------------ server_database (B1)

APP_SERVER = {"id": 7, "external_id": None, "uuid": UUID, "identifier": "1a7ce997", "name": "rp2"}
DATABASE = {
    "id": 1,
    "server": 7,
    "host": 1,
    "database": "s7_luckperms",
    "username": "u7_x",
    "remote": "10.0.0.%",
    "max_connections": 0,
}


@pytest.fixture
def app_panel(panel):
    panel.get(f"{APP}/servers/7", json=item("server", APP_SERVER))
    panel.get(f"{APP}/servers/7/databases", json=listing("server_database", [DATABASE]))
    panel.get(f"{APP}/servers/7/databases/1", json=item("server_database", DATABASE))
    panel.post(f"{APP}/servers/7/databases/1/reset-password", status=204)
    return panel


def test_rotate_without_remote_leaves_a_non_default_remote_alone(app_panel, run_module):
    outcome = run_module(server_database_module.main, {"server": "7", "database": "luckperms", "rotate_password": True})
    assert not outcome.failed, outcome.result["msg"]
    assert outcome.result["changed"] is True
    assert [(method, path) for method, path, _body in sent(app_panel)] == [
        ("POST", "application/servers/7/databases/1/reset-password")
    ]


def test_present_without_remote_is_ok(app_panel, run_module):
    outcome = run_module(server_database_module.main, {"server": "7", "database": "luckperms"})
    assert not outcome.failed and outcome.result["changed"] is False


def test_a_different_remote_given_still_fails_as_create_only(app_panel, run_module):
    outcome = run_module(server_database_module.main, {"server": "7", "database": "luckperms", "remote": "%"})
    assert outcome.failed
    assert outcome.result["msg"].startswith(
        "database 's7_luckperms' of server 'rp2': remote can only be set when it "
        "is created (the panel has remote='10.0.0.%')"
    )


def test_create_without_remote_uses_percent(app_panel, run_module):
    app_panel.replace(responses.GET, f"{APP}/servers/7/databases", json=listing("server_database", []))
    app_panel.post(f"{APP}/servers/7/databases", json=item("server_database", {**DATABASE, "id": 2}))
    app_panel.get(f"{APP}/servers/7/databases/2", json=item("server_database", {**DATABASE, "id": 2, "remote": "%"}))
    outcome = run_module(server_database_module.main, {"server": "7", "database": "luckperms", "host": 1})
    assert outcome.result["changed"] is True
    (create,) = [body for method, path, body in sent(app_panel) if path.endswith("/databases")]
    assert create == {"database": "luckperms", "remote": "%", "host": 1}


# ----------------------------------------------------------------------------------------- server_settings (B5, B6)

CLIENT_SERVER = {
    "identifier": "1a7ce997",
    "uuid": UUID,
    "internal_id": 7,
    "name": "rp2 Survival",
    "description": "Main world",
    "docker_image": "ghcr.io/pterodactyl/yolks:java_17",
    "status": None,
}
STARTUP_META = {
    "startup_command": "x",
    "docker_images": {"Java 17": "ghcr.io/pterodactyl/yolks:java_17", "Java 21": "ghcr.io/pterodactyl/yolks:java_21"},
}


@pytest.fixture
def client_panel(panel):
    panel.get(f"{CLIENT}/servers/1a7ce997", json=item("server", CLIENT_SERVER))
    panel.get(f"{CLIENT}/servers/{UUID}", json=item("server", CLIENT_SERVER))
    panel.get(f"{CLIENT}/servers/{UUID}/startup", json={**listing("egg_variable", []), "meta": STARTUP_META})
    panel.post(f"{CLIENT}/servers/{UUID}/settings/rename", status=204)
    panel.put(f"{CLIENT}/servers/{UUID}/settings/docker-image", status=204)
    return panel


def test_matching_name_and_description_send_no_rename(client_panel, run_module):
    outcome = run_module(
        server_settings_module.main,
        {"server": "1a7ce997", "name": "rp2 Survival", "description": "Main world", "docker_image": "Java 21"},
    )
    assert outcome.result["changed_fields"] == ["docker_image"]
    assert [(method, path) for method, path, _body in sent(client_panel)] == [
        ("PUT", f"client/servers/{UUID}/settings/docker-image")
    ]


def test_a_description_change_keeps_the_name(client_panel, run_module):
    run_module(server_settings_module.main, {"server": "1a7ce997", "name": "rp2 Survival", "description": "New"})
    assert sent(client_panel) == [
        ("POST", f"client/servers/{UUID}/settings/rename", {"name": "rp2 Survival", "description": "New"})
    ]


def test_a_name_change_leaves_the_description_out(client_panel, run_module):
    run_module(server_settings_module.main, {"server": "1a7ce997", "name": "rp3", "description": "Main world"})
    assert sent(client_panel) == [("POST", f"client/servers/{UUID}/settings/rename", {"name": "rp3"})]


def test_a_rename_by_name_can_run_again(panel, run_module):
    # Run 2 of `server: rp2, name: rp2 Survival`: no server 'rp2' any more, one server already carries the new name.
    def lookup(request):
        wanted = request.params.get("filter[name]")
        found = [CLIENT_SERVER] if wanted == "rp2 Survival" else []
        return 200, {"Content-Type": "application/json"}, json.dumps(listing("server", found))

    panel.add_callback(responses.GET, CLIENT, callback=lookup)
    outcome = run_module(server_settings_module.main, {"server": "rp2", "name": "rp2 Survival"})
    assert not outcome.failed, outcome.result["msg"]
    assert outcome.result["changed"] is False and sent(panel) == []


def test_neither_name_found_names_both(panel, run_module):
    panel.get(CLIENT, json=listing("server", []))
    outcome = run_module(server_settings_module.main, {"server": "rp2", "name": "rp2 Survival"})
    assert outcome.failed
    assert (
        outcome.result["msg"] == "server: no server 'rp2' visible to this API key, nor one already named 'rp2 Survival'"
    )
