"""Client API: server list, server details, the 404/409 gate, permissions, resources, power, console, websocket and
server activity."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from client_helpers import ClientEnv, add_extra_server, add_subuser, assert_error, start_client_env

from ptero_emulator.state import State

SUSPENDED = "This server is currently suspended and the functionality requested is unavailable."
MAINTENANCE = "The node of this server is currently under maintenance and the functionality requested is unavailable."
INSTALLING = "This server has not yet completed its installation process, please try again later."
RESTORING = "This server is currently restoring from a backup, please try again later."


def _prepare(state: State) -> dict[str, Any]:
    suspended = add_extra_server(state, "Suspended", status="suspended")
    installing = add_extra_server(state, "Installing", status="install_failed")
    restoring = add_extra_server(state, "Restoring", status="restoring_backup")
    reinstall_failed = add_extra_server(state, "Reinstall failed", status="reinstall_failed")
    maintenance_node = state.find("nodes", name="nyc-node-1")
    maintenance_node["maintenance_mode"] = True
    on_maintenance = state.find("servers", name="Rust Island")
    # A subuser who holds nothing but what is always added, and one without even websocket.connect.
    survival = state.find("servers", name="Survival")
    add_subuser(state, "watcher", survival, [])
    schedule = state.select("schedules", server_id=survival["id"])[0]
    return {
        "suspended": suspended["uuid_short"],
        "installing": installing["uuid_short"],
        "restoring": restoring["uuid_short"],
        "reinstall_failed": reinstall_failed["uuid_short"],
        "maintenance": on_maintenance["uuid_short"],
        "schedule_id": schedule["id"],
        "_extra_keys": {"watcher": "watcher"},
    }


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ClientEnv]:
    environment = start_client_env(
        tmp_path_factory.mktemp("client-servers"), _prepare, extra={"resources_cache_seconds": 0}
    )
    try:
        yield environment
    finally:
        environment.emulator.stop()


def _names(response: Any) -> list[str]:
    assert response.status_code == 200, response.text
    return [entry["attributes"]["name"] for entry in response.json()["data"]]


# ---------------------------------------------------------------------------------------------------- list
def test_list_shows_owned_and_subuser_servers(env: ClientEnv) -> None:
    player = _names(env.get("/api/client", "player"))
    assert {"Survival", "Creative", "Rust Island", "Suspended"} <= set(player)
    assert _names(env.get("/api/client", "helper")) == ["Survival"]
    assert _names(env.get("/api/client", "helper", params={"type": "owner"})) == []
    assert _names(env.get("/api/client", "stranger")) == []


def test_list_admin_types(env: ClientEnv) -> None:
    everything = _names(env.get("/api/client", "admin", params={"type": "admin-all"}))
    assert len(everything) == 7
    assert _names(env.get("/api/client", "admin", params={"type": "admin"})) == everything  # admin has no own servers
    assert _names(env.get("/api/client", "admin")) == []
    assert _names(env.get("/api/client", "player", params={"type": "admin-all"})) == []


def test_list_filters(env: ClientEnv) -> None:
    assert _names(env.get("/api/client", params={"filter[name]": "surv"})) == ["Survival"]
    assert _names(env.get("/api/client", params={"filter[*]": "10.0.1.10"})) == ["Rust Island"]
    assert _names(env.get("/api/client", params={"filter[*]": ":2801"})) == ["Rust Island"]
    assert _names(env.get("/api/client", params={"filter[*]": env.facts["survival"]})) == ["Survival"]
    assert _names(env.get("/api/client", params={"filter[*]": "ISLAND"})) == ["Rust Island"]
    response = env.get("/api/client", params={"filter[owner]": "x"})
    assert_error(response, 400, "InvalidFilterQuery")


def test_list_pagination_keeps_query_and_caps_per_page(env: ClientEnv) -> None:
    body = env.get("/api/client", params={"per_page": 2, "filter[description]": ""}).json()
    pagination = body["meta"]["pagination"]
    assert pagination["per_page"] == 2 and pagination["count"] == 2 and pagination["current_page"] == 1
    assert pagination["total"] == 7 and pagination["total_pages"] == 4
    assert "per_page=2" in pagination["links"]["next"] and "page=2" in pagination["links"]["next"]
    assert "previous" not in pagination["links"]
    assert env.get("/api/client", params={"per_page": 500}).json()["meta"]["pagination"]["per_page"] == 100
    beyond = env.get("/api/client", params={"page": 9}).json()
    assert beyond["data"] == [] and beyond["meta"]["pagination"]["current_page"] == 9


def test_server_object_and_includes(env: ClientEnv) -> None:
    body = env.get(f"/api/client/servers/{env.facts['survival']}", params={"include": "egg,subusers"}).json()
    assert body["object"] == "server"
    attributes = body["attributes"]
    assert attributes["identifier"] == env.facts["survival"] and attributes["server_owner"] is True
    assert attributes["sftp_details"] == {"ip": "node1.example.com", "port": 2022}
    assert attributes["invocation"].endswith("-jar server.jar")
    relationships = attributes["relationships"]
    assert [a["attributes"]["port"] for a in relationships["allocations"]["data"]] == [25565, 25566]
    assert relationships["egg"]["object"] == "egg" and relationships["egg"]["attributes"]["name"] == "Paper"
    assert {s["attributes"]["username"] for s in relationships["subusers"]["data"]} >= {"helper"}
    assert "DL_PATH" not in [v["attributes"]["env_variable"] for v in relationships["variables"]["data"]]
    assert body["meta"] == {"is_server_owner": True, "user_permissions": ["*"]}


def test_server_object_for_limited_subuser(env: ClientEnv) -> None:
    body = env.get(f"/api/client/servers/{env.facts['survival']}", "helper", params={"include": "subusers"}).json()
    relationships = body["attributes"]["relationships"]
    # No allocation.read: only the primary allocation, notes hidden; no startup.read / user.read: null resources.
    assert [a["attributes"]["id"] for a in relationships["allocations"]["data"]] == [1]
    assert relationships["allocations"]["data"][0]["attributes"]["notes"] is None
    assert relationships["variables"] == {"object": "null_resource", "attributes": None}
    assert relationships["subusers"] == {"object": "null_resource", "attributes": None}
    assert "[hidden]" in body["attributes"]["invocation"]
    assert body["meta"]["is_server_owner"] is False
    assert "websocket.connect" in body["meta"]["user_permissions"]
    admin = env.get(f"/api/client/servers/{env.facts['survival']}", "admin").json()
    assert (
        admin["meta"]["user_permissions"][0] == "*" and "admin.websocket.install" in admin["meta"]["user_permissions"]
    )


def test_system_permissions(env: ClientEnv) -> None:
    body = env.get("/api/client/permissions").json()
    assert body["object"] == "system_permissions"
    groups = body["attributes"]["permissions"]
    assert len(groups) == 11
    assert sum(len(group["keys"]) for group in groups.values()) == 40
    assert "view_password" in groups["database"]["keys"]


# ---------------------------------------------------------------------------------------------------- gate
def test_gate_404s(env: ClientEnv) -> None:
    assert_error(
        env.get(f"/api/client/servers/{env.facts['survival']}", "stranger"),
        404,
        "NotFoundHttpException",
        "The requested resource does not exist on this server.",
    )
    assert_error(
        env.get("/api/client/servers/zzzzzzzz"),
        404,
        "NotFoundHttpException",
        "The requested resource could not be found on the server.",
    )
    assert_error(
        env.get("/api/client/servers/1"),
        404,
        "NotFoundHttpException",
        "The requested resource could not be found on the server.",
    )
    full = env.get(f"/api/client/servers/{env.facts['survival_uuid']}")
    assert full.status_code == 200


@pytest.mark.parametrize(
    ("fact", "detail"),
    [("suspended", SUSPENDED), ("maintenance", MAINTENANCE), ("installing", INSTALLING), ("restoring", RESTORING)],
)
def test_gate_409_by_state(env: ClientEnv, fact: str, detail: str) -> None:
    server = env.facts[fact]
    assert env.get(f"/api/client/servers/{server}").status_code == 200  # details are always allowed
    for path in ("/resources", "/files/list", "/backups", "/startup"):
        assert_error(env.get(f"/api/client/servers/{server}{path}"), 409, "ServerStateConflictException", detail)
    # Binding runs before the gate: an unknown child is 404 even on a blocked server.
    assert_error(env.get(f"/api/client/servers/{server}/schedules/999999"), 404, "NotFoundHttpException")


def test_gate_reinstall_failed_is_not_blocked(env: ClientEnv) -> None:
    assert env.get(f"/api/client/servers/{env.facts['reinstall_failed']}/startup").status_code == 200


def test_admin_websocket_exception(env: ClientEnv) -> None:
    assert env.get(f"/api/client/servers/{env.facts['installing']}/websocket", "admin").status_code == 200
    assert_error(
        env.get(f"/api/client/servers/{env.facts['installing']}/websocket", "player"),
        409,
        "ServerStateConflictException",
        INSTALLING,
    )
    assert_error(
        env.get(f"/api/client/servers/{env.facts['suspended']}/websocket", "admin"),
        409,
        "ServerStateConflictException",
        SUSPENDED,
    )


def test_permission_denied_for_subuser(env: ClientEnv) -> None:
    survival = env.facts["survival"]
    assert_error(
        env.get(f"/api/client/servers/{survival}/startup", "helper"),
        403,
        "AccessDeniedHttpException",
        "This action is unauthorized.",
    )
    assert_error(env.get(f"/api/client/servers/{survival}/activity", "helper"), 403, "AccessDeniedHttpException")
    assert env.get(f"/api/client/servers/{survival}/files/list", "helper").status_code == 200


def test_application_key_rejected(env: ClientEnv) -> None:
    assert_error(
        env.get("/api/client", "application"),
        403,
        "AccessDeniedHttpException",
        "You are attempting to use an application API key on an endpoint that requires a client API key.",
    )


# ---------------------------------------------------------------------------------------------------- control
def test_power_resources_and_command(env: ClientEnv) -> None:
    server = env.facts["creative"]
    offline = env.post(f"/api/client/servers/{server}/command", json={"command": "say hi"})
    assert_error(offline, 502, "HttpException", "Server must be online in order to send commands.")
    assert env.post(f"/api/client/servers/{server}/power", json={"signal": "start"}).status_code == 204

    def running() -> bool:
        stats = env.get(f"/api/client/servers/{server}/resources").json()
        assert stats["object"] == "stats"
        return stats["attributes"]["current_state"] == "running"

    env.wait_for(running)
    assert env.post(f"/api/client/servers/{server}/command", json={"command": "say hi"}).status_code == 204
    assert env.post(f"/api/client/servers/{server}/power", json={"signal": "kill"}).status_code == 204
    events = [row["event"] for row in env.rows("activity") if row.get("server_id") is not None]
    assert {"server:power.start", "server:console.command", "server:power.kill"} <= set(events)


def test_power_validation_order(env: ClientEnv) -> None:
    survival = env.facts["survival"]
    owner = env.post(f"/api/client/servers/{survival}/power", json={"signal": "explode"})
    assert owner.status_code == 422 and owner.json()["errors"][0]["meta"]["source_field"] == "signal"
    assert_error(
        env.post(f"/api/client/servers/{survival}/power", "helper", json={"signal": "explode"}),
        403,
        "AccessDeniedHttpException",
    )
    assert_error(
        env.post(f"/api/client/servers/{survival}/power", "helper", json={"signal": "stop"}),
        403,
        "AccessDeniedHttpException",
    )
    missing = env.post(f"/api/client/servers/{survival}/command", json={})
    assert missing.status_code == 422


def test_websocket_credentials(env: ClientEnv) -> None:
    body = env.get(f"/api/client/servers/{env.facts['survival']}/websocket", "helper").json()
    assert set(body["data"]) == {"token", "socket"}
    assert body["data"]["socket"].endswith(f"/api/servers/{env.facts['survival_uuid']}/ws")
    assert body["data"]["token"].count(".") == 2
    assert_error(
        env.get(f"/api/client/servers/{env.facts['survival']}/websocket", "watcher"),
        403,
        "HttpForbiddenException",
        "You do not have permission to connect to this server's websocket.",
    )


def test_server_activity_list(env: ClientEnv) -> None:
    survival = env.facts["survival"]
    env.post(f"/api/client/servers/{survival}/settings/rename", json={"name": "Survival"})  # no change, no event
    env.get(f"/api/client/servers/{survival}/files/contents", params={"file": "eula.txt"})
    body = env.get(f"/api/client/servers/{survival}/activity", params={"sort": "-timestamp", "include": "actor"}).json()
    assert body["object"] == "list" and body["meta"]["pagination"]["per_page"] == 25
    first = body["data"][0]["attributes"]
    assert first["event"] == "server:file.read" and first["properties"] == {"file": "eula.txt"}
    assert first["is_api"] is True and first["ip"] == "127.0.0.1"
    assert first["relationships"]["actor"]["attributes"]["username"] == "player"
    filtered = env.get(f"/api/client/servers/{survival}/activity", params={"filter[event]": "backup"}).json()
    assert filtered["data"] and all("backup" in e["attributes"]["event"] for e in filtered["data"])
    assert_error(env.get(f"/api/client/servers/{survival}/activity", params={"sort": "event"}), 400, "InvalidSortQuery")
    other = env.get(f"/api/client/servers/{survival}/activity", "admin").json()["data"]
    assert other and all(entry["attributes"]["ip"] is not None for entry in other)  # admins see every IP


def test_daemon_unreachable(env: ClientEnv) -> None:
    survival = env.facts["survival"]
    env.configure(daemon_unreachable=True)
    try:
        for response in (
            env.post(f"/api/client/servers/{survival}/power", json={"signal": "start"}),
            env.get(f"/api/client/servers/{survival}/files/list"),
            env.post(f"/api/client/servers/{survival}/backups"),
        ):
            assert_error(
                response,
                504,
                "DaemonConnectionException",
                "Could not establish a connection to the machine running this server. Please try again.",
            )
        # Token minting and panel-only data do not involve Wings.
        assert env.get(f"/api/client/servers/{survival}/websocket").status_code == 200
        assert env.get(f"/api/client/servers/{survival}/schedules").status_code == 200
    finally:
        env.configure(daemon_unreachable=False)
    assert env.get(f"/api/client/servers/{survival}/files/list").status_code == 200
