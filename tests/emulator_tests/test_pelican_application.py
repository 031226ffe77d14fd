"""Pelican's application API differences the modules depend on (pelican.md §2.1, §3.5-§3.7): users, nodes,
allocations, servers and the flat egg routes."""

from __future__ import annotations

import json
from typing import Any

import pytest
import yaml

from ptero_emulator.fixture import (
    TEST_DEFAULTS,
    Api,
    RunningEmulator,
    error_of,
    module_emulator_fixture,
    start_emulator,
    validation_fields,
)

pelican = module_emulator_fixture(
    "pelican-app", lambda d: start_emulator(d, seed="demo", flavour="pelican", **TEST_DEFAULTS)
)

NODE: dict[str, Any] = {
    "name": "pelican node",
    "fqdn": "p.example.test",
    "scheme": "https",
    "memory": 4096,
    "memory_overallocate": 0,
    "disk": 20480,
    "disk_overallocate": 0,
    "cpu": 400,
    "cpu_overallocate": 0,
    "daemon_listen": 8080,
    "daemon_sftp": 2022,
    "daemon_connect": 443,
    "tags": ["de.fra", "ssd"],
}


@pytest.fixture(scope="module")
def api(pelican: RunningEmulator) -> Api:
    return Api(pelican)


def _server_body(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": "pelican server",
        "user": 2,
        "egg": 1,
        "environment": {"BUILD_NUMBER": "latest", "SERVER_JARFILE": "server.jar"},
        "limits": {"memory": 512, "swap": 0, "disk": 1024, "io": 0, "cpu": 50},
        "feature_limits": {"databases": 0, "backups": 0},
    }
    body.update(changes)
    return body


# ---------------------------------------------------------------------------------------------------- users
def test_user_without_names_lowercased_and_managed(api: Api) -> None:
    created = api.post(
        "users",
        {
            "email": "Mixed.Case@Example.com",
            "username": "Mixed_User",
            "first_name": "ignored",
            "last_name": "ignored",
            "root_admin": True,
            "is_managed_externally": True,
        },
    )
    assert created.status_code == 201, created.text
    user = created.json()["attributes"]
    assert "first_name" not in user and "last_name" not in user
    assert (user["email"], user["username"]) == ("mixed.case@example.com", "mixed_user")
    assert user["root_admin"] is False and user["is_managed_externally"] is True and user["2fa_enabled"] is False
    assert created.json()["meta"]["resource"].endswith(f"/users/{user['id']}")


def test_root_admin_comes_from_the_role_and_cannot_be_deleted(api: Api) -> None:
    admin = api.get("users/1?include=roles").json()["attributes"]
    assert admin["root_admin"] is True
    assert [r["attributes"]["name"] for r in admin["relationships"]["roles"]["data"]] == ["Root Admin"]
    refused = api.delete("users/1")
    assert refused.status_code == 403 and refused.json() == []
    owner = api.delete("users/2")
    assert owner.status_code == 400 and "active servers" in error_of(owner)["detail"]


# ---------------------------------------------------------------------------------------------------- nodes
def test_node_requires_cpu_and_daemon_connect(api: Api) -> None:
    pterodactyl_payload = {k: v for k, v in NODE.items() if k not in ("cpu", "cpu_overallocate", "daemon_connect")}
    fields = validation_fields(api.post("nodes", {**pterodactyl_payload, "location_id": 1}))
    assert set(fields) == {"cpu", "cpu_overallocate", "daemon_connect"}


def test_node_tags_and_fields(api: Api) -> None:
    created = api.post("nodes", {**NODE, "location_id": 99, "daemon_sftp_alias": "sftp.example.test"})
    assert created.status_code == 201, created.text
    node = created.json()["attributes"]
    assert "location_id" not in node
    assert (node["tags"], node["cpu"], node["daemon_connect"], node["daemon_sftp_alias"]) == (
        ["de.fra", "ssd"],
        400,
        443,
        "sftp.example.test",
    )
    assert node["allocated_resources"]["cpu"] == 0
    updated = api.patch(f"nodes/{node['id']}", {**NODE, "tags": ["nvme"]})
    assert updated.status_code == 200 and updated.json()["attributes"]["tags"] == ["nvme"]
    seeded = api.get("nodes/1").json()["attributes"]
    assert seeded["tags"] == ["de.fra"] and seeded["daemon_connect"] == seeded["daemon_listen"]


