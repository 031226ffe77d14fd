"""Unit tests of the console session: message parsing, the protocol state machine, and ConsoleSession's
command/collect/refresh logic driven by a scripted fake socket (no network)."""

from __future__ import annotations

import base64
import json
import struct
import subprocess
import sys
import time
from collections import deque
from pathlib import Path
from typing import Any

import pytest
import websocket

from ansible_collections.ptero.panel.plugins.module_utils import _console as console
from ansible_collections.ptero.panel.plugins.module_utils._client import PanelError
from ansible_collections.ptero.panel.plugins.module_utils._console import (
    ACTION_REFRESH,
    ConsoleError,
    ConsoleMessage,
    ConsoleProtocol,
    ConsoleSession,
)

SECRET_MARK = "SENTINEL-TOKEN-SIGNATURE"


def make_token(permissions: list[str] | None = None, **claims: Any) -> str:
    """An unsigned-looking JWT whose signature part is a sentinel we can search for in outputs."""
    payload = {"permissions": permissions if permissions is not None else ["*"], **claims}

    def part(data: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'HS256', 'typ': 'JWT'})}.{part(payload)}.{SECRET_MARK}"


def frame(event: str, *args: str) -> tuple[int, bytes]:
    message: dict[str, Any] = {"event": event}
    if args:
        message["args"] = list(args)
    return websocket.ABNF.OPCODE_TEXT, json.dumps(message).encode()


def close_frame(code: int, reason: str = "") -> tuple[int, bytes]:
    return websocket.ABNF.OPCODE_CLOSE, struct.pack("!H", code) + reason.encode()


# ------------------------------------------------------------------------------------------- pure helpers


class TestParsing:
    def test_parse_regular_message(self) -> None:
        assert console.parse_message('{"event":"console output","args":["hello"]}') == ConsoleMessage(
            "console output", ("hello",)
        )

    def test_parse_without_args(self) -> None:
        message = console.parse_message(b'{"event":"auth success"}')
        assert message == ConsoleMessage("auth success", ())
        assert message.arg == ""

    @pytest.mark.parametrize("text", ["not json", "[]", '"x"', '{"args":["a"]}', '{"event":5}', b"\xff\xfe"])
    def test_parse_rejects_garbage(self, text: Any) -> None:
        assert console.parse_message(text) is None

    def test_parse_tolerates_odd_args(self) -> None:
        message = console.parse_message('{"event":"deleted","args":[null, 3, {"a":1}, "x"]}')
        assert message is not None
        assert message.args == ("", "3", '{"a": 1}', "x")
        assert console.parse_message('{"event":"x","args":"single"}') == ConsoleMessage("x", ("single",))

    def test_arg_joins_like_wings(self) -> None:
        assert ConsoleMessage("send command", ("say ", "hi")).arg == "say hi"

    def test_encode_message_is_compact_json(self) -> None:
        assert console.encode_message("send command", ["list"]) == '{"event":"send command","args":["list"]}'
        assert console.encode_message("send stats") == '{"event":"send stats","args":[]}'

    def test_strip_ansi(self) -> None:
        daemon_line = "\x1b[33m\x1b[1m[Pterodactyl Daemon]:\x1b[39m Updating process configuration files...\x1b[0m"
        assert console.strip_ansi(daemon_line) == "[Pterodactyl Daemon]: Updating process configuration files..."
        assert console.strip_ansi("\x1b]0;title\x07plain \x1b[1;31mred\x1b[0m") == "plain red"
        assert console.strip_ansi("no escapes: café") == "no escapes: café"

    def test_split_lines(self) -> None:
        assert console.split_lines("a\r\nb\nc\rd") == ["a", "b", "c", "d"]
        assert console.split_lines("") == [""]

    def test_error_reason_and_refresh_reasons(self) -> None:
        prefixed = "Error Event [5f1c3f0a-0000-4000-8000-000000000000]: jwt: exp claim is invalid"
        assert console.error_reason(prefixed) == "jwt: exp claim is invalid"
        assert console.error_reason("jwt: no jwt present") == "jwt: no jwt present"
        assert console.is_refresh_reason(prefixed)
        assert console.is_refresh_reason("jwt: created too far in past (denylist)")
        assert not console.is_refresh_reason("jwt: missing connect permission")
        assert not console.is_refresh_reason("jwt: server uuid mismatch")

    def test_jwt_claims_unverified(self) -> None:
        assert console.jwt_claims(make_token(["control.console"], exp=5)) == {
            "permissions": ["control.console"],
            "exp": 5,
        }
        assert console.jwt_claims("garbage") == {}
        assert console.jwt_claims("a.!!!.c") == {}

    @pytest.mark.parametrize(
        ("permissions", "permission", "expected"),
        [
            (["*"], "control.console", True),
            (["*"], "admin.websocket.errors", False),
            (["*", "admin.websocket.errors"], "admin.websocket.errors", True),
            (["websocket.connect", "control.start"], "control.console", False),
            (["control.console"], "control.console", True),
            (None, "control.console", False),
        ],
    )
    def test_has_permission(self, permissions: Any, permission: str, expected: bool) -> None:
        assert console.has_permission(permissions, permission) is expected

    @pytest.mark.parametrize(
        ("url", "origin"),
        [
            ("https://panel.example.com/", "https://panel.example.com"),
            ("http://127.0.0.1:8080/some/path?x=1", "http://127.0.0.1:8080"),
            ("https://user:pw@panel.example.com:8443", "https://panel.example.com:8443"),
            ("http://[::1]:81", "http://[::1]:81"),
        ],
    )
    def test_origin_from_url(self, url: str, origin: str) -> None:
        assert console.origin_from_url(url) == origin

    def test_close_details(self) -> None:
        assert console.close_details(struct.pack("!H", 1001) + b"server deleted") == (1001, "server deleted")
        assert console.close_details(b"") == (1005, "")


