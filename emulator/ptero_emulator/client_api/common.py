"""What every client API controller shares: the route table, the request helpers (input, activity log,
the Wings emulation), the per-State runtime (file trees, resources cache), the server context with its route-model
bindings, the access/state gate and the per-server limiters, and the signed Wings URLs."""
from __future__ import annotations

import hashlib
import re
import secrets
import uuid as uuid_module
from dataclasses import dataclass, field
from typing import Any, Callable

from aiohttp import web

from .. import http
from ..files import FileStore, ServerFiles
from ..http import ApiError, forbidden, json_response, not_found
from ..state import ALPHANUMERIC, State, decode_database_hashid
from .identifiers import decode_realtime_identifier
from .permissions import ADMIN_PERMISSIONS

routes = web.RouteTableDef()
PREFIX = "/api/client"
SERVER = PREFIX + "/servers/{server}"


BINDING_NOT_FOUND = "The requested resource could not be found on the server."
NO_SERVER_ACCESS = "The requested resource does not exist on this server."
NOT_FOR_THIS_SERVER = "The requested resource was not found for this server."
STATE_MESSAGES = {
    "suspended": "This server is currently suspended and the functionality requested is unavailable.",
    "maintenance": "The node of this server is currently under maintenance and the functionality requested is "
                   "unavailable.",
    "installing": "This server has not yet completed its installation process, please try again later.",
    "restoring": "This server is currently restoring from a backup, please try again later.",
    "transferring": "This server is currently being transferred to a new machine, please try again later.",
    "other": "This server is currently in an unsupported state, please try again later.",
}
INVALID_PASSWORD = "The password provided was invalid for this account."
NOT_VALID_PASSWORD = "The password provided was not valid."
SERVER_OFFLINE_COMMAND = "Server must be online in order to send commands."


class ClientRuntime:
    """Per-State data that is not a panel table: file trees and the 20 s resources cache.

    It is rebuilt whenever the State's tables are replaced (reset / load), so stale trees never survive a reset.
    """

    def __init__(self, state: State) -> None:
        self.tables_ref = state.tables
        self.files = FileStore(clock=state.time)
        self.resources_cache: dict[str, tuple[float, dict[str, Any]]] = {}


def runtime(state: State) -> ClientRuntime:
    current: ClientRuntime | None = getattr(state, "_client_runtime", None)
    if current is None or current.tables_ref is not state.tables:
        current = ClientRuntime(state)
        setattr(state, "_client_runtime", current)
    return current


def files_for(state: State, server: dict[str, Any]) -> ServerFiles:
    return runtime(state).files.for_server(server["uuid"])


def request_state(request: web.Request) -> State:
    state = request.get("state")
    return state if state is not None else request.app["state"]


def request_user(request: web.Request) -> dict[str, Any]:
    return request["user"]


def extra_setting(state: State, name: str, default: Any) -> Any:
    extra = getattr(state.config, "extra", None) or {}
    return extra.get(name, default)


def request_input(request: web.Request) -> dict[str, Any]:
    """Laravel's $request->all(): query string merged with the body (body wins)."""
    data = dict(http.query(request))
    data.update(http.body(request))
    return data


def page_number(raw: Any) -> int:
    """Non-integer or < 1 page values become 1, like the paginator."""
    if isinstance(raw, str) and re.fullmatch(r"[+-]?\d+", raw):
        return max(1, int(raw))
    return 1


def int_or_none(value: Any) -> int | None:
    if value is None or isinstance(value, bool):
        return None if value is None else int(value)
    try:
        return int(float(value))
    except (TypeError, ValueError):
        return None


def php_bool(value: Any) -> bool:
    return http.to_bool(value) if value is not None else False


def gravatar(email: str) -> str:
    return "https://gravatar.com/avatar/" + hashlib.md5(email.lower().encode()).hexdigest()


def new_request_id() -> str:
    return str(uuid_module.uuid4())


def daemon_error(status: int, wings_message: str | None) -> ApiError:
    """How the panel wraps an error answer of Wings (DaemonConnectionException)."""
    request_id = new_request_id()
    if status < 500:
        detail = f"An error occurred on the remote host: {wings_message}. (request id: {request_id})"
    else:
        detail = ("There was an error while communicating with the machine running this server. This error has been "
                  f"logged, please try again. (code: {status}) (request_id: {request_id})")
    return ApiError(status, "DaemonConnectionException", detail)


def require_daemon_reachable(state: State) -> None:
    if getattr(state.config, "daemon_unreachable", False):
        raise http.daemon_unreachable()


def daemon_of(request: web.Request) -> Any:
    """The Wings emulation (lazy: this module must import before wings.py exists)."""
    require_daemon_reachable(request_state(request))
    daemon = request.app.get("daemon")
    if daemon is None:
        raise http.daemon_unreachable()
    return daemon


