"""5xx answers and dropped connections: reads are retried, writes are never sent twice, and a create whose answer
was lost is adopted (or fails clearly), with exactly one object on the panel afterwards."""

from __future__ import annotations

from collections import Counter

from reliability_support import Ansible, api_requests, emulator_fixture, requests_to, rows

emulator = emulator_fixture()

SERVER_ROUTE = "/api/client/servers/{uuid}"


def test_lost_answers_playbook(emulator):
    emulator.clear_requests()
    Ansible(emulator).playbook("lost_answers")
    log = api_requests(emulator)
    client_server = SERVER_ROUTE.format(uuid=rows(emulator, "servers", name="Survival")[0]["uuid"])

    # Reads: every failure was followed by another attempt, until one succeeded.
    location_reads = [entry["status"] for entry in requests_to(log, "GET", "/api/application/locations")]
    assert location_reads[:6] == [500, 502, 503, 504, 0, 200], location_reads
    schedule_reads = [entry["status"] for entry in requests_to(log, "GET", client_server + "/schedules")]
    assert schedule_reads[:3] == [502, 0, 200], schedule_reads
    node_reads = [entry["status"] for entry in requests_to(log, "GET", "/api/application/nodes")]
    assert node_reads[:4] == [503, 503, 503, 200], node_reads  # gave up after 3; the next task read it

    # Writes: each create was sent once; the lost ones were adopted, not sent again.
    posts = Counter(entry["path"] for entry in log if entry["method"] == "POST")
    for path in (
        "/api/application/locations",
        "/api/application/users",
        "/api/client/account/ssh-keys",
        client_server + "/schedules",
        client_server + "/backups",
        client_server + "/users",
        client_server + "/databases",
        "/api/application/nodes/1/allocations",
    ):
        assert posts[path] == 1, (path, posts)
    server_creates = [entry["status"] for entry in requests_to(log, "POST", "/api/application/servers")]
    # lost-server (answer lost after the write), never-server (dropped before it), never-server again.
    assert server_creates == [502, 0, 201], server_creates
    patches = [entry for entry in log if entry["method"] == "PATCH"]
    assert [entry["status"] for entry in patches] == [503], patches
    # A DELETE may be re-sent: the second finds the object already gone.
    deletes = [entry["status"] for entry in log if entry["method"] == "DELETE"]
    assert deletes == [0, 404], deletes

    assert_exactly_one_of_everything(emulator)


def assert_exactly_one_of_everything(emulator) -> None:
    """The panel's state proves nothing was created twice."""
    server = rows(emulator, "servers", name="Survival")[0]
    assert len(rows(emulator, "users", username="lost.user")) == 1
    assert len(rows(emulator, "servers", external_id="lost-server")) == 1
    assert len(rows(emulator, "servers", external_id="never-server")) == 1
    assert len(rows(emulator, "schedules", server_id=server["id"], name="lost-schedule")) == 1
    assert len(rows(emulator, "backups", server_id=server["id"], name="lost-backup")) == 1
    assert len(rows(emulator, "databases", server_id=server["id"], database=f"s{server['id']}_lostdb")) == 1
    assert len(rows(emulator, "ssh_keys", name="lost-key")) == 1
    subuser_accounts = rows(emulator, "users", email="lost.sub@example.com")
    assert len(subuser_accounts) == 1
    assert len(rows(emulator, "subusers", server_id=server["id"], user_id=subuser_accounts[0]["id"])) == 1
    # The location was updated once, then deleted.
    assert rows(emulator, "locations", short="lost-location") == []
    ports = Counter(row["port"] for row in rows(emulator, "allocations", ip="10.0.0.10") if row["port"] >= 30100)
    assert ports == {30100: 1, 30101: 1, 30102: 1}
