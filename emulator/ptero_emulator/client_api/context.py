"""The handler convention of the client API, the same as the application API's ``Ctx``: a route is declared with
``@client_route(method, path)`` (account and global routes, ``handler(ctx: ClientCtx)``) or
``@server_route(method, path, permission, kind=, limiter=)`` (``/servers/{server}...``,
``handler(ctx: ServerContext, **children)``). The decorator binds the models of the path (404), runs the server's
access and state gate (404/409), the route's per-server limiter (panel 1.12+) and the permission check (403), in
the panel's order, and passes the bound child models as keyword arguments named like the path parameters
(``{user}`` gives ``subuser`` and ``member``, the subuser row and its user)."""

from __future__ import annotations

import functools
import re
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from .. import http
from ..http import ApiError, forbidden, json_response, not_found
from ..pelican import unfinished_install_states
from ..state import State, decode_database_hashid
from .common import (
    BINDING_NOT_FOUND,
    NO_SERVER_ACCESS,
    NOT_FOR_THIS_SERVER,
    PREFIX,
    STATE_MESSAGES,
    require_daemon_reachable,
    routes,
    throttle,
)
from .identifiers import decode_realtime_identifier
from .permissions import ADMIN_PERMISSIONS

Row = dict[str, Any]
SIGNED_URL_LIFETIME = 15 * 60
Handler = Callable[..., Awaitable[web.StreamResponse]]


class ClientCtx:
    """Per-request helpers of a client route: the state, the user, the input and the activity log."""

    def __init__(self, request: web.Request) -> None:
        self.request = request
        state = request.get("state")
        self.state: State = state if state is not None else request.app["state"]
        self.user: Row = request["user"]

    @property
    def app(self) -> web.Application:
        return self.request.app

    def input(self) -> Row:
        """Laravel's $request->all(): query string merged with the body (body wins)."""
        data = dict(http.query(self.request))
        data.update(http.body(self.request))
        return data

    def daemon(self) -> Any:
        """The Wings emulation; 504 while the emulator plays an unreachable Wings."""
        require_daemon_reachable(self.state)
        return self.app["daemon"]

    def log(self, event: str, properties: Row | None = None, subject_user_id: int | None = None) -> None:
        self._log(event, properties, None, subject_user_id)

    def _log(self, event: str, properties: Row | None, server: Row | None, subject_user_id: int | None) -> None:
        key = self.request.get("api_key")
        self.state.log_activity(
            event,
            self.user["id"],
            server_id=server["id"] if server else None,
            properties=properties or {},
            is_api=key is not None,
            ip=self.request.remote or "127.0.0.1",
            api_key_id=key["id"] if key else None,
            subject_user_id=subject_user_id,
        )


class ServerContext(ClientCtx):
    """A resolved ``{server}`` plus what the current user may do on it."""

    def __init__(self, request: web.Request) -> None:
        super().__init__(request)
        self.server = bind_server(self.state, request.match_info["server"])
        self.node: Row = self.state.get("nodes", self.server["node_id"]) or {}
        self.subuser: Row | None = self.state.find("subusers", server_id=self.server["id"], user_id=self.user["id"])

    @property
    def is_owner(self) -> bool:
        return bool(self.server["owner_id"] == self.user["id"])

    @property
    def is_admin(self) -> bool:
        return bool(self.user.get("root_admin"))

    def permissions(self) -> list[str]:
        """GetUserPermissionsService: what the websocket token and meta.user_permissions carry."""
        if self.is_admin:
            return list(ADMIN_PERMISSIONS)
        if self.is_owner:
            return ["*"]
        return list((self.subuser or {}).get("permissions") or [])

    def can(self, permission: str) -> bool:
        if self.is_owner or self.is_admin:
            return True
        return permission in ((self.subuser or {}).get("permissions") or [])

    def require(self, permission: str, message: str | None = None) -> None:
        """403: the panel's generic message, or ``message`` (an HttpForbiddenException) where a route has its own."""
        if not self.can(permission):
            raise forbidden(message, "HttpForbiddenException") if message else forbidden()

    def log(self, event: str, properties: Row | None = None, subject_user_id: int | None = None) -> None:
        """An activity entry of this server."""
        self._log(event, properties, self.server, subject_user_id)

    def signed_url(self, path: str, scope: str, claims: Row) -> web.Response:
        """A signed Wings URL (``scope`` is written from panel 1.12.3 on: file-download, file-upload,
        backup-download). It points at the emulator itself, which also plays Wings' HTTP side."""
        request = self.request
        base_url = f"{request.scheme}://{request.host}"
        token = self.app["daemon"].mint_token(
            self.user, self.server, scope, claims, lifetime=SIGNED_URL_LIFETIME, base_url=base_url
        )
        url = f"{(self.state.config.panel_url or base_url).rstrip('/')}{path}?token={token}"
        return json_response({"object": "signed_url", "attributes": {"url": url}})


