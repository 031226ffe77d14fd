"""Start the emulator as a real process for tests, plus pytest fixtures ``panel_emulator`` (session) and
``fresh_emulator`` (per test).

    from ptero_emulator.fixture import start_emulator
    emu = start_emulator(tmp_path, seed="demo", install_seconds=0.2)  # panel_version="1.11" for the old panel
    try:
        requests.get(emu.url + "/api/application/users", headers=emu.headers("application"))
    finally:
        emu.stop()
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests

START_TIMEOUT_SECONDS = 30.0


@dataclass
class RunningEmulator:
    """A started emulator process and its credentials."""

    url: str
    application_key: str
    client_key: str  # client key of the root admin "admin"
    user_client_key: str  # client key of the normal user "player"
    process: subprocess.Popen[bytes] | None
    connection: dict[str, Any] = field(default_factory=dict)
    log_path: Path | None = None

    # ---------------------------------------------------------------- helpers for tests
    def headers(self, which: str = "application") -> dict[str, str]:
        """Request headers for "application", "client" (admin), "user" (player) or "subuser" (helper, a subuser of
        the demo server "Survival")."""
        token = {
            "application": self.application_key,
            "client": self.client_key,
            "user": self.user_client_key,
            "subuser": self.connection.get("subuser_client_key", ""),
        }[which]
        return {"Authorization": f"Bearer {token}", "Accept": "application/json", "Content-Type": "application/json"}

    def control(self, method: str, path: str, payload: Any = None, timeout: float = 30.0) -> Any:
        """Call /_emulator/<path>; returns the decoded JSON (None for empty bodies)."""
        data = None if payload is None else json.dumps(payload).encode()
        request = urllib.request.Request(
            f"{self.url}/_emulator/{path.lstrip('/')}",
            data=data,
            method=method,
            headers={"Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                raw = response.read()
        except urllib.error.HTTPError as exc:
            raise RuntimeError(f"emulator control {method} {path} failed: {exc.code} {exc.read()[:500]!r}") from exc
        return json.loads(raw) if raw else None

    def requests(self) -> list[dict[str, Any]]:
        return self.control("GET", "requests")["requests"]

    def clear_requests(self) -> None:
        self.control("DELETE", "requests")

    def add_fault(self, route: str, kind: str = "status", **options: Any) -> dict[str, Any]:
        return self.control("POST", "faults", {"route": route, "kind": kind, **options})

    def clear_faults(self) -> None:
        self.control("DELETE", "faults")

    def reset(self, seed: str | None = None) -> None:
        self.control("POST", "reset", {} if seed is None else {"seed": seed})

    def clear_rate_limits(self) -> None:
        """Empty every rate-limit bucket (API and per-server limiters)."""
        self.control("DELETE", "rate-limits")

    def state(self, table: str | None = None) -> Any:
        data = self.control("GET", "state" + (f"?table={table}" if table else ""))
        return data["rows"] if table else data

    def configure(self, **changes: Any) -> dict[str, Any]:
        return self.control("POST", "config", changes)

    def advance(self, kind: str | None = None, seconds: float = 0.0) -> int:
        payload: dict[str, Any] = {"seconds": seconds}
        if kind:
            payload["kind"] = kind
        return self.control("POST", "advance", payload)["ran"]

    # ---------------------------------------------------------------- life cycle
    def stop(self, timeout: float = 10.0) -> int | None:
        """SIGTERM (which saves the state file, if any), then SIGKILL after ``timeout``."""
        if self.process is None:
            return None
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=timeout)
        return self.process.returncode

    def __enter__(self) -> RunningEmulator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _arguments(directory: Path, config: dict[str, Any]) -> tuple[list[str], Path]:
    """Command line for the given EmulatorConfig fields: seed, latency_ms and state_file have flags, the rest goes
    through --config-json."""
    connection_file = directory / f"emulator-connection-{os.getpid()}-{time.monotonic_ns()}.json"
    args = [
        sys.executable,
        "-m",
        "ptero_emulator",
        "--host",
        "127.0.0.1",
        "--port",
        str(config.pop("port", 0)),
        "--write-connection",
        str(connection_file),
    ]
    seed = config.pop("seed", "demo")
    args += ["--seed", seed if seed else "none"]
    if "latency_ms" in config:
        args += ["--latency-ms", str(config.pop("latency_ms"))]
    if config.get("state_file"):
        args += ["--state-file", str(config.pop("state_file"))]
    config.pop("state_file", None)
    if config:
        args += ["--config-json", json.dumps(config)]
    return args, connection_file


def start_emulator(tmp_path: Path | str, **config: Any) -> RunningEmulator:
    """Start ``python -m ptero_emulator`` with the given EmulatorConfig fields and wait until it listens."""
    directory = Path(tmp_path)
    directory.mkdir(parents=True, exist_ok=True)
    args, connection_file = _arguments(directory, dict(config))
    log_path = connection_file.with_suffix(".log")
    log_handle = open(log_path, "wb")  # noqa: SIM115 - kept open for the process' lifetime
    env = dict(os.environ)
    env.setdefault("PYTHONUNBUFFERED", "1")
    process = subprocess.Popen(args, cwd=str(directory), stdout=subprocess.PIPE, stderr=log_handle, env=env)
    stdout = process.stdout
    assert stdout is not None  # stdout=PIPE
    first_line: list[bytes] = []
    reader = threading.Thread(target=lambda: first_line.append(stdout.readline()), daemon=True)
    reader.start()
    reader.join(START_TIMEOUT_SECONDS)
    line = first_line[0].decode().strip() if first_line else ""
    if not line.startswith("EMULATOR_URL="):
        process.kill()
        process.wait(timeout=10)
        log_handle.close()
        raise RuntimeError(
            f"emulator did not start (first line {line!r}); stderr:\n{log_path.read_text(errors='replace')[-4000:]}"
        )
    # Keep draining stdout so the child never blocks on a full pipe.
    threading.Thread(target=lambda: [None for _unused in iter(stdout.readline, b"")], daemon=True).start()
    connection = json.loads(connection_file.read_text())
    return RunningEmulator(
        url=connection["url"],
        application_key=connection["application_key"],
        client_key=connection["client_key"],
        user_client_key=connection["user_client_key"],
        process=process,
        connection=connection,
        log_path=log_path,
    )


REQUEST_TIMEOUT_SECONDS = 15.0


class Api:
    """A small JSON client bound to one of the emulator's keys ("application", "client" or "user").
    Paths are relative to /api/application unless they start with "/"."""

    def __init__(self, emulator: RunningEmulator, which: str = "application", token: str | None = None) -> None:
        self.emulator = emulator
        self.session = requests.Session()
        self.session.headers.update(emulator.headers(which))
        if token is not None:
            self.session.headers["Authorization"] = f"Bearer {token}"

    def url(self, path: str) -> str:
        return self.emulator.url + (path if path.startswith("/") else "/api/application/" + path)

    def request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", REQUEST_TIMEOUT_SECONDS)
        return self.session.request(method, self.url(path), **kwargs)

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, json: Any = None, **kwargs: Any) -> requests.Response:
        return self.request("POST", path, json=json, **kwargs)

    def patch(self, path: str, json: Any = None, **kwargs: Any) -> requests.Response:
        return self.request("PATCH", path, json=json, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("DELETE", path, **kwargs)


def error_of(response: requests.Response) -> dict[str, Any]:
    """The first entry of a panel error body."""
    return response.json()["errors"][0]


def validation_fields(response: requests.Response) -> dict[str, str]:
    """source_field -> rule of a 422 body (asserts the status)."""
    assert response.status_code == 422, response.text
    return {entry["meta"]["source_field"]: entry["meta"]["rule"] for entry in response.json()["errors"]}


def wait_until(predicate: Any, timeout: float = 10.0, interval: float = 0.05) -> Any:
    """Poll ``predicate`` until it returns a truthy value (returned) or fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout} s")
        time.sleep(interval)


