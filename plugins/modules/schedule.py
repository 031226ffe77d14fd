#!/usr/bin/python
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: schedule
short_description: Manage the schedules of a Pterodactyl server and their tasks
version_added: 0.1.0
description:
  - Creates, updates and deletes a server's schedules, identified by name, together with their tasks.
  - The cron fields, O(is_active) and O(only_when_online) are always compared (they have defaults), because the
    panel replaces all of them on every update.
  - The tasks are declared as a list and reconciled in order. The task at each position is updated in place when
    it differs, missing tasks are added and extra tasks are deleted. The panel allows at most 10 tasks per schedule
    by default.
  - Tasks are checked before anything is written (a power task's payload, a command task's command, the delay, a
    backup task on a server whose backup limit is 0), so a bad task leaves no half-made schedule. When the panel
    still refuses a task of a new schedule, the schedule is deleted again.
  - Panels 1.14.1 and later require, to write a task, the C(schedule.update) permission and the permission of what
    the task does (C(control.console) for a command, C(control.start), C(control.stop) or C(control.restart) for
    power, C(backup.create) for a backup), and, to run a schedule (O(execute)), the permissions of all its tasks.
    A refusal names the permissions needed.
  - Panels 1.12.0 and later allow 2 schedule creations per minute per server; the task waits for the panel's
    C(Retry-After) within the retry budget.
  - Uses the client API.
options:
  server:
    description: The server, by identifier (the 8-character one or, on any panel, the C(serv_...) one), UUID or name.
    type: str
    required: true
  name:
    description: Name of the schedule; it identifies the schedule.
    type: str
    required: true
  minute:
    description: Cron minute field.
    type: str
    default: "*"
  hour:
    description: Cron hour field.
    type: str
    default: "*"
  day_of_month:
    description: Cron day-of-month field.
    type: str
    default: "*"
  month:
    description: Cron month field.
    type: str
    default: "*"
  day_of_week:
    description: Cron day-of-week field.
    type: str
    default: "*"
  is_active:
    description: Whether the schedule runs on its own.
    type: bool
    default: true
  only_when_online:
    description: Run only while the server is running.
    type: bool
    default: false
  tasks:
    description:
      - The schedule's tasks, in the order they run. Leave it out to keep the tasks as they are; V([]) removes
        them all.
    type: list
    elements: dict
    suboptions:
      action:
        description: What the task does.
        type: str
        required: true
        choices: [command, power, backup]
      payload:
        description:
          - For V(command), the console command (required). For V(power), the signal (V(start), V(stop), V(restart)
            or V(kill); panels 1.14.1 and later refuse anything else, so it is checked on every panel). For
            V(backup), ignore patterns, one per line (may be empty).
        type: str
        default: ""
      time_offset:
        description: Seconds to wait after the previous task before this one runs (0 to 900).
        type: int
        default: 0
      continue_on_failure:
        description: Go on with the next task when this one fails.
        type: bool
        default: false
  execute:
    description: Run the schedule once now, after it has been brought to the declared state. Always a change.
    type: bool
    default: false
  state:
    description: V(present) creates or updates the schedule, V(absent) deletes it with its tasks.
    type: str
    choices: [present, absent]
    default: present
extends_documentation_fragment:
  - ptero.panel.connection
  - ptero.panel.connection.client
  - ptero.panel.attributes
author:
  - ptero.panel maintainers (@ptero)
"""

EXAMPLES = r"""
- name: Warn the players, then restart every night at 04:00
  ptero.panel.schedule:
    url: https://panel.example.com
    api_key: "{{ pterodactyl_client_key }}"
    server: survival
    name: Nightly restart
    minute: "0"
    hour: "4"
    only_when_online: true
    tasks:
      - action: command
        payload: say Restarting in 60 seconds
      - action: power
        payload: restart
        time_offset: 60

- name: Remove it
  ptero.panel.schedule:
    server: survival
    name: Nightly restart
    state: absent
