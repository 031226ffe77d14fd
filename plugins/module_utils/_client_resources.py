# Private to ptero.panel: not a public API.
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Helpers shared by the client-API modules (server-scoped resources: power, backups, schedules, files...).

Both groups of client modules add functions here; each function is owned by the module group that added it.
"""

from __future__ import annotations

import typing as t

from ansible_collections.ptero.panel.plugins.module_utils._lookup import find_client_server
from ansible_collections.ptero.panel.plugins.module_utils._module import PanelModule


def require_client_server(module: PanelModule, ref: str) -> dict[str, t.Any]:
    """The server `ref` (identifier, uuid or name) as the client key sees it; fails the task when it is not visible."""
    server = module.step("Could not look up the server", find_client_server, module.client, ref)
    if server is None:
        module.fail_json(msg=f"server: no server '{ref}' visible to this API key")
    return server


def server_path(server: t.Mapping[str, t.Any], **children: t.Any) -> dict[str, t.Any]:
    """Path parameters of a server-scoped client route. The full uuid is used: the panel resolves it like the
    identifier, and with it file paths are not trimmed."""
    return {"server": server["uuid"], **children}


# -- backups, schedules and databases (power/backup/schedule/subuser/database modules and their info modules) ------

def backup_failed(backup: t.Mapping[str, t.Any]) -> bool:
    """A backup Wings reported as failed: finished (completed_at set) without success."""
    return not backup.get("is_successful") and backup.get("completed_at") is not None


def backup_running(backup: t.Mapping[str, t.Any]) -> bool:
    return not backup.get("is_successful") and backup.get("completed_at") is None


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


def database_full_name(server_id: int, name: str) -> str:
    """The name the panel stores a server's database under: `s<server id>_<name>`, cut to 48 characters as the
    panel cuts it. `name` may already carry the prefix. `server_id` is the numeric id (client API: `internal_id`)."""
    prefix = f"s{server_id}_"
    return (name if name.startswith(prefix) else prefix + name)[:48]
