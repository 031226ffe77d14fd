"""Application API: locations (17-21), nodes (7-13) and node allocations (14-16)."""

from __future__ import annotations

from typing import Any

import pytest

from ptero_emulator.fixture import Api, RunningEmulator, error_of, validation_fields

# These tests describe panel 1.11 (no node description, upload_size 1..1024); test_panel_versions_*.py covers the
# newer panels.
EMULATOR_SETTINGS = {"panel_version": "1.11"}


@pytest.fixture(scope="module")
def api(app_api: Api) -> Api:
    return app_api


NODE_BODY: dict[str, Any] = {
    "name": "Test Node",
    "location_id": 1,
    "fqdn": "test-node.example.com",
    "scheme": "https",
    "memory": 4096,
    "memory_overallocate": 0,
    "disk": 20480,
    "disk_overallocate": 0,
    "daemon_listen": 8080,
    "daemon_sftp": 2022,
}


def new_node(api: Api, **overrides: Any) -> dict[str, Any]:
    response = api.post("nodes", {**NODE_BODY, **overrides})
    assert response.status_code == 201, response.text
    return response.json()


def allocations(api: Api, node_id: int, **params: Any) -> list[dict[str, Any]]:
    body = api.get(f"nodes/{node_id}/allocations", params={"per_page": 1000, **params}).json()
    return [a["attributes"] for a in body["data"]]


# ---------------------------------------------------------------------------------------------------- locations
def test_location_crud(module_emulator: RunningEmulator, api: Api) -> None:
    created = api.post("locations", {"short": "eu.ams", "long": "Amsterdam"})
    assert created.status_code == 201
    location = created.json()["attributes"]
    assert created.json()["meta"]["resource"] == f"{module_emulator.url}/api/application/locations/{location['id']}"
    assert set(location) == {"id", "short", "long", "updated_at", "created_at"}
    assert validation_fields(api.patch(f"locations/{location['id']}", {"long": "No short"})) == {"short": "required"}
    updated = api.patch(f"locations/{location['id']}", {"short": "eu.ams2"})
    assert updated.json()["attributes"]["long"] == "Amsterdam"
    assert validation_fields(api.post("locations", {"short": "de.fra"})) == {"short": "unique"}
    assert validation_fields(api.post("locations", {"short": "x" * 61})) == {"short": "between"}
    assert api.delete(f"locations/{location['id']}").status_code == 204
    assert api.get(f"locations/{location['id']}").status_code == 404


def test_location_filters_includes_and_delete_rule(api: Api) -> None:
    assert [
        loc["attributes"]["short"] for loc in api.get("locations", params={"filter[long]": "york"}).json()["data"]
    ] == ["us.nyc"]
    assert api.get("locations", params={"sort": "short"}).status_code == 400
    included = api.get("locations/1", params={"include": "nodes,servers"}).json()["attributes"]["relationships"]
    assert [n["attributes"]["name"] for n in included["nodes"]["data"]] == ["fra-node-1"]
    assert {s["attributes"]["name"] for s in included["servers"]["data"]} >= {"Survival", "Creative"}
    refused = api.delete("locations/1")
    assert refused.status_code == 400
    assert error_of(refused) == {
        "code": "HasActiveNodesException",
        "status": "400",
        "detail": "Cannot delete a location that has active nodes attached to it.",
    }


# ---------------------------------------------------------------------------------------------------- nodes
def test_node_create_view_and_attributes(module_emulator: RunningEmulator, api: Api) -> None:
    body = new_node(api, name="attr-node", description="ignored", daemon_base="/srv/data")
    node = body["attributes"]
    assert body["meta"]["resource"] == f"{module_emulator.url}/api/application/nodes/{node['id']}"
    assert node["description"] is None and node["daemon_base"] == "/srv/data"
    assert (node["public"], node["behind_proxy"], node["maintenance_mode"], node["upload_size"]) == (
        True,
        False,
        False,
        100,
    )
    assert node["allocated_resources"] == {"memory": 0, "disk": 0}
    assert "daemon_token" not in node and "daemon_token_id" not in node
    demo = api.get("nodes/1").json()["attributes"]
    assert demo["allocated_resources"] == {"memory": 3072, "disk": 15360}


