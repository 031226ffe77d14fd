"""Pelican's /api/application (pelican.md §2.1, §3.5-§3.7): the object shapes, validation and quirks of users,
nodes, allocations and servers (overrides of application_api's Pterodactyl routes), and the routes Pelican added:
flat eggs with export/import, mounts, database hosts, roles and server transfers. Which flavour serves which route is
declared in pelican.ROUTE_GATES; everything here only runs when ``config.has(<feature>)``."""

from __future__ import annotations

import functools
import ipaddress
import json
import re
import zoneinfo
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml
from aiohttp import web

from . import application_api as base
from .application_api import READ, WRITE, Ctx, Row, adjust_object, app_route, exists, override_route, unique
from .http import (
    ApiError,
    Check,
    Includes,
    apply_filters,
    apply_sort,
    body,
    display_error,
    empty_response,
    includes,
    item,
    json_response,
    list_envelope,
    not_found,
    null_resource,
    paginate,
    query,
    server_error,
    to_bool,
    validate,
)
from .pelican import PELICAN_DAEMON_BASE, root_admin_role, sync_root_admin, user_role_ids
from .state import State, insert_allocation

routes = web.RouteTableDef()
PREFIX = base.PREFIX
EGG_EXPORT_VERSION = "PLCN_v3"
EGG_IMPORT_VERSIONS = ("PTDL_v1", "PTDL_v2", "PLCN_v1", "PLCN_v2", "PLCN_v3")
PELICAN_PORT_FLOOR = 1024
MOUNT_TARGETS = {"eggs": ("eggs", "r_eggs"), "nodes": ("nodes", "r_nodes"), "servers": ("servers", "r_servers")}


def _route(method: str, path: str, resource: str, permission: int) -> Any:
    return app_route(method, path, resource, permission, table=routes)


def _unique_ci(state: State, table: str, column: str, ignore_id: int | None = None) -> Any:
    return unique(state, table, column, ignore_id, transform=lambda v: str(v).lower())


# ====================================================================== object shapes (§3.5)
@adjust_object("user", "pelican_users")
def _user(ctx: Ctx, user: Row, requested: Includes, obj: Row) -> Row:
    attributes = obj["attributes"]
    for name in ("first_name", "last_name"):
        attributes.pop(name, None)
    attributes["is_managed_externally"] = bool(user.get("is_managed_externally"))
    attributes["2fa_enabled"] = attributes["2fa"]  # "2fa" stays, deprecated; timezone is stored, not shown
    if "roles" in requested:
        roles = [
            role_object(r)
            for r in (ctx.state.get("roles", i) for i in user_role_ids(ctx.state, user["id"]))
            if r is not None
        ]
        rendered = list_envelope(roles) if ctx.can_read("r_roles") else null_resource()
        attributes.setdefault("relationships", {})["roles"] = rendered
    return obj


@adjust_object("node", "pelican_nodes")
def _node(ctx: Ctx, node: Row, requested: Includes, obj: Row) -> Row:
    attributes = obj["attributes"]
    attributes.pop("location_id", None)
    for column in ("tags", "cpu", "cpu_overallocate", "daemon_connect", "daemon_sftp_alias"):
        attributes[column] = node.get(column)
    attributes["tags"] = list(node.get("tags") or [])
    attributes["allocated_resources"]["cpu"] = sum(
        int(s["cpu"] or 0) for s in ctx.state.select("servers", node_id=node["id"])
    )
    for old, new in (("sum_memory", "servers_sum_memory"), ("sum_disk", "servers_sum_disk")):
        if old in attributes:
            attributes[new] = attributes.pop(old)
    return obj


@adjust_object("server", "pelican_servers")
def _server(ctx: Ctx, server: Row, requested: Includes, obj: Row) -> Row:
    attributes = obj["attributes"]
    attributes.pop("nest", None)
    attributes["limits"]["oom_killer"] = not server["oom_disabled"]
    container = attributes["container"]
    for name in ("P_SERVER_LOCATION", "P_SERVER_ALLOCATION_LIMIT"):
        container["environment"].pop(name, None)
    if server["status"] == "reinstall_failed":
        container["installed"] = 0
    return obj


@adjust_object("egg", "flat_eggs")
def _egg(ctx: Ctx, egg: Row, requested: Includes, obj: Row) -> Row:
    attributes = obj["attributes"]
    attributes.pop("nest", None)
    attributes.update(
        {
            "icon": egg.get("icon"),
            "features": egg.get("features"),
            "tags": list(egg.get("tags") or []),
            "startup_commands": dict(egg.get("startup_commands") or {"Default": egg["startup"]}),
        }
    )
    variables = attributes.get("relationships", {}).get("variables", {}).get("data", [])
    for variable in variables:
        rules = variable["attributes"]["rules"]
        variable["attributes"]["rules"] = rules.split("|") if isinstance(rules, str) and rules else (rules or [])
    return obj


@adjust_object("egg_includes", "flat_eggs")
def _egg_includes(ctx: Ctx, egg: Row, requested: Includes, obj: Row) -> Row:
    raise server_error("BadMethodCallException")  # config/script are declared includes without a method


def role_object(role: Row) -> Row:
    return item(
        "role",
        {"id": role["id"], "name": role["name"], "created_at": role["created_at"], "updated_at": role["updated_at"]},
    )


def mount_object(mount: Row) -> Row:
    return item(
        "mount",
        {
            name: mount[name]
            for name in ("id", "uuid", "name", "description", "source", "target", "read_only", "user_mountable")
        },
    )


def database_host_object(host: Row) -> Row:
    return item(
        "database_host",
        {name: host[name] for name in ("id", "name", "host", "port", "username", "created_at", "updated_at")},
    )


