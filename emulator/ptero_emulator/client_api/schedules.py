"""A server's schedules: list, create, view, update, delete, and running one now (ProcessScheduleService)."""
from __future__ import annotations

from typing import Any

from aiohttp import web

from .. import http
from ..cron import CronError, cron_next_run
from ..http import ApiError, display_error, empty_response, forbidden, json_response, list_envelope
from ..state import State, format_atom
from .backups import start_backup
from .common import (
    SERVER, bind_schedule, client_route, daemon_error, log_activity, php_bool, request_input, server_context,
)
from .permissions import POWER_PERMISSIONS
from .tasks import task_permission
from .transformers import schedule_item, schedule_tasks

SCHEDULE_RULES: dict[str, Any] = {
    "name": "required|string|max:191", "minute": "required|string", "hour": "required|string",
    "day_of_month": "required|string", "day_of_week": "required|string", "is_active": "filled|boolean",
}


def _next_run(state: State, data: dict[str, Any]) -> str:
    if data.get("month") is None:
        # The panel passes null into a typed parameter: a TypeError, not an Exception, so it is a plain 500.
        raise http.server_error()
    try:
        epoch = cron_next_run(data["minute"], data["hour"], data["day_of_month"], data["month"],
                              data["day_of_week"], state.time())
    except CronError:
        raise display_error("The cron data provided does not evaluate to a valid expression.") from None
    return format_atom(epoch)


def _schedule_next_run(state: State, schedule: dict[str, Any]) -> str | None:
    try:
        return format_atom(cron_next_run(schedule["cron_minute"], schedule["cron_hour"], schedule["cron_day_of_month"],
                                  schedule["cron_month"], schedule["cron_day_of_week"], state.time()))
    except CronError:
        return schedule.get("next_run_at")


@client_route("GET", SERVER + "/schedules")
async def list_schedules(request: web.Request) -> web.Response:
    ctx = server_context(request, "schedule.read")
    schedules = ctx.state.select("schedules", server_id=ctx.server["id"])
    return json_response(list_envelope([schedule_item(ctx.state, schedule) for schedule in schedules]))


@client_route("POST", SERVER + "/schedules")
async def create_schedule(request: web.Request) -> web.Response:
    ctx = server_context(request, "schedule.create", limiter="schedules")
    data = request_input(request)
    http.validate(data, SCHEDULE_RULES)
    next_run = _next_run(ctx.state, data)
    schedule = ctx.state.insert("schedules", {
        "server_id": ctx.server["id"], "name": data["name"], "cron_day_of_week": data["day_of_week"],
        "cron_month": data["month"], "cron_day_of_month": data["day_of_month"], "cron_hour": data["hour"],
        "cron_minute": data["minute"], "is_active": php_bool(data.get("is_active")), "is_processing": False,
        "only_when_online": php_bool(data.get("only_when_online")), "last_run_at": None, "next_run_at": next_run,
    })
    log_activity(request, "server:schedule.create", {"name": schedule["name"]}, server=ctx.server)
    return json_response(schedule_item(ctx.state, schedule))


@client_route("GET", SERVER + "/schedules/{schedule}")
async def view_schedule(request: web.Request) -> web.Response:
    ctx = server_context(request, "schedule.read", bind=bind_schedule)
    return json_response(schedule_item(ctx.state, ctx.children["schedule"]))


@client_route("POST", SERVER + "/schedules/{schedule}")
async def update_schedule(request: web.Request) -> web.Response:
    ctx = server_context(request, "schedule.update", bind=bind_schedule)
    schedule = ctx.children["schedule"]
    data = request_input(request)
    http.validate(data, SCHEDULE_RULES)
    next_run = _next_run(ctx.state, data)
    active = php_bool(data.get("is_active"))
    changes: dict[str, Any] = {
        "name": data["name"], "cron_day_of_week": data["day_of_week"], "cron_month": data["month"],
        "cron_day_of_month": data["day_of_month"], "cron_hour": data["hour"], "cron_minute": data["minute"],
        "is_active": active, "only_when_online": php_bool(data.get("only_when_online")), "next_run_at": next_run,
    }
    if bool(schedule.get("is_active")) != active:
        changes["is_processing"] = False
    original_name = schedule["name"]
    ctx.state.update("schedules", schedule, changes)
    log_activity(request, "server:schedule.update", {"name": original_name, "active": active}, server=ctx.server)
    return json_response(schedule_item(ctx.state, schedule))


@client_route("DELETE", SERVER + "/schedules/{schedule}")
async def delete_schedule(request: web.Request) -> web.Response:
    ctx = server_context(request, "schedule.delete", bind=bind_schedule)
    schedule = ctx.children["schedule"]
    for task in schedule_tasks(ctx.state, schedule["id"]):
        ctx.state.delete("tasks", task["id"])
    ctx.state.delete("schedules", schedule["id"])
    log_activity(request, "server:schedule.delete", {"name": schedule["name"]}, server=ctx.server)
    return empty_response(204)


