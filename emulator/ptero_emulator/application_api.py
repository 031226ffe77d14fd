"""The 42 routes of /api/application (spec §8-§10): users, nodes, allocations, locations, servers, server
databases, nests and eggs, with the panel's validation, includes, filters, sorts and quirks."""

from __future__ import annotations

import functools
import ipaddress
import json
import re
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from .http import (
    ApiError,
    Check,
    Includes,
    ValidationFailed,
    apply_filters,
    apply_sort,
    body,
    collation_key,
    collect_failures,
    conflict,
    daemon_unreachable,
    display_error,
    empty_response,
    forbidden,
    includes,
    int_param,
    item,
    json_response,
    list_envelope,
    not_found,
    null_resource,
    paginate,
    query,
    route,
    server_error,
    sub_includes,
    to_bool,
    user_email_rules,
    validate,
)
from .state import ACL_READ, ACL_WRITE, KEY_TYPE_APPLICATION, State, decode_database_hashid, insert_allocation

routes = web.RouteTableDef()

PREFIX = "/api/application"
DEFAULT_DAEMON_BASE = "/var/lib/pterodactyl/volumes"
DOCKER_IMAGE_REGEX = r"regex:/^~?[\w\.\/\-:@ ]*$/"
THREADS_REGEX = r"regex:/^[0-9-,]+$/"
PORT_RANGE = re.compile(r"^(\d{4,5})-(\d{4,5})$")
CIDR_MIN_MASK, CIDR_MAX_MASK = 25, 32
PORT_FLOOR, PORT_CEIL, PORT_RANGE_LIMIT = 1024, 65535, 1000
SPECIAL_PASSWORD_CHARACTERS = "!@=.+^"
CONFIG_NOT_PERSISTED = (
    "The daemon configuration <strong>has been updated</strong>, however there was an error encountered while "
    "attempting to automatically update the configuration file on the Daemon. You will need to manually update the "
    "configuration file (config.yml) for the daemon to apply these changes."
)
CONFIG_NOT_PERSISTED_PLAIN = CONFIG_NOT_PERSISTED.replace("<strong>", "").replace("</strong>", "")  # 1.12+

Row = dict[str, Any]


# ====================================================================== context, binding and ACL
class Ctx:
    """Per-request helpers: the state, the key's read permissions for includes, and URL building."""

    def __init__(self, request: web.Request) -> None:
        self.request = request
        self.state: State = request["state"]
        self.key: Row = request["api_key"]
        self.base_url = f"{request.scheme}://{request.host}"

    def can_read(self, resource: str) -> bool:
        """Includes need the READ bit of their resource; account keys of admins may include everything."""
        if self.key["key_type"] != KEY_TYPE_APPLICATION:
            return True
        return bool(int(self.key.get(resource) or 0) & ACL_READ)


def _bind(request: web.Request, state: State) -> dict[str, Row]:
    """Route-model binding the panel's way (404 "The requested resource could not be found on the server.")."""
    params = request.match_info
    bound: dict[str, Row] = {}
    simple = {
        "user": "users",
        "node": "nodes",
        "location": "locations",
        "server": "servers",
        "nest": "nests",
        "mount": "mounts",
        "database_host": "database_hosts",
        "role": "roles",
    }
    for name, table in simple.items():
        if name in params:
            row = state.get(table, int_param(params[name]))
            if row is None:
                raise not_found()
            bound[name] = row
    if "allocation" in params:
        allocation = state.get("allocations", int_param(params["allocation"]))
        if allocation is None or allocation["node_id"] != bound["node"]["id"]:
            raise not_found()
        bound["allocation"] = allocation
    if "egg" in params:
        egg = state.get("eggs", int_param(params["egg"]))
        if egg is None or ("nest" in bound and egg["nest_id"] != bound["nest"]["id"]):  # Pelican: flat /eggs
            raise not_found()
        bound["egg"] = egg
    if "database" in params:
        # Global binder: numeric id or client hashid, NOT checked against {server} (a panel quirk).
        raw = params["database"]
        database_id = int(raw) if raw.isdigit() else decode_database_hashid(raw)
        database = state.get("databases", database_id) if database_id else None
        if database is None:
            raise not_found()
        bound["database"] = database
    return bound


def binding_probe(request: web.Request) -> None:
    """The gate runs the bindings before the throttle: a 404 from them carries no rate-limit headers."""
    _bind(request, request["state"])


RouteHandler = Callable[..., Awaitable[web.StreamResponse]]
# Flavour hooks, filled by pelican_api: this module is the Pterodactyl baseline. (method, path) -> (feature,
# handler) replaces a route's handler while config.has(feature); object name -> (feature, adjust(ctx, row,
# requested, obj) -> obj) reshapes a transformer's output (includes too).
ROUTE_OVERRIDES: dict[tuple[str, str], tuple[str, RouteHandler]] = {}
OBJECT_ADJUSTERS: dict[str, tuple[str, Callable[..., Row]]] = {}


def app_route(
    method: str, path: str, resource: str, permission: int, table: web.RouteTableDef | None = None
) -> Callable[[RouteHandler], Callable[..., Any]]:
    """Register an application route (in ``table``, default this module's): bind models, then check the key's
    ACL bit (403 before validation)."""

    def decorator(handler: RouteHandler) -> Callable[..., Any]:
        @functools.wraps(handler)
        async def wrapper(request: web.Request) -> web.StreamResponse:
            ctx = Ctx(request)
            bound = _bind(request, ctx.state)
            denied = request.get("application_denied")
            if denied is not None:
                raise denied  # the owner of the key is not a root admin
            key = ctx.key
            if key["key_type"] == KEY_TYPE_APPLICATION and not int(key.get(resource) or 0) & permission:
                raise forbidden()
            override = ROUTE_OVERRIDES.get((method, path))
            if override is not None and ctx.state.config.has(override[0]):
                return await override[1](ctx, **bound)
            return await handler(ctx, **bound)

        route(routes if table is None else table, method, PREFIX + path)(wrapper)
        return wrapper

    return decorator


def override_route(method: str, path: str, feature: str) -> Callable[[RouteHandler], RouteHandler]:
    """Serve (method, path) with the decorated handler instead while config.has(feature)."""

    def decorator(handler: RouteHandler) -> RouteHandler:
        ROUTE_OVERRIDES[(method, path)] = (feature, handler)
        return handler

    return decorator


def adjust_object(name: str, feature: str) -> Callable[[Callable[..., Row]], Callable[..., Row]]:
    """Reshape the ``name`` transformer's output while config.has(feature)."""

    def decorator(adjust: Callable[..., Row]) -> Callable[..., Row]:
        OBJECT_ADJUSTERS[name] = (feature, adjust)
        return adjust

    return decorator


def _flavoured(name: str, ctx: Ctx, row: Row, requested: Includes, obj: Row) -> Row:
    adjuster = OBJECT_ADJUSTERS.get(name)
    if adjuster is None or not ctx.state.config.has(adjuster[0]):
        return obj
    return adjuster[1](ctx, row, requested, obj)


READ, WRITE = ACL_READ, ACL_WRITE


# ====================================================================== transformers
def _list(objects: list[Row]) -> Row:
    return list_envelope(objects)


def _relationships(
    ctx: Ctx, attributes: Row, requested: Includes, available: dict[str, tuple[str, Callable[[Includes], Row]]]
) -> Row:
    """Render requested includes into attributes.relationships; without the READ bit -> null_resource."""
    relationships: Row = {}
    for name, (resource, render) in available.items():
        if name not in requested:
            continue
        relationships[name] = render(sub_includes(requested, name)) if ctx.can_read(resource) else null_resource()
    if relationships:
        attributes["relationships"] = relationships
    return attributes


def user_object(ctx: Ctx, user: Row, requested: Includes = frozenset()) -> Row:
    attributes = {
        "id": user["id"],
        "external_id": user["external_id"],
        "uuid": user["uuid"],
        "username": user["username"],
        "email": user["email"],
        "first_name": user["name_first"],
        "last_name": user["name_last"],
        "language": user["language"],
        "root_admin": bool(user["root_admin"]),
        "2fa": bool(user["use_totp"]),
        "created_at": user["created_at"],
        "updated_at": user["updated_at"],
    }
    return _flavoured(
        "user",
        ctx,
        user,
        requested,
        item(
            "user",
            _relationships(
                ctx,
                attributes,
                requested,
                {
                    "servers": (
                        "r_servers",
                        lambda sub: _list(
                            [
                                server_object(ctx, s, sub)
                                for s in ctx.state.rows("servers")
                                if s["owner_id"] == user["id"]
                            ]
                        ),
                    ),
                },
            ),
        ),
    )


def server_environment(state: State, server: Row) -> Row:
    environment: Row = dict(state.server_environment(server))
    node = state.get("nodes", server["node_id"])
    location = state.get("locations", node["location_id"]) if node else None
    environment["STARTUP"] = server["startup"]
    environment["P_SERVER_LOCATION"] = location["short"] if location else None
    environment["P_SERVER_UUID"] = server["uuid"]
    environment["P_SERVER_ALLOCATION_LIMIT"] = server["allocation_limit"]
    return environment