# ------------------------------------------------------------------------------------------- state machine


def ready_protocol(max_lines: int = 100) -> ConsoleProtocol:
    protocol = ConsoleProtocol("abcd1234", max_lines=max_lines)
    protocol.start_auth()
    assert protocol.handle(ConsoleMessage("auth success")) == []
    protocol.handle(ConsoleMessage("status", ("running",)))
    return protocol


class TestProtocol:
    def test_auth_then_status(self) -> None:
        protocol = ConsoleProtocol("abcd1234")
        assert protocol.phase == console.PHASE_NEW
        protocol.start_auth()
        assert protocol.phase == console.PHASE_AUTHENTICATING
        protocol.handle(ConsoleMessage("auth success"))
        assert protocol.phase == console.PHASE_READY and protocol.status is None
        protocol.handle(ConsoleMessage("status", ("starting",)))
        protocol.handle(ConsoleMessage("status", ("running",)))
        assert protocol.status == "running"
        assert protocol.status_history == ["starting", "running"]

    def test_console_lines_split_and_bounded(self) -> None:
        protocol = ready_protocol(max_lines=3)
        protocol.handle(ConsoleMessage("console output", ("one\r\ntwo",)))
        protocol.handle(ConsoleMessage("console output", ("three",)))
        protocol.handle(ConsoleMessage("console output", ("four",)))
        assert list(protocol.pending) == ["two", "three", "four"]
        assert protocol.dropped == 1
        assert protocol.lines_received == 4

    def test_throttle_line_flags_loss(self) -> None:
        protocol = ready_protocol()
        line = (
            "\x1b[33m\x1b[1m[Pterodactyl Daemon]:\x1b[39m Server is outputting console data too quickly -- "
            "throttling...\x1b[0m"
        )
        protocol.handle(ConsoleMessage("console output", (line,)))
        assert protocol.console_throttled

    def test_noise_is_ignored(self) -> None:
        protocol = ready_protocol()
        for message in (
            ConsoleMessage("stats", ('{"state":"running","uptime":5}',)),
            ConsoleMessage("stats", ("x",)),
            ConsoleMessage("install output", ("pulling",)),
            ConsoleMessage("something new", ("null",)),
            ConsoleMessage("daemon message", ("Installation process completed.",)),
            ConsoleMessage("daemon error", ("Error Event [x]: an unexpected error",)),
            ConsoleMessage("throttled", ("global",)),
        ):
            assert protocol.handle(message) == []
        assert protocol.last_stats == {"state": "running", "uptime": 5}
        assert protocol.daemon_errors == ["Error Event [x]: an unexpected error"]
        assert protocol.throttled == ["global"]
        assert protocol.phase == console.PHASE_READY and not protocol.pending

    def test_token_expiring_asks_one_refresh(self) -> None:
        protocol = ready_protocol()
        assert protocol.handle(ConsoleMessage("token expiring")) == [ACTION_REFRESH]
        assert protocol.handle(ConsoleMessage("token expiring")) == []  # already refreshing
        assert protocol.handle(ConsoleMessage("token expired")) == []
        protocol.handle(ConsoleMessage("auth success"))
        assert protocol.handle(ConsoleMessage("token expired")) == [ACTION_REFRESH]

    def test_expired_at_first_auth_refreshes_once_then_fails(self) -> None:
        protocol = ConsoleProtocol("abcd1234")
        protocol.start_auth()
        expired = "Error Event [1]: jwt: exp claim is invalid"
        assert protocol.handle(ConsoleMessage("jwt error", (expired,))) == [ACTION_REFRESH]
        with pytest.raises(ConsoleError) as caught:
            protocol.handle(ConsoleMessage("jwt error", (expired,)))
        assert caught.value.kind == console.KIND_JWT
        assert "exp claim is invalid" in str(caught.value)

    def test_missing_connect_permission_is_fatal_at_once(self) -> None:
        protocol = ConsoleProtocol("abcd1234")
        protocol.start_auth()
        with pytest.raises(ConsoleError) as caught:
            protocol.handle(ConsoleMessage("jwt error", ("Error Event [1]: jwt: missing connect permission",)))
        assert caught.value.kind == console.KIND_JWT
        assert caught.value.details["reason"] == "jwt: missing connect permission"

    def test_no_jwt_present_before_auth_is_harmless(self) -> None:
        protocol = ConsoleProtocol("abcd1234")
        protocol.start_auth()
        assert protocol.handle(ConsoleMessage("jwt error", ("jwt: no jwt present",))) == []
        assert protocol.phase == console.PHASE_AUTHENTICATING

    def test_daemon_error_before_auth_is_an_auth_failure(self) -> None:
        protocol = ConsoleProtocol("abcd1234")
        protocol.start_auth()
        with pytest.raises(ConsoleError) as caught:
            protocol.handle(
                ConsoleMessage(
                    "daemon error",
                    ("Error Event [1]: an unexpected error was encountered while handling this request",),
                )
            )
        assert caught.value.kind == console.KIND_DAEMON

    def test_uuid_mismatch_after_auth_is_fatal(self) -> None:
        protocol = ConsoleProtocol("abcd1234")
        protocol.start_auth()
        protocol.handle(ConsoleMessage("auth success"))
        with pytest.raises(ConsoleError) as caught:
            protocol.handle(ConsoleMessage("jwt error", ("jwt: server uuid mismatch",)))
        assert caught.value.kind == console.KIND_JWT

    def test_expired_events_count_as_lost_and_refresh(self) -> None:
        protocol = ready_protocol()
        assert protocol.handle(ConsoleMessage("jwt error", ("jwt: exp claim is invalid",))) == [ACTION_REFRESH]
        assert protocol.handle(ConsoleMessage("jwt error", ("jwt: exp claim is invalid",))) == []
        assert protocol.lost_events == 2
        protocol.handle(ConsoleMessage("auth success"))
        assert not protocol.refresh_pending

    def test_repeatedly_refused_reauth_gives_up(self) -> None:
        protocol = ready_protocol()
        protocol.handle(ConsoleMessage("token expiring"))
        refused = ConsoleMessage("jwt error", ("Error Event [2]: jwt: exp claim is invalid",))
        for _attempt in range(console.MAX_REFRESH_FAILURES):
            assert protocol.handle(refused) == [ACTION_REFRESH]
        with pytest.raises(ConsoleError) as caught:
            protocol.handle(refused)
        assert caught.value.kind == console.KIND_REFRESH

    def test_deleted_event_is_fatal_with_partial_lines(self) -> None:
        protocol = ready_protocol()
        protocol.handle(ConsoleMessage("console output", ("\x1b[1mlast words\x1b[0m",)))
        with pytest.raises(ConsoleError) as caught:
            protocol.handle(ConsoleMessage("deleted", ("null",)))
        assert caught.value.kind == console.KIND_DELETED
        assert caught.value.lines == ["last words"]

    @pytest.mark.parametrize(
        ("code", "reason", "kind"),
        [
            (4409, "server is suspended", console.KIND_SUSPENDED),
            (1001, "server deleted", console.KIND_DELETED),
            (1009, "", console.KIND_TOO_LARGE),
            (1006, "connection lost", console.KIND_CLOSED),
            (1000, "", console.KIND_DEAUTHORIZED),  # an unrequested close of an authenticated socket (panel 1.12+)
        ],
    )
    def test_close_codes(self, code: int, reason: str, kind: str) -> None:
        protocol = ready_protocol()
        with pytest.raises(ConsoleError) as caught:
            protocol.handle_close(code, reason)
        assert caught.value.kind == kind
        assert caught.value.details["close_code"] == code
        assert protocol.phase == console.PHASE_CLOSED