def test_node_validation(api: Api) -> None:
    assert validation_fields(api.post("nodes", {})) == {
        "name": "required",
        "location_id": "required",
        "fqdn": "required",
        "scheme": "required",
        "memory": "required",
        "memory_overallocate": "required",
        "disk": "required",
        "disk_overallocate": "required",
        "daemon_listen": "required",
        "daemon_sftp": "required",
    }
    bad = api.post(
        "nodes",
        {
            **NODE_BODY,
            "name": "bad/name",
            "location_id": 999,
            "memory": 0,
            "daemon_listen": 70000,
            "daemon_base": "relative",
            "public": "perhaps",
        },
    )
    assert validation_fields(bad) == {
        "name": "regex",
        "location_id": "exists",
        "memory": "min",
        "daemon_listen": "between",
        "daemon_base": "regex",
        "public": "boolean",
    }


def test_node_patch_resets_daemon_base_and_secret(api: Api) -> None:
    node = new_node(api, name="patch-node", daemon_base="/srv/custom")["attributes"]
    before = api.get(f"nodes/{node['id']}/configuration").json()
    assert validation_fields(api.patch(f"nodes/{node['id']}", {"name": "only"}))["fqdn"] == "required"
    updated = api.patch(f"nodes/{node['id']}", {**NODE_BODY, "name": "patched-node", "reset_secret": True})
    assert updated.status_code == 200
    assert updated.json()["attributes"]["name"] == "patched-node"
    # Quirk: an omitted daemon_base falls back to the default directory.
    assert updated.json()["attributes"]["daemon_base"] == "/var/lib/pterodactyl/volumes"
    after = api.get(f"nodes/{node['id']}/configuration").json()
    assert after["token_id"] != before["token_id"] and after["token"] != before["token"]


def test_node_patch_with_wings_down_saves_but_answers_400(module_emulator: RunningEmulator, api: Api) -> None:
    node = new_node(api, name="offline-node")["attributes"]
    module_emulator.configure(daemon_unreachable=True)
    try:
        response = api.patch(f"nodes/{node['id']}", {**NODE_BODY, "name": "saved-anyway"})
    finally:
        module_emulator.configure(daemon_unreachable=False)
    assert response.status_code == 400
    assert error_of(response)["code"] == "ConfigurationNotPersistedException"
    assert api.get(f"nodes/{node['id']}").json()["attributes"]["name"] == "saved-anyway"


def test_node_configuration(api: Api) -> None:
    config = api.get("nodes/1/configuration").json()
    assert "object" not in config
    assert config["api"]["port"] == 8080 and config["api"]["ssl"]["enabled"] is True
    assert config["api"]["ssl"]["cert"] == "/etc/letsencrypt/live/node1.example.com/fullchain.pem"
    assert config["system"] == {"data": "/var/lib/pterodactyl/volumes", "sftp": {"bind_port": 2022}}
    assert len(config["token"]) == 64 and len(config["token_id"]) == 16
    assert api.get("nodes/2/configuration").json()["api"]["ssl"]["enabled"] is False


def test_node_list_filters_sorts_and_includes(api: Api) -> None:
    names = [n["attributes"]["name"] for n in api.get("nodes", params={"filter[fqdn]": "node2"}).json()["data"]]
    assert names == ["nyc-node-1"]
    memories = [n["attributes"]["memory"] for n in api.get("nodes", params={"sort": "-memory"}).json()["data"]]
    assert memories == sorted(memories, reverse=True)
    node = api.get("nodes/2", params={"include": "location,allocations"}).json()["attributes"]
    assert node["relationships"]["location"]["attributes"]["short"] == "us.nyc"
    assert len(node["relationships"]["allocations"]["data"]) == 15


def test_deployable_nodes(api: Api) -> None:
    plain = api.get("nodes/deployable", params={"memory": 1024, "disk": 1024})
    assert plain.status_code == 200 and "meta" not in plain.json()
    first = plain.json()["data"][0]["attributes"]
    assert "sum_memory" in first and "sum_disk" in first
    paged = api.get("nodes/deployable", params={"memory": 1024, "disk": 1024, "page": 1, "per_page": 1})
    assert paged.json()["meta"]["pagination"]["per_page"] == 1
    only_nyc = api.get("nodes/deployable", params={"memory": 1, "disk": 1, "location_ids[]": 2}).json()["data"]
    assert {n["attributes"]["location_id"] for n in only_nyc} == {2}
    assert validation_fields(api.get("nodes/deployable")) == {"memory": "required", "disk": "required"}
    none = api.get("nodes/deployable", params={"memory": 10**9, "disk": 1})
    assert none.status_code == 400 and error_of(none)["code"] == "NoViableNodeException"


