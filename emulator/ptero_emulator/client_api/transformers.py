"""The client API's transformers: the JSON objects the routes answer with (server, allocation, backup,
schedule, database, file, account, subuser, keys)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from ..http import MISSING, item, list_envelope, null_resource
from ..pelican import adjust_client_server, unfinished_install_states
from ..state import State, database_hashid
from .common import gravatar
from .identifiers import realtime_identifier


def account_attributes(user: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": user["id"],
        "admin": bool(user.get("root_admin")),
        "username": user["username"],
        "email": user["email"],
        "first_name": user.get("name_first"),
        "last_name": user.get("name_last"),
        "language": user.get("language") or "en",
    }


def client_user_attributes(state: State, user: dict[str, Any]) -> dict[str, Any]:
    """The client ``user`` object (subusers, activity actors); panel 1.12+ adds ``identifier`` (``user_…``)."""
    attributes: dict[str, Any] = {"uuid": user["uuid"]}
    if state.config.has("serv_identifiers") and user.get("uuid"):
        attributes["identifier"] = realtime_identifier("user", user["uuid"])
    attributes.update(
        {
            "username": user["username"],
            "email": user["email"],
            "image": gravatar(user["email"]),
            "2fa_enabled": bool(user.get("use_totp")),
            "created_at": user.get("created_at"),
        }
    )
    return attributes


def subuser_attributes(state: State, subuser: dict[str, Any]) -> dict[str, Any]:
    user = state.get("users", subuser["user_id"]) or {"uuid": None, "username": None, "email": "", "created_at": None}
    attributes = client_user_attributes(state, user)
    attributes["permissions"] = list(subuser.get("permissions") or [])
    return attributes


def api_key_attributes(key: dict[str, Any]) -> dict[str, Any]:
    return {
        "identifier": key["identifier"],
        "description": key.get("memo"),
        "allowed_ips": list(key.get("allowed_ips") or []),
        "last_used_at": key.get("last_used_at"),
        "created_at": key.get("created_at"),
    }


def ssh_key_attributes(key: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": key["name"],
        "fingerprint": key["fingerprint"],
        "public_key": key["public_key"],
        "created_at": key.get("created_at"),
    }


def allocation_attributes(
    allocation: dict[str, Any], server: dict[str, Any] | None, hide_notes: bool = False
) -> dict[str, Any]:
    return {
        "id": allocation["id"],
        "ip": allocation["ip"],
        "ip_alias": allocation.get("ip_alias"),
        "port": allocation["port"],
        "notes": None if hide_notes else allocation.get("notes"),
        "is_default": bool(server and server.get("allocation_id") == allocation["id"]),
    }


def egg_variable_attributes(variable: dict[str, Any], server_value: Any) -> dict[str, Any]:
    return {
        "name": variable["name"],
        "description": variable.get("description"),
        "env_variable": variable["env_variable"],
        "default_value": variable.get("default_value"),
        "server_value": server_value,
        "is_editable": bool(variable.get("user_editable")),
        "rules": variable.get("rules"),
    }


def backup_attributes(backup: dict[str, Any]) -> dict[str, Any]:
    return {
        "uuid": backup["uuid"],
        "is_successful": bool(backup.get("is_successful")),
        "is_locked": bool(backup.get("is_locked")),
        "name": backup["name"],
        "ignored_files": list(backup.get("ignored_files") or []),
        "checksum": backup.get("checksum"),
        "bytes": int(backup.get("bytes") or 0),
        "created_at": backup.get("created_at"),
        "completed_at": backup.get("completed_at"),
    }


def task_attributes(task: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": task["id"],
        "sequence_id": task["sequence_id"],
        "action": task["action"],
        "payload": task.get("payload"),
        "time_offset": int(task.get("time_offset") or 0),
        "is_queued": bool(task.get("is_queued")),
        "continue_on_failure": bool(task.get("continue_on_failure")),
        "created_at": task.get("created_at"),
        "updated_at": task.get("updated_at"),
    }


def schedule_tasks(state: State, schedule_id: int) -> list[dict[str, Any]]:
    return sorted(state.select("tasks", schedule_id=schedule_id), key=lambda t: t["id"])


def schedule_item(state: State, schedule: dict[str, Any]) -> dict[str, Any]:
    attributes = {
        "id": schedule["id"],
        "name": schedule["name"],
        "cron": {
            "day_of_week": schedule["cron_day_of_week"],
            "day_of_month": schedule["cron_day_of_month"],
            "month": schedule["cron_month"],
            "hour": schedule["cron_hour"],
            "minute": schedule["cron_minute"],
        },
        "is_active": bool(schedule.get("is_active")),
        "is_processing": bool(schedule.get("is_processing")),
        "only_when_online": bool(schedule.get("only_when_online")),
        "last_run_at": schedule.get("last_run_at"),
        "next_run_at": schedule.get("next_run_at"),
        "created_at": schedule.get("created_at"),
        "updated_at": schedule.get("updated_at"),
        "relationships": {
            "tasks": list_envelope(
                [item("schedule_task", task_attributes(task)) for task in schedule_tasks(state, schedule["id"])]
            )
        },
    }
    return item("server_schedule", attributes)


def database_item(
    state: State, database: dict[str, Any], with_password: bool | None, max_connections_override: Any = MISSING
) -> dict[str, Any]:
    """``with_password``: None = not requested, True = include it, False = requested but not allowed."""
    host = state.get("database_hosts", database["database_host_id"]) or {}
    attributes: dict[str, Any] = {
        "id": database_hashid(database["id"]),
        "host": {"address": host.get("host"), "port": host.get("port")},
        "name": database["database"],
        "username": database["username"],
        "connections_from": database["remote"],
        "max_connections": database.get("max_connections")
        if max_connections_override is MISSING
        else max_connections_override,
    }
    if with_password is not None:
        attributes["relationships"] = {
            "password": item("database_password", {"password": database.get("password")})
            if with_password
            else null_resource()
        }
    return item("server_database", attributes)


def file_object(stat: dict[str, Any]) -> dict[str, Any]:
    """The panel's file_object transformer over a Wings stat (timestamps re-rendered as ATOM in UTC)."""

    def format_atom(text: str) -> str:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)
        return parsed.strftime("%Y-%m-%dT%H:%M:%S+00:00")

    return item(
        "file_object",
        {
            "name": stat["name"],
            "mode": stat["mode"],
            "mode_bits": stat["mode_bits"],
            "size": stat["size"],
            "is_file": stat.get("file", True),
            "is_symlink": stat.get("symlink", False),
            "mimetype": stat.get("mime") or "application/octet-stream",
            "created_at": format_atom(stat["created"]),
            "modified_at": format_atom(stat["modified"]),
        },
    )