def server_object(ctx: Ctx, server: Row, requested: Includes = frozenset()) -> Row:
    state = ctx.state
    attributes = {
        "id": server["id"],
        "external_id": server["external_id"],
        "uuid": server["uuid"],
        "identifier": server["uuid_short"],
        "name": server["name"],
        "description": server["description"],
        "status": server["status"],
        "suspended": server["status"] == "suspended",
        "limits": {
            "memory": server["memory"],
            "swap": server["swap"],
            "disk": server["disk"],
            "io": server["io"],
            "cpu": server["cpu"],
            "threads": server["threads"],
            "oom_disabled": bool(server["oom_disabled"]),
        },
        "feature_limits": {
            "databases": server["database_limit"],
            "allocations": server["allocation_limit"],
            "backups": server["backup_limit"],
        },
        "user": server["owner_id"],
        "node": server["node_id"],
        "allocation": server["allocation_id"],
        "nest": server["nest_id"],
        "egg": server["egg_id"],
        "container": {
            "startup_command": server["startup"],
            "image": server["image"],
            "installed": 0 if server["status"] in ("installing", "install_failed") else 1,
            "environment": server_environment(state, server),
        },
        "updated_at": server["updated_at"],
        "created_at": server["created_at"],
    }
    if "transfer" in requested:
        raise server_error("BadMethodCallException")  # declared include without an include method

    def one(table: str, key: Any, render: Callable[[Row, Includes], Row]) -> Callable[[Includes], Row]:
        def build(sub: Includes) -> Row:
            row = state.get(table, key)
            return render(row, sub) if row is not None else null_resource()

        return build

    node = state.get("nodes", server["node_id"])
    return _flavoured(
        "server",
        ctx,
        server,
        requested,
        item(
            "server",
            _relationships(
                ctx,
                attributes,
                requested,
                {
                    "allocations": (
                        "r_allocations",
                        lambda sub: _list(
                            [allocation_object(ctx, a, sub) for a in state.server_allocations(server["id"])]
                        ),
                    ),
                    "user": ("r_users", one("users", server["owner_id"], lambda r, sub: user_object(ctx, r, sub))),
                    "subusers": (
                        "r_users",
                        lambda sub: _list(
                            [subuser_object(ctx, s, sub) for s in state.select("subusers", server_id=server["id"])]
                        ),
                    ),
                    "nest": ("r_nests", one("nests", server["nest_id"], lambda r, sub: nest_object(ctx, r, sub))),
                    "egg": ("r_eggs", one("eggs", server["egg_id"], lambda r, sub: egg_object(ctx, r, sub))),
                    "variables": (
                        "r_servers",
                        lambda sub: _list(
                            [server_variable_object(ctx, server, v, sub) for v in state.egg_variables(server["egg_id"])]
                        ),
                    ),
                    "location": (
                        "r_locations",
                        one(
                            "locations",
                            node["location_id"] if node else None,
                            lambda r, sub: location_object(ctx, r, sub),
                        ),
                    ),
                    "node": ("r_nodes", one("nodes", server["node_id"], lambda r, sub: node_object(ctx, r, sub))),
                    "databases": (
                        "r_server_databases",
                        lambda sub: _list(
                            [
                                database_object(ctx, d, sub, object_name="databases")
                                for d in state.select("databases", server_id=server["id"])
                            ]
                        ),
                    ),
                },
            ),
        ),
    )


def node_object(
    ctx: Ctx,
    node: Row,
    requested: Includes = frozenset(),
    extra: Row | None = None,
) -> Row:
    state = ctx.state
    memory, disk = state.node_allocated(node["id"])
    attributes: Row = {
        "id": node["id"],
        "uuid": node["uuid"],
        "public": bool(node["public"]),
        "name": node["name"],
        "description": node["description"],
        "location_id": node["location_id"],
        "fqdn": node["fqdn"],
        "scheme": node["scheme"],
        "behind_proxy": bool(node["behind_proxy"]),
        "maintenance_mode": bool(node["maintenance_mode"]),
        "memory": node["memory"],
        "memory_overallocate": node["memory_overallocate"],
        "disk": node["disk"],
        "disk_overallocate": node["disk_overallocate"],
        "upload_size": node["upload_size"],
        "daemon_listen": node["daemon_listen"],
        "daemon_sftp": node["daemon_sftp"],
        "daemon_base": node["daemon_base"],
        "created_at": node["created_at"],
        "updated_at": node["updated_at"],
    }
    attributes.update(extra or {})
    attributes["allocated_resources"] = {"memory": memory, "disk": disk}
    return _flavoured(
        "node",
        ctx,
        node,
        requested,
        item(
            "node",
            _relationships(
                ctx,
                attributes,
                requested,
                {
                    "allocations": (
                        "r_allocations",
                        lambda sub: _list(
                            [allocation_object(ctx, a, sub) for a in state.select("allocations", node_id=node["id"])]
                        ),
                    ),
                    "location": (
                        "r_locations",
                        lambda sub: _maybe(
                            state.get("locations", node["location_id"]), lambda r: location_object(ctx, r, sub)
                        ),
                    ),
                    "servers": (
                        "r_servers",
                        lambda sub: _list(
                            [server_object(ctx, s, sub) for s in state.select("servers", node_id=node["id"])]
                        ),
                    ),
                },
            ),
        ),
    )


def _maybe(row: Row | None, render: Callable[[Row], Row]) -> Row:
    return render(row) if row is not None else null_resource()


def location_object(ctx: Ctx, location: Row, requested: Includes = frozenset()) -> Row:
    state = ctx.state
    attributes = {
        "id": location["id"],
        "short": location["short"],
        "long": location["long"],
        "updated_at": location["updated_at"],
        "created_at": location["created_at"],
    }

    def servers(sub: Includes) -> Row:
        node_ids = {n["id"] for n in state.rows("nodes") if n["location_id"] == location["id"]}
        return _list([server_object(ctx, s, sub) for s in state.rows("servers") if s["node_id"] in node_ids])

    return item(
        "location",
        _relationships(
            ctx,
            attributes,
            requested,
            {
                "nodes": (
                    "r_nodes",
                    lambda sub: _list(
                        [node_object(ctx, n, sub) for n in state.rows("nodes") if n["location_id"] == location["id"]]
                    ),
                ),
                "servers": ("r_servers", servers),
            },
        ),
    )


def allocation_object(
    ctx: Ctx,
    allocation: Row,
    requested: Includes = frozenset(),
) -> Row:
    state = ctx.state
    attributes = {
        "id": allocation["id"],
        "ip": allocation["ip"],
        "alias": allocation["ip_alias"],
        "port": allocation["port"],
        "notes": allocation["notes"],
        "assigned": allocation["server_id"] is not None,
    }
    return item(
        "allocation",
        _relationships(
            ctx,
            attributes,
            requested,
            {
                "node": (
                    "r_nodes",
                    lambda sub: _maybe(state.get("nodes", allocation["node_id"]), lambda r: node_object(ctx, r, sub)),
                ),
                "server": (
                    "r_servers",
                    lambda sub: _maybe(
                        state.get("servers", allocation["server_id"]) if allocation["server_id"] else None,
                        lambda r: server_object(ctx, r, sub),
                    ),
                ),
            },
        ),
    )


def nest_object(ctx: Ctx, nest: Row, requested: Includes = frozenset()) -> Row:
    state = ctx.state
    attributes = {
        "id": nest["id"],
        "uuid": nest["uuid"],
        "author": nest["author"],
        "name": nest["name"],
        "description": nest["description"],
        "created_at": nest["created_at"],
        "updated_at": nest["updated_at"],
    }
    return item(
        "nest",
        _relationships(
            ctx,
            attributes,
            requested,
            {
                "eggs": (
                    "r_eggs",
                    lambda sub: _list([egg_object(ctx, e, sub) for e in state.select("eggs", nest_id=nest["id"])]),
                ),
                "servers": (
                    "r_servers",
                    lambda sub: _list(
                        [server_object(ctx, s, sub) for s in state.rows("servers") if s["nest_id"] == nest["id"]]
                    ),
                ),
            },
        ),
    )


def json_or(text: str | None, default: Any) -> Any:
    """An egg's JSON column as the panel renders it: PHP decodes into arrays, so an empty object comes back as []
    (real-panel-1.12.2.md D13; the same PHP behaviour in 1.11)."""
    if not text:
        return default
    try:
        value = json.loads(text)
    except ValueError:
        return default
    if value is None:
        return default
    return [] if value == {} else value


