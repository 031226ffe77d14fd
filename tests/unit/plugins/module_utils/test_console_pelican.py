"""Console sessions against Pelican's Wings rules, at the HTTP level: the Origin compared by exact string with the
panel URL as the panel wrote it (Pelican writes APP_URL verbatim, trailing slash included), a token without the
identity claims Pelican Wings needs, and `[pelican Daemon]:` console lines."""

from __future__ import annotations

import asyncio
import base64
import json
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from aiohttp import WSMsgType, web

from ansible_collections.ptero.panel.plugins.module_utils import _console as console
from ansible_collections.ptero.panel.plugins.module_utils._console import (
    ConsoleClient,
    ConsoleError,
    ConsoleMessage,
    ConsoleProtocol,
    ConsoleSession,
)

DENYLIST = "Error Event [0f1e2d3c-0000-4000-8000-000000000000]: jwt: created too far in past (denylist)"


def make_token(**claims: Any) -> str:
    payload = {"permissions": ["*"], "scope": "websocket", **claims}

    def part(data: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'HS256', 'typ': 'JWT'})}.{part(payload)}.signature"


class OriginCheckingWings:
    """Just enough Wings on ws://127.0.0.1:<port>/ws: the Origin must equal `remote` exactly (else 403 Forbidden);
    auth -> auth success + status running. Records the Origin of every handshake."""

    def __init__(self) -> None:
        self.remote = ""
        self.origins: list[str | None] = []
        self.loop = asyncio.new_event_loop()
        self.port = 0
        self.runner: web.AppRunner | None = None
        ready = threading.Event()
        self.thread = threading.Thread(target=self._run, args=(ready,), daemon=True)
        self.thread.start()
        assert ready.wait(10), "test Wings did not start"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def _socket(self, request: web.Request) -> web.StreamResponse:
        origin = request.headers.get("Origin")
        self.origins.append(origin)
        if origin != self.remote:
            return web.Response(status=403, text="Forbidden\n", headers={"Sec-Websocket-Version": "13"})
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        async for message in ws:
            if message.type == WSMsgType.TEXT and json.loads(message.data)["event"] == "auth":
                await ws.send_str('{"event":"auth success"}')
                await ws.send_str('{"event":"status","args":["running"]}')
        return ws

    def _run(self, ready: threading.Event) -> None:
        asyncio.set_event_loop(self.loop)
        app = web.Application()
        app.router.add_get("/ws", self._socket)
        self.runner = web.AppRunner(app)
        self.loop.run_until_complete(self.runner.setup())
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        self.loop.run_until_complete(site.start())
        self.port = site._server.sockets[0].getsockname()[1]  # pylint: disable=protected-access
        ready.set()
        self.loop.run_forever()

    def stop(self) -> None:
        async def shutdown() -> None:
            assert self.runner is not None
            await self.runner.cleanup()

        asyncio.run_coroutine_threadsafe(shutdown(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)


class PanelStub:
    """The panel as ConsoleClient sees it: base_url as PanelClient keeps it (no trailing slash), a token route."""

    def __init__(self, base_url: str, socket_url: str) -> None:
        self.base_url = base_url
        self.socket_url = socket_url
        self.calls = 0

    def call(self, operation: str, path_params: dict[str, Any] | None = None, **_kwargs: Any) -> Any:
        self.calls += 1
        return {"token": make_token(user_uuid="u-1", server_uuid="s-1"), "socket": self.socket_url}


@pytest.fixture(scope="module")
def running_wings() -> Iterator[OriginCheckingWings]:
    wings = OriginCheckingWings()
    yield wings
    wings.stop()


@pytest.fixture
def wings(running_wings: OriginCheckingWings) -> OriginCheckingWings:
    running_wings.origins.clear()
    running_wings.remote = running_wings.url
    return running_wings


def console_client(wings: OriginCheckingWings) -> ConsoleClient:
    return ConsoleClient(PanelStub(wings.url, f"ws://127.0.0.1:{wings.port}/ws"))


def open_session(client: ConsoleClient, origin: str | None = None) -> ConsoleSession:
    session = ConsoleSession(client, "abcd1234", origin=origin, timeout=5.0)
    session.connect()
    return session


class TestOrigin:
    def test_origin_candidates(self) -> None:
        assert console.origin_candidates("https://panel.test", given=False) == [
            "https://panel.test",
            "https://panel.test/",
        ]
        assert console.origin_candidates("https://panel.test/", given=False) == ["https://panel.test/"]
        assert console.origin_candidates("https://panel.test", given=True) == ["https://panel.test"]

    def test_panel_url_without_slash_needs_one_handshake(self, wings: OriginCheckingWings) -> None:
        session = open_session(console_client(wings))
        try:
            assert session.status == "running"
            assert session.origin == wings.url
        finally:
            session.close()
        assert wings.origins == [wings.url]

    def test_app_url_with_trailing_slash_is_retried_once_with_it(self, wings: OriginCheckingWings) -> None:
        wings.remote = f"{wings.url}/"
        client = console_client(wings)
        session = open_session(client)
        try:
            assert session.status == "running"
            assert session.origin == f"{wings.url}/"
        finally:
            session.close()
        assert wings.origins == [wings.url, f"{wings.url}/"]
        # The next session of the task starts with the Origin Wings took: one handshake, one token for both.
        second = open_session(client)
        second.close()
        assert wings.origins == [wings.url, f"{wings.url}/", f"{wings.url}/"]
        assert client.tokens_fetched == 1

    def test_refused_with_and_without_slash_names_both(self, wings: OriginCheckingWings) -> None:
        wings.remote = "https://panel.elsewhere.test"
        with pytest.raises(ConsoleError) as caught:
            open_session(console_client(wings))
        error = caught.value
        assert error.kind == console.KIND_ORIGIN
        assert error.status == 403
        assert wings.origins == [wings.url, f"{wings.url}/"]
        assert error.details["origins_tried"] == [wings.url, f"{wings.url}/"]
        assert f"neither Origin {wings.url!r} nor {wings.url + '/'!r} is allowed" in error.message
        assert "APP_URL, trailing slash included" in error.message
        assert "allowed_origins" in error.message

    def test_origin_set_by_the_user_is_sent_once_as_given(self, wings: OriginCheckingWings) -> None:
        wings.remote = f"{wings.url}/"
        with pytest.raises(ConsoleError) as caught:
            open_session(console_client(wings), origin=wings.url)
        assert wings.origins == [wings.url]
        assert caught.value.kind == console.KIND_ORIGIN
        assert f"Origin {wings.url!r} is not allowed" in caught.value.message
        assert caught.value.details["origins_tried"] == [wings.url]

    def test_origin_set_by_the_user_with_slash_works(self, wings: OriginCheckingWings) -> None:
        wings.remote = f"{wings.url}/"
        session = open_session(console_client(wings), origin=f"{wings.url}/")
        session.close()
        assert wings.origins == [f"{wings.url}/"]


class TestIdentityClaims:
    def test_missing_identity(self) -> None:
        assert console.missing_identity({}) is None
        assert console.missing_identity({"user_uuid": "u", "server_uuid": "s"}) == []
        assert console.missing_identity({"server_uuid": "s"}) == ["user_uuid"]
        assert console.missing_identity({"user_uuid": ""}) == ["user_uuid", "server_uuid"]

    def test_denylisted_token_without_user_uuid_is_fatal_at_once(self) -> None:
        protocol = ConsoleProtocol("abcd1234")
        protocol.token_missing_identity = ["user_uuid"]
        protocol.start_auth()
        with pytest.raises(ConsoleError) as caught:
            protocol.handle(ConsoleMessage("jwt error", (DENYLIST,)))
        error = caught.value
        assert error.kind == console.KIND_MISSING_IDENTITY
        assert error.kind in console.FATAL_KINDS
        assert "no user_uuid claim" in error.message
        assert "Pelican Wings (beta27 and later)" in error.message
        assert "not retried" in error.message
        assert error.details["missing_claims"] == ["user_uuid"]

    def test_denylisted_token_with_identity_is_refreshed(self) -> None:
        """A Wings restart denylists older tokens: a complete token is renewed once, as before."""
        protocol = ConsoleProtocol("abcd1234")
        protocol.token_missing_identity = []
        protocol.start_auth()
        assert protocol.handle(ConsoleMessage("jwt error", (DENYLIST,))) == [console.ACTION_REFRESH]

    def test_session_reads_the_identity_claims_from_the_token(self) -> None:
        class Panel:
            base_url = "http://127.0.0.1:1"

            def call(self, *_args: Any, **_kwargs: Any) -> Any:
                return {"token": make_token(server_uuid="s-1"), "socket": "ws://127.0.0.1:1/ws"}

        session = ConsoleSession(Panel(), "abcd1234")
        session._fetch_credentials()  # pylint: disable=protected-access
        assert session.protocol.token_missing_identity == ["user_uuid"]


class TestDaemonLines:
    """Nothing in the collection matches on the `[<app> Daemon]:` prefix itself: the throttle notice is found by its
    text, so Pelican's `[pelican Daemon]:` lines work as Pterodactyl's do."""

    @pytest.mark.parametrize("app_name", ["Pterodactyl", "pelican", "My Host"])
    def test_throttle_notice_found_whatever_the_app_name(self, app_name: str) -> None:
        protocol = ConsoleProtocol("abcd1234")
        line = (
            f"\x1b[33m\x1b[1m[{app_name} Daemon]:\x1b[39m Server is outputting console data too quickly -- "
            "throttling...\x1b[0m"
        )
        protocol.handle(ConsoleMessage("console output", (line,)))
        assert protocol.console_throttled
        assert protocol.partial() == [
            f"[{app_name} Daemon]: Server is outputting console data too quickly -- throttling..."
        ]

    def test_feature_match_is_recorded_not_a_console_line(self) -> None:
        protocol = ConsoleProtocol("abcd1234")
        line = "\x1b[31mYou need to agree to the EULA\x1b[0m"
        payload = json.dumps({"key": "eula", "pattern": "agree to the eula", "line": line})
        assert protocol.handle(ConsoleMessage("feature match", (payload,))) == []
        assert protocol.partial() == []
        assert protocol.feature_matches == [
            {"key": "eula", "pattern": "agree to the eula", "line": "You need to agree to the EULA"}
        ]

    @pytest.mark.parametrize("payload", ["not json", "[1, 2]", ""])
    def test_odd_feature_match_is_ignored(self, payload: str) -> None:
        protocol = ConsoleProtocol("abcd1234")
        assert protocol.handle(ConsoleMessage("feature match", (payload,))) == []
        assert protocol.feature_matches == []

    def test_feature_matches_are_bounded(self) -> None:
        protocol = ConsoleProtocol("abcd1234")
        payload = json.dumps({"key": "eula", "pattern": "p", "line": "l"})
        for _number in range(console.MAX_FEATURE_MATCHES + 5):
            protocol.handle(ConsoleMessage("feature match", (payload,)))
        assert len(protocol.feature_matches) == console.MAX_FEATURE_MATCHES