def log_activity(request: web.Request, event: str, properties: dict[str, Any] | None = None,
         server: dict[str, Any] | None = None, subject_user_id: int | None = None) -> None:
    state = request_state(request)
    key = request.get("api_key")
    state.log_activity(event, request_user(request)["id"], server_id=server["id"] if server else None,
                       properties=properties or {}, is_api=key is not None, ip=request.remote or "127.0.0.1",
                       api_key_id=key["id"] if key else None, subject_user_id=subject_user_id)


def random_string(length: int, alphabet: str = ALPHANUMERIC) -> str:
    return "".join(secrets.choice(alphabet) for _unused in range(length))


def panel_url(request: web.Request) -> str:
    configured = getattr(request_state(request).config, "panel_url", "") or ""
    return (configured or f"{request.scheme}://{request.host}").rstrip("/")


SIGNED_URL_LIFETIME = 15 * 60


def signed_url(ctx: ServerContext, path: str, scope: str, claims: dict[str, Any]) -> web.Response:
    """A signed Wings URL (``scope`` is written from panel 1.12.3 on: file-download, file-upload, backup-download).
    The URL points at the emulator itself, which also plays Wings' HTTP side, so clients can use it."""
    request = ctx.request
    token = request.app["daemon"].mint_token(ctx.user, ctx.server, scope, claims, lifetime=SIGNED_URL_LIFETIME,
                                             base_url=f"{request.scheme}://{request.host}")
    return json_response({"object": "signed_url", "attributes": {"url": f"{panel_url(request)}{path}?token={token}"}})


@dataclass
class ServerContext:
    """A resolved ``{server}`` plus what the current user may do on it."""

    request: web.Request
    state: State
    user: dict[str, Any]
    server: dict[str, Any]
    node: dict[str, Any]
    subuser: dict[str, Any] | None = None
    children: dict[str, Any] = field(default_factory=dict)

    @property
    def is_owner(self) -> bool:
        return self.server["owner_id"] == self.user["id"]

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

    def require(self, permission: str) -> None:
        if not self.can(permission):
            raise forbidden()


def bind_server(state: State, value: str) -> dict[str, Any]:
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


def binding_probe(request: web.Request) -> None:
    """The route-model bindings the panel resolves before any throttle (their 404 costs no rate limit): the
    server, and the child models by their global key (which server they belong to is checked later)."""
    params = request.match_info
    if "server" not in params:
        return
    state = request_state(request)
    server = bind_server(state, params["server"])
    for name, table in (("schedule", "schedules"), ("task", "tasks"), ("allocation", "allocations")):
        if name in params and state.get(table, http.int_param(params[name])) is None:
            raise not_found(BINDING_NOT_FOUND)
    if "backup" in params:
        backup = state.get("backups", params["backup"])
        if backup is None or backup.get("deleted_at"):
            raise not_found(BINDING_NOT_FOUND)
    if "database" in params:
        value = params["database"]
        decoded = decode_database_hashid(value)
        found = decoded is not None and state.get("databases", decoded) is not None
        if not found and not (re.fullmatch(r"\d{1,18}", value) and state.get("databases", int(value)) is not None):
            raise not_found(BINDING_NOT_FOUND)
    if "user" in params:
        user = state.find("users", uuid=params["user"])
        if user is None or state.find("subusers", user_id=user["id"], server_id=server["id"]) is None:
            raise not_found(BINDING_NOT_FOUND)


def resolve_server(request: web.Request) -> ServerContext:
    state = request_state(request)
    server = bind_server(state, request.match_info["server"])
    node = state.get("nodes", server["node_id"]) or {}
    subuser = state.find("subusers", server_id=server["id"], user_id=request_user(request)["id"])
    return ServerContext(request, state, request_user(request), server, node, subuser)


def blocked_reason(state: State, server: dict[str, Any], node: dict[str, Any]) -> str | None:
    """Which 409 message applies (in the panel's order), or None when the server is usable."""
    status = server.get("status")
    transferring = bool(server.get("transfer")) or bool(server.get("is_transferring"))
    blocked = (status == "suspended" or node.get("maintenance_mode") or status in ("installing", "install_failed")
               or status == "restoring_backup" or transferring)
    if not blocked:
        return None
    if status == "suspended":
        return "suspended"
    if node.get("maintenance_mode"):
        return "maintenance"
    if status in ("installing", "install_failed"):
        return "installing"
    if status == "restoring_backup":
        return "restoring"
    if transferring:
        return "transferring"
    return "other"


def gate(ctx: ServerContext, route_kind: str = "default") -> None:
    """AuthenticateServerAccess: 404 without access, then the 409 state gate.

    ``route_kind``: "view" (GET /servers/{s}: always allowed), "websocket" (root admins pass while installing,
    restoring or transferring) or "default".
    """
    if not (ctx.is_owner or ctx.is_admin or ctx.subuser is not None):
        raise not_found(NO_SERVER_ACCESS)
    reason = blocked_reason(ctx.state, ctx.server, ctx.node)
    if reason is None or route_kind == "view":
        return
    if reason in ("suspended", "maintenance"):
        raise ApiError(409, "ServerStateConflictException", STATE_MESSAGES[reason])
    if not ctx.is_admin or route_kind != "websocket":
        raise ApiError(409, "ServerStateConflictException", STATE_MESSAGES[reason])