def test_node_patch_answers_200_when_wings_is_unreachable(api: Api, pelican: RunningEmulator) -> None:
    pelican.configure(daemon_unreachable=True)
    try:
        response = api.patch("nodes/2", {**NODE, "name": "nyc-node-1", "tags": ["us.nyc"]})
    finally:
        pelican.configure(daemon_unreachable=False)
    assert response.status_code == 200, response.text


# ---------------------------------------------------------------------------------------------------- allocations
def test_allocation_duplicates_fail_and_roll_back(api: Api) -> None:
    before = len(api.get("nodes/1/allocations?per_page=500").json()["data"])
    response = api.post("nodes/1/allocations", {"ip": "10.0.0.10", "ports": ["25500", "25565"]})
    assert response.status_code == 500 and error_of(response)["code"] == "UniqueConstraintViolationException"
    assert len(api.get("nodes/1/allocations?per_page=500").json()["data"]) == before  # 25500 was not kept


def test_allocation_port_1024_allowed_hostnames_refused(api: Api) -> None:
    assert api.post("nodes/2/allocations", {"ip": "10.0.1.11", "ports": ["1024"]}).status_code == 204
    refused = api.post("nodes/2/allocations", {"ip": "localhost", "ports": ["30000"]})
    assert refused.status_code == 400
    assert error_of(refused)["detail"].startswith("Could not parse provided allocation IP address (localhost)")
    too_low = api.post("nodes/2/allocations", {"ip": "10.0.1.11", "ports": ["1023"]})
    assert error_of(too_low)["detail"] == (
        "Ports in an allocation must be greater than or equal to 1024 and less than or equal to 65535."
    )


# ---------------------------------------------------------------------------------------------------- servers
def test_server_create_defaults_and_oom_killer(api: Api) -> None:
    created = api.post("servers", _server_body(allocation={"default": 4}, oom_killer=True, oom_disabled=True))
    assert created.status_code == 201, created.text
    server = created.json()["attributes"]
    assert "nest" not in server and server["limits"]["oom_killer"] is True
    assert server["limits"]["oom_disabled"] is False
    assert server["container"]["image"] == "ghcr.io/pterodactyl/yolks:java_21"
    assert server["container"]["startup_command"].startswith("java -Xms128M")
    assert "P_SERVER_LOCATION" not in server["container"]["environment"]


def test_deploy_by_tags_needs_locations_on_beta38(api: Api) -> None:
    missing = api.post("servers", _server_body(deploy={"tags": ["de.fra"], "dedicated_ip": False, "port_range": []}))
    assert "deploy.locations" in validation_fields(missing)
    created = api.post(
        "servers",
        _server_body(deploy={"tags": ["de.fra", "eu"], "locations": [], "dedicated_ip": False, "port_range": []}),
    )
    assert created.status_code == 201, created.text
    server = created.json()["attributes"]
    assert server["allocation"] is None and server["node"] == 1  # empty port_range: no allocation
    placed = api.post(
        "servers",
        _server_body(
            deploy={"tags": ["de.fra"], "locations": [], "dedicated_ip": False, "port_range": ["25570-25584"]}
        ),
    )
    assert placed.status_code == 201, placed.text
    assert placed.json()["attributes"]["node"] == 1 and placed.json()["attributes"]["allocation"] is not None


def test_uuid_short_filter(api: Api) -> None:
    server = api.get("servers/1").json()["attributes"]
    found = api.get(f"servers?filter[uuid_short]={server['identifier']}").json()["data"]
    assert [s["attributes"]["id"] for s in found] == [1]
    old = api.get(f"servers?filter[uuidShort]={server['identifier']}")
    assert old.status_code == 400 and error_of(old)["code"] == "InvalidFilterQuery"


def test_build_without_allocation_and_with_oom_killer(api: Api) -> None:
    response = api.patch(
        "servers/2/build",
        {
            "oom_killer": True,
            "limits": {"memory": 1024, "swap": 0, "disk": 5120, "io": 500, "cpu": 100},
            "feature_limits": {"databases": 0, "allocations": 0, "backups": 1},
        },
    )
    assert response.status_code == 200, response.text
    assert response.json()["attributes"]["limits"]["oom_killer"] is True


def test_startup_without_startup_and_image(api: Api) -> None:
    response = api.patch("servers/2/startup", {"egg": 2, "environment": {}, "skip_scripts": False})
    assert response.status_code == 200, response.text