def server_variables_view(
    state: State, server: dict[str, Any], values: dict[int, dict[str, Any]] | None = None
) -> list[tuple[dict[str, Any], Any]]:
    """(egg variable, server value or None) for every variable of the server's egg, in id order."""
    if values is None:
        values = state.server_variable_rows(server["id"])
    result = []
    for variable in sorted(state.egg_variables(server["egg_id"]), key=lambda v: v["id"]):
        stored = values.get(variable["id"])
        result.append((variable, stored["variable_value"] if stored is not None else None))
    return result


def render_startup(
    state: State, server: dict[str, Any], hide_all: bool, variables: list[tuple[dict[str, Any], Any]] | None = None
) -> str:
    """StartupCommandService: fill {{SERVER_MEMORY}}, {{SERVER_IP}}, {{SERVER_PORT}} and the egg variables."""
    primary = state.get("allocations", server.get("allocation_id")) or {}
    text = str(server.get("startup") or "")
    replacements = [
        ("{{SERVER_MEMORY}}", str(server.get("memory"))),
        ("{{SERVER_IP}}", str(primary.get("ip", ""))),
        ("{{SERVER_PORT}}", str(primary.get("port", ""))),
    ]
    for variable, value in variables if variables is not None else server_variables_view(state, server):
        shown = value if value is not None else variable.get("default_value")
        if not variable.get("user_viewable") or hide_all:
            shown = "[hidden]"
        replacements.append(("{{" + variable["env_variable"] + "}}", "" if shown is None else str(shown)))
    for needle, replacement in replacements:
        text = text.replace(needle, replacement)
    return text


def egg_features(state: State, egg: dict[str, Any] | None) -> Any:
    if egg is None:
        return None
    if egg.get("features") is not None or egg.get("config_from") is None:
        return egg.get("features")
    parent = state.get("eggs", egg["config_from"]) or {}
    return parent.get("features")


@dataclass
class ServerIndexes:
    """Per-request lookups so a page of 100 servers does not rescan big tables once per server."""

    allocations: dict[int, list[dict[str, Any]]]
    subusers: dict[int, list[dict[str, Any]]]
    variables: dict[int, dict[int, dict[str, Any]]]

    @classmethod
    def build(cls, state: State, server_ids: set[int]) -> ServerIndexes:
        allocations: dict[int, list[dict[str, Any]]] = {sid: [] for sid in server_ids}
        for row in state.tables["allocations"].values():
            if row.get("server_id") in allocations:
                allocations[row["server_id"]].append(row)
        subusers: dict[int, list[dict[str, Any]]] = {sid: [] for sid in server_ids}
        for row in state.tables["subusers"].values():
            if row["server_id"] in subusers:
                subusers[row["server_id"]].append(row)
        variables: dict[int, dict[int, dict[str, Any]]] = {sid: {} for sid in server_ids}
        for row in state.tables["server_variables"].values():
            if row["server_id"] in variables:
                variables[row["server_id"]][row["variable_id"]] = row
        return cls(allocations, subusers, variables)


