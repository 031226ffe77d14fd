"""A server's databases: list, create, rotate the password, delete."""
from __future__ import annotations

import secrets
from typing import Any

from aiohttp import web

from .. import http
from ..http import Check, display_error, empty_response, json_response, list_envelope
from .common import (
    SERVER, ServerContext, bind_database, client_route, database_belongs, gate, log_activity, random_string,
    request_input, resolve_server, server_context,
)
from .transformers import database_item

DATABASE_REMOTE_REGEX = r"regex:/^[\w\-\/.%:]+$/"
DATABASE_PASSWORD_SPECIALS = "!@=.+^"


def _database_password() -> str:
    """24 random characters with 2-6 of them replaced by specials from "!@=.+^"."""
    characters = list(random_string(24))
    for index in secrets.SystemRandom().sample(range(24), secrets.choice(range(2, 7))):
        characters[index] = secrets.choice(DATABASE_PASSWORD_SPECIALS)
    return "".join(characters)


def _prefixed_database_name(name: str, server_id: int) -> str:
    prefix = f"s{server_id}_"
    return prefix + name[:48 - len(prefix)]


def _password_include(ctx: ServerContext, requested: bool) -> bool | None:
    if not requested:
        return None
    return ctx.can("database.view_password")


@client_route("GET", SERVER + "/databases")
async def list_databases(request: web.Request) -> web.Response:
    ctx = server_context(request, "database.read")
    with_password = _password_include(ctx, "password" in http.includes(request))
    rows = ctx.state.select("databases", server_id=ctx.server["id"])
    return json_response(list_envelope([database_item(ctx.state, row, with_password) for row in rows]))


@client_route("POST", SERVER + "/databases")
async def create_database(request: web.Request) -> web.Response:
    ctx = server_context(request, "database.create", limiter="databases")
    state, server = ctx.state, ctx.server
    data = request_input(request)

    def unique(value: Any, path: str, d: dict[str, Any]) -> bool:
        name = _prefixed_database_name(http.to_php_string(value), server["id"])
        return state.find("databases", server_id=server["id"], database=name) is None

    http.validate(data, {
        "database": ["required", "alpha_dash", "min:3", "max:48",
                     Check("unique", unique, "The database name you have selected is already in use by this server.")],
        "remote": ["required", "string", DATABASE_REMOTE_REGEX]},
        messages={"database.unique": "The database name you have selected is already in use by this server."})
    hosts = state.rows("database_hosts")
    if not hosts:
        raise display_error("No database host was found that meets the requirements for this server.",
                            "NoSuitableDatabaseHostException")
    node_hosts = [host for host in hosts if host.get("node_id") == server["node_id"]]
    if not node_hosts and not getattr(state.config, "databases_allow_random_host", True):
        raise display_error("No database host was found that meets the requirements for this server.",
                            "NoSuitableDatabaseHostException")
    host = state.random.choice(node_hosts or hosts)
    if not getattr(state.config, "databases_enabled", True):
        raise http.server_error()  # DatabaseClientFeatureNotEnabledException is not an HTTP exception
    limit = server.get("database_limit")
    if limit is not None and len(state.select("databases", server_id=server["id"])) >= int(limit):
        raise display_error("Operation aborted: creating a new database would put this server over the defined "
                            "limit.", "TooManyDatabasesException")
    database = state.insert("databases", {
        "server_id": server["id"], "database_host_id": host["id"],
        "database": _prefixed_database_name(str(data["database"]), server["id"]),
        "username": f"u{server['id']}_{random_string(10)}", "remote": data["remote"],
        "password": _database_password(), "max_connections": 0,
    })
    log_activity(request, "server:database.create", {"name": database["database"]}, server=server)
    # The create response is built from the unsaved model: max_connections shows null.
    return json_response(database_item(state, database, _password_include(ctx, True), max_connections_override=None))


def _database_context(request: web.Request, permission: str) -> tuple[ServerContext, dict[str, Any]]:
    ctx = resolve_server(request)
    bind_database(ctx)
    gate(ctx)
    database = database_belongs(ctx)
    ctx.require(permission)
    return ctx, database


@client_route("POST", SERVER + "/databases/{database}/rotate-password")
async def rotate_database_password(request: web.Request) -> web.Response:
    ctx, database = _database_context(request, "database.update")
    ctx.state.update("databases", database, {"password": _database_password()})
    log_activity(request, "server:database.rotate-password", {"name": database["database"]}, server=ctx.server)
    return json_response(database_item(ctx.state, database, _password_include(ctx, True)))


@client_route("DELETE", SERVER + "/databases/{database}")
async def delete_database(request: web.Request) -> web.Response:
    ctx, database = _database_context(request, "database.delete")
    ctx.state.delete("databases", database["id"])
    log_activity(request, "server:database.delete", {"name": database["database"]}, server=ctx.server)
    return empty_response(204)
