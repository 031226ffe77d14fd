"""ptero.panel.console_command through the real ansible-playbook against the emulator's panel and Wings websocket."""

from __future__ import annotations

import json
import re
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest
from conftest import BIN, ROOT, TARGETS

# Any JSON Web Token (header.payload.signature, both JSON parts base64url-encoded objects).
JWT = re.compile(r"eyJ[A-Za-z0-9_-]+\.eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+")
# What console_command.yml sends to Survival, in order (check mode and refused tasks send nothing).
SURVIVAL_COMMANDS = [
    "list",
    "say one",
    "echo two",
    "list",
    "say first",
    "trickle 3 0.2",
    "echo early bird",
    "echo late",
    "say nothing to see",
    "say after the history",
    "noise",
]


def uuid_of(emulator, name: str) -> str:
    return next(row["uuid"] for row in emulator.state("servers") if row["name"] == name)


@pytest.fixture
def survival_running(emulator):
    """Default Wings settings, no faults, Survival running and every other demo server offline.

    The panel's websocket token limit (5 per minute per server, 1.12+) runs on a 5-second period here: these tests
    use more tokens than that and are not about the limit, which test_power.py's eight-task test covers at the real
    period."""
    emulator.control("DELETE", "wings/config")
    emulator.clear_faults()
    for row in emulator.state("servers"):
        emulator.control(
            "POST",
            f"wings/servers/{row['uuid']}/power",
            {"state": "running" if row["name"] == "Survival" else "offline"},
        )
    emulator.configure(server_resource_limits={"websocket": [5, 5]})
    yield uuid_of(emulator, "Survival")
    emulator.configure(server_resource_limits={"websocket": [5, 60]})


@pytest.fixture
def versions(emulator):
    """Set the emulator's panel/Wings versions inside a test; the previous ones come back afterwards."""
    config = emulator.control("GET", "config")
    yield emulator.configure
    emulator.configure(panel_version=config["panel_version"], wings_version=config["wings_version"])


def player_env(ansible, emulator, **extra: str) -> dict[str, str]:
    return ansible.env(PTERODACTYL_CLIENT_API_KEY=emulator.user_client_key, **extra)


def console_commands(emulator, server_uuid: str) -> list[str]:
    """The console commands Wings accepted for a server, from the activity log."""
    server_id = next(row["id"] for row in emulator.state("servers") if row["uuid"] == server_uuid)
    rows = sorted(emulator.state("activity"), key=lambda row: row["id"])
    return [
        row["properties"]["command"]
        for row in rows
        if row["event"] == "server:console.command" and row["server_id"] == server_id
    ]


def test_commands_output_waits_history_and_offline(ansible, emulator, survival_running):
    already = len(console_commands(emulator, survival_running))
    ansible.playbook("console_command", env=player_env(ansible, emulator))
    assert console_commands(emulator, survival_running)[already:] == SURVIVAL_COMMANDS
    assert console_commands(emulator, uuid_of(emulator, "Creative")) == []  # offline: Wings dropped it


def test_floods_lose_nothing_and_stay_bounded(ansible, emulator, survival_running):
    ansible.playbook("console_command_flood", env=player_env(ansible, emulator))


def test_failures_are_specific(ansible, emulator, survival_running):
    already = len(console_commands(emulator, survival_running))
    emulator.add_fault("/websocket$", kind="status", status=403, count=1)
    emulator.control("POST", "wings/config", {"token_lifetime_seconds": -60})
    emulator.clear_requests()
    ansible.playbook("console_command_errors", env=player_env(ansible, emulator))
    assert console_commands(emulator, survival_running)[already:] == []
    credentials = [r["status"] for r in emulator.requests() if r["path"].endswith("/websocket")]
    # refused (403), jwt error (a token, then one refresh), origin (a token, then the refused handshake).
    assert credentials == [403, 200, 200, 200], credentials


