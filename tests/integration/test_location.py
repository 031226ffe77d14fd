from conftest import writes


def test_location_lifecycle(ansible, emulator):
    emulator.clear_requests()
    ansible.playbook("location")
    log = emulator.requests()
    location_writes = [(r["method"], r["path"]) for r in writes(log) if "/locations" in r["path"] and r["status"] < 400]
    # Exactly: one create, one update, one delete. Check mode and no-op runs wrote nothing.
    assert [write[0] for write in location_writes] == ["POST", "PATCH", "DELETE"], location_writes
