"""Pelican's database-host node links and the allocations of a server transfer, as beta38 handles them
(DatabaseHostTransformer, HostCreationService/HostUpdateService with the DatabaseHost model's fillable columns,
TransferServerService, and the transfer cancel/success paths of ServerManagementController and
ServerTransferController)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from ptero_emulator.fixture import TEST_DEFAULTS, Api, RunningEmulator, module_emulator_fixture, start_emulator

# Demo seed facts: node 1 "fra-node-1" and node 2 "nyc-node-1"; database host 1 "MySQL Frankfurt" was on node 1
# (Pelican's migration made that its one linked node) and holds the Survival server's database. Server 1
# "Survival" (node 1) has allocations 1 (primary) and 2 (notes "Dynmap"); server 2 "Creative" (node 1) has 3;
# server 3 "Rust Island" (node 2) has 21. Allocations 4-20 are free on node 1, 22-35 on node 2.
SEEDED_HOST = 1
HOST = {"name": "Second MariaDB", "host": "10.0.0.6", "port": 3306, "username": "pelican", "password": "s3cret-pw"}

pelican = module_emulator_fixture(
    "pelican-gaps",
    lambda d: start_emulator(
        d, seed="demo", flavour="pelican", transfer_seconds=600, state_file=str(d / "state.json"), **TEST_DEFAULTS
    ),
)  # transfers end only by advance("transfer"); the state file shows what the state dump masks


@pytest.fixture(scope="module")
def api(pelican: RunningEmulator) -> Api:
    return Api(pelican)


def linked_node_ids(host: dict[str, Any]) -> list[int]:
    return [node["attributes"]["id"] for node in host["attributes"]["relationships"]["nodes"]["data"]]


def saved_rows(pelican: RunningEmulator, table: str) -> list[dict[str, Any]]:
    """The table's rows as the state file has them, secrets included."""
    pelican.control("POST", "save")
    saved = json.loads(Path(pelican.control("GET", "config")["state_file"]).read_text(encoding="utf-8"))
    return saved["tables"][table]


def allocation_owner(pelican: RunningEmulator, allocation_id: int) -> int | None:
    return next(row["server_id"] for row in pelican.state("allocations") if row["id"] == allocation_id)


def allocation_row(pelican: RunningEmulator, allocation_id: int) -> dict[str, Any]:
    return next(row for row in pelican.state("allocations") if row["id"] == allocation_id)


# ---------------------------------------------------------------------------------------------------- database hosts
def test_include_nodes_shows_the_linked_nodes(api: Api) -> None:
    host = api.get(f"database-hosts/{SEEDED_HOST}?include=nodes").json()
    assert linked_node_ids(host) == [1]
    node = host["attributes"]["relationships"]["nodes"]["data"][0]
    assert node["object"] == "node" and node["attributes"]["name"] == "fra-node-1"
    listed = api.get("database-hosts?include=nodes").json()["data"]
    assert [linked_node_ids(row) for row in listed if row["attributes"]["id"] == SEEDED_HOST] == [[1]]
    assert "relationships" not in api.get(f"database-hosts/{SEEDED_HOST}").json()["attributes"]


def test_include_databases_shows_the_hosts_databases(api: Api) -> None:
    host = api.get(f"database-hosts/{SEEDED_HOST}?include=databases").json()
    databases = host["attributes"]["relationships"]["databases"]["data"]
    assert [(d["object"], d["attributes"]["server"]) for d in databases] == [("server_database", 1)]


def test_create_links_node_ids(api: Api) -> None:
    created = api.post("database-hosts?include=nodes", {**HOST, "node_ids": [2, 1]})
    assert created.status_code == 201, created.text
    host_id = created.json()["attributes"]["id"]
    try:
        assert linked_node_ids(created.json()) == [2, 1]
        assert linked_node_ids(api.get(f"database-hosts/{host_id}?include=nodes").json()) == [2, 1]
        bare = api.post("database-hosts?include=nodes", {**HOST, "name": "Unlinked", "node_ids": None})
        assert bare.status_code == 201, bare.text
        assert linked_node_ids(bare.json()) == []
        api.delete(f"database-hosts/{bare.json()['attributes']['id']}")
    finally:
        api.delete(f"database-hosts/{host_id}")


def test_update_ignores_node_ids(api: Api) -> None:
    """node_ids passes validation on PATCH, but it is not a fillable column of the model, so update() drops it."""
    host_id = api.post("database-hosts", {**HOST, "node_ids": [1]}).json()["attributes"]["id"]
    try:
        updated = api.patch(f"database-hosts/{host_id}?include=nodes", {**HOST, "port": 3307, "node_ids": [2]})
        assert updated.status_code == 200, updated.text
        assert updated.json()["attributes"]["port"] == 3307
        assert linked_node_ids(updated.json()) == [1]
        emptied = api.patch(f"database-hosts/{host_id}?include=nodes", {**HOST, "node_ids": []})
        assert linked_node_ids(emptied.json()) == [1]
        refused = api.patch(f"database-hosts/{host_id}", {**HOST, "node_ids": [999]})
        assert refused.status_code == 422  # still validated
    finally:
        api.delete(f"database-hosts/{host_id}")