def test_node_delete_rules(api: Api) -> None:
    refused = api.delete("nodes/1")
    assert refused.status_code == 400
    assert error_of(refused)["detail"] == "A node must have no servers linked to it in order to be deleted."
    node = new_node(api, name="delete-node")["attributes"]
    assert api.post(f"nodes/{node['id']}/allocations", {"ip": "10.50.0.1", "ports": ["30000"]}).status_code == 204
    assert api.delete(f"nodes/{node['id']}").status_code == 204
    assert api.get(f"nodes/{node['id']}/allocations").status_code == 404


# ---------------------------------------------------------------------------------------------------- allocations
def test_allocation_create_is_idempotent_and_expands_cidr_and_ranges(api: Api) -> None:
    node = new_node(api, name="alloc-node")["attributes"]
    path = f"nodes/{node['id']}/allocations"
    body = {"ip": "10.60.0.0/31", "ports": ["25565", "25600-25602"], "alias": "play.example.com"}
    first = api.post(path, body)
    assert first.status_code == 204 and first.content == b""
    assert api.post(path, body).status_code == 204  # duplicates are skipped
    rows = allocations(api, node["id"])
    assert len(rows) == 8
    assert {r["ip"] for r in rows} == {"10.60.0.0", "10.60.0.1"}
    assert {r["alias"] for r in rows} == {"play.example.com"}
    assert all(r["assigned"] is False and r["notes"] is None for r in rows)
    assert [
        r["port"] for r in allocations(api, node["id"], **{"filter[ip]": "10.60.0.1", "filter[port]": "25601"})
    ] == [25601]


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"ip": "10.0.0.0/24", "ports": ["25565"]}, "CidrOutOfRangeException"),
        ({"ip": "10.0.0.1", "ports": ["1024"]}, "PortOutOfRangeException"),
        ({"ip": "10.0.0.1", "ports": ["25565-26600"]}, "TooManyPortsInRangeException"),
        ({"ip": "10.0.0.1", "ports": ["25565:25570"]}, "InvalidPortMappingException"),
    ],
)
def test_allocation_create_errors(api: Api, body: dict[str, Any], code: str) -> None:
    response = api.post("nodes/2/allocations", body)
    assert response.status_code == 400
    assert error_of(response)["code"] == code


def test_allocation_create_validation(api: Api) -> None:
    assert validation_fields(api.post("nodes/2/allocations", {})) == {"ip": "required", "ports": "required"}
    assert validation_fields(api.post("nodes/2/allocations", {"ip": "10.0.0.1", "ports": [25565]})) == {
        "ports.0": "string"
    }


def test_allocation_server_filter_and_include(api: Api) -> None:
    unassigned = allocations(api, 1, **{"filter[server_id]": "none"})
    assert unassigned and all(not a["assigned"] for a in unassigned)
    assert [a["port"] for a in allocations(api, 1, **{"filter[server_id]": "1"})] == [25565, 25566]
    body = api.get("nodes/1/allocations", params={"include": "server", "filter[port]": "25565,25570"}).json()
    servers = {a["attributes"]["port"]: a["attributes"]["relationships"]["server"] for a in body["data"]}
    assert servers[25565]["attributes"]["name"] == "Survival"
    assert servers[25570] == {"object": "null_resource", "attributes": None}


def test_allocation_delete_rules(api: Api) -> None:
    refused = api.delete("nodes/1/allocations/1")
    assert refused.status_code == 400
    assert error_of(refused)["code"] == "ServerUsingAllocationException"
    assert api.delete("nodes/2/allocations/1").status_code == 404  # allocation 1 belongs to node 1
    free = allocations(api, 2, **{"filter[server_id]": "false"})[-1]
    assert api.delete(f"nodes/2/allocations/{free['id']}").status_code == 204
    assert api.delete(f"nodes/2/allocations/{free['id']}").status_code == 404
