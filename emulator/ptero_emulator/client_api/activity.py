"""The activity logs of the account (GET /account/activity) and of a server (GET /servers/{server}/activity)."""

from __future__ import annotations

import hashlib
from typing import Any

from aiohttp import web

from .. import http
from ..http import item, json_response, null_resource
from ..state import State
from .context import ClientCtx, ServerContext, client_route, server_route
from .transformers import client_user_attributes

# Placeholder keys used by each event's description text; properties outside these (and ip/useragent/using_sftp)
# make has_additional_metadata true. Events not listed have no description text, so only the exclusions apply.
ACTIVITY_TEXT_KEYS: dict[str, tuple[str, ...]] = {
    "auth:ip-blocked": ("identifier",),
    "user:account.email-changed": ("old", "new"),
    "user:api-key.create": ("identifier",),
    "user:api-key.delete": ("identifier",),
    "user:ssh-key.create": ("fingerprint",),
    "user:ssh-key.delete": ("fingerprint",),
    "server:console.command": ("command",),
    "server:backup.download": ("name",),
    "server:backup.delete": ("name",),
    "server:backup.restore": ("name", "truncate"),
    "server:backup.restore-complete": ("name",),
    "server:backup.restore-failed": ("name",),
    "server:backup.start": ("name",),
    "server:backup.complete": ("name",),
    "server:backup.fail": ("name",),
    "server:backup.lock": ("name",),
    "server:backup.unlock": ("name",),
    "server:database.create": ("name",),
    "server:database.rotate-password": ("name",),
    "server:database.delete": ("name",),
    "server:file.read": ("file",),
    "server:file.copy": ("file",),
    "server:file.create-directory": ("directory", "name"),
    "server:file.decompress": ("files", "directory"),
    "server:file.download": ("file",),
    "server:file.pull": ("url", "directory"),
    "server:file.write": ("file",),
    "server:allocation.create": ("allocation",),
    "server:allocation.notes": ("allocation", "old", "new"),
    "server:allocation.primary": ("allocation",),
    "server:allocation.delete": ("allocation",),
    "server:schedule.create": ("name",),
    "server:schedule.update": ("name",),
    "server:schedule.execute": ("name",),
    "server:schedule.delete": ("name",),
    "server:task.create": ("action", "name"),
    "server:task.update": ("action", "name"),
    "server:task.delete": ("name",),
    "server:settings.rename": ("old", "new"),
    "server:settings.description": ("old", "new"),
    "server:startup.edit": ("variable", "old", "new"),
    "server:startup.image": ("old", "new"),
    "server:subuser.create": ("email",),
    "server:subuser.update": ("email",),
    "server:subuser.delete": ("email",),
}
HIDDEN_ACTIVITY_EVENTS = frozenset({"server:file.upload"})


def activity_item(state: State, viewer: dict[str, Any], row: dict[str, Any], with_actor: bool) -> dict[str, Any]:
    actor_id = row.get("actor_id")
    viewer_is_actor = actor_id is not None and actor_id == viewer["id"]
    properties: dict[str, Any] = {}
    count_keys: list[str] = []
    for key, value in (row.get("properties") or {}).items():
        if key == "ip" and not viewer_is_actor:
            properties[key] = "[hidden]"
        elif isinstance(value, (list, dict)):
            properties[key] = value
            properties[f"{key}_count"] = len(value)
            count_keys.append(f"{key}_count")
        elif key == "directory" and isinstance(value, str):
            properties[key] = ("/" + value.strip("/") + "/").replace("//", "/")
        else:
            properties[key] = value
    if len(count_keys) == 1:
        properties["count"] = properties.pop(count_keys[0])
    raw_properties = row.get("properties") or {}
    excluded = set(ACTIVITY_TEXT_KEYS.get(row["event"], ())) | {"ip", "useragent", "using_sftp"}
    attributes: dict[str, Any] = {
        "id": hashlib.sha1(str(row["id"]).encode()).hexdigest(),
        "batch": row.get("batch"),
        "event": row["event"],
        "is_api": row.get("api_key_id") is not None,
        "ip": row.get("ip") if (viewer_is_actor or viewer.get("root_admin")) else None,
        "description": row.get("description"),
        "properties": properties,
        "has_additional_metadata": any(key not in excluded for key in raw_properties),
        "timestamp": row.get("timestamp"),
    }
    if with_actor:
        actor = state.get("users", actor_id) if actor_id is not None else None
        attributes["relationships"] = {
            "actor": item("user", client_user_attributes(state, actor)) if actor else null_resource()
        }
    return item("activity_log", attributes)


def activity_list(ctx: ClientCtx, rows: list[dict[str, Any]]) -> web.Response:
    """An activity page: hidden events left out, filter[event], sort by timestamp, include=actor."""
    request = ctx.request
    query = http.query(request)
    rows = [row for row in rows if row["event"] not in HIDDEN_ACTIVITY_EVENTS]
    rows = http.apply_filters(rows, query, {"event": ("event", "partial")})
    rows = http.apply_sort(rows, query, {"timestamp": "timestamp"})
    sort = query.get("sort")
    if sort in ("timestamp", "-timestamp"):
        # Timestamps have one-second resolution: break ties by insertion order so newest-first is stable.
        rows = sorted(rows, key=lambda row: (row.get("timestamp") or "", row["id"]), reverse=sort.startswith("-"))
    with_actor = "actor" in http.includes(request)
    envelope = http.paginate(
        request,
        rows,
        lambda row: activity_item(ctx.state, ctx.user, row, with_actor),
        default_per_page=25,
        max_per_page=100,
        app_links=False,
    )
    return json_response(envelope)


@client_route("GET", "/account/activity")
async def account_activity(ctx: ClientCtx) -> web.Response:
    state, user = ctx.state, ctx.user
    rows = [row for row in state.rows("activity") if row.get("subject_user_id") == user["id"]]
    return activity_list(ctx, rows)


@server_route("GET", "/activity", "activity.read")
async def server_activity(ctx: ServerContext) -> web.Response:
    rows = [row for row in ctx.state.rows("activity") if row.get("server_id") == ctx.server["id"]]
    if ctx.state.config.activity_hide_admin:
        members = {sub["user_id"] for sub in ctx.state.select("subusers", server_id=ctx.server["id"])}
        members.add(ctx.server["owner_id"])

        def visible(row: dict[str, Any]) -> bool:
            actor = ctx.state.get("users", row.get("actor_id")) if row.get("actor_id") is not None else None
            return actor is None or not actor.get("root_admin") or actor["id"] in members

        rows = [row for row in rows if visible(row)]
    return activity_list(ctx, rows)
