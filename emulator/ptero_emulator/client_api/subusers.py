"""A server's subusers: list, add (creating the user when needed), view, change permissions, remove."""

from __future__ import annotations

import re
import secrets
from collections.abc import Sequence
from typing import Any

from aiohttp import web

from .. import http
from ..http import display_error, empty_response, forbidden, item, json_response, list_envelope
from ..pelican import subuser_permission_keys
from .common import deauthorize, random_string
from .context import Row, ServerContext, server_route
from .permissions import ALL_PERMISSIONS
from .transformers import subuser_attributes


def _known_permissions(ctx: ServerContext) -> Sequence[str]:
    return subuser_permission_keys(ctx.state.config, ALL_PERMISSIONS)  # Pelican has its own 44 keys


def _clean_permissions(requested: Any, known: Sequence[str]) -> list[str]:
    """Unknown strings dropped, websocket.connect always added, duplicates removed (first one wins)."""
    values = requested if isinstance(requested, list) else []
    cleaned: list[str] = []
    for value in [*values, "websocket.connect"]:
        if isinstance(value, str) and value in known and value not in cleaned:
            cleaned.append(value)
    return cleaned


def _subuser_authorize(ctx: ServerContext, permission: str, data: Row | None = None, member: Row | None = None) -> None:
    """SubuserRequest::authorize: the permission, never yourself (``member``), and no granting of permissions you
    lack (``data`` of a POST)."""
    ctx.require(permission)
    if member is not None and member["uuid"] == ctx.user["uuid"]:
        raise forbidden()
    if data is not None and ctx.request.method == "POST" and "permissions" in data:
        if ctx.is_admin or ctx.is_owner:
            return
        requested = data.get("permissions") or []
        held = set((ctx.subuser or {}).get("permissions") or [])
        if isinstance(requested, list) and any(p not in held for p in requested):
            raise forbidden(
                "Cannot assign permissions to a subuser that your account does not actively possess.",
                "HttpForbiddenException",
            )


def _revoke(ctx: ServerContext, member: Row) -> bool:
    """Take a subuser's access away on Wings. Panel 1.11: the token denylist, failures ignored (returns False).
    Panel 1.12+: /api/deauthorize-user, a queued job that retries, so the activity says revoked: true."""
    config = ctx.state.config
    if config.has("deauthorize_user"):
        deauthorize(ctx.app, member, [ctx.server["uuid"]])
        return True
    if config.daemon_unreachable:
        return False
    ctx.app["daemon"].revoke_user(ctx.server["uuid"], member["uuid"])
    return True


@server_route("GET", "/users")
async def list_subusers(ctx: ServerContext) -> web.Response:
    _subuser_authorize(ctx, "user.read")
    rows = ctx.state.select("subusers", server_id=ctx.server["id"])
    return json_response(list_envelope([item("server_subuser", subuser_attributes(ctx.state, row)) for row in rows]))


@server_route("POST", "/users", limiter="subusers")
async def create_subuser(ctx: ServerContext) -> web.Response:
    state, server = ctx.state, ctx.server
    data = ctx.input()
    _subuser_authorize(ctx, "user.create", data)
    http.validate(
        data,
        {"email": http.user_email_rules(ctx.state.config), "permissions": "required|array", "permissions.*": "string"},
    )
    permissions = _clean_permissions(data["permissions"], _known_permissions(ctx))
    email = str(data["email"])
    # The panel looks the address up in MySQL: case- and accent-insensitively.
    wanted = http.collation_key(email)
    user = next((row for row in state.tables["users"].values() if http.collation_key(row["email"]) == wanted), None)
    if user is not None:
        if server["owner_id"] == user["id"]:
            raise display_error(
                "You cannot add the server owner as a subuser for this server.", "UserIsServerOwnerException"
            )
        if state.find("subusers", user_id=user["id"], server_id=server["id"]) is not None:
            raise display_error(
                "A user with that email address is already assigned as a subuser for this server.",
                "ServerSubuserExistsException",
            )
    else:
        local = re.sub(r"[^\w.-]+", "", email.split("@", 1)[0], flags=re.ASCII)[:64]
        user = state.insert(
            "users",
            {
                "external_id": None,
                "uuid": state.new_uuid(),
                "username": (local + random_string(3)).lower(),
                "email": email,
                "name_first": "Server",
                "name_last": "Subuser",
                "password": None,
                "language": "en",
                "root_admin": False,
                "use_totp": False,
                "totp_secret": None,
                "totp_authenticated_at": None,
                "recovery_tokens": [],
                "gravatar": True,
            },
        )
        state.set_password(user, secrets.token_urlsafe(24))
    subuser = state.insert("subusers", {"user_id": user["id"], "server_id": server["id"], "permissions": permissions})
    ctx.log("server:subuser.create", {"email": email, "permissions": permissions}, subject_user_id=user["id"])
    return json_response(item("server_subuser", subuser_attributes(state, subuser)))


@server_route("GET", "/users/{user}")
async def view_subuser(ctx: ServerContext, subuser: Row, member: Row) -> web.Response:
    _subuser_authorize(ctx, "user.read", member=member)
    return json_response(item("server_subuser", subuser_attributes(ctx.state, subuser)))


@server_route("POST", "/users/{user}")
async def update_subuser(ctx: ServerContext, subuser: Row, member: Row) -> web.Response:
    data = ctx.input()
    _subuser_authorize(ctx, "user.update", data, member)
    http.validate(data, {"permissions": "required|array", "permissions.*": "string"})
    permissions = _clean_permissions(data["permissions"], _known_permissions(ctx))
    current = sorted(subuser.get("permissions") or [])
    if sorted(permissions) != current:
        ctx.state.update("subusers", subuser, {"permissions": permissions})
        revoked = _revoke(ctx, member)
        ctx.log(
            "server:subuser.update",
            {"email": member["email"], "old": current, "new": sorted(permissions), "revoked": revoked},
            subject_user_id=member["id"],
        )
    return json_response(item("server_subuser", subuser_attributes(ctx.state, subuser)))


@server_route("DELETE", "/users/{user}")
async def delete_subuser(ctx: ServerContext, subuser: Row, member: Row) -> web.Response:
    _subuser_authorize(ctx, "user.delete", member=member)
    ctx.state.delete("subusers", subuser["id"])
    revoked = _revoke(ctx, member)
    ctx.log("server:subuser.delete", {"email": member["email"], "revoked": revoked}, subject_user_id=member["id"])
    return empty_response(204)
