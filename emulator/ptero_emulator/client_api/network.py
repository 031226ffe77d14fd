"""A server's network allocations: list, auto-assign, notes, primary, remove."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from .. import http
from ..http import display_error, empty_response, item, json_response, list_envelope
from .context import Row, ServerContext, server_route
from .transformers import allocation_attributes


def _allocation_text(allocation: dict[str, Any]) -> str:
    return f"{allocation['ip']}:{allocation['port']}"


@server_route("GET", "/network/allocations", "allocation.read")
async def list_allocations(ctx: ServerContext) -> web.Response:
    rows = sorted(ctx.state.server_allocations(ctx.server["id"]), key=lambda a: a["id"])
    return json_response(list_envelope([item("allocation", allocation_attributes(a, ctx.server)) for a in rows]))


@server_route("POST", "/network/allocations", "allocation.create", limiter="allocations")
async def assign_allocation(ctx: ServerContext) -> web.Response:
    state, server = ctx.state, ctx.server
    assigned = state.server_allocations(server["id"])
    limit = server.get("allocation_limit")
    if len(assigned) >= int(limit or 0):
        raise display_error("Cannot assign additional allocations to this server: limit has been reached.")
    if not state.config.allocations_enabled:
        raise display_error(
            "Server auto-allocation is not enabled for this instance.", "AutoAllocationNotEnabledException"
        )
    primary = state.get("allocations", server.get("allocation_id")) or {}
    ip = primary.get("ip")
    free = [
        a
        for a in state.rows("allocations")
        if a["node_id"] == server["node_id"] and a["ip"] == ip and a.get("server_id") is None
    ]
    if free:
        allocation = state.random.choice(free)
    else:
        start, end = state.config.allocation_range or (None, None)
        if not isinstance(start, int) or not isinstance(end, int):
            raise display_error(
                "Cannot assign additional allocation: no more space available on node.",
                "NoAutoAllocationSpaceAvailableException",
            )
        used = {a["port"] for a in state.rows("allocations") if a["node_id"] == server["node_id"] and a["ip"] == ip}
        candidates = [port for port in range(start, end + 1) if port not in used]
        if not candidates:
            raise display_error(
                "Cannot assign additional allocation: no more space available on node.",
                "NoAutoAllocationSpaceAvailableException",
            )
        allocation = state.insert(
            "allocations",
            {
                "node_id": server["node_id"],
                "ip": ip,
                "ip_alias": None,
                "port": state.random.choice(candidates),
                "server_id": None,
                "notes": None,
            },
        )
    state.update("allocations", allocation, {"server_id": server["id"]})
    ctx.log("server:allocation.create", {"allocation": _allocation_text(allocation)})
    return json_response(item("allocation", allocation_attributes(allocation, server)))


@server_route("POST", "/network/allocations/{allocation}", "allocation.update")
async def update_allocation_notes(ctx: ServerContext, allocation: Row) -> web.Response:
    data = http.validate(ctx.input(), {"notes": "present|nullable|string|max:256"})
    original = allocation.get("notes")
    ctx.state.update("allocations", allocation, {"notes": data.get("notes")})
    if original != allocation.get("notes"):
        ctx.log(
            "server:allocation.notes",
            {"allocation": _allocation_text(allocation), "old": original, "new": allocation.get("notes")},
        )
    return json_response(item("allocation", allocation_attributes(allocation, ctx.server)))


@server_route("POST", "/network/allocations/{allocation}/primary", "allocation.update")
async def set_primary_allocation(ctx: ServerContext, allocation: Row) -> web.Response:
    ctx.state.update("servers", ctx.server, {"allocation_id": allocation["id"]})
    ctx.log("server:allocation.primary", {"allocation": _allocation_text(allocation)})
    return json_response(item("allocation", allocation_attributes(allocation, ctx.server)))


@server_route("DELETE", "/network/allocations/{allocation}", "allocation.delete")
async def delete_allocation(ctx: ServerContext, allocation: Row) -> web.Response:
    if not ctx.server.get("allocation_limit"):
        raise display_error("You cannot delete allocations for this server: no allocation limit is set.")
    if allocation["id"] == ctx.server.get("allocation_id"):
        raise display_error("You cannot delete the primary allocation for this server.")
    ctx.state.update("allocations", allocation, {"notes": None, "server_id": None})
    ctx.log("server:allocation.delete", {"allocation": _allocation_text(allocation)})
    return empty_response(204)
