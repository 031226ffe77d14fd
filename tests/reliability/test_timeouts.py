"""A hung panel: modules and the inventory fail within `timeout` (plus a read's retries) with a clear message."""

from __future__ import annotations

from reliability_support import INVENTORIES, Ansible, api_requests, emulator_fixture, requests_to, rows

emulator = emulator_fixture()
# One attempt of 1 s, one retry, a short back-off, and the time ansible-inventory needs to start.
INVENTORY_CEILING_SECONDS = 30


def test_hung_reads_and_writes(emulator):
    emulator.clear_requests()
    Ansible(emulator).playbook("hung_panel")
    log = api_requests(emulator)
    # The hung reads: three attempts each (retries: 2), then the module gave up.
    assert len(requests_to(log, "GET", "/api/application/nodes")) == 3
    # The hung write was sent once; the re-run found the location and sent nothing.
    assert len(requests_to(log, "POST", "/api/application/locations")) == 1
    assert len(rows(emulator, "locations", short="slow-location")) == 1


def test_hung_inventory_fails_in_time(emulator):
    emulator.clear_faults()
    emulator.add_fault("^/api/application/servers$", "latency", method="GET", latency_ms=60000, count=None)
    try:
        ansible = Ansible(emulator)
        run = ansible.inventory(
            INVENTORIES / "impatient.pterodactyl.yml", "--list", env=ansible.env(ANSIBLE_INVENTORY_UNPARSED_FAILED="1")
        )
    finally:
        emulator.clear_faults()
    assert run.rc != 0, run.output[-4000:]
    assert "timed out after 1s waiting for the answer" in run.stderr, run.stderr[-4000:]
    assert "gave up after 2 attempts" in run.stderr, run.stderr[-4000:]
    assert run.seconds < INVENTORY_CEILING_SECONDS, run.seconds