# ---------------------------------------------------------------------------------------------------- eggs
def test_flat_egg_list_and_get(api: Api) -> None:
    listing = api.get("eggs").json()
    assert "pagination" not in listing.get("meta", {}) and len(listing["data"]) == 10
    egg = api.get("eggs/1?include=variables").json()["attributes"]
    assert "nest" not in egg and egg["tags"] == ["Minecraft"] and egg["startup_commands"]["Default"]
    assert egg["relationships"]["variables"]["data"][0]["attributes"]["rules"] == ["nullable", "string", "max:20"]
    assert api.get("eggs/1?include=config").status_code == 500


def test_egg_export_yaml_and_json(api: Api) -> None:
    as_yaml = api.get("eggs/1/export")
    assert as_yaml.status_code == 200 and as_yaml.headers["Content-Type"].startswith("application/yaml")
    assert 'filename="egg-paper.yaml"' in as_yaml.headers["Content-Disposition"]
    assert yaml.safe_load(as_yaml.text)["name"] == "Paper"
    assert api.get("eggs/1/export?format=xml").headers["Content-Type"].startswith("application/yaml")  # fallback
    as_json = api.get("eggs/1/export?format=json")
    assert as_json.headers["Content-Type"].startswith("application/json")
    assert json.loads(as_json.text)["meta"]["version"] == "PLCN_v3"


def test_egg_import_upserts_by_uuid(api: Api) -> None:
    exported = yaml.safe_load(api.get("eggs/3/export").text)
    exported["description"] = "changed by import"
    exported["variables"] = exported["variables"][:1]
    raw = yaml.safe_dump(exported)
    headers = {"Content-Type": "application/yaml"}
    updated = api.post("eggs/import", data=raw, headers=headers)
    assert updated.status_code == 201, updated.text
    assert updated.json()["attributes"]["id"] == 3
    assert len(api.get("eggs/3?include=variables").json()["attributes"]["relationships"]["variables"]["data"]) == 1
    del exported["uuid"]  # a Pterodactyl export has none: a new egg every time
    first = api.post("eggs/import", data=yaml.safe_dump(exported), headers=headers).json()["attributes"]
    second = api.post("eggs/import", data=yaml.safe_dump(exported), headers=headers).json()["attributes"]
    assert first["id"] != second["id"] and first["id"] > 10


def test_egg_delete_rules(api: Api) -> None:
    in_use = api.delete("eggs/1")
    assert in_use.status_code == 400 and error_of(in_use)["code"] == "HasActiveServersException"
    exported = yaml.safe_load(api.get("eggs/4/export").text)
    exported["uuid"] = "8a2c4d6e-0000-4000-8000-000000000001"
    made = api.post("eggs/import", data=yaml.safe_dump(exported), headers={"Content-Type": "application/yaml"})
    assert api.delete(f"eggs/uuid/{exported['uuid']}").status_code == 204
    assert api.get(f"eggs/{made.json()['attributes']['id']}").status_code == 404
    assert api.delete(f"eggs/uuid/{exported['uuid']}").status_code == 404


def test_user_update_ignores_names_and_root_admin(api: Api, pelican: RunningEmulator) -> None:
    user = api.post("users", {"email": "named@example.com", "username": "named"}).json()["attributes"]
    updated = api.patch(
        f"users/{user['id']}",
        {
            "email": "Named@Example.com",
            "username": "named",
            "first_name": "A",
            "last_name": "B",
            "root_admin": True,
            "timezone": "Europe/Berlin",
        },
    )
    assert updated.status_code == 200, updated.text
    attributes = updated.json()["attributes"]
    assert attributes["root_admin"] is False and attributes["email"] == "named@example.com"
    assert "first_name" not in attributes and "timezone" not in attributes
    stored = next(row for row in pelican.state("users") if row["id"] == user["id"])
    assert (stored["timezone"], stored["name_first"]) == ("Europe/Berlin", None)
    assert "email" in validation_fields(api.patch(f"users/{user['id']}", {"username": "named"}))


def test_deployable_by_tags_never_paginated(api: Api) -> None:
    response = api.get("nodes/deployable?memory=128&disk=128&cpu=0&tags[]=de.fra&page=1")
    assert response.status_code == 200, response.text
    nodes = response.json()
    assert "meta" not in nodes or "pagination" not in nodes["meta"]
    assert [n["attributes"]["name"] for n in nodes["data"]] == ["fra-node-1"]
    assert {"servers_sum_memory", "servers_sum_disk", "servers_sum_cpu"} <= set(nodes["data"][0]["attributes"])