# ------------------------------------------------------------------------------------------- session, fake socket


class FakeSocket:
    """Stands in for websocket.WebSocket: scripted frames, released by time offsets; records what is sent."""

    def __init__(self, script: list[tuple[float, tuple[int, bytes]]] | None = None) -> None:
        self.started = time.monotonic()
        self.script: deque[tuple[float, tuple[int, bytes]]] = deque(script or [])
        self.sent: list[str] = []
        self.timeout = 1.0
        self.closed_with: int | None = None
        self.pings = 0

    def add(self, after: float, item: tuple[int, bytes]) -> None:
        self.script.append((time.monotonic() - self.started + after, item))

    def send(self, text: str) -> None:
        self.sent.append(text)

    def settimeout(self, value: float) -> None:
        self.timeout = value

    def ping(self) -> None:
        self.pings += 1

    def recv_data(self, control_frame: bool = False) -> tuple[int, bytes]:
        if self.script:
            due, item = self.script[0]
            wait = self.started + due - time.monotonic()
            if wait <= self.timeout:
                time.sleep(max(0.0, wait))
                self.script.popleft()
                return item
        time.sleep(self.timeout)
        raise websocket.WebSocketTimeoutException("timed out")

    def close(self, status: int = 1000, timeout: float = 1.0) -> None:
        self.closed_with = status

    def shutdown(self) -> None:
        self.closed_with = -1

    def sent_events(self) -> list[tuple[str, list[str]]]:
        return [(json.loads(text)["event"], json.loads(text)["args"]) for text in self.sent]