def egg_object(ctx: Ctx, egg: Row, requested: Includes = frozenset()) -> Row:
    state = ctx.state
    images = egg["docker_images"] or {}
    attributes = {
        "id": egg["id"],
        "uuid": egg["uuid"],
        "name": egg["name"],
        "nest": egg["nest_id"],
        "author": egg["author"],
        "description": egg["description"],
        "docker_image": next(iter(images.values()), ""),
        "docker_images": images,
        "config": {
            "files": json_or(egg["config_files"], {}),
            "startup": json_or(egg["config_startup"], {}),
            "stop": egg["config_stop"],
            "logs": json_or(egg["config_logs"], {}),
            "file_denylist": egg["file_denylist"],
            "extends": egg["config_from"],
        },
        "startup": egg["startup"],
        "script": {
            "privileged": bool(egg["script_is_privileged"]),
            "install": egg["script_install"],
            "entry": egg["script_entry"],
            "container": egg["script_container"],
            "extends": egg["copy_script_from"],
        },
        "created_at": egg["created_at"],
        "updated_at": egg["updated_at"],
    }

    def config(sub: Includes) -> Row:
        parent = state.get("eggs", egg["config_from"]) if egg["config_from"] else None
        if parent is None:
            return null_resource()
        return item(
            None,
            {
                "files": json_or(parent["config_files"], {}),
                "startup": json_or(parent["config_startup"], {}),
                "stop": parent["config_stop"],
                "logs": json_or(parent["config_logs"], {}),
            },
        )

    def script(sub: Includes) -> Row:
        parent = state.get("eggs", egg["copy_script_from"]) if egg["copy_script_from"] else None
        if parent is None:
            return null_resource()
        return item(
            None,
            {
                "privileged": bool(parent["script_is_privileged"]),
                "install": parent["script_install"],
                "entry": parent["script_entry"],
                "container": parent["script_container"],
            },
        )

    if "config" in requested or "script" in requested:
        _flavoured("egg_includes", ctx, egg, requested, {})
    return _flavoured(
        "egg",
        ctx,
        egg,
        requested,
        item(
            "egg",
            _relationships(
                ctx,
                attributes,
                requested,
                {
                    "nest": (
                        "r_nests",
                        lambda sub: _maybe(state.get("nests", egg["nest_id"]), lambda r: nest_object(ctx, r, sub)),
                    ),
                    "servers": (
                        "r_servers",
                        lambda sub: _list(
                            [server_object(ctx, s, sub) for s in state.rows("servers") if s["egg_id"] == egg["id"]]
                        ),
                    ),
                    "variables": (
                        "r_eggs",
                        lambda sub: _list([egg_variable_object(v) for v in state.egg_variables(egg["id"])]),
                    ),
                    "config": ("r_eggs", config),
                    "script": ("r_eggs", script),
                },
            ),
        ),
    )


def egg_variable_object(variable: Row) -> Row:
    return item(
        "egg_variable",
        {
            "id": variable["id"],
            "egg_id": variable["egg_id"],
            "name": variable["name"],
            "description": variable["description"],
            "env_variable": variable["env_variable"],
            "default_value": variable["default_value"],
            "user_viewable": bool(variable["user_viewable"]),
            "user_editable": bool(variable["user_editable"]),
            "rules": variable["rules"],
            "created_at": variable["created_at"],
            "updated_at": variable["updated_at"],
        },
    )


def server_variable_object(ctx: Ctx, server: Row, variable: Row, requested: Includes) -> Row:
    if "parent" in requested:
        raise server_error("RelationNotFoundException")  # the include loads a relation that does not exist
    stored = ctx.state.find("server_variables", server_id=server["id"], variable_id=variable["id"])
    attributes = dict(egg_variable_object(variable)["attributes"])
    attributes["server_value"] = stored["variable_value"] if stored else None
    return item("server_variable", attributes)


def database_object(
    ctx: Ctx,
    database: Row,
    requested: Includes = frozenset(),
    object_name: str = "server_database",
) -> Row:
    state = ctx.state
    attributes = {
        "id": database["id"],
        "server": database["server_id"],
        "host": database["database_host_id"],
        "database": database["database"],
        "username": database["username"],
        "remote": database["remote"],
        "max_connections": database["max_connections"],
        "created_at": database["created_at"],
        "updated_at": database["updated_at"],
    }
    relationships: Row = {}
    if "password" in requested:  # not permission-checked in the panel
        relationships["password"] = item("database_password", {"password": database["password"]})
    if "host" in requested:
        host = state.get("database_hosts", database["database_host_id"])
        relationships["host"] = (
            database_host_object(ctx, host, sub_includes(requested, "host"))
            if ctx.can_read("r_database_hosts") and host
            else null_resource()
        )
    if relationships:
        attributes["relationships"] = relationships
    return item(object_name, attributes)


def database_host_object(ctx: Ctx, host: Row, requested: Includes) -> Row:
    attributes = {
        "id": host["id"],
        "name": host["name"],
        "host": host["host"],
        "port": host["port"],
        "username": host["username"],
        "node": host["node_id"],
        "created_at": host["created_at"],
        "updated_at": host["updated_at"],
    }
    return item(
        "database_host",
        _relationships(
            ctx,
            attributes,
            requested,
            {
                "databases": (
                    "r_server_databases",
                    lambda sub: _list(
                        [
                            database_object(ctx, d, sub)
                            for d in ctx.state.rows("databases")
                            if d["database_host_id"] == host["id"]
                        ]
                    ),
                ),
            },
        ),
    )


def subuser_object(ctx: Ctx, subuser: Row, requested: Includes) -> Row:
    state = ctx.state
    attributes = {
        "id": subuser["id"],
        "user_id": subuser["user_id"],
        "server_id": subuser["server_id"],
        "permissions": list(subuser["permissions"]),
        "created_at": subuser["created_at"],
        "updated_at": subuser["updated_at"],
    }
    return item(
        "subuser",
        _relationships(
            ctx,
            attributes,
            requested,
            {
                "user": (
                    "r_users",
                    lambda sub: _maybe(state.get("users", subuser["user_id"]), lambda r: user_object(ctx, r, sub)),
                ),
                "server": (
                    "r_servers",
                    lambda sub: _maybe(
                        state.get("servers", subuser["server_id"]), lambda r: server_object(ctx, r, sub)
                    ),
                ),
            },
        ),
    )


# ====================================================================== shared validation helpers
def unique(
    state: State,
    table: str,
    column: str,
    ignore_id: int | None = None,
    where: Callable[[Row], bool] | None = None,
    transform: Callable[[Any], Any] | None = None,
) -> Check:
    """Laravel's unique rule (case- and accent-insensitive like MySQL's default collation)."""

    def passes(value: Any, path: str, data: Row) -> bool:
        needle = transform(value) if transform else value
        needle_text = collation_key(needle)
        for row in state.rows(table):
            if ignore_id is not None and row["id"] == ignore_id:
                continue
            if where is not None and not where(row):
                continue
            if row.get(column) is not None and collation_key(row[column]) == needle_text:
                return False
        return True

    return Check("unique", passes)


def exists(state: State, table: str, where: Callable[[Row], bool] | None = None) -> Check:
    """Laravel's exists rule on the id column."""

    def passes(value: Any, path: str, data: Row) -> bool:
        try:
            row = state.get(table, int(str(value)))
        except (TypeError, ValueError):
            return False
        return row is not None and (where is None or where(row))

    return Check("exists", passes)


def as_int(value: Any) -> int | None:
    """What MySQL stores for a validated numeric value in an integer column."""
    if value is None:
        return None
    if isinstance(value, bool):
        return int(value)
    return int(float(value))


def daemon(ctx: Ctx) -> Any:
    return ctx.request.app.get("daemon")


def ensure_daemon_reachable(ctx: Ctx) -> None:
    if ctx.request.app["config"].daemon_unreachable:
        raise wings_unreachable(ctx)


def wings_unreachable(ctx: Ctx) -> ApiError:
    """Pterodactyl: 504 DaemonConnectionException; Pelican: a generic 500 ConnectionException (pelican.md §3.8)."""
    if ctx.state.config.has("wings_errors_500"):
        return server_error("ConnectionException")
    return daemon_unreachable()


def created(obj: Row, resource_url: str | None) -> web.Response:
    if resource_url is not None:
        obj = dict(obj)
        obj["meta"] = {"resource": resource_url}
    return json_response(obj, status=201)


# ====================================================================== users
# The Form Requests' attributes(): the names their validation messages use (1.11.8 already had them).
USER_ATTRIBUTES = {"external_id": "Third Party Identifier", "root_admin": "Root Administrator Status"}
NODE_ATTRIBUTES = {
    "daemon_base": "Daemon Base Path",
    "upload_size": "File Upload Size Limit",
    "location_id": "Location",
    "public": "Node Visibility",
}
LOCATION_ATTRIBUTES = {"long": "Location Description", "short": "Location Identifier"}
SERVER_DETAILS_ATTRIBUTES = {"user": "User ID", "name": "Server Name"}
SERVER_BUILD_ATTRIBUTES = {
    "add_allocations": "allocations to add",
    "remove_allocations": "allocations to remove",
    "add_allocations.*": "allocation to add",
    "remove_allocations.*": "allocation to remove",
    "feature_limits.databases": "Database Limit",
    "feature_limits.allocations": "Allocation Limit",
    "feature_limits.backups": "Backup Limit",
}
DATABASE_ATTRIBUTES = {
    "host": "Database Host Server ID",
    "remote": "Remote Connection String",
    "database": "Database Name",
}


