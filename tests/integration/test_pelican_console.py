"""console_command and power on the emulator playing Pelican (beta38 panel, Wings with Pelican's websocket rules:
scope plus user_uuid and server_uuid in the token, the daemon_connect port, `[pelican Daemon]:` lines, the Origin
compared with APP_URL as written, 5 websocket tokens per minute per server)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from conftest import Ansible, writes

# Pelican's per-server websocket token limiter (5 a minute) with a 15 s period: the 14 tasks, about a second each,
# must hit it and wait, in seconds, not minutes.
TOKEN_LIMIT = [5, 15]


@pytest.fixture
def pelican(pelican_emulator) -> Iterator[Ansible]:
    pelican_emulator.clear_requests()
    yield Ansible(pelican_emulator)
    pelican_emulator.control("DELETE", "wings/config")


def server_uuid(emulator, name: str) -> str:
    return next(row["uuid"] for row in emulator.state("servers") if row["name"] == name)


def set_offline(emulator, name: str) -> None:
    emulator.control("POST", f"wings/servers/{server_uuid(emulator, name)}/power", {"state": "offline"})


def as_player(pelican: Ansible, emulator) -> dict[str, str]:
    return pelican.env(PTERODACTYL_CLIENT_API_KEY=emulator.user_client_key)


def handshakes(log: list[dict]) -> list[int]:
    return [r["status"] for r in log if r["path"].endswith("/ws")]


def test_console_and_power(pelican, pelican_emulator):
    """Every state of power (check mode, idempotent second runs) and console_command, including an offline server,
    with Pelican's token limit in force: the tasks wait out the 429s and all succeed."""
    set_offline(pelican_emulator, "Survival")
    defaults = pelican_emulator.configure()["server_resource_limits"]["websocket"]
    pelican_emulator.configure(server_resource_limits={"websocket": TOKEN_LIMIT})
    try:
        pelican.playbook("pelican_console", env=as_player(pelican, pelican_emulator))
    finally:
        pelican_emulator.configure(server_resource_limits={"websocket": defaults})
    log = pelican_emulator.requests()
    # Commands went over the websocket: Pelican's POST /command answers 204 even for an offline server, so it
    # would not have told the offline server apart.
    assert not [r for r in log if r["path"].endswith("/command")]
    signals = [r["status"] for r in writes(log) if r["path"].endswith("/power")]
    assert signals == [204] * 5, signals  # start, restart, stop, start, kill; nothing for the no-ops
    tokens = [r["status"] for r in log if r["path"].endswith("/websocket")]
    # One token per task (14 tasks), and the tasks past the limit waited for Retry-After instead of failing.
    assert tokens.count(200) == 14, tokens
    assert 429 in tokens and set(tokens) == {200, 429}, tokens
    # The power tasks never fell back to the panel's cached resource usage.
    assert not [r for r in log if r["path"].endswith("/resources")]
    # APP_URL without a trailing slash: every task's first handshake is taken.
    assert handshakes(log) == [101] * 14, handshakes(log)


def test_app_url_with_trailing_slash(pelican, pelican_emulator):
    """Pelican's Wings wants the Origin exactly as APP_URL is written: each task is refused without the slash once,
    then connects with it; an origin the user sets is tried alone."""
    set_offline(pelican_emulator, "Survival")
    pelican_emulator.control("POST", "wings/config", {"app_url": f"{pelican_emulator.url}/"})
    pelican.playbook("pelican_console_origin", env=as_player(pelican, pelican_emulator))
    log = pelican_emulator.requests()
    signals = [r["status"] for r in writes(log) if r["path"].endswith("/power")]
    assert signals == [204, 204], signals
    assert not [r for r in log if r["path"].endswith("/resources")]  # the states came from the websocket
    # Per task: the default Origin refused, then taken with the slash; the user's origin alone (refused), the user's
    # origin with the slash (taken); the last power task like the first.
    assert handshakes(log) == [403, 101, 403, 101, 403, 101, 403, 101], handshakes(log)


def test_token_without_identity_claim(pelican, pelican_emulator):
    set_offline(pelican_emulator, "Survival")
    pelican_emulator.control("POST", "wings/config", {"panel_token_claims": {"user_uuid": None}})
    pelican.playbook("pelican_console_identity", env=as_player(pelican, pelican_emulator))
    log = pelican_emulator.requests()
    assert not [r for r in writes(log) if r["path"].endswith("/power")]  # nothing sent
    assert not [r for r in log if r["path"].endswith("/resources")]  # power did not fall back to polling
    tokens = [r["status"] for r in log if r["path"].endswith("/websocket")]
    assert tokens == [200, 200], tokens  # one per task: no renewal of a token that cannot work
