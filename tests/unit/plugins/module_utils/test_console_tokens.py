# Private to ptero.panel: not a public API.
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Websocket tokens on panels 1.12+ (5 per minute per server): one token per server per task run, renewed only when
Wings says it expires; a 429 on the token route waited out; deauthorization and old-panel/new-Wings refusals named
and not retried. The panel is mocked at the HTTP level (responses), Wings by a scripted socket."""

from __future__ import annotations

import base64
import collections
import json
import struct
import typing as t

import pytest

from ansible_collections.ptero.panel.plugins.module_utils import _console as console
from ansible_collections.ptero.panel.plugins.module_utils._console import ConsoleClient, ConsoleError, ConsoleSession

websocket = pytest.importorskip("websocket")

BASE_URL = "https://panel.example.test"
SERVER = "1a7ce997"
TOKEN_URL = f"{BASE_URL}/api/client/servers/{SERVER}/websocket"
THROTTLED = {"errors": [{"code": "ThrottleRequestsException", "status": "429", "detail": "Too Many Attempts."}]}


def make_token(number: int, scope: str | None = "websocket", permissions: list[str] | None = None) -> str:
    """An unsigned JWT with the claims the session reads (panel 1.12.3+ adds `scope`)."""
    claims: dict[str, t.Any] = {
        "server_uuid": "1a7ce997-0000-4000-8000-000000000001",
        "n": number,
        "permissions": ["*"] if permissions is None else permissions,
    }
    if scope is not None:
        claims["scope"] = scope

    def part(data: dict[str, t.Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")

    return f"{part({'alg': 'HS256', 'typ': 'JWT'})}.{part(claims)}.c2lnbmF0dXJl"


def token_answer(number: int, **claims: t.Any) -> dict[str, t.Any]:
    return {"data": {"token": make_token(number, **claims), "socket": "wss://node.example.test:8080/api/servers/x/ws"}}


def text_frame(event: str, *args: str) -> tuple[int, bytes]:
    return websocket.ABNF.OPCODE_TEXT, json.dumps({"event": event, "args": list(args)}).encode()


def close_frame(code: int, reason: str = "") -> tuple[int, bytes]:
    return websocket.ABNF.OPCODE_CLOSE, struct.pack("!H", code) + reason.encode()


class FakeWings:
    """Stands in for websocket.WebSocket. `requires_scope` models Wings >= 1.12.2, which refuses a token without a
    websocket scope with "jwt: missing connect permission"."""

    def __init__(self, requires_scope: bool = True, status: str = "running") -> None:
        self.requires_scope = requires_scope
        self.status = status
        self.inbox: collections.deque[tuple[int, bytes]] = collections.deque()
        self.sent: list[dict[str, t.Any]] = []
        self.connections = 0

    # the websocket.WebSocket surface the session uses
    def connect(self, url: str, **_options: t.Any) -> None:
        self.connections += 1

    def settimeout(self, _value: float) -> None:
        pass

    def ping(self) -> None:
        pass

    def close(self, status: int = 1000, timeout: float = 1.0) -> None:
        pass

    def shutdown(self) -> None:
        pass

    def recv_data(self, control_frame: bool = False) -> tuple[int, bytes]:
        if self.inbox:
            return self.inbox.popleft()
        raise websocket.WebSocketTimeoutException("timed out")

    def send(self, text: str) -> None:
        message = json.loads(text)
        self.sent.append(message)
        if message["event"] == "auth":
            claims = console.jwt_claims(message["args"][0])
            if self.requires_scope and "websocket" not in str(claims.get("scope", "")).split():
                self.inbox.append(text_frame("jwt error", "Error Event [1]: jwt: missing connect permission"))
                return
            self.inbox.append(text_frame("auth success"))
            self.inbox.append(text_frame("status", self.status))

    def auth_tokens(self) -> list[str]:
        return [message["args"][0] for message in self.sent if message["event"] == "auth"]


@pytest.fixture
def wings(monkeypatch: pytest.MonkeyPatch) -> FakeWings:
    fake = FakeWings()
    monkeypatch.setattr(console, "HAS_WEBSOCKET", True)
    monkeypatch.setattr(console.websocket, "WebSocket", lambda **_options: fake)
    return fake


def token_requests(panel: t.Any) -> int:
    return sum(call.request.url.endswith("/websocket") for call in panel.calls)


def session_for(client: t.Any, server: str = SERVER) -> ConsoleSession:
    return ConsoleSession(client, server, timeout=2.0)


def test_sessions_of_one_task_share_one_token_per_server(panel, make_client, wings):
    panel.add("GET", TOKEN_URL, json=token_answer(1))
    shared = ConsoleClient(make_client())
    for _task_step in range(3):
        with session_for(shared) as session:
            assert session.status == "running"
    assert token_requests(panel) == 1
    assert wings.connections == 3 and len(set(wings.auth_tokens())) == 1
    assert shared.tokens_fetched == 1


def test_the_token_is_renewed_only_when_wings_announces_its_expiry(panel, make_client, wings):
    panel.add("GET", TOKEN_URL, json=token_answer(1))
    panel.add("GET", TOKEN_URL, json=token_answer(2))
    shared = ConsoleClient(make_client())
    session = session_for(shared).connect()
    session.collect(settle=0.05, timeout=0.2)
    assert token_requests(panel) == 1
    wings.inbox.append(text_frame("token expiring"))
    session.collect(settle=0.05, timeout=0.2)
    assert token_requests(panel) == 2 and session.refreshes == 1
    first, renewed = wings.auth_tokens()
    assert first != renewed  # the new token went out on the same socket
    session.close()
    # A later session of the same task run uses the renewed token: no third request.
    with session_for(shared):
        pass
    assert token_requests(panel) == 2 and wings.auth_tokens()[-1] == renewed


def test_tokens_become_no_log_values(panel, make_client, wings):
    panel.add("GET", TOKEN_URL, json=token_answer(1))
    hidden: set[str] = set()
    with session_for(ConsoleClient(make_client(), hidden)):
        pass
    assert hidden == {make_token(1)}


def test_a_429_on_the_token_route_waits_for_retry_after_and_goes_on(panel, make_client, sleeps, wings):
    panel.add(
        "GET",
        TOKEN_URL,
        status=429,
        json=THROTTLED,
        headers={"Retry-After": "45", "X-RateLimit-Limit": "5", "X-RateLimit-Remaining": "0"},
    )
    panel.add("GET", TOKEN_URL, json=token_answer(1))
    with session_for(ConsoleClient(make_client())) as session:
        assert session.status == "running"
    assert sleeps == [45.0] and token_requests(panel) == 2


def test_a_429_beyond_the_budget_names_the_limit(panel, make_client, sleeps, wings):
    panel.add(
        "GET",
        TOKEN_URL,
        status=429,
        json=THROTTLED,
        headers={"Retry-After": "51", "X-RateLimit-Limit": "5", "X-RateLimit-Remaining": "0"},
    )
    with pytest.raises(ConsoleError) as caught:
        session_for(ConsoleClient(make_client(retries=0))).connect()
    assert caught.value.kind == console.KIND_PANEL
    assert "the panel allows 5 websocket tokens per minute per server (panel 1.12.0+); retry after 51s" in str(
        caught.value
    )
    assert wings.connections == 0


def test_a_close_after_authentication_is_reported_as_deauthorization_and_not_retried(panel, make_client, wings):
    panel.add("GET", TOKEN_URL, json=token_answer(1))
    session = session_for(ConsoleClient(make_client())).connect()
    wings.inbox.append(text_frame("console output", "[Server] Saving"))
    wings.inbox.append(close_frame(1000))  # Wings' deauthorize-user: a plain 1000, no jwt error first
    with pytest.raises(ConsoleError) as caught:
        session.collect(settle=1.0, timeout=2.0)
    error = caught.value
    assert error.kind == console.KIND_DEAUTHORIZED and error.details["close_code"] == 1000
    assert error.lines == ["[Server] Saving"]
    message = str(error)
    assert "lost or changed access" in message and "subuser permissions changed or removed" in message
    assert "owner changed" in message and "password changed" in message and "not retried" in message
    assert token_requests(panel) == 1 and wings.connections == 1


@pytest.mark.parametrize(
    ("code", "reason", "kind"),
    [
        (4409, "server is suspended", console.KIND_SUSPENDED),
        (1001, "server deleted", console.KIND_DELETED),
    ],
)
def test_suspension_and_deletion_keep_their_meaning(code, reason, kind, panel, make_client, wings):
    panel.add("GET", TOKEN_URL, json=token_answer(1))
    session = session_for(ConsoleClient(make_client())).connect()
    wings.inbox.append(close_frame(code, reason))
    with pytest.raises(ConsoleError) as caught:
        session.collect(settle=1.0, timeout=2.0)
    assert caught.value.kind == kind


def test_a_token_without_scope_refused_by_new_wings_says_to_upgrade_the_panel(panel, make_client, wings):
    panel.add("GET", TOKEN_URL, json=token_answer(1, scope=None))  # panel < 1.12.3
    with pytest.raises(ConsoleError) as caught:
        session_for(ConsoleClient(make_client())).connect()
    error = caught.value
    assert error.kind == console.KIND_MISSING_SCOPE
    message = str(error)
    assert "jwt: missing connect permission" in message and "no `scope` claim" in message
    assert "Upgrade the panel to 1.12.3 or later" in message and "Wings 1.12.2" in message and "not retried" in message
    assert token_requests(panel) == 1 and len(wings.auth_tokens()) == 1  # no new token, no second auth


def test_on_pelican_the_missing_scope_names_pelicans_first_release_with_it(panel, make_client, wings):
    panel.add("GET", TOKEN_URL, json=token_answer(1, scope=None))  # a Pelican panel before beta35
    with pytest.raises(ConsoleError) as caught:
        session_for(ConsoleClient(make_client(panel="pelican"))).connect()
    message = str(caught.value)
    assert caught.value.kind == console.KIND_MISSING_SCOPE
    assert "Pelican panels issue it from beta35 on" in message and "beta26" in message and "1.12.3" not in message


def refuse_connect(wings: t.Any) -> None:
    """Wings answers every message with "missing connect permission", whatever the token's scope."""

    def refuse(text: str) -> None:
        wings.sent.append(json.loads(text))
        wings.inbox.append(text_frame("jwt error", "Error Event [1]: jwt: missing connect permission"))

    wings.send = refuse  # type: ignore[method-assign]


