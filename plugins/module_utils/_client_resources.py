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


# -- account e-mail addresses (user and subuser modules) --------------------------------------------------------------

# The panel's `between:1,191` on every e-mail field.
EMAIL_MAX_LENGTH = 191
# The ASCII characters RFC 5322 allows unquoted in a local part besides letters, digits and dots.
_LOCAL_PART_SYMBOLS = frozenset("!#$%&'*+-/=?^_`{|}~")


def _local_part_problem(local: str) -> str | None:
    if local.startswith('"') or local.endswith('"'):
        return "it has a quoted local part"
    if local.startswith("-"):
        # p_user_email (panel 1.14.1+): the local part must not start with a dash.
        return "its local part starts with a dash"
    if local.startswith(".") or local.endswith(".") or ".." in local:
        return "its local part starts or ends with a dot, or has two dots in a row"
    for char in local:
        if char.isascii() and not (char.isalnum() or char == "." or char in _LOCAL_PART_SYMBOLS):
            return f"its local part contains {char!r}"
    if len(local.encode("utf-8")) > 64:
        return "its local part is longer than 64 bytes"
    return None


def _domain_problem(domain: str) -> str | None:
    if domain.startswith("["):
        return "its domain is an address literal"
    if domain.endswith("."):
        return "its domain ends with a dot"
    labels = domain.split(".")
    if len(labels) < 2:
        return "its domain has no dot (like 'localhost')"
    for label in labels:
        if not label:
            return "its domain has two dots in a row"
        if label.startswith("-") or label.endswith("-"):
            return f"the domain label '{label}' starts or ends with a dash"
        if len(label) > 63:
            return "a domain label is longer than 63 characters"
        for char in label:
            # Non-ASCII letters are fine (internationalised domains); so is '_', which the panel's check does not
            # clearly refuse: when unsure, the panel decides.
            if char.isascii() and not (char.isalnum() or char in "-_"):
                return f"its domain contains {char!r}"
    return None


def email_problem(address: str) -> str | None:
    """Why panels 1.13+ (`email:strict`) or 1.14.1+ (`p_user_email`) refuse `address`, else None.

    Only what the panel certainly refuses is refused here (UTF-8 local parts and domains are accepted, as the
    panel accepts them); anything else is left to the panel.
    """
    if len(address) > EMAIL_MAX_LENGTH:
        return f"it is longer than {EMAIL_MAX_LENGTH} characters"
    if any(char.isspace() for char in address):
        return "it contains white space"
    if "(" in address or ")" in address:
        return "it contains a comment (parentheses)"
    local, at, domain = address.rpartition("@")
    if not at or not local or not domain:
        return "it is not of the form local-part@domain"
    return _local_part_problem(local) or _domain_problem(domain)


def require_valid_email(module: PanelModule, address: str, option: str = "email") -> None:
    """Fail, naming the option, before sending an address the newer panels refuse (they answer 422 after the lookup
    work; the subuser limiter counts refused invites too)."""
    problem = email_problem(address)
    if problem is not None:
        module.fail_json(msg=f"{option}: the panel (1.13 and later) refuses '{address}' as an e-mail address: {problem}")
