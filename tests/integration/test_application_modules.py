"""The application-API modules end to end: ansible-playbook against the emulator."""

import json

from conftest import writes

SECRET = "Sentinel-Pass-4711"


def successful_writes(emulator, fragment):
    return [
        (r["method"], r["path"]) for r in writes(emulator.requests()) if fragment in r["path"] and r["status"] < 400
    ]


def test_user_lifecycle(ansible, emulator):
    emulator.clear_requests()
    run = ansible.playbook("user", "-e", f"user_password={SECRET}", "-vvv")
    assert SECRET not in run.output
    # create, e-mail change, rename, delete; check mode and no-op runs wrote nothing
    methods = [method for method, _path in successful_writes(emulator, "/api/application/users")]
    assert methods == ["POST", "PATCH", "PATCH", "DELETE"], methods


def test_node_and_allocations(ansible, emulator):
    emulator.clear_requests()
    ansible.playbook("node_allocation")
    node_writes = [m for m, p in successful_writes(emulator, "/api/application/nodes") if "/allocations" not in p]
    assert node_writes == ["POST", "PATCH", "DELETE"], node_writes
    allocation_writes = [m for m, _p in successful_writes(emulator, "/allocations")]
    assert allocation_writes == ["POST", "DELETE", "DELETE"], allocation_writes


def test_server_lifecycle(ansible, emulator):
    emulator.clear_requests()
    ansible.playbook("server")
    server_writes = [
        (m, p.rsplit("/", 1)[-1])
        for m, p in successful_writes(emulator, "/api/application/servers")
        if "/databases" not in p
    ]
    # create; build; startup; details (rename); suspend; unsuspend; delete — nothing else
    assert [m for m, _tail in server_writes] == ["POST", "PATCH", "PATCH", "PATCH", "POST", "POST", "DELETE"], (
        server_writes
    )
    assert [tail for _m, tail in server_writes][1:6] == ["build", "startup", "details", "suspend", "unsuspend"]


def test_node_description_upload_size_and_wings_drift(ansible, emulator):
    """Issue 12: description on 1.12+ (refused, never changed, on 1.11); D-C1: a node change the panel saved while
    Wings was unreachable is reported as changed, with how to push it; the next run is ok."""
    old_panel = emulator.configure()["panel_version"] == "1.11"
    emulator.clear_requests()
    ansible.playbook(
        "node_panel_versions", "--skip-tags", "unreachable,cleanup", "-e", json.dumps({"old_panel": old_panel})
    )
    node_patches = [r for r in writes(emulator.requests()) if r["method"] == "PATCH" and "/nodes/" in r["path"]]
    # 1.11: two PATCHes that the panel ignored; 1.12+: only the upload size (the description went in with the POST).
    assert len(node_patches) == (2 if old_panel else 1), node_patches
    emulator.configure(daemon_unreachable=True)
    try:
        ansible.playbook("node_panel_versions", "--tags", "unreachable")
    finally:
        emulator.configure(daemon_unreachable=False)
    ansible.playbook("node_panel_versions", "--tags", "cleanup")
