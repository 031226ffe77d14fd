"""Pelican's new application resources (pelican.md §2.1, §3.7, §4): mounts, database hosts, roles and server
transfers with their 500/406 quirks."""

from __future__ import annotations

import pytest

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
    "pelican-resources",
    lambda d: start_emulator(d, seed="demo", flavour="pelican", transfer_seconds=60, **TEST_DEFAULTS),
)  # transfers end by advance()
MOUNT = {"name": "shared-maps", "source": "/srv/maps", "target": "/home/container/maps"}


@pytest.fixture(scope="module")
def api(pelican: RunningEmulator) -> Api:
    return Api(pelican)


# ---------------------------------------------------------------------------------------------------- mounts
def test_mount_create_is_broken(api: Api) -> None:
    response = api.post("mounts", {**MOUNT, "name": "new-mount"})
    assert response.status_code == 500


def test_mount_list_get_update(api: Api) -> None:
    listing = api.get("mounts?filter[name]=shared").json()
    assert [m["attributes"]["name"] for m in listing["data"]] == ["shared-maps"]
    assert listing["meta"]["pagination"]["per_page"] == 50
    updated = api.patch("mounts/1", {**MOUNT, "description": "maps", "read_only": False})
    assert updated.status_code == 200, updated.text
    assert (updated.json()["attributes"]["description"], updated.json()["attributes"]["read_only"]) == ("maps", False)
    assert set(validation_fields(api.patch("mounts/1", {"name": "x"}))) == {"name", "source", "target"}


@pytest.mark.parametrize(("kind", "target"), [("eggs", 1), ("nodes", 1), ("servers", 3)])
def test_mount_attach_reattach_detach(api: Api, kind: str, target: int) -> None:
    attached = api.post(f"mounts/1/{kind}", {kind: [target]})
    assert attached.status_code == 200 and attached.json()["object"] == "mount"
    assert [o["attributes"]["id"] for o in api.get(f"mounts/1/{kind}").json()["data"]] == [target]
    assert api.get(f"mounts/1?include={kind}").json()["attributes"]["relationships"][kind]["data"]
    again = api.post(f"mounts/1/{kind}", {kind: [target]})
    assert again.status_code == 500  # the pivot row exists: plain attach() fails
    assert api.delete(f"mounts/1/{kind}/{target}").status_code == 204
    assert api.delete(f"mounts/1/{kind}/{target}").status_code == 204  # detach is idempotent
    assert api.get(f"mounts/1/{kind}").json()["data"] == []


def test_mount_delete_refused_while_servers_attached(api: Api) -> None:
    api.post("mounts/1/servers", {"servers": [2]})
    assert api.delete("mounts/1").status_code == 400
    api.delete("mounts/1/servers/2")


# ---------------------------------------------------------------------------------------------------- database hosts
def test_database_host_crud(api: Api) -> None:
    listing = api.get("database-hosts").json()
    assert listing["meta"]["pagination"]["per_page"] == 10 and len(listing["data"]) == 1
    body = {
        "name": "MySQL NYC",
        "host": "10.0.1.5",
        "port": 3306,
        "username": "pelican",
        "password": "secret",
        "node_ids": [2],
    }
    created = api.post("database-hosts", body)
    assert created.status_code == 201, created.text
    host = created.json()["attributes"]
    assert "password" not in host and host["name"] == "MySQL NYC"
    assert api.patch(f"database-hosts/{host['id']}", {**body, "port": 3307}).json()["attributes"]["port"] == 3307
    assert api.get("database-hosts?filter[name]=NYC").json()["data"][0]["attributes"]["id"] == host["id"]
    assert api.delete(f"database-hosts/{host['id']}").status_code == 204
    assert api.get(f"database-hosts/{host['id']}").status_code == 404
    assert api.delete("database-hosts/1").status_code == 500  # the demo database lives there: the foreign key refuses


# ---------------------------------------------------------------------------------------------------- roles
def test_roles_name_only_duplicates_fail(api: Api) -> None:
    created = api.post("roles", {"name": "Support"})
    assert created.status_code == 201, created.text
    role = created.json()["attributes"]
    assert set(role) == {"id", "name", "created_at", "updated_at"}
    assert created.json()["meta"]["resource"].endswith(f"/api/application/roles/{role['id']}")
    assert api.post("roles", {"name": "Support"}).status_code == 500
    assert api.get("roles").json()["meta"]["pagination"]["per_page"] == 10
    assert api.patch(f"roles/{role['id']}", {"name": "Helpdesk"}).json()["attributes"]["name"] == "Helpdesk"


def test_root_admin_role_protected(api: Api) -> None:
    assert api.patch("roles/1", {"name": "Boss"}).status_code == 500
    assert api.delete("roles/1").status_code == 500


def test_assign_and_remove_roles(api: Api) -> None:
    role = api.post("roles", {"name": "Moderators"}).json()["attributes"]
    assigned = api.patch("users/2/roles/assign?include=roles", {"roles": [role["id"], 1]})
    assert assigned.status_code == 200, assigned.text
    user = assigned.json()["attributes"]
    assert [r["attributes"]["name"] for r in user["relationships"]["roles"]["data"]] == ["Moderators"]
    assert user["root_admin"] is False  # the Root Admin role is skipped
    removed = api.patch("users/2/roles/remove?include=roles", {"roles": [role["id"]]}).json()["attributes"]
    assert removed["relationships"]["roles"]["data"] == []
    assert api.patch("users/1/roles/remove", {"roles": [1]}).json()["attributes"]["root_admin"] is True


