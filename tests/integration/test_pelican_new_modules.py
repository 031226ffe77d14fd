"""The Pelican-only modules (egg, mount, database_host, role, server_transfer) against the emulator playing Pelican,
and each of them against the emulator playing Pterodactyl, where they must fail before any write. The request log
shows that idempotent runs and check mode wrote nothing, and that no write was ever sent twice.

`pelican_emulator` plays Pelican in every run; `emulator` plays Pterodactyl here, since `make integration-pelican`
(which makes it play Pelican) does not select this module."""

from __future__ import annotations

from conftest import Ansible, writes

from ptero_emulator.fixture import Api


def accepted_writes(running, fragment: str) -> list[tuple[str, str]]:
    return [(r["method"], r["path"]) for r in writes(running.requests()) if fragment in r["path"] and r["status"] < 400]


def test_role(pelican_emulator):
    pelican_emulator.clear_requests()
    Ansible(pelican_emulator).playbook("pelican_new_role")
    assert [method for method, _path in accepted_writes(pelican_emulator, "/roles")] == ["POST", "DELETE"]


def test_database_host(pelican_emulator):
    pelican_emulator.clear_requests()
    Ansible(pelican_emulator).playbook("pelican_new_database_host")
    # Create, the port, the password (update_password=always), delete.
    assert [method for method, _path in accepted_writes(pelican_emulator, "/database-hosts")] == [
        "POST",
        "PATCH",
        "PATCH",
        "DELETE",
    ]


def test_mount(pelican_emulator):
    pelican_emulator.clear_requests()
    Ansible(pelican_emulator).playbook("pelican_new_mount")
    log = writes(pelican_emulator.requests())
    assert [r for r in log if r["status"] >= 400] == [], "a write was refused (re-attach answers 500)"
    assert [(r["method"], r["path"].split("/api/application")[1]) for r in log] == [
        ("PATCH", "/mounts/1"),
        ("POST", "/mounts/1/eggs"),
        ("POST", "/mounts/1/nodes"),
        ("POST", "/mounts/1/servers"),
        ("POST", "/mounts/1/eggs"),
        ("DELETE", "/mounts/1/eggs/1"),
        ("DELETE", "/mounts/1/nodes/1"),
        ("DELETE", "/mounts/1/servers/1"),
    ]


def test_egg(pelican_emulator):
    pelican_emulator.clear_requests()
    Ansible(pelican_emulator).playbook("pelican_new_egg")
    assert [method for method, _path in accepted_writes(pelican_emulator, "/eggs")] == ["POST", "POST", "DELETE"]


def test_server_transfer(pelican_emulator):
    pelican_emulator.clear_requests()
    Ansible(pelican_emulator).playbook("pelican_new_server_transfer")
    assert [path.rsplit("/", 1)[1] for _method, path in accepted_writes(pelican_emulator, "/servers")] == ["transfer"]


def transfer_answers(running) -> list[int]:
    return [r["status"] for r in writes(running.requests()) if r["path"].endswith("/transfer")]


def test_server_transfer_already_running(pelican_emulator):
    """A task run while its transfer still moves (the panel already gave the server the new allocations) asks the
    panel with a transfer request, which it refuses with 409 writing nothing, and waits for the running move: one
    accepted transfer in all."""
    previous = pelican_emulator.control("GET", "config")["transfer_seconds"]
    pelican_emulator.configure(transfer_seconds=12)  # long enough for the second and third tasks to start
    pelican_emulator.clear_requests()
    try:
        Ansible(pelican_emulator).playbook("pelican_new_server_transfer_running")
    finally:
        pelican_emulator.configure(transfer_seconds=previous)
    assert transfer_answers(pelican_emulator) == [204, 409, 409]


def test_server_transfer_after_a_cancel(pelican_emulator):
    """A transfer cancelled through the API leaves the target node's allocation with the server (beta38); a rerun
    of the task starts a new transfer instead of waiting for one that no longer runs, and the panel releases the
    left allocation when that transfer succeeds."""
    previous = pelican_emulator.control("GET", "config")["transfer_seconds"]
    pelican_emulator.configure(transfer_seconds=60)  # the cancel below comes long before it would end
    pelican_emulator.clear_requests()
    try:
        Ansible(pelican_emulator).playbook("pelican_new_server_transfer_cancelled_start")
    finally:
        pelican_emulator.configure(transfer_seconds=previous)
    api = Api(pelican_emulator)
    survival = next(s for s in pelican_emulator.state("servers") if s["name"] == "Survival")
    # Pelican cancels, then answers 500 (its call to the target Wings names a route Wings lacks).
    assert api.post(f"servers/{survival['id']}/transfer/cancel").status_code == 500
    left = [
        a["id"] for a in pelican_emulator.state("allocations") if a["server_id"] == survival["id"] and a["node_id"] == 2
    ]
    assert len(left) == 1, "the cancel should leave the target node's allocation with the server"

    Ansible(pelican_emulator).playbook("pelican_new_server_transfer_cancelled", "-e", f"left_allocation={left[0]}")
    assert transfer_answers(pelican_emulator) == [204, 204]
    survival = next(s for s in pelican_emulator.state("servers") if s["name"] == "Survival")
    held = sorted(a["id"] for a in pelican_emulator.state("allocations") if a["server_id"] == survival["id"])
    assert survival["node_id"] == 2 and held == [survival["allocation_id"]] and left[0] not in held


def test_every_module_fails_on_pterodactyl_before_any_write(emulator):
    emulator.clear_requests()
    Ansible(emulator).playbook("pelican_new_on_pterodactyl")
    assert writes(emulator.requests()) == []