def wait_for_sockets(emulator, server_uuid: str, listening: bool, process: subprocess.Popen) -> None:
    """Until the server has a listening websocket (or, with listening=False, none at all)."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert process.poll() is None, "the playbook ended early"
        sockets = emulator.control("GET", "wings/sockets").get(server_uuid, [])
        if any(socket["listening"] for socket in sockets) if listening else not sockets:
            return
        time.sleep(0.02)
    raise AssertionError("timed out waiting for the module's websocket")


def test_watching_and_a_dropped_connection(ansible, emulator, survival_running):
    command = [str(BIN / "ansible-playbook"), str(TARGETS / "console_command_live.yml")]
    with subprocess.Popen(
        command,
        cwd=ROOT,
        env=player_env(ansible, emulator),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    ) as process:
        try:
            wait_for_sockets(emulator, survival_running, True, process)
            emulator.control(
                "POST",
                f"wings/servers/{survival_running}/inject",
                {"lines": ["[Server] before the marker", "[Server] the marker", "[Server] after"]},
            )
            wait_for_sockets(emulator, survival_running, False, process)
            wait_for_sockets(emulator, survival_running, True, process)
            # Let a few frames through (console lines, stats), then reset the TCP connection.
            assert emulator.control("POST", f"wings/servers/{survival_running}/drop", {"after_frames": 6})["dropped"]
            output, _stderr = process.communicate(timeout=120)
        finally:
            if process.poll() is None:
                process.kill()
    assert process.returncode == 0, output[-20000:]


def test_token_renewal_and_verbose_output_never_shows_the_key_or_a_token(ansible, emulator, survival_running):
    emulator.configure(token_lifetime_seconds=30)  # every token is within Wings' "expiring" minute
    emulator.control("POST", "wings/config", {"token_check_interval_seconds": 0.3})
    already = len(console_commands(emulator, survival_running))
    emulator.clear_requests()
    try:
        run = ansible.playbook("console_command_verbose", "-vvvv", env=player_env(ansible, emulator))
    finally:
        emulator.configure(token_lifetime_seconds=600)
    assert console_commands(emulator, survival_running)[already:] == ["trickle 10 0.3", "say nothing matches"]
    credentials = [r for r in emulator.requests() if r["path"].endswith("/websocket")]
    assert len(credentials) >= 5, credentials  # 3 tasks, and renewals
    assert "token_renewals" in run.output and "trickle line 10 of 10" in run.output  # the results were printed
    for secret in (emulator.user_client_key, emulator.client_key, emulator.application_key):
        assert secret not in run.output
    assert JWT.findall(run.output) == []


def test_without_websocket_client(ansible, emulator, survival_running, tmp_path: Path):
    hidden = tmp_path / "websocket"
    hidden.mkdir()
    (hidden / "__init__.py").write_text('raise ImportError("websocket-client is hidden for this test")\n')
    # Power falls back to polling the panel's resource usage: without the cache the waits stay short.
    extra = emulator.control("GET", "config")["extra"]
    emulator.configure(extra={**extra, "resources_cache_seconds": 0})
    try:
        ansible.playbook("console_command_nolib", env=player_env(ansible, emulator, PYTHONPATH=str(tmp_path)))
    finally:
        emulator.configure(extra=extra)


def set_subuser_permissions(emulator, server_uuid: str, user_uuid: str, permissions: list[str]) -> None:
    """What the server's owner does in the panel: POST /api/client/servers/{s}/users/{user}."""
    request = urllib.request.Request(
        f"{emulator.url}/api/client/servers/{server_uuid}/users/{user_uuid}",
        data=json.dumps({"permissions": permissions}).encode(),
        method="POST",
        headers=emulator.headers("user"),
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        assert response.status == 200


def test_a_console_closed_by_deauthorization_ends_the_task(ansible, emulator, survival_running, versions):
    versions(panel_version="1.14", wings_version="")  # deauthorization needs panel and Wings 1.12+
    helper = next(row for row in emulator.state("users") if row["username"] == "helper")
    subuser = next(row for row in emulator.state("subusers") if row["user_id"] == helper["id"])
    granted = list(subuser["permissions"])
    command = [str(BIN / "ansible-playbook"), str(TARGETS / "console_deauthorized.yml")]
    env = ansible.env(PTERODACTYL_CLIENT_API_KEY=emulator.connection["subuser_client_key"])
    try:
        with subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        ) as process:
            try:
                wait_for_sockets(emulator, survival_running, True, process)
                emulator.clear_requests()
                # The owner takes control.start away: the panel asks Wings to deauthorize helper on Survival.
                set_subuser_permissions(
                    emulator, survival_running, helper["uuid"], [p for p in granted if p != "control.start"]
                )
                output, _stderr = process.communicate(timeout=120)
            finally:
                if process.poll() is None:
                    process.kill()
    finally:
        set_subuser_permissions(emulator, survival_running, helper["uuid"], granted)
    assert process.returncode == 0, output[-20000:]
    # Not retried: no new token was asked for after the close.
    assert [r for r in emulator.requests() if r["path"].endswith("/websocket")] == []


def test_an_old_panel_with_new_wings_is_named(ansible, emulator, survival_running, versions):
    versions(panel_version="1.12", wings_version="1.13")  # tokens without `scope`, a Wings that requires it
    already = len(console_commands(emulator, survival_running))
    emulator.clear_requests()
    ansible.playbook("console_version_mismatch", env=player_env(ansible, emulator))
    assert console_commands(emulator, survival_running)[already:] == []
    requests = emulator.requests()
    assert not any(r["path"].endswith("/power") for r in requests), requests
    # One token per task, none retried.
    assert len([r for r in requests if r["path"].endswith("/websocket")]) == 2
