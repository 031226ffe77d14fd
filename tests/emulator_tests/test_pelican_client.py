"""Pelican's client API differences the modules use (pelican.md §2.2, §3.5, §3.9): the flat permission list, the
account without id, SSH-key delete by fingerprint (404 when absent), no 2FA routes, pacc_ keys, the per-server
limiters and a command to an offline server answering 204."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

import pytest

from ptero_emulator.config import EmulatorConfig
from ptero_emulator.fixture import (
    TEST_DEFAULTS,
    Api,
    RunningEmulator,
    error_of,
    module_emulator_fixture,
    start_emulator,
)
from ptero_emulator.seed import seed_state
from ptero_emulator.state import State

pelican = module_emulator_fixture(
    "pelican-client", lambda d: start_emulator(d, seed="demo", flavour="pelican", **TEST_DEFAULTS)
)
# Base64 SHA-256 fingerprints: the first has no "/", the second has one (a path segment cannot carry it).
PUBLIC_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIF/s62b/yG842VJ4bG1pbHnC28I53U6RtGcp1zon+1fp pelican@test"
SLASH_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl pelican@test"


@pytest.fixture(scope="module")
def client(pelican: RunningEmulator) -> Api:
    return Api(pelican, "user")


def test_permissions_are_a_flat_list(client: Api) -> None:
    permissions = client.get("/api/client/permissions").json()["attributes"]["permissions"]
    assert isinstance(permissions, list) and len(permissions) == 44
    assert {"control.console", "database.view-password", "mount.read", "settings.description"} <= set(permissions)
    assert "database.view_password" not in permissions


def test_subusers_take_pelican_permission_keys(pelican: RunningEmulator, client: Api) -> None:
    server = client.get("/api/client").json()["data"][0]["attributes"]["identifier"]
    body = {
        "email": "pelican-sub@example.com",
        "permissions": ["settings.description", "database.view-password", "database.view_password"],
    }
    created = client.post(f"/api/client/servers/{server}/users", body)
    assert created.status_code == 200, created.text
    assert created.json()["attributes"]["permissions"] == [
        "settings.description",
        "database.view-password",
        "websocket.connect",
    ]  # unknown keys are dropped
    pelican.clear_rate_limits()


def test_username_change(pelican: RunningEmulator) -> None:
    helper = Api(pelican, "subuser")
    path = "/api/client/account/username"
    wrong = helper.request("PUT", path, json={"username": "x", "password": "nope"})
    assert wrong.status_code == 400 and error_of(wrong)["code"] == "InvalidPasswordProvidedException"
    password = pelican.connection["helper_password"]
    taken = helper.request("PUT", path, json={"username": "Player", "password": password})
    assert taken.status_code == 422
    changed = helper.request("PUT", path, json={"username": "Helper_Two", "password": password})
    assert changed.status_code == 204, changed.text
    assert helper.get("/api/client/account").json()["attributes"]["username"] == "helper_two"


def test_backup_rename_and_server_description(pelican: RunningEmulator, client: Api) -> None:
    server = client.get("/api/client").json()["data"][0]["attributes"]["identifier"]
    backup = client.get(f"/api/client/servers/{server}/backups").json()["data"][0]["attributes"]["uuid"]
    rename = f"/api/client/servers/{server}/backups/{backup}/rename"
    renamed = client.request("PUT", rename, json={"name": "Before 1.21"})
    assert renamed.status_code == 200 and renamed.json()["attributes"]["name"] == "Before 1.21"
    path = f"/api/client/servers/{server}/settings/description"
    assert client.post(path, {"description": "Paper world"}).status_code == 204
    assert client.get(f"/api/client/servers/{server}").json()["attributes"]["description"] == "Paper world"
    pelican.configure(editable_server_descriptions=False)
    try:
        refused = client.post(path, {"description": "x"})
    finally:
        pelican.configure(editable_server_descriptions=True)
    assert refused.status_code == 403 and refused.json() == []


def test_account_has_uuid_and_no_id(client: Api) -> None:
    account = client.get("/api/client/account").json()["attributes"]
    assert "id" not in account and "first_name" not in account and "last_name" not in account
    assert account["username"] == "player" and account["root_admin"] is False and len(account["uuid"]) == 36


def test_two_factor_routes_are_gone(client: Api) -> None:
    response = client.get("/api/client/account/two-factor")
    assert response.status_code == 404
    assert error_of(response)["detail"] == "The route api/client/account/two-factor could not be found."


def test_ssh_key_delete_by_fingerprint(client: Api) -> None:
    created = client.post("/api/client/account/ssh-keys", {"name": "laptop", "public_key": PUBLIC_KEY})
    assert created.status_code == 200, created.text
    fingerprint = created.json()["attributes"]["fingerprint"]
    assert client.post("/api/client/account/ssh-keys/remove", {"fingerprint": fingerprint}).status_code == 404
    assert client.delete(f"/api/client/account/ssh-keys/{fingerprint}").status_code == 204
    assert client.delete(f"/api/client/account/ssh-keys/{fingerprint}").status_code == 404  # not idempotent
    assert client.get("/api/client/account/ssh-keys").json()["data"] == []


def test_ssh_key_with_a_slash_in_its_fingerprint_cannot_be_deleted(client: Api) -> None:
    created = client.post("/api/client/account/ssh-keys", {"name": "desktop", "public_key": SLASH_KEY})
    fingerprint = created.json()["attributes"]["fingerprint"]
    assert "/" in fingerprint
    assert client.delete(f"/api/client/account/ssh-keys/{fingerprint}").status_code == 404
    # Encoded, as a client sends it: Laravel decodes the path before it matches routes, so no route either.
    encoded = client.delete(f"/api/client/account/ssh-keys/{quote(fingerprint, safe='')}")
    assert encoded.status_code == 404 and "could not be found" in error_of(encoded)["detail"]
    assert [k["attributes"]["name"] for k in client.get("/api/client/account/ssh-keys").json()["data"]] == ["desktop"]


def test_new_account_keys_use_pacc(client: Api) -> None:
    created = client.post("/api/client/account/api-keys", {"description": "pelican key"})
    assert created.status_code == 200, created.text
    assert created.json()["attributes"]["identifier"].startswith("pacc_")


def test_per_server_limiter_on_the_websocket_token(pelican: RunningEmulator, client: Api) -> None:
    server = client.get("/api/client").json()["data"][2]["attributes"]["identifier"]
    statuses = [client.get(f"/api/client/servers/{server}/websocket").status_code for _unused in range(6)]
    pelican.clear_rate_limits()
    assert statuses == [200] * 5 + [429]


def test_command_to_an_offline_server_answers_204(client: Api) -> None:
    server = client.get("/api/client").json()["data"][1]["attributes"]["identifier"]
    state = client.get(f"/api/client/servers/{server}/resources").json()["attributes"]["current_state"]
    assert state == "offline"
    assert client.post(f"/api/client/servers/{server}/command", {"command": "say hi"}).status_code == 204


def test_websocket_token_audience_uses_daemon_connect(pelican: RunningEmulator, client: Api) -> None:
    """§3.11: the token's aud names the node's daemon_connect port, not daemon_listen."""
    import base64
    import json

    app = Api(pelican)
    node = app.get("nodes/2").json()["attributes"]
    body = {
        name: node[name]
        for name in (
            "name",
            "fqdn",
            "scheme",
            "memory",
            "memory_overallocate",
            "disk",
            "disk_overallocate",
            "cpu",
            "cpu_overallocate",
            "daemon_listen",
            "daemon_sftp",
            "tags",
        )
    }
    assert app.patch("nodes/2", {**body, "daemon_connect": 443}).status_code == 200
    server = next(
        s["attributes"]["identifier"]
        for s in client.get("/api/client").json()["data"]
        if s["attributes"]["node"] == node["name"]
    )
    token = client.get(f"/api/client/servers/{server}/websocket").json()["data"]["token"]
    payload = token.split(".")[1]
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    assert claims["aud"] == [f"{node['scheme']}://{node['fqdn']}:443"]
    assert claims["scope"] == "websocket" and "user_id" not in claims
    pelican.clear_rate_limits()


def test_rename_ignores_a_description(client: Api) -> None:
    server = client.get("/api/client").json()["data"][1]["attributes"]["identifier"]
    before = client.get(f"/api/client/servers/{server}").json()["attributes"]["description"]
    renamed = client.post(f"/api/client/servers/{server}/settings/rename", {"name": "Creative 2", "description": "x"})
    assert renamed.status_code == 204, renamed.text
    after = client.get(f"/api/client/servers/{server}").json()["attributes"]
    assert (after["name"], after["description"]) == ("Creative 2", before)


def _start_with_failed_reinstall(directory: Path, flavour: str) -> RunningEmulator:
    """Server "Rust Island" left in reinstall_failed."""
    state = State(EmulatorConfig(seed="demo", flavour=flavour))
    seed_state(state, "demo")
    rust = state.find("servers", name="Rust Island")
    assert rust is not None
    rust["status"] = "reinstall_failed"
    state_file = directory / "reinstall-failed.json"
    state.save(str(state_file))
    return start_emulator(directory, seed="demo", state_file=str(state_file), flavour=flavour, **TEST_DEFAULTS)


failed_pelican = module_emulator_fixture("failed-pelican", lambda d: _start_with_failed_reinstall(d, "pelican"))
failed_pterodactyl = module_emulator_fixture("failed-ptero", lambda d: _start_with_failed_reinstall(d, "pterodactyl"))


@pytest.mark.parametrize(("flavour", "status", "installing"), [("pelican", 409, True), ("pterodactyl", 200, False)])
def test_reinstall_failed_counts_as_not_installed(
    request: pytest.FixtureRequest, flavour: str, status: int, installing: bool
) -> None:
    """§3.10: Pelican's isInstalled() treats reinstall_failed like install_failed; Pterodactyl let it through."""
    emulator: RunningEmulator = request.getfixturevalue(f"failed_{flavour}")
    client = Api(emulator, "user")
    rust = next(
        s["attributes"] for s in client.get("/api/client").json()["data"] if s["attributes"]["name"] == "Rust Island"
    )
    assert rust["is_installing"] is installing
    response = client.get(f"/api/client/servers/{rust['identifier']}/startup")
    assert response.status_code == status, response.text
    if status == 409:
        assert "has not yet completed its installation process" in error_of(response)["detail"]


def test_client_server_object(pelican: RunningEmulator, client: Api) -> None:
    """§3.5: sftp_details.alias and limits.oom_killer; no description while descriptions are not editable."""
    server = client.get("/api/client").json()["data"][0]["attributes"]
    assert "alias" in server["sftp_details"] and server["limits"]["oom_killer"] is False
    pelican.configure(editable_server_descriptions=False)
    try:
        hidden = client.get(f"/api/client/servers/{server['identifier']}").json()["attributes"]
    finally:
        pelican.configure(editable_server_descriptions=True)
    assert "description" not in hidden
