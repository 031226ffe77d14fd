"""A server's backups: list, create (InitiateBackupService), view, download, lock, restore, delete."""

from __future__ import annotations

import functools
import hashlib
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from .. import http
from ..http import ApiError, bad_request, display_error, empty_response, item, json_response
from ..state import State, parse_timestamp
from .common import extra_setting, php_bool, require_daemon_reachable, runtime
from .context import Row, ServerContext, server_route
from .transformers import backup_attributes


def _epoch(text: str | None) -> float:
    return parse_timestamp(text) or 0.0


def _non_failed_backups(state: State, server_id: int) -> list[dict[str, Any]]:
    return sorted(
        (
            b
            for b in state.tables["backups"].values()
            if b["server_id"] == server_id
            and not b.get("deleted_at")
            and (b.get("completed_at") is None or b.get("is_successful"))
        ),
        key=lambda b: b["id"],
    )


def delete_backup_row(state: State, backup: dict[str, Any]) -> None:
    """DeleteBackupService: locked + successful + completed backups are protected; the row is soft-deleted."""
    if backup.get("is_locked") and backup.get("is_successful") and backup.get("completed_at") is not None:
        raise display_error("Cannot delete a backup that is marked as locked.", "BackupLockedException")
    require_daemon_reachable(state)
    state.update("backups", backup, {"deleted_at": state.now()})
    runtime(state).files.drop_backup(backup["uuid"])


def _throttle_backups(state: State, server: dict[str, Any], now: float) -> None:
    """The service's own limit (backup_throttle: count per period, failed ones not counted): 429 with Retry-After."""
    limit_count, period = state.config.backup_throttle
    if not period or period <= 0:
        return
    recent = [
        b
        for b in sorted(state.tables["backups"].values(), key=lambda b: b["id"])
        if b["server_id"] == server["id"]
        and (b.get("completed_at") is None or b.get("is_successful"))
        and _epoch(b.get("created_at")) >= now - period
    ]
    if len(recent) >= limit_count:
        retry = max(0, int(_epoch(recent[-1]["created_at"]) + period - now))
        raise ApiError(
            429,
            "TooManyRequestsHttpException",
            f"Only {int(limit_count)} backups may be generated within a {int(period)} second span of time.",
            headers={"Retry-After": str(retry)},
        )


def _make_room(state: State, server: dict[str, Any], override: bool) -> None:
    """At the backup limit: 400, or (a schedule's backup task) delete the oldest unlocked backup."""
    backup_limit = int(server.get("backup_limit") or 0)
    existing = _non_failed_backups(state, server["id"])
    if backup_limit and len(existing) < backup_limit:
        return
    too_many = display_error(
        f"Cannot create a new backup, this server has reached its limit of {backup_limit} backups.",
        "TooManyBackupsException",
    )
    unlocked = sorted((b for b in existing if not b.get("is_locked")), key=lambda b: (b.get("created_at"), b["id"]))
    if not override or backup_limit <= 0 or not unlocked:
        raise too_many
    delete_backup_row(state, unlocked[0])


def _complete_backup(state: State, server_id: int, backup_uuid: str) -> None:
    """Wings reporting the backup: successful with its archive and checksum, or failed (extra backups_fail)."""
    row = state.get("backups", backup_uuid)
    server = state.get("servers", server_id)
    if row is None or row.get("deleted_at") or server is None:
        return
    if extra_setting(state, "backups_fail", False):
        state.update("backups", row, {"is_successful": False, "is_locked": False, "completed_at": state.now()})
        state.log_activity(
            "server:backup.fail", None, server_id=server_id, properties={"name": row["name"]}, is_api=False
        )
        return
    archive, size = runtime(state).files.snapshot(server["uuid"], backup_uuid, row["ignored_files"])
    checksum = "sha1:" + hashlib.sha1(archive).hexdigest()
    state.update(
        "backups", row, {"is_successful": True, "checksum": checksum, "bytes": size, "completed_at": state.now()}
    )
    state.log_activity(
        "server:backup.complete", None, server_id=server_id, properties={"name": row["name"]}, is_api=False
    )


def start_backup(
    state: State, server: dict[str, Any], name: str | None, ignored: list[str], locked: bool, override: bool = False
) -> dict[str, Any]:
    """InitiateBackupService: throttle (429), limit (400, or rotate the oldest unlocked one in override mode),
    then the row, and completion after config.backup_seconds."""
    now = state.time()
    _throttle_backups(state, server, now)
    _make_room(state, server, override)
    require_daemon_reachable(state)
    started = datetime.fromtimestamp(int(now), tz=UTC)
    backup = state.insert(
        "backups",
        {
            "uuid": state.new_uuid(),
            "server_id": server["id"],
            "upload_id": None,
            "is_successful": False,
            "is_locked": bool(locked),
            "name": (name or "").strip() or f"Backup at {started:%Y-%m-%d %H:%M:%S}",
            "ignored_files": [line for line in ignored if line],
            "disk": "wings",
            "checksum": None,
            "bytes": 0,
            "completed_at": None,
            "deleted_at": None,
        },
    )
    complete = functools.partial(_complete_backup, state, server["id"], backup["uuid"])
    state.later(float(state.config.backup_seconds), complete, kind="backup")
    return backup