def database_host_with_includes(ctx: Ctx, host: Row) -> Row:
    """DatabaseHostTransformer's includes: `nodes` (the linked nodes; needs the node READ bit) and `databases`
    (needs the server-database READ bit); an include without its bit is a null resource."""
    state = ctx.state
    obj = database_host_object(host)
    requested = includes(ctx.request)

    def linked_nodes() -> Row:
        nodes = (state.get("nodes", node_id) for node_id in host.get("node_ids") or [])
        return list_envelope([base.node_object(ctx, node, set()) for node in nodes if node is not None])

    def databases() -> Row:
        rows = state.select("databases", database_host_id=host["id"])
        return list_envelope([base.database_object(ctx, database, set()) for database in rows])

    available: dict[str, tuple[str, Callable[[], Row]]] = {
        "nodes": ("r_nodes", linked_nodes),
        "databases": ("r_server_databases", databases),
    }
    relationships = {
        name: (render() if ctx.can_read(resource) else null_resource())
        for name, (resource, render) in available.items()
        if name in requested
    }
    if relationships:
        obj["attributes"]["relationships"] = relationships
    return obj


# ====================================================================== users (§3.6)
# The areas of PHP's DateTimeZone::ALL groups; "UTC" is its own group.
PHP_TIMEZONE_AREAS = frozenset(
    ("Africa", "America", "Antarctica", "Arctic", "Asia", "Atlantic", "Australia", "Europe", "Indian", "Pacific")
)


@functools.cache
def php_timezones() -> frozenset[str]:
    """PHP's DateTimeZone::listIdentifiers() (DateTimeZone::ALL), which Pelican's user timezone must be in: "UTC" and
    the canonical zones (the tz database's zone.tab) of its areas, spelt exactly; no links such as US/Eastern, GMT or
    Etc/UTC. Read from the system's zone.tab; without one, the zones Python knows in those areas (links included)."""
    names: set[str] = set()
    for directory in zoneinfo.TZPATH:
        table = Path(directory, "zone.tab")
        if table.is_file():
            lines = table.read_text(encoding="utf-8").splitlines()
            names = {line.split("\t")[2] for line in lines if line and not line.startswith("#")}
            break
    else:
        names = set(zoneinfo.available_timezones())
    return frozenset(name for name in names if name.split("/", 1)[0] in PHP_TIMEZONE_AREAS and "/" in name) | {"UTC"}


def _user_rules(state: State, ignore_id: int | None = None) -> dict[str, Any]:
    """User.getRules() as StoreUserRequest/UpdateUserRequest keep them: no `sometimes`, so an omitted field is not
    checked (and an update keeps it), but a null one is refused by `string`/`boolean`."""
    return {
        "external_id": ["sometimes", "nullable", "string", "max:255", unique(state, "users", "external_id", ignore_id)],
        "email": ["required", "email", "between:1,255", _unique_ci(state, "users", "email", ignore_id)],
        "username": ["required", "between:1,255", _unique_ci(state, "users", "username", ignore_id)],
        "password": "sometimes|nullable|string",
        "is_managed_externally": "boolean",
        "language": "string",  # the panel also wants one of ICU's locales; not modelled (any string is taken)
        "timezone": [
            "string",
            Check("in", lambda value, _path, _data: isinstance(value, str) and value in php_timezones()),
        ],
    }


def _user_columns(data: Row) -> Row:
    """first_name, last_name and root_admin are not in the rules, so they are silently dropped."""
    columns: Row = {"email": str(data["email"]).lower(), "username": str(data["username"]).lower()}
    if "external_id" in data:
        columns["external_id"] = data["external_id"]
    if data.get("is_managed_externally") is not None:
        columns["is_managed_externally"] = to_bool(data["is_managed_externally"])
    for name in ("language", "timezone"):
        if data.get(name) is not None:
            columns[name] = data[name]
    return columns


@override_route("POST", "/users", "pelican_users")
async def users_store(ctx: Ctx) -> web.Response:
    state = ctx.state
    data = validate(body(ctx.request), _user_rules(state))
    user: Row = {
        "external_id": None,
        "uuid": state.new_uuid(),
        "name_first": None,
        "name_last": None,
        "language": "en",
        "timezone": "UTC",
        "is_managed_externally": False,
        "root_admin": False,
        "use_totp": False,
        "totp_secret": None,
        "totp_authenticated_at": None,
        "recovery_tokens": [],
        "gravatar": True,
        **_user_columns(data),
    }
    state.set_password(user, data.get("password") or state.random_string(32))
    state.insert("users", user)
    return base.created(
        base.user_object(ctx, user, includes(ctx.request)), f"{ctx.base_url}{PREFIX}/users/{user['id']}"
    )


@override_route("PATCH", "/users/{user}", "pelican_users")
async def users_update(ctx: Ctx, user: Row) -> web.Response:
    state = ctx.state
    data = validate(body(ctx.request), _user_rules(state, ignore_id=user["id"]))
    state.update("users", user, _user_columns(data))
    if data.get("password"):
        state.set_password(user, data["password"])
    return json_response(base.user_object(ctx, user, includes(ctx.request)))


@override_route("DELETE", "/users/{user}", "pelican_users")
async def users_delete(ctx: Ctx, user: Row) -> web.Response:
    if user["root_admin"]:
        return json_response([], status=403)  # a bare 403 without the error envelope
    if ctx.state.select("servers", owner_id=user["id"]):  # the model's deleting hook: servers first, then self
        raise display_error(
            "Cannot delete a user with active servers attached to their account. Please delete "
            "their servers before continuing."
        )
    if user["id"] == ctx.key["user_id"]:
        raise display_error("Cannot delete your own user account.")
    ctx.state.delete_user(user["id"])
    return empty_response(204)


# ====================================================================== roles (§2.1, §3.7)
def _role_rules(state: State) -> dict[str, Any]:
    return {"name": "required|string"}


@_route("GET", "/roles", "r_roles", READ)
async def roles_index(ctx: Ctx) -> web.Response:
    q = query(ctx.request)
    rows = apply_filters(ctx.state.rows("roles"), q, {"id": ("id", "exact"), "name": ("name", "partial")})
    rows = apply_sort(rows, q, ["id", "name"])
    return json_response(paginate(ctx.request, rows, role_object, default_per_page=10))


@_route("GET", "/roles/{role}", "r_roles", READ)
async def roles_view(ctx: Ctx, role: Row) -> web.Response:
    obj = role_object(role)
    if "permissions" in includes(ctx.request):
        obj["attributes"]["relationships"] = {"permissions": list_envelope([])}  # permissions are UI-only
    return json_response(obj)


