"""The console_command module's flow, with the console session replaced by a scripted fake and the panel mocked."""

from __future__ import annotations

import re
import typing as t

import pytest
import responses

from ansible_collections.ptero.panel.plugins.module_utils import _console as console
from ansible_collections.ptero.panel.plugins.module_utils._console import ConsoleError, ConsoleResult
from ansible_collections.ptero.panel.plugins.modules import console_command

CLIENT = "https://panel.example.test/api/client"
SERVER = {
    "identifier": "1a7ce997",
    "uuid": "1a7ce997-0000-4000-8000-000000000001",
    "name": "Survival",
    "is_suspended": False,
}
TOKEN = "eyJhbGciOiJIUzI1NiJ9.eyJzZXJ2ZXIiOiJ4In0.c2lnbmF0dXJl"


class FakeSession:
    """Stands in for ConsoleSession: records what the module does and answers each collect() from a script."""

    instances: t.ClassVar[list[FakeSession]] = []

    def __init__(self, client: t.Any, server: str, **options: t.Any) -> None:
        self.client = client
        self.server = server
        self.options = options
        self.status: str | None = None
        self.initial = "running"
        self.permitted = True
        self.refreshes = 0
        self.protocol = type("Protocol", (), {"daemon_errors": [], "feature_matches": []})()
        self.actions: list[tuple[str, t.Any]] = []
        self.results: list[ConsoleResult | ConsoleError] = []
        self.closed = False
        FakeSession.instances.append(self)

    def connect(self) -> FakeSession:
        self.client.call("client.servers.websocket", {"server": self.server})  # as the real session does
        self.status = self.initial
        return self

    def can(self, permission: str) -> bool:
        return self.permitted

    def send(self, command: str, *, require_running: bool = True) -> None:
        self.actions.append(("send", command))

    def request(self, event: str) -> None:
        self.actions.append(("request", event))

    def collect(
        self,
        wait_for: t.Pattern[str] | None = None,
        timeout: float = 10.0,
        settle: float | None = 1.0,
        *,
        raw: bool = False,
        stop_on_offline: bool = True,
    ) -> ConsoleResult:
        self.actions.append(("collect", (wait_for.pattern if wait_for else None, round(timeout), settle)))
        answer = self.results.pop(0) if self.results else ConsoleResult(stop_reason="idle")
        if isinstance(answer, ConsoleError):
            raise ConsoleError(answer.kind, answer.message, lines=answer.lines)
        if raw and answer.raw_lines is None:
            answer.raw_lines = list(answer.lines)
        return answer

    def close(self) -> None:
        self.closed = True


def lines(*texts: str, reason: str = "idle", match: str | None = None) -> ConsoleResult:
    return ConsoleResult(lines=list(texts), stop_reason=reason, matched=match is not None, match=match)


@pytest.fixture
def panel():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.get(f"{CLIENT}/servers/{SERVER['identifier']}", json={"object": "server", "attributes": SERVER})
        mock.get(
            f"{CLIENT}/servers/{SERVER['identifier']}/websocket",
            json={"data": {"token": TOKEN, "socket": "wss://node.example.test:8080/api/servers/x/ws"}},
        )
        yield mock


@pytest.fixture
def fake(monkeypatch) -> t.Callable[..., FakeSession]:
    """The next session the module opens: starts with `status`, answers collects with `results`."""
    FakeSession.instances = []
    prepared: dict[str, t.Any] = {}

    def factory(*args: t.Any, **options: t.Any) -> FakeSession:
        session = FakeSession(*args, **options)
        session.initial = prepared.get("status", "running")
        session.permitted = prepared.get("permitted", True)
        session.results = list(prepared.get("results", []))
        return session

    monkeypatch.setattr(console_command, "ConsoleSession", factory)
    monkeypatch.setattr(console_command, "HAS_WEBSOCKET", True)

    def prepare(**options: t.Any) -> None:
        prepared.update(options)

    return prepare


def session() -> FakeSession:
    assert len(FakeSession.instances) == 1
    return FakeSession.instances[0]


def run(run_module, **args: t.Any):
    return run_module(console_command.main, {"server": SERVER["identifier"], "settle": 0.5, **args})


