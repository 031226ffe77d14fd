"""Pelican's /api/client differences (pelican.md §2.2, §3.5): the account object, the flat permission list, and
``DELETE /account/ssh-keys/{fingerprint}`` (which replaces ``POST /ssh-keys/remove``). The client controllers call
the shape helpers when ``config.has(...)``; the removed routes are hidden by pelican.ROUTE_GATES."""
from __future__ import annotations

from typing import Any

from aiohttp import web

from .client_api.common import gravatar
from .client_api.context import ClientCtx, client_route
from .client_api.permissions import PERMISSION_GROUPS
from .http import empty_response, not_found

Row = dict[str, Any]


def account_attributes(user: Row) -> Row:
    """The client ``user`` object: no id, first or last name; uuid, root_admin and 2fa_enabled instead."""
    return {"uuid": user["uuid"], "username": user["username"], "email": user["email"],
            "language": user.get("language") or "en", "image": gravatar(user["email"]),
            "admin": bool(user.get("root_admin")), "root_admin": bool(user.get("root_admin")),
            "2fa_enabled": bool(user.get("use_totp")), "created_at": user.get("created_at"),
            "updated_at": user.get("updated_at")}


def flat_permissions() -> list[str]:
    """GET /api/client/permissions: ``group.key`` strings instead of the group map."""
    return [f"{group}.{key}" for group, (_unused, keys) in PERMISSION_GROUPS.items() for key in keys]


@client_route("DELETE", "/account/ssh-keys/{fingerprint}")
async def delete_ssh_key(ctx: ClientCtx) -> web.Response:
    """404 when the key is absent: not idempotent, unlike Pterodactyl's POST /ssh-keys/remove."""
    state, user = ctx.state, ctx.user
    key = state.find("ssh_keys", user_id=user["id"], fingerprint=ctx.request.match_info["fingerprint"])
    if key is None:
        raise not_found()
    state.delete("ssh_keys", key["id"])
    ctx.log("user:ssh-key.delete", {"fingerprint": key["fingerprint"]})
    return empty_response(204)
