"""Client API network allocations: list, notes, primary, auto-assignment and removal."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from client_helpers import ClientEnv, add_extra_server, assert_error, start_client_env, validation_fields

from ptero_emulator.state import State


def _prepare(state: State) -> dict[str, Any]:
    unlimited = add_extra_server(state, "No limit", limits=(1, None, 1))
    roomy = add_extra_server(state, "Roomy", node_name="nyc-node-1", limits=(1, 4, 1))
    # Only ports 28015..28024 and 27015..27019 exist on nyc-node-1; take every free one so auto-assignment must
    # create new allocations from the configured range.
    rust_island = state.find("servers", name="Rust Island")
    for allocation in state.rows("allocations"):
        if allocation["node_id"] == roomy["node_id"] and allocation["server_id"] is None:
            allocation["server_id"] = rust_island["id"]
    # An extra allocation for the server without a limit, on its own node as the panel would have it.
    spare = next(
        a for a in state.rows("allocations") if a["node_id"] == unlimited["node_id"] and a["server_id"] is None
    )
    spare["server_id"] = unlimited["id"]
    return {"unlimited": unlimited["uuid_short"], "roomy": roomy["uuid_short"]}


# These tests describe panel 1.11 (no per-server limiters; test_panel_versions_*.py covers the newer panels).
PANEL_1_11 = {"panel_version": "1.11"}


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ClientEnv]:
    environment = start_client_env(
        tmp_path_factory.mktemp("client-network"), _prepare, allocation_range=[30000, 30001], **PANEL_1_11
    )
    try:
        yield environment
    finally:
        environment.emulator.stop()


def _path(env: ClientEnv, server: str) -> str:
    return f"/api/client/servers/{env.facts.get(server, server)}/network/allocations"


def test_list_and_notes(env: ClientEnv) -> None:
    body = env.get(_path(env, "survival")).json()
    assert body["object"] == "list" and "meta" not in body
    rows = {a["attributes"]["port"]: a["attributes"] for a in body["data"]}
    assert rows[25565]["is_default"] is True and rows[25566]["notes"] == "Dynmap"
    allocation_id = rows[25566]["id"]
    assert validation_fields(env.post(f"{_path(env, 'survival')}/{allocation_id}", json={})) == [("notes", "present")]
    updated = env.post(f"{_path(env, 'survival')}/{allocation_id}", json={"notes": "Map"}).json()
    assert updated["attributes"]["notes"] == "Map"
    cleared = env.post(f"{_path(env, 'survival')}/{allocation_id}", json={"notes": None}).json()
    assert cleared["attributes"]["notes"] is None
    assert_error(env.get(_path(env, "survival"), "helper"), 403, "AccessDeniedHttpException")


def test_foreign_allocation_is_not_bound(env: ClientEnv) -> None:
    foreign = env.get(_path(env, "creative")).json()["data"][0]["attributes"]["id"]
    assert_error(
        env.post(f"{_path(env, 'survival')}/{foreign}/primary"),
        404,
        "NotFoundHttpException",
        "The requested resource could not be found on the server.",
    )


def test_primary_switch(env: ClientEnv) -> None:
    rows = env.get(_path(env, "survival")).json()["data"]
    secondary = next(a["attributes"]["id"] for a in rows if not a["attributes"]["is_default"])
    response = env.post(f"{_path(env, 'survival')}/{secondary}/primary")
    assert response.status_code == 200 and response.json()["attributes"]["is_default"] is True
    server = env.get(f"/api/client/servers/{env.facts['survival']}").json()["attributes"]
    defaults = [
        a["attributes"]["id"] for a in server["relationships"]["allocations"]["data"] if a["attributes"]["is_default"]
    ]
    assert defaults == [secondary]
    first = next(a["attributes"]["id"] for a in rows if a["attributes"]["id"] != secondary)
    env.post(f"{_path(env, 'survival')}/{first}/primary")


def test_auto_assign_and_delete(env: ClientEnv) -> None:
    created = env.post(_path(env, "survival"))
    assert created.status_code == 200
    allocation = created.json()["attributes"]
    assert allocation["ip"] == "10.0.0.10" and allocation["is_default"] is False
    assert_error(
        env.post(_path(env, "survival")),
        400,
        "DisplayException",
        "Cannot assign additional allocations to this server: limit has been reached.",
    )
    primary = next(
        a["attributes"]["id"] for a in env.get(_path(env, "survival")).json()["data"] if a["attributes"]["is_default"]
    )
    assert_error(
        env.delete(f"{_path(env, 'survival')}/{primary}"),
        400,
        "DisplayException",
        "You cannot delete the primary allocation for this server.",
    )
    assert env.delete(f"{_path(env, 'survival')}/{allocation['id']}").status_code == 204
    assert_error(env.delete(f"{_path(env, 'survival')}/{allocation['id']}"), 404, "NotFoundHttpException")
    row = next(r for r in env.rows("allocations") if r["id"] == allocation["id"])
    assert row["server_id"] is None and row["notes"] is None  # only unassigned


def test_limits_block_create_and_delete(env: ClientEnv) -> None:
    assert_error(
        env.post(_path(env, "creative")),
        400,
        "DisplayException",
        "Cannot assign additional allocations to this server: limit has been reached.",
    )
    rows = env.get(_path(env, "unlimited")).json()["data"]
    extra = next(a["attributes"]["id"] for a in rows if not a["attributes"]["is_default"])
    assert_error(
        env.delete(f"{_path(env, 'unlimited')}/{extra}"),
        400,
        "DisplayException",
        "You cannot delete allocations for this server: no allocation limit is set.",
    )


def test_auto_assign_creates_from_range_until_full(env: ClientEnv) -> None:
    ports = [env.post(_path(env, "roomy")).json()["attributes"]["port"] for _unused in range(2)]
    assert sorted(ports) == [30000, 30001]  # no free allocation on that IP: new ones from the configured range
    assert_error(
        env.post(_path(env, "roomy")),
        400,
        "NoAutoAllocationSpaceAvailableException",
        "Cannot assign additional allocation: no more space available on node.",
    )


def test_auto_assign_disabled(env: ClientEnv) -> None:
    env.configure(allocations_enabled=False)
    try:
        rows = env.get(_path(env, "survival")).json()["data"]
        assert len(rows) == 2
        assert_error(
            env.post(_path(env, "survival")),
            400,
            "AutoAllocationNotEnabledException",
            "Server auto-allocation is not enabled for this instance.",
        )
    finally:
        env.configure(allocations_enabled=True)
