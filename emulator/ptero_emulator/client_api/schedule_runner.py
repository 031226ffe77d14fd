"""Running a schedule now (ProcessScheduleService with "now", then RunTaskJob per task): the first task runs
synchronously, the rest are queued by their time offsets on the state's timers."""

from __future__ import annotations

import contextlib
from typing import Any

from .. import http
from ..cron import CronError, cron_next_run
from ..http import ApiError, display_error
from ..state import State, format_atom
from ..wings import POWER_PERMISSIONS, ServerOffline
from .backups import start_backup
from .common import daemon_error
from .context import Row
from .transformers import schedule_tasks


class TaskFailed(Exception):
    """A task action failed; ``error`` is what the panel would answer."""

    def __init__(self, error: ApiError) -> None:
        super().__init__(error.detail)
        self.error = error


def run_task_action(state: State, daemon: Any, server: Row, task: Row) -> None:
    """RunTaskJob's action switch (power, command, backup) against the emulated Wings."""
    action, payload = task["action"], task.get("payload") or ""
    if state.config.daemon_unreachable:
        raise TaskFailed(http.daemon_unreachable())
    if action == "power":
        if payload not in POWER_PERMISSIONS:
            raise TaskFailed(daemon_error(422, "Invalid power action provided"))
        daemon.power(server["uuid"], payload)
    elif action == "command":
        try:
            daemon.send_command(server["uuid"], payload)
        except ServerOffline:
            raise TaskFailed(daemon_error(502, None)) from None
    elif action == "backup":
        ignored = [line for line in payload.split("\n") if line]
        try:
            start_backup(state, server, None, ignored, locked=False, override=True)
        except ApiError as error:
            raise TaskFailed(error) from None
    else:
        raise TaskFailed(http.server_error())


def schedule_next_run(state: State, schedule: Row) -> str | None:
    """The schedule's next run after now; the stored value when its expression does not evaluate."""
    try:
        return format_atom(
            cron_next_run(
                schedule["cron_minute"],
                schedule["cron_hour"],
                schedule["cron_day_of_month"],
                schedule["cron_month"],
                schedule["cron_day_of_week"],
                state.time(),
            )
        )
    except CronError:
        return schedule.get("next_run_at")


class ScheduleRun:
    """One run of a schedule: executes a task, then queues the next one by its offset until none is left."""

    def __init__(self, state: State, daemon: Any, schedule: Row) -> None:
        self.state, self.daemon = state, daemon
        self.schedule_id, self.server_id = schedule["id"], schedule["server_id"]

    def end(self) -> None:
        current = self.state.get("schedules", self.schedule_id)
        if current is not None:
            self.state.update("schedules", current, {"is_processing": False, "last_run_at": self.state.now()})

    def finish(self, task: Row) -> None:
        self.state.update("tasks", task, {"is_queued": False})
        self.end()

    def execute(self, task_id: int) -> None:
        """Run one task; raises TaskFailed (after ending the run) unless the task continues on a Wings failure."""
        task = self.state.get("tasks", task_id)
        server = self.state.get("servers", self.server_id)
        if task is None or server is None:
            self.end()
            return
        if server.get("status") is not None:
            self.finish(task)
            return
        try:
            run_task_action(self.state, self.daemon, server, task)
        except TaskFailed as failure:
            if not (task.get("continue_on_failure") and failure.error.code == "DaemonConnectionException"):
                self.finish(task)
                raise
        self.state.update("tasks", task, {"is_queued": False})
        self._queue_next(task)

    def _queue_next(self, task: Row) -> None:
        later = sorted(
            (t for t in schedule_tasks(self.state, self.schedule_id) if t["sequence_id"] > task["sequence_id"]),
            key=lambda t: t["sequence_id"],
        )
        if not later:
            self.end()
            return
        following = later[0]
        self.state.update("tasks", following, {"is_queued": True})
        self.state.later(
            float(following.get("time_offset") or 0), lambda: self._run_queued(following["id"]), kind="schedule"
        )

    def _run_queued(self, task_id: int) -> None:
        with contextlib.suppress(TaskFailed):  # a queued job failing only ends the run
            self.execute(task_id)


def run_schedule(state: State, daemon: Any, schedule: Row) -> None:
    """ProcessScheduleService with "now". Raises the first task's error (after marking the schedule complete), like
    a manual run does; a schedule that only runs while the server is online ends at once when it is not."""
    tasks = sorted(schedule_tasks(state, schedule["id"]), key=lambda t: t["sequence_id"])
    if not tasks:
        raise display_error("Cannot process schedule for task execution: no tasks are registered.")
    server = state.get("servers", schedule["server_id"])
    assert server is not None
    state.update("schedules", schedule, {"is_processing": True, "next_run_at": schedule_next_run(state, schedule)})
    state.update("tasks", tasks[0], {"is_queued": True})
    run = ScheduleRun(state, daemon, schedule)
    online = not state.config.daemon_unreachable and daemon.current_state(server["uuid"]) not in ("offline", "stopping")
    if schedule.get("only_when_online") and not online:
        run.finish(tasks[0])
        return
    try:
        run.execute(tasks[0]["id"])
    except TaskFailed as failure:
        raise failure.error from None