def user_rules(state: State, ignore_id: int | None = None) -> dict[str, Any]:
    return {
        "external_id": ["sometimes", "nullable", "string", "max:191", unique(state, "users", "external_id", ignore_id)],
        "email": user_email_rules(state.config, unique(state, "users", "email", ignore_id)),
        "username": [
            "required",
            "between:1,191",
            unique(state, "users", "username", ignore_id, transform=lambda v: str(v).lower()),
            "p_username",
        ],
        "first_name": "required|string|between:1,191",
        "last_name": "required|string|between:1,191",
        "password": "sometimes|nullable|string",
        "language": "string|in:en",
        "root_admin": "boolean",
    }


@app_route("GET", "/users", "r_users", READ)
async def users_index(ctx: Ctx) -> web.Response:
    q = query(ctx.request)
    rows = apply_filters(
        ctx.state.rows("users"),
        q,
        {
            "email": ("email", "partial"),
            "uuid": ("uuid", "partial"),
            "username": ("username", "partial"),
            "external_id": ("external_id", "partial"),
        },
    )
    rows = apply_sort(rows, q, ["id", "uuid"])
    requested = includes(ctx.request)
    return json_response(paginate(ctx.request, rows, lambda r: user_object(ctx, r, requested)))


@app_route("GET", "/users/{user}", "r_users", READ)
async def users_view(ctx: Ctx, user: Row) -> web.Response:
    return json_response(user_object(ctx, user, includes(ctx.request)))


@app_route("GET", "/users/external/{external_id}", "r_users", READ)
async def users_external(ctx: Ctx) -> web.Response:
    user = ctx.state.find("users", external_id=ctx.request.match_info["external_id"])
    if user is None:
        raise not_found()
    return json_response(user_object(ctx, user, includes(ctx.request)))


@app_route("POST", "/users", "r_users", WRITE)
async def users_store(ctx: Ctx) -> web.Response:
    state = ctx.state
    data = validate(body(ctx.request), user_rules(state), USER_ATTRIBUTES)
    user = {
        "external_id": data.get("external_id"),
        "uuid": state.new_uuid(),
        "username": data["username"].lower(),
        "email": data["email"],
        "name_first": data["first_name"],
        "name_last": data["last_name"],
        "password": None,
        "language": data.get("language") or "en",
        "root_admin": to_bool(data.get("root_admin", False)),
        "use_totp": False,
        "totp_secret": None,
        "totp_authenticated_at": None,
        "recovery_tokens": [],
        "gravatar": True,
    }
    state.set_password(user, data.get("password") or state.random_string(32))
    state.insert("users", user)
    if state.config.has("user_create_activity"):
        # 1.13.0: logged with the new user as subject, so it shows in their account activity.
        key = ctx.key
        state.log_activity(
            "user:user.create",
            key["user_id"],
            properties={},
            ip=ctx.request.remote or "127.0.0.1",
            api_key_id=key["id"],
            subject_user_id=user["id"],
        )
    return created(user_object(ctx, user, includes(ctx.request)), f"{ctx.base_url}{PREFIX}/users/{user['id']}")


@app_route("PATCH", "/users/{user}", "r_users", WRITE)
async def users_update(ctx: Ctx, user: Row) -> web.Response:
    state = ctx.state
    data = validate(body(ctx.request), user_rules(state, ignore_id=user["id"]), USER_ATTRIBUTES)
    changes: Row = {
        "email": data["email"],
        "username": data["username"].lower(),
        "name_first": data["first_name"],
        "name_last": data["last_name"],
    }
    if "external_id" in data:
        changes["external_id"] = data["external_id"]
    if "language" in data and data["language"] is not None:
        changes["language"] = data["language"]
    if "root_admin" in data and data["root_admin"] is not None:
        changes["root_admin"] = to_bool(data["root_admin"])
    state.update("users", user, changes)
    if data.get("password"):
        state.set_password(user, data["password"])
        _deauthorize(ctx, user, None)  # panel 1.12.1+: a password change closes the user's sockets
    return json_response(user_object(ctx, user, includes(ctx.request)))


def _deauthorize(ctx: Ctx, user: Row, server_uuids: list[str] | None) -> None:
    from .client_api import deauthorize

    deauthorize(ctx.request.app, user, server_uuids)


@app_route("DELETE", "/users/{user}", "r_users", WRITE)
async def users_delete(ctx: Ctx, user: Row) -> web.Response:
    if any(s["owner_id"] == user["id"] for s in ctx.state.rows("servers")):
        raise display_error(
            "Cannot delete a user with active servers attached to their account. Please delete "
            "their servers before continuing."
        )
    ctx.state.delete_user(user["id"])
    _deauthorize(ctx, user, None)  # panel 1.12.1+
    return empty_response(204)


# ====================================================================== nodes
def node_rules(state: State) -> dict[str, Any]:
    rules = _node_rules_1_11(state)
    if state.config.has("node_description"):
        # Panel 1.12.0: description settable, upload_size without its 1024 MiB ceiling.
        rules["upload_size"] = "integer|min:1"
        rules["description"] = "string|nullable"
    return rules


def _node_rules_1_11(state: State) -> dict[str, Any]:
    return {
        "name": r"required|regex:/^([\w .-]{1,100})$/",
        "location_id": ["required", exists(state, "locations")],
        "fqdn": "required|string",
        "scheme": "required",
        "public": "boolean",
        "behind_proxy": "boolean",
        "maintenance_mode": "boolean",
        "memory": "required|numeric|min:1",
        "memory_overallocate": "required|numeric|min:-1",
        "disk": "required|numeric|min:1",
        "disk_overallocate": "required|numeric|min:-1",
        "upload_size": "integer|between:1,1024",
        "daemon_listen": "required|numeric|between:1,65535",
        "daemon_sftp": "required|numeric|between:1,65535",
        "daemon_base": r"sometimes|required|regex:/^([\/][\d\w.\-\/]+)$/",
    }


def _node_columns(data: Row) -> Row:
    columns: Row = {
        "name": data["name"],
        "location_id": int(data["location_id"]),
        "fqdn": data["fqdn"],
        "scheme": data["scheme"],
        "memory": as_int(data["memory"]),
        "memory_overallocate": as_int(data["memory_overallocate"]),
        "disk": as_int(data["disk"]),
        "disk_overallocate": as_int(data["disk_overallocate"]),
        "daemon_listen": as_int(data["daemon_listen"]),
        "daemon_sftp": as_int(data["daemon_sftp"]),
    }
    for flag in ("public", "behind_proxy", "maintenance_mode"):
        if data.get(flag) is not None:
            columns[flag] = to_bool(data[flag])
    if data.get("upload_size") is not None:
        columns["upload_size"] = as_int(data["upload_size"])
    if "description" in data:  # only validated (present) on 1.12+; kept when a PATCH omits it
        columns["description"] = data["description"]
    return columns


def _node_filters() -> dict[str, Any]:
    return {
        "uuid": ("uuid", "partial"),
        "name": ("name", "partial"),
        "fqdn": ("fqdn", "partial"),
        "daemon_token_id": ("daemon_token_id", "partial"),
    }


@app_route("GET", "/nodes", "r_nodes", READ)
async def nodes_index(ctx: Ctx) -> web.Response:
    q = query(ctx.request)
    rows = apply_filters(ctx.state.rows("nodes"), q, _node_filters())
    rows = apply_sort(rows, q, ["id", "uuid", "memory", "disk"])
    requested = includes(ctx.request)
    return json_response(paginate(ctx.request, rows, lambda r: node_object(ctx, r, requested)))


def viable_nodes(state: State, memory: int, disk: int, location_ids: list[int]) -> list[tuple[Row, int, int]]:
    """Public nodes (in the locations, if any) with room for memory/disk: (node, sum_memory, sum_disk)."""
    result = []
    for node in state.rows("nodes"):
        if not node["public"] or (location_ids and node["location_id"] not in location_ids):
            continue
        sum_memory, sum_disk = state.node_allocated(node["id"])
        memory_cap = node["memory"] * (1 + node["memory_overallocate"] / 100)
        disk_cap = node["disk"] * (1 + node["disk_overallocate"] / 100)
        if sum_memory + memory <= memory_cap and sum_disk + disk <= disk_cap:
            result.append((node, sum_memory, sum_disk))
    return result


