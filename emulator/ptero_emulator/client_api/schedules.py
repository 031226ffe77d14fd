"""A server's schedules: list, create, view, update, delete, and run now (``schedule_runner``)."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from .. import http
from ..cron import CronError, cron_next_run
from ..http import display_error, empty_response, forbidden, json_response, list_envelope
from ..state import State, format_atom
from .common import PERMISSION_DENIED, php_bool
from .context import Row, ServerContext, server_route
from .schedule_runner import run_schedule
from .tasks import task_permission
from .transformers import schedule_item, schedule_tasks

SCHEDULE_RULES: dict[str, Any] = {
    "name": "required|string|max:191",
    "minute": "required|string",
    "hour": "required|string",
    "day_of_month": "required|string",
    "day_of_week": "required|string",
    "is_active": "filled|boolean",
}


def _next_run(state: State, data: dict[str, Any]) -> str:
    if data.get("month") is None:
        # The panel passes null into a typed parameter: a TypeError, not an Exception, so it is a plain 500.
        raise http.server_error()
    try:
        epoch = cron_next_run(
            data["minute"], data["hour"], data["day_of_month"], data["month"], data["day_of_week"], state.time()
        )
    except CronError:
        raise display_error("The cron data provided does not evaluate to a valid expression.") from None
    return format_atom(epoch)


def _schedule_columns(ctx: ServerContext) -> dict[str, Any]:
    """The validated columns of a create or update (the next run computed from the cron fields)."""
    data = ctx.input()
    http.validate(data, SCHEDULE_RULES)
    return {
        "name": data["name"],
        "cron_day_of_week": data["day_of_week"],
        "cron_month": data["month"],
        "cron_day_of_month": data["day_of_month"],
        "cron_hour": data["hour"],
        "cron_minute": data["minute"],
        "is_active": php_bool(data.get("is_active")),
        "only_when_online": php_bool(data.get("only_when_online")),
        "next_run_at": _next_run(ctx.state, data),
    }


@server_route("GET", "/schedules", "schedule.read")
async def list_schedules(ctx: ServerContext) -> web.Response:
    schedules = ctx.state.select("schedules", server_id=ctx.server["id"])
    return json_response(list_envelope([schedule_item(ctx.state, schedule) for schedule in schedules]))


@server_route("POST", "/schedules", "schedule.create", limiter="schedules")
async def create_schedule(ctx: ServerContext) -> web.Response:
    columns = _schedule_columns(ctx)
    schedule = ctx.state.insert(
        "schedules",
        {"server_id": ctx.server["id"], **columns, "is_processing": False, "last_run_at": None},
    )
    ctx.log("server:schedule.create", {"name": schedule["name"]})
    return json_response(schedule_item(ctx.state, schedule))


@server_route("GET", "/schedules/{schedule}", "schedule.read")
async def view_schedule(ctx: ServerContext, schedule: Row) -> web.Response:
    return json_response(schedule_item(ctx.state, schedule))


@server_route("POST", "/schedules/{schedule}", "schedule.update")
async def update_schedule(ctx: ServerContext, schedule: Row) -> web.Response:
    changes = _schedule_columns(ctx)
    active = changes["is_active"]
    if bool(schedule.get("is_active")) != active:
        changes["is_processing"] = False
    original_name = schedule["name"]
    ctx.state.update("schedules", schedule, changes)
    ctx.log("server:schedule.update", {"name": original_name, "active": active})
    return json_response(schedule_item(ctx.state, schedule))


@server_route("DELETE", "/schedules/{schedule}", "schedule.delete")
async def delete_schedule(ctx: ServerContext, schedule: Row) -> web.Response:
    for task in schedule_tasks(ctx.state, schedule["id"]):
        ctx.state.delete("tasks", task["id"])
    ctx.state.delete("schedules", schedule["id"])
    ctx.log("server:schedule.delete", {"name": schedule["name"]})
    return empty_response(204)


@server_route("POST", "/schedules/{schedule}/execute", "schedule.update")
async def execute_schedule(ctx: ServerContext, schedule: Row) -> web.Response:
    if ctx.state.config.has("schedule_task_rules"):
        # 1.14.1: the caller must hold the permission of every task; a stored task that maps to none (an old
        # invalid power payload) refuses everyone, owners and admins included.
        for task in schedule_tasks(ctx.state, schedule["id"]):
            permission = task_permission(task["action"], task["payload"])
            if permission is None or not ctx.can(permission):
                raise forbidden(PERMISSION_DENIED, "HttpForbiddenException")
    run_schedule(ctx.state, ctx.app["daemon"], schedule)
    ctx.log("server:schedule.execute", {"name": schedule["name"]})
    return empty_response(202)