"""

RETURN = r"""
schedule:
  description:
    - The schedule after the task; V(null) when absent. In check mode, what it would be.
    - C(tasks) lists its tasks in execution order (also found, unordered, in C(relationships.tasks)).
  returned: always
  type: dict
  sample: {id: 3, name: Nightly restart,
           cron: {minute: "0", hour: "4", day_of_month: "*", month: "*", day_of_week: "*"}, is_active: true,
           is_processing: false, only_when_online: true, last_run_at: null,
           next_run_at: "2026-01-02T04:00:00+00:00", created_at: "2026-01-01T00:00:00+00:00",
           updated_at: "2026-01-01T00:00:00+00:00",
           tasks: [{id: 7, sequence_id: 1, action: command, payload: say Restarting in 60 seconds, time_offset: 0,
                    is_queued: false, continue_on_failure: false}]}
changed_fields:
  description: Names of the fields an update changed (C(tasks) when any task changed).
  returned: when an existing schedule was changed
  type: list
  elements: str
  sample: [cron, tasks]
executed:
  description: Whether the schedule was run now (O(execute=true); not in check mode).
  returned: when O(execute=true)
  type: bool
  sample: true
"""

from ansible_collections.ptero.panel.plugins.module_utils._client import PanelError
from ansible_collections.ptero.panel.plugins.module_utils._lookup import one
from ansible_collections.ptero.panel.plugins.module_utils._module import (
    PanelModule,
    PanelResource,
    TaskFailure,
    changed_fields,
)
from ansible_collections.ptero.panel.plugins.module_utils._schedules import task_view, with_tasks
from ansible_collections.ptero.panel.plugins.module_utils._servers import client_server, server_path

CRON = ("minute", "hour", "day_of_month", "month", "day_of_week")
# Panel 1.14.1+: writing a task needs schedule.update and the permission of what the task does; running a schedule
# needs the permissions of all its tasks.
TASK_PERMISSIONS = {"command": "control.console", "backup": "backup.create"}
POWER_PERMISSIONS = {
    "start": "control.start",
    "stop": "control.stop",
    "kill": "control.stop",
    "restart": "control.restart",
}
SETTINGS = ("name", "cron", "is_active", "only_when_online")
POWER_SIGNALS = ("start", "stop", "restart", "kill")
# The panel's limit on a task's delay after the previous one, in seconds.
MAX_TIME_OFFSET = 900


def task_permission(task) -> str | None:
    """The permission panel 1.14.1+ requires for a task besides schedule.update (None for an unknown task)."""
    if task.get("action") == "power":
        return POWER_PERMISSIONS.get((task.get("payload") or "").strip())
    return TASK_PERMISSIONS.get(task.get("action"))


def describe_task(task) -> str:
    if task.get("action") == "power":
        return f"power '{task.get('payload')}' task"
    return f"{task.get('action')} task"


def refused_for_permission(error: PanelError) -> bool:
    """The panel's FormRequest/controller denial (403), not another 403 such as a backup limit of 0."""
    if error.status != 403 or error.code not in ("AccessDeniedHttpException", "HttpForbiddenException"):
        return False
    return "backup limit" not in (error.detail or "")


class TaskWriteError(Exception):
    """A task could not be written; `message` says which and why."""

    def __init__(self, message: str, error: PanelError) -> None:
        super().__init__(message)
        self.message = message
        self.error = error


