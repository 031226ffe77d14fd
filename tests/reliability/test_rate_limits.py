"""429 storms: playbooks and the inventory finish correctly, waiting as long as Retry-After says, in bounded time."""

from __future__ import annotations

import itertools
import json

from reliability_support import INVENTORIES, Ansible, api_requests, emulator_fixture, requests_to, rows

# A few requests per 2-second window: nearly every module meets 429 answers.
storm_emulator = emulator_fixture(app_rate_limit=3, client_rate_limit=3, rate_period_seconds=2.0)
# No rate limit: the 429 answers are injected, with a known Retry-After.
emulator = emulator_fixture()
# 450 servers (5 pages) listed by up to 4 concurrent requests against 2 requests per second.
SCALE_SERVERS = 450
scale_emulator = emulator_fixture(
    seed=f"scale:servers={SCALE_SERVERS},nodes=3,users=5,locations=2",
    app_rate_limit=2,
    client_rate_limit=2,
    rate_period_seconds=1.0,
)
PLAYBOOK_CEILING_SECONDS = 240
INVENTORY_CEILING_SECONDS = 60
INJECTED_RETRY_AFTER = 2.0


def api_of(entry: dict) -> str:
    return entry["path"].split("/")[2]  # "application" or "client": each has its own limit


def follow_ups(log: list[dict]) -> list[tuple[dict, dict]]:
    """Each 429 answer with the next request sent to the same API (modules run one at a time here)."""
    pairs = []
    for index, entry in enumerate(log):
        if entry["status"] != 429:
            continue
        following = next((later for later in log[index + 1 :] if api_of(later) == api_of(entry)), None)
        if following is not None:
            pairs.append((entry, following))
    return pairs


def test_playbook_through_a_429_storm(storm_emulator):
    storm_emulator.clear_requests()
    run = Ansible(storm_emulator).playbook("rate_limited")
    assert run.seconds < PLAYBOOK_CEILING_SECONDS, run.seconds
    log = api_requests(storm_emulator)
    assert len([entry for entry in log if entry["status"] == 429]) >= 5, log

    # The limiter's Retry-After reaches the end of its window: the retry lands in a fresh window and passes.
    for answer, retry in follow_ups(log):
        assert retry["time"] - answer["time"] >= 0.9 and retry["status"] != 429, (answer, retry)
    # Throttled creates were sent again (a 429 means the panel did nothing) and happened once.
    assert len(rows(storm_emulator, "locations", short="storm-location")) == 1
    assert len(rows(storm_emulator, "servers", external_id="storm-server")) == 1


def test_retry_after_is_waited_for_exactly_as_asked(emulator):
    emulator.clear_requests()
    Ansible(emulator).playbook("retry_after")
    log = api_requests(emulator)

    egg_reads = [entry for entry in log if entry["method"] == "GET" and entry["path"].endswith("/eggs")]
    creates = requests_to(log, "POST", "/api/application/locations")
    for attempts in (egg_reads, creates):
        assert [entry["status"] for entry in attempts] == [429, 429, attempts[-1]["status"]], attempts
        assert attempts[-1]["status"] in (200, 201)
        waits = [later["time"] - earlier["time"] for earlier, later in itertools.pairwise(attempts)]
        assert all(wait >= INJECTED_RETRY_AFTER for wait in waits), waits
    assert len(rows(emulator, "locations", short="after-429")) == 1

    # A Retry-After beyond what the client may wait fails at once: one request, no sleeping through it.
    user_reads = requests_to(log, "GET", "/api/application/users")
    assert [entry["status"] for entry in user_reads] == [429], user_reads


def inventory_hosts(run) -> dict:
    assert run.rc == 0, run.output[-6000:]
    assert run.seconds < INVENTORY_CEILING_SECONDS, run.seconds
    # The nodes, locations and nests listings may fail with only a warning: none may have.
    assert "WARNING" not in run.stderr, run.stderr[-3000:]
    return json.loads(run.stdout)["_meta"]["hostvars"]


def test_inventories_through_a_429_storm(scale_emulator):
    ansible = Ansible(scale_emulator)
    strict = ansible.env(ANSIBLE_INVENTORY_UNPARSED_FAILED="1")

    scale_emulator.clear_requests()
    application = inventory_hosts(ansible.inventory(INVENTORIES / "application.pterodactyl.yml", "--list", env=strict))
    assert len([name for name in application if name.startswith("server-")]) == SCALE_SERVERS
    assert len([name for name in application if name.startswith("node-")]) == 3
    application_log = api_requests(scale_emulator)
    assert len([entry for entry in application_log if entry["status"] == 429]) >= 3, application_log

    scale_emulator.clear_requests()
    client = inventory_hosts(ansible.inventory(INVENTORIES / "client_all.pterodactyl.yml", "--list", env=strict))
    assert len(client) == SCALE_SERVERS
    client_log = api_requests(scale_emulator)
    assert len([entry for entry in client_log if entry["status"] == 429]) >= 3, client_log
    # Every request was eventually answered: throttled ones were asked again, nothing else failed.
    assert all(entry["status"] in (200, 429) for entry in application_log + client_log)
