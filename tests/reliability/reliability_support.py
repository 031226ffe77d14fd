"""Shared helpers of the reliability suite: running ansible-playbook / ansible-inventory against an emulator,
reading the emulator's request log and state, and a small TLS-terminating proxy."""

from __future__ import annotations

import asyncio
import contextlib
import os
import ssl
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
PLAYBOOKS = HERE / "playbooks"
INVENTORIES = HERE / "inventory"
BIN = Path(sys.executable).parent

if str(ROOT / "tests" / "tools") not in sys.path:
    sys.path.insert(0, str(ROOT / "tests" / "tools"))

from collection_tree import linked_collection_for_this_process  # noqa: E402  pylint: disable=wrong-import-position

from ptero_emulator.fixture import TEST_DEFAULTS, RunningEmulator, start_emulator  # noqa: E402  pylint: disable=wrong-import-position

COLLECTIONS_DIR = linked_collection_for_this_process("ptero-reliability-")

# Generous ceiling for one ansible run: a hung run must fail the test, not the CI job.
RUN_TIMEOUT_SECONDS = 400
# Fields of the emulator's state that change on every request, whatever the request did.
VOLATILE_FIELDS = frozenset({"last_used_at"})
# Tables that record what happened rather than what exists.
LOG_TABLES = frozenset({"activity"})


@dataclass
class Run:
    """One finished ansible command."""

    rc: int
    stdout: str
    stderr: str
    seconds: float

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


class Ansible:
    """Runs ansible commands with the collection installed and the emulator's connection in the environment."""

    def __init__(self, emulator: RunningEmulator, url: str | None = None) -> None:
        self.emulator = emulator
        self.url = url or emulator.url

    def env(self, **extra: str) -> dict[str, str]:
        env = dict(
            os.environ,
            ANSIBLE_COLLECTIONS_PATH=str(COLLECTIONS_DIR),
            ANSIBLE_NOCOLOR="1",
            ANSIBLE_LOCALHOST_WARNING="0",
            ANSIBLE_INVENTORY_UNPARSED_WARNING="0",
            ANSIBLE_RETRY_FILES_ENABLED="0",
            ANSIBLE_PYTHON_INTERPRETER=sys.executable,
            ANSIBLE_HOST_KEY_CHECKING="0",
            ANSIBLE_DEPRECATION_WARNINGS="0",
            PTERODACTYL_URL=self.url,
            PTERODACTYL_API_KEY=self.emulator.application_key,
            PTERODACTYL_CLIENT_API_KEY=self.emulator.client_key,
        )
        for name in ("PTERODACTYL_VALIDATE_CERTS", "PTERODACTYL_TIMEOUT", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):
            env.pop(name, None)
        env.update(extra)
        return env

    def _run(self, cmd: list[str], env: dict[str, str] | None) -> Run:
        started = time.monotonic()
        result = subprocess.run(
            cmd,
            cwd=ROOT,
            env=env or self.env(),
            capture_output=True,
            text=True,
            timeout=RUN_TIMEOUT_SECONDS,
            check=False,
        )
        return Run(result.returncode, result.stdout, result.stderr, time.monotonic() - started)

    def playbook(self, name: str, *args: str, check: bool = True, env: dict[str, str] | None = None) -> Run:
        """Run `playbooks/<name>.yml` with `emulator_url` set; by default the run must succeed."""
        cmd = [
            str(BIN / "ansible-playbook"),
            str(PLAYBOOKS / f"{name}.yml"),
            "-e",
            f"emulator_url={self.emulator.url}",
            *args,
        ]
        run = self._run(cmd, env)
        if check:
            assert run.rc == 0, f"{name} failed (rc={run.rc}):\n{run.output[-20000:]}"
        return run

    def inventory(self, config: Path, *args: str, env: dict[str, str] | None = None) -> Run:
        return self._run([str(BIN / "ansible-inventory"), "-i", str(config), *args], env)


