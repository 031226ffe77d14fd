import time

from conftest import PANEL_VERSION, writes


def test_power(ansible, emulator):
    # The emulator caches resource usage for 20 s like the panel: states come from the websocket instead.
    emulator.clear_requests()
    ansible.playbook("power", env=ansible.env(PTERODACTYL_CLIENT_API_KEY=emulator.user_client_key))
    power_writes = [r for r in writes(emulator.requests()) if r["path"].endswith("/power")]
    # Survival: start, restart, stop; Rust Island: start, kill, start (the timed-out wait), stop, start.
    # Check mode, repeated states, killing the offline Survival and failed lookups sent nothing.
    assert [r["status"] for r in power_writes] == [204] * 8, power_writes
    # (The log holds no bodies: the signals are counted per server.)
    survival = next(row["uuid"] for row in emulator.state("servers") if row["name"] == "Survival")
    assert sum(survival in r["path"] for r in power_writes) == 3, power_writes
    # The power tasks never polled: the reads are client_server_info's and the one for the suspended server
    # (whose websocket the panel refuses with 409).
    resource_reads = [r for r in emulator.requests() if r["path"].endswith("/resources")]
    assert len(resource_reads) == 2, resource_reads


def test_eight_console_and_power_tasks_on_one_server_within_a_minute(ansible, emulator):
    """Panels 1.12+ allow 5 websocket tokens per minute per server: the tasks after the fifth wait for the panel's
    Retry-After (within the retry budget) and the playbook succeeds; each task fetches exactly one token."""
    survival = next(row["uuid"] for row in emulator.state("servers") if row["name"] == "Survival")
    emulator.control("POST", f"wings/servers/{survival}/power", {"state": "offline"})
    emulator.clear_requests()
    started = time.monotonic()
    ansible.playbook("console_power_limits", env=ansible.env(PTERODACTYL_CLIENT_API_KEY=emulator.user_client_key))
    elapsed = time.monotonic() - started
    tokens = [r["status"] for r in emulator.requests() if r["path"].endswith("/websocket")]
    assert tokens.count(200) == 8, tokens  # one token per task, none per command or per wait
    if PANEL_VERSION in ("", "1.12", "1.14"):
        # The sixth task found the minute's 5 tokens used, waited for Retry-After and went on.
        assert 429 in tokens and set(tokens) == {200, 429}, tokens
        assert tokens[:5] == [200] * 5, tokens
        assert elapsed < 180, elapsed
    else:
        assert set(tokens) == {200}, tokens
