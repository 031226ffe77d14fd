"""Unauthenticated test-control endpoints under /_emulator/ (the emulator only listens on loopback)."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from .http import ValidationFailed, bad_request, empty_response, json_response, route

routes = web.RouteTableDef()


async def _json_body(request: web.Request) -> dict[str, Any]:
    raw = await request.read() if request.can_read_body else b""
    if not raw:
        return {}
    try:
        data = json.loads(raw)
    except ValueError:
        raise bad_request("The JSON data passed in the request appears to be malformed: Syntax error") from None
    if not isinstance(data, dict):
        raise ValidationFailed([("body", "array", "The body must be a JSON object.")])
    return data


@route(routes, "GET", "/_emulator/health")
async def health(request: web.Request) -> web.Response:
    config = request.app["config"]
    daemon = request.app.get("daemon")
    # A Wings override (POST /_emulator/wings/config) wins over the configured / panel-paired release.
    wings_version = daemon.setting("wings_version") if daemon is not None else config.effective_wings_version()
    health = {
        "ok": True,
        "pending_timers": len(request.app["state"].pending()),
        "panel_version": config.panel_version,
        "wings_version": wings_version,
    }
    if config.is_pelican:  # a Pterodactyl emulator's health stays as it was (no flavour keys = pterodactyl)
        health.update({"flavour": config.flavour, "pelican_version": config.pelican_version})
    return json_response(health)


@route(routes, "POST", "/_emulator/reset")
async def reset(request: web.Request) -> web.Response:
    """Drop every row and re-seed (same seed -> same keys); also clears faults, rate-limit buckets and the log."""
    from .seed import seed_state

    data = await _json_body(request)
    state = request.app["state"]
    config = request.app["config"]
    if "seed" in data:
        config.seed = data["seed"]
    state.clear()
    seed_state(state, config.seed)
    request.app["faults"].clear()
    request.app["rate_limiter"].clear()
    request.app["request_log"].clear()
    state.emit("state.reset", {})
    return empty_response(204)


@route(routes, "DELETE", "/_emulator/rate-limits")
async def clear_rate_limits(request: web.Request) -> web.Response:
    """Empty every rate-limit bucket: api.application/api.client, the per-server limiters and the e-mail limits."""
    request.app["rate_limiter"].clear()
    return empty_response(204)


@route(routes, "GET", "/_emulator/state")
async def dump_state(request: web.Request) -> web.Response:
    """The whole database (secrets masked); ?table=servers limits it to one table."""
    data = request.app["state"].to_json(redact=True)
    table = request.query.get("table")
    if table:
        data = {"table": table, "rows": data["tables"].get(table, [])}
    return json_response(data)


@route(routes, "GET", "/_emulator/requests")
async def list_requests(request: web.Request) -> web.Response:
    return json_response({"requests": list(request.app["request_log"])})


@route(routes, "DELETE", "/_emulator/requests")
async def clear_requests(request: web.Request) -> web.Response:
    request.app["request_log"].clear()
    return empty_response(204)


@route(routes, "GET", "/_emulator/faults")
async def list_faults(request: web.Request) -> web.Response:
    return json_response({"faults": request.app["faults"].list()})


@route(routes, "POST", "/_emulator/faults")
async def add_fault(request: web.Request) -> web.Response:
    fault = request.app["faults"].add(await _json_body(request))
    return json_response(fault, status=201)


@route(routes, "DELETE", "/_emulator/faults")
async def clear_faults(request: web.Request) -> web.Response:
    request.app["faults"].clear()
    return empty_response(204)


@route(routes, "GET", "/_emulator/config")
async def get_config(request: web.Request) -> web.Response:
    return json_response(request.app["config"].to_dict())


@route(routes, "POST", "/_emulator/config")
async def set_config(request: web.Request) -> web.Response:
    config = request.app["config"]
    changes = await _json_body(request)
    try:
        unknown = config.update(changes)
    except (TypeError, ValueError) as exc:
        raise ValidationFailed([("config", "type", f"Invalid configuration value: {exc}")]) from None
    if unknown:
        raise ValidationFailed([(name, "in", f"Unknown configuration field {name}.") for name in unknown])
    return json_response(config.to_dict())


@route(routes, "POST", "/_emulator/advance")
async def advance(request: web.Request) -> web.Response:
    """Finish pending work now. Body: {"kind": "install"|"backup"|"restore"|"power"|... (default all),
    "seconds": N (move the clock forward and run only what is then due)}."""
    data = await _json_body(request)
    state = request.app["state"]
    ran = state.advance(kind=data.get("kind"), seconds=float(data.get("seconds") or 0))
    return json_response({"ran": ran, "clock_offset": state.clock_offset})


@route(routes, "POST", "/_emulator/save")
async def save(request: web.Request) -> web.Response:
    path = request.app["config"].state_file
    if not path:
        raise bad_request("No state file is configured (--state-file).")
    request.app["state"].save(path)
    return empty_response(204)
