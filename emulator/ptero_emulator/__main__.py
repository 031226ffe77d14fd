"""Command line entry point: ``python -m ptero_emulator [--port 0] [--seed demo] [--write-connection FILE]``.

The first stdout line is ``EMULATOR_URL=http://127.0.0.1:PORT`` once the socket is bound."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import sys
from typing import Any

from aiohttp import web

from . import versions
from .app import create_app
from .config import EmulatorConfig
from .seed import seed_state
from .state import State


def _pair(text: str) -> tuple[int, int]:
    first, _unused, second = text.replace(",", "-").partition("-")
    return int(first), int(second)


def parse_args(argv: list[str] | None = None) -> EmulatorConfig:
    parser = argparse.ArgumentParser(prog="python -m ptero_emulator", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1", help="bind address (keep it on loopback)")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument(
        "--seed", default="demo", help='"demo", "none" or "scale:servers=N,nodes=N,users=N,locations=N"'
    )
    parser.add_argument("--latency-ms", type=int, default=0)
    parser.add_argument("--state-file", default=None, help="load state from / save state to this JSON file")
    parser.add_argument("--write-connection", default=None, help="write {url, keys...} JSON to this file")
    parser.add_argument(
        "--panel-version",
        default=None,
        choices=versions.PANEL_VERSIONS,
        help=f"panel release to model (default {versions.DEFAULT_PANEL_VERSION})",
    )
    parser.add_argument(
        "--wings-version",
        default=None,
        help="Wings release to model, e.g. 1.11, 1.12, 1.13 (default: the one paired with the panel)",
    )
    parser.add_argument(
        "--flavour",
        default=None,
        choices=versions.FLAVOURS,
        help=f"panel to model (default {versions.DEFAULT_FLAVOUR})",
    )
    parser.add_argument(
        "--pelican-version",
        default=None,
        choices=versions.PELICAN_VERSIONS,
        help=f"Pelican beta to model with --flavour pelican (default {versions.DEFAULT_PELICAN_VERSION})",
    )
    parser.add_argument("--install-seconds", type=float, default=None)
    parser.add_argument("--power-seconds", type=float, default=None)
    parser.add_argument("--backup-seconds", type=float, default=None)
    parser.add_argument("--restore-seconds", type=float, default=None)
    parser.add_argument("--app-rate-limit", type=int, default=None)
    parser.add_argument("--client-rate-limit", type=int, default=None)
    parser.add_argument("--rate-period-seconds", type=float, default=None)
    parser.add_argument("--token-lifetime-seconds", type=int, default=None)
    parser.add_argument("--token-expiring-seconds", type=int, default=None)
    parser.add_argument("--allocation-range", type=_pair, default=None, help="START-END")
    parser.add_argument("--backup-throttle", type=_pair, default=None, help="COUNT-SECONDS")
    parser.add_argument("--config-json", default=None, help="JSON object of further EmulatorConfig fields")
    args = parser.parse_args(argv)
    seed = None if args.seed in ("", "none") else args.seed
    config = EmulatorConfig(
        host=args.host, port=args.port, seed=seed, latency_ms=args.latency_ms, state_file=args.state_file
    )
    overrides: dict[str, Any] = {}
    for name in (
        "panel_version",
        "wings_version",
        "flavour",
        "pelican_version",
        "install_seconds",
        "power_seconds",
        "backup_seconds",
        "restore_seconds",
        "app_rate_limit",
        "client_rate_limit",
        "rate_period_seconds",
        "token_lifetime_seconds",
        "token_expiring_seconds",
        "allocation_range",
        "backup_throttle",
    ):
        value = getattr(args, name)
        if value is not None:
            overrides[name] = value
    if args.config_json:
        overrides.update(json.loads(args.config_json))
    try:
        unknown = config.update(overrides)
    except (TypeError, ValueError) as error:
        parser.error(str(error))
    if unknown:
        parser.error(f"unknown configuration fields: {', '.join(unknown)}")
    config.extra["write_connection"] = args.write_connection
    return config


def build_state(config: EmulatorConfig) -> State:
    """Load the state file when it exists, else seed a new state."""
    if config.state_file and os.path.exists(config.state_file):
        with open(config.state_file, encoding="utf-8") as handle:
            data = json.load(handle)
        return State.from_json(data, config)
    state = State(config)
    seed_state(state, config.seed)
    return state


async def serve(config: EmulatorConfig) -> None:
    state = build_state(config)
    app = create_app(config, state)
    runner = web.AppRunner(app, access_log=None, handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, config.host, config.port)
    await site.start()
    port = runner.addresses[0][1]
    config.port = port
    config.panel_url = f"http://{config.host}:{port}"
    connection = {"url": config.panel_url, **state.connection}
    target = config.extra.get("write_connection")
    if target:
        tmp = f"{target}.tmp"
        with open(tmp, "w", encoding="utf-8") as handle:
            json.dump(connection, handle)
        os.replace(tmp, target)
    print(f"EMULATOR_URL={config.panel_url}", flush=True)

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    await stop.wait()
    await runner.cleanup()  # runs on_shutdown, which saves the state file


def main(argv: list[str] | None = None) -> int:
    config = parse_args(argv)
    asyncio.run(serve(config))
    return 0


if __name__ == "__main__":
    sys.exit(main())