def test_the_same_refusal_with_a_scope_blames_the_missing_permission(panel, make_client, wings):
    panel.add("GET", TOKEN_URL, json=token_answer(1, permissions=["control.console"]))
    wings.requires_scope = False  # Wings sees the scope but the token lacks websocket.connect
    refuse_connect(wings)
    with pytest.raises(ConsoleError) as caught:
        session_for(ConsoleClient(make_client())).connect()
    assert caught.value.kind == console.KIND_PERMISSION
    assert "websocket.connect" in str(caught.value) and "subuser's permissions" in str(caught.value)


def test_an_old_panel_token_without_the_permission_blames_the_permission_not_the_panel(panel, make_client, wings):
    # Panel < 1.12.3 (no scope) and a subuser without websocket.connect: any Wings says "missing connect permission",
    # and upgrading the panel would not help.
    panel.add("GET", TOKEN_URL, json=token_answer(1, scope=None, permissions=["control.console"]))
    wings.requires_scope = False
    refuse_connect(wings)
    with pytest.raises(ConsoleError) as caught:
        session_for(ConsoleClient(make_client())).connect()
    assert caught.value.kind == console.KIND_PERMISSION
    assert "websocket.connect" in str(caught.value) and "Upgrade the panel" not in str(caught.value)


def test_an_old_panel_with_old_wings_connects(panel, make_client, wings):
    panel.add("GET", TOKEN_URL, json=token_answer(1, scope=None))
    wings.requires_scope = False  # Wings < 1.12.2 does not look for a scope
    with session_for(ConsoleClient(make_client())) as session:
        assert session.status == "running"


