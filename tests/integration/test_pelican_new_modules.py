"""The Pelican-only modules (egg, mount, database_host, role, server_transfer) against the emulator playing Pelican,
and each of them against the emulator playing Pterodactyl, where they must fail before any write. The request log
shows that idempotent runs and check mode wrote nothing, and that no write was ever sent twice."""

from __future__ import annotations

import pytest
from conftest import Ansible, writes

from ptero_emulator.fixture import start_emulator


@pytest.fixture(scope="module")
def pelican(tmp_path_factory):
    running = start_emulator(
        tmp_path_factory.mktemp("pelican"),
        seed="demo",
        flavour="pelican",
        install_seconds=0.5,
        power_seconds=0.2,
        backup_seconds=0.3,
        transfer_seconds=1.0,
    )
    yield running
    running.stop()


@pytest.fixture(scope="module")
def pterodactyl(tmp_path_factory):
    running = start_emulator(tmp_path_factory.mktemp("pterodactyl"), seed="demo", flavour="pterodactyl")
    yield running
    running.stop()


def accepted_writes(emulator, fragment: str) -> list[tuple[str, str]]:
    return [
        (r["method"], r["path"]) for r in writes(emulator.requests()) if fragment in r["path"] and r["status"] < 400
    ]


def test_role(pelican):
    pelican.clear_requests()
    Ansible(pelican).playbook("pelican_new_role")
    assert [method for method, _path in accepted_writes(pelican, "/roles")] == ["POST", "DELETE"]


def test_database_host(pelican):
    pelican.clear_requests()
    Ansible(pelican).playbook("pelican_new_database_host")
    # Create, the port, the password (update_password=always), delete.
    assert [method for method, _path in accepted_writes(pelican, "/database-hosts")] == [
        "POST",
        "PATCH",
        "PATCH",
        "DELETE",
    ]


def test_mount(pelican):
    pelican.clear_requests()
    Ansible(pelican).playbook("pelican_new_mount")
    log = writes(pelican.requests())
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


def test_egg(pelican):
    pelican.clear_requests()
    Ansible(pelican).playbook("pelican_new_egg")
    assert [method for method, _path in accepted_writes(pelican, "/eggs")] == ["POST", "POST", "DELETE"]


def test_server_transfer(pelican):
    pelican.clear_requests()
    Ansible(pelican).playbook("pelican_new_server_transfer")
    assert [path.rsplit("/", 1)[1] for _method, path in accepted_writes(pelican, "/servers")] == ["transfer"]


def test_every_module_fails_on_pterodactyl_before_any_write(pterodactyl):
    pterodactyl.clear_requests()
    Ansible(pterodactyl).playbook("pelican_new_on_pterodactyl")
    assert writes(pterodactyl.requests()) == []
