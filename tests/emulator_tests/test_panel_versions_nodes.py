"""Nodes on the newer panels: description, upload_size, the nodes-WRITE configuration endpoint, the plain
ConfigurationNotPersistedException text and the Form Requests' attribute names (panel-versions.md A6, A7;
real-panel-1.14.1.md §2.4; real-panel-1.12.2.md D4-D7)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import requests

from ptero_emulator.fixture import (
    TEST_DEFAULTS,
    Api,
    RunningEmulator,
    error_of,
    module_emulator_fixture,
    start_emulator,
)
from ptero_emulator.seed import add_api_key
from ptero_emulator.state import KEY_TYPE_APPLICATION, State

NODE_BODY: dict[str, Any] = {
    "name": "Version Node",
    "location_id": 1,
    "fqdn": "n.example.test",
    "scheme": "https",
    "memory": 4096,
    "memory_overallocate": 0,
    "disk": 20480,
    "disk_overallocate": 0,
    "daemon_listen": 8080,
    "daemon_sftp": 2022,
}
READ_ONLY_KEY = "ptla_readonlyNod" + "r" * 32


def _start(tmp_path: Path, version: str) -> RunningEmulator:
    """An emulator whose state holds an extra application key with nodes READ only."""
    from ptero_emulator.config import EmulatorConfig
    from ptero_emulator.seed import seed_state

    state = State(EmulatorConfig(seed="demo"))
    seed_state(state, "demo")
    admin = state.find("users", username="admin")
    key = add_api_key(
        state, admin, KEY_TYPE_APPLICATION, READ_ONLY_KEY[:16], READ_ONLY_KEY[16:], "nodes read only", permissions=0
    )
    key["r_nodes"] = 1
    state_file = tmp_path / "nodes-state.json"
    state.save(str(state_file))
    return start_emulator(tmp_path, seed="demo", state_file=str(state_file), panel_version=version, **TEST_DEFAULTS)


newest = module_emulator_fixture("nodes-1-14", lambda directory: _start(directory, "1.14"))
old = module_emulator_fixture("nodes-1-11", lambda directory: _start(directory, "1.11"))
v112 = module_emulator_fixture("nodes-1-12", lambda directory: _start(directory, "1.12"))


def _entries(response: requests.Response) -> list[tuple[str, str, str]]:
    assert response.status_code == 422, response.text
    return [(e["meta"]["source_field"], e["meta"]["rule"], e["detail"]) for e in response.json()["errors"]]


@pytest.mark.parametrize("version", ["1.14", "1.12"])
def test_description_and_upload_size(newest: RunningEmulator, v112: RunningEmulator, version: str) -> None:
    api = Api(newest if version == "1.14" else v112)
    created = api.post(
        "nodes", {**NODE_BODY, "name": f"rack3-{version}", "description": "Frankfurt rack 3", "upload_size": 4096}
    )
    assert created.status_code == 201, created.text
    node = created.json()["attributes"]
    assert (node["description"], node["upload_size"]) == ("Frankfurt rack 3", 4096)
    assert api.post("nodes", {**NODE_BODY, "name": f"big-{version}", "upload_size": 99999}).status_code == 201
    assert _entries(api.post("nodes", {**NODE_BODY, "upload_size": 0})) == [
        ("upload_size", "min", "The File Upload Size Limit must be at least 1.")
    ]
    path = f"nodes/{node['id']}"
    assert api.patch(path, {**NODE_BODY, "description": "rack 1"}).json()["attributes"]["description"] == "rack 1"
    assert api.patch(path, NODE_BODY).json()["attributes"]["description"] == "rack 1"  # kept when omitted
    assert api.patch(path, {**NODE_BODY, "description": None}).json()["attributes"]["description"] is None
    long_text = "x" * 300
    assert api.patch(path, {**NODE_BODY, "description": long_text}).json()["attributes"]["description"] == long_text
    assert _entries(api.patch(path, {**NODE_BODY, "description": 5})) == [
        ("description", "string", "The description must be a string.")
    ]
    assert api.patch(path, {**NODE_BODY, "upload_size": 4096}).json()["attributes"]["upload_size"] == 4096


def test_1_11_node_rules_unchanged(old: RunningEmulator) -> None:
    api = Api(old)
    node = api.post("nodes", {**NODE_BODY, "name": "old-node", "description": "ignored"}).json()["attributes"]
    assert node["description"] is None
    assert _entries(api.post("nodes", {**NODE_BODY, "upload_size": 2048})) == [
        ("upload_size", "between", "The File Upload Size Limit must be between 1 and 1024.")
    ]
    assert api.get("nodes/1/configuration", headers={"Authorization": f"Bearer {READ_ONLY_KEY}"}).status_code == 200


def test_configuration_needs_nodes_write_on_1_14(newest: RunningEmulator, v112: RunningEmulator) -> None:
    read_only = Api(newest, token=READ_ONLY_KEY)
    assert read_only.get("nodes/1").status_code == 200
    denied = read_only.get("nodes/1/configuration")
    assert denied.status_code == 403
    assert error_of(denied) == {
        "code": "AccessDeniedHttpException",
        "status": "403",
        "detail": "This action is unauthorized.",
    }
    assert read_only.get("nodes/999/configuration").status_code == 404
    assert read_only.patch("nodes/1", NODE_BODY).status_code == 403
    assert read_only.get("users").status_code == 403
    assert Api(newest).get("nodes/1/configuration").status_code == 200
    # 1.12 still let a read-only key read it.
    assert Api(v112, token=READ_ONLY_KEY).get("nodes/1/configuration").status_code == 200


def test_config_not_persisted_text(newest: RunningEmulator, old: RunningEmulator) -> None:
    texts = {}
    for name, emulator in (("new", newest), ("old", old)):
        api = Api(emulator)
        node = api.post("nodes", {**NODE_BODY, "name": f"unreachable-{name}"}).json()["attributes"]
        emulator.configure(daemon_unreachable=True)
        try:
            answer = api.patch(f"nodes/{node['id']}", {**NODE_BODY, "name": f"saved-{name}"})
        finally:
            emulator.configure(daemon_unreachable=False)
        assert answer.status_code == 400 and error_of(answer)["code"] == "ConfigurationNotPersistedException"
        assert api.get(f"nodes/{node['id']}").json()["attributes"]["name"] == f"saved-{name}"
        texts[name] = error_of(answer)["detail"]
    assert texts["new"].startswith("The daemon configuration has been updated, however ")
    assert texts["old"].startswith("The daemon configuration <strong>has been updated</strong>, however ")


@pytest.mark.parametrize("version", ["1.14", "1.11"])
def test_form_request_attribute_names(newest: RunningEmulator, old: RunningEmulator, version: str) -> None:
    """Named by the Form Requests' attributes() since 1.11.8 (real-panel-1.12.2.md D6)."""
    api = Api(newest if version == "1.14" else old)
    assert [d for _f, _r, d in _entries(api.post("locations", {}))] == ["The Location Identifier field is required."]
    duplicate = api.post("locations", {"short": "de.fra"})
    assert [d for _f, _r, d in _entries(duplicate)] == ["The Location Identifier has already been taken."]
    details = _entries(api.patch("servers/1/details", {"name": ""}))
    assert [d for _f, _r, d in details] == ["The Server Name field is required.", "The User ID field is required."]
    build_body = {
        "allocation": 1,
        "memory": 1,
        "swap": 0,
        "disk": 1,
        "io": 500,
        "cpu": 0,
        "feature_limits": {"allocations": 1},
    }
    build = [d for _f, _r, d in _entries(api.patch("servers/1/build", build_body))]
    assert build == ["The Database Limit field must be present.", "The Backup Limit field must be present."]
    node = [d for _f, _r, d in _entries(api.post("nodes", {**NODE_BODY, "location_id": None}))]
    assert node == ["The Location field is required."]