# ------------------------------------------------------------------------------------------------ options


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, []),
        ("say hi, all", ["say hi, all"]),  # a string is one command, commas and all
        (["list", "say x"], ["list", "say x"]),
        ([42], ["42"]),
    ],
)
def test_commands_from_accepts(value, expected):
    assert console_command.commands_from(value) == expected


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("", "command 1 is empty"),
        (["ok", "  "], "command 2 is empty"),
        (["ok", "one\ntwo"], "command 2 contains a line break"),
        ("carriage\rreturn", "line break"),
        ([True], "command 1 is a bool"),
        ([{"say": "x"}], "command 1 is a dict"),
        ("say " + "x" * 4000, "longer than Wings accepts"),
    ],
)
def test_commands_from_refuses(value, problem):
    with pytest.raises(ValueError, match=re.escape(problem)):
        console_command.commands_from(value)


def test_missing_library_is_named(run_module, monkeypatch):
    monkeypatch.setattr(console_command, "HAS_WEBSOCKET", False)
    outcome = run(run_module, command="list")
    assert outcome.failed and "websocket-client" in outcome.result["msg"]


@pytest.mark.parametrize(
    ("args", "problem"),
    [
        ({}, "nothing to do"),
        ({"command": "list", "wait_for": "("}, "wait_for: not a valid regular expression"),
        ({"command": "list", "settle": -1}, "settle: must not be negative"),
        ({"command": "list", "timeout": 0}, "timeout: must be greater than 0, not 0"),  # the panel client refuses it
        ({"command": "list", "max_lines": 0}, "max_lines: must be at least 1"),
    ],
)
def test_bad_options_fail_before_any_request(run_module, fake, args, problem):
    with responses.RequestsMock() as mock:  # any request would fail the test
        outcome = run_module(console_command.main, {"server": "Survival", **args})
        assert not mock.calls
    assert outcome.failed and problem in outcome.result["msg"]
    assert FakeSession.instances == []


# ------------------------------------------------------------------------------------------------ flow


def test_one_command(run_module, panel, fake):
    fake(results=[lines("There are 2 players", "alice, bob")])
    outcome = run(run_module, command="list", timeout=7)
    assert not outcome.failed and outcome.result["changed"]
    assert outcome.result["output"] == ["There are 2 players", "alice, bob"]
    assert outcome.result["commands"] == ["list"]
    assert outcome.result["stop_reason"] == "idle" and outcome.result["initial_status"] == "running"
    assert "raw_output" not in outcome.result and "history" not in outcome.result
    assert session().actions == [("send", "list"), ("collect", (None, 7, 0.5))]
    assert session().options["timeout"] == 7 and session().options["max_lines"] == 10000
    assert session().closed


def test_every_command_but_the_last_settles_and_wait_for_applies_to_the_last(run_module, panel, fake):
    fake(results=[lines("one"), lines("two"), lines("three", "done!", reason="match", match="done!")])
    outcome = run(run_module, command=["a", "b", "c"], wait_for="done", raw=True)
    assert [action for action, _value in session().actions] == ["send", "collect", "send", "collect", "send", "collect"]
    collects = [value for action, value in session().actions if action == "collect"]
    assert [pattern for pattern, _timeout, _settle in collects] == [None, None, "done"]
    assert outcome.result["output"] == ["one", "two", "three", "done!"]
    assert outcome.result["raw_output"] == outcome.result["output"]
    assert outcome.result["matched"] and outcome.result["match"] == "done!"
    assert outcome.result["stop_reason"] == "match"


def test_a_match_in_an_earlier_output_ends_with_a_settle(run_module, panel, fake):
    fake(results=[lines("saved"), lines("late")])
    outcome = run(run_module, command=["save", "after"], wait_for="^saved$")
    collects = [value for action, value in session().actions if action == "collect"]
    assert [pattern for pattern, _timeout, _settle in collects] == [None, None]
    assert outcome.result["match"] == "saved" and outcome.result["output"] == ["saved", "late"]


def test_check_mode_sends_nothing(run_module, panel, fake):
    fake(status="running")
    outcome = run_module(
        console_command.main,
        {"server": SERVER["identifier"], "command": ["a", "b"], "include_history": True},
        check_mode=True,
    )
    assert outcome.result["changed"] and outcome.result["commands"] == ["a", "b"]
    assert outcome.result["stop_reason"] == "check_mode" and outcome.result["output"] == []
    assert session().actions == []


@pytest.mark.parametrize("status", ["offline", "starting", "stopping"])
def test_a_server_that_is_not_running_gets_nothing(run_module, panel, fake, status):
    fake(status=status)
    outcome = run(run_module, command="list")
    assert outcome.failed and outcome.result["kind"] == "offline" and not outcome.result["changed"]
    assert f"the server is {status}, not running" in outcome.result["msg"]
    assert session().actions == []


