"""The application-API modules end to end: ansible-playbook against the emulator."""
from conftest import writes

SECRET = "Sentinel-Pass-4711"


def successful_writes(emulator, fragment):
    return [(r["method"], r["path"]) for r in writes(emulator.requests()) if fragment in r["path"] and r["status"] < 400]


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
    server_writes = [(m, p.rsplit("/", 1)[-1]) for m, p in successful_writes(emulator, "/api/application/servers")
                     if "/databases" not in p]
    # create; build; startup; details (rename); suspend; unsuspend; delete — nothing else
    assert [m for m, _tail in server_writes] == ["POST", "PATCH", "PATCH", "PATCH", "POST", "POST", "DELETE"], server_writes
    assert [tail for _m, tail in server_writes][1:6] == ["build", "startup", "details", "suspend", "unsuspend"]