class TaskFailed(Exception):
    """A task action failed; ``error`` is what the panel would answer."""

    def __init__(self, error: ApiError) -> None:
        super().__init__(error.detail)
        self.error = error


def _run_task_action(request: web.Request, state: State, server: dict[str, Any], task: dict[str, Any]) -> None:
    """RunTaskJob's action switch (power, command, backup) against the emulated Wings."""
    action, payload = task["action"], task.get("payload") or ""
    if getattr(state.config, "daemon_unreachable", False):
        raise TaskFailed(http.daemon_unreachable())
    daemon = request.app.get("daemon")
    if action == "power":
        if daemon is None:
            raise TaskFailed(http.daemon_unreachable())
        if payload not in POWER_PERMISSIONS:
            raise TaskFailed(daemon_error(422, "Invalid power action provided"))
        daemon.power(server["uuid"], payload)
    elif action == "command":
        if daemon is None:
            raise TaskFailed(http.daemon_unreachable())
        try:
            daemon.send_command(server["uuid"], payload)
        except Exception as error:  # noqa: BLE001 - wings.ServerOffline
            if type(error).__name__ == "ServerOffline":
                raise TaskFailed(daemon_error(502, None)) from None
            raise
    elif action == "backup":
        ignored = [line for line in payload.split("\n") if line]
        try:
            start_backup(request, state, server, None, ignored, locked=False, override=True)
        except ApiError as error:
            raise TaskFailed(error) from None
    else:
        raise TaskFailed(http.server_error())


def run_schedule(request: web.Request, state: State, schedule: dict[str, Any]) -> None:
    """ProcessScheduleService with "now": run the first task synchronously, queue the rest by their offsets.

    Raises the first task's error (after marking the schedule complete), like a manual run does.
    """
    tasks = sorted(schedule_tasks(state, schedule["id"]), key=lambda t: t["sequence_id"])
    if not tasks:
        raise display_error("Cannot process schedule for task execution: no tasks are registered.")
    server = state.get("servers", schedule["server_id"])
    assert server is not None
    state.update("schedules", schedule, {"is_processing": True, "next_run_at": _schedule_next_run(state, schedule)})
    state.update("tasks", tasks[0], {"is_queued": True})
    schedule_id = schedule["id"]

    def finish(task: dict[str, Any]) -> None:
        state.update("tasks", task, {"is_queued": False})
        current = state.get("schedules", schedule_id)
        if current is not None:
            state.update("schedules", current, {"is_processing": False, "last_run_at": state.now()})

    def execute(task_id: int) -> None:
        task = state.get("tasks", task_id)
        current_server = state.get("servers", schedule["server_id"])
        if task is None or current_server is None:
            current = state.get("schedules", schedule_id)
            if current is not None:
                state.update("schedules", current, {"is_processing": False, "last_run_at": state.now()})
            return
        if current_server.get("status") is not None:
            finish(task)
            return
        try:
            _run_task_action(request, state, current_server, task)
        except TaskFailed as failure:
            if not (task.get("continue_on_failure") and failure.error.code == "DaemonConnectionException"):
                finish(task)
                raise
        state.update("tasks", task, {"is_queued": False})
        later = sorted((t for t in schedule_tasks(state, schedule_id) if t["sequence_id"] > task["sequence_id"]),
                       key=lambda t: t["sequence_id"])
        if not later:
            current = state.get("schedules", schedule_id)
            if current is not None:
                state.update("schedules", current, {"is_processing": False, "last_run_at": state.now()})
            return
        following = later[0]
        state.update("tasks", following, {"is_queued": True})

        def run_following() -> None:
            try:
                execute(following["id"])
            except TaskFailed:
                pass  # a queued job failing only ends the run

        state.later(float(following.get("time_offset") or 0), run_following, kind="schedule")

    if schedule.get("only_when_online"):
        daemon = request.app.get("daemon")
        if getattr(state.config, "daemon_unreachable", False) or daemon is None:
            finish(tasks[0])
            return
        if daemon.current_state(server["uuid"]) in ("offline", "stopping"):
            finish(tasks[0])
            return
    try:
        execute(tasks[0]["id"])
    except TaskFailed as failure:
        raise failure.error from None


@client_route("POST", SERVER + "/schedules/{schedule}/execute")
async def execute_schedule(request: web.Request) -> web.Response:
    ctx = server_context(request, "schedule.update", bind=bind_schedule)
    schedule = ctx.children["schedule"]
    if ctx.state.config.has("schedule_task_rules"):
        # 1.14.1: the caller must hold the permission of every task; a stored task that maps to none (an old
        # invalid power payload) refuses everyone, owners and admins included.
        for task in schedule_tasks(ctx.state, schedule["id"]):
            permission = task_permission(task["action"], task["payload"])
            if permission is None or not ctx.can(permission):
                raise forbidden("You do not have permission to perform this action.", "HttpForbiddenException")
    run_schedule(request, ctx.state, schedule)
    log_activity(request, "server:schedule.execute", {"name": schedule["name"]}, server=ctx.server)
    return empty_response(202)
