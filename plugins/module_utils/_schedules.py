# Private to ptero.panel: not a public API.
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Schedules and their tasks in the shape a playbook declares them (schedule and schedule_info modules)."""

from __future__ import annotations

import typing as t


def task_view(task: t.Mapping[str, t.Any]) -> dict[str, t.Any]:
    """The fields of a schedule task a playbook declares; the panel stores a null payload as ''."""
    return {
        "action": task.get("action"),
        "payload": task.get("payload") or "",
        "time_offset": int(task.get("time_offset") or 0),
        "continue_on_failure": bool(task.get("continue_on_failure")),
    }


def with_tasks(schedule: dict[str, t.Any]) -> dict[str, t.Any]:
    """The schedule with a top-level `tasks` list in execution (sequence_id) order; the panel nests them unordered
    in relationships."""
    tasks = (schedule.get("relationships") or {}).get("tasks") or []
    return {**schedule, "tasks": sorted(tasks, key=lambda task: (task.get("sequence_id") or 0, task.get("id") or 0))}