@_route("POST", "/roles", "r_roles", WRITE)
async def roles_store(ctx: Ctx) -> web.Response:
    data = validate(body(ctx.request), _role_rules(ctx.state))
    if ctx.state.find("roles", name=data["name"]) is not None:
        raise server_error("RoleAlreadyExists")  # spatie/permission throws: 500, not a 422
    role = ctx.state.insert("roles", {"name": data["name"], "guard_name": "web"})
    return base.created(role_object(role), f"{ctx.base_url}{PREFIX}/roles/{role['id']}")


def _editable_role(ctx: Ctx, role: Row) -> None:
    root = root_admin_role(ctx.state)
    if root is not None and role["id"] == root["id"]:
        raise server_error("PanelException")  # the Root Admin role cannot be changed through the API


@_route("PATCH", "/roles/{role}", "r_roles", WRITE)
async def roles_update(ctx: Ctx, role: Row) -> web.Response:
    _editable_role(ctx, role)
    data = validate(body(ctx.request), _role_rules(ctx.state))
    other = ctx.state.find("roles", name=data["name"])
    if other is not None and other["id"] != role["id"]:
        raise server_error("RoleAlreadyExists")
    ctx.state.update("roles", role, {"name": data["name"]})
    return json_response(role_object(role))


@_route("DELETE", "/roles/{role}", "r_roles", WRITE)
async def roles_delete(ctx: Ctx, role: Row) -> web.Response:
    _editable_role(ctx, role)
    ctx.state.delete("roles", role["id"])
    ctx.state.delete_where("model_roles", lambda row: row["role_id"] == role["id"])
    return empty_response(204)


def _requested_roles(ctx: Ctx) -> list[int]:
    data = validate(body(ctx.request), {"roles": "required|array", "roles.*": ["integer", exists(ctx.state, "roles")]})
    values = data["roles"].values() if isinstance(data["roles"], dict) else data["roles"]
    root = root_admin_role(ctx.state)
    return [int(v) for v in values if root is None or int(v) != root["id"]]  # the Root Admin role is skipped


@_route("PATCH", "/users/{user}/roles/assign", "r_users", WRITE)
async def users_roles_assign(ctx: Ctx, user: Row) -> web.Response:
    wanted = _requested_roles(ctx)
    if not user["root_admin"]:  # a no-op on root admins
        have = set(user_role_ids(ctx.state, user["id"]))
        for role_id in wanted:
            if role_id not in have:
                ctx.state.insert("model_roles", {"user_id": user["id"], "role_id": role_id}, timestamps=False)
                have.add(role_id)
    return json_response(base.user_object(ctx, user, includes(ctx.request)))


@_route("PATCH", "/users/{user}/roles/remove", "r_users", WRITE)
async def users_roles_remove(ctx: Ctx, user: Row) -> web.Response:
    wanted = set(_requested_roles(ctx))
    ctx.state.delete_where("model_roles", lambda row: row["user_id"] == user["id"] and row["role_id"] in wanted)
    sync_root_admin(ctx.state, user)
    return json_response(base.user_object(ctx, user, includes(ctx.request)))


# ====================================================================== nodes (§3.6)
NOT_ALLOWED_FQDN = "not_in:0.0.0.0,127.0.0.1,localhost"


def _node_rules() -> dict[str, Any]:
    return {
        "name": "required|string|min:1|max:100",
        "description": "sometimes|nullable|string",
        "fqdn": f"required|string|{NOT_ALLOWED_FQDN}",
        "scheme": "required|string|in:http,https",
        "public": "boolean",
        "behind_proxy": "boolean",
        "maintenance_mode": "boolean",
        "memory": "required|numeric|min:0",
        "memory_overallocate": "required|numeric|min:-1",
        "disk": "required|numeric|min:0",
        "disk_overallocate": "required|numeric|min:-1",
        "cpu": "required|numeric|min:0",
        "cpu_overallocate": "required|numeric|min:-1",
        "upload_size": "integer|min:1",
        "daemon_listen": "required|numeric|between:1,65535",
        "daemon_sftp": "required|numeric|between:1,65535",
        "daemon_connect": "required|numeric|between:1,65535",
        "daemon_sftp_alias": "sometimes|nullable|string",
        "daemon_base": r"sometimes|required|regex:/^([\/][\d\w.\-\/]+)$/",
        "tags": "array",
    }


def _node_columns(data: Row) -> Row:
    columns: Row = {name: data[name] for name in ("name", "fqdn", "scheme") if name in data}
    for name in (
        "memory",
        "memory_overallocate",
        "disk",
        "disk_overallocate",
        "cpu",
        "cpu_overallocate",
        "daemon_listen",
        "daemon_sftp",
        "daemon_connect",
        "upload_size",
    ):
        if data.get(name) is not None:
            columns[name] = base.as_int(data[name])
    for flag in ("public", "behind_proxy", "maintenance_mode"):
        if data.get(flag) is not None:
            columns[flag] = to_bool(data[flag])
    for name in ("description", "daemon_sftp_alias"):
        if name in data:
            columns[name] = data[name]
    if "tags" in data:
        tags = data["tags"] or []
        columns["tags"] = [str(t) for t in (tags.values() if isinstance(tags, dict) else tags)]
    columns["daemon_base"] = data.get("daemon_base") or PELICAN_DAEMON_BASE  # omitted -> reset (quirk kept)
    return columns


@override_route("POST", "/nodes", "pelican_nodes")
async def nodes_store(ctx: Ctx) -> web.Response:
    state = ctx.state
    data = validate(body(ctx.request), _node_rules())  # location_id has no rule: ignored
    node: Row = {
        "uuid": state.new_uuid(),
        "public": True,
        "description": None,
        "behind_proxy": False,
        "maintenance_mode": False,
        "upload_size": 100,
        "location_id": None,
        "tags": [],
        "daemon_sftp_alias": None,
        "daemon_token_id": state.random_string(16),
        "daemon_token": state.random_string(64),
        **_node_columns(data),
    }
    state.insert("nodes", node)
    return base.created(
        base.node_object(ctx, node, includes(ctx.request)), f"{ctx.base_url}{PREFIX}/nodes/{node['id']}"
    )