class StubClient:
    base_url = "http://127.0.0.1:9999/"

    def __init__(self, answers: list[Any] | None = None, permissions: list[str] | None = None) -> None:
        self.answers: deque[Any] = deque(answers or [])
        self.permissions = permissions
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def call(self, operation: str, path_params: dict[str, Any] | None = None, **_kwargs: Any) -> Any:
        self.calls.append((operation, dict(path_params or {})))
        if self.answers:
            answer = self.answers.popleft()
            if isinstance(answer, Exception):
                raise answer
            return answer
        return {"token": make_token(self.permissions, n=len(self.calls)), "socket": "ws://127.0.0.1:9999/ws"}


def ready_session(
    client: StubClient | None = None,
    script: list[tuple[float, tuple[int, bytes]]] | None = None,
    status: str = "running",
    **options: Any,
) -> tuple[ConsoleSession, FakeSocket]:
    """A session as connect() leaves it, on a fake socket."""
    client = client or StubClient()
    session = ConsoleSession(client, "abcd1234", **options)
    credentials = session._fetch_credentials()
    session._token = credentials["token"]
    fake = FakeSocket(script)
    session._ws = fake
    session.protocol.start_auth()
    session.protocol.handle(ConsoleMessage("auth success"))
    session.protocol.handle(ConsoleMessage("status", (status,)))
    session._status_mark = len(session.protocol.status_history)
    return session, fake


def all_text(error: ConsoleError) -> str:
    return str(error) + repr(error) + json.dumps(error.to_dict())


