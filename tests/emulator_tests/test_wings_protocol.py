"""The emulated Wings websocket, driven with websocket-client against the real emulator process.

Covers the server-side scenarios of the websocket spec's test list (happy path, origin, unknown server, bad
signature, expiry at auth and mid-session, permissions, offline/starting servers, the auth race, line
throttling, trickling output, 1.12 inbound limits and read limit, drops, deletion/suspension, noise) plus
re-auth, denylist after a Wings restart, the power lock and the REST-side daemon calls.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests
import websocket

from ptero_emulator.fixture import RunningEmulator, start_emulator

EVENT_TIMEOUT = 5.0
DAEMON_PREFIX = "\x1b[33m\x1b[1m[Pterodactyl Daemon]:\x1b[39m "


@pytest.fixture(scope="module")
def emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningEmulator]:
    # The protocol tests describe the original (panel 1.11 / Wings 1.11) behaviour; Wings modes are set per test.
    running = start_emulator(
        tmp_path_factory.mktemp("wings"),
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
    """Every test starts from the demo data, every server offline, default Wings settings (fast console)."""
    emulator.control("DELETE", "wings/config")
    emulator.reset()
    emulator.control("POST", "wings/config", {"console_delay_seconds": 0.05})
    return


class Socket:
    """A websocket-client connection with small helpers to read the event stream."""

    def __init__(self, ws: websocket.WebSocket) -> None:
        self.ws = ws
        self.seen: list[dict[str, Any]] = []

    def send(self, event: str, *args: Any) -> None:
        self.ws.send(json.dumps({"event": event, "args": list(args)}))

    def recv(self, timeout: float) -> dict[str, Any] | None:
        """The next event, None on timeout. Raises on close (the close frame is returned as {"close": code})."""
        self.ws.settimeout(max(timeout, 0.001))
        try:
            opcode, data = self.ws.recv_data(control_frame=True)
        except websocket.WebSocketTimeoutException:
            return None
        if opcode == websocket.ABNF.OPCODE_CLOSE:
            code = int.from_bytes(data[:2], "big") if len(data) >= 2 else 1005
            return {"close": code, "reason": data[2:].decode()}
        if opcode != websocket.ABNF.OPCODE_TEXT:
            return self.recv(timeout)
        message = json.loads(data)
        self.seen.append(message)
        return message

    def until(
        self, predicate: Callable[[dict[str, Any]], bool], timeout: float = EVENT_TIMEOUT
    ) -> list[dict[str, Any]]:
        """Events up to and including the first that satisfies predicate; fails the test on timeout."""
        events: list[dict[str, Any]] = []
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            assert remaining > 0, f"no matching event within {timeout}s; got {events}"
            message = self.recv(remaining)
            if message is None:
                continue
            events.append(message)
            if predicate(message):
                return events

    def during(self, seconds: float) -> list[dict[str, Any]]:
        """Every event received within `seconds`."""
        events: list[dict[str, Any]] = []
        deadline = time.monotonic() + seconds
        while (remaining := deadline - time.monotonic()) > 0:
            message = self.recv(remaining)
            if message is not None:
                events.append(message)
                if "close" in message:
                    break
        return events

    def close(self) -> None:
        with contextlib.suppress(OSError, websocket.WebSocketException):
            self.ws.close(timeout=0.5)


def is_event(name: str, *args: str) -> Callable[[dict[str, Any]], bool]:
    return lambda message: message.get("event") == name and (not args or message.get("args") == list(args))


def lines(events: list[dict[str, Any]], include_daemon: bool = False) -> list[str]:
    return [
        event["args"][0]
        for event in events
        if event.get("event") == "console output" and (include_daemon or not event["args"][0].startswith(DAEMON_PREFIX))
    ]


def names(events: list[dict[str, Any]]) -> list[str]:
    return [event.get("event", f"close {event.get('close')}") for event in events]


class Wings:
    """Test-side handle on the emulator: servers, tokens, sockets, hooks."""

    def __init__(self, emulator: RunningEmulator) -> None:
        self.emulator = emulator
        self.servers = {row["name"]: row for row in emulator.state("servers")}
        self.users = {row["username"]: row for row in emulator.state("users")}
        self.opened: list[Socket] = []

    def uuid(self, name: str = "Survival") -> str:
        return self.servers[name]["uuid"]

    def token(self, name: str = "Survival", **options: Any) -> tuple[str, str]:
        answer = self.emulator.control("POST", "wings/token", {"server_uuid": self.uuid(name), **options})
        return answer["token"], answer["socket"]

    def open(self, url: str, origin: str | None = "") -> Socket:
        options: dict[str, Any] = {"timeout": EVENT_TIMEOUT}
        if origin is None:
            options["suppress_origin"] = True
        else:
            options["origin"] = origin or self.emulator.url
        socket = Socket(websocket.create_connection(url, **options))
        self.opened.append(socket)
        return socket

    def connect(self, name: str = "Survival", **token_options: Any) -> Socket:
        """Open and authenticate; returns after the initial status (and stats, when offline)."""
        token, url = self.token(name, **token_options)
        socket = self.open(url)
        socket.send("auth", token)
        socket.until(is_event("auth success"))
        if socket.until(is_event("status"))[-1]["args"] == ["offline"]:
            socket.until(is_event("stats"))  # the snapshot that follows the first auth on an offline server
        return socket

    def configure(self, **settings: Any) -> None:
        self.emulator.control("POST", "wings/config", settings)

    def hook(self, path: str, payload: dict[str, Any] | None = None, name: str = "Survival") -> Any:
        return self.emulator.control("POST", f"wings/servers/{self.uuid(name)}/{path}", payload or {})

    def force_state(self, state: str, name: str = "Survival") -> None:
        self.hook("power", {"state": state}, name)

    def client(self, method: str, path: str, which: str = "user", **kwargs: Any) -> requests.Response:
        return requests.request(
            method, self.emulator.url + path, headers=self.emulator.headers(which), timeout=10, **kwargs
        )


@pytest.fixture
def wings(emulator: RunningEmulator) -> Iterator[Wings]:
    handle = Wings(emulator)
    yield handle
    for socket in handle.opened:
        socket.close()


# ------------------------------------------------------------------------------------------- handshake


def test_happy_path_list_command(wings: Wings) -> None:
    wings.configure(console_delay_seconds=0.2)
    wings.force_state("running")
    token, url = wings.token()
    assert url == f"{wings.emulator.url.replace('http://', 'ws://')}/api/servers/{wings.uuid()}/ws"
    socket = wings.open(url)
    socket.send("auth", token)
    assert socket.recv(EVENT_TIMEOUT) == {"event": "auth success"}
    assert socket.recv(EVENT_TIMEOUT) == {"event": "status", "args": ["running"]}
    sent = time.monotonic()
    socket.send("send command", "list")
    events = socket.until(is_event("console output", "alice, bob"))
    assert time.monotonic() - sent >= 0.15  # the configured output delay
    assert lines(events) == ["There are 2 of a max of 20 players online:", "alice, bob"]
    # Stats keep flowing while running; no command echo and no acknowledgement.
    more = socket.during(0.8)
    assert "stats" in names(more) and lines(more) == []
    stats = json.loads(next(event for event in more if event["event"] == "stats")["args"][0])
    assert list(stats) == sorted(stats)  # periodic samples are alphabetical
    assert stats["state"] == "running" and stats["uptime"] > 0 and stats["memory_bytes"] > 0


@pytest.mark.parametrize("origin", ["http://evil.example.com", None, "__url_with_slash__"])
def test_wrong_or_missing_origin_is_forbidden(wings: Wings, origin: str | None) -> None:
    _token, url = wings.token()
    if origin == "__url_with_slash__":
        origin = wings.emulator.url + "/"  # exact comparison: a trailing slash is another origin
    with pytest.raises(websocket.WebSocketBadStatusException) as caught:
        wings.open(url, origin=origin)
    assert caught.value.status_code == 403
    assert caught.value.resp_body.strip() == b"Forbidden"


def test_allowed_origins_setting(wings: Wings) -> None:
    _token, url = wings.token()
    wings.configure(allowed_origins=["https://other.example.com"])
    wings.open(url, origin="https://other.example.com").close()
    wings.configure(allowed_origins=["*"])
    wings.open(url, origin=None).close()


def test_unknown_server_is_404_before_upgrade(wings: Wings) -> None:
    url = f"{wings.emulator.url}/api/servers/00000000-0000-4000-8000-000000000000/ws"
    answer = requests.get(url, headers={"Origin": wings.emulator.url}, timeout=10)
    assert answer.status_code == 404
    assert answer.json() == {"error": "The requested resource does not exist on this instance."}
    with pytest.raises(websocket.WebSocketBadStatusException) as caught:
        wings.open(url.replace("http://", "ws://"))
    assert caught.value.status_code == 404


def test_plain_http_request_is_400(wings: Wings) -> None:
    answer = requests.get(
        f"{wings.emulator.url}/api/servers/{wings.uuid()}/ws", headers={"Origin": wings.emulator.url}, timeout=10
    )
    assert answer.status_code == 400


# ------------------------------------------------------------------------------------------- authentication


def test_bad_signature_gives_generic_daemon_error_and_keeps_socket(wings: Wings) -> None:
    bad, url = wings.token(key="not-the-node-token")
    socket = wings.open(url)
    socket.send("auth", bad)
    message = socket.recv(EVENT_TIMEOUT)
    assert message is not None and message["event"] == "daemon error"
    assert message["args"][0].startswith("Error Event [")
    assert message["args"][0].endswith("]: an unexpected error was encountered while handling this request")
    assert socket.during(0.3) == []  # no auth success, nothing else
    good, _url = wings.token()
    socket.send("auth", good)  # the socket is still usable
    assert socket.recv(EVENT_TIMEOUT) == {"event": "auth success"}


def test_malformed_token_and_missing_args(wings: Wings) -> None:
    _token, url = wings.token()
    socket = wings.open(url)
    socket.send("auth", "not.a.jwt")
    assert socket.recv(EVENT_TIMEOUT)["event"] == "daemon error"
    socket.ws.send('{"event":"auth"}')
    assert socket.recv(EVENT_TIMEOUT)["event"] == "daemon error"


def test_expired_token_at_auth(wings: Wings) -> None:
    expired, url = wings.token(iat_offset=-700)  # issued 700 s ago with a 600 s lifetime
    socket = wings.open(url)
    socket.send("auth", expired)
    message = socket.recv(EVENT_TIMEOUT)
    assert message["event"] == "jwt error"
    assert message["args"][0].startswith("Error Event [")
    assert message["args"][0].endswith("]: jwt: exp claim is invalid")
    fresh, _url = wings.token()
    socket.send("auth", fresh)
    assert socket.until(is_event("status"))[0] == {"event": "auth success"}


def test_token_without_connect_permission(wings: Wings) -> None:
    token, url = wings.token(permissions=["control.console"])
    socket = wings.open(url)
    socket.send("auth", token)
    message = socket.recv(EVENT_TIMEOUT)
    assert message["event"] == "jwt error" and message["args"][0].endswith("]: jwt: missing connect permission")


def test_scope_required_from_wings_1_12_2(wings: Wings) -> None:
    without_scope, url = wings.token(claims={"scope": None})
    for version in ("1.11", "1.12"):  # Wings before 1.12.2 accept a token without scope
        wings.configure(wings_version=version)
        socket = wings.open(url)
        socket.send("auth", without_scope)
        assert socket.recv(EVENT_TIMEOUT) == {"event": "auth success"}
        socket.close()
    wings.configure(wings_version="1.13")
    socket = wings.open(url)
    socket.send("auth", without_scope)
    assert socket.recv(EVENT_TIMEOUT)["args"][0].endswith("jwt: missing connect permission")
    with_scope, _url = wings.token(claims={"scope": "websocket"})
    socket.send("auth", with_scope)
    assert socket.recv(EVENT_TIMEOUT) == {"event": "auth success"}


def test_command_before_auth_is_rejected(wings: Wings) -> None:
    wings.force_state("running")
    token, url = wings.token()
    socket = wings.open(url)
    socket.send("send command", "list")
    socket.send("auth", token)
    assert socket.recv(EVENT_TIMEOUT) == {"event": "jwt error", "args": ["jwt: no jwt present"]}
    assert socket.recv(EVENT_TIMEOUT) == {"event": "auth success"}
    assert socket.recv(EVENT_TIMEOUT) == {"event": "status", "args": ["running"]}
    assert lines(socket.during(0.4)) == []  # the early command was dropped


def test_reauth_sends_only_auth_success(wings: Wings) -> None:
    wings.force_state("running")
    socket = wings.connect()
    fresh, _url = wings.token()
    socket.send("auth", fresh)
    events = socket.during(0.5)
    assert names(events).count("auth success") == 1
    assert "status" not in names(events)


def test_token_for_another_server_quirk(wings: Wings) -> None:
    other_token, _url = wings.token("Creative")
    _token, url = wings.token("Survival")
    socket = wings.open(url)
    socket.send("auth", other_token)
    assert socket.recv(EVENT_TIMEOUT) == {"event": "auth success"}
    assert socket.recv(EVENT_TIMEOUT) == {"event": "jwt error", "args": ["jwt: server uuid mismatch"]}


def test_restart_of_wings_denylists_old_tokens(wings: Wings) -> None:
    old, url = wings.token(iat_offset=-3)
    wings.emulator.control("POST", "wings/reboot", {"at_offset": -1})
    socket = wings.open(url)
    socket.send("auth", old)
    assert socket.recv(EVENT_TIMEOUT)["args"][0].endswith("jwt: created too far in past (denylist)")
    new, _url = wings.token()
    socket.send("auth", new)
    assert socket.recv(EVENT_TIMEOUT) == {"event": "auth success"}


def test_revoked_user_tokens(wings: Wings) -> None:
    token, url = wings.token()
    owner = next(user for user in wings.users.values() if user["id"] == wings.servers["Survival"]["owner_id"])
    wings.hook("revoke", {"user_uuid": owner["uuid"]})
    socket = wings.open(url)
    socket.send("auth", token)
    assert socket.recv(EVENT_TIMEOUT)["args"][0].endswith("(denylist)")


# ------------------------------------------------------------------------------------------- expiry


def test_token_expiring_then_refresh_keeps_stream(wings: Wings) -> None:
    wings.configure(token_check_interval_seconds=0.3, token_expiring_seconds=60)
    wings.force_state("running")
    socket = wings.connect(lifetime=30)  # <= 60 s left: every tick says "token expiring"
    socket.send("send command", "trickle 6 0.2")
    events = socket.until(is_event("token expiring"))
    fresh, _url = wings.token()
    socket.send("auth", fresh)
    events += socket.until(is_event("console output", "trickle line 6 of 6"))
    assert lines(events) == [f"trickle line {n} of 6" for n in range(1, 7)]
    assert names(events).count("auth success") == 1
    assert "status" not in names(events)


def test_expired_token_replaces_events_until_reauth(wings: Wings) -> None:
    wings.configure(token_check_interval_seconds=0.3)
    wings.force_state("running")
    socket = wings.connect(lifetime=2)  # valid for at least 1 s whatever the sub-second phase
    events = socket.until(is_event("jwt error"), timeout=4)
    assert "token expiring" in names(events)
    assert events[-1]["args"] == ["jwt: exp claim is invalid"]
    # The expired socket is not closed: every later tick and event is a jwt error.
    # Output produced while the token is invalid arrives as jwt errors, not lines.
    wings.hook("inject", {"lines": ["secret line"]})
    replaced = socket.during(0.4)
    assert lines(replaced) == [] and "jwt error" in names(replaced)
    # Commands are refused too.
    socket.send("send command", "say hidden")
    assert lines(socket.during(0.3)) == []
    fresh, _url = wings.token()
    socket.send("auth", fresh)
    socket.until(is_event("auth success"))
    wings.hook("inject", {"lines": ["visible again"]})
    assert lines(socket.until(is_event("console output", "visible again"))) == ["visible again"]


# ------------------------------------------------------------------------------------------- permissions & states


def test_token_without_console_permission_ignores_commands(wings: Wings) -> None:
    wings.force_state("running")
    socket = wings.connect(permissions=["websocket.connect", "control.start"])
    socket.send("send command", "say hi")
    assert lines(socket.during(0.4)) == []


def test_offline_server(wings: Wings) -> None:
    token, url = wings.token()
    socket = wings.open(url)
    socket.send("auth", token)
    assert socket.recv(EVENT_TIMEOUT) == {"event": "auth success"}
    assert socket.recv(EVENT_TIMEOUT) == {"event": "status", "args": ["offline"]}
    snapshot = socket.recv(EVENT_TIMEOUT)
    assert snapshot["event"] == "stats"
    stats = json.loads(snapshot["args"][0])
    assert list(stats) == [
        "memory_bytes",
        "memory_limit_bytes",
        "cpu_absolute",
        "network",
        "uptime",
        "state",
        "disk_bytes",
    ]  # the snapshot keeps the struct order
    assert stats["state"] == "offline" and stats["uptime"] == 0
    socket.send("send command", "list")
    socket.send("send logs")
    assert socket.during(0.4) == []  # both silently ignored
    socket.send("send stats")
    assert socket.recv(EVENT_TIMEOUT)["event"] == "stats"
    socket.send("set state", "start")
    events = socket.until(is_event("status", "running"))
    assert [e["args"][0] for e in events if e["event"] == "status"] == ["starting", "running"]


def test_starting_server_drops_commands_until_running(wings: Wings) -> None:
    wings.configure(power_seconds=1.0)
    socket = wings.connect()
    socket.send("set state", "start")
    socket.until(is_event("status", "starting"))
    socket.send("send command", "say too early")
    events = socket.until(is_event("status", "running"))
    socket.send("send command", "say in time")
    events += socket.until(is_event("console output", "[Server] in time"))
    assert "[Server] too early" not in lines(events)


def test_power_actions_and_errors(wings: Wings) -> None:
    wings.configure(power_seconds=0.6)
    socket = wings.connect()
    socket.send("set state", "start")
    socket.send("set state", "stop")  # still inside the start's lock window
    events = socket.until(is_event("daemon error"))
    assert events[-1]["args"][0].endswith(
        "]: another power action is currently being processed for this server, please try again later"
    )
    socket.until(is_event("status", "running"))
    socket.send("set state", "start")  # already running: generic text without admin.websocket.errors
    assert socket.until(is_event("daemon error"))[-1]["args"][0].endswith(
        "an unexpected error was encountered while handling this request"
    )
    socket.send("set state", "explode")
    assert socket.until(is_event("daemon error"))[-1]["event"] == "daemon error"
    socket.send("set state", "kill")
    socket.until(is_event("status", "offline"))


def test_admin_sees_real_error_text(wings: Wings) -> None:
    wings.force_state("running")
    socket = wings.connect(permissions=["*", "admin.websocket.errors"])
    socket.send("set state", "start")
    assert socket.until(is_event("daemon error"))[-1]["args"][0].endswith("]: server is running")


def test_power_permission_is_enforced_silently(wings: Wings) -> None:
    socket = wings.connect(permissions=["websocket.connect", "control.console"])
    socket.send("set state", "start")
    assert socket.during(0.5) == []


def test_restart_and_stop_command(wings: Wings) -> None:
    wings.force_state("running")
    socket = wings.connect()
    socket.send("set state", "restart")
    events = socket.until(is_event("status", "running"))
    assert [e["args"][0] for e in events if e["event"] == "status"] == ["stopping", "offline", "starting", "running"]
    socket.send("send command", "stop")  # the egg's stop command
    events = socket.until(is_event("status", "offline"))
    assert [e["args"][0] for e in events if e["event"] == "status"] == ["stopping", "offline"]
    zeroed = json.loads(socket.until(is_event("stats"))[-1]["args"][0])
    assert zeroed["state"] == "offline" and zeroed["uptime"] == 0 and zeroed["memory_bytes"] == 0


# ------------------------------------------------------------------------------------------- console stream


def test_console_line_throttling(wings: Wings) -> None:
    wings.configure(console_throttle_lines=50, console_throttle_interval_ms=10000)
    wings.force_state("running")
    socket = wings.connect()
    socket.send("send command", "flood 200")
    events = socket.until(lambda m: "throttling" in json.dumps(m))
    events += socket.during(0.5)
    output = lines(events, include_daemon=True)
    assert output[:50] == [f"flood line {n} of 200" for n in range(1, 51)]
    assert output[50:] == [f"{DAEMON_PREFIX}Server is outputting console data too quickly -- throttling...\x1b[0m"]
    socket.send("send logs")  # the container log still has every line; replay is the last 150
    replay = lines(socket.until(is_event("console output", "flood line 200 of 200")))
    assert len(replay) == 150 and replay[0] == "flood line 51 of 200"


def test_trickling_output(wings: Wings) -> None:
    wings.force_state("running")
    socket = wings.connect()
    socket.send("send command", "trickle 3 0.3")
    stamps = []
    for number in (1, 2, 3):
        socket.until(is_event("console output", f"trickle line {number} of 3"))
        stamps.append(time.monotonic())
    assert 0.4 <= stamps[2] - stamps[0] <= 1.5


def test_noise_and_edge_cases(wings: Wings) -> None:
    wings.force_state("running")
    socket = wings.connect()
    # Odd inbound frames are ignored without a reply; the socket stays usable.
    for raw in (
        "not json",
        "[1,2]",
        '{"event":"send command","args":[1]}',
        '{"event":"send command","args":"x"}',
        '{"event":"something else"}',
        '{"event":"status","args":[]}',
    ):
        socket.ws.send(raw)
    socket.send("send command", "say ", "joined")  # args are concatenated
    socket.ws.send('{"event":"send command","args":["say ",null,"null"]}')
    events = socket.until(is_event("console output", "[Server] null"))
    assert lines(events) == ["[Server] joined", "[Server] null"]
    socket.send("send command", "noise")
    noise = lines(socket.until(lambda m: m.get("event") == "console output" and m["args"][0].startswith("xxx")))
    assert noise[0] == "\x1b[32mgreen\x1b[0m plain \x1b[1;31mbold red\x1b[0m"
    assert noise[1] == "first half\r\nsecond half"
    assert noise[2] == "caf\u00e9 \u2014 \u65e5\u672c\u8a9e \u2713"
    assert noise[3] == ""
    assert len(noise[4].encode()) == 64 * 1024  # truncated to 64 KiB
    socket.send("send command", "help")
    assert "/list: Lists the players online" in lines(
        socket.until(is_event("console output", "/help: Shows this help")) + socket.during(0.3)
    )
    socket.send("send command", "frobnicate")
    assert lines(socket.until(is_event("console output")))[-1] == 'Unknown command. Type "help" for help.'


def test_send_logs_replays_history(wings: Wings) -> None:
    wings.configure(websocket_log_count=3)
    wings.force_state("running")
    wings.hook("inject", {"lines": ["l1", "l2", "l3", "l4"]})
    socket = wings.connect()
    socket.send("send logs")
    events = socket.until(is_event("console output", "l4"))
    assert lines(events) == ["l2", "l3", "l4"]


def test_event_permission_gating(wings: Wings) -> None:
    wings.force_state("running")
    player = wings.connect()
    admin = wings.connect(permissions=["*", "admin.websocket.install"])
    limited = wings.connect(permissions=["websocket.connect"])
    wings.hook(
        "inject",
        {
            "events": [
                {"event": "install output", "args": ["pulling image"]},
                {"event": "backup completed", "args": ['{"uuid":"x"}']},
                {"event": "daemon message", "args": ["hello"]},
            ]
        },
    )
    admin_events = admin.until(is_event("daemon message"))
    assert {"install output", "backup completed"} <= set(names(admin_events))
    player_events = player.until(is_event("daemon message"))
    assert "install output" not in names(player_events) and "backup completed" in names(player_events)
    limited_events = limited.until(is_event("daemon message"))
    assert "backup completed" not in names(limited_events)  # needs backup.read


def test_reinstall_events_reach_admin(wings: Wings) -> None:
    socket = wings.connect(permissions=["*", "admin.websocket.install"])
    server_id = wings.servers["Survival"]["id"]
    answer = requests.post(
        f"{wings.emulator.url}/api/application/servers/{server_id}/reinstall",
        headers=wings.emulator.headers("application"),
        timeout=10,
    )
    assert answer.status_code == 204
    events = socket.until(is_event("install completed"))
    assert {"install started", "install output", "daemon message"} <= set(names(events))


# ------------------------------------------------------------------------------------------- 1.12 limits


def test_inbound_rate_limit_1_12(wings: Wings) -> None:
    wings.configure(wings_version="1.12")
    wings.force_state("running")
    socket = wings.connect()
    # 10/s stays under the global bucket (5/s, burst 10) for 1.5 s but exceeds the command bucket (1/s, burst 10).
    for number in range(15):
        socket.send("send command", f"say {number}")
        time.sleep(0.1)
    events = socket.during(0.6)
    notices = [event["args"] for event in events if event["event"] == "throttled"]
    output = lines(events)
    assert notices and set(map(tuple, notices)) == {("send command",)}
    assert 10 <= len(output) <= 13
    assert output[:10] == [f"[Server] {n}" for n in range(10)]
    assert len(notices) <= 15 - len(output)  # one notice per throttling episode, not per dropped command


def test_global_rate_limit_1_12(wings: Wings) -> None:
    wings.configure(wings_version="1.12")
    socket = wings.connect()
    for _frame in range(14):
        socket.send("unknown event")
    events = socket.during(0.5)
    assert {"event": "throttled", "args": ["global"]} in events


def test_no_limits_in_1_11(wings: Wings) -> None:
    wings.force_state("running")
    socket = wings.connect()
    for number in range(15):
        socket.send("send command", f"say {number}")
    events = socket.until(is_event("console output", "[Server] 14"))
    assert "throttled" not in names(events) and len(lines(events)) == 15


def test_oversized_frame_closes_1009_in_1_12(wings: Wings) -> None:
    wings.configure(wings_version="1.12")
    wings.force_state("running")
    socket = wings.connect()
    socket.send("send command", "say " + "x" * 5000)
    assert socket.until(lambda m: "close" in m)[-1]["close"] == 1009


def test_connection_cap_1_12(wings: Wings) -> None:
    wings.configure(wings_version="1.12", websocket_max_connections=2)
    _token, url = wings.token()
    wings.open(url)
    wings.open(url)
    with pytest.raises(websocket.WebSocketBadStatusException) as caught:
        wings.open(url)
    assert caught.value.status_code == 400
    assert json.loads(caught.value.resp_body) == {"error": "Too many open websocket connections."}


def test_1_12_headers(wings: Wings) -> None:
    wings.configure(wings_version="1.12")
    _token, url = wings.token()
    socket = wings.open(url)
    headers = {name.lower(): value for name, value in socket.ws.getheaders().items()}
    assert headers.get("x-frame-options") == "DENY"
    assert headers.get("content-security-policy") == "default-src 'self'"


# ------------------------------------------------------------------------------------------ drops, deletion, suspension


def test_drop_mid_stream(wings: Wings) -> None:
    wings.force_state("running")
    socket = wings.connect()
    wings.hook("drop", {"after_frames": 5})
    socket.send("send command", "flood 50")
    received: list[str] = []
    # The drop ends the read loop: the loop is the statement expected to raise.
    with pytest.raises((websocket.WebSocketConnectionClosedException, ConnectionError)):  # noqa: PT012
        deadline = time.monotonic() + EVENT_TIMEOUT
        while time.monotonic() < deadline:
            message = socket.recv(1.0)
            assert message is None or "close" not in message, "a drop must not send a close frame"
            if message and message["event"] == "console output":
                received.append(message["args"][0])
    assert received == [f"flood line {n} of 50" for n in range(1, len(received) + 1)]
    assert 1 <= len(received) <= 5


def test_drop_now(wings: Wings) -> None:
    socket = wings.connect()
    assert wings.hook("drop")["dropped"] == 1
    with pytest.raises((websocket.WebSocketConnectionClosedException, ConnectionError)):
        socket.recv(EVENT_TIMEOUT)


def test_deleted_server_1_11(wings: Wings) -> None:
    wings.force_state("running")
    socket = wings.connect()
    wings.hook("deleted")
    events = socket.until(lambda m: "close" in m)
    assert {"event": "deleted", "args": ["null"]} in events
    assert events[-1] == {"close": 1001, "reason": "server deleted"}


def test_deleted_through_application_api(wings: Wings) -> None:
    socket = wings.connect()
    server_id = wings.servers["Creative"]["id"]
    socket_creative = wings.connect("Creative")
    answer = requests.delete(
        f"{wings.emulator.url}/api/application/servers/{server_id}/force",
        headers=wings.emulator.headers("application"),
        timeout=10,
    )
    assert answer.status_code == 204
    events = socket_creative.until(lambda m: "close" in m)
    assert {"event": "deleted", "args": ["null"]} in events
    assert not any("close" in event for event in socket.during(0.3))  # other servers are untouched


def test_suspended_server_1_12(wings: Wings) -> None:
    wings.configure(wings_version="1.12")
    wings.force_state("running")
    socket = wings.connect()
    wings.hook("suspended")
    events = socket.until(lambda m: "close" in m)
    assert events[-1] == {"close": 4409, "reason": "server is suspended"}


def test_suspension_through_application_api_1_12(wings: Wings) -> None:
    wings.configure(wings_version="1.12")
    server_id = wings.servers["Survival"]["id"]
    answer = requests.post(
        f"{wings.emulator.url}/api/application/servers/{server_id}/suspend",
        headers=wings.emulator.headers("application"),
        timeout=10,
    )
    assert answer.status_code == 204
    _token, url = wings.token()
    socket = wings.open(url)  # the upgrade works, then Wings closes it
    assert socket.until(lambda m: "close" in m)[-1] == {"close": 4409, "reason": "server is suspended"}


def test_client_ping_gets_pong(wings: Wings) -> None:
    socket = wings.connect()
    socket.ws.ping(b"hello")
    socket.ws.settimeout(EVENT_TIMEOUT)
    opcode, data = socket.ws.recv_data(control_frame=True)
    assert opcode == websocket.ABNF.OPCODE_PONG and data == b"hello"


# ------------------------------------------------------------------------------------------- activity and control


def test_console_command_activity_is_logged(wings: Wings) -> None:
    wings.force_state("running")
    socket = wings.connect()
    socket.send("send command", "say logged")
    socket.until(is_event("console output", "[Server] logged"))
    activity = [row for row in wings.emulator.state("activity") if row["event"] == "server:console.command"]
    assert activity and activity[-1]["properties"] == {"command": "say logged"}
    assert activity[-1]["server_id"] == wings.servers["Survival"]["id"]


def test_advance_finishes_power_transitions(wings: Wings) -> None:
    wings.configure(power_seconds=60)
    socket = wings.connect()
    socket.send("set state", "start")
    socket.until(is_event("status", "starting"))
    wings.emulator.control("POST", "wings/advance")
    socket.until(is_event("status", "running"))


def test_wings_settings_validation(wings: Wings) -> None:
    with pytest.raises(RuntimeError, match="400"):
        wings.configure(no_such_setting=1)


def test_deleted_server_1_12_drops_without_close_frame(wings: Wings) -> None:
    wings.configure(wings_version="1.12")
    socket = wings.connect()
    wings.hook("deleted")
    assert socket.until(is_event("deleted"))[-1] == {"event": "deleted", "args": ["null"]}
    # Whichever read meets the closed connection raises; the first may still return the last frame.
    with pytest.raises((websocket.WebSocketConnectionClosedException, ConnectionError)):  # noqa: PT012
        message = socket.recv(EVENT_TIMEOUT)
        assert message is None or "close" not in message, "1.12 closes the connection without a close frame"
        socket.recv(EVENT_TIMEOUT)


def test_rest_routes_drive_the_daemon(wings: Wings) -> None:
    identifier = wings.servers["Survival"]["uuid_short"]
    socket = wings.connect()
    answer = wings.client("POST", f"/api/client/servers/{identifier}/command", json={"command": "say hi"})
    assert answer.status_code == 502
    assert answer.json()["errors"][0]["detail"] == "Server must be online in order to send commands."
    answer = wings.client("POST", f"/api/client/servers/{identifier}/power", json={"signal": "start"})
    assert answer.status_code == 204
    socket.until(is_event("status", "running"))
    resources = wings.client("GET", f"/api/client/servers/{identifier}/resources").json()["attributes"]
    assert resources["current_state"] == "running" and resources["is_suspended"] is False
    assert set(resources["resources"]) == {
        "memory_bytes",
        "cpu_absolute",
        "disk_bytes",
        "network_rx_bytes",
        "network_tx_bytes",
        "uptime",
    }
    answer = wings.client("POST", f"/api/client/servers/{identifier}/command", json={"command": "say via rest"})
    assert answer.status_code == 204
    socket.until(is_event("console output", "[Server] via rest"))
    # A refused power action is still 204 for the panel (Wings accepts it and only logs the refusal).
    answer = wings.client("POST", f"/api/client/servers/{identifier}/power", json={"signal": "start"})
    assert answer.status_code == 204
    assert "status" not in names(socket.during(0.3))


def test_websocket_credentials_from_the_client_api(wings: Wings) -> None:
    identifier = wings.servers["Survival"]["uuid_short"]
    answer = wings.client("GET", f"/api/client/servers/{identifier}/websocket")
    assert answer.status_code == 200
    data = answer.json()["data"]
    assert set(data) == {"token", "socket"}
    assert data["socket"] == f"{wings.emulator.url.replace('http://', 'ws://')}/api/servers/{wings.uuid()}/ws"
    header, claims = (
        json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))) for part in data["token"].split(".")[:2]
    )
    assert header == {"typ": "JWT", "alg": "HS256", "jti": claims["jti"]}
    assert claims["permissions"] == ["*"] and claims["server_uuid"] == wings.uuid()
    assert claims["exp"] - claims["iat"] == 600 and claims["nbf"] == claims["iat"] - 300
    assert claims["aud"] == ["https://node1.example.com:8080"] and claims["iss"] == wings.emulator.url
    assert claims["jti"] == hashlib.md5(f"{wings.users['player']['id']}{wings.uuid()}".encode()).hexdigest()
    socket = wings.open(data["socket"])
    socket.send("auth", data["token"])
    assert socket.recv(EVENT_TIMEOUT) == {"event": "auth success"}