@override_route("PATCH", "/nodes/{node}", "pelican_nodes")
async def nodes_update(ctx: Ctx, node: Row) -> web.Response:
    state = ctx.state
    raw = body(ctx.request)
    changes = _node_columns(validate(raw, _node_rules()))
    if raw.get("reset_secret") is True:
        changes.update({"daemon_token_id": state.random_string(16), "daemon_token": state.random_string(64)})
    state.update("nodes", node, changes)
    return json_response(base.node_object(ctx, node, includes(ctx.request)))  # Wings failures are only logged


def viable_nodes(state: State, memory: int, disk: int, cpu: int, tags: list[str]) -> list[Row]:
    """Public nodes with room that carry ANY of the tags (none given: all)."""
    result = []
    for node in state.rows("nodes"):
        if not node["public"] or (tags and not set(tags) & set(node.get("tags") or [])):
            continue
        if node_fits(state, node, {"memory": memory, "disk": disk, "cpu": cpu}):
            result.append(node)
    return result


def node_fits(state: State, node: Row, wanted: dict[str, int]) -> bool:
    """Node::isViable: memory, disk and cpu of the node's servers plus ``wanted`` within each limit."""
    servers = state.select("servers", node_id=node["id"])
    return all(
        _room(node, column, sum(int(s[column] or 0) for s in servers) + amount) for column, amount in wanted.items()
    )


def _room(node: Row, column: str, total: int) -> bool:
    limit, over = int(node.get(column) or 0), int(node.get(f"{column}_overallocate") or 0)
    if limit == 0 or over == -1:
        return True  # 0 = unlimited, -1 = no overallocation check
    return total <= limit * (1 + over / 100)


def _string_list(value: Any) -> list[str]:
    if isinstance(value, dict):
        value = list(value.values())
    return [str(v) for v in (value or [])]


@override_route("GET", "/nodes/deployable", "pelican_nodes")
async def nodes_deployable(ctx: Ctx) -> web.Response:
    data = validate(
        {**query(ctx.request), **body(ctx.request)},
        {
            "page": "integer",
            "memory": "required|integer|min:0",
            "disk": "required|integer|min:0",
            "cpu": "sometimes|integer|min:0",
            "tags": "array",
            "tags.*": "string",
            "location_ids": "array",
        },
    )
    nodes = viable_nodes(
        ctx.state, int(data["memory"]), int(data["disk"]), int(data.get("cpu") or 0), _string_list(data.get("tags"))
    )
    requested = includes(ctx.request)
    rendered = []
    for node in nodes:
        servers = ctx.state.select("servers", node_id=node["id"])
        extra = {f"servers_sum_{c}": sum(int(s[c] or 0) for s in servers) for c in ("memory", "disk", "cpu")}
        rendered.append(base.node_object(ctx, node, requested, extra=extra))
    return json_response(list_envelope(rendered))  # never paginated


# ====================================================================== allocations (§3.7)
def _expand_ip(value: str) -> list[str]:
    """IPs or CIDR /25-/32 only: host names (localhost too) are not resolved any more. The parser's own reason is
    not modelled; the DisplayException's opening words are the panel's."""
    try:
        return base.expand_ip(value) if "/" in value else [str(ipaddress.ip_address(value))]
    except (ValueError, ApiError) as error:
        if isinstance(error, ApiError) and error.status != 500:
            raise  # CidrOutOfRangeException
        raise display_error(f"Could not parse provided allocation IP address ({value}): invalid address.") from None


@override_route("POST", "/nodes/{node}/allocations", "allocation_duplicates_fail")
async def allocations_store(ctx: Ctx, node: Row) -> web.Response:
    state = ctx.state
    data = validate(
        body(ctx.request),
        {
            "ip": "required|string",
            "ports": "required|array",
            "ports.*": "string",
            "alias": "sometimes|nullable|string|max:255",
        },
    )
    addresses = _expand_ip(data["ip"])
    raw_ports = list(data["ports"].values()) if isinstance(data["ports"], dict) else data["ports"]
    ports = base.expand_ports(raw_ports, lowest=PELICAN_PORT_FLOOR)
    existing = {(a["ip"], a["port"]) for a in state.select("allocations", node_id=node["id"])}
    wanted = [(address, port) for address in addresses for port in ports]
    if any(pair in existing for pair in wanted) or len(set(wanted)) != len(wanted):
        # The unique index stops the insert; the transaction rolls the whole batch back.
        raise server_error("UniqueConstraintViolationException")
    for address, port in wanted:
        insert_allocation(state, node["id"], address, port, data.get("alias"), is_locked=False)
    return empty_response(204)


# ====================================================================== servers (§3.6)
@override_route("GET", "/servers", "pelican_servers")
async def servers_index(ctx: Ctx) -> web.Response:
    filters = dict(base.server_filters())
    filters["uuid_short"] = filters.pop("uuidShort")  # the old name is an unknown filter now (400)
    q = query(ctx.request)
    rows = apply_sort(apply_filters(ctx.state.rows("servers"), q, filters), q, ["id", "uuid"])
    requested = includes(ctx.request)
    return json_response(paginate(ctx.request, rows, lambda r: base.server_object(ctx, r, requested)))


def _server_store_rules(state: State, data: Row) -> dict[str, Any]:
    rules = base.server_store_rules(state, data)
    for name in ("oom_disabled", "deploy.locations", "deploy.locations.*"):
        rules.pop(name)
    deploying = "deploy" in data
    present = "|present" if deploying else ""
    rules.update(
        {
            "docker_image": "sometimes|string",
            "startup": "sometimes|string",
            "oom_killer": "sometimes|boolean",
            "limits.io": "required|numeric|between:0,1000",
            "deploy.tags": "array" + present,
            "deploy.tags.*": "string",
            "deploy.dedicated_ip": "required_with:deploy|boolean",
        }
    )
    if state.config.has("deploy_locations_present"):
        rules["deploy.locations"] = "array" + present  # beta38 still insists on the deprecated field
    return rules


