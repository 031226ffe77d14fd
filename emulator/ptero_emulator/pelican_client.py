"""Pelican's /api/client differences (pelican.md §2.2, §3.5): the account object, the subuser permission catalogue
(a flat list on GET /permissions), and the routes Pelican added: ``DELETE /account/ssh-keys/{fingerprint}`` (which
replaces ``POST /ssh-keys/remove``), ``PUT /account/username``, ``PUT /servers/{s}/backups/{b}/rename`` and
``POST /servers/{s}/settings/description``. The client controllers call the shape helpers when ``config.has(...)``;
pelican.ROUTE_GATES hides the added routes on Pterodactyl and the removed ones on Pelican."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from . import http
from .client_api.common import INVALID_PASSWORD, gravatar
from .client_api.context import ClientCtx, ServerContext, client_route, server_route
from .client_api.transformers import backup_attributes
from .http import Check, display_error, empty_response, forbidden, item, json_response, not_found
from .pelican import PELICAN_PERMISSIONS, route_not_found
from .state import State

Row = dict[str, Any]


def account_attributes(user: Row) -> Row:
    """The client ``user`` object: no id, first or last name; uuid, root_admin and 2fa_enabled instead."""
    return {
        "uuid": user["uuid"],
        "username": user["username"],
        "email": user["email"],
        "language": user.get("language") or "en",
        "image": gravatar(user["email"]),
        "admin": bool(user.get("root_admin")),
        "root_admin": bool(user.get("root_admin")),
        "2fa_enabled": bool(user.get("use_totp")),
        "created_at": user.get("created_at"),
        "updated_at": user.get("updated_at"),
    }


def flat_permissions() -> list[str]:
    """GET /api/client/permissions: the ``group.key`` strings instead of Pterodactyl's group map."""
    return list(PELICAN_PERMISSIONS)  # no descriptions or groups any more


@client_route("DELETE", "/account/ssh-keys/{fingerprint}")
async def delete_ssh_key(ctx: ClientCtx) -> web.Response:
    """404 when the key is absent: not idempotent, unlike Pterodactyl's POST /ssh-keys/remove. Laravel matches
    routes on the decoded path and ``{fingerprint}`` has the default pattern (no '/'), so a fingerprint holding '/'
    (sent as %2F or not) matches no route at all: that key cannot be deleted through the API."""
    state, user = ctx.state, ctx.user
    fingerprint = ctx.request.match_info["fingerprint"]
    if "/" in fingerprint:
        raise route_not_found(f"/api/client/account/ssh-keys/{fingerprint}")
    key = state.find("ssh_keys", user_id=user["id"], fingerprint=fingerprint)
    if key is None:
        raise not_found()
    state.delete("ssh_keys", key["id"])
    ctx.log("user:ssh-key.delete", {"fingerprint": key["fingerprint"]})
    return empty_response(204)


# ---------------------------------------------------------------------------------------------------- account
def _username_rules(state: State, user: Row) -> dict[str, Any]:
    def free(value: Any, path: str, data: Row) -> bool:
        wanted = str(value).lower()
        return not any(
            row["id"] != user["id"] and str(row["username"]).lower() == wanted for row in state.rows("users")
        )

    return {"username": ["required", "between:1,255", Check("unique", free)]}


@client_route("PUT", "/account/username")
async def update_username(ctx: ClientCtx) -> web.Response:
    """The current password first (400), then 403 for externally managed users, then the model's username rule."""
    data = ctx.input()
    password = data.get("password")
    if not isinstance(password, str) or not State.check_password(ctx.user, password):
        raise display_error(INVALID_PASSWORD, "InvalidPasswordProvidedException")
    if ctx.user.get("is_managed_externally"):
        raise forbidden()
    username = str(http.validate(data, _username_rules(ctx.state, ctx.user))["username"]).lower()
    original = ctx.user["username"]
    ctx.state.update("users", ctx.user, {"username": username})
    if username != original:
        ctx.log("user:account.username-changed", {"old": original, "new": username})
    return empty_response(204)


# ---------------------------------------------------------------------------------------------------- servers
@server_route("PUT", "/backups/{backup}/rename", "backup.delete")
async def rename_backup(ctx: ServerContext, backup: Row) -> web.Response:
    """Renaming needs the backup.delete permission in Pelican; answers the backup."""
    name = http.validate(ctx.input(), {"name": "required|string|max:255"})["name"]
    original = backup["name"]
    ctx.state.update("backups", backup, {"name": name})
    if name != original:
        ctx.log("server:backup.rename", {"old_name": original, "new_name": name})
    return json_response(item("backup", backup_attributes(backup)))


@server_route("POST", "/settings/description", "settings.description")
async def describe_server(ctx: ServerContext) -> web.Response:
    """403 with the body [] while the panel forbids editing descriptions (PANEL_EDITABLE_SERVER_DESCRIPTIONS)."""
    if not ctx.state.config.editable_server_descriptions:
        return json_response([], status=403)
    description = http.validate(ctx.input(), {"description": "string|nullable"}).get("description")
    original = ctx.server["description"]
    ctx.state.update("servers", ctx.server, {"description": description or ""})
    if ctx.server["description"] != original:
        ctx.log("server:settings.description", {"old": original, "new": description})
    return empty_response(204)