# ------------------------------------------------------------------------------- the power and console modules

SERVER_OBJECT = {
    "identifier": SERVER,
    "uuid": "1a7ce997-0000-4000-8000-000000000001",
    "name": "Survival",
    "is_suspended": False,
}


@pytest.fixture
def module_panel(panel):
    panel.add("GET", f"{BASE_URL}/api/client/servers/{SERVER}", json={"object": "server", "attributes": SERVER_OBJECT})
    return panel


def run_power(run_module: t.Any, **args: t.Any) -> t.Any:
    from ansible_collections.ptero.panel.plugins.modules import power

    return run_module(power.main, {"url": BASE_URL, "server": SERVER, **args})


def run_console(run_module: t.Any, **args: t.Any) -> t.Any:
    from ansible_collections.ptero.panel.plugins.modules import console_command

    return run_module(console_command.main, {"url": BASE_URL, "server": SERVER, **args})


def test_power_ends_the_task_when_wings_refuses_a_token_without_scope(run_module, module_panel, wings):
    module_panel.add("GET", TOKEN_URL, json=token_answer(1, scope=None))
    outcome = run_power(run_module, state="started")
    assert outcome.failed and outcome.result["kind"] == console.KIND_MISSING_SCOPE
    assert "Upgrade the panel to 1.12.3 or later" in outcome.result["msg"]
    # Nothing was sent, and the task did not fall back to polling the panel.
    assert [call.request.method for call in module_panel.calls] == ["GET", "GET"]