def _deploy(state: State, deploy: Row, limits: Row) -> tuple[int, Row | None]:
    """(node id, allocation or None): an empty port_range places the server without an allocation."""
    nodes = viable_nodes(
        state,
        base.as_int(limits["memory"]) or 0,
        base.as_int(limits["disk"]) or 0,
        base.as_int(limits["cpu"]) or 0,
        _string_list(deploy.get("tags")),
    )
    if not nodes:
        raise display_error(
            "No nodes satisfying the requirements specified for automatic deployment could be found.",
            code="NoViableNodeException",
        )
    port_range = _string_list(deploy.get("port_range"))
    if not port_range:
        return nodes[0]["id"], None
    node_ids = {node["id"] for node in nodes}
    chosen = base.free_deploy_allocation(state, node_ids, list(port_range), deploy.get("dedicated_ip"))
    return chosen["node_id"], chosen


@override_route("POST", "/servers", "pelican_servers")
async def servers_store(ctx: Ctx) -> web.Response:
    state = ctx.state
    raw = body(ctx.request)
    data = validate(raw, _server_store_rules(state, raw))
    egg = state.get("eggs", int(str(data["egg"])))
    assert egg is not None
    # docker_image / startup default to the egg's first image and first startup command; oom_disabled is ignored.
    data["docker_image"] = data.get("docker_image") or next(iter((egg["docker_images"] or {}).values()), "")
    data["startup"] = data.get("startup") or next(iter((egg.get("startup_commands") or {}).values()), egg["startup"])
    data["oom_disabled"] = not to_bool(data.get("oom_killer", False))
    if "deploy" in data:
        node_id, primary = _deploy(state, data["deploy"], data["limits"])
        additional: list[Row | None] = []
    else:
        allocation_data = data.get("allocation") or {}
        primary = state.get("allocations", int(str(allocation_data["default"])))
        assert primary is not None
        node_id = primary["node_id"]
        additional = [state.get("allocations", int(str(i))) for i in (allocation_data.get("additional") or [])]
    return await base.create_server(ctx, data, egg, node_id, primary, additional)


@override_route("PATCH", "/servers/{server}/build", "pelican_servers")
async def servers_build(ctx: Ctx, server: Row) -> web.Response:
    """Pterodactyl's build rules with an optional allocation and oom_killer instead of oom_disabled."""
    raw = dict(body(ctx.request))
    raw.pop("oom_disabled", None)
    if raw.get("oom_killer") is not None:
        raw["oom_disabled"] = not to_bool(raw["oom_killer"])
    raw.setdefault("allocation", server["allocation_id"])
    ctx.request["body"] = raw
    return base.update_build(ctx, server)


@override_route("PATCH", "/servers/{server}/startup", "pelican_servers")
async def servers_startup(ctx: Ctx, server: Row) -> web.Response:
    """startup and image are optional: omitted ones keep the server's values."""
    raw = dict(body(ctx.request))
    raw.setdefault("startup", server["startup"])
    raw.setdefault("image", server["image"])
    ctx.request["body"] = raw
    return base.update_startup(ctx, server)


# ====================================================================== transfers (§2.1, §4)
TRANSFER_BLOCKERS = {"installing", "install_failed", "reinstall_failed", "restoring_backup"}


def _transfer_rules(state: State) -> dict[str, Any]:
    return {
        "node_id": ["required", exists(state, "nodes")],
        "allocation_id": ["required", "bail", unique(state, "servers", "allocation_id"), exists(state, "allocations")],
        "allocation_additional": "nullable|array",
        "allocation_additional.*": ["integer", exists(state, "allocations")],
    }


def _transfer_conflict(server: Row) -> ApiError:
    """ServerStateConflictException: not installed, restoring a backup, or already transferring."""
    reason = (
        "transferring"
        if server.get("transfer")
        else ("restoring" if server["status"] == "restoring_backup" else "installing")
    )
    messages = {
        "transferring": "This server is currently being transferred to a new machine, please try again later.",
        "restoring": "This server is currently restoring from a backup, please try again later.",
        "installing": "This server has not yet completed its installation process, please try again later.",
    }
    return ApiError(409, "ServerStateConflictException", messages[reason])


@_route("POST", "/servers/{server}/transfer", "r_servers", WRITE)
async def servers_transfer(ctx: Ctx, server: Row) -> web.Response:
    """204 and the transfer runs (config.transfer_seconds; POST /_emulator/advance {"kind": "transfer"} ends it),
    or an empty 406 when the target node lacks room for the server."""
    state = ctx.state
    data = validate(body(ctx.request), _transfer_rules(state))
    node_id = int(str(data["node_id"]))
    target = state.get("nodes", node_id)
    assert target is not None
    if not node_fits(state, target, {column: int(server[column] or 0) for column in ("memory", "disk", "cpu")}):
        return web.Response(status=406)
    if server.get("transfer") or server["status"] in TRANSFER_BLOCKERS:
        raise _transfer_conflict(server)
    primary = int(str(data["allocation_id"]))
    additional = [int(v) for v in _string_list(data.get("allocation_additional"))]
    transfer: Row = {
        "old_node": server["node_id"],
        "new_node": node_id,
        "old_allocations": [],
        "new_allocation": None,
        "new_allocations": [],
    }
    if server["allocation_id"]:  # a server without allocations moves bare
        transfer.update(
            old_allocations=[a["id"] for a in state.select("allocations", server_id=server["id"])],
            new_allocation=primary,
            new_allocations=[primary, *additional],
        )
        _assign_free_allocations(state, server, node_id, transfer["new_allocations"])
    server_id = server["id"]
    transfer["timer_id"] = state.later(
        state.config.transfer_seconds, lambda: finish_transfer(state, server_id), kind="transfer"
    )
    state.update("servers", server, {"transfer": transfer})
    return empty_response(204)


def _assign_free_allocations(state: State, server: Row, node_id: int, wanted: list[int]) -> None:
    """TransferServerService: the wanted allocations that are free on the target node belong to the server from
    the start, so nothing else is given them while it moves; taken or foreign ones are skipped silently."""
    for allocation in state.select("allocations", node_id=node_id):
        if allocation["id"] in wanted and allocation["server_id"] is None:
            state.update("allocations", allocation, {"server_id": server["id"]})


