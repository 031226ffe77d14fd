"""Client API databases, startup variables and settings (rename, reinstall, docker image)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from client_helpers import ClientEnv, add_extra_server, add_subuser, assert_error, start_client_env, validation_fields

from ptero_emulator.state import State
from ptero_emulator.state import database_hashid as encode_database_id
from ptero_emulator.state import decode_database_hashid as decode_database_id


def _prepare(state: State) -> dict[str, Any]:
    custom = add_extra_server(state, "Custom image")
    custom["image"] = "registry.example.com/custom:1"
    survival = state.find("servers", name="Survival")
    add_subuser(state, "dbreader", survival, ["websocket.connect", "database.read", "database.create"])
    creative = state.find("servers", name="Creative")
    creative_database = state.insert(
        "databases",
        {
            "server_id": creative["id"],
            "database_host_id": 1,
            "database": f"s{creative['id']}_other",
            "username": f"u{creative['id']}_abcdefghij",
            "remote": "%",
            "password": "secret",
            "max_connections": 0,
        },
    )
    return {
        "custom": custom["uuid_short"],
        "foreign_database": encode_database_id(creative_database["id"]),
        "_extra_keys": {"dbreader": "dbreader"},
    }


# These tests describe panel 1.11 (no per-server limiters; test_panel_versions_*.py covers the newer panels).
PANEL_1_11 = {"panel_version": "1.11"}


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ClientEnv]:
    environment = start_client_env(
        tmp_path_factory.mktemp("client-databases"), _prepare, install_seconds=30, **PANEL_1_11
    )
    try:
        yield environment
    finally:
        environment.emulator.stop()


def _databases(env: ClientEnv, server: str = "survival") -> str:
    return f"/api/client/servers/{env.facts[server]}/databases"


def test_hashid_round_trip() -> None:
    for value in (1, 2, 42, 10**9):
        encoded = encode_database_id(value)
        assert len(encoded) == 8 and encoded.isalnum() and decode_database_id(encoded) == value
    assert decode_database_id("!!!!!!!!") is None


def test_list_with_password_include(env: ClientEnv) -> None:
    body = env.get(_databases(env), params={"include": "password"}).json()
    database = body["data"][0]["attributes"]
    assert body["data"][0]["object"] == "server_database" and len(database["id"]) == 8
    assert database["host"] == {"address": "10.0.0.5", "port": 3306} and database["connections_from"] == "%"
    assert database["relationships"]["password"]["object"] == "database_password"
    limited = env.get(_databases(env), "dbreader", params={"include": "password"}).json()["data"][0]["attributes"]
    assert limited["relationships"]["password"] == {"object": "null_resource", "attributes": None}
    assert "relationships" not in env.get(_databases(env)).json()["data"][0]["attributes"]
    assert_error(env.get(_databases(env), "helper"), 403, "AccessDeniedHttpException")


def test_create_rotate_delete(env: ClientEnv) -> None:
    response = env.post(_databases(env), json={"database": "stats", "remote": "10.0.0.%"})
    assert response.status_code == 200
    attributes = response.json()["attributes"]
    assert attributes["name"].endswith("_stats") and attributes["name"].startswith("s")
    assert attributes["max_connections"] is None  # create response quirk
    password = attributes["relationships"]["password"]["attributes"]["password"]
    assert len(password) == 24
    duplicate = env.post(_databases(env), json={"database": "stats", "remote": "%"})
    assert validation_fields(duplicate) == [("database", "unique")]
    assert (
        duplicate.json()["errors"][0]["detail"] == "The database name you have selected is already in use by this "
        "server."
    )
    assert_error(
        env.post(_databases(env), json={"database": "third", "remote": "%"}),
        400,
        "TooManyDatabasesException",
        "Operation aborted: creating a new database would put this server over the defined limit.",
    )
    path = f"{_databases(env)}/{attributes['id']}"
    rotated = env.post(path + "/rotate-password").json()["attributes"]
    assert rotated["relationships"]["password"]["attributes"]["password"] != password
    assert rotated["max_connections"] == 0
    assert_error(env.post(path + "/rotate-password", "dbreader"), 403, "AccessDeniedHttpException")
    assert env.delete(path).status_code == 204
    assert_error(env.delete(path), 404, "NotFoundHttpException")
    assert validation_fields(env.post(_databases(env), json={"database": "a!", "remote": "bad remote"})) == [
        ("database", "alpha_dash"),
        ("database", "min"),
        ("remote", "regex"),
    ]


def test_database_of_another_server(env: ClientEnv) -> None:
    assert_error(
        env.delete(f"{_databases(env)}/{env.facts['foreign_database']}"),
        404,
        "NotFoundHttpException",
        "The requested resource was not found for this server.",
    )
    assert_error(
        env.delete(f"{_databases(env)}/zzzzzzzz"),
        404,
        "NotFoundHttpException",
        "The requested resource could not be found on the server.",
    )


def test_startup_list_and_update(env: ClientEnv) -> None:
    startup = f"/api/client/servers/{env.facts['survival']}/startup"
    body = env.get(startup).json()
    assert body["object"] == "list"
    names = [v["attributes"]["env_variable"] for v in body["data"]]
    assert "SERVER_JARFILE" in names and "DL_PATH" not in names
    assert body["meta"]["raw_startup_command"].endswith("{{SERVER_JARFILE}}")
    assert body["meta"]["startup_command"].endswith("server.jar")
    assert "Java 17" in body["meta"]["docker_images"]
    bad = env.put(startup + "/variable", json={"key": "SERVER_JARFILE", "value": "not-a-jar"})
    assert validation_fields(bad) == [("value", "regex")]
    ok = env.put(startup + "/variable", json={"key": "SERVER_JARFILE", "value": "paper.jar"})
    assert ok.status_code == 200
    assert ok.json()["attributes"]["server_value"] == "paper.jar"
    assert ok.json()["meta"]["startup_command"].endswith("paper.jar") and "docker_images" not in ok.json()["meta"]
    assert_error(
        env.put(startup + "/variable", json={"key": "DL_PATH", "value": "x"}),
        400,
        "BadRequestHttpException",
        "The environment variable you are trying to edit does not exist.",
    )
    assert env.put(startup + "/variable", json={"key": "NOPE", "value": "x"}).status_code == 500
    assert validation_fields(env.put(startup + "/variable", json={"key": "SERVER_JARFILE"})) == [("value", "present")]
    assert_error(
        env.put(startup + "/variable", "helper", json={"key": "SERVER_JARFILE", "value": "a.jar"}),
        403,
        "AccessDeniedHttpException",
    )


def test_rename(env: ClientEnv) -> None:
    rename = f"/api/client/servers/{env.facts['creative']}/settings/rename"
    assert env.post(rename, json={"name": "Creative 2"}).status_code == 204
    attributes = env.get(f"/api/client/servers/{env.facts['creative']}").json()["attributes"]
    assert attributes["name"] == "Creative 2" and attributes["description"] == ""
    assert env.post(rename, json={"name": "Creative 2", "description": "Build world"}).status_code == 204
    assert env.post(rename, json={"name": "Creative 3"}).status_code == 204  # description absent: unchanged
    attributes = env.get(f"/api/client/servers/{env.facts['creative']}").json()["attributes"]
    assert attributes["description"] == "Build world"
    assert validation_fields(env.post(rename, json={"name": ""})) == [("name", "required")]


def test_docker_image(env: ClientEnv) -> None:
    path = f"/api/client/servers/{env.facts['survival']}/settings/docker-image"
    assert env.put(path, json={"docker_image": "ghcr.io/pterodactyl/yolks:java_17"}).status_code == 204
    image = env.get(f"/api/client/servers/{env.facts['survival']}").json()["attributes"]["docker_image"]
    assert image == "ghcr.io/pterodactyl/yolks:java_17"
    assert validation_fields(env.put(path, json={"docker_image": "ghcr.io/other:1"})) == [("docker_image", "in")]
    custom = f"/api/client/servers/{env.facts['custom']}/settings/docker-image"
    assert_error(
        env.put(custom, json={"docker_image": "ghcr.io/pterodactyl/yolks:java_17"}),
        400,
        "BadRequestHttpException",
        "This server's Docker image has been manually set by an administrator and cannot be updated.",
    )


def test_reinstall(env: ClientEnv) -> None:
    server = env.facts["rust"]
    response = env.post(f"/api/client/servers/{server}/settings/reinstall")
    assert response.status_code == 202 and response.json() == []
    assert env.get(f"/api/client/servers/{server}").json()["attributes"]["status"] == "installing"
    assert_error(
        env.get(f"/api/client/servers/{server}/startup"),
        409,
        "ServerStateConflictException",
        "This server has not yet completed its installation process, please try again later.",
    )
    assert env.advance("install") >= 1
    assert env.get(f"/api/client/servers/{server}").json()["attributes"]["status"] is None
    assert env.get(f"/api/client/servers/{server}/startup").status_code == 200
