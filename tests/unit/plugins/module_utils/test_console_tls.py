"""ConsoleSession TLS options against a small wss:// endpoint with a self-signed (trustme) certificate."""

from __future__ import annotations

import asyncio
import base64
import json
import ssl
import threading
from collections.abc import Iterator
from typing import Any

import pytest
import trustme
from aiohttp import WSMsgType, web

from ansible_collections.ptero.panel.plugins.module_utils import _console as console
from ansible_collections.ptero.panel.plugins.module_utils._console import ConsoleError, ConsoleSession


async def _socket(request: web.Request) -> web.WebSocketResponse:
    """Just enough Wings: auth -> auth success + status running; `send command` X -> console output X."""
    ws = web.WebSocketResponse()
    await ws.prepare(request)
    async for message in ws:
        if message.type != WSMsgType.TEXT:
            continue
        data = json.loads(message.data)
        if data["event"] == "auth":
            await ws.send_str('{"event":"auth success"}')
            await ws.send_str('{"event":"status","args":["running"]}')
        elif data["event"] == "send command":
            await ws.send_str(json.dumps({"event": "console output", "args": data["args"]}))
    return ws


class TlsServer:
    def __init__(self, certificate: trustme.LeafCert) -> None:
        self.loop = asyncio.new_event_loop()
        self.context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        certificate.configure_cert(self.context)
        self.port = 0
        self.runner: web.AppRunner | None = None
        ready = threading.Event()
        self.thread = threading.Thread(target=self._run, args=(ready,), daemon=True)
        self.thread.start()
        assert ready.wait(10), "TLS test server did not start"

    def _run(self, ready: threading.Event) -> None:
        asyncio.set_event_loop(self.loop)
        app = web.Application()
        app.router.add_get("/ws", _socket)
        self.runner = web.AppRunner(app)
        self.loop.run_until_complete(self.runner.setup())
        site = web.TCPSite(self.runner, "127.0.0.1", 0, ssl_context=self.context)
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


@pytest.fixture(scope="module")
def authority() -> trustme.CA:
    return trustme.CA()


@pytest.fixture(scope="module")
def server(authority: trustme.CA) -> Iterator[TlsServer]:
    running = TlsServer(authority.issue_cert("127.0.0.1"))
    yield running
    running.stop()


class Client:
    base_url = "https://panel.example.com"

    def __init__(self, port: int) -> None:
        self.port = port

    def call(self, operation: str, path_params: dict[str, Any] | None = None, **_kwargs: Any) -> dict[str, str]:
        payload = base64.urlsafe_b64encode(b'{"permissions":["*"]}').rstrip(b"=").decode()
        return {"token": f"e30.{payload}.sig", "socket": f"wss://127.0.0.1:{self.port}/ws"}


def test_certificate_is_verified_by_default(server: TlsServer) -> None:
    with pytest.raises(ConsoleError) as caught:
        ConsoleSession(Client(server.port), "abcd1234", timeout=5).connect()
    assert caught.value.kind == console.KIND_TLS
    assert "validate_certs" in str(caught.value)


def test_validate_certs_off_accepts_self_signed(server: TlsServer) -> None:
    with ConsoleSession(Client(server.port), "abcd1234", timeout=5, validate_certs=False) as session:
        assert session.status == "running"
        session.send("hello over tls")
        assert session.collect(settle=0.3, timeout=5).lines == ["hello over tls"]


def test_ca_path_trusts_the_authority(server: TlsServer, authority: trustme.CA, tmp_path: Any) -> None:
    ca_file = tmp_path / "ca.pem"
    authority.cert_pem.write_to_path(str(ca_file))
    with ConsoleSession(Client(server.port), "abcd1234", timeout=5, ca_path=str(ca_file)) as session:
        assert session.status == "running"