def finish_transfer(state: State, server_id: int) -> None:
    """Wings' success callback: the allocations the server had when the move started are released (beta38 only
    clears server_id; notes stay), and the server takes the new node and primary allocation."""
    server = state.get("servers", server_id)
    if server is None or not server.get("transfer"):
        return
    transfer = server["transfer"]
    changes: Row = {"node_id": transfer["new_node"], "transfer": None}
    if transfer["old_allocations"]:
        for allocation_id in transfer["old_allocations"]:
            allocation = state.get("allocations", allocation_id)
            if allocation is not None:
                state.update("allocations", allocation, {"server_id": None})
        changes["allocation_id"] = transfer["new_allocation"]
    state.update("servers", server, changes)
    state.emit("server.updated", {"server": server})


@_route("POST", "/servers/{server}/transfer/cancel", "r_servers", WRITE)
async def servers_transfer_cancel(ctx: Ctx, server: Row) -> web.Response:
    """406 when nothing is moving. The panel marks the transfer finished before it tells Wings to stop, so Wings'
    failure callback that follows finds no transfer (409) and the target node's allocations given to the server at
    the start stay assigned to it (by reading beta38's ServerManagementController and ServerTransferController).
    The cancel then answers a generic 500 although it took effect: the panel tells the target node
    ``DELETE /api/transfer``, a route Wings (beta29) does not have, and its daemon client throws on the 404
    (DaemonServerRepository::cancelTransfer; Wings' router.go has only ``DELETE /api/transfers/:server``)."""
    transfer = server.get("transfer")
    if not transfer:
        return web.Response(status=406)
    ctx.state.cancel(transfer["timer_id"])
    ctx.state.update("servers", server, {"transfer": None})
    raise server_error("RequestException")


# ====================================================================== eggs (§2.1, §3.7)
@_route("GET", "/eggs", "r_eggs", READ)
async def eggs_index(ctx: Ctx) -> web.Response:
    requested = includes(ctx.request)
    return json_response(list_envelope([base.egg_object(ctx, e, requested) for e in ctx.state.rows("eggs")]))


@_route("GET", "/eggs/{egg}", "r_eggs", READ)
async def eggs_view(ctx: Ctx, egg: Row) -> web.Response:
    return json_response(base.egg_object(ctx, egg, includes(ctx.request)))


def egg_export(state: State, egg: Row) -> Row:
    return {
        "_comment": "DO NOT EDIT: FILE GENERATED AUTOMATICALLY BY PANEL",
        "meta": {"version": EGG_EXPORT_VERSION, "update_url": egg.get("update_url")},
        "exported_at": state.now(),
        "name": egg["name"],
        "author": egg["author"],
        "uuid": egg["uuid"],
        "description": egg["description"],
        "tags": list(egg.get("tags") or []),
        "features": egg.get("features"),
        "docker_images": dict(egg["docker_images"] or {}),
        "file_denylist": list(egg.get("file_denylist") or []),
        "startup_commands": dict(egg.get("startup_commands") or {"Default": egg["startup"]}),
        "config": {
            "files": base.json_or(egg["config_files"], {}),
            "startup": base.json_or(egg["config_startup"], {}),
            "logs": base.json_or(egg["config_logs"], {}),
            "stop": egg["config_stop"],
        },
        "scripts": {
            "installation": {
                "script": egg["script_install"],
                "container": egg["script_container"],
                "entrypoint": egg["script_entry"],
            }
        },
        "variables": [_variable_export(v) for v in state.egg_variables(egg["id"])],
    }


def _variable_export(variable: Row) -> Row:
    rules = variable["rules"]
    return {
        "name": variable["name"],
        "description": variable["description"],
        "env_variable": variable["env_variable"],
        "default_value": variable["default_value"],
        "user_viewable": bool(variable["user_viewable"]),
        "user_editable": bool(variable["user_editable"]),
        "rules": rules.split("|") if isinstance(rules, str) and rules else list(rules or []),
        "sort": variable.get("sort"),
    }


@_route("GET", "/eggs/{egg}/export", "r_eggs", READ)
async def eggs_export(ctx: Ctx, egg: Row) -> web.Response:
    export_format = str(query(ctx.request).get("format") or "")
    if export_format not in ("yaml", "json"):
        export_format = "yaml"  # EggFormat::tryFrom() ?? YAML
    content = egg_export(ctx.state, egg)
    slug = re.sub(r"[^a-z0-9]+", "-", egg["name"].lower()).strip("-")
    if export_format == "json":
        text, content_type = json.dumps(content, indent=4), "application/json"
    else:
        text, content_type = yaml.safe_dump(content, sort_keys=False), "application/yaml"
    return web.Response(
        text=text,
        content_type=content_type,
        headers={"Content-Disposition": f'attachment; filename="egg-{slug}.{export_format}"'},
    )


def _parse_egg_file(raw: bytes) -> Row:
    try:
        parsed = yaml.safe_load(raw.decode("utf-8"))  # YAML is a superset of JSON
    except (yaml.YAMLError, UnicodeDecodeError):
        parsed = None
    version = (parsed or {}).get("meta", {}).get("version") if isinstance(parsed, dict) else None
    if version not in EGG_IMPORT_VERSIONS:
        raise display_error("The file provided is not a valid egg export.", code="InvalidFileUploadException")
    return parsed


@_route("POST", "/eggs/import", "r_eggs", WRITE)
async def eggs_import(ctx: Ctx) -> web.Response:
    parsed = _parse_egg_file(ctx.request["raw_body"])
    state = ctx.state
    egg = state.find("eggs", uuid=parsed.get("uuid")) if parsed.get("uuid") else None
    columns = _egg_columns(parsed)
    if egg is None:  # no uuid (a Pterodactyl export): always a new egg
        egg = state.insert(
            "eggs",
            {
                "uuid": parsed.get("uuid") or state.new_uuid(),
                "nest_id": None,
                "config_from": None,
                "copy_script_from": None,
                "script_is_privileged": True,
                "icon": None,
                **columns,
            },
        )
    else:
        state.update("eggs", egg, columns)
    _import_variables(state, egg, parsed.get("variables") or [])
    return json_response(base.egg_object(ctx, egg, includes(ctx.request)), status=201)


