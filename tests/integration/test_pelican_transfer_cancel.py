"""server_transfer state=cancelled against the emulator playing Pelican: a running transfer is cancelled (a change),
a second cancel finds none (no change), check mode sends nothing, and a cancel the panel applied before failing with
500 (Pelican beta38 with Wings beta29 ends the transfer in its database, then fails telling Wings) is asked once more
and reported as a change. The request log shows every write and its answer."""

from __future__ import annotations

from conftest import Ansible, writes


def write_answers(running) -> list[tuple[str, int]]:
    """(last path segment, status) of every write to a server's transfer routes, in order."""
    return [(r["path"].rsplit("/", 1)[1], r["status"]) for r in writes(running.requests()) if "/transfer" in r["path"]]


def test_cancel_a_running_transfer(pelican_emulator):
    survival = next(s for s in pelican_emulator.state("servers") if s["name"] == "Survival")
    previous = pelican_emulator.control("GET", "config")["transfer_seconds"]
    pelican_emulator.configure(transfer_seconds=300)  # the transfers below run until cancelled
    pelican_emulator.clear_requests()
    try:
        Ansible(pelican_emulator).playbook("pelican_server_transfer_cancel")
    finally:
        pelican_emulator.configure(transfer_seconds=previous)
    # Pelican cancels and then answers a generic 500 (it tells the target Wings to stop through a route Wings does
    # not have): the module asks once more, and the 406 says the transfer is no longer running.
    assert write_answers(pelican_emulator) == [
        ("transfer", 204),
        ("cancel", 500),
        ("cancel", 406),
        ("cancel", 406),
        ("transfer", 204),
        ("cancel", 500),
        ("cancel", 406),
    ]
    # Nothing is left to finish: running every due transfer timer moves nothing.
    assert pelican_emulator.advance("transfer") == 0
    survival = next(s for s in pelican_emulator.state("servers") if s["id"] == survival["id"])
    assert survival["node_id"] == 1 and not survival.get("transfer")
    # Each cancelled transfer left the allocation it gave the server on the target node assigned to it (beta38).
    left = [
        a["id"] for a in pelican_emulator.state("allocations") if a["server_id"] == survival["id"] and a["node_id"] == 2
    ]
    assert len(left) == 2