class TestSessionCredentials:
    def test_origin_defaults_to_panel_url(self) -> None:
        assert ConsoleSession(StubClient(), "abcd1234").origin == "http://127.0.0.1:9999"
        assert ConsoleSession(StubClient(), "abcd1234", origin="https://x.test").origin == "https://x.test"

    @pytest.mark.parametrize(
        ("status", "kind"),
        [(401, "auth"), (403, "auth"), (404, "not_found"), (409, "conflict"), (429, "panel"), (500, "panel")],
    )
    def test_panel_errors_are_classified(self, status: int, kind: str) -> None:
        error = PanelError(
            "GET",
            "/api/client/servers/abcd1234/websocket",
            status,
            code="X",
            detail="nope",
            retry_after=3.0 if status == 429 else None,
        )
        session = ConsoleSession(StubClient([error]), "abcd1234")
        with pytest.raises(ConsoleError) as caught:
            session._fetch_credentials()
        assert caught.value.kind == kind
        assert caught.value.status == status
        assert "abcd1234" in str(caught.value)

    def test_answer_without_token_is_a_panel_error(self) -> None:
        with pytest.raises(ConsoleError) as caught:
            ConsoleSession(StubClient([{"socket": "ws://x"}]), "abcd1234")._fetch_credentials()
        assert caught.value.kind == console.KIND_PANEL

    def test_permissions_read_from_token(self) -> None:
        session = ConsoleSession(StubClient(permissions=["websocket.connect", "control.start"]), "abcd1234")
        session._fetch_credentials()
        assert session.permissions == ["websocket.connect", "control.start"]
        assert not session.can("control.console") and session.can("control.start")


class TestSessionSend:
    def test_send_writes_one_command(self) -> None:
        session, fake = ready_session()
        session.send("say hello")
        assert fake.sent_events() == [("send command", ["say hello"])]
        assert session.commands_sent == 1

    @pytest.mark.parametrize(
        ("command", "kind"), [("", "invalid"), ("   ", "invalid"), ("a\nb", "invalid"), ("x" * 4000, "too_large")]
    )
    def test_bad_commands_are_refused_before_sending(self, command: str, kind: str) -> None:
        session, fake = ready_session()
        with pytest.raises(ConsoleError) as caught:
            session.send(command)
        assert caught.value.kind == kind
        assert fake.sent == []

    def test_without_console_permission(self) -> None:
        session, fake = ready_session(StubClient(permissions=["websocket.connect"]))
        with pytest.raises(ConsoleError) as caught:
            session.send("list")
        assert caught.value.kind == console.KIND_PERMISSION
        assert fake.sent == []

    @pytest.mark.parametrize("status", ["offline", "starting", "stopping"])
    def test_not_running_fails_fast(self, status: str) -> None:
        session, fake = ready_session(status=status)
        started = time.monotonic()
        with pytest.raises(ConsoleError) as caught:
            session.send("list")
        assert caught.value.kind == console.KIND_OFFLINE
        assert status in str(caught.value)
        assert time.monotonic() - started < 0.5
        session.send("list", require_running=False)
        assert fake.sent_events() == [("send command", ["list"])]

    def test_commands_are_paced_after_a_burst(self) -> None:
        session, fake = ready_session()
        started = time.monotonic()
        for index in range(console.COMMAND_BURST + 1):
            session.send(f"say {index}")
        assert time.monotonic() - started >= 0.8  # the 11th waited for the limiter
        assert len(fake.sent) == console.COMMAND_BURST + 1

    def test_power_checks_permission(self) -> None:
        session, fake = ready_session(StubClient(permissions=["control.start"]))
        session.power("start")
        assert fake.sent_events() == [("set state", ["start"])]
        with pytest.raises(ConsoleError):
            session.power("stop")
        with pytest.raises(ConsoleError):
            session.power("explode")