def _egg_columns(parsed: Row) -> Row:
    config = parsed.get("config") or {}
    script = (parsed.get("scripts") or {}).get("installation") or {}
    startup_commands = parsed.get("startup_commands") or {"Default": parsed.get("startup") or ""}

    def text(value: Any) -> str:
        return value if isinstance(value, str) else json.dumps(value or {})

    return {
        "name": parsed.get("name"),
        "author": parsed.get("author"),
        "description": parsed.get("description"),
        "tags": list(parsed.get("tags") or []),
        "features": parsed.get("features"),
        "docker_images": dict(parsed.get("docker_images") or {}),
        "file_denylist": list(parsed.get("file_denylist") or []),
        "update_url": (parsed.get("meta") or {}).get("update_url"),
        "startup_commands": dict(startup_commands),
        "startup": next(iter(startup_commands.values()), ""),
        "config_files": text(config.get("files")),
        "config_startup": text(config.get("startup")),
        "config_logs": text(config.get("logs")),
        "config_stop": config.get("stop"),
        "script_install": script.get("script"),
        "script_container": script.get("container"),
        "script_entry": script.get("entrypoint"),
    }


def _import_variables(state: State, egg: Row, variables: list[Row]) -> None:
    """Update by env_variable, add new ones, delete those missing from the file."""
    current = {v["env_variable"]: v for v in state.egg_variables(egg["id"])}
    seen: set[str] = set()
    for entry in variables:
        rules = entry.get("rules") or []
        columns = {
            "name": entry.get("name"),
            "description": entry.get("description") or "",
            "default_value": entry.get("default_value") or "",
            "user_viewable": bool(entry.get("user_viewable")),
            "user_editable": bool(entry.get("user_editable")),
            "rules": "|".join(rules) if isinstance(rules, list) else str(rules),
            "sort": entry.get("sort"),
        }
        env = str(entry.get("env_variable"))
        seen.add(env)
        if env in current:
            state.update("egg_variables", current[env], columns)
        else:
            state.insert("egg_variables", {"egg_id": egg["id"], "env_variable": env, **columns})
    gone = {v["id"] for env, v in current.items() if env not in seen}
    if gone:
        state.delete_where("egg_variables", lambda row: row["id"] in gone)


def _delete_egg(ctx: Ctx, egg: Row) -> web.Response:
    state = ctx.state
    if state.find("servers", egg_id=egg["id"]) is not None:
        raise display_error(
            "An Egg with active servers attached to it cannot be deleted from the Panel.",
            code="HasActiveServersException",
        )
    if any(e.get("config_from") == egg["id"] or e.get("copy_script_from") == egg["id"] for e in state.rows("eggs")):
        raise display_error(
            "This Egg is a parent to one or more other Eggs. Please delete those Eggs before deleting this Egg.",
            code="HasChildrenException",
        )
    state.delete("eggs", egg["id"])
    state.delete_where("egg_variables", lambda row: row["egg_id"] == egg["id"])
    state._detach_mounts("eggs", egg["id"])
    return empty_response(204)


@_route("DELETE", "/eggs/{egg}", "r_eggs", READ)  # the panel checks READ only (a quirk)
async def eggs_delete(ctx: Ctx, egg: Row) -> web.Response:
    return _delete_egg(ctx, egg)


@_route("DELETE", "/eggs/uuid/{uuid}", "r_eggs", READ)
async def eggs_delete_by_uuid(ctx: Ctx) -> web.Response:
    egg = ctx.state.find("eggs", uuid=ctx.request.match_info["uuid"])
    if egg is None:
        raise not_found()
    return _delete_egg(ctx, egg)


# ====================================================================== mounts (§2.1, §3.7)
def _mount_targets(state: State, mount: Row, kind: str) -> list[Row]:
    table = MOUNT_TARGETS[kind][0]
    rows = (state.get(table, link["target_id"]) for link in state.select("mountables", mount_id=mount["id"], kind=kind))
    return [row for row in rows if row is not None]


def _render_targets(ctx: Ctx, kind: str, rows: list[Row]) -> Row:
    renderers: dict[str, Callable[..., Row]] = {
        "eggs": base.egg_object,
        "nodes": base.node_object,
        "servers": base.server_object,
    }
    render = renderers[kind]
    return list_envelope([render(ctx, row, set()) for row in rows])


def _mount_with_includes(ctx: Ctx, mount: Row) -> Row:
    obj = mount_object(mount)
    requested = includes(ctx.request)
    relationships = {
        kind: (
            _render_targets(ctx, kind, _mount_targets(ctx.state, mount, kind))
            if ctx.can_read(MOUNT_TARGETS[kind][1])
            else null_resource()
        )
        for kind in MOUNT_TARGETS
        if kind in requested
    }
    if relationships:
        obj["attributes"]["relationships"] = relationships
    return obj


@_route("GET", "/mounts", "r_mounts", READ)
async def mounts_index(ctx: Ctx) -> web.Response:
    q = query(ctx.request)
    rows = apply_filters(ctx.state.rows("mounts"), q, {"uuid": ("uuid", "partial"), "name": ("name", "partial")})
    return json_response(paginate(ctx.request, apply_sort(rows, q, ["id"]), lambda r: _mount_with_includes(ctx, r)))


@_route("GET", "/mounts/{mount}", "r_mounts", READ)
async def mounts_view(ctx: Ctx, mount: Row) -> web.Response:
    return json_response(_mount_with_includes(ctx, mount))


@_route("POST", "/mounts", "r_mounts", WRITE)
async def mounts_store(ctx: Ctx) -> web.Response:
    # The request class declares no rules, so nothing is filled and the insert fails: mounts are made in the UI.
    raise server_error("QueryException")


@_route("PATCH", "/mounts/{mount}", "r_mounts", WRITE)
async def mounts_update(ctx: Ctx, mount: Row) -> web.Response:
    state = ctx.state
    data = validate(
        body(ctx.request),
        {
            "name": ["required", "string", "between:2,64", unique(state, "mounts", "name", ignore_id=mount["id"])],
            "description": "sometimes|nullable|string",
            "source": "required|string",
            "target": "required|string",
            "read_only": "sometimes|boolean",
            "user_mountable": "sometimes|boolean",
        },
    )
    changes: Row = {name: data[name] for name in ("name", "source", "target", "description") if name in data}
    for flag in ("read_only", "user_mountable"):
        if data.get(flag) is not None:
            changes[flag] = to_bool(data[flag])
    state.update("mounts", mount, changes)
    return json_response(mount_object(mount))