@server_route("GET", "/backups", "backup.read")
async def list_backups(ctx: ServerContext) -> web.Response:
    rows = sorted(
        (
            b
            for b in ctx.state.tables["backups"].values()
            if b["server_id"] == ctx.server["id"] and not b.get("deleted_at")
        ),
        key=lambda b: b["id"],
    )
    envelope = http.paginate(
        ctx.request,
        rows,
        lambda b: item("backup", backup_attributes(b)),
        default_per_page=20,
        max_per_page=50,
        app_links=True,
        extra_meta={"backup_count": len(_non_failed_backups(ctx.state, ctx.server["id"]))},
    )
    return json_response(envelope)


@server_route("POST", "/backups", "backup.create")
async def create_backup(ctx: ServerContext) -> web.Response:
    data = http.validate(
        ctx.input(), {"name": "nullable|string|max:191", "is_locked": "nullable|boolean", "ignored": "nullable|string"}
    )
    locked = php_bool(data.get("is_locked")) if ctx.can("backup.delete") else False
    ignored = str(data.get("ignored") or "").split("\n")
    backup = start_backup(ctx.state, ctx.server, data.get("name"), ignored, locked)
    ctx.log("server:backup.start", {"name": backup["name"], "locked": php_bool(data.get("is_locked"))})
    return json_response(item("backup", backup_attributes(backup)))


@server_route("GET", "/backups/{backup}", "backup.read")
async def view_backup(ctx: ServerContext, backup: Row) -> web.Response:
    return json_response(item("backup", backup_attributes(backup)))


@server_route("GET", "/backups/{backup}/download", "backup.download")
async def download_backup(ctx: ServerContext, backup: Row) -> web.Response:
    if backup.get("disk") not in ("wings", "s3"):
        raise bad_request("The backup requested references an unknown disk driver type and cannot be downloaded.")
    ctx.log("server:backup.download", {"name": backup["name"]})
    return ctx.signed_url(
        "/download/backup", "backup-download", {"backup_uuid": backup["uuid"], "server_uuid": ctx.server["uuid"]}
    )


@server_route("POST", "/backups/{backup}/lock", "backup.delete")
async def toggle_backup_lock(ctx: ServerContext, backup: Row) -> web.Response:
    event = "server:backup.unlock" if backup.get("is_locked") else "server:backup.lock"
    ctx.state.update("backups", backup, {"is_locked": not backup.get("is_locked")})
    ctx.log(event, {"name": backup["name"]})
    return json_response(item("backup", backup_attributes(backup)))


@server_route("POST", "/backups/{backup}/restore", "backup.restore", limiter="backup_restore")
async def restore_backup(ctx: ServerContext, backup: Row) -> web.Response:
    state, server, backup = ctx.state, ctx.server, backup
    data = http.validate(ctx.input(), {"truncate": "required|boolean"})
    if server.get("status") is not None:
        raise bad_request("This server is not currently in a state that allows for a backup to be restored.")
    if _backup_not_restorable(state, backup):
        raise bad_request("This backup cannot be restored at this time: not completed or failed.")
    require_daemon_reachable(state)
    truncate = php_bool(data["truncate"])
    ctx.log("server:backup.restore", {"name": backup["name"], "truncate": data["truncate"]})
    state.update("servers", server, {"status": "restoring_backup"})
    server_id, backup_uuid = server["id"], backup["uuid"]

    def finished() -> None:
        current = state.get("servers", server_id)
        if current is None:
            return
        runtime(state).files.restore(current["uuid"], backup_uuid, truncate)
        if current.get("status") == "restoring_backup":
            state.update("servers", current, {"status": None})
        state.log_activity(
            "server:backup.restore-complete",
            None,
            server_id=server_id,
            properties={"name": backup["name"]},
            is_api=False,
        )

    state.later(float(state.config.restore_seconds), finished, kind="restore")
    return empty_response(204)


def _backup_not_restorable(state: State, backup: dict[str, Any]) -> bool:
    """Panel 1.14.1 refuses a backup that failed or has not completed; before, only one still running (a failed
    backup could be restored)."""
    if state.config.has("failed_backup_not_restorable"):
        return not backup.get("is_successful") or backup.get("completed_at") is None
    return not backup.get("is_successful") and backup.get("completed_at") is None


@server_route("DELETE", "/backups/{backup}", "backup.delete")
async def delete_backup(ctx: ServerContext, backup: Row) -> web.Response:
    delete_backup_row(ctx.state, backup)
    ctx.log("server:backup.delete", {"name": backup["name"], "failed": not backup.get("is_successful")})
    return empty_response(204)