class Schedule(PanelResource):
    result_key = "schedule"
    managed_fields = (*SETTINGS, "tasks")

    def __init__(self, module, server):
        super().__init__(module)
        self.server = server

    def describe(self, obj=None):
        return f"schedule '{self.params['name']}' of server '{self.server['name']}'"

    def path(self, **children):
        return server_path(self.server, **children)

    def find(self):
        schedules = self.client.call("client.schedules.list", self.path())
        found = one([s for s in schedules if s.get("name") == self.params["name"]], self.describe())
        return with_tasks(found) if found else None

    def desired(self):
        desired = {
            "name": self.params["name"],
            "cron": {field: self.params[field] for field in CRON},
            "is_active": self.params["is_active"],
            "only_when_online": self.params["only_when_online"],
        }
        if self.params["tasks"] is not None:
            desired["tasks"] = [task_view(task) for task in self.params["tasks"]]
        return desired

    def compare(self, current, desired):
        changes = changed_fields(current, {key: desired[key] for key in SETTINGS})
        if "tasks" in desired and self.tasks_differ(current["tasks"], desired["tasks"]):
            changes.append("tasks")
        return changes

    @staticmethod
    def tasks_differ(current, wanted):
        if len(current) != len(wanted):
            return True
        return any(
            task_view(have) != want or have.get("sequence_id") != position
            for position, (have, want) in enumerate(zip(current, wanted), start=1)
        )

    def view(self, obj):
        if not obj:
            return {}
        shown = {key: obj.get(key) for key in SETTINGS}
        if "tasks" in obj:
            shown["tasks"] = [task_view(task) for task in obj["tasks"]]
        return shown

    def settings_body(self, desired):
        return {
            "name": desired["name"],
            **desired["cron"],
            "is_active": desired["is_active"],
            "only_when_online": desired["only_when_online"],
        }

    def save_settings(self, operation, path, desired):
        try:
            return self.client.call(operation, path, body=self.settings_body(desired))
        except PanelError as error:
            # The panel's answer names no field: name the cron options and show the expression they make.
            if error.status == 400 and "cron" in (error.detail or "").lower():
                expression = " ".join(str(desired["cron"][field]) for field in CRON)
                raise TaskFailure(
                    f"{', '.join(CRON)}: the panel rejects the cron expression '{expression}' ({error.detail})",
                    error=error.to_dict(),
                ) from None
            raise

    def create(self, desired):
        created = self.save_settings("client.schedules.create", self.path(), desired)
        try:
            self.reconcile_tasks(created["id"], [], desired.get("tasks") or [])
        except TaskWriteError as failure:
            self.undo_create(created, failure)
        return self.read(created["id"])

    def undo_create(self, created, failure: TaskWriteError):
        """A task of a new schedule failed: delete the schedule, so no half-made schedule stays behind."""
        try:
            self.client.call("client.schedules.delete", self.path(schedule=created["id"]))
        except PanelError as error:
            raise TaskFailure(
                f"{failure.message}. The schedule was created without all its tasks, and deleting "
                f"it failed too ({error}): delete it, or run the task again to finish it",
                error=failure.error.to_dict(),
                changed=True,
            ) from None
        self.module.forget_writes()  # created, then deleted: the panel is as it was
        raise TaskFailure(
            f"{failure.message}. The new schedule was deleted again, so nothing was left half-made",
            error=failure.error.to_dict(),
            changed=False,
        )

    def update(self, current, desired):
        if changed_fields(current, {key: desired[key] for key in SETTINGS}):
            # The update is a POST that replaces every setting: send them all.
            self.save_settings("client.schedules.update", self.path(schedule=current["id"]), desired)
        if "tasks" in desired:
            try:
                self.reconcile_tasks(current["id"], current["tasks"], desired["tasks"])
            except TaskWriteError as failure:
                raise TaskFailure(
                    f"{failure.message} (run the task again to finish)", error=failure.error.to_dict(), changed=True
                ) from None
        return self.read(current["id"])

    def delete(self, current):
        self.client.call("client.schedules.delete", self.path(schedule=current["id"]))

    def read(self, schedule_id):
        return with_tasks(self.client.call("client.schedules.get", self.path(schedule=schedule_id)))

    def reconcile_tasks(self, schedule_id, current, wanted):
        """Make the tasks match `wanted` position by position. Extra tasks are deleted last-first so the sequence
        ids of the others do not move; updates then pin each task to its position; new tasks are appended."""
        kept = len(wanted)
        for task in reversed(current[kept:]):
            self.task_step(
                "delete",
                task["sequence_id"],
                "client.schedule_tasks.delete",
                self.path(schedule=schedule_id, task=task["id"]),
            )
        for position, (have, want) in enumerate(zip(current, wanted), start=1):
            if task_view(have) != want or have.get("sequence_id") != position:
                self.task_step(
                    "update",
                    position,
                    "client.schedule_tasks.update",
                    self.path(schedule=schedule_id, task=have["id"]),
                    {**want, "sequence_id": position},
                )
        for position in range(len(current) + 1, len(wanted) + 1):
            self.task_step(
                "add",
                position,
                "client.schedule_tasks.create",
                self.path(schedule=schedule_id),
                {**wanted[position - 1], "sequence_id": position},
            )

    def task_step(self, verb, position, operation, path, body=None):
        try:
            self.client.call(operation, path, body=body)
        except PanelError as error:
            # Raised past the engine: the schedule itself exists, so this is no failed create of it.
            message = f"Could not {verb} task {position} of {self.describe()}: {str(error).rstrip('.')}"
            if refused_for_permission(error) and body is not None:
                message += (
                    f". On panels 1.14.1 and later, writing a {describe_task(body)} needs the schedule.update "
                    f"and {task_permission(body) or 'matching'} permissions, and the key's user lacks one: "
                    "check the subuser's permissions"
                )
            raise TaskWriteError(message, error) from None

    def execute(self, outcome):
        """Run the schedule now (check mode: say it would run)."""
        schedule = outcome.obj
        outcome = outcome.but(changed=True, extra={**outcome.extra, "executed": not self.module.check_mode})
        if not self.module.check_mode:
            try:
                self.client.call("client.schedules.execute", self.path(schedule=schedule["id"]))
            except PanelError as error:
                raise TaskFailure.from_error(error, self.execute_failure(schedule, error), schedule=schedule) from None
        return outcome

    def execute_failure(self, schedule, error: PanelError) -> str:
        what = f"Could not run {self.describe()}"
        if not refused_for_permission(error):
            return what
        needed = sorted(
            {task_permission(task) or f"none for the {describe_task(task)}" for task in schedule.get("tasks") or []}
        )
        return (
            f"{what}: on panels 1.14.1 and later, running a schedule needs the permissions of all its tasks "
            f"({', '.join(needed) or 'no tasks'}), and the key's user lacks one of them (check the subuser's "
            "permissions), or a stored task has a payload the panel no longer accepts"
        )