@_route("DELETE", "/mounts/{mount}", "r_mounts", WRITE)
async def mounts_delete(ctx: Ctx, mount: Row) -> web.Response:
    if _mount_targets(ctx.state, mount, "servers"):
        raise display_error(
            "A mount must have no servers attached to it in order to be deleted.", code="HasActiveServersException"
        )
    ctx.state.delete("mounts", mount["id"])
    ctx.state.delete_where("mountables", lambda row: row["mount_id"] == mount["id"])
    return empty_response(204)


def _attach(ctx: Ctx, mount: Row, kind: str) -> web.Response:
    state = ctx.state
    table = MOUNT_TARGETS[kind][0]
    data = validate(body(ctx.request), {kind: "required|array", f"{kind}.*": ["integer", exists(state, table)]})
    values = data[kind].values() if isinstance(data[kind], dict) else data[kind]
    wanted = [int(v) for v in values]
    attached = {link["target_id"] for link in state.select("mountables", mount_id=mount["id"], kind=kind)}
    if set(wanted) & attached or len(set(wanted)) != len(wanted):
        raise server_error("UniqueConstraintViolationException")  # plain attach(): the pivot key is taken
    for target_id in wanted:
        state.insert("mountables", {"mount_id": mount["id"], "kind": kind, "target_id": target_id}, timestamps=False)
    return json_response(mount_object(mount))


def _detach(ctx: Ctx, mount: Row, kind: str) -> web.Response:
    target = base.int_param(ctx.request.match_info["target"])
    ctx.state.delete_where(
        "mountables", lambda row: row["mount_id"] == mount["id"] and row["kind"] == kind and row["target_id"] == target
    )
    return empty_response(204)  # also when it was not attached


def _list_targets(ctx: Ctx, mount: Row, kind: str) -> web.Response:
    return json_response(_render_targets(ctx, kind, _mount_targets(ctx.state, mount, kind)))


def _register_mount_links(kind: str, resource: str) -> None:
    async def listing(ctx: Ctx, mount: Row) -> web.Response:
        return _list_targets(ctx, mount, kind)

    async def attach(ctx: Ctx, mount: Row) -> web.Response:
        return _attach(ctx, mount, kind)

    async def detach(ctx: Ctx, mount: Row) -> web.Response:
        return _detach(ctx, mount, kind)

    for function, verb in ((listing, "list"), (attach, "attach"), (detach, "detach")):
        function.__name__ = f"mounts_{kind}_{verb}"
    _route("GET", f"/mounts/{{mount}}/{kind}", resource, READ)(listing)
    _route("POST", f"/mounts/{{mount}}/{kind}", "r_mounts", WRITE)(attach)
    _route("DELETE", f"/mounts/{{mount}}/{kind}/{{target}}", "r_mounts", WRITE)(detach)


for _kind, (_table, _resource) in MOUNT_TARGETS.items():
    _register_mount_links(_kind, _resource)


# ====================================================================== database hosts (§2.1)
def _database_host_rules(state: State, ignore_id: int | None = None) -> dict[str, Any]:
    return {
        "name": "required|string|max:255",
        "host": "required|string",
        "port": "required|numeric|between:1,65535",
        "username": "required|string|max:32",
        "password": "sometimes|nullable|string",
        "node_ids": "nullable|array",
        "node_ids.*": ["required", "integer", exists(state, "nodes")],
    }


def _database_host_columns(data: Row) -> Row:
    """The host's own columns (the model's fillable ones); node_ids are not among them."""
    columns: Row = {
        "name": data["name"],
        "host": data["host"],
        "port": base.as_int(data["port"]),
        "username": data["username"],
    }
    if "password" in data:
        columns["password"] = data["password"] or ""
    return columns


@_route("GET", "/database-hosts", "r_database_hosts", READ)
async def database_hosts_index(ctx: Ctx) -> web.Response:
    q = query(ctx.request)
    filters = {"name": ("name", "partial"), "host": ("host", "partial")}
    rows = apply_filters(ctx.state.rows("database_hosts"), q, filters)
    rows = apply_sort(rows, q, ["id", "name", "host"])
    return json_response(
        paginate(ctx.request, rows, lambda host: database_host_with_includes(ctx, host), default_per_page=10)
    )


@_route("GET", "/database-hosts/{database_host}", "r_database_hosts", READ)
async def database_hosts_view(ctx: Ctx, database_host: Row) -> web.Response:
    return json_response(database_host_with_includes(ctx, database_host))


@_route("POST", "/database-hosts", "r_database_hosts", WRITE)
async def database_hosts_store(ctx: Ctx) -> web.Response:
    """HostCreationService links the node_ids (nodes()->sync)."""
    data = validate(body(ctx.request), _database_host_rules(ctx.state))
    node_ids = list(dict.fromkeys(int(v) for v in _string_list(data.get("node_ids"))))
    host = ctx.state.insert(
        "database_hosts",
        {"max_databases": None, "node_id": None, "password": "", **_database_host_columns(data), "node_ids": node_ids},
    )
    return base.created(database_host_with_includes(ctx, host), f"{ctx.base_url}{PREFIX}/database-hosts/{host['id']}")


@_route("PATCH", "/database-hosts/{database_host}", "r_database_hosts", WRITE)
async def database_hosts_update(ctx: Ctx, database_host: Row) -> web.Response:
    """HostUpdateService: update() with the validated data, where node_ids is not a fillable column, so the links
    stay as they are; an empty password keeps the stored one."""
    data = validate(body(ctx.request), _database_host_rules(ctx.state, database_host["id"]))
    columns = _database_host_columns(data)
    if not columns.get("password"):
        columns.pop("password", None)
    ctx.state.update("database_hosts", database_host, columns)
    return json_response(database_host_with_includes(ctx, database_host))


@_route("DELETE", "/database-hosts/{database_host}", "r_database_hosts", WRITE)
async def database_hosts_delete(ctx: Ctx, database_host: Row) -> web.Response:
    if ctx.state.find("databases", database_host_id=database_host["id"]) is not None:
        raise server_error("QueryException")  # no check in the controller: the foreign key refuses (by reading)
    ctx.state.delete("database_hosts", database_host["id"])
    return empty_response(204)
