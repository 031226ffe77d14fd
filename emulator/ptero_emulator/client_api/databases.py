"""A server's databases: list, create, rotate the password, delete."""

from __future__ import annotations

import secrets
from typing import Any

from aiohttp import web

from .. import http
from ..http import Check, display_error, empty_response, json_response, list_envelope
from ..pelican import database_password_permission
from ..state import State
from .common import random_string
from .context import Row, ServerContext, server_route
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
    return prefix + name[: 48 - len(prefix)]


def _password_include(ctx: ServerContext, requested: bool) -> bool | None:
    if not requested:
        return None
    return ctx.can(database_password_permission(ctx.state.config))


def _hosts_of_node(state: State, hosts: list[Row], node_id: int) -> list[Row]:
    """The hosts meant for a node: Pterodactyl's host.node_id; Pelican's database_host_node links (node_ids), which
    replaced that column (migration 2024_10_31_203540) and are what the API's host create fills."""
    if state.config.is_pelican:
        return [host for host in hosts if node_id in (host.get("node_ids") or [])]
    return [host for host in hosts if host.get("node_id") == node_id]


@server_route("GET", "/databases", "database.read")
async def list_databases(ctx: ServerContext) -> web.Response:
    with_password = _password_include(ctx, "password" in http.includes(ctx.request))
    rows = ctx.state.select("databases", server_id=ctx.server["id"])
    return json_response(list_envelope([database_item(ctx.state, row, with_password) for row in rows]))


@server_route("POST", "/databases", "database.create", limiter="databases")
async def create_database(ctx: ServerContext) -> web.Response:
    state, server = ctx.state, ctx.server
    data = ctx.input()

    def unique(value: Any, path: str, d: dict[str, Any]) -> bool:
        name = _prefixed_database_name(http.to_php_string(value), server["id"])
        return state.find("databases", server_id=server["id"], database=name) is None

    http.validate(
        data,
        {
            "database": [
                "required",
                "alpha_dash",
                "min:3",
                "max:48",
                Check("unique", unique, "The database name you have selected is already in use by this server."),
            ],
            "remote": ["required", "string", DATABASE_REMOTE_REGEX],
        },
        messages={"database.unique": "The database name you have selected is already in use by this server."},
    )
    hosts = state.rows("database_hosts")
    if not hosts:
        raise display_error(
            "No database host was found that meets the requirements for this server.", "NoSuitableDatabaseHostException"
        )
    node_hosts = _hosts_of_node(state, hosts, server["node_id"])
    if not node_hosts and not state.config.databases_allow_random_host:
        raise display_error(
            "No database host was found that meets the requirements for this server.", "NoSuitableDatabaseHostException"
        )
    host = state.random.choice(node_hosts or hosts)
    if not state.config.databases_enabled:
        raise http.server_error()  # DatabaseClientFeatureNotEnabledException is not an HTTP exception
    limit = server.get("database_limit")
    if limit is not None and len(state.select("databases", server_id=server["id"])) >= int(limit):
        raise display_error(
            "Operation aborted: creating a new database would put this server over the defined limit.",
            "TooManyDatabasesException",
        )
    database = state.insert(
        "databases",
        {
            "server_id": server["id"],
            "database_host_id": host["id"],
            "database": _prefixed_database_name(str(data["database"]), server["id"]),
            "username": f"u{server['id']}_{random_string(10)}",
            "remote": data["remote"],
            "password": _database_password(),
            "max_connections": 0,
        },
    )
    ctx.log("server:database.create", {"name": database["database"]})
    # The create response is built from the unsaved model: max_connections shows null.
    return json_response(database_item(state, database, _password_include(ctx, True), max_connections_override=None))


@server_route("POST", "/databases/{database}/rotate-password", "database.update")
async def rotate_database_password(ctx: ServerContext, database: Row) -> web.Response:
    ctx.state.update("databases", database, {"password": _database_password()})
    ctx.log("server:database.rotate-password", {"name": database["database"]})
    return json_response(database_item(ctx.state, database, _password_include(ctx, True)))


@server_route("DELETE", "/databases/{database}", "database.delete")
async def delete_database(ctx: ServerContext, database: Row) -> web.Response:
    ctx.state.delete("databases", database["id"])
    ctx.log("server:database.delete", {"name": database["database"]})
    return empty_response(204)
