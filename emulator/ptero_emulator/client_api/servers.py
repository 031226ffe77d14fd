"""The server list, the permission catalogue, and a server's details, resources, console command and power."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from aiohttp import web

from .. import http
from ..http import ApiError, empty_response, item, json_response, list_envelope
from ..state import State
from ..wings import POWER_PERMISSIONS, ServerOffline
from .common import SERVER_OFFLINE_COMMAND, extra_setting, page_number, runtime
from .context import ClientCtx, ServerContext, client_route, server_route
from .permissions import PERMISSION_GROUPS
from .transformers import ServerIndexes, server_item


def accessible_server_ids(state: State, user: dict[str, Any]) -> set[int]:
    ids = {server["id"] for server in state.tables["servers"].values() if server["owner_id"] == user["id"]}
    ids.update(sub["server_id"] for sub in state.tables["subusers"].values() if sub["user_id"] == user["id"])
    return ids


_IPV4_SEARCH = re.compile(r"^(?:[0-9]{1,3}\.){3}[0-9]{1,3}(:\d{1,5})?$")


def _multi_field_filter(state: State) -> Callable[[list[dict[str, Any]], list[Any]], list[dict[str, Any]]]:
    """filter[*]: an IPv4[:port] or :port searches allocations, anything else uuid/identifier/external id/name."""

    def apply(rows: list[dict[str, Any]], values: list[Any]) -> list[dict[str, Any]]:
        term = ",".join(http.to_php_string(v) for v in values)
        if _IPV4_SEARCH.match(term) or re.fullmatch(r":\d{1,5}", term):
            ip, _unused, port = term.partition(":")
            matching: set[int] = set()
            for allocation in state.tables["allocations"].values():
                if allocation.get("server_id") is None:
                    continue
                if term.startswith(":"):
                    ok = str(allocation["port"]).startswith(port)
                else:
                    ok = allocation["ip"] == ip and (not _unused or str(allocation["port"]).startswith(port))
                if ok:
                    matching.add(allocation["server_id"])
            return [row for row in rows if row["id"] in matching]
        lowered = term.lower()
        return [
            row
            for row in rows
            if row["uuid"] == term
            or row["uuid"].startswith(term)
            or row["uuid_short"] == term
            or (row.get("external_id") is not None and row["external_id"] == term)
            or lowered in str(row.get("name") or "").lower()
        ]

    return apply


@client_route("GET", "")
async def list_servers(ctx: ClientCtx) -> web.Response:
    state, user = ctx.state, ctx.user
    query = http.query(ctx.request)
    kind = query.get("type")
    servers = state.rows("servers")
    if kind in ("admin", "admin-all"):
        if not user.get("root_admin"):
            servers = []
        elif kind == "admin":
            mine = accessible_server_ids(state, user)
            servers = [s for s in servers if s["id"] not in mine]
    elif kind == "owner":
        servers = [s for s in servers if s["owner_id"] == user["id"]]
    else:
        mine = accessible_server_ids(state, user)
        servers = [s for s in servers if s["id"] in mine]
    servers = http.apply_filters(
        servers,
        query,
        {
            "uuid": ("uuid", "partial"),
            "name": ("name", "partial"),
            "description": ("description", "partial"),
            "external_id": ("external_id", "partial"),
            "*": _multi_field_filter(state),
        },
    )
    requested = http.includes(ctx.request)
    per_page = http.per_page_value(ctx.request, 50, 100)
    page = page_number(query.get("page"))
    window = servers[(page - 1) * per_page : page * per_page]
    indexes = ServerIndexes.build(state, {s["id"] for s in window})
    data = [server_item(state, user, server, requested, indexes) for server in window]
    meta = {"pagination": http.pagination_meta(ctx.request, len(servers), len(data), per_page, page, keep_query=True)}
    return json_response(list_envelope(data, meta))


@client_route("GET", "/permissions")
async def system_permissions(ctx: ClientCtx) -> web.Response:
    if ctx.state.config.has("flat_permissions"):
        from ..pelican_client import flat_permissions

        return json_response({"object": "system_permissions", "attributes": {"permissions": flat_permissions()}})
    permissions = {
        group: {"description": description, "keys": dict(keys)}
        for group, (description, keys) in PERMISSION_GROUPS.items()
    }
    return json_response({"object": "system_permissions", "attributes": {"permissions": permissions}})


@server_route("GET", "", kind="view")
async def view_server(ctx: ServerContext) -> web.Response:
    meta = {"is_server_owner": ctx.is_owner, "user_permissions": ctx.permissions()}
    return json_response(server_item(ctx.state, ctx.user, ctx.server, http.includes(ctx.request), meta=meta))


@server_route("GET", "/resources")
async def server_resources(ctx: ServerContext) -> web.Response:
    cache = runtime(ctx.state).resources_cache
    lifetime = float(extra_setting(ctx.state, "resources_cache_seconds", 20.0))
    cached = cache.get(ctx.server["uuid"])
    now = ctx.state.time()
    if cached is not None and cached[0] > now:
        stats = cached[1]
    else:
        stats = ctx.daemon().resources(ctx.server["uuid"])
        if lifetime > 0:
            cache[ctx.server["uuid"]] = (now + lifetime, stats)
    return json_response(item("stats", stats))


@server_route("POST", "/command", "control.console")
async def send_command(ctx: ServerContext) -> web.Response:
    data = http.validate(ctx.input(), {"command": "required|string|min:1"})
    try:
        ctx.daemon().send_command(ctx.server["uuid"], data["command"])
    except ServerOffline:
        if not ctx.state.config.has("command_offline_204"):  # Pelican does not surface Wings' 502
            raise ApiError(502, "HttpException", SERVER_OFFLINE_COMMAND) from None
    ctx.log("server:console.command", {"command": data["command"]})
    return empty_response(204)


@server_route("POST", "/power")
async def send_power(ctx: ServerContext) -> web.Response:
    data = ctx.input()
    signal = data.get("signal")
    # The permission depends on the signal and is checked before validation: an unknown signal is 403 for a
    # subuser (no such permission) but 422 for owners and admins.
    ctx.require(POWER_PERMISSIONS.get(signal if isinstance(signal, str) else "", "__invalid"))
    http.validate(data, {"signal": "required|string|in:start,stop,kill,restart"})
    ctx.daemon().power(ctx.server["uuid"], signal)
    ctx.log(f"server:power.{str(signal).lower()}")
    return empty_response(204)