class TestSessionCollect:
    def test_idle_settle_returns_lines_after_the_command(self) -> None:
        session, fake = ready_session()
        fake.add(0.0, frame("console output", "old line"))
        session.send("list")  # the already-arrived "old line" is drained and discarded
        fake.add(0.05, frame("stats", '{"state":"running"}'))
        fake.add(0.1, frame("console output", "\x1b[32mThere are 2\x1b[0m"))
        fake.add(0.15, frame("console output", "alice, bob"))
        fake.add(1.0, frame("console output", "late line"))
        result = session.collect(settle=0.3, timeout=5, raw=True)
        assert result.lines == ["There are 2", "alice, bob"]
        assert result.raw_lines == ["\x1b[32mThere are 2\x1b[0m", "alice, bob"]
        assert result.stop_reason == "idle" and not result.matched
        assert result.to_dict()["raw_lines"] == result.raw_lines
        assert "raw_lines" not in session.collect(settle=0.01, timeout=0.1).to_dict()

    def test_wait_for_match_stops_at_the_matching_line(self) -> None:
        session, fake = ready_session()
        fake.add(0.05, frame("console output", "loading"))
        fake.add(0.1, frame("console output", 'Done (1.2s)! For help, type "help"'))
        fake.add(0.15, frame("console output", "after"))
        result = session.collect(wait_for=r"Done \(", timeout=5)
        assert result.matched and result.match.startswith("Done (")
        assert result.lines == ["loading", 'Done (1.2s)! For help, type "help"']
        assert result.stop_reason == "match"

    def test_no_match_within_timeout_raises_with_lines(self) -> None:
        session, fake = ready_session()
        fake.add(0.05, frame("console output", "one"))
        with pytest.raises(ConsoleError) as caught:
            session.collect(wait_for="never", timeout=0.4)
        assert caught.value.kind == console.KIND_TIMEOUT
        assert caught.value.lines == ["one"]

    def test_timeout_without_pattern_returns(self) -> None:
        session, fake = ready_session()
        for index in range(20):
            fake.add(0.05 * index, frame("console output", f"line {index}"))
        result = session.collect(timeout=0.3, settle=1.0)
        assert result.stop_reason == "timeout"
        assert 2 <= len(result.lines) <= 8

    def test_offline_stops_collection(self) -> None:
        session, fake = ready_session()
        fake.add(0.05, frame("status", "stopping"))
        fake.add(0.06, frame("console output", "Stopping the server"))
        fake.add(0.1, frame("status", "offline"))
        result = session.collect(timeout=5, settle=None)
        assert result.stop_reason == "offline"
        assert result.statuses == ["stopping", "offline"]
        assert result.lines == ["Stopping the server"]

    def test_offline_before_match_is_an_error(self) -> None:
        session, fake = ready_session()
        fake.add(0.05, frame("status", "offline"))
        with pytest.raises(ConsoleError) as caught:
            session.collect(wait_for="x", timeout=5)
        assert caught.value.kind == console.KIND_OFFLINE

    def test_bounded_lines_keep_the_latest(self) -> None:
        session, fake = ready_session(max_lines=5)
        for index in range(12):
            fake.add(0.0, frame("console output", f"line {index}"))
        result = session.collect(settle=0.2, timeout=5)
        assert result.lines == [f"line {index}" for index in range(7, 12)]
        assert result.dropped == 7

    def test_token_expiring_refreshes_on_the_same_socket_without_losing_lines(self) -> None:
        client = StubClient()
        session, fake = ready_session(client)
        fake.add(0.02, frame("console output", "a"))
        fake.add(0.04, frame("token expiring"))
        fake.add(0.06, frame("console output", "b"))
        fake.add(0.08, frame("auth success"))
        fake.add(0.1, frame("token expiring"))
        fake.add(0.12, frame("console output", "c"))
        fake.add(0.14, frame("auth success"))
        result = session.collect(settle=0.3, timeout=5)
        assert result.lines == ["a", "b", "c"]
        assert result.refreshed == 2
        auths = [args for event, args in fake.sent_events() if event == "auth"]
        assert len(auths) == 2 and auths[0] != auths[1]
        assert [op for op, _params in client.calls] == ["client.servers.websocket"] * 3

    def test_expired_token_events_trigger_refresh_and_count_loss(self) -> None:
        session, fake = ready_session()
        fake.add(0.02, frame("jwt error", "jwt: exp claim is invalid"))
        fake.add(0.04, frame("jwt error", "jwt: exp claim is invalid"))
        fake.add(0.06, frame("auth success"))
        fake.add(0.08, frame("console output", "back"))
        result = session.collect(settle=0.3, timeout=5)
        assert result.lines == ["back"]
        assert result.lost_events == 2 and result.refreshed == 1

    def test_failed_refresh_is_retried_with_backoff(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setattr(console, "REFRESH_BACKOFF_SECONDS", 0.1)
        busy = PanelError(
            "GET",
            "/api/client/servers/abcd1234/websocket",
            429,
            code="ThrottleRequestsException",
            detail="Too Many Attempts.",
            retry_after=0.2,
        )
        client = StubClient()
        session, fake = ready_session(client)
        client.answers.extend([busy])
        fake.add(0.02, frame("token expiring"))
        fake.add(0.5, frame("console output", "still here"))
        result = session.collect(wait_for="still here", timeout=5)
        assert result.matched and result.refreshed == 1
        assert [event for event, _args in fake.sent_events()] == ["auth"]

    def test_refresh_failing_repeatedly_reports_partial_output(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setattr(console, "REFRESH_BACKOFF_SECONDS", 0.05)
        broken = PanelError("GET", "/api/client/servers/abcd1234/websocket", 500, code="X", detail="boom")
        client = StubClient()
        session, fake = ready_session(client)
        client.answers.extend([broken] * console.MAX_REFRESH_FAILURES)
        fake.add(0.01, frame("console output", "partial"))
        fake.add(0.02, frame("token expiring"))
        with pytest.raises(ConsoleError) as caught:
            session.collect(timeout=5, settle=2)
        assert caught.value.kind == console.KIND_REFRESH
        assert caught.value.lines == ["partial"]

    def test_drop_reports_partial_output(self) -> None:
        session, fake = ready_session()
        fake.add(0.02, frame("console output", "before drop"))
        fake.add(0.04, close_frame(1006))
        with pytest.raises(ConsoleError) as caught:
            session.collect(timeout=5)
        assert caught.value.kind == console.KIND_CLOSED
        assert caught.value.lines == ["before drop"]

    def test_suspension_close(self) -> None:
        session, fake = ready_session()
        fake.add(0.02, close_frame(4409, "server is suspended"))
        with pytest.raises(ConsoleError) as caught:
            session.collect(timeout=5)
        assert caught.value.kind == console.KIND_SUSPENDED

    def test_throttled_command_is_flagged(self) -> None:
        session, fake = ready_session()
        fake.add(0.02, frame("throttled", "send command"))
        result = session.collect(settle=0.2, timeout=2)
        assert result.throttled

    def test_ping_sent_when_idle(self) -> None:
        session, fake = ready_session(ping_interval=0.1)
        session.collect(settle=0.35, timeout=2)
        assert fake.pings >= 2

    def test_token_never_appears_in_errors_or_results(self) -> None:
        session, fake = ready_session()
        fake.add(0.01, frame("console output", "x"))
        fake.add(0.02, frame("token expiring"))
        fake.add(0.03, frame("jwt error", "jwt: server uuid mismatch"))
        with pytest.raises(ConsoleError) as caught:
            session.collect(timeout=2)
        assert SECRET_MARK not in all_text(caught.value)
        assert SECRET_MARK not in repr(session)
        assert any(SECRET_MARK in text for text in fake.sent)  # it was really sent, only in the auth frame

    def test_wait_for_status(self) -> None:
        session, fake = ready_session(status="offline")
        fake.add(0.05, frame("status", "starting"))
        fake.add(0.1, frame("status", "running"))
        assert session.wait_for_status({"running"}, timeout=2) == "running"
        with pytest.raises(ConsoleError) as caught:
            session.wait_for_status({"offline"}, timeout=0.2)
        assert caught.value.kind == console.KIND_TIMEOUT

    def test_close_sends_normal_closure(self) -> None:
        session, fake = ready_session()
        session.close()
        assert fake.closed_with == 1000
        with pytest.raises(ConsoleError):
            session.send("list", require_running=False)


# ------------------------------------------------------------------------------------------- without websocket-client

_IMPORT_SCRIPT = r"""
import json, sys
sys.path.insert(0, sys.argv[1])
from collection_tree import link_collection
from pathlib import Path
base = Path(sys.argv[2])
link_collection(base)
sys.path.insert(0, str(base))
sys.modules["websocket"] = None  # `import websocket` now raises ImportError, as if not installed
from ansible_collections.ptero.panel.plugins.module_utils import _console


class Client:
    base_url = "https://panel.example.test"

    def call(self, *args, **kwargs):
        raise AssertionError("no credentials should be fetched without the library")


result = {"has": _console.HAS_WEBSOCKET, "error": _console.WEBSOCKET_IMPORT_ERROR,
          "parsed": _console.parse_message('{"event":"status","args":["running"]}').arg}
try:
    _console.ConsoleSession(Client(), "abcd1234").connect()
except _console.ConsoleError as error:
    result["connect"] = str(error)
print(json.dumps(result))
"""


def test_import_without_websocket_client(tmp_path: Any) -> None:
    tools = Path(__file__).resolve().parents[3] / "tools"
    completed = subprocess.run(
        [sys.executable, "-c", _IMPORT_SCRIPT, str(tools), str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    result = json.loads(completed.stdout.strip().splitlines()[-1])
    assert result["has"] is False
    assert "websocket" in result["error"]
    assert result["parsed"] == "running"
    assert "websocket-client" in result["connect"]