def check_tasks(module):
    """Refuse bad tasks before anything is written, so a bad task never leaves a half-made schedule."""
    for position, task in enumerate(module.params["tasks"] or [], start=1):
        payload = task["payload"] or ""
        if task["action"] == "power" and payload not in POWER_SIGNALS:
            raise TaskFailure(
                f"tasks[{position}]: a power task's payload must be one of {', '.join(POWER_SIGNALS)}, not {payload!r}"
            )
        if task["action"] == "command" and not payload.strip():
            raise TaskFailure(f"tasks[{position}]: a command task needs the command as payload")
        if not 0 <= task["time_offset"] <= MAX_TIME_OFFSET:
            # Checked before anything is created: the panel would refuse it only after the schedule exists.
            raise TaskFailure(
                f"tasks[{position}]: time_offset must be 0 to {MAX_TIME_OFFSET} seconds, not {task['time_offset']}"
            )


def check_backup_tasks(module, server):
    """The panel refuses a backup task (403) on a server whose backup limit is 0: say so before writing."""
    if (server.get("feature_limits") or {}).get("backups") != 0 or module.params["state"] == "absent":
        return
    for position, task in enumerate(module.params["tasks"] or [], start=1):
        if task["action"] == "backup":
            raise TaskFailure(
                f"tasks[{position}]: server '{server['name']}' may have no backups (its backup limit "
                "is 0), so the panel refuses a backup task"
            )


def main():
    task_options = {
        "action": {"type": "str", "required": True, "choices": ["command", "power", "backup"]},
        "payload": {"type": "str", "default": ""},
        "time_offset": {"type": "int", "default": 0},
        "continue_on_failure": {"type": "bool", "default": False},
    }
    module = PanelModule(
        {
            "server": {"type": "str", "required": True},
            "name": {"type": "str", "required": True},
            **{field: {"type": "str", "default": "*"} for field in CRON},
            "is_active": {"type": "bool", "default": True},
            "only_when_online": {"type": "bool", "default": False},
            "tasks": {"type": "list", "elements": "dict", "options": task_options},
            "execute": {"type": "bool", "default": False},
            "state": {"type": "str", "choices": ["present", "absent"], "default": "present"},
        },
        api="client",
    )
    if module.params["state"] == "absent" and module.params["execute"]:
        module.fail_json(msg="execute cannot be combined with state=absent")
    with module.failures_reported():
        check_tasks(module)
        server = client_server(module.client, module.params["server"])
        check_backup_tasks(module, server)
        schedule = Schedule(module, server)
        outcome = module.ensure(schedule, module.params["state"])
        if module.params["execute"] and outcome.obj:
            outcome = schedule.execute(outcome)
    module.exit_json(**outcome.result())


if __name__ == "__main__":
    main()