def user_can(user: dict[str, Any], server: dict[str, Any], subusers: list[dict[str, Any]], permission: str) -> bool:
    if user.get("root_admin") or server["owner_id"] == user["id"]:
        return True
    for subuser in subusers:
        if subuser["user_id"] == user["id"]:
            return permission in (subuser.get("permissions") or [])
    return False


def new_server_identifiers(state: State, server: dict[str, Any]) -> dict[str, Any]:
    """Panel 1.12.1+ fields of the client server object (``identifier`` stays the 8-character short id)."""
    if not state.config.has("serv_identifiers"):
        return {}
    return {
        "__deprecated_uuid_short": server["uuid_short"],
        "server_identifier": realtime_identifier("serv", server["uuid"]),
    }


def server_item(
    state: State,
    user: dict[str, Any],
    server: dict[str, Any],
    requested: set[str],
    indexes: ServerIndexes | None = None,
    meta: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The client ``server`` object with its default (allocations, variables) and requested includes."""
    if indexes is None:
        indexes = ServerIndexes.build(state, {server["id"]})
    node = state.get("nodes", server["node_id"]) or {}
    egg = state.get("eggs", server["egg_id"])
    subusers = indexes.subusers.get(server["id"], [])
    variables = server_variables_view(state, server, indexes.variables.get(server["id"], {}))

    def can(permission: str) -> bool:
        return user_can(user, server, subusers, permission)

    status = server.get("status")
    attributes: dict[str, Any] = {
        "server_owner": user["id"] == server["owner_id"],
        "identifier": server["uuid_short"],
        **new_server_identifiers(state, server),
        "internal_id": server["id"],
        "uuid": server["uuid"],
        "name": server["name"],
        "node": node.get("name"),
        "is_node_under_maintenance": bool(node.get("maintenance_mode")),
        "sftp_details": {"ip": node.get("fqdn"), "port": node.get("daemon_sftp")},
        "description": server.get("description"),
        "limits": {
            "memory": server.get("memory"),
            "swap": server.get("swap"),
            "disk": server.get("disk"),
            "io": server.get("io"),
            "cpu": server.get("cpu"),
            "threads": server.get("threads"),
            "oom_disabled": bool(server.get("oom_disabled")),
        },
        "invocation": render_startup(state, server, not can("startup.read"), variables),
        "docker_image": server.get("image"),
        "egg_features": egg_features(state, egg),
        "feature_limits": {
            "databases": server.get("database_limit"),
            "allocations": server.get("allocation_limit"),
            "backups": server.get("backup_limit"),
        },
        "status": status,
        "is_suspended": status == "suspended",
        "is_installing": status in unfinished_install_states(state.config),
        "is_transferring": bool(server.get("transfer")) or bool(server.get("is_transferring")),
    }
    adjust_client_server(state.config, node, server, attributes)
    attributes["relationships"] = _server_relationships(state, server, requested, indexes, variables, can)
    return item("server", attributes, meta)


def _server_relationships(
    state: State,
    server: dict[str, Any],
    requested: set[str],
    indexes: ServerIndexes,
    variables: list[tuple[dict[str, Any], Any]],
    can: Callable[[str], bool],
) -> dict[str, Any]:
    """The server's allocations and variables (always; reduced without the permission) and the egg and subusers
    includes."""
    subusers = indexes.subusers.get(server["id"], [])
    allocations = sorted(indexes.allocations.get(server["id"], []), key=lambda a: a["id"])
    if can("allocation.read"):
        allocation_items = [item("allocation", allocation_attributes(a, server)) for a in allocations]
    else:
        allocation_items = [
            item("allocation", allocation_attributes(primary, server, hide_notes=True))
            for primary in [state.get("allocations", server.get("allocation_id"))]
            if primary
        ]
    relationships: dict[str, Any] = {"allocations": list_envelope(allocation_items)}
    if can("startup.read"):
        relationships["variables"] = list_envelope(
            [
                item("egg_variable", egg_variable_attributes(variable, value))
                for variable, value in variables
                if variable.get("user_viewable")
            ]
        )
    else:
        relationships["variables"] = null_resource()
    if "egg" in requested:
        egg = state.get("eggs", server["egg_id"])
        relationships["egg"] = (
            item("egg", {"uuid": egg.get("uuid"), "name": egg.get("name")}) if egg else null_resource()
        )
    if "subusers" in requested:
        if can("user.read"):
            relationships["subusers"] = list_envelope(
                [
                    item("server_subuser", subuser_attributes(state, subuser))
                    for subuser in sorted(subusers, key=lambda s: s["id"])
                ]
            )
        else:
            relationships["subusers"] = null_resource()
    return relationships
