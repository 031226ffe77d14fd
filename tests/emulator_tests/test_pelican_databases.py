"""Pelican's client database placement and the database_host_node links (beta38): DeployServerDatabaseService picks
a host among those linked to the server's node (`$server->node->databaseHosts()`, the database_host_node pivot that
replaced the host's node_id column in migration 2024_10_31_203540), and deleting a node removes its links (cascade,
migration 2024_12_27_135435)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from ptero_emulator.fixture import TEST_DEFAULTS, Api, RunningEmulator, start_emulator

# Demo seed facts: node 1 "fra-node-1" and node 2 "nyc-node-1"; the seeded database host 1 is linked to node 1
# only. Server 3 "Rust Island" is on node 2.
RUST_ISLAND = 3
HOST = {"name": "NYC MariaDB", "host": "10.0.1.6", "port": 3306, "username": "pelican", "password": "s3cret-pw"}
NODE = {
    "name": "spare",
    "fqdn": "spare.example.test",
    "scheme": "https",
    "memory": 4096,
    "memory_overallocate": 0,
    "disk": 100000,
    "disk_overallocate": 0,
    "cpu": 0,
    "cpu_overallocate": 0,
    "daemon_listen": 8080,
    "daemon_sftp": 2022,
    "daemon_connect": 8080,
}


@pytest.fixture
def pelican(tmp_path) -> Iterator[RunningEmulator]:
    """A fresh Pelican emulator in which a server's database must go to a host of its node (no random host)."""
    running = start_emulator(
        tmp_path, seed="demo", flavour="pelican", databases_allow_random_host=False, **TEST_DEFAULTS
    )
    try:
        yield running
    finally:
        running.stop()


def server_identifier(api: Api, server_id: int) -> str:
    return str(api.get(f"servers/{server_id}").json()["attributes"]["identifier"])


def host_row(pelican: RunningEmulator, host_id: int) -> dict[str, Any]:
    return next(row for row in pelican.state("database_hosts") if row["id"] == host_id)


def test_a_database_goes_to_the_host_linked_to_the_servers_node(pelican: RunningEmulator) -> None:
    api, client = Api(pelican), Api(pelican, "client")
    identifier = server_identifier(api, RUST_ISLAND)
    refused = client.post(f"/api/client/servers/{identifier}/databases", {"database": "before", "remote": "%"})
    assert refused.status_code == 400, refused.text  # no host is linked to node 2 yet
    assert refused.json()["errors"][0]["code"] == "NoSuitableDatabaseHostException"

    host = api.post("database-hosts", {**HOST, "node_ids": [2]})
    assert host.status_code == 201, host.text
    host_id = host.json()["attributes"]["id"]
    assert host_row(pelican, host_id).get("node_id") is None  # linked through node_ids only
    pelican.clear_rate_limits()
    created = client.post(f"/api/client/servers/{identifier}/databases", {"database": "stats", "remote": "%"})
    assert created.status_code == 200, created.text
    assert created.json()["attributes"]["host"]["address"] == HOST["host"]


def test_a_host_linked_to_other_nodes_is_not_chosen(pelican: RunningEmulator) -> None:
    api, client = Api(pelican), Api(pelican, "client")
    assert api.post("database-hosts", {**HOST, "node_ids": [1]}).status_code == 201
    identifier = server_identifier(api, RUST_ISLAND)
    refused = client.post(f"/api/client/servers/{identifier}/databases", {"database": "stats", "remote": "%"})
    assert refused.status_code == 400 and refused.json()["errors"][0]["code"] == "NoSuitableDatabaseHostException"


def test_deleting_a_node_removes_it_from_every_hosts_links(pelican: RunningEmulator) -> None:
    api = Api(pelican)
    spare = api.post("nodes", NODE)
    assert spare.status_code == 201, spare.text
    spare_id = spare.json()["attributes"]["id"]
    first = api.post("database-hosts", {**HOST, "node_ids": [spare_id, 2]}).json()["attributes"]["id"]
    second = api.post("database-hosts", {**HOST, "name": "Spare only", "node_ids": [spare_id]}).json()["attributes"]
    assert api.delete(f"nodes/{spare_id}").status_code == 204
    assert host_row(pelican, first)["node_ids"] == [2]
    assert host_row(pelican, second["id"])["node_ids"] == []
    assert host_row(pelican, 1)["node_ids"] == [1]  # other links stay
