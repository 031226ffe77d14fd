"""Pelican Wings' console rules on the emulator (pelican.md §3.12): the Origin compared by exact string with
`remote`, which Pelican's panel writes as APP_URL verbatim (trailing slash kept) and Pterodactyl's as route('index')
(none); the `feature match` event for a console line that matches an egg feature; the panel token claims hook."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from typing import Any

import pytest
import requests
import websocket

from ptero_emulator.fixture import TEST_DEFAULTS, RunningEmulator, module_emulator_fixture, start_emulator

TIMEOUT = 5.0
EULA_LINE = "You need to agree to the EULA in order to run the server. Go to eula.txt for more info."

pelican = module_emulator_fixture(
    "console-pelican", lambda d: start_emulator(d, seed="demo", flavour="pelican", **TEST_DEFAULTS)
)
pterodactyl = module_emulator_fixture("console-pterodactyl", lambda d: start_emulator(d, seed="demo", **TEST_DEFAULTS))


@pytest.fixture
def sockets() -> Iterator[list[websocket.WebSocket]]:
    opened: list[websocket.WebSocket] = []
    yield opened
    for ws in opened:
        ws.close()


@pytest.fixture(autouse=True)
def _default_wings(request: pytest.FixtureRequest) -> Iterator[None]:
    """Each test starts with the default Wings settings and no websocket token used (5 a minute per server)."""
    emulators = [request.getfixturevalue(name) for name in ("pelican", "pterodactyl") if name in request.fixturenames]
    for emulator in emulators:
        emulator.clear_rate_limits()
    yield
    for emulator in emulators:
        emulator.control("DELETE", "wings/config")


def survival(emulator: RunningEmulator) -> dict[str, Any]:
    return next(row for row in emulator.state("servers") if row["name"] == "Survival")


def credentials(emulator: RunningEmulator) -> dict[str, str]:
    answer = requests.get(
        f"{emulator.url}/api/client/servers/{survival(emulator)['uuid_short']}/websocket",
        headers=emulator.headers("user"),
        timeout=10,
    )
    assert answer.status_code == 200, answer.text
    data: dict[str, str] = answer.json()["data"]
    return data


def handshake_status(emulator: RunningEmulator, origin: str) -> int:
    """101 when Wings upgrades the socket, else the HTTP status of the refusal (a 403 must be gorilla's Forbidden)."""
    refusal: websocket.WebSocketBadStatusException | None = None
    try:
        ws = websocket.create_connection(credentials(emulator)["socket"], timeout=TIMEOUT, origin=origin)
    except websocket.WebSocketBadStatusException as error:
        refusal = error
    if refusal is None:
        ws.close()
        return 101
    assert refusal.status_code != 403 or b"Forbidden" in (refusal.resp_body or b"")
    return int(refusal.status_code)


@pytest.mark.parametrize(
    ("app_url", "slash", "expected"),
    [
        ("", False, 101),  # no APP_URL configured: the emulator's URL
        ("", True, 403),
        ("{url}/", True, 101),  # APP_URL written with a slash: Pelican's remote keeps it
        ("{url}/", False, 403),
        ("{url}", False, 101),
        ("{url}", True, 403),
    ],
)
def test_pelican_origin_is_app_url_verbatim(pelican: RunningEmulator, app_url: str, slash: bool, expected: int) -> None:
    if app_url:
        pelican.control("POST", "wings/config", {"app_url": app_url.format(url=pelican.url)})
    assert handshake_status(pelican, pelican.url + ("/" if slash else "")) == expected


@pytest.mark.parametrize(("slash", "expected"), [(False, 101), (True, 403)])
def test_pterodactyl_origin_is_the_url_without_slash(pterodactyl: RunningEmulator, slash: bool, expected: int) -> None:
    """Pterodactyl writes route('index'): the same APP_URL with a slash still wants the Origin without one."""
    pterodactyl.control("POST", "wings/config", {"app_url": f"{pterodactyl.url}/"})
    assert handshake_status(pterodactyl, pterodactyl.url + ("/" if slash else "")) == expected


def test_allowed_origins_still_apply(pelican: RunningEmulator) -> None:
    pelican.control("POST", "wings/config", {"app_url": f"{pelican.url}/", "allowed_origins": [pelican.url]})
    assert handshake_status(pelican, pelican.url) == 101
    assert handshake_status(pelican, "https://elsewhere.test") == 403


def claims_of(token: str) -> dict[str, Any]:
    payload = token.split(".")[1]
    claims: dict[str, Any] = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    return claims


def test_panel_token_claims_hook_removes_a_claim(pelican: RunningEmulator) -> None:
    pelican.control("POST", "wings/config", {"panel_token_claims": {"user_uuid": None}})
    claims = claims_of(credentials(pelican)["token"])
    assert "user_uuid" not in claims and claims["server_uuid"] == survival(pelican)["uuid"]
    pelican.control("DELETE", "wings/config")
    assert claims_of(credentials(pelican)["token"])["user_uuid"]


def authenticated(emulator: RunningEmulator, sockets: list[websocket.WebSocket]) -> websocket.WebSocket:
    data = credentials(emulator)
    ws = websocket.create_connection(data["socket"], timeout=TIMEOUT, origin=emulator.url)
    sockets.append(ws)
    ws.send(json.dumps({"event": "auth", "args": [data["token"]]}))
    assert json.loads(ws.recv()) == {"event": "auth success"}
    return ws


def events_after(ws: websocket.WebSocket, command: str, last_line: str) -> list[dict[str, Any]]:
    """The console output and feature match events up to a console line equal to `last_line`."""
    ws.send(json.dumps({"event": "send command", "args": [command]}))
    seen: list[dict[str, Any]] = []
    while True:
        message = json.loads(ws.recv())
        if message["event"] in ("console output", "feature match"):
            seen.append(message)
        if message["event"] == "console output" and message["args"] == [last_line]:
            ws.send(json.dumps({"event": "send command", "args": ["say marker"]}))
            break
    while True:  # whatever follows the line comes before the marker's output
        message = json.loads(ws.recv())
        if message["event"] == "console output" and message["args"] == ["[Server] marker"]:
            return seen
        if message["event"] in ("console output", "feature match"):
            seen.append(message)


def running(emulator: RunningEmulator) -> None:
    emulator.control("POST", f"wings/servers/{survival(emulator)['uuid']}/power", {"state": "running"})


def test_pelican_feature_match_follows_the_matching_line(
    pelican: RunningEmulator, sockets: list[websocket.WebSocket]
) -> None:
    running(pelican)
    ws = authenticated(pelican, sockets)
    events = events_after(ws, f"echo {EULA_LINE}", EULA_LINE)
    assert events[0] == {"event": "console output", "args": [EULA_LINE]}
    assert events[1]["event"] == "feature match"
    assert json.loads(events[1]["args"][0]) == {
        "key": "eula",
        "pattern": "you need to agree to the eula in order to run the server",
        "line": EULA_LINE,
    }
    assert len(events) == 2


def test_pelican_no_feature_match_for_other_lines(pelican: RunningEmulator, sockets: list[websocket.WebSocket]) -> None:
    running(pelican)
    ws = authenticated(pelican, sockets)
    assert events_after(ws, "echo all is well", "all is well") == [{"event": "console output", "args": ["all is well"]}]


def test_pterodactyl_wings_has_no_feature_match(
    pterodactyl: RunningEmulator, sockets: list[websocket.WebSocket]
) -> None:
    running(pterodactyl)
    ws = authenticated(pterodactyl, sockets)
    assert events_after(ws, f"echo {EULA_LINE}", EULA_LINE) == [{"event": "console output", "args": [EULA_LINE]}]
