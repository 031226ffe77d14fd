from conftest import writes


def test_power(ansible, emulator):
    # The emulator caches resource usage for 20 s like the panel: states come from the websocket instead.
    emulator.clear_requests()
    ansible.playbook("power", env=ansible.env(PTERODACTYL_CLIENT_API_KEY=emulator.user_client_key))
    power_writes = [r for r in writes(emulator.requests()) if r["path"].endswith("/power")]
    # Survival: start, restart, stop, kill; Rust Island: start, kill, start (the timed-out wait), stop, start.
    # Check mode, repeated states and failed lookups sent nothing.
    assert [r["status"] for r in power_writes] == [204] * 9, power_writes
    # The power tasks never polled: the reads are client_server_info's and the one for the suspended server
    # (whose websocket the panel refuses with 409).
    resource_reads = [r for r in emulator.requests() if r["path"].endswith("/resources")]
    assert len(resource_reads) == 2, resource_reads