def test_update_with_an_empty_password_keeps_the_stored_one(api: Api, pelican: RunningEmulator) -> None:
    host_id = api.post("database-hosts", HOST).json()["attributes"]["id"]

    def stored_password() -> str:
        return next(row["password"] for row in saved_rows(pelican, "database_hosts") if row["id"] == host_id)

    try:
        for empty in ("", None):
            assert api.patch(f"database-hosts/{host_id}", {**HOST, "password": empty}).status_code == 200
            assert stored_password() == HOST["password"]
        api.patch(f"database-hosts/{host_id}", {**HOST, "password": "rotated-pw"})
        assert stored_password() == "rotated-pw"
    finally:
        api.delete(f"database-hosts/{host_id}")


# ---------------------------------------------------------------------------------------------------- transfers
@pytest.fixture
def seeded(pelican: RunningEmulator) -> RunningEmulator:
    """The demo data as seeded: each transfer test starts from it, whichever tests ran before on this emulator."""
    pelican.reset()
    return pelican


def test_transfer_gives_the_server_its_free_new_allocations_at_once(api: Api, seeded: RunningEmulator) -> None:
    """Rust Island (server 3) moves to node 1 onto 10 with 11 and 2 (Survival's) as additional allocations: 10 and 11
    are the server's while it moves, 2 stays Survival's; the old allocation is released at the end."""
    started = api.post("servers/3/transfer", {"node_id": 1, "allocation_id": 10, "allocation_additional": [11, 2]})
    assert started.status_code == 204, started.text
    assert [allocation_owner(seeded, a) for a in (10, 11, 2, 21)] == [3, 3, 1, 3]
    server = api.get("servers/3").json()["attributes"]
    assert (server["node"], server["allocation"]) == (2, 21)  # Wings has not finished yet

    assert seeded.advance("transfer") == 1
    server = api.get("servers/3").json()["attributes"]
    assert (server["node"], server["allocation"]) == (1, 10)
    assert [allocation_owner(seeded, a) for a in (10, 11, 2, 21)] == [3, 3, 1, None]


def test_transfer_success_keeps_the_old_allocation_notes(api: Api, seeded: RunningEmulator) -> None:
    """beta38's success callback only clears server_id of the old allocations (HEAD later clears more)."""
    started = api.post("servers/1/transfer", {"node_id": 2, "allocation_id": 22})
    assert started.status_code == 204, started.text
    assert seeded.advance("transfer") == 1
    released = allocation_row(seeded, 2)
    assert (released["server_id"], released["notes"]) == (None, "Dynmap")
    assert allocation_owner(seeded, 1) is None
    assert api.get("servers/1").json()["attributes"]["allocation"] == 22


def test_cancel_leaves_the_new_allocations_with_the_server(api: Api, seeded: RunningEmulator) -> None:
    """Creative (server 2, node 1) starts a move to node 2 and is called back. The panel marks the transfer done
    before Wings reports the failure, so the failure callback finds none and nothing is handed back."""
    started = api.post("servers/2/transfer", {"node_id": 2, "allocation_id": 30, "allocation_additional": [31]})
    assert started.status_code == 204, started.text
    # The cancel takes effect, then the panel's call to the target Wings (a route Wings lacks) makes it a 500.
    cancelled = api.post("servers/2/transfer/cancel")
    assert cancelled.status_code == 500 and cancelled.json()["errors"][0]["code"] == "RequestException"
    assert seeded.advance("transfer") == 0
    server = api.get("servers/2").json()["attributes"]
    assert (server["node"], server["allocation"]) == (1, 3)
    assert [allocation_owner(seeded, a) for a in (30, 31, 3)] == [2, 2, 2]
    assert api.post("servers/2/transfer/cancel").status_code == 406  # nothing is moving any more

    # A retry onto the same allocation passes validation (unique checks servers.allocation_id only). The success
    # callback releases every allocation the server held at the start, the leftovers on node 2 included.
    again = api.post("servers/2/transfer", {"node_id": 2, "allocation_id": 30})
    assert again.status_code == 204, again.text
    assert seeded.advance("transfer") == 1
    assert api.get("servers/2").json()["attributes"]["allocation"] == 30
    assert [allocation_owner(seeded, a) for a in (30, 31, 3)] == [None, None, None]