@app_route("GET", "/nodes/deployable", "r_nodes", READ)
async def nodes_deployable(ctx: Ctx) -> web.Response:
    data = {**query(ctx.request), **body(ctx.request)}
    validated = validate(
        data,
        {
            "page": "integer",
            "memory": "required|integer|min:0",
            "disk": "required|integer|min:0",
            "location_ids": "array",
            "location_ids.*": "integer",
        },
    )
    location_ids = [int(v) for v in (validated.get("location_ids") or [])]
    nodes = viable_nodes(ctx.state, int(validated["memory"]), int(validated["disk"]), location_ids)
    if not nodes:
        raise display_error(
            "No nodes satisfying the requirements specified for automatic deployment could be found.",
            code="NoViableNodeException",
        )
    requested = includes(ctx.request)

    def render(entry: tuple[Row, int, int]) -> Row:
        node, sum_memory, sum_disk = entry
        return node_object(ctx, node, requested, extra={"sum_memory": sum_memory, "sum_disk": sum_disk})

    if validated.get("page") is None:
        return json_response(list_envelope([render(entry) for entry in nodes]))
    return json_response(paginate(ctx.request, nodes, render))


@app_route("GET", "/nodes/{node}", "r_nodes", READ)
async def nodes_view(ctx: Ctx, node: Row) -> web.Response:
    return json_response(node_object(ctx, node, includes(ctx.request)))


@app_route("GET", "/nodes/{node}/configuration", "r_nodes", READ)
async def nodes_configuration(ctx: Ctx, node: Row) -> web.Response:
    # 1.13.0 GetNodeConfigurationRequest: the key needs nodes WRITE (the bound node is resolved first).
    needs_write = ctx.state.config.has("node_configuration_needs_write")
    if needs_write and ctx.key["key_type"] == KEY_TYPE_APPLICATION and not int(ctx.key.get("r_nodes") or 0) & WRITE:
        raise forbidden()
    fqdn = node["fqdn"].lower()
    return json_response(
        {
            "debug": False,
            "uuid": node["uuid"],
            "token_id": node["daemon_token_id"],
            "token": node["daemon_token"],
            "api": {
                "host": "0.0.0.0",
                "port": node["daemon_listen"],
                "ssl": {
                    "enabled": node["scheme"] == "https" and not node["behind_proxy"],
                    "cert": f"/etc/letsencrypt/live/{fqdn}/fullchain.pem",
                    "key": f"/etc/letsencrypt/live/{fqdn}/privkey.pem",
                },
                "upload_limit": node["upload_size"],
            },
            "system": {"data": node["daemon_base"], "sftp": {"bind_port": node["daemon_sftp"]}},
            "allowed_mounts": [],
            "remote": ctx.base_url,
        }
    )


@app_route("POST", "/nodes", "r_nodes", WRITE)
async def nodes_store(ctx: Ctx) -> web.Response:
    state = ctx.state
    data = validate(body(ctx.request), node_rules(state), NODE_ATTRIBUTES)
    node: Row = {
        "uuid": state.new_uuid(),
        "public": True,
        "description": None,
        "behind_proxy": False,
        "maintenance_mode": False,
        "upload_size": 100,
        "daemon_token_id": state.random_string(16),
        "daemon_token": state.random_string(64),
        "daemon_base": data.get("daemon_base") or DEFAULT_DAEMON_BASE,
    }
    node.update(_node_columns(data))
    state.insert("nodes", node)
    return created(node_object(ctx, node, includes(ctx.request)), f"{ctx.base_url}{PREFIX}/nodes/{node['id']}")


@app_route("PATCH", "/nodes/{node}", "r_nodes", WRITE)
async def nodes_update(ctx: Ctx, node: Row) -> web.Response:
    state = ctx.state
    raw = body(ctx.request)
    data = validate(raw, node_rules(state), NODE_ATTRIBUTES)
    changes = _node_columns(data)
    # Quirk: an omitted daemon_base falls back to the model default, moving the node's data directory.
    changes["daemon_base"] = data.get("daemon_base") or DEFAULT_DAEMON_BASE
    if raw.get("reset_secret") is True:
        changes["daemon_token_id"] = state.random_string(16)
        changes["daemon_token"] = state.random_string(64)
    state.update("nodes", node, changes)
    if ctx.request.app["config"].daemon_unreachable:
        # The change is committed, but the panel reports that Wings could not be told.
        plain = state.config.has("plain_config_not_persisted")
        raise display_error(
            CONFIG_NOT_PERSISTED_PLAIN if plain else CONFIG_NOT_PERSISTED, code="ConfigurationNotPersistedException"
        )
    return json_response(node_object(ctx, node, includes(ctx.request)))


@app_route("DELETE", "/nodes/{node}", "r_nodes", WRITE)
async def nodes_delete(ctx: Ctx, node: Row) -> web.Response:
    if ctx.state.select("servers", node_id=node["id"]):
        raise display_error(
            "A node must have no servers linked to it in order to be deleted.", code="HasActiveServersException"
        )
    ctx.state.delete_node(node["id"])
    return empty_response(204)


# ====================================================================== allocations
def _filter_allocation_server(rows: list[Row], values: list[Any]) -> list[Row]:
    """filter[server_id]: a digit string selects that server's allocations, anything else unassigned ones."""
    value = values[0] if len(values) == 1 else None
    if isinstance(value, str) and value.isdigit():
        return [row for row in rows if row["server_id"] == int(value)]
    return [row for row in rows if row["server_id"] is None]


@app_route("GET", "/nodes/{node}/allocations", "r_allocations", READ)
async def allocations_index(ctx: Ctx, node: Row) -> web.Response:
    rows = apply_filters(
        ctx.state.select("allocations", node_id=node["id"]),
        query(ctx.request),
        {
            "ip": ("ip", "exact"),
            "port": ("port", "exact"),
            "ip_alias": ("ip_alias", "partial"),
            "server_id": _filter_allocation_server,
        },
    )
    requested = includes(ctx.request)
    return json_response(paginate(ctx.request, rows, lambda r: allocation_object(ctx, r, requested)))


def expand_ip(value: str) -> list[str]:
    """A single address or a CIDR block (/25-/32) -> addresses. Host names are not resolved (loopback only),
    except "localhost"; anything unparseable is an internal error, as gethostbyname+parse fails in the panel."""
    if "/" in value:
        address, _unused, mask = value.partition("/")
        if not mask.isdigit() or not CIDR_MIN_MASK <= int(mask) <= CIDR_MAX_MASK:
            raise display_error("CIDR notation only allows masks between /25 and /32.", code="CidrOutOfRangeException")
        try:
            network = ipaddress.ip_network(f"{address}/{mask}", strict=False)
        except ValueError:
            raise server_error("IpException") from None
        if network.num_addresses == 1:
            return [str(network.network_address)]
        return [str(ip) for ip in network]
    if value.lower() == "localhost":
        return ["127.0.0.1"]
    try:
        return [str(ipaddress.ip_address(value))]
    except ValueError:
        raise server_error("IpException") from None


def expand_ports(entries: list[Any], lowest: int = PORT_FLOOR + 1) -> list[int]:
    """Port entries ("25565", "25565-25600") -> ports; ``lowest`` is the smallest port allowed (Pelican: 1024)."""
    ports: list[int] = []
    for entry in entries:
        text = str(entry)
        match = PORT_RANGE.match(text)
        if text.isdigit():
            candidates = [int(text)]
        elif match:
            start, end = int(match.group(1)), int(match.group(2))
            if end - start > PORT_RANGE_LIMIT:
                raise display_error(
                    "Adding more than 1000 ports in a single range at once is not supported.",
                    code="TooManyPortsInRangeException",
                )
            candidates = list(range(start, end + 1))
        else:
            raise display_error(
                f"The mapping provided for {text} was invalid and could not be processed.",
                code="InvalidPortMappingException",
            )
        for port in candidates:
            if port < lowest or port > PORT_CEIL:
                floor = "greater than 1024" if lowest > PORT_FLOOR else f"greater than or equal to {lowest}"
                raise display_error(
                    f"Ports in an allocation must be {floor} and less than or equal to 65535.",
                    code="PortOutOfRangeException",
                )
        ports.extend(candidates)
    return ports


@app_route("POST", "/nodes/{node}/allocations", "r_allocations", WRITE)
async def allocations_store(ctx: Ctx, node: Row) -> web.Response:
    state = ctx.state
    data = validate(
        body(ctx.request),
        {
            "ip": "required|string",
            "ports": "required|array",
            "ports.*": "string",
            "alias": "sometimes|nullable|string|max:191",
        },
    )
    addresses = expand_ip(data["ip"])
    ports = expand_ports(list(data["ports"].values()) if isinstance(data["ports"], dict) else data["ports"])
    existing = {(a["ip"], a["port"]) for a in state.select("allocations", node_id=node["id"])}
    for address in addresses:
        for port in ports:
            if (address, port) in existing:
                continue  # insert-ignore: duplicates are skipped silently
            existing.add((address, port))
            insert_allocation(state, node["id"], address, port, data.get("alias"))
    return empty_response(204)


