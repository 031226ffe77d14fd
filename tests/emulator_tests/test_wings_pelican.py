"""Pelican Wings' websocket rules (pelican.md §3.11-§3.12) on the emulator: the token must carry the websocket scope
and the user_uuid and server_uuid claims, the panel's own token passes, and Wings' console lines say
"[pelican Daemon]:". The same tokens on a Pterodactyl emulator show which rules are Pelican's."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from typing import Any

import pytest
import requests
import websocket

from ptero_emulator.fixture import TEST_DEFAULTS, Api, RunningEmulator, module_emulator_fixture, start_emulator

TIMEOUT = 5.0
DENYLIST = "jwt: created too far in past (denylist)"
NO_CONNECT = "jwt: missing connect permission"

pelican = module_emulator_fixture(
    "wings-pelican", lambda d: start_emulator(d, seed="demo", flavour="pelican", **TEST_DEFAULTS)
)
pterodactyl = module_emulator_fixture("wings-pterodactyl", lambda d: start_emulator(d, seed="demo", **TEST_DEFAULTS))


def _survival(emulator: RunningEmulator) -> dict[str, Any]:
    return next(row for row in emulator.state("servers") if row["name"] == "Survival")


class Console:
    """One websocket to the Survival server, opened with the emulator's URL as Origin."""

    def __init__(self, emulator: RunningEmulator, socket_url: str) -> None:
        self.ws = websocket.create_connection(socket_url, timeout=TIMEOUT, origin=emulator.url)

    def auth(self, token: str) -> dict[str, Any]:
        """The first answer to an auth message."""
        self.ws.send(json.dumps({"event": "auth", "args": [token]}))
        return self.next_event()

    def next_event(self) -> dict[str, Any]:
        message: dict[str, Any] = json.loads(self.ws.recv())
        return message

    def console_lines(self, count: int) -> list[str]:
        lines: list[str] = []
        while len(lines) < count:
            message = self.next_event()
            if message.get("event") == "console output":
                lines.append(message["args"][0])
        return lines

    def close(self) -> None:
        self.ws.close()


@pytest.fixture
def consoles() -> Iterator[list[Console]]:
    opened: list[Console] = []
    yield opened
    for console in opened:
        console.close()


def _minted(emulator: RunningEmulator, consoles: list[Console], **claims: Any) -> tuple[Console, str]:
    """A socket and a token from the emulator's token hook; a claim given as None is left out of the token."""
    answer = emulator.control("POST", "wings/token", {"server_uuid": _survival(emulator)["uuid"], "claims": claims})
    consoles.append(Console(emulator, answer["socket"]))
    return consoles[-1], answer["token"]


def _jwt_error(message: dict[str, Any]) -> str:
    assert message["event"] == "jwt error", message
    return str(message["args"][0])


@pytest.mark.parametrize("claim", ["user_uuid", "server_uuid"])
def test_pelican_refuses_a_token_without_identity_claims(
    pelican: RunningEmulator, consoles: list[Console], claim: str
) -> None:
    console, token = _minted(pelican, consoles, **{claim: None})
    error = _jwt_error(console.auth(token))
    assert error.startswith("Error Event [") and error.endswith(f"]: {DENYLIST}")


@pytest.mark.parametrize("scope", [None, "file-download"])
def test_pelican_refuses_a_token_without_the_websocket_scope(
    pelican: RunningEmulator, consoles: list[Console], scope: str | None
) -> None:
    console, token = _minted(pelican, consoles, scope=scope)
    assert _jwt_error(console.auth(token)).endswith(f"]: {NO_CONNECT}")


def test_pelican_panel_token_authenticates(pelican: RunningEmulator, consoles: list[Console]) -> None:
    server = _survival(pelican)
    answer = requests.get(
        f"{pelican.url}/api/client/servers/{server['uuid_short']}/websocket",
        headers=pelican.headers("user"),
        timeout=10,
    )
    assert answer.status_code == 200, answer.text
    data = answer.json()["data"]
    payload = data["token"].split(".")[1]
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    assert claims["scope"] == "websocket" and claims["server_uuid"] == server["uuid"] and claims["user_uuid"]
    assert "user_id" not in claims
    console = Console(pelican, data["socket"])
    consoles.append(console)
    assert console.auth(data["token"]) == {"event": "auth success"}


def test_pterodactyl_wings_does_not_ask_for_identity_claims(
    pterodactyl: RunningEmulator, consoles: list[Console]
) -> None:
    console, token = _minted(pterodactyl, consoles, user_uuid=None)
    assert console.auth(token) == {"event": "auth success"}


@pytest.mark.parametrize(
    ("flavour", "prefix"), [("pelican", "[pelican Daemon]:"), ("pterodactyl", "[Pterodactyl Daemon]:")]
)
def test_daemon_console_lines_name_the_wings(
    request: pytest.FixtureRequest, consoles: list[Console], flavour: str, prefix: str
) -> None:
    emulator: RunningEmulator = request.getfixturevalue(flavour)
    console, token = _minted(emulator, consoles)
    assert console.auth(token) == {"event": "auth success"}
    emulator.control(
        "POST",
        f"wings/servers/{_survival(emulator)['uuid']}/inject",
        {"daemon_lines": ["Checking server disk space usage, this could take a few seconds..."]},
    )
    line = console.console_lines(1)[0]
    assert (
        line == f"\x1b[33m\x1b[1m{prefix}\x1b[39m Checking server disk space usage, this could take a few "
        "seconds...\x1b[0m"
    )


def _close_code(console: Console) -> int | None:
    """Read frames until Wings closes the socket: the close code (1006 when it just dropped), None if it stays."""
    console.ws.settimeout(TIMEOUT)
    while True:
        try:
            opcode, data = console.ws.recv_data(control_frame=True)
        except websocket.WebSocketTimeoutException:
            return None
        except (websocket.WebSocketConnectionClosedException, ConnectionError):
            return 1006
        if opcode == websocket.ABNF.OPCODE_CLOSE:
            return int.from_bytes(data[:2], "big") if len(data) >= 2 else 1005


def test_pelican_deauthorizes_a_subuser_whose_permissions_change(
    pelican: RunningEmulator, consoles: list[Console]
) -> None:
    """Pelican ported upstream's deauthorization in beta34: a subuser update closes that user's sockets (1000)."""
    survival = _survival(pelican)
    helper = next(row for row in pelican.state("users") if row["username"] == "helper")
    subuser = next(
        row
        for row in pelican.state("subusers")
        if row["user_id"] == helper["id"] and row["server_id"] == survival["id"]
    )
    console, token = _minted(pelican, consoles, user_uuid=helper["uuid"])
    assert console.auth(token)["event"] == "auth success"
    path = f"/api/client/servers/{survival['uuid'][:8]}/users/{helper['uuid']}"
    granted = list(subuser["permissions"])
    owner = Api(pelican, "user")
    try:
        answer = owner.post(path, json={"permissions": [p for p in granted if p != "control.start"]})
        assert answer.status_code == 200, answer.text
        assert _close_code(console) == 1000
    finally:
        assert owner.post(path, json={"permissions": granted}).status_code == 200