def test_power_ends_the_task_when_wings_closes_the_console_for_lost_access(run_module, module_panel, wings):
    module_panel.add("GET", TOKEN_URL, json=token_answer(1))
    original_send = wings.send

    def send(text: str) -> None:
        original_send(text)
        if json.loads(text)["event"] == "send stats":
            wings.inbox.append(close_frame(1000))

    wings.send = send  # type: ignore[method-assign]
    outcome = run_power(run_module, state="stopped", wait=True)
    assert outcome.failed and outcome.result["kind"] == console.KIND_DEAUTHORIZED
    assert "lost or changed access" in outcome.result["msg"]
    assert not any(call.request.url.endswith("/power") for call in module_panel.calls)


def test_console_command_reports_deauthorization(run_module, module_panel, wings):
    module_panel.add("GET", TOKEN_URL, json=token_answer(1))
    original_send = wings.send

    def send(text: str) -> None:
        original_send(text)
        if json.loads(text)["event"] == "send command":
            wings.inbox.append(close_frame(1000))

    wings.send = send  # type: ignore[method-assign]
    outcome = run_console(run_module, command="say hi", settle=0.5)
    assert outcome.failed and outcome.result["kind"] == console.KIND_DEAUTHORIZED
    assert outcome.result["msg"].startswith("Console of server 'Survival': Wings closed the console")
    assert token_requests(module_panel) == 1
    assert make_token(1) not in json.dumps(outcome.result)


def test_power_waits_by_polling_with_a_warning_when_no_token_can_be_had(run_module, module_panel, wings):
    module_panel.add(
        "GET",
        TOKEN_URL,
        status=429,
        json=THROTTLED,
        headers={"Retry-After": "50", "X-RateLimit-Limit": "5", "X-RateLimit-Remaining": "0"},
    )
    usage = {"object": "stats", "attributes": {"current_state": "running", "is_suspended": False, "resources": {}}}
    module_panel.add("GET", f"{BASE_URL}/api/client/servers/{SERVER_OBJECT['uuid']}/resources", json=usage)
    outcome = run_power(run_module, state="started", wait=True)  # retries=0: the 50 s wait does not fit
    assert not outcome.failed and outcome.result["state_source"] == "panel"
    assert any("5 websocket tokens per minute per server" in warning for warning in outcome.result["warnings"])