# ---------------------------------------------------------------------------------------------------- binding
def bind_server(state: State, value: str) -> Row:
    """Route-model binding of ``{server}``: 8 characters match the identifier, anything else the full uuid; from
    panel 1.12 a ``serv_`` identifier too."""
    if state.config.has("serv_identifiers") and value.startswith("serv_"):
        server_uuid = decode_realtime_identifier("serv", value)
        server = state.find("servers", uuid=server_uuid) if server_uuid else None
    else:
        server = state.server_by_identifier(value)
    if server is None:
        raise not_found(BINDING_NOT_FOUND)
    return server


def find_database(state: State, value: str) -> Row | None:
    """The global database binder: hashid or numeric id, any server."""
    decoded = decode_database_hashid(value)
    database = state.get("databases", decoded) if decoded is not None else None
    if database is None and re.fullmatch(r"\d{1,18}", value):
        database = state.get("databases", int(value))
    return database


def binding_probe(request: web.Request) -> None:
    """The route-model bindings the panel resolves before any throttle (their 404 costs no rate limit): the
    server, and the child models by their global key (which server they belong to is checked later)."""
    params = request.match_info
    if "server" not in params:
        return
    state = request.get("state") or request.app["state"]
    server = bind_server(state, params["server"])
    for name, table in (("schedule", "schedules"), ("task", "tasks"), ("allocation", "allocations")):
        if name in params and state.get(table, http.int_param(params[name])) is None:
            raise not_found(BINDING_NOT_FOUND)
    if "backup" in params:
        backup = state.get("backups", params["backup"])
        if backup is None or backup.get("deleted_at"):
            raise not_found(BINDING_NOT_FOUND)
    if "database" in params and find_database(state, params["database"]) is None:
        raise not_found(BINDING_NOT_FOUND)
    if "user" in params:
        user = state.find("users", uuid=params["user"])
        if user is None or state.find("subusers", user_id=user["id"], server_id=server["id"]) is None:
            raise not_found(BINDING_NOT_FOUND)


def _owned_child(ctx: ServerContext, table: str, key: Any, owner_column: str, owner_id: Any) -> Row:
    row = ctx.state.get(table, key)
    if row is None or row.get("deleted_at") or row.get(owner_column) != owner_id:
        raise not_found(BINDING_NOT_FOUND)
    return row


def _subuser_children(ctx: ServerContext, user_uuid: str) -> Row:
    """``{user}`` is resolved through the server's subusers by the user's uuid."""
    for subuser in ctx.state.select("subusers", server_id=ctx.server["id"]):
        user = ctx.state.get("users", subuser["user_id"])
        if user is not None and user["uuid"] == user_uuid:
            return {"subuser": subuser, "member": user}
    raise not_found(BINDING_NOT_FOUND)