@app_route("DELETE", "/nodes/{node}/allocations/{allocation}", "r_allocations", WRITE)
async def allocations_delete(ctx: Ctx, node: Row, allocation: Row) -> web.Response:
    if allocation["server_id"] is not None:
        raise display_error(
            "A server is currently assigned to this allocation. An allocation can only be deleted "
            "if no server is currently assigned.",
            code="ServerUsingAllocationException",
        )
    ctx.state.delete("allocations", allocation["id"])
    return empty_response(204)


# ====================================================================== locations
def location_rules(state: State, ignore_id: int | None = None) -> dict[str, Any]:
    return {
        "short": ["required", "string", "between:1,60", unique(state, "locations", "short", ignore_id)],
        "long": "string|nullable|between:1,191",
    }


@app_route("GET", "/locations", "r_locations", READ)
async def locations_index(ctx: Ctx) -> web.Response:
    q = query(ctx.request)
    rows = apply_filters(ctx.state.rows("locations"), q, {"short": ("short", "partial"), "long": ("long", "partial")})
    rows = apply_sort(rows, q, ["id"])
    requested = includes(ctx.request)
    return json_response(paginate(ctx.request, rows, lambda r: location_object(ctx, r, requested)))


@app_route("GET", "/locations/{location}", "r_locations", READ)
async def locations_view(ctx: Ctx, location: Row) -> web.Response:
    return json_response(location_object(ctx, location, includes(ctx.request)))


@app_route("POST", "/locations", "r_locations", WRITE)
async def locations_store(ctx: Ctx) -> web.Response:
    data = validate(body(ctx.request), location_rules(ctx.state), LOCATION_ATTRIBUTES)
    location = ctx.state.insert("locations", {"short": data["short"], "long": data.get("long")})
    return created(
        location_object(ctx, location, includes(ctx.request)), f"{ctx.base_url}{PREFIX}/locations/{location['id']}"
    )


@app_route("PATCH", "/locations/{location}", "r_locations", WRITE)
async def locations_update(ctx: Ctx, location: Row) -> web.Response:
    data = validate(body(ctx.request), location_rules(ctx.state, ignore_id=location["id"]), LOCATION_ATTRIBUTES)
    changes: Row = {"short": data["short"]}
    if "long" in data:
        changes["long"] = data["long"]
    ctx.state.update("locations", location, changes)
    return json_response(location_object(ctx, location, includes(ctx.request)))


@app_route("DELETE", "/locations/{location}", "r_locations", WRITE)
async def locations_delete(ctx: Ctx, location: Row) -> web.Response:
    if any(n["location_id"] == location["id"] for n in ctx.state.rows("nodes")):
        raise display_error(
            "Cannot delete a location that has active nodes attached to it.", code="HasActiveNodesException"
        )
    ctx.state.delete("locations", location["id"])
    return empty_response(204)


# ====================================================================== servers
def server_filters() -> dict[str, Any]:
    return {
        "uuid": ("uuid", "partial"),
        "uuidShort": ("uuid_short", "partial"),
        "name": ("name", "partial"),
        "description": ("description", "partial"),
        "image": ("image", "partial"),
        "external_id": ("external_id", "partial"),
    }


@app_route("GET", "/servers", "r_servers", READ)
async def servers_index(ctx: Ctx) -> web.Response:
    q = query(ctx.request)
    rows = apply_filters(ctx.state.rows("servers"), q, server_filters())
    rows = apply_sort(rows, q, ["id", "uuid"])
    requested = includes(ctx.request)
    return json_response(paginate(ctx.request, rows, lambda r: server_object(ctx, r, requested)))


@app_route("GET", "/servers/{server}", "r_servers", READ)
async def servers_view(ctx: Ctx, server: Row) -> web.Response:
    return json_response(server_object(ctx, server, includes(ctx.request)))


@app_route("GET", "/servers/external/{external_id}", "r_servers", READ)
async def servers_external(ctx: Ctx) -> web.Response:
    server = ctx.state.find("servers", external_id=ctx.request.match_info["external_id"])
    if server is None:
        raise not_found()
    return json_response(server_object(ctx, server, includes(ctx.request)))


def validate_egg_variables(state: State, egg_id: int, environment: Any) -> dict[int, str]:
    """Check every variable of the egg (admin level) against its rules; returns variable id -> value to store
    ('' for omitted or null values, a panel quirk). 422 entries use source_field environment.<ENV>."""
    environment = environment if isinstance(environment, dict) else {}
    variables = state.egg_variables(egg_id)
    data = {"environment": {v["env_variable"]: environment.get(v["env_variable"]) for v in variables}}
    rules = {f"environment.{v['env_variable']}": v["rules"] for v in variables}
    names = {f"environment.{v['env_variable']}": f"{v['name']} variable" for v in variables}
    failures = collect_failures(data, rules, attributes=names)
    if failures:
        raise ValidationFailed(failures)
    values: dict[int, str] = {}
    for variable in variables:
        value = environment.get(variable["env_variable"])
        values[variable["id"]] = "" if value is None else _php_string(value)
    return values


def _php_string(value: Any) -> str:
    if value is True:
        return "1"
    if value is False:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _limits_rules(prefix: str, required: str) -> dict[str, str]:
    return {
        f"{prefix}memory": f"{required}|numeric|min:0",
        f"{prefix}swap": f"{required}|numeric|min:-1",
        f"{prefix}disk": f"{required}|numeric|min:0",
        f"{prefix}io": f"{required}|numeric|between:10,1000",
        f"{prefix}threads": f"nullable|{THREADS_REGEX}",
        f"{prefix}cpu": f"{required}|numeric|min:0",
    }


def unassigned_allocation(state: State) -> Check:
    return exists(state, "allocations", where=lambda row: row["server_id"] is None)


def server_store_rules(state: State, data: Row) -> dict[str, Any]:
    deploying = "deploy" in data
    rules: dict[str, Any] = {
        "external_id": ["sometimes", "nullable", "string", "between:1,191", unique(state, "servers", "external_id")],
        "name": "required|string|min:1|max:191",
        "description": "nullable|string",
        "user": ["required", "integer", exists(state, "users")],
        "egg": ["required", exists(state, "eggs")],
        "docker_image": f"required|string|max:191|{DOCKER_IMAGE_REGEX}",
        "startup": "required|string",
        "environment": "present|array",
        "skip_scripts": "sometimes|boolean",
        "oom_disabled": "sometimes|boolean",
        "limits": "required|array",
        **_limits_rules("limits.", "required"),
        "feature_limits": "required|array",
        "feature_limits.databases": "present|nullable|integer|min:0",
        "feature_limits.allocations": "sometimes|nullable|integer|min:0",
        "feature_limits.backups": "present|nullable|integer|min:0",
    }
    if not deploying:
        rules["allocation.default"] = ["required", "integer", "bail", unassigned_allocation(state)]
        rules["allocation.additional.*"] = ["integer", unassigned_allocation(state)]
    rules.update(
        {
            "deploy": "sometimes|required|array",
            "deploy.locations": "array" + ("|present" if deploying else ""),
            "deploy.locations.*": "integer|min:1",
            "deploy.dedicated_ip": "required_with:deploy,boolean",
            "deploy.port_range": "array" + ("|present" if deploying else ""),
            "deploy.port_range.*": "string",
            "start_on_completion": "sometimes|boolean",
        }
    )
    return rules


def port_matcher(entries: list[Any]) -> Callable[[int], bool]:
    """deploy.port_range entries ("25565" or "25565-25600") -> predicate; an empty list accepts any port."""
    singles: set[int] = set()
    ranges: list[tuple[int, int]] = []
    for entry in entries:
        text = str(entry)
        if text.isdigit():
            singles.add(int(text))
            continue
        match = re.match(r"^(\d{1,5})-(\d{1,5})$", text)
        if not match:
            raise display_error(
                f"The mapping provided for {text} was invalid and could not be processed.",
                code="InvalidPortMappingException",
            )
        start, end = int(match.group(1)), int(match.group(2))
        if end - start > PORT_RANGE_LIMIT:
            raise display_error(
                "Adding more than 1000 ports in a single range at once is not supported.",
                code="TooManyPortsInRangeException",
            )
        ranges.append((start, end))
    if not singles and not ranges:
        return lambda port: True
    return lambda port: port in singles or any(start <= port <= end for start, end in ranges)


def deploy_allocation(state: State, deploy: Row, memory: int, disk: int) -> Row:
    location_ids = [int(v) for v in (deploy.get("locations") or [])]
    nodes = viable_nodes(state, memory, disk, location_ids)
    if not nodes:
        raise display_error(
            "No nodes satisfying the requirements specified for automatic deployment could be found.",
            code="NoViableNodeException",
        )
    node_ids = {node["id"] for node, _unused, _unused in nodes}
    return free_deploy_allocation(state, node_ids, list(deploy.get("port_range") or []), deploy.get("dedicated_ip"))


