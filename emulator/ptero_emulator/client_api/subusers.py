"""A server's subusers: list, add (creating the user when needed), view, change permissions, remove."""
from __future__ import annotations

import re
import secrets
from typing import Any

from aiohttp import web

from .. import http
from ..http import display_error, empty_response, forbidden, item, json_response, list_envelope
from .common import (
    SERVER, ServerContext, bind_subuser, client_route, deauthorize, log_activity, random_string, request_input,
    request_state, server_context,
)
from .permissions import ALL_PERMISSIONS
from .transformers import subuser_attributes


def _clean_permissions(requested: Any) -> list[str]:
    """Unknown strings dropped, websocket.connect always added, duplicates removed (first one wins)."""
    values = requested if isinstance(requested, list) else []
    cleaned: list[str] = []
    for value in values + ["websocket.connect"]:
        if isinstance(value, str) and value in ALL_PERMISSIONS and value not in cleaned:
            cleaned.append(value)
    return cleaned


def _subuser_authorize(ctx: ServerContext, permission: str, data: dict[str, Any] | None) -> None:
    """SubuserRequest::authorize: the permission, never yourself, and no granting of permissions you lack."""
    ctx.require(permission)
    target = ctx.children.get("subuser_user")
    if target is not None and target["uuid"] == ctx.user["uuid"]:
        raise forbidden()
    if data is not None and ctx.request.method == "POST" and "permissions" in data:
        if ctx.is_admin or ctx.is_owner:
            return
        requested = data.get("permissions") or []
        held = set((ctx.subuser or {}).get("permissions") or [])
        if isinstance(requested, list) and any(p not in held for p in requested):
            raise forbidden("Cannot assign permissions to a subuser that your account does not actively possess.",
                            "HttpForbiddenException")


def _revoke(request: web.Request, server: dict[str, Any], user: dict[str, Any]) -> bool:
    """Take a subuser's access away on Wings. Panel 1.11: the token denylist, failures ignored (returns False).
    Panel 1.12+: /api/deauthorize-user, a queued job that retries, so the activity says revoked: true."""
    if request_state(request).config.has("deauthorize_user"):
        deauthorize(request.app, user, [server["uuid"]])
        return True
    if getattr(request_state(request).config, "daemon_unreachable", False):
        return False
    daemon = request.app.get("daemon")
    if daemon is None:
        return False
    daemon.revoke_user(server["uuid"], user["uuid"])
    return True


@client_route("GET", SERVER + "/users")
async def list_subusers(request: web.Request) -> web.Response:
    ctx = server_context(request)
    _subuser_authorize(ctx, "user.read", None)
    rows = ctx.state.select("subusers", server_id=ctx.server["id"])
    return json_response(list_envelope([item("server_subuser", subuser_attributes(ctx.state, row)) for row in rows]))


@client_route("POST", SERVER + "/users")
async def create_subuser(request: web.Request) -> web.Response:
    ctx = server_context(request, limiter="subusers")
    state, server = ctx.state, ctx.server
    data = request_input(request)
    _subuser_authorize(ctx, "user.create", data)
    http.validate(data, {"email": http.user_email_rules(ctx.state.config), "permissions": "required|array",
                         "permissions.*": "string"})
    permissions = _clean_permissions(data["permissions"])
    email = str(data["email"])
    # The panel looks the address up in MySQL: case- and accent-insensitively.
    wanted = http.collation_key(email)
    user = next((row for row in state.tables["users"].values() if http.collation_key(row["email"]) == wanted), None)
    if user is not None:
        if server["owner_id"] == user["id"]:
            raise display_error("You cannot add the server owner as a subuser for this server.",
                                "UserIsServerOwnerException")
        if state.find("subusers", user_id=user["id"], server_id=server["id"]) is not None:
            raise display_error("A user with that email address is already assigned as a subuser for this server.",
                                "ServerSubuserExistsException")
    else:
        local = re.sub(r"[^\w.-]+", "", email.split("@", 1)[0], flags=re.ASCII)[:64]
        user = state.insert("users", {
            "external_id": None, "uuid": state.new_uuid(), "username": (local + random_string(3)).lower(),
            "email": email, "name_first": "Server", "name_last": "Subuser", "password": None, "language": "en",
            "root_admin": False, "use_totp": False, "totp_secret": None, "totp_authenticated_at": None,
            "recovery_tokens": [], "gravatar": True,
        })
        state.set_password(user, secrets.token_urlsafe(24))
    subuser = state.insert("subusers", {"user_id": user["id"], "server_id": server["id"],
                                        "permissions": permissions})
    log_activity(request, "server:subuser.create", {"email": email, "permissions": permissions}, server=server,
         subject_user_id=user["id"])
    return json_response(item("server_subuser", subuser_attributes(state, subuser)))


@client_route("GET", SERVER + "/users/{user}")
async def view_subuser(request: web.Request) -> web.Response:
    ctx = server_context(request, bind=bind_subuser)
    _subuser_authorize(ctx, "user.read", None)
    return json_response(item("server_subuser", subuser_attributes(ctx.state, ctx.children["subuser"])))


@client_route("POST", SERVER + "/users/{user}")
async def update_subuser(request: web.Request) -> web.Response:
    ctx = server_context(request, bind=bind_subuser)
    data = request_input(request)
    _subuser_authorize(ctx, "user.update", data)
    http.validate(data, {"permissions": "required|array", "permissions.*": "string"})
    subuser, target = ctx.children["subuser"], ctx.children["subuser_user"]
    permissions = _clean_permissions(data["permissions"])
    current = sorted(subuser.get("permissions") or [])
    if sorted(permissions) != current:
        ctx.state.update("subusers", subuser, {"permissions": permissions})
        revoked = _revoke(request, ctx.server, target)
        log_activity(request, "server:subuser.update", {"email": target["email"], "old": current,
                                                "new": sorted(permissions), "revoked": revoked},
             server=ctx.server, subject_user_id=target["id"])
    return json_response(item("server_subuser", subuser_attributes(ctx.state, subuser)))


@client_route("DELETE", SERVER + "/users/{user}")
async def delete_subuser(request: web.Request) -> web.Response:
    ctx = server_context(request, bind=bind_subuser)
    _subuser_authorize(ctx, "user.delete", None)
    subuser, target = ctx.children["subuser"], ctx.children["subuser_user"]
    ctx.state.delete("subusers", subuser["id"])
    revoked = _revoke(request, ctx.server, target)
    log_activity(request, "server:subuser.delete", {"email": target["email"], "revoked": revoked}, server=ctx.server,
         subject_user_id=target["id"])
    return empty_response(204)
