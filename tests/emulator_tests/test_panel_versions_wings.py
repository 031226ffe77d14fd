"""The Wings side of the newer panels: the scope check of Wings 1.12.2+/1.13 and deauthorization closing sockets
(panel-versions.md A9, A15, A17, B4, B7; websocket.md §1.4, §3.1). Panel 1.11 keeps its JTI denylist."""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import websocket
from client_helpers import ClientEnv, add_subuser, start_client_env

from ptero_emulator.seed import PLAYER_PASSWORD
from ptero_emulator.state import State

TIMEOUT = 5.0


def _prepare(state: State) -> dict[str, Any]:
    survival = state.find("servers", name="Survival")
    creative = state.find("servers", name="Creative")
    # One subuser per scenario, so the tests do not depend on each other's order.
    for name in ("changed", "same", "apppass", "legacy", "mid"):
        add_subuser(state, name, survival, ["websocket.connect", "control.console"])
    add_subuser(state, "gone", creative, ["websocket.connect"])
    return {"_extra_keys": {name: name for name in ("changed", "same", "apppass", "legacy", "mid", "gone")}}


class Socket:
    """One authenticated console socket and what arrived on it."""

    def __init__(self, env: ClientEnv, who: str, server: str) -> None:
        env.emulator.clear_rate_limits()  # the token route allows 5 a minute per server on 1.12+
        data = env.get(f"/api/client/servers/{env.facts[server]}/websocket", who).json()["data"]
        self.ws = websocket.create_connection(data["socket"], origin=env.url, timeout=TIMEOUT)
        self.send("auth", data["token"])
        self.first = self.next()
        if self.first == {"event": "auth success"}:
            self._drain_greeting()

    def _drain_greeting(self) -> None:
        """The status (and, offline, one stats snapshot) that follow the first auth."""
        status = self.next()
        assert status is not None and status.get("event") == "status", status
        if status["args"] == ["offline"]:
            assert (self.next() or {}).get("event") == "stats"

    def send(self, event: str, *args: str) -> None:
        self.ws.send(json.dumps({"event": event, "args": list(args)}))

    def next(self, timeout: float = TIMEOUT) -> dict[str, Any] | None:
        """The next frame: an event, {"close": code, "reason": text}, or None when nothing came in time."""
        self.ws.settimeout(timeout)
        try:
            opcode, data = self.ws.recv_data(control_frame=True)
        except websocket.WebSocketTimeoutException:
            return None
        except (websocket.WebSocketConnectionClosedException, ConnectionError):
            return {"close": 1006, "reason": ""}
        if opcode == websocket.ABNF.OPCODE_CLOSE:
            return {"close": int.from_bytes(data[:2], "big") if len(data) >= 2 else 1005, "reason": data[2:].decode()}
        if opcode != websocket.ABNF.OPCODE_TEXT:
            return self.next(timeout)
        return json.loads(data)

    def until_close(self, timeout: float = TIMEOUT) -> list[dict[str, Any]]:
        frames: list[dict[str, Any]] = []
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            frame = self.next(deadline - time.monotonic())
            if frame is None:
                break
            frames.append(frame)
            if "close" in frame:
                break
        return frames

    def still_served(self) -> bool:
        """True when the socket answers `send stats` with stats (authenticated and open)."""
        self.send("send stats")
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline:
            frame = self.next(deadline - time.monotonic())
            if frame is None or "close" in frame:
                return False
            if frame.get("event") == "stats":
                return True
            if frame.get("event") == "jwt error":
                return False
        return False

    def close(self) -> None:
        with contextlib.suppress(OSError, websocket.WebSocketException):
            self.ws.close(timeout=0.5)


@pytest.fixture(scope="module")
def shared_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ClientEnv]:
    environment = start_client_env(tmp_path_factory.mktemp("wings-versions"), _prepare)
    try:
        yield environment
    finally:
        environment.emulator.stop()


@pytest.fixture
def versions(shared_env: ClientEnv) -> Iterator[Callable[..., ClientEnv]]:
    """Switch the shared emulator to a panel/Wings pair for one test (back to 1.14 + paired Wings afterwards)."""

    def switch(panel_version: str = "1.14", wings_version: str = "") -> ClientEnv:
        shared_env.configure(panel_version=panel_version, wings_version=wings_version)
        return shared_env

    yield switch
    switch()


@pytest.fixture
def env(versions: Callable[..., ClientEnv]) -> ClientEnv:
    return versions("1.14")


def _deauthorized(frames: list[dict[str, Any]]) -> bool:
    """Closed with 1000 and an empty reason, no jwt error first."""
    return (
        bool(frames)
        and frames[-1] == {"close": 1000, "reason": ""}
        and not any(frame.get("event") == "jwt error" for frame in frames)
    )


def _user(env: ClientEnv, name: str) -> dict[str, Any]:
    return next(row for row in env.rows("users") if row["username"] == name)


def _subuser_path(env: ClientEnv, server: str, name: str) -> str:
    return f"/api/client/servers/{env.facts[server]}/users/{_user(env, name)['uuid']}"


# ------------------------------------------------------------------------------------------------- scope
def test_newest_pair_authenticates(env: ClientEnv) -> None:
    socket = Socket(env, "player", "survival")
    assert socket.first == {"event": "auth success"}
    socket.close()


@pytest.mark.parametrize("version", ["1.11", "1.12"])
def test_old_panel_with_wings_1_13_is_refused(versions: Callable[..., ClientEnv], version: str) -> None:
    env = versions(version, "1.13")
    socket = Socket(env, "player", "rust")
    assert socket.first["event"] == "jwt error"
    assert socket.first["args"][0].endswith("]: jwt: missing connect permission")
    assert socket.next(0.5) is None  # the socket stays open; the refusal is final for this token
    socket.close()