def free_deploy_allocation(state: State, node_ids: set[int], port_range: list[Any], dedicated_ip: Any) -> Row:
    """A random free allocation on one of the nodes, in the port range, on an unused IP if dedicated_ip asks it
    (both panels' AllocationSelectionService)."""
    matches = port_matcher(port_range)
    dedicated = to_bool(dedicated_ip)
    used_ips = {(a["node_id"], a["ip"]) for a in state.rows("allocations") if a["server_id"] is not None}
    candidates = [
        a
        for a in state.rows("allocations")
        if a["node_id"] in node_ids
        and a["server_id"] is None
        and matches(a["port"])
        and not (dedicated and (a["node_id"], a["ip"]) in used_ips)
    ]
    if not candidates:
        raise display_error(
            "No allocations satisfying the requirements for automatic deployment were found.",
            code="NoViableAllocationException",
        )
    return state.random.choice(candidates)


@app_route("POST", "/servers", "r_servers", WRITE)
async def servers_store(ctx: Ctx) -> web.Response:
    state = ctx.state
    raw = body(ctx.request)
    data = validate(raw, server_store_rules(state, raw))
    limits = data["limits"]
    egg = state.get("eggs", int(str(data["egg"])))
    assert egg is not None
    primary: Row | None
    additional: list[Row | None] = []
    if "deploy" in data:
        primary = deploy_allocation(state, data["deploy"], as_int(limits["memory"]) or 0, as_int(limits["disk"]) or 0)
    else:
        allocation_data = data.get("allocation") or {}
        primary = state.get("allocations", int(str(allocation_data["default"])))
        assert primary is not None
        additional = [state.get("allocations", int(str(i))) for i in (allocation_data.get("additional") or [])]
    assert primary is not None
    return await create_server(ctx, data, egg, primary["node_id"], primary, additional)


async def create_server(
    ctx: Ctx, data: Row, egg: Row, node_id: int, primary: Row | None, additional: list[Row | None]
) -> web.Response:
    """Insert a validated server (``primary`` None: a Pelican server without allocations), start its install and
    answer 201."""
    state = ctx.state
    limits, features = data["limits"], data["feature_limits"]
    values = validate_egg_variables(state, egg["id"], data["environment"])

    server_uuid = state.new_uuid()
    while state.find("servers", uuid_short=server_uuid[:8]) is not None:
        server_uuid = state.new_uuid()
    server = state.insert(
        "servers",
        {
            "external_id": data.get("external_id"),
            "uuid": server_uuid,
            "uuid_short": server_uuid[:8],
            "node_id": node_id,
            "name": data["name"],
            "description": data.get("description") or "",
            "status": "installing",
            "skip_scripts": to_bool(data.get("skip_scripts", False)),
            "owner_id": int(str(data["user"])),
            "memory": as_int(limits["memory"]),
            "swap": as_int(limits["swap"]),
            "disk": as_int(limits["disk"]),
            "io": as_int(limits["io"]),
            "cpu": as_int(limits["cpu"]),
            "threads": limits.get("threads"),
            "oom_disabled": to_bool(data.get("oom_disabled", True)),
            "allocation_id": primary["id"] if primary else None,
            "nest_id": egg["nest_id"],
            "egg_id": egg["id"],
            "startup": data["startup"],
            "image": data["docker_image"],
            "database_limit": as_int(features.get("databases")) or 0,
            "allocation_limit": as_int(features.get("allocations")) or 0,
            "backup_limit": as_int(features.get("backups")) or 0,
            "installed_at": None,
        },
    )
    for allocation in [primary, *additional]:
        if allocation is not None:
            allocation["server_id"] = server["id"]
    for variable_id, value in values.items():
        state.insert(
            "server_variables", {"server_id": server["id"], "variable_id": variable_id, "variable_value": value}
        )
    if ctx.request.app["config"].daemon_unreachable:
        state.delete_server(server["id"])  # Wings create failed: the panel force-deletes the new server
        raise wings_unreachable(ctx)

    start = to_bool(data.get("start_on_completion", False))
    wings = daemon(ctx)

    def after_install(current: Row) -> None:
        if start and wings is not None and current["status"] is None:
            wings.power(current["uuid"], "start")

    state.begin_install(server, on_complete=after_install)
    return json_response(server_object(ctx, server, includes(ctx.request)), status=201)


@app_route("PATCH", "/servers/{server}/details", "r_servers", WRITE)
async def servers_details(ctx: Ctx, server: Row) -> web.Response:
    state = ctx.state
    data = validate(
        body(ctx.request),
        {
            "external_id": [
                "sometimes",
                "nullable",
                "string",
                "between:1,191",
                unique(state, "servers", "external_id", ignore_id=server["id"]),
            ],
            "name": "required|string|min:1|max:191",
            "user": ["required", "integer", exists(state, "users")],
            "description": "nullable|string",
        },
        SERVER_DETAILS_ATTRIBUTES,
    )
    # Every field is written: an omitted external_id is cleared, an omitted description becomes ''.
    previous_owner = state.get("users", server["owner_id"])
    state.update(
        "servers",
        server,
        {
            "external_id": data.get("external_id"),
            "name": data["name"],
            "owner_id": int(str(data["user"])),
            "description": data.get("description") or "",
        },
    )
    owner_changed = previous_owner is not None and previous_owner["id"] != server["owner_id"]
    if previous_owner is not None and owner_changed and state.config.has("deauthorize_user"):
        _deauthorize(ctx, previous_owner, [server["uuid"]])  # panel 1.12.0+
    return json_response(server_object(ctx, server, includes(ctx.request)))


@app_route("PATCH", "/servers/{server}/build", "r_servers", WRITE)
async def servers_build(ctx: Ctx, server: Row) -> web.Response:
    return update_build(ctx, server)


def update_build(ctx: Ctx, server: Row) -> web.Response:
    """PATCH /servers/{server}/build with the request's (possibly flavour-adjusted) body."""
    state = ctx.state
    raw = body(ctx.request)
    rules: dict[str, Any] = {
        "allocation": [
            "required",
            "bail",
            unique(state, "servers", "allocation_id", ignore_id=server["id"]),
            exists(state, "allocations"),
        ],
        "oom_disabled": "sometimes|boolean",
        "limits": "sometimes|array",
        **_limits_rules("limits.", "required_with:limits"),
        **_limits_rules("", "required_without:limits"),
        "add_allocations": "bail|array",
        "add_allocations.*": "integer",
        "remove_allocations": "bail|array",
        "remove_allocations.*": "integer",
        "feature_limits": "required|array",
        "feature_limits.databases": "present|nullable|integer|min:0",
        "feature_limits.allocations": "sometimes|nullable|integer|min:0",
        "feature_limits.backups": "present|nullable|integer|min:0",
    }
    data = validate(raw, rules, SERVER_BUILD_ATTRIBUTES)
    source = data["limits"] if isinstance(data.get("limits"), dict) else data
    features = data["feature_limits"]
    allocation_id = as_int(data["allocation"])
    add_ids = [as_int(v) for v in (data.get("add_allocations") or [])]
    remove_ids = [as_int(v) for v in (data.get("remove_allocations") or [])]

    # Allocation changes (the panel runs all of this in one transaction).
    freshly_added: int | None = None
    touched: list[tuple[Row, Row]] = []
    if add_ids:
        taken = [
            a
            for a in state.select("allocations", node_id=server["node_id"])
            if a["id"] in add_ids and a["server_id"] is None
        ]
        freshly_added = taken[0]["id"] if taken else None
        for allocation in taken:
            touched.append((allocation, dict(allocation)))
            allocation.update({"server_id": server["id"], "notes": None})
    if remove_ids:
        for removed in remove_ids:
            if removed == (allocation_id if allocation_id is not None else server["allocation_id"]):
                if freshly_added is None:
                    for allocation, before in touched:
                        allocation.update(before)
                    raise display_error(
                        "You are attempting to delete the default allocation for this server but "
                        "there is no fallback allocation to use."
                    )
                allocation_id = freshly_added
        keep = set(add_ids)
        for allocation in state.select("allocations", node_id=server["node_id"]):
            if (
                allocation["server_id"] == server["id"]
                and allocation["id"] in remove_ids
                and allocation["id"] not in keep
            ):
                touched.append((allocation, dict(allocation)))
                allocation.update({"server_id": None, "notes": None})
    if allocation_id != server["allocation_id"]:
        target = state.get("allocations", allocation_id)
        if target is None or target["server_id"] != server["id"]:
            for allocation, before in touched:
                allocation.update(before)
            raise display_error("The requested default allocation is not currently assigned to this server.")

    changes: Row = {"allocation_id": allocation_id}
    if "oom_disabled" in data and data["oom_disabled"] is not None:
        changes["oom_disabled"] = to_bool(data["oom_disabled"])
    for column in ("memory", "swap", "io", "cpu", "disk"):
        if column in source:
            changes[column] = as_int(source[column])
    if "threads" in source:
        changes["threads"] = source["threads"]
    changes["database_limit"] = as_int(features.get("databases"))  # null = unlimited here
    changes["allocation_limit"] = as_int(features.get("allocations"))  # absent or null -> NULL
    changes["backup_limit"] = as_int(features.get("backups")) or 0
    state.update("servers", server, changes)
    state.emit("server.updated", {"server": server})
    return json_response(server_object(ctx, server, includes(ctx.request)))


