"""Application API: server databases (34-38) and nests/eggs (39-42)."""

from __future__ import annotations

import pytest

from ptero_emulator.fixture import Api, RunningEmulator, error_of, validation_fields


@pytest.fixture(scope="module")
def api(app_api: Api) -> Api:
    return app_api


def password_of(api: Api, server_id: int, database_id: int) -> str:
    body = api.get(f"servers/{server_id}/databases/{database_id}", params={"include": "password"}).json()
    return body["attributes"]["relationships"]["password"]["attributes"]["password"]


# ---------------------------------------------------------------------------------------------------- databases
def test_list_is_unpaginated(api: Api) -> None:
    body = api.get("servers/1/databases").json()
    assert body["object"] == "list" and "meta" not in body
    database = body["data"][0]
    assert database["object"] == "server_database"
    assert set(database["attributes"]) == {
        "id",
        "server",
        "host",
        "database",
        "username",
        "remote",
        "max_connections",
        "created_at",
        "updated_at",
    }
    assert database["attributes"]["max_connections"] == 0


def test_create_reset_and_delete(module_emulator: RunningEmulator, api: Api) -> None:
    created = api.post("servers/3/databases", {"database": "stats", "remote": "10.0.0.%", "host": 1})
    assert created.status_code == 201, created.text
    body = created.json()
    attributes = body["attributes"]
    assert attributes["database"] == "s3_stats" and attributes["username"].startswith("u3_")
    assert attributes["max_connections"] is None  # the create response is not re-read
    assert "relationships" not in attributes
    assert body["meta"]["resource"] == (f"{module_emulator.url}/api/application/servers/3/databases/{attributes['id']}")
    first_password = password_of(api, 3, attributes["id"])
    assert len(first_password) == 24
    assert api.post(f"servers/3/databases/{attributes['id']}/reset-password").status_code == 204
    assert password_of(api, 3, attributes["id"]) != first_password
    host = api.get(f"servers/3/databases/{attributes['id']}", params={"include": "host"}).json()
    assert host["attributes"]["relationships"]["host"]["object"] == "database_host"
    # The limit of server 3 is 1: a second database is refused.
    refused = api.post("servers/3/databases", {"database": "more", "remote": "%", "host": 1})
    assert refused.status_code == 400
    assert error_of(refused)["code"] == "TooManyDatabasesException"
    assert api.delete(f"servers/3/databases/{attributes['id']}").status_code == 204
    assert api.delete(f"servers/3/databases/{attributes['id']}").status_code == 404


def test_create_validation(api: Api) -> None:
    assert validation_fields(api.post("servers/1/databases", {})) == {
        "database": "required",
        "remote": "required",
        "host": "required",
    }
    assert validation_fields(api.post("servers/1/databases", {"database": "bad name", "remote": "*", "host": 99})) == {
        "database": "alpha_dash",
        "remote": "regex",
        "host": "exists",
    }
    assert validation_fields(api.post("servers/1/databases", {"database": "world", "remote": "%", "host": 1})) == {
        "database": "unique"
    }


def test_database_binding_is_not_scoped_to_the_server(api: Api) -> None:
    # Quirk: database 1 belongs to server 1 but is also served under server 2.
    response = api.get("servers/2/databases/1")
    assert response.status_code == 200 and response.json()["attributes"]["server"] == 1
    assert api.get("servers/1/databases/999").status_code == 404


def test_feature_flag_off_gives_500(module_emulator: RunningEmulator, api: Api) -> None:
    module_emulator.configure(databases_enabled=False)
    try:
        response = api.post("servers/1/databases", {"database": "flagged", "remote": "%", "host": 1})
    finally:
        module_emulator.configure(databases_enabled=True)
    assert response.status_code == 500
    assert error_of(response)["detail"] == (
        "An unexpected error was encountered while processing this request, please try again."
    )


# ---------------------------------------------------------------------------------------------------- nests/eggs
def test_nests_are_paginated_and_stock(api: Api) -> None:
    body = api.get("nests", params={"filter[name]": "ignored", "sort": "ignored"}).json()
    assert [n["attributes"]["name"] for n in body["data"]] == ["Minecraft", "Source Engine", "Voice Servers", "Rust"]
    assert body["meta"]["pagination"]["total"] == 4
    assert {n["attributes"]["author"] for n in body["data"]} == {"support@pterodactyl.io"}
    eggs = api.get("nests/1", params={"include": "eggs"}).json()["attributes"]["relationships"]["eggs"]["data"]
    assert "Paper" in {e["attributes"]["name"] for e in eggs}


def test_eggs_are_unpaginated_with_includes(api: Api) -> None:
    body = api.get("nests/1/eggs").json()
    assert "meta" not in body and body["data"][0]["object"] == "egg"
    egg = api.get("nests/1/eggs/1", params={"include": "variables,config,script,nest"}).json()["attributes"]
    assert egg["docker_images"]["Java 17"] == "ghcr.io/pterodactyl/yolks:java_17"
    assert egg["docker_image"] == next(iter(egg["docker_images"].values()))
    assert egg["config"]["stop"] == "stop" and egg["config"]["extends"] is None
    assert egg["script"]["privileged"] is True
    relationships = egg["relationships"]
    variables = {v["attributes"]["env_variable"]: v["attributes"] for v in relationships["variables"]["data"]}
    assert variables["SERVER_JARFILE"]["rules"] == r"required|regex:/^([\w\d._-]+)(\.jar)$/"
    assert variables["DL_PATH"]["user_viewable"] is False
    assert variables["BUILD_NUMBER"]["created_at"].endswith("Z")  # model dump format
    assert relationships["config"] == {"object": "null_resource", "attributes": None}
    assert relationships["script"] == {"object": "null_resource", "attributes": None}
    assert relationships["nest"]["attributes"]["name"] == "Minecraft"


def test_egg_is_resolved_through_its_nest(api: Api) -> None:
    rust_egg = api.get("nests/4/eggs").json()["data"][0]["attributes"]["id"]
    assert api.get(f"nests/1/eggs/{rust_egg}").status_code == 404
    assert api.get(f"nests/4/eggs/{rust_egg}").status_code == 200
    assert api.get("nests/99/eggs").status_code == 404