def test_new_panel_with_old_wings_is_accepted(versions: Callable[..., ClientEnv]) -> None:
    socket = Socket(versions("1.14", "1.11"), "player", "rust")
    assert socket.first == {"event": "auth success"}
    socket.close()


def test_each_panel_pairs_with_its_wings(versions: Callable[..., ClientEnv]) -> None:
    env = versions("1.12")
    assert env.emulator.control("GET", "health")["wings_version"] == "1.12"
    socket = Socket(env, "player", "rust")  # no scope claim, and Wings 1.12 does not ask for one
    assert socket.first == {"event": "auth success"}
    socket.close()


# ------------------------------------------------------------------------------------------------- deauthorization
def test_subuser_permission_change_and_removal_close_their_sockets(env: ClientEnv) -> None:
    changed_user = Socket(env, "changed", "survival")
    owner = Socket(env, "player", "survival")
    assert changed_user.first == owner.first == {"event": "auth success"}
    path = _subuser_path(env, "survival", "changed")
    assert env.post(path, json={"permissions": ["control.console", "file.read"]}).status_code == 200
    assert _deauthorized(changed_user.until_close())
    assert owner.still_served()  # only that user's sockets close
    again = Socket(env, "changed", "survival")  # a new token works at once
    assert again.first == {"event": "auth success"}
    assert env.delete(path).status_code == 204
    assert _deauthorized(again.until_close())
    activity = env.get(f"/api/client/servers/{env.facts['survival']}/activity", params={"per_page": 100}).json()
    revoked = [
        row["attributes"]["properties"].get("revoked")
        for row in activity["data"]
        if row["attributes"]["event"] in ("server:subuser.update", "server:subuser.delete")
        and row["attributes"]["properties"].get("email") == "changed@example.com"
    ]
    assert revoked == [True, True]
    owner.close()


def test_unchanged_permissions_keep_the_socket(env: ClientEnv) -> None:
    same_user = Socket(env, "same", "survival")
    same = env.post(_subuser_path(env, "survival", "same"), json={"permissions": ["control.console"]})
    assert same.status_code == 200
    assert same_user.still_served()
    same_user.close()


def test_owner_change_closes_the_previous_owners_sockets(env: ClientEnv) -> None:
    owner = Socket(env, "player", "creative")
    admin = Socket(env, "admin", "creative")
    server = next(row for row in env.rows("servers") if row["uuid_short"] == env.facts["creative"])
    patched = env.call(
        "PATCH",
        f"/api/application/servers/{server['id']}/details",
        "application",
        json={"name": server["name"], "user": _user(env, "admin")["id"]},
    )
    assert patched.status_code == 200
    assert _deauthorized(owner.until_close())
    assert admin.still_served()
    admin.close()


def test_password_change_closes_the_users_sockets_everywhere(env: ClientEnv) -> None:
    sockets = [Socket(env, "player", "survival"), Socket(env, "player", "rust")]
    changed = env.put(
        "/api/client/account/password",
        json={
            "current_password": PLAYER_PASSWORD,
            "password": "a-new-password-1",
            "password_confirmation": "a-new-password-1",
        },
    )
    assert changed.status_code == 204
    assert all(_deauthorized(socket.until_close()) for socket in sockets)


def test_application_password_change_and_user_delete_close_sockets(env: ClientEnv) -> None:
    temp = Socket(env, "apppass", "survival")
    user = _user(env, "apppass")
    patched = env.call(
        "PATCH",
        f"/api/application/users/{user['id']}",
        "application",
        json={
            "email": user["email"],
            "username": user["username"],
            "first_name": "T",
            "last_name": "U",
            "password": "another-password-2",
        },
    )
    assert patched.status_code == 200
    assert _deauthorized(temp.until_close())
    gone = Socket(env, "gone", "creative")
    assert env.delete(f"/api/application/users/{_user(env, 'gone')['id']}", "application").status_code == 204
    assert _deauthorized(gone.until_close())


def test_1_12_deauthorizes_too(versions: Callable[..., ClientEnv]) -> None:
    env = versions("1.12")
    mid = Socket(env, "mid", "survival")
    assert mid.first == {"event": "auth success"}
    assert env.post(_subuser_path(env, "survival", "mid"), json={"permissions": ["file.read"]}).status_code == 200
    assert _deauthorized(mid.until_close())
    again = Socket(env, "mid", "survival")
    changed = env.put(
        "/api/client/account/password",
        "mid",
        json={
            "current_password": "mid-password",
            "password": "a-new-password-1",
            "password_confirmation": "a-new-password-1",
        },
    )
    assert changed.status_code == 204
    assert _deauthorized(again.until_close())


def test_1_11_keeps_the_denylist(versions: Callable[..., ClientEnv]) -> None:
    old_env = versions("1.11")
    legacy = Socket(old_env, "legacy", "survival")
    assert legacy.first == {"event": "auth success"}
    changed = old_env.post(_subuser_path(old_env, "survival", "legacy"), json={"permissions": ["file.read"]})
    assert changed.status_code == 200
    legacy.send("send stats")
    frame = legacy.next()
    assert frame["event"] == "jwt error" and frame["args"][0].endswith("(denylist)")  # no close
    legacy.close()
    time.sleep(1.05)  # the 1.11 denylist refuses every token issued up to the end of that second
    again = Socket(old_env, "legacy", "survival")
    assert again.first == {"event": "auth success"}
    changed = old_env.put(
        "/api/client/account/password",
        "legacy",
        json={
            "current_password": "legacy-password",
            "password": "a-new-password-1",
            "password_confirmation": "a-new-password-1",
        },
    )
    assert changed.status_code == 204
    assert again.still_served()  # 1.11 does not touch sockets on a password change
    again.close()
