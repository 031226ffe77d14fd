"""Concurrency: 20 forks manage 200 servers (one per inventory host) against the emulator's rate limit; every
server is created exactly once, and throttled clients wait for the window to reset instead of hammering it."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
import requests
import yaml
from reliability_support import Ansible, api_requests, emulator_fixture, requests_to, rows

HOSTS = 200
FORKS = 20
FLEET_IP = "10.0.9.10"
FIRST_PORT = 30000
# The panel allows 240 requests a minute per user. Scaled for speed to 100 per 5 seconds (five times the rate),
# keeping its shape: a window holds many more requests than there are forks, so no fork is starved.
RATE_LIMIT = 100
RATE_PERIOD_SECONDS = 5.0
emulator = emulator_fixture(app_rate_limit=RATE_LIMIT, rate_period_seconds=RATE_PERIOD_SECONDS)


def fleet_inventory(emulator, directory: Path) -> Path:
    """200 local hosts, each with the id of its own free allocation (created here through the API)."""
    api = emulator.url + "/api/application/nodes/1/allocations"
    ports = f"{FIRST_PORT}-{FIRST_PORT + HOSTS - 1}"
    created = requests.post(api, json={"ip": FLEET_IP, "ports": [ports]}, headers=emulator.headers(), timeout=30)
    assert created.status_code == 204, created.text
    ids = {row["port"]: row["id"] for row in rows(emulator, "allocations", ip=FLEET_IP)}
    hosts = {
        f"game-{number:03d}": {"server_port": FIRST_PORT + number - 1, "allocation_id": ids[FIRST_PORT + number - 1]}
        for number in range(1, HOSTS + 1)
    }
    inventory = {"all": {"vars": {"ansible_connection": "local"}, "hosts": hosts}}
    path = directory / "fleet.yml"
    path.write_text(yaml.safe_dump(inventory))
    return path


@pytest.mark.slow
def test_twenty_forks_create_two_hundred_servers_once(emulator, tmp_path):
    inventory = fleet_inventory(emulator, tmp_path)
    emulator.clear_requests()
    Ansible(emulator).playbook("fleet", "-i", str(inventory), "-f", str(FORKS))
    log = api_requests(emulator)

    # Nothing duplicated: one server per host, on its own allocation, created by one successful POST.
    fleet = [row for row in emulator.state("servers") if (row["external_id"] or "").startswith("game-")]
    assert sorted(row["external_id"] for row in fleet) == [f"game-{number:03d}" for number in range(1, HOSTS + 1)]
    assert len({row["allocation_id"] for row in fleet}) == HOSTS
    creates = requests_to(log, "POST", "/api/application/servers")
    assert len([entry for entry in creates if entry["status"] == 201]) == HOSTS
    # A create was only ever sent again after a 429 (the panel did nothing); never after a lost answer.
    assert all(entry["status"] in (201, 429) for entry in creates), [entry["status"] for entry in creates]

    # The limit was reached, and clients waited for the window to reset: at most one 429 per fork and window.
    throttled = [entry for entry in log if entry["status"] == 429]
    assert throttled, "the rate limit was never reached"
    duration = log[-1]["time"] - log[0]["time"]
    windows = math.ceil(duration / RATE_PERIOD_SECONDS) + 1
    assert len(throttled) <= windows * FORKS, (len(throttled), windows)