def bind_children(ctx: ServerContext) -> Row:
    """The models of the path below ``{server}``, each checked against its parent (404)."""
    params, server_id = ctx.request.match_info, ctx.server["id"]
    children: Row = {}
    if "schedule" in params:
        children["schedule"] = _owned_child(
            ctx, "schedules", http.int_param(params["schedule"]), "server_id", server_id
        )
    if "task" in params:
        children["task"] = _owned_child(
            ctx, "tasks", http.int_param(params["task"]), "schedule_id", children["schedule"]["id"]
        )
    if "allocation" in params:
        children["allocation"] = _owned_child(
            ctx, "allocations", http.int_param(params["allocation"]), "server_id", server_id
        )
    if "backup" in params:
        children["backup"] = _owned_child(ctx, "backups", params["backup"], "server_id", server_id)
    if "user" in params:
        children.update(_subuser_children(ctx, params["user"]))
    if "database" in params:
        # Global binder: the server it belongs to is checked after the gate (404 with its own message).
        children["database"] = find_database(ctx.state, params["database"])
        if children["database"] is None:
            raise not_found(BINDING_NOT_FOUND)
    return children


# ---------------------------------------------------------------------------------------------------- gate
def blocked_reason(
    server: Row, node: Row, install_states: tuple[str, ...] = ("installing", "install_failed")
) -> str | None:
    """Which 409 message applies (in the panel's order), or None when the server is usable."""
    status = server.get("status")
    if status == "suspended":
        return "suspended"
    if node.get("maintenance_mode"):
        return "maintenance"
    if status in install_states:
        return "installing"
    if status == "restoring_backup":
        return "restoring"
    if server.get("transfer") or server.get("is_transferring"):
        return "transferring"
    return None


def gate(ctx: ServerContext, kind: str = "default") -> None:
    """AuthenticateServerAccess: 404 without access, then the 409 state gate.

    ``kind``: "view" (GET /servers/{s}: always allowed), "websocket" (root admins pass while installing,
    restoring or transferring) or "default".
    """
    if not (ctx.is_owner or ctx.is_admin or ctx.subuser is not None):
        raise not_found(NO_SERVER_ACCESS)
    reason = blocked_reason(ctx.server, ctx.node, unfinished_install_states(ctx.state.config))
    if reason is None or kind == "view":
        return
    if reason in ("suspended", "maintenance") or not ctx.is_admin or kind != "websocket":
        raise ApiError(409, "ServerStateConflictException", STATE_MESSAGES[reason])


def hit_server_limiter(ctx: ServerContext, name: str) -> None:
    """Panel 1.12+ per-server limiter (ResourceLimit): keyed by the server uuid, so every user and key of the server
    shares it; it counts every request that got past the server gate, whatever happens next. Its X-RateLimit-*
    headers replace the api.client ones on the answer."""
    config = ctx.state.config
    if config.has("server_resource_limits"):
        count, period = config.server_resource_limit(name)
        throttle(ctx.request, f"api.client:server-resource:{name}", ctx.server["uuid"], count, period)


# ---------------------------------------------------------------------------------------------------- routes
def client_route(method: str, path: str) -> Callable[[Handler], Handler]:
    """An account or global route (``/api/client`` + ``path``): ``handler(ctx: ClientCtx)``."""

    def decorator(handler: Handler) -> Handler:
        @functools.wraps(handler)
        async def wrapper(request: web.Request) -> web.StreamResponse:
            return await handler(ClientCtx(request))

        http.route(routes, method, PREFIX + path)(wrapper)
        return wrapper

    return decorator


def server_route(
    method: str, path: str, permission: str | None = None, *, kind: str = "default", limiter: str | None = None
) -> Callable[[Handler], Handler]:
    """A server route (``/api/client/servers/{server}`` + ``path``): bindings, access + state gate, the database's
    server, the per-server limiter named ``limiter``, then ``permission`` (None: the handler checks its own)."""

    def decorator(handler: Handler) -> Handler:
        @functools.wraps(handler)
        async def wrapper(request: web.Request) -> web.StreamResponse:
            ctx = ServerContext(request)
            children = bind_children(ctx)
            gate(ctx, kind)
            if "database" in children and children["database"]["server_id"] != ctx.server["id"]:
                raise not_found(NOT_FOR_THIS_SERVER)
            if limiter is not None:
                hit_server_limiter(ctx, limiter)
            if permission is not None:
                ctx.require(permission)
            return await handler(ctx, **children)

        http.route(routes, method, PREFIX + "/servers/{server}" + path)(wrapper)
        return wrapper

    return decorator