@app_route("PATCH", "/servers/{server}/startup", "r_servers", WRITE)
async def servers_startup(ctx: Ctx, server: Row) -> web.Response:
    return update_startup(ctx, server)


def update_startup(ctx: Ctx, server: Row) -> web.Response:
    """PATCH /servers/{server}/startup with the request's (possibly flavour-adjusted) body."""
    state = ctx.state
    data = validate(
        body(ctx.request),
        {
            "startup": "required|string",
            "environment": "present|array",
            "egg": ["required", exists(state, "eggs")],
            "image": f"required|string|max:191|{DOCKER_IMAGE_REGEX}",
            "skip_scripts": "present|boolean",
        },
    )
    egg = state.get("eggs", int(str(data["egg"])))
    assert egg is not None
    environment = data["environment"]
    if environment:
        # Every variable of the (new) egg is written: omitted ones become ''.
        values = validate_egg_variables(state, egg["id"], environment)
        for variable_id, value in values.items():
            state.set_server_variable(server["id"], variable_id, value)
    changes: Row = {
        "startup": data["startup"],
        "image": data["image"],
        "skip_scripts": to_bool(data["skip_scripts"]) if data["skip_scripts"] is not None else False,
    }
    if egg["id"] != server["egg_id"]:
        changes.update({"egg_id": egg["id"], "nest_id": egg["nest_id"]})
    state.update("servers", server, changes)
    return json_response(server_object(ctx, server, includes(ctx.request)))


@app_route("POST", "/servers/{server}/suspend", "r_servers", WRITE)
async def servers_suspend(ctx: Ctx, server: Row) -> web.Response:
    return set_suspended(ctx, server, True)


@app_route("POST", "/servers/{server}/unsuspend", "r_servers", WRITE)
async def servers_unsuspend(ctx: Ctx, server: Row) -> web.Response:
    return set_suspended(ctx, server, False)


def set_suspended(ctx: Ctx, server: Row, suspend: bool) -> web.Response:
    """SuspensionService: a no-op when already so, 409 during a transfer (only Pelican servers move), then the
    change and the Wings sync. A failed sync rolls back on Pterodactyl; Pelican keeps the change and answers 500."""
    if (server["status"] == "suspended") == suspend:
        return empty_response(204)
    if server.get("transfer"):
        raise conflict("Cannot toggle suspension status on a server that is currently being transferred.")
    kept_on_failure = ctx.state.config.has("wings_errors_500")
    if not kept_on_failure:
        ensure_daemon_reachable(ctx)
    ctx.state.update("servers", server, {"status": "suspended" if suspend else None})
    ctx.state.emit("server.suspended" if suspend else "server.unsuspended", {"server": server})
    ensure_daemon_reachable(ctx)
    return empty_response(204)


@app_route("POST", "/servers/{server}/reinstall", "r_servers", WRITE)
async def servers_reinstall(ctx: Ctx, server: Row) -> web.Response:
    ensure_daemon_reachable(ctx)
    ctx.state.begin_install(server, reinstall=True)
    return empty_response(204)


async def _delete_server(ctx: Ctx, server: Row, force: bool) -> web.Response:
    if ctx.request.app["config"].daemon_unreachable and not force:
        raise wings_unreachable(ctx)
    ctx.state.delete_server(server["id"])  # emits server.deleted, which the Wings emulator listens to
    return empty_response(204)


@app_route("DELETE", "/servers/{server}", "r_servers", WRITE)
async def servers_delete(ctx: Ctx, server: Row) -> web.Response:
    return await _delete_server(ctx, server, force=False)


@app_route("DELETE", "/servers/{server}/{force}", "r_servers", WRITE)
async def servers_delete_force(ctx: Ctx, server: Row) -> web.Response:
    # Any single segment matches this route; only the literal "force" forces (a panel quirk).
    return await _delete_server(ctx, server, force=ctx.request.match_info["force"] == "force")


# ====================================================================== server databases
def generate_database_password(state: State) -> str:
    """24 random characters with 2-6 of them replaced by specials from "! @ = . + ^"."""
    characters = list(state.random_string(24))
    for position in state.random.sample(range(24), state.random.randint(2, 6)):
        characters[position] = state.random.choice(SPECIAL_PASSWORD_CHARACTERS)
    return "".join(characters)


@app_route("GET", "/servers/{server}/databases", "r_server_databases", READ)
async def databases_index(ctx: Ctx, server: Row) -> web.Response:
    requested = includes(ctx.request)
    return json_response(
        list_envelope(
            [database_object(ctx, d, requested) for d in ctx.state.select("databases", server_id=server["id"])]
        )
    )


@app_route("GET", "/servers/{server}/databases/{database}", "r_server_databases", READ)
async def databases_view(ctx: Ctx, server: Row, database: Row) -> web.Response:
    return json_response(database_object(ctx, database, includes(ctx.request)))


@app_route("POST", "/servers/{server}/databases", "r_server_databases", WRITE)
async def databases_store(ctx: Ctx, server: Row) -> web.Response:
    state = ctx.state
    raw = body(ctx.request)

    def prefixed(value: Any) -> str:
        return f"s{server['id']}_{value}"[:48]

    data = validate(
        raw,
        {
            "database": [
                "required",
                "alpha_dash",
                "min:1",
                "max:48",
                unique(
                    state, "databases", "database", where=lambda r: r["server_id"] == server["id"], transform=prefixed
                ),
            ],
            "remote": r"required|string|regex:/^[0-9%.]{1,15}$/",
            "host": ["required", "integer", exists(state, "database_hosts")],
        },
        DATABASE_ATTRIBUTES,
    )
    if not ctx.request.app["config"].databases_enabled:
        raise server_error("DatabaseClientFeatureNotEnabledException")  # not an HTTP exception: 500
    limit = server["database_limit"]
    if limit is not None and len(state.select("databases", server_id=server["id"])) >= limit:
        raise display_error(
            "Operation aborted: creating a new database would put this server over the defined limit.",
            code="TooManyDatabasesException",
        )
    name = prefixed(data["database"])
    if state.find("databases", server_id=server["id"], database=name):
        raise display_error(
            "A database with that name already exists for this server.", code="DuplicateDatabaseNameException"
        )
    database = state.insert(
        "databases",
        {
            "server_id": server["id"],
            "database_host_id": int(str(data["host"])),
            "database": name,
            "username": f"u{server['id']}_{state.random_string(10)}",
            "remote": data["remote"],
            "password": generate_database_password(state),
            "max_connections": 0,
        },
    )
    obj = database_object(ctx, database, includes(ctx.request))
    obj["attributes"]["max_connections"] = None  # the create response is not re-read from the database
    return created(obj, f"{ctx.base_url}{PREFIX}/servers/{server['id']}/databases/{database['id']}")


@app_route("POST", "/servers/{server}/databases/{database}/reset-password", "r_server_databases", WRITE)
async def databases_reset_password(ctx: Ctx, server: Row, database: Row) -> web.Response:
    ctx.state.update("databases", database, {"password": generate_database_password(ctx.state)})
    return empty_response(204)


@app_route("DELETE", "/servers/{server}/databases/{database}", "r_server_databases", WRITE)
async def databases_delete(ctx: Ctx, server: Row, database: Row) -> web.Response:
    ctx.state.delete("databases", database["id"])
    return empty_response(204)


# ====================================================================== nests and eggs
@app_route("GET", "/nests", "r_nests", READ)
async def nests_index(ctx: Ctx) -> web.Response:
    requested = includes(ctx.request)
    return json_response(paginate(ctx.request, ctx.state.rows("nests"), lambda r: nest_object(ctx, r, requested)))


@app_route("GET", "/nests/{nest}", "r_nests", READ)
async def nests_view(ctx: Ctx, nest: Row) -> web.Response:
    return json_response(nest_object(ctx, nest, includes(ctx.request)))


@app_route("GET", "/nests/{nest}/eggs", "r_eggs", READ)
async def eggs_index(ctx: Ctx, nest: Row) -> web.Response:
    requested = includes(ctx.request)
    return json_response(
        list_envelope([egg_object(ctx, e, requested) for e in ctx.state.select("eggs", nest_id=nest["id"])])
    )


@app_route("GET", "/nests/{nest}/eggs/{egg}", "r_eggs", READ)
async def eggs_view(ctx: Ctx, nest: Row, egg: Row) -> web.Response:
    return json_response(egg_object(ctx, egg, includes(ctx.request)))