def server_context(request: web.Request, permission: str | None = None, route_kind: str = "default",
                   bind: Callable[[ServerContext], None] | None = None, limiter: str | None = None) -> ServerContext:
    """Binding (server, then children via ``bind``), access + state gate, the route's per-server limiter (panel
    1.12+, ``limiter`` names it), then the permission check."""
    ctx = resolve_server(request)
    if bind is not None:
        bind(ctx)
    gate(ctx, route_kind)
    if limiter is not None:
        hit_server_limiter(ctx, limiter)
    if permission is not None:
        ctx.require(permission)
    return ctx


def hit_server_limiter(ctx: ServerContext, name: str) -> None:
    """Panel 1.12+ per-server limiter (ResourceLimit): keyed by the server uuid, so every user and key of the server
    shares it; it counts every request that got past the server gate, whatever happens next. Its X-RateLimit-*
    headers replace the api.client ones on the answer."""
    config = ctx.state.config
    if not config.has("server_resource_limits"):
        return
    count, period = config.server_resource_limit(name)
    decision = ctx.request.app["rate_limiter"].hit(f"api.client:server-resource:{name}", ctx.server["uuid"],
                                                   count, period)
    ctx.request["route_rate_decision"] = decision
    if not decision.allowed:
        raise ApiError(429, "ThrottleRequestsException", "Too Many Attempts.", headers=decision.failure_headers())


def bind_schedule(ctx: ServerContext) -> None:
    schedule_id = http.int_param(ctx.request.match_info["schedule"])
    schedule = ctx.state.get("schedules", schedule_id)
    if schedule is None or schedule["server_id"] != ctx.server["id"]:
        raise not_found(BINDING_NOT_FOUND)
    ctx.children["schedule"] = schedule


def bind_task(ctx: ServerContext) -> None:
    bind_schedule(ctx)
    task_id = http.int_param(ctx.request.match_info["task"])
    task = ctx.state.get("tasks", task_id)
    if task is None or task["schedule_id"] != ctx.children["schedule"]["id"]:
        raise not_found(BINDING_NOT_FOUND)
    ctx.children["task"] = task


def bind_allocation(ctx: ServerContext) -> None:
    allocation_id = http.int_param(ctx.request.match_info["allocation"])
    allocation = ctx.state.get("allocations", allocation_id)
    if allocation is None or allocation.get("server_id") != ctx.server["id"]:
        raise not_found(BINDING_NOT_FOUND)
    ctx.children["allocation"] = allocation


def bind_backup(ctx: ServerContext) -> None:
    backup = ctx.state.get("backups", ctx.request.match_info["backup"])
    if backup is None or backup.get("deleted_at") or backup["server_id"] != ctx.server["id"]:
        raise not_found(BINDING_NOT_FOUND)
    ctx.children["backup"] = backup


def bind_subuser(ctx: ServerContext) -> None:
    """``{user}`` is resolved through the server's subusers by the user's uuid."""
    user_uuid = ctx.request.match_info["user"]
    for subuser in ctx.state.select("subusers", server_id=ctx.server["id"]):
        user = ctx.state.get("users", subuser["user_id"])
        if user is not None and user["uuid"] == user_uuid:
            ctx.children["subuser"] = subuser
            ctx.children["subuser_user"] = user
            return
    raise not_found(BINDING_NOT_FOUND)


def bind_database(ctx: ServerContext) -> None:
    """Global binder: hashid or numeric id, any server (checked against the server after the gate)."""
    value = ctx.request.match_info["database"]
    database = None
    decoded = decode_database_hashid(value)
    if decoded is not None:
        database = ctx.state.get("databases", decoded)
    if database is None and re.fullmatch(r"\d{1,18}", value):
        database = ctx.state.get("databases", int(value))
    if database is None:
        raise not_found(BINDING_NOT_FOUND)
    ctx.children["database"] = database


def database_belongs(ctx: ServerContext) -> dict[str, Any]:
    database = ctx.children["database"]
    if database["server_id"] != ctx.server["id"]:
        raise not_found(NOT_FOR_THIS_SERVER)
    return database


def client_route(method: str, path: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    return http.route(routes, method, path)


def deauthorize(app: web.Application, user: dict[str, Any], server_uuids: list[str] | None) -> None:
    """Panel 1.12+ deauthorization of a user on Wings (``None``: every server the user can reach, as after a
    password change or deletion). Nothing happens on a 1.11 panel or while Wings is unreachable (the job would
    retry later)."""
    config = app["config"]
    daemon = app.get("daemon")
    if daemon is None or getattr(config, "daemon_unreachable", False):
        return
    if server_uuids is None and not config.has("deauthorize_on_password"):
        return
    if server_uuids is not None and not config.has("deauthorize_user"):
        return
    daemon.deauthorize_user(user["uuid"], server_uuids)
