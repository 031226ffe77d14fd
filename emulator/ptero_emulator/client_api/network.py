"""A server's network allocations: list, auto-assign, notes, primary, remove."""
from __future__ import annotations

from typing import Any

from aiohttp import web

from .. import http
from ..http import display_error, empty_response, item, json_response, list_envelope
from .common import SERVER, bind_allocation, client_route, log_activity, request_input, server_context
from .transformers import allocation_attributes


def _allocation_text(allocation: dict[str, Any]) -> str:
    return f"{allocation['ip']}:{allocation['port']}"


@client_route("GET", SERVER + "/network/allocations")
async def list_allocations(request: web.Request) -> web.Response:
    ctx = server_context(request, "allocation.read")
    rows = sorted(ctx.state.server_allocations(ctx.server["id"]), key=lambda a: a["id"])
    return json_response(list_envelope([item("allocation", allocation_attributes(a, ctx.server)) for a in rows]))


@client_route("POST", SERVER + "/network/allocations")
async def assign_allocation(request: web.Request) -> web.Response:
    ctx = server_context(request, "allocation.create", limiter="allocations")
    state, server = ctx.state, ctx.server
    assigned = state.server_allocations(server["id"])
    limit = server.get("allocation_limit")
    if len(assigned) >= int(limit or 0):
        raise display_error("Cannot assign additional allocations to this server: limit has been reached.")
    if not getattr(state.config, "allocations_enabled", False):
        raise display_error("Server auto-allocation is not enabled for this instance.",
                            "AutoAllocationNotEnabledException")
    primary = state.get("allocations", server.get("allocation_id")) or {}
    ip = primary.get("ip")
    free = [a for a in state.rows("allocations")
            if a["node_id"] == server["node_id"] and a["ip"] == ip and a.get("server_id") is None]
    if free:
        allocation = state.random.choice(free)
    else:
        start, end = getattr(state.config, "allocation_range", (None, None)) or (None, None)
        if not isinstance(start, int) or not isinstance(end, int):
            raise display_error("Cannot assign additional allocation: no more space available on node.",
                                "NoAutoAllocationSpaceAvailableException")
        used = {a["port"] for a in state.rows("allocations") if a["node_id"] == server["node_id"] and a["ip"] == ip}
        candidates = [port for port in range(start, end + 1) if port not in used]
        if not candidates:
            raise display_error("Cannot assign additional allocation: no more space available on node.",
                                "NoAutoAllocationSpaceAvailableException")
        allocation = state.insert("allocations", {"node_id": server["node_id"], "ip": ip, "ip_alias": None,
                                                  "port": state.random.choice(candidates), "server_id": None,
                                                  "notes": None})
    state.update("allocations", allocation, {"server_id": server["id"]})
    log_activity(request, "server:allocation.create", {"allocation": _allocation_text(allocation)}, server=server)
    return json_response(item("allocation", allocation_attributes(allocation, server)))


@client_route("POST", SERVER + "/network/allocations/{allocation}")
async def update_allocation_notes(request: web.Request) -> web.Response:
    ctx = server_context(request, "allocation.update", bind=bind_allocation)
    allocation = ctx.children["allocation"]
    data = http.validate(request_input(request), {"notes": "present|nullable|string|max:256"})
    original = allocation.get("notes")
    ctx.state.update("allocations", allocation, {"notes": data.get("notes")})
    if original != allocation.get("notes"):
        log_activity(request, "server:allocation.notes", {"allocation": _allocation_text(allocation), "old": original,
                                                  "new": allocation.get("notes")}, server=ctx.server)
    return json_response(item("allocation", allocation_attributes(allocation, ctx.server)))


@client_route("POST", SERVER + "/network/allocations/{allocation}/primary")
async def set_primary_allocation(request: web.Request) -> web.Response:
    ctx = server_context(request, "allocation.update", bind=bind_allocation)
    allocation = ctx.children["allocation"]
    ctx.state.update("servers", ctx.server, {"allocation_id": allocation["id"]})
    log_activity(request, "server:allocation.primary", {"allocation": _allocation_text(allocation)}, server=ctx.server)
    return json_response(item("allocation", allocation_attributes(allocation, ctx.server)))


@client_route("DELETE", SERVER + "/network/allocations/{allocation}")
async def delete_allocation(request: web.Request) -> web.Response:
    ctx = server_context(request, "allocation.delete", bind=bind_allocation)
    allocation = ctx.children["allocation"]
    if not ctx.server.get("allocation_limit"):
        raise display_error("You cannot delete allocations for this server: no allocation limit is set.")
    if allocation["id"] == ctx.server.get("allocation_id"):
        raise display_error("You cannot delete the primary allocation for this server.")
    ctx.state.update("allocations", allocation, {"notes": None, "server_id": None})
    log_activity(request, "server:allocation.delete", {"allocation": _allocation_text(allocation)}, server=ctx.server)
    return empty_response(204)