def emulator_fixture(scope: str = "module", **config: Any):
    """A pytest fixture starting one emulator with `TEST_DEFAULTS` overridden by `config`."""

    @pytest.fixture(scope=scope)
    def running_emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningEmulator]:
        settings = {"seed": "demo", **TEST_DEFAULTS, **config}
        emulator = start_emulator(tmp_path_factory.mktemp("reliability-emulator"), **settings)
        try:
            yield emulator
        finally:
            emulator.stop()

    return running_emulator


# ---------------------------------------------------------------------------------------------------- request log
# The one unauthenticated request a task sends to learn which panel answers (a ptla_ key may be a migrated one
# on Pelican): a route only Pelican has, which Pterodactyl answers 404 before any auth, limit or fault.
PANEL_PROBE = ("GET", "/api/application/eggs", 404)


def is_panel_probe(entry: dict[str, Any]) -> bool:
    return (entry["method"], entry["path"], entry["status"]) == PANEL_PROBE


def api_requests(emulator: RunningEmulator) -> list[dict[str, Any]]:
    """The panel API requests of the log, without the panel probes (they read nothing and write nothing)."""
    return [entry for entry in emulator.requests() if entry["path"].startswith("/api/") and not is_panel_probe(entry)]


def writes(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The requests of a log that ask for a change."""
    return [entry for entry in entries if entry["method"] not in ("GET", "HEAD")]


def successful_writes(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [entry for entry in writes(entries) if 0 < entry["status"] < 400]


def requests_to(entries: list[dict[str, Any]], method: str, path: str) -> list[dict[str, Any]]:
    return [entry for entry in entries if entry["method"] == method and entry["path"] == path]


# ---------------------------------------------------------------------------------------------------- state
def comparable_state(emulator: RunningEmulator) -> dict[str, list[dict[str, Any]]]:
    """The emulator's tables without the fields and tables that change just because requests were made."""
    tables = emulator.state()["tables"]
    return {
        name: [{key: value for key, value in row.items() if key not in VOLATILE_FIELDS} for row in rows]
        for name, rows in tables.items()
        if name not in LOG_TABLES
    }


def rows(emulator: RunningEmulator, table: str, **match: Any) -> list[dict[str, Any]]:
    return [row for row in emulator.state(table) if all(row.get(key) == value for key, value in match.items())]


# ---------------------------------------------------------------------------------------------------- TLS proxy
class TlsProxy:
    """Terminates TLS on 127.0.0.1 with the given certificate and forwards the bytes to a plain-HTTP port."""

    def __init__(self, context: ssl.SSLContext, target_host: str, target_port: int) -> None:
        self._context = context
        self._target = (target_host, target_port)
        self._loop = asyncio.new_event_loop()
        # A client refusing the certificate aborts the handshake; asyncio would print that as an error.
        self._loop.set_exception_handler(lambda loop, context: None)
        self._server: asyncio.AbstractServer | None = None
        self._thread = threading.Thread(target=self._loop.run_forever, name="tls-proxy", daemon=True)
        self.port = 0

    def start(self) -> TlsProxy:
        self._thread.start()
        future = asyncio.run_coroutine_threadsafe(self._listen(), self._loop)
        self.port = future.result(timeout=10)
        return self

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    async def _listen(self) -> int:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0, ssl=self._context)
        return self._server.sockets[0].getsockname()[1]

    async def _handle(self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection(*self._target)
        except OSError:
            client_writer.close()
            return
        await asyncio.gather(self._pipe(client_reader, upstream_writer), self._pipe(upstream_reader, client_writer))

    @staticmethod
    async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                chunk = await reader.read(65536)
                if not chunk:
                    break
                writer.write(chunk)
                await writer.drain()
        except (ConnectionError, ssl.SSLError, asyncio.IncompleteReadError):
            pass  # a client refusing our certificate hangs up mid-handshake: that is the point of some tests
        finally:
            with contextlib.suppress(ConnectionError, RuntimeError):
                writer.close()

    def stop(self) -> None:
        async def close() -> None:
            if self._server is not None:
                self._server.close()
                await self._server.wait_closed()

        asyncio.run_coroutine_threadsafe(close(), self._loop).result(timeout=10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
