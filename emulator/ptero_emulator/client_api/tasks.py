"""The tasks of a schedule: create, update (with resequencing), delete."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from .. import http
from ..http import MISSING, Check, display_error, empty_response, forbidden, item, json_response
from ..state import State
from ..wings import POWER_PERMISSIONS, POWER_SIGNALS
from .common import PERMISSION_DENIED, int_or_none, php_bool
from .context import Row, ServerContext, server_route
from .transformers import schedule_tasks, task_attributes


def required_unless(other: str, value: str) -> Check:
    def passes(current: Any, path: str, data: dict[str, Any]) -> bool:
        return http.to_php_string(data.get(other)) == value or http.is_filled(current)

    return Check(
        "required_unless", passes, f"The :attribute field is required unless {other} is in {value}.", implicit=True
    )


TASK_RULES: dict[str, Any] = {
    "action": "required|in:command,power,backup",
    "payload": [required_unless("action", "backup"), "string", "nullable"],
    "time_offset": "required|numeric|min:0|max:900",
    "sequence_id": "sometimes|required|numeric|min:1",
    "continue_on_failure": "sometimes|required|boolean",
}


POWER_TASK_PAYLOADS = POWER_SIGNALS
_POWER_PAYLOAD_RULE = Check(
    "in", lambda value, path, data: data.get("action") != "power" or http.to_php_string(value) in POWER_TASK_PAYLOADS
)


def _task_rules(state: State) -> dict[str, Any]:
    """Panel 1.14.1 also limits a power task's payload to start|stop|restart|kill."""
    if not state.config.has("schedule_task_rules"):
        return TASK_RULES
    return {**TASK_RULES, "payload": [*TASK_RULES["payload"], _POWER_PAYLOAD_RULE]}


def task_permission(action: Any, payload: Any) -> str | None:
    """The permission a task's action needs (panel 1.14.1 Task model); None when it maps to none."""
    if action == "command":
        return "control.console"
    if action == "backup":
        return "backup.create"
    if action == "power":
        return POWER_PERMISSIONS.get(http.to_php_string(payload).strip())
    return None


def _authorize_task(ctx: ServerContext, data: dict[str, Any]) -> None:
    """Panel 1.14.1 StoreTaskRequest::authorize: schedule.update (checked already) and the action's permission;
    an action that maps to no permission is left to validation (422)."""
    if not ctx.state.config.has("schedule_task_rules"):
        return
    permission = task_permission(data.get("action"), data.get("payload"))
    if permission is not None and not ctx.can(permission):
        raise forbidden()


def _requested_sequence(data: dict[str, Any], default: int) -> int:
    """$request->integer('sequence_id', default), at least 1."""
    value = data.get("sequence_id", MISSING)
    if value is MISSING or value is None:
        return max(1, default)
    parsed = int_or_none(value)
    return max(1, parsed if parsed is not None else 0)


def _task_backup_forbidden(server: dict[str, Any], data: dict[str, Any]) -> None:
    limit = server.get("backup_limit")
    if limit is not None and int(limit) == 0 and data.get("action") == "backup":
        raise forbidden(
            "A backup task cannot be created when the server's backup limit is set to 0.", "HttpForbiddenException"
        )


@server_route("POST", "/schedules/{schedule}/tasks", "schedule.update")
async def create_task(ctx: ServerContext, schedule: Row) -> web.Response:
    data = ctx.input()
    _authorize_task(ctx, data)
    http.validate(data, _task_rules(ctx.state))
    tasks = schedule_tasks(ctx.state, schedule["id"])
    limit = int(ctx.state.config.schedule_task_limit)
    if len(tasks) >= limit:
        raise display_error(
            f"Schedules may not have more than {limit} tasks associated with them. Creating this "
            "task would put this schedule over the limit.",
            "ServiceLimitExceededException",
        )
    _task_backup_forbidden(ctx.server, data)
    sequence_id = max((t["sequence_id"] for t in tasks), default=0) + 1
    requested = _requested_sequence(data, sequence_id)
    if requested < sequence_id:
        for task in tasks:
            if task["sequence_id"] >= requested:
                ctx.state.update("tasks", task, {"sequence_id": task["sequence_id"] + 1})
        sequence_id = requested
    task = ctx.state.insert(
        "tasks",
        {
            "schedule_id": schedule["id"],
            "sequence_id": sequence_id,
            "action": data["action"],
            "payload": data.get("payload") if data.get("payload") is not None else "",
            "time_offset": int_or_none(data.get("time_offset")) or 0,
            "is_queued": False,
            "continue_on_failure": php_bool(data.get("continue_on_failure")),
        },
    )
    ctx.log("server:task.create", {"name": schedule["name"], "action": task["action"], "payload": task["payload"]})
    return json_response(item("schedule_task", task_attributes(task)))


@server_route("POST", "/schedules/{schedule}/tasks/{task}", "schedule.update")
async def update_task(ctx: ServerContext, schedule: Row, task: Row) -> web.Response:
    data = ctx.input()
    _authorize_task(ctx, data)
    http.validate(data, _task_rules(ctx.state))
    _task_backup_forbidden(ctx.server, data)
    current = task["sequence_id"]
    logged = {"name": schedule["name"], "action": task["action"], "payload": task["payload"]}
    wanted = _requested_sequence(data, current)
    for other in schedule_tasks(ctx.state, schedule["id"]):
        if other["id"] == task["id"]:
            continue
        if wanted < current and wanted <= other["sequence_id"] < current:
            ctx.state.update("tasks", other, {"sequence_id": other["sequence_id"] + 1})
        elif wanted > current and current < other["sequence_id"] <= wanted:
            ctx.state.update("tasks", other, {"sequence_id": other["sequence_id"] - 1})
    ctx.state.update(
        "tasks",
        task,
        {
            "sequence_id": wanted,
            "action": data["action"],
            "payload": data.get("payload") if data.get("payload") is not None else "",
            "time_offset": int_or_none(data.get("time_offset")) or 0,
            "continue_on_failure": php_bool(data.get("continue_on_failure")),
        },
    )
    ctx.log("server:task.update", logged)
    return json_response(item("schedule_task", task_attributes(task)))


@server_route("DELETE", "/schedules/{schedule}/tasks/{task}")
async def delete_task(ctx: ServerContext, schedule: Row, task: Row) -> web.Response:
    ctx.require("schedule.update", PERMISSION_DENIED)
    for other in schedule_tasks(ctx.state, schedule["id"]):
        if other["sequence_id"] > task["sequence_id"]:
            ctx.state.update("tasks", other, {"sequence_id": other["sequence_id"] - 1})
    ctx.state.delete("tasks", task["id"])
    ctx.log("server:task.delete", {"name": schedule["name"]})
    return empty_response(204)
