"""plugins/module_utils/_console.ConsoleSession with the real PanelClient against the emulator process.

The module-side half of the websocket spec's scenarios: credentials from the client API, Origin, auth failures,
refresh on expiry (announced or silent), a panel refresh failing, offline/starting servers, throttling,
trickling output and the settle/timeout/match semantics, oversized commands, drops, deletion and suspension.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tools"))
from collection_tree import linked_collection_for_this_process

sys.path.insert(0, str(linked_collection_for_this_process("ptero-console-")))

from ansible_collections.ptero.panel.plugins.module_utils import _console as console
from ansible_collections.ptero.panel.plugins.module_utils._client import PanelClient
from ansible_collections.ptero.panel.plugins.module_utils._console import (
    ConsoleError,
    ConsoleSession,
)
from ptero_emulator.fixture import RunningEmulator, start_emulator


@pytest.fixture(scope="module")
def emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningEmulator]:
    # Pinned to the original (panel 1.11 / Wings 1.11) behaviour; Wings modes are set per test.
    running = start_emulator(
        tmp_path_factory.mktemp("wings-console"),
        seed="demo",
        power_seconds=0.3,
        stats_interval_seconds=0.3,
        install_seconds=0.3,
        panel_version="1.11",
    )
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture(autouse=True)
def clean(emulator: RunningEmulator) -> Iterator[None]:
    emulator.control("DELETE", "wings/config")
    emulator.configure(token_lifetime_seconds=600, token_expiring_seconds=60)
    emulator.reset()
    emulator.clear_faults()
    emulator.control("POST", "wings/config", {"console_delay_seconds": 0.05})
    return


class Panel:
    """The test's view of the emulator: servers, the player's PanelClient, hooks."""

    def __init__(self, emulator: RunningEmulator) -> None:
        self.emulator = emulator
        self.servers = {row["name"]: row for row in emulator.state("servers")}
        self.client = PanelClient(emulator.url, emulator.user_client_key, timeout=10, retries=0)
        self.sessions: list[ConsoleSession] = []

    def identifier(self, name: str = "Survival") -> str:
        return self.servers[name]["uuid_short"]

    def uuid(self, name: str = "Survival") -> str:
        return self.servers[name]["uuid"]

    def session(self, name: str = "Survival", client: Any = None, **options: Any) -> ConsoleSession:
        session = ConsoleSession(client or self.client, self.identifier(name), timeout=5, **options)
        self.sessions.append(session)
        return session

    def running(self, name: str = "Survival") -> None:
        self.emulator.control("POST", f"wings/servers/{self.uuid(name)}/power", {"state": "running"})

    def wings(self, **settings: Any) -> None:
        self.emulator.control("POST", "wings/config", settings)

    def hook(self, path: str, payload: dict[str, Any] | None = None, name: str = "Survival") -> Any:
        return self.emulator.control("POST", f"wings/servers/{self.uuid(name)}/{path}", payload or {})

    def minted(self, name: str = "Survival", **options: Any) -> str:
        return self.emulator.control("POST", "wings/token", {"server_uuid": self.uuid(name), **options})["token"]


@pytest.fixture
def panel(emulator: RunningEmulator) -> Iterator[Panel]:
    handle = Panel(emulator)
    yield handle
    for session in handle.sessions:
        session.close()
    handle.client.close()


class TamperingClient:
    """Delegates to the real client; `tamper(call_number, data)` may replace the websocket credentials."""

    def __init__(self, real: PanelClient, tamper: Callable[[int, dict[str, str]], dict[str, str]]) -> None:
        self.real = real
        self.base_url = real.base_url
        self.tamper = tamper
        self.calls = 0

    def call(self, operation: str, path_params: dict[str, Any] | None = None, **kwargs: Any) -> Any:
        data = self.real.call(operation, path_params, **kwargs)
        self.calls += 1
        return self.tamper(self.calls, dict(data))


# ------------------------------------------------------------------------------------------- happy path


def test_happy_path_list(panel: Panel) -> None:
    panel.running()
    with panel.session() as session:
        assert session.status == "running"
        assert session.socket_url.endswith(f"/api/servers/{panel.uuid()}/ws")  # full uuid from the short id
        session.send("list")
        result = session.collect(settle=0.5, timeout=5)
    assert result.lines == ["There are 2 of a max of 20 players online:", "alice, bob"]
    assert result.stop_reason == "idle" and not result.throttled and result.refreshed == 0


def test_start_through_rest_then_wait_for_running(panel: Panel) -> None:
    session = panel.session().connect()
    assert session.status == "offline"
    answer = requests.post(
        f"{panel.emulator.url}/api/client/servers/{panel.identifier()}/power",
        json={"signal": "start"},
        headers=panel.emulator.headers("user"),
        timeout=10,
    )
    assert answer.status_code == 204
    assert session.wait_for_status({"running"}, timeout=5) == "running"
    session.send("say ready")
    assert session.collect(wait_for=r"^\[Server\] ready$", timeout=5).matched


def test_power_over_the_socket_and_stop_output(panel: Panel) -> None:
    session = panel.session().connect()
    session.power("start")
    session.wait_for_status({"running"}, timeout=5)
    session.send("stop")
    result = session.collect(timeout=5, settle=None)
    assert result.stop_reason == "offline"
    assert result.statuses == ["stopping", "offline"]
    assert "Stopping the server" in result.lines


# ------------------------------------------------------------------------------------------- connection failures


def test_wrong_origin_fails_clearly_and_fast(panel: Panel) -> None:
    started = time.monotonic()
    with pytest.raises(ConsoleError) as caught:
        panel.session(origin="https://not-the-panel.example.com").connect()
    assert caught.value.kind == console.KIND_ORIGIN
    assert "https://not-the-panel.example.com" in str(caught.value) and "origin" in str(caught.value).lower()
    assert time.monotonic() - started < 3


def test_unknown_server_at_the_panel(panel: Panel) -> None:
    session = ConsoleSession(panel.client, "zzzzzzzz", timeout=5)
    with pytest.raises(ConsoleError) as caught:
        session.connect()
    assert caught.value.kind == console.KIND_NOT_FOUND
    assert caught.value.status == 404


def test_unknown_server_at_wings(panel: Panel) -> None:
    client = TamperingClient(
        panel.client,
        lambda _n, data: {
            **data,
            "socket": data["socket"].replace(panel.uuid(), "00000000-0000-4000-8000-000000000000"),
        },
    )
    with pytest.raises(ConsoleError) as caught:
        panel.session(client=client).connect()
    assert caught.value.kind == console.KIND_NOT_FOUND


def test_bad_api_key(panel: Panel) -> None:
    bad = PanelClient(panel.emulator.url, "ptlc_" + "x" * 43, timeout=10, retries=0)
    with pytest.raises(ConsoleError) as caught:
        ConsoleSession(bad, panel.identifier(), timeout=5).connect()
    assert caught.value.kind == console.KIND_AUTH and caught.value.status == 401
    application = PanelClient(panel.emulator.url, panel.emulator.application_key, timeout=10, retries=0)
    with pytest.raises(ConsoleError) as caught:
        ConsoleSession(application, panel.identifier(), timeout=5).connect()
    assert caught.value.kind == console.KIND_AUTH and caught.value.status == 403
    assert panel.emulator.application_key not in str(caught.value)


def test_installing_server_is_a_conflict(panel: Panel) -> None:
    answer = requests.post(
        f"{panel.emulator.url}/api/client/servers/{panel.identifier()}/settings/reinstall",
        headers=panel.emulator.headers("user"),
        timeout=10,
    )
    assert answer.status_code == 202
    with pytest.raises(ConsoleError) as caught:
        panel.session().connect()
    assert caught.value.kind == console.KIND_CONFLICT and caught.value.status == 409


def test_socket_refused(panel: Panel) -> None:
    client = TamperingClient(panel.client, lambda _n, data: {**data, "socket": "ws://127.0.0.1:9/api/servers/x/ws"})
    with pytest.raises(ConsoleError) as caught:
        panel.session(client=client).connect()
    assert caught.value.kind == console.KIND_CONNECT


def test_tls_failure(panel: Panel) -> None:
    client = TamperingClient(
        panel.client, lambda _n, data: {**data, "socket": data["socket"].replace("ws://", "wss://")}
    )
    with pytest.raises(ConsoleError) as caught:
        panel.session(client=client).connect()
    assert caught.value.kind == console.KIND_TLS


# ------------------------------------------------------------------------------------------- auth failures


def _with_bad_signature(_n: int, data: dict[str, str]) -> dict[str, str]:
    head, payload, _signature = data["token"].split(".")
    return {**data, "token": f"{head}.{payload}.c2lnbmF0dXJl"}


def test_bad_signature_is_a_daemon_error(panel: Panel) -> None:
    with pytest.raises(ConsoleError) as caught:
        panel.session(client=TamperingClient(panel.client, _with_bad_signature)).connect()
    assert caught.value.kind == console.KIND_DAEMON
    assert "an unexpected error was encountered" in str(caught.value)
    assert "c2lnbmF0dXJl" not in str(caught.value)
    # A failed connect closes its socket (nothing else will: __exit__ does not run when __enter__ fails).
    deadline = time.monotonic() + 3
    while panel.emulator.control("GET", "wings/sockets") and time.monotonic() < deadline:
        time.sleep(0.05)
    assert panel.emulator.control("GET", "wings/sockets") == {}


def test_expired_token_at_auth_is_refreshed_once(panel: Panel) -> None:
    expired = panel.minted(iat_offset=-700)
    client = TamperingClient(panel.client, lambda n, data: {**data, "token": expired} if n == 1 else data)
    session = panel.session(client=client).connect()
    assert session.refreshes == 1 and client.calls == 2
    assert session.status == "offline"


def test_always_expired_tokens_fail_after_one_refresh(panel: Panel) -> None:
    expired = panel.minted(iat_offset=-700)
    client = TamperingClient(panel.client, lambda _n, data: {**data, "token": expired})
    with pytest.raises(ConsoleError) as caught:
        panel.session(client=client).connect()
    assert caught.value.kind == console.KIND_JWT and "exp claim is invalid" in str(caught.value)
    assert client.calls == 2


def test_missing_connect_permission_is_not_retried(panel: Panel) -> None:
    # A scoped token, so the refusal can only be about the missing websocket.connect permission.
    token = panel.minted(permissions=["control.console"], claims={"scope": "websocket"})
    client = TamperingClient(panel.client, lambda _n, data: {**data, "token": token})
    with pytest.raises(ConsoleError) as caught:
        panel.session(client=client).connect()
    assert caught.value.kind in (console.KIND_JWT, getattr(console, "KIND_PERMISSION", console.KIND_JWT))
    assert "missing connect permission" in str(caught.value)
    assert client.calls == 1


def test_without_console_permission_the_send_is_refused(panel: Panel) -> None:
    panel.running()
    token = panel.minted(permissions=["websocket.connect", "control.start"])
    client = TamperingClient(panel.client, lambda _n, data: {**data, "token": token})
    session = panel.session(client=client).connect()
    with pytest.raises(ConsoleError) as caught:
        session.send("list")
    assert caught.value.kind == console.KIND_PERMISSION


def test_after_wings_restart_the_old_token_is_replaced(panel: Panel) -> None:
    old = panel.minted(iat_offset=-3)
    panel.emulator.control("POST", "wings/reboot", {"at_offset": -1})
    client = TamperingClient(panel.client, lambda n, data: {**data, "token": old} if n == 1 else data)
    session = panel.session(client=client).connect()
    assert session.refreshes == 1


# ------------------------------------------------------------------------------------------- server state


def test_offline_server_fails_fast(panel: Panel) -> None:
    session = panel.session().connect()
    started = time.monotonic()
    with pytest.raises(ConsoleError) as caught:
        session.send("list")
    assert caught.value.kind == console.KIND_OFFLINE
    assert time.monotonic() - started < 0.5


def test_starting_server(panel: Panel) -> None:
    panel.emulator.configure(power_seconds=1.0)
    session = panel.session().connect()
    session.power("start")
    session.wait_for_status({"starting"}, timeout=5)
    with pytest.raises(ConsoleError) as caught:
        session.send("list")
    assert caught.value.kind == console.KIND_OFFLINE and "starting" in str(caught.value)
    session.wait_for_status({"running"}, timeout=5)
    session.send("list")
    assert session.collect(wait_for="alice, bob", timeout=5).matched
    panel.emulator.configure(power_seconds=0.3)


# ------------------------------------------------------------------------------------------- expiry during a session


def test_token_expiring_mid_collection_loses_nothing(panel: Panel) -> None:
    panel.emulator.configure(token_lifetime_seconds=30)  # always within the 60 s "expiring" window
    panel.wings(token_check_interval_seconds=0.4)
    panel.running()
    session = panel.session().connect()
    session.send("trickle 8 0.15")
    result = session.collect(wait_for="trickle line 8 of 8", timeout=10)
    assert result.lines == [f"trickle line {n} of 8" for n in range(1, 9)]
    assert result.refreshed >= 2 and result.lost_events == 0


def test_silent_expiry_is_recovered(panel: Panel) -> None:
    panel.emulator.configure(token_lifetime_seconds=2)
    panel.wings(token_check_interval_seconds=30)  # no notice before the token is already invalid
    panel.running()
    session = panel.session().connect()
    session.send("trickle 12 0.25")
    result = session.collect(wait_for="trickle line 12 of 12", timeout=10)
    assert result.refreshed >= 1
    assert result.lost_events >= 1  # events Wings replaced with jwt errors before the refresh
    assert len(result.lines) + result.lost_events >= 12


def test_refresh_failure_is_retried(panel: Panel, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(console, "REFRESH_BACKOFF_SECONDS", 0.2)
    panel.emulator.configure(token_lifetime_seconds=30)
    panel.wings(token_check_interval_seconds=0.3)
    panel.running()
    session = panel.session().connect()
    panel.emulator.add_fault(r"/websocket$", kind="status", status=429, count=1)
    session.send("trickle 6 0.2")
    result = session.collect(wait_for="trickle line 6 of 6", timeout=10)
    assert result.refreshed >= 1
    assert [r["status"] for r in panel.emulator.requests() if r["path"].endswith("/websocket")][:2] == [200, 429]


def test_refresh_failing_for_good_reports_partial_output(panel: Panel, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(console, "REFRESH_BACKOFF_SECONDS", 0.1)
    panel.emulator.configure(token_lifetime_seconds=30)
    panel.wings(token_check_interval_seconds=0.3)
    panel.running()
    session = panel.session().connect()
    panel.emulator.add_fault(r"/websocket$", kind="status", status=500, count=None)
    session.send("trickle 30 0.1")
    with pytest.raises(ConsoleError) as caught:
        session.collect(wait_for="trickle line 30 of 30", timeout=10)
    assert caught.value.kind == console.KIND_REFRESH
    assert caught.value.lines and caught.value.lines[0] == "trickle line 1 of 30"


# ------------------------------------------------------------------------------------------- output semantics


def test_throttled_output_is_flagged(panel: Panel) -> None:
    panel.wings(console_throttle_lines=20, console_throttle_interval_ms=10000)
    panel.running()
    session = panel.session().connect()
    session.send("flood 100")
    result = session.collect(settle=0.5, timeout=5)
    assert result.throttled
    assert result.lines[:20] == [f"flood line {n} of 100" for n in range(1, 21)]
    assert result.lines[-1] == "[Pterodactyl Daemon]: Server is outputting console data too quickly -- throttling..."


@pytest.mark.parametrize(("settle", "expected"), [(0.15, 1), (0.6, 3)])
def test_settle_decides_where_trickling_output_ends(panel: Panel, settle: float, expected: int) -> None:
    panel.running()
    session = panel.session().connect()
    session.send("trickle 3 0.3")
    result = session.collect(settle=settle, timeout=5)
    assert result.lines == [f"trickle line {n} of 3" for n in range(1, expected + 1)]
    assert result.stop_reason == "idle"


def test_overall_timeout_bounds_collection(panel: Panel) -> None:
    panel.running()
    session = panel.session().connect()
    session.send("trickle 20 0.1")
    started = time.monotonic()
    result = session.collect(settle=5, timeout=0.55)
    assert result.stop_reason == "timeout" and 3 <= len(result.lines) <= 7
    assert time.monotonic() - started < 1.0
    with pytest.raises(ConsoleError) as caught:
        session.collect(wait_for="never printed", timeout=0.3)
    assert caught.value.kind == console.KIND_TIMEOUT


def test_noise_is_cleaned(panel: Panel) -> None:
    panel.running()
    session = panel.session().connect()
    session.send("noise")
    result = session.collect(settle=0.4, timeout=5, raw=True)
    assert result.lines[:6] == [
        "green plain bold red",
        "first half",
        "second half",
        "caf\u00e9 \u2014 \u65e5\u672c\u8a9e \u2713",
        "",
        "x" * 65536,
    ]
    assert result.raw_lines[0] == "\x1b[32mgreen\x1b[0m plain \x1b[1;31mbold red\x1b[0m"


def test_commands_are_paced_under_the_1_12_limiter(panel: Panel) -> None:
    panel.wings(wings_version="1.12")
    panel.running()
    session = panel.session().connect()
    for number in range(11):  # auth + 10 commands fill both buckets; the 11th must wait for a refill
        session.send(f"say {number}")
    result = session.collect(wait_for=r"\[Server\] 10$", timeout=10)
    assert not result.throttled  # paced to the burst and refill Wings allows
    assert session.commands_sent == 11


def test_oversized_command_is_refused_before_sending(panel: Panel) -> None:
    panel.running()
    session = panel.session().connect()
    with pytest.raises(ConsoleError) as caught:
        session.send("say " + "x" * 5000)
    assert caught.value.kind == console.KIND_TOO_LARGE
    session.send("say still connected")
    assert session.collect(wait_for="still connected", timeout=5).matched


# ------------------------------------------------------------------------------------------- endings


def test_drop_mid_stream_returns_partial_output(panel: Panel) -> None:
    panel.running()
    session = panel.session().connect()
    panel.hook("drop", {"after_frames": 4})
    session.send("flood 40")
    with pytest.raises(ConsoleError) as caught:
        session.collect(settle=2, timeout=5)
    assert caught.value.kind == console.KIND_CLOSED
    assert 1 <= len(caught.value.lines) <= 4
    assert caught.value.lines == [f"flood line {n} of 40" for n in range(1, len(caught.value.lines) + 1)]


def test_deleted_server_ends_the_session(panel: Panel) -> None:
    panel.running()
    session = panel.session().connect()
    panel.hook("deleted")
    with pytest.raises(ConsoleError) as caught:
        session.collect(timeout=5, settle=2)
    assert caught.value.kind == console.KIND_DELETED


def test_suspended_server_ends_the_session_1_12(panel: Panel) -> None:
    panel.wings(wings_version="1.12")
    panel.running()
    session = panel.session().connect()
    panel.hook("suspended")
    # Suspension kills the process first: collection stops at "offline", then the 4409 close ends the session.
    result = session.collect(timeout=5, settle=2)
    assert result.stop_reason == "offline"
    with pytest.raises(ConsoleError) as caught:
        session.collect(timeout=5, settle=2)
    assert caught.value.kind == console.KIND_SUSPENDED


def test_suspension_close_without_stopping_on_offline(panel: Panel) -> None:
    panel.wings(wings_version="1.12")
    panel.running()
    session = panel.session().connect()
    panel.hook("suspended")
    with pytest.raises(ConsoleError) as caught:
        session.collect(timeout=5, settle=2, stop_on_offline=False)
    assert caught.value.kind == console.KIND_SUSPENDED