# ---------------------------------------------------------------------------------------------------- transfers
def _assigned(api: Api, node_id: int) -> dict[int, bool]:
    """allocation id -> assigned, of one node."""
    rows = api.get(f"nodes/{node_id}/allocations?per_page=500").json()["data"]
    return {row["attributes"]["id"]: row["attributes"]["assigned"] for row in rows}


def test_transfer_not_viable_is_an_empty_406(api: Api) -> None:
    """A target node without room for the server's memory (Node::isViable) answers an empty 406."""
    tiny = api.post(
        "nodes",
        {
            "name": "tiny",
            "fqdn": "tiny.example.test",
            "scheme": "https",
            "memory": 512,
            "memory_overallocate": 0,
            "disk": 100000,
            "disk_overallocate": 0,
            "cpu": 0,
            "cpu_overallocate": 0,
            "daemon_listen": 8080,
            "daemon_sftp": 2022,
            "daemon_connect": 8080,
        },
    ).json()["attributes"]
    refused = api.post("servers/1/transfer", {"node_id": tiny["id"], "allocation_id": 10})
    assert refused.status_code == 406 and refused.content == b""
    assert api.post("servers/1/transfer/cancel").status_code == 406  # nothing is moving
    taken = api.post("servers/1/transfer", {"node_id": 2, "allocation_id": 1})  # server 1's own primary
    assert "allocation_id" in validation_fields(taken)


def test_transfer_moves_the_server_and_gates_the_client_api(api: Api, pelican: RunningEmulator) -> None:
    free = [a for a in api.get("nodes/2/allocations?per_page=100").json()["data"] if not a["attributes"]["assigned"]]
    server = api.get("servers/2").json()["attributes"]
    response = api.post("servers/2/transfer", {"node_id": 2, "allocation_id": free[0]["attributes"]["id"]})
    assert response.status_code == 204, response.text
    client = Api(pelican, "user").get(f"/api/client/servers/{server['identifier']}/startup")
    assert client.status_code == 409 and "transferred" in error_of(client)["detail"]
    assert pelican.advance("transfer") == 1  # the transfer completes
    moved = api.get("servers/2").json()["attributes"]
    assert (moved["node"], moved["allocation"]) == (2, free[0]["attributes"]["id"])
    assert _assigned(api, 1)[server["allocation"]] is False  # the old node's allocation is released
    assert Api(pelican, "user").get(f"/api/client/servers/{server['identifier']}/startup").status_code == 200


def test_transfer_cancel(api: Api, pelican: RunningEmulator) -> None:
    """Server 3 ("Rust Island", node 2) starts a move to node 1 and is called back."""
    free = [a for a in api.get("nodes/1/allocations?per_page=100").json()["data"] if not a["attributes"]["assigned"]]
    moving = api.post("servers/3/transfer", {"node_id": 1, "allocation_id": free[-1]["attributes"]["id"]})
    assert moving.status_code == 204, moving.text
    wanted = free[-1]["attributes"]["id"]
    assert _assigned(api, 1)[wanted] is True  # reserved for the server while it moves
    again = api.post("servers/3/transfer", {"node_id": 1, "allocation_id": free[-2]["attributes"]["id"]})
    assert again.status_code == 409 and "transferred" in error_of(again)["detail"]
    # Cancelled, then the generic 500 of the panel's call to the target Wings (a route Wings beta29 lacks).
    assert api.post("servers/3/transfer/cancel").status_code == 500
    assert pelican.advance("transfer") == 0  # a cancelled transfer never completes
    assert api.get("servers/3").json()["attributes"]["node"] == 2
    assert _assigned(api, 1)[wanted] is True  # not handed back: Wings' failure callback finds no transfer


def test_suspend_refused_during_a_transfer(api: Api) -> None:
    """Server 1 ("Survival", node 1) is held mid-transfer: suspending answers 409; unsuspending a server that is
    not suspended stays a no-op (checked first)."""
    free = [a for a in api.get("nodes/2/allocations?per_page=100").json()["data"] if not a["attributes"]["assigned"]]
    assert (
        api.post("servers/1/transfer", {"node_id": 2, "allocation_id": free[-1]["attributes"]["id"]}).status_code == 204
    )
    try:
        refused = api.post("servers/1/suspend")
        assert refused.status_code == 409
        assert error_of(refused)["detail"] == (
            "Cannot toggle suspension status on a server that is currently being transferred."
        )
        assert api.post("servers/1/unsuspend").status_code == 204
    finally:
        assert api.post("servers/1/transfer/cancel").status_code == 500  # cancelled, then the Wings call fails
    assert api.post("servers/1/suspend").status_code == 204
    assert api.post("servers/1/unsuspend").status_code == 204


def test_wings_failures_are_generic_500s(api: Api, pelican: RunningEmulator) -> None:
    pelican.configure(daemon_unreachable=True)
    try:
        response = api.post("servers/3/reinstall")
        suspended = api.post("servers/3/suspend")
    finally:
        pelican.configure(daemon_unreachable=False)
    assert response.status_code == 500 and error_of(response)["code"] == "ConnectionException"
    assert suspended.status_code == 500
    assert api.get("servers/3").json()["attributes"]["suspended"] is True  # no rollback on Pelican
    assert api.post("servers/3/unsuspend").status_code == 204