def test_require_running_false_sends_anyway(run_module, panel, fake):
    fake(status="offline")
    outcome = run(run_module, command="say hi", require_running=False)
    assert outcome.result["changed"] and ("send", "say hi") in session().actions


def test_without_the_console_permission_nothing_is_sent(run_module, panel, fake):
    fake(permitted=False)
    outcome = run(run_module, command="list")
    assert outcome.failed and outcome.result["kind"] == "permission" and session().actions == []


def test_a_timeout_keeps_every_line_and_names_the_whole_timeout(run_module, panel, fake):
    missed = ConsoleError(console.KIND_TIMEOUT, "no console line ... within 4.2s", lines=["second"])
    fake(results=[lines("first"), missed])
    outcome = run(run_module, command=["a", "b"], wait_for="never", timeout=5)
    assert outcome.failed and outcome.result["changed"] and outcome.result["kind"] == "timeout"
    assert outcome.result["msg"] == (
        "Console of server 'Survival': no console line matched 'never' within 5s (output holds the lines seen)"
    )
    assert outcome.result["output"] == ["first", "second"]
    assert outcome.result["commands"] == ["a", "b"]


def test_a_drop_after_the_first_command_reports_what_was_sent(run_module, panel, fake):
    fake(results=[ConsoleError(console.KIND_CLOSED, "the websocket closed unexpectedly with code 1006", lines=["x"])])
    outcome = run(run_module, command=["a", "b"])
    assert outcome.failed and outcome.result["kind"] == "closed"
    assert outcome.result["commands"] == ["a"] and outcome.result["changed"]
    assert outcome.result["output"] == ["x"]
    assert session().closed


def test_history_is_requested_once_and_kept_apart(run_module, panel, fake):
    fake(results=[lines("old 1", "old 2"), lines("new")])
    outcome = run(run_module, command="say new", include_history=True)
    assert session().actions[:1] == [("request", "send logs")]
    assert outcome.result["history"] == ["old 1", "old 2"] and outcome.result["output"] == ["new"]


def test_history_alone_does_not_collect_twice(run_module, panel, fake):
    fake(results=[lines("old")])
    outcome = run(run_module, include_history=True)
    assert not outcome.result["changed"] and outcome.result["stop_reason"] == "history"
    assert [action for action, _value in session().actions] == ["request", "collect"]


def test_no_history_request_for_a_stopped_server(run_module, panel, fake):
    fake(status="offline")
    outcome = run(run_module, include_history=True)
    assert outcome.result["history"] == [] and session().actions == []


def test_gaps_in_the_output_are_warned_about(run_module, panel, fake):
    result = lines("a", "b")
    result.throttled, result.dropped, result.lost_events = True, 3, 2
    fake(results=[result])
    outcome = run(run_module, command="flood 5", max_lines=2)
    assert outcome.result["dropped_lines"] == 3 and outcome.result["lost_events"] == 2
    warnings = " | ".join(outcome.result["warnings"])
    assert "throttled" in warnings and "3 console line(s)" in warnings and "2 console event(s)" in warnings


def test_lines_beyond_max_lines_are_counted_across_commands(run_module, panel, fake):
    fake(results=[lines("1", "2", "3"), lines("4", "5")])
    outcome = run(run_module, command=["a", "b"], max_lines=2)
    assert outcome.result["output"] == ["4", "5"] and outcome.result["dropped_lines"] == 3


def test_websocket_tokens_become_no_log_values(run_module, panel, fake, monkeypatch):
    seen: list[set] = []
    original = console_command.Console.success

    def spy(self, stop_reason):
        seen.append(set(self.module.no_log_values))
        return original(self, stop_reason)

    monkeypatch.setattr(console_command.Console, "success", spy)
    fake(results=[lines(f"echo {TOKEN}")])
    run(run_module, command="list")
    assert TOKEN in seen[0]


def test_a_failure_while_reading_the_history_keeps_it_apart(run_module, panel, fake):
    fake(results=[ConsoleError(console.KIND_CLOSED, "closed unexpectedly", lines=["old"])])
    outcome = run(run_module, command="list", include_history=True)
    assert outcome.failed and outcome.result["history"] == ["old"] and outcome.result["output"] == []
    assert not outcome.result["changed"] and outcome.result["commands"] == []
