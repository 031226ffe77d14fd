"""ptero.panel.network_allocation end to end against the emulator (the player's client key)."""

from conftest import writes


def test_network_allocation(ansible, emulator):
    emulator.clear_requests()
    ansible.playbook("network_allocation", env=ansible.env(PTERODACTYL_CLIENT_API_KEY=emulator.user_client_key))
    done = [
        (r["method"], r["path"].rsplit("/network/allocations", 1)[1])
        for r in writes(emulator.requests())
        if "/network/allocations" in r["path"] and r["status"] < 400
    ]
    # One auto-assignment, two notes updates, one primary change, one removal; check mode and no-op runs wrote
    # nothing, and refused tasks (over the limit, the primary) did not try.
    assert [method for method, _rest in done] == ["POST", "POST", "POST", "POST", "DELETE"], done
    assert done[0][1] == "" and done[3][1].endswith("/primary"), done
    assert not [r for r in writes(emulator.requests()) if "/network/allocations" in r["path"] and r["status"] >= 400]