# Fast timings for tests, and rate limits high enough that a whole session never trips them (rate-limit tests
# lower them on their own emulator).
TEST_DEFAULTS: dict[str, Any] = {
    "install_seconds": 0.3,
    "power_seconds": 0.2,
    "backup_seconds": 0.3,
    "restore_seconds": 0.3,
    "app_rate_limit": 1000000,
    "client_rate_limit": 1000000,
}


def module_emulator_fixture(name: str, start: Callable[[Path], Any]) -> Any:
    """A module-scoped fixture: what ``start(<new temp dir>)`` returns (a RunningEmulator, or anything with a
    ``stop()``), stopped after the module.

    ``old = module_emulator_fixture("x-1.11", lambda d: start_emulator(d, ...))``
    """

    @pytest.fixture(scope="module")
    def fixture(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
        running = start(tmp_path_factory.mktemp(name))
        try:
            yield running
        finally:
            running.stop()

    return fixture


@pytest.fixture(scope="session")
def panel_emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningEmulator]:
    """One emulator (seed "demo") shared by the whole session. Tests that change data should use unique names,
    or use ``fresh_emulator``."""
    emulator = start_emulator(tmp_path_factory.mktemp("panel-emulator"), seed="demo", **TEST_DEFAULTS)
    try:
        yield emulator
    finally:
        emulator.stop()


@pytest.fixture
def fresh_emulator(tmp_path: Path) -> Iterator[RunningEmulator]:
    """A new emulator (seed "demo") for one test."""
    emulator = start_emulator(tmp_path, seed="demo", **TEST_DEFAULTS)
    try:
        yield emulator
    finally:
        emulator.stop()
