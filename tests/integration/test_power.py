from conftest import writes


def test_power(ansible, emulator):
    # The panel caches resource usage for 20 s; without the cache the waits take fractions of a second.
    emulator.configure(extra={"resources_cache_seconds": 0})
    emulator.clear_requests()
    ansible.playbook("power", env=ansible.env(PTERODACTYL_CLIENT_API_KEY=emulator.user_client_key))
    power_writes = [r for r in writes(emulator.requests()) if r["path"].endswith("/power")]
    # Survival: start, restart, stop, kill; Rust Island: start, kill, start (the timed-out wait), stop, start.
    # Check mode, repeated states and failed lookups sent nothing.
    assert [r["status"] for r in power_writes] == [204] * 9, power_writes
