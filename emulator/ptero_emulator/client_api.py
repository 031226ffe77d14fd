"""The panel's client API (``/api/client``, 69 routes) for the emulator.

Everything a user (or one of their client API keys) can do: the server list, the account (e-mail, password, 2FA,
API keys, SSH keys, activity) and the 54 server routes (power, console, databases, files, schedules, network,
subusers, backups, startup, settings). Behaviour follows the panel: the state gate of the client server routes
(404/409 in the panel's order), subuser permissions (403), Form Request validation (422), the exact error
messages of the services, pagination defaults and caps, and the activity log entries.

Power, console, resources and websocket tokens are delegated to the Wings emulation (``request.app["daemon"]``),
imported lazily; file trees live in ``files.py``. The app mounts ``routes``.

The module also plays Wings' plain HTTP side for the signed URLs it hands out (they point at the emulator itself):
``GET /download/file``, ``POST /upload/file`` (multipart field ``files``, ``&directory=``) and
``GET /download/backup``, all authenticated by the JWT in ``?token=``.

Emulator-only knobs (``EmulatorConfig.extra``): ``resources_cache_seconds`` (default 20, like the panel's cache
of the resources route; 0 disables it) and ``backups_fail`` (True: backups finish as failed). Everything else uses
the regular config fields (backup_throttle, allocation_range, allocations_enabled, api_key_limit,
schedule_task_limit, files_max_edit_size, files_pull_throttle, databases_enabled, databases_allow_random_host,
daemon_unreachable, activity_hide_admin, *_seconds timings).
"""
from __future__ import annotations

import base64
import calendar
import hashlib
import hmac
import ipaddress
import json
import re
import secrets
import struct
import uuid as uuid_module
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, Iterable
from urllib.parse import unquote

from aiohttp import web

from . import http
from .files import FileStore, ServerFiles, WingsFileError
from .jwt_claims import identity_claims
from .http import (
    MISSING,
    ApiError,
    Check,
    ValidationFailed,
    bad_request,
    display_error,
    empty_response,
    forbidden,
    item,
    json_response,
    list_envelope,
    not_found,
    null_resource,
)
from .state import KEY_TYPE_ACCOUNT, State

routes = web.RouteTableDef()
PREFIX = "/api/client"
SERVER = PREFIX + "/servers/{server}"

# ---------------------------------------------------------------------------------------------------- messages
BINDING_NOT_FOUND = "The requested resource could not be found on the server."
NO_SERVER_ACCESS = "The requested resource does not exist on this server."
NOT_FOR_THIS_SERVER = "The requested resource was not found for this server."
STATE_MESSAGES = {
    "suspended": "This server is currently suspended and the functionality requested is unavailable.",
    "maintenance": "The node of this server is currently under maintenance and the functionality requested is "
                   "unavailable.",
    "installing": "This server has not yet completed its installation process, please try again later.",
    "restoring": "This server is currently restoring from a backup, please try again later.",
    "transferring": "This server is currently being transferred to a new machine, please try again later.",
    "other": "This server is currently in an unsupported state, please try again later.",
}
INVALID_PASSWORD = "The password provided was invalid for this account."
NOT_VALID_PASSWORD = "The password provided was not valid."
SERVER_OFFLINE_COMMAND = "Server must be online in order to send commands."

# ---------------------------------------------------------------------------------------------------- permissions
# Subuser permission groups (keys as the panel defines them; descriptions are our own short texts).
PERMISSION_GROUPS: dict[str, tuple[str, dict[str, str]]] = {
    "websocket": ("Connecting to the server's live console websocket.", {
        "connect": "Open the websocket to see console output and live statistics.",
    }),
    "control": ("Controlling the server process.", {
        "console": "Send commands to the server console.",
        "start": "Start the server.",
        "stop": "Stop or kill the server.",
        "restart": "Restart the server.",
    }),
    "user": ("Managing the subusers of the server.", {
        "create": "Add new subusers.",
        "read": "See subusers and their permissions.",
        "update": "Change the permissions of subusers.",
        "delete": "Remove subusers.",
    }),
    "file": ("Managing the server's files.", {
        "create": "Create, upload, copy and extract files.",
        "read": "List directories.",
        "read-content": "Read and download file contents.",
        "update": "Rename, move and chmod files.",
        "delete": "Delete files.",
        "archive": "Create archives of files.",
        "sftp": "Connect over SFTP (file permissions still apply).",
    }),
    "backup": ("Managing the server's backups.", {
        "create": "Create backups.",
        "read": "List and view backups.",
        "delete": "Delete and lock backups.",
        "download": "Download backups.",
        "restore": "Restore backups (may delete current files).",
    }),
    "allocation": ("Managing the server's network allocations.", {
        "read": "See all allocations of the server.",
        "create": "Add allocations to the server.",
        "update": "Change the primary allocation and notes.",
        "delete": "Remove allocations from the server.",
    }),
    "startup": ("Viewing and changing the startup settings.", {
        "read": "See the startup variables.",
        "update": "Change the startup variables.",
        "docker-image": "Change the Docker image.",
    }),
    "database": ("Managing the server's databases.", {
        "create": "Create databases.",
        "read": "List databases.",
        "update": "Rotate database passwords.",
        "delete": "Delete databases.",
        "view_password": "See database passwords.",
    }),
    "schedule": ("Managing the server's schedules.", {
        "create": "Create schedules.",
        "read": "See schedules and their tasks.",
        "update": "Change schedules and tasks, and run them.",
        "delete": "Delete schedules.",
    }),
    "settings": ("Managing the server's settings.", {
        "rename": "Rename the server and change its description.",
        "reinstall": "Reinstall the server.",
    }),
    "activity": ("Viewing the server's activity log.", {
        "read": "See the activity log.",
    }),
}
ALL_PERMISSIONS: list[str] = [f"{group}.{key}" for group, (_unused, keys) in PERMISSION_GROUPS.items() for key in keys]
ADMIN_PERMISSIONS = ["*", "admin.websocket.errors", "admin.websocket.install", "admin.websocket.transfer"]

# Placeholder keys used by each event's description text; properties outside these (and ip/useragent/using_sftp)
# make has_additional_metadata true. Events not listed have no description text, so only the exclusions apply.
ACTIVITY_TEXT_KEYS: dict[str, tuple[str, ...]] = {
    "auth:ip-blocked": ("identifier",),
    "user:account.email-changed": ("old", "new"),
    "user:api-key.create": ("identifier",), "user:api-key.delete": ("identifier",),
    "user:ssh-key.create": ("fingerprint",), "user:ssh-key.delete": ("fingerprint",),
    "server:console.command": ("command",),
    "server:backup.download": ("name",), "server:backup.delete": ("name",),
    "server:backup.restore": ("name", "truncate"), "server:backup.restore-complete": ("name",),
    "server:backup.restore-failed": ("name",), "server:backup.start": ("name",), "server:backup.complete": ("name",),
    "server:backup.fail": ("name",), "server:backup.lock": ("name",), "server:backup.unlock": ("name",),
    "server:database.create": ("name",), "server:database.rotate-password": ("name",),
    "server:database.delete": ("name",),
    "server:file.read": ("file",), "server:file.copy": ("file",), "server:file.create-directory": ("directory", "name"),
    "server:file.decompress": ("files", "directory"), "server:file.download": ("file",),
    "server:file.pull": ("url", "directory"), "server:file.write": ("file",),
    "server:allocation.create": ("allocation",), "server:allocation.notes": ("allocation", "old", "new"),
    "server:allocation.primary": ("allocation",), "server:allocation.delete": ("allocation",),
    "server:schedule.create": ("name",), "server:schedule.update": ("name",), "server:schedule.execute": ("name",),
    "server:schedule.delete": ("name",),
    "server:task.create": ("action", "name"), "server:task.update": ("action", "name"), "server:task.delete": ("name",),
    "server:settings.rename": ("old", "new"), "server:settings.description": ("old", "new"),
    "server:startup.edit": ("variable", "old", "new"), "server:startup.image": ("old", "new"),
    "server:subuser.create": ("email",), "server:subuser.update": ("email",), "server:subuser.delete": ("email",),
}
HIDDEN_ACTIVITY_EVENTS = frozenset({"server:file.upload"})

BASE32_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
DOCKER_IMAGE_REGEX = r"regex:/^[\w#\.\/\- ]*\|?~?[\w\.\/\-:@ ]*$/"
DATABASE_REMOTE_REGEX = r"regex:/^[\w\-\/.%:]+$/"
DATABASE_PASSWORD_SPECIALS = "!@=.+^"


# ==================================================================================================== runtime
class ClientRuntime:
    """Per-State data that is not a panel table: file trees and the 20 s resources cache.

    It is rebuilt whenever the State's tables are replaced (reset / load), so stale trees never survive a reset.
    """

    def __init__(self, state: State) -> None:
        self.tables_ref = state.tables
        self.files = FileStore(clock=state.time)
        self.resources_cache: dict[str, tuple[float, dict[str, Any]]] = {}


def runtime(state: State) -> ClientRuntime:
    current: ClientRuntime | None = getattr(state, "_client_runtime", None)
    if current is None or current.tables_ref is not state.tables:
        current = ClientRuntime(state)
        setattr(state, "_client_runtime", current)
    return current


def files_for(state: State, server: dict[str, Any]) -> ServerFiles:
    return runtime(state).files.for_server(server["uuid"])


# ==================================================================================================== small helpers
def _state(request: web.Request) -> State:
    state = request.get("state")
    return state if state is not None else request.app["state"]


def _user(request: web.Request) -> dict[str, Any]:
    return request["user"]


def _extra(state: State, name: str, default: Any) -> Any:
    extra = getattr(state.config, "extra", None) or {}
    return extra.get(name, default)


def _input(request: web.Request) -> dict[str, Any]:
    """Laravel's $request->all(): query string merged with the body (body wins)."""
    data = dict(http.query(request))
    data.update(http.body(request))
    return data


def _page_number(raw: Any) -> int:
    """Non-integer or < 1 page values become 1, like the paginator."""
    if isinstance(raw, str) and re.fullmatch(r"[+-]?\d+", raw):
        return max(1, int(raw))
    return 1


def _int_or_none(value: Any) -> int | None:
    if value is None or isinstance(value, bool):
        return None if value is None else int(value)
    try:
        return int(float(value))
    except (TypeError, ValueError):
        return None


def _php_bool(value: Any) -> bool:
    return http.to_bool(value) if value is not None else False


def _gravatar(email: str) -> str:
    return "https://gravatar.com/avatar/" + hashlib.md5(email.lower().encode()).hexdigest()


def _request_id() -> str:
    return str(uuid_module.uuid4())


def daemon_error(status: int, wings_message: str | None) -> ApiError:
    """How the panel wraps an error answer of Wings (DaemonConnectionException)."""
    request_id = _request_id()
    if status < 500:
        detail = f"An error occurred on the remote host: {wings_message}. (request id: {request_id})"
    else:
        detail = ("There was an error while communicating with the machine running this server. This error has been "
                  f"logged, please try again. (code: {status}) (request_id: {request_id})")
    return ApiError(status, "DaemonConnectionException", detail)


def _require_daemon_reachable(state: State) -> None:
    if getattr(state.config, "daemon_unreachable", False):
        raise http.daemon_unreachable()


def _daemon(request: web.Request) -> Any:
    """The Wings emulation (lazy: this module must import before wings.py exists)."""
    _require_daemon_reachable(_state(request))
    daemon = request.app.get("daemon")
    if daemon is None:
        raise http.daemon_unreachable()
    return daemon


def _log(request: web.Request, event: str, properties: dict[str, Any] | None = None,
         server: dict[str, Any] | None = None, subject_user_id: int | None = None) -> None:
    state = _state(request)
    key = request.get("api_key")
    state.log_activity(event, _user(request)["id"], server_id=server["id"] if server else None,
                       properties=properties or {}, is_api=key is not None, ip=request.remote or "127.0.0.1",
                       api_key_id=key["id"] if key else None, subject_user_id=subject_user_id)


ALPHANUMERIC = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"


def _random_string(length: int, alphabet: str = ALPHANUMERIC) -> str:
    return "".join(secrets.choice(alphabet) for _unused in range(length))


def _panel_url(request: web.Request) -> str:
    configured = getattr(_state(request).config, "panel_url", "") or ""
    return (configured or f"{request.scheme}://{request.host}").rstrip("/")


# ---------------------------------------------------------------------------------------------------- hashids
# Client database ids are hashids (8+ characters). We use a reversible scramble of the numeric id with the
# same shape: 8 characters from [a-zA-Z0-9].
_HASH_ALPHABET = "".join(sorted(ALPHANUMERIC, key=lambda ch: hashlib.sha1(b"hashids" + ch.encode()).digest()))
_HASH_SPACE = 62 ** 8
_HASH_MULTIPLIER = 2654435761  # odd and not a multiple of 31, so invertible modulo 62**8
_HASH_OFFSET = 91397315742


def encode_database_id(database_id: int) -> str:
    value = (database_id * _HASH_MULTIPLIER + _HASH_OFFSET) % _HASH_SPACE
    chars = []
    for _unused in range(8):
        value, digit = divmod(value, 62)
        chars.append(_HASH_ALPHABET[digit])
    return "".join(chars)


def decode_database_id(text: str) -> int | None:
    if len(text) != 8 or any(ch not in _HASH_ALPHABET for ch in text):
        return None
    value = 0
    for ch in reversed(text):
        value = value * 62 + _HASH_ALPHABET.index(ch)
    decoded = ((value - _HASH_OFFSET) * pow(_HASH_MULTIPLIER, -1, _HASH_SPACE)) % _HASH_SPACE
    return decoded if 0 < decoded < 10 ** 12 else None


# ---------------------------------------------------------------------------------------------------- JWT
def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _node_signing_key(request: web.Request, node: dict[str, Any] | None) -> str:
    daemon = request.app.get("daemon")
    if daemon is not None and hasattr(daemon, "node_key"):
        return str(daemon.node_key(node))
    return str((node or {}).get("daemon_token") or "emulator-node-key")


def sign_jwt(request: web.Request, node: dict[str, Any] | None, user: dict[str, Any], server: dict[str, Any],
             claims: dict[str, Any], lifetime_seconds: int, scope: str) -> str:
    """An HS256 JWT signed with the node's daemon token, with the panel's standard claims (``scope`` is written
    from panel 1.12.3 on: file-download, file-upload, backup-download)."""
    issued = int(_state(request).time())
    jti, identity = identity_claims(_state(request).config, user, str(server["uuid"]), scope)
    payload = {
        "iss": _panel_url(request),
        "aud": [_node_address(node)],
        "jti": jti, "iat": issued, "nbf": issued - 300, "exp": issued + lifetime_seconds,
    }
    payload.update(identity)
    payload.update(claims)
    header = {"typ": "JWT", "alg": "HS256", "jti": jti}
    signing_input = _b64url(json.dumps(header, separators=(",", ":")).encode()) + "." + _b64url(
        json.dumps(payload, separators=(",", ":")).encode())
    signature = hmac.new(_node_signing_key(request, node).encode(), signing_input.encode(), hashlib.sha256).digest()
    return signing_input + "." + _b64url(signature)


def decode_signed_token(state: State, token: str, key_for: Callable[[dict[str, Any]], str]) -> dict[str, Any] | None:
    """Verify a token produced by sign_jwt (used by the emulated Wings download/upload endpoints)."""
    try:
        head, payload, signature = token.split(".")
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (ValueError, json.JSONDecodeError):
        return None
    expected = hmac.new(key_for(claims).encode(), f"{head}.{payload}".encode(), hashlib.sha256).digest()
    if not hmac.compare_digest(_b64url(expected), signature):
        return None
    if not isinstance(claims.get("exp"), (int, float)) or claims["exp"] < state.time():
        return None
    return claims


def _node_address(node: dict[str, Any] | None) -> str:
    node = node or {}
    return f"{node.get('scheme', 'https')}://{node.get('fqdn', 'node.invalid')}:{node.get('daemon_listen', 8080)}"


def _signed_url_base(request: web.Request) -> str:
    """Download/upload URLs point at the emulator itself (it also plays Wings' HTTP side) so clients can use them."""
    return _panel_url(request)


# ==================================================================================================== transformers
def account_attributes(user: dict[str, Any]) -> dict[str, Any]:
    return {"id": user["id"], "admin": bool(user.get("root_admin")), "username": user["username"],
            "email": user["email"], "first_name": user.get("name_first"), "last_name": user.get("name_last"),
            "language": user.get("language") or "en"}


def client_user_attributes(state: State, user: dict[str, Any]) -> dict[str, Any]:
    """The client ``user`` object (subusers, activity actors); panel 1.12+ adds ``identifier`` (``user_…``)."""
    attributes: dict[str, Any] = {"uuid": user["uuid"]}
    if state.config.has("serv_identifiers") and user.get("uuid"):
        attributes["identifier"] = realtime_identifier("user", user["uuid"])
    attributes.update({"username": user["username"], "email": user["email"], "image": _gravatar(user["email"]),
                       "2fa_enabled": bool(user.get("use_totp")), "created_at": user.get("created_at")})
    return attributes


def subuser_attributes(state: State, subuser: dict[str, Any]) -> dict[str, Any]:
    user = state.get("users", subuser["user_id"]) or {"uuid": None, "username": None, "email": "", "created_at": None}
    attributes = client_user_attributes(state, user)
    attributes["permissions"] = list(subuser.get("permissions") or [])
    return attributes


def api_key_attributes(key: dict[str, Any]) -> dict[str, Any]:
    return {"identifier": key["identifier"], "description": key.get("memo"),
            "allowed_ips": list(key.get("allowed_ips") or []), "last_used_at": key.get("last_used_at"),
            "created_at": key.get("created_at")}


def ssh_key_attributes(key: dict[str, Any]) -> dict[str, Any]:
    return {"name": key["name"], "fingerprint": key["fingerprint"], "public_key": key["public_key"],
            "created_at": key.get("created_at")}


def allocation_attributes(allocation: dict[str, Any], server: dict[str, Any] | None,
                          hide_notes: bool = False) -> dict[str, Any]:
    return {"id": allocation["id"], "ip": allocation["ip"], "ip_alias": allocation.get("ip_alias"),
            "port": allocation["port"], "notes": None if hide_notes else allocation.get("notes"),
            "is_default": bool(server and server.get("allocation_id") == allocation["id"])}


def egg_variable_attributes(variable: dict[str, Any], server_value: Any) -> dict[str, Any]:
    return {"name": variable["name"], "description": variable.get("description"),
            "env_variable": variable["env_variable"], "default_value": variable.get("default_value"),
            "server_value": server_value, "is_editable": bool(variable.get("user_editable")),
            "rules": variable.get("rules")}


def backup_attributes(backup: dict[str, Any]) -> dict[str, Any]:
    return {"uuid": backup["uuid"], "is_successful": bool(backup.get("is_successful")),
            "is_locked": bool(backup.get("is_locked")), "name": backup["name"],
            "ignored_files": list(backup.get("ignored_files") or []), "checksum": backup.get("checksum"),
            "bytes": int(backup.get("bytes") or 0), "created_at": backup.get("created_at"),
            "completed_at": backup.get("completed_at")}


def task_attributes(task: dict[str, Any]) -> dict[str, Any]:
    return {"id": task["id"], "sequence_id": task["sequence_id"], "action": task["action"],
            "payload": task.get("payload"), "time_offset": int(task.get("time_offset") or 0),
            "is_queued": bool(task.get("is_queued")), "continue_on_failure": bool(task.get("continue_on_failure")),
            "created_at": task.get("created_at"), "updated_at": task.get("updated_at")}


def schedule_tasks(state: State, schedule_id: int) -> list[dict[str, Any]]:
    return sorted(state.select("tasks", schedule_id=schedule_id), key=lambda t: t["id"])


def schedule_item(state: State, schedule: dict[str, Any]) -> dict[str, Any]:
    attributes = {
        "id": schedule["id"], "name": schedule["name"],
        "cron": {"day_of_week": schedule["cron_day_of_week"], "day_of_month": schedule["cron_day_of_month"],
                 "month": schedule["cron_month"], "hour": schedule["cron_hour"], "minute": schedule["cron_minute"]},
        "is_active": bool(schedule.get("is_active")), "is_processing": bool(schedule.get("is_processing")),
        "only_when_online": bool(schedule.get("only_when_online")), "last_run_at": schedule.get("last_run_at"),
        "next_run_at": schedule.get("next_run_at"), "created_at": schedule.get("created_at"),
        "updated_at": schedule.get("updated_at"),
        "relationships": {"tasks": list_envelope([item("schedule_task", task_attributes(task))
                                                  for task in schedule_tasks(state, schedule["id"])])},
    }
    return item("server_schedule", attributes)


def database_item(state: State, database: dict[str, Any], with_password: bool | None,
                  max_connections_override: Any = MISSING) -> dict[str, Any]:
    """``with_password``: None = not requested, True = include it, False = requested but not allowed."""
    host = state.get("database_hosts", database["database_host_id"]) or {}
    attributes: dict[str, Any] = {
        "id": encode_database_id(database["id"]),
        "host": {"address": host.get("host"), "port": host.get("port")},
        "name": database["database"], "username": database["username"], "connections_from": database["remote"],
        "max_connections": database.get("max_connections") if max_connections_override is MISSING
        else max_connections_override,
    }
    if with_password is not None:
        attributes["relationships"] = {
            "password": item("database_password", {"password": database.get("password")}) if with_password
            else null_resource()}
    return item("server_database", attributes)


def file_object(stat: dict[str, Any]) -> dict[str, Any]:
    """The panel's file_object transformer over a Wings stat (timestamps re-rendered as ATOM in UTC)."""
    def atom(text: str) -> str:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(timezone.utc)
        return parsed.strftime("%Y-%m-%dT%H:%M:%S+00:00")

    return item("file_object", {
        "name": stat["name"], "mode": stat["mode"], "mode_bits": stat["mode_bits"], "size": stat["size"],
        "is_file": stat.get("file", True), "is_symlink": stat.get("symlink", False),
        "mimetype": stat.get("mime") or "application/octet-stream",
        "created_at": atom(stat["created"]), "modified_at": atom(stat["modified"]),
    })


def activity_item(state: State, viewer: dict[str, Any], row: dict[str, Any], with_actor: bool) -> dict[str, Any]:
    actor_id = row.get("actor_id")
    viewer_is_actor = actor_id is not None and actor_id == viewer["id"]
    properties: dict[str, Any] = {}
    count_keys: list[str] = []
    for key, value in (row.get("properties") or {}).items():
        if key == "ip" and not viewer_is_actor:
            properties[key] = "[hidden]"
        elif isinstance(value, (list, dict)):
            properties[key] = value
            properties[f"{key}_count"] = len(value)
            count_keys.append(f"{key}_count")
        elif key == "directory" and isinstance(value, str):
            properties[key] = ("/" + value.strip("/") + "/").replace("//", "/")
        else:
            properties[key] = value
    if len(count_keys) == 1:
        properties["count"] = properties.pop(count_keys[0])
    raw_properties = row.get("properties") or {}
    excluded = set(ACTIVITY_TEXT_KEYS.get(row["event"], ())) | {"ip", "useragent", "using_sftp"}
    attributes: dict[str, Any] = {
        "id": hashlib.sha1(str(row["id"]).encode()).hexdigest(),
        "batch": row.get("batch"),
        "event": row["event"],
        "is_api": row.get("api_key_id") is not None,
        "ip": row.get("ip") if (viewer_is_actor or viewer.get("root_admin")) else None,
        "description": row.get("description"),
        "properties": properties,
        "has_additional_metadata": any(key not in excluded for key in raw_properties),
        "timestamp": row.get("timestamp"),
    }
    if with_actor:
        actor = state.get("users", actor_id) if actor_id is not None else None
        attributes["relationships"] = {
            "actor": item("user", client_user_attributes(state, actor)) if actor else null_resource()}
    return item("activity_log", attributes)


# ==================================================================================================== server access
@dataclass
class ServerContext:
    """A resolved ``{server}`` plus what the current user may do on it."""

    request: web.Request
    state: State
    user: dict[str, Any]
    server: dict[str, Any]
    node: dict[str, Any]
    subuser: dict[str, Any] | None = None
    children: dict[str, Any] = field(default_factory=dict)

    @property
    def is_owner(self) -> bool:
        return self.server["owner_id"] == self.user["id"]

    @property
    def is_admin(self) -> bool:
        return bool(self.user.get("root_admin"))

    def permissions(self) -> list[str]:
        """GetUserPermissionsService: what the websocket token and meta.user_permissions carry."""
        if self.is_admin:
            return list(ADMIN_PERMISSIONS)
        if self.is_owner:
            return ["*"]
        return list((self.subuser or {}).get("permissions") or [])

    def can(self, permission: str) -> bool:
        if self.is_owner or self.is_admin:
            return True
        return permission in ((self.subuser or {}).get("permissions") or [])

    def require(self, permission: str) -> None:
        if not self.can(permission):
            raise forbidden()


# ---------------------------------------------------------------------------------------------------- identifiers
# Panel 1.12.1+ "realtime" identifiers: prefix + lowercase unpadded RFC 4648 base32 of the 16 uuid bytes.
REALTIME_ALPHABET = "abcdefghijklmnopqrstuvwxyz234567"
# Bytes the panel's lenient base32 decoder emits for a trailing group of 1..7 characters.
_TAIL_BYTES = {0: 0, 1: 1, 2: 1, 3: 2, 4: 2, 5: 3, 6: 4, 7: 4}


def realtime_identifier(prefix: str, uuid_text: str) -> str:
    """``serv_…`` / ``user_…`` for a uuid (31 characters for serv_)."""
    encoded = base64.b32encode(uuid_module.UUID(uuid_text).bytes).decode("ascii").rstrip("=").lower()
    return f"{prefix}_{encoded}"


def decode_realtime_identifier(prefix: str, value: str) -> str | None:
    """The uuid of a ``<prefix>_…`` value, None when it is not one (404). A body decoding to other than 16 bytes
    raises the panel's 500 InvalidArgumentException (Uuid::fromBytes)."""
    if not value.startswith(prefix + "_"):
        return None
    body_text = value[len(prefix) + 1:].rstrip("=")
    if not body_text or any(ch not in REALTIME_ALPHABET for ch in body_text):
        return None
    length = len(body_text) // 8 * 5 + _TAIL_BYTES[len(body_text) % 8]
    if length != 16:
        raise http.server_error("InvalidArgumentException")
    bits = "".join(format(REALTIME_ALPHABET.index(ch), "05b") for ch in body_text)[:128]
    return str(uuid_module.UUID(bytes=int(bits, 2).to_bytes(16, "big")))


def bind_server(state: State, value: str) -> dict[str, Any]:
    """Route-model binding of ``{server}``: 8 characters match the identifier, anything else the full uuid; from
    panel 1.12 a ``serv_`` identifier too."""
    if state.config.has("serv_identifiers") and value.startswith("serv_"):
        server_uuid = decode_realtime_identifier("serv", value)
        server = state.find("servers", uuid=server_uuid) if server_uuid else None
    else:
        server = state.server_by_identifier(value)
    if server is None:
        raise not_found(BINDING_NOT_FOUND)
    return server


def binding_probe(request: web.Request) -> None:
    """The route-model bindings the panel resolves before any throttle (their 404 costs no rate limit): the
    server, and the child models by their global key (which server they belong to is checked later)."""
    params = request.match_info
    if "server" not in params:
        return
    state = _state(request)
    server = bind_server(state, params["server"])
    for name, table in (("schedule", "schedules"), ("task", "tasks"), ("allocation", "allocations")):
        if name in params and state.get(table, http.int_param(params[name])) is None:
            raise not_found(BINDING_NOT_FOUND)
    if "backup" in params:
        backup = state.get("backups", params["backup"])
        if backup is None or backup.get("deleted_at"):
            raise not_found(BINDING_NOT_FOUND)
    if "database" in params:
        value = params["database"]
        decoded = decode_database_id(value)
        found = decoded is not None and state.get("databases", decoded) is not None
        if not found and not (re.fullmatch(r"\d{1,18}", value) and state.get("databases", int(value)) is not None):
            raise not_found(BINDING_NOT_FOUND)
    if "user" in params:
        user = state.find("users", uuid=params["user"])
        if user is None or state.find("subusers", user_id=user["id"], server_id=server["id"]) is None:
            raise not_found(BINDING_NOT_FOUND)


def resolve_server(request: web.Request) -> ServerContext:
    state = _state(request)
    server = bind_server(state, request.match_info["server"])
    node = state.get("nodes", server["node_id"]) or {}
    subuser = state.find("subusers", server_id=server["id"], user_id=_user(request)["id"])
    return ServerContext(request, state, _user(request), server, node, subuser)


def blocked_reason(state: State, server: dict[str, Any], node: dict[str, Any]) -> str | None:
    """Which 409 message applies (in the panel's order), or None when the server is usable."""
    status = server.get("status")
    transferring = bool(server.get("transfer")) or bool(server.get("is_transferring"))
    blocked = (status == "suspended" or node.get("maintenance_mode") or status in ("installing", "install_failed")
               or status == "restoring_backup" or transferring)
    if not blocked:
        return None
    if status == "suspended":
        return "suspended"
    if node.get("maintenance_mode"):
        return "maintenance"
    if status in ("installing", "install_failed"):
        return "installing"
    if status == "restoring_backup":
        return "restoring"
    if transferring:
        return "transferring"
    return "other"


def gate(ctx: ServerContext, route_kind: str = "default") -> None:
    """AuthenticateServerAccess: 404 without access, then the 409 state gate.

    ``route_kind``: "view" (GET /servers/{s}: always allowed), "websocket" (root admins pass while installing,
    restoring or transferring) or "default".
    """
    if not (ctx.is_owner or ctx.is_admin or ctx.subuser is not None):
        raise not_found(NO_SERVER_ACCESS)
    reason = blocked_reason(ctx.state, ctx.server, ctx.node)
    if reason is None or route_kind == "view":
        return
    if reason in ("suspended", "maintenance"):
        raise ApiError(409, "ServerStateConflictException", STATE_MESSAGES[reason])
    if not ctx.is_admin or route_kind != "websocket":
        raise ApiError(409, "ServerStateConflictException", STATE_MESSAGES[reason])


def server_context(request: web.Request, permission: str | None = None, route_kind: str = "default",
                   bind: Callable[[ServerContext], None] | None = None, limiter: str | None = None) -> ServerContext:
    """Binding (server, then children via ``bind``), access + state gate, the route's per-server limiter (panel
    1.12+, ``limiter`` names it), then the permission check."""
    ctx = resolve_server(request)
    if bind is not None:
        bind(ctx)
    gate(ctx, route_kind)
    if limiter is not None:
        hit_server_limiter(ctx, limiter)
    if permission is not None:
        ctx.require(permission)
    return ctx


def hit_server_limiter(ctx: ServerContext, name: str) -> None:
    """Panel 1.12+ per-server limiter (ResourceLimit): keyed by the server uuid, so every user and key of the server
    shares it; it counts every request that got past the server gate, whatever happens next. Its X-RateLimit-*
    headers replace the api.client ones on the answer."""
    config = ctx.state.config
    if not config.has("server_resource_limits"):
        return
    count, period = config.server_resource_limit(name)
    decision = ctx.request.app["rate_limiter"].hit(f"api.client:server-resource:{name}", ctx.server["uuid"],
                                                   count, period)
    ctx.request["route_rate_decision"] = decision
    if not decision.allowed:
        raise ApiError(429, "ThrottleRequestsException", "Too Many Attempts.", headers=decision.failure_headers())


def _bind_schedule(ctx: ServerContext) -> None:
    schedule_id = http.int_param(ctx.request.match_info["schedule"])
    schedule = ctx.state.get("schedules", schedule_id)
    if schedule is None or schedule["server_id"] != ctx.server["id"]:
        raise not_found(BINDING_NOT_FOUND)
    ctx.children["schedule"] = schedule


def _bind_task(ctx: ServerContext) -> None:
    _bind_schedule(ctx)
    task_id = http.int_param(ctx.request.match_info["task"])
    task = ctx.state.get("tasks", task_id)
    if task is None or task["schedule_id"] != ctx.children["schedule"]["id"]:
        raise not_found(BINDING_NOT_FOUND)
    ctx.children["task"] = task


def _bind_allocation(ctx: ServerContext) -> None:
    allocation_id = http.int_param(ctx.request.match_info["allocation"])
    allocation = ctx.state.get("allocations", allocation_id)
    if allocation is None or allocation.get("server_id") != ctx.server["id"]:
        raise not_found(BINDING_NOT_FOUND)
    ctx.children["allocation"] = allocation


def _bind_backup(ctx: ServerContext) -> None:
    backup = ctx.state.get("backups", ctx.request.match_info["backup"])
    if backup is None or backup.get("deleted_at") or backup["server_id"] != ctx.server["id"]:
        raise not_found(BINDING_NOT_FOUND)
    ctx.children["backup"] = backup


def _bind_subuser(ctx: ServerContext) -> None:
    """``{user}`` is resolved through the server's subusers by the user's uuid."""
    user_uuid = ctx.request.match_info["user"]
    for subuser in ctx.state.select("subusers", server_id=ctx.server["id"]):
        user = ctx.state.get("users", subuser["user_id"])
        if user is not None and user["uuid"] == user_uuid:
            ctx.children["subuser"] = subuser
            ctx.children["subuser_user"] = user
            return
    raise not_found(BINDING_NOT_FOUND)


def _bind_database(ctx: ServerContext) -> None:
    """Global binder: hashid or numeric id, any server (checked against the server after the gate)."""
    value = ctx.request.match_info["database"]
    database = None
    decoded = decode_database_id(value)
    if decoded is not None:
        database = ctx.state.get("databases", decoded)
    if database is None and re.fullmatch(r"\d{1,18}", value):
        database = ctx.state.get("databases", int(value))
    if database is None:
        raise not_found(BINDING_NOT_FOUND)
    ctx.children["database"] = database


def _database_belongs(ctx: ServerContext) -> dict[str, Any]:
    database = ctx.children["database"]
    if database["server_id"] != ctx.server["id"]:
        raise not_found(NOT_FOR_THIS_SERVER)
    return database


# ==================================================================================================== server object
def server_variables_view(state: State, server: dict[str, Any],
                          values: dict[int, dict[str, Any]] | None = None) -> list[tuple[dict[str, Any], Any]]:
    """(egg variable, server value or None) for every variable of the server's egg, in id order."""
    if values is None:
        values = state.server_variable_rows(server["id"])
    result = []
    for variable in sorted(state.egg_variables(server["egg_id"]), key=lambda v: v["id"]):
        stored = values.get(variable["id"])
        result.append((variable, stored["variable_value"] if stored is not None else None))
    return result


def render_startup(state: State, server: dict[str, Any], hide_all: bool,
                   variables: list[tuple[dict[str, Any], Any]] | None = None) -> str:
    """StartupCommandService: fill {{SERVER_MEMORY}}, {{SERVER_IP}}, {{SERVER_PORT}} and the egg variables."""
    primary = state.get("allocations", server.get("allocation_id")) or {}
    text = str(server.get("startup") or "")
    replacements = [("{{SERVER_MEMORY}}", str(server.get("memory"))), ("{{SERVER_IP}}", str(primary.get("ip", ""))),
                    ("{{SERVER_PORT}}", str(primary.get("port", "")))]
    for variable, value in (variables if variables is not None else server_variables_view(state, server)):
        shown = (value if value is not None else variable.get("default_value"))
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
    def build(cls, state: State, server_ids: set[int]) -> "ServerIndexes":
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


def _new_server_identifiers(state: State, server: dict[str, Any]) -> dict[str, Any]:
    """Panel 1.12.1+ fields of the client server object (``identifier`` stays the 8-character short id)."""
    if not state.config.has("serv_identifiers"):
        return {}
    return {"__deprecated_uuid_short": server["uuid_short"],
            "server_identifier": realtime_identifier("serv", server["uuid"])}


def server_item(state: State, user: dict[str, Any], server: dict[str, Any], requested: set[str],
                indexes: ServerIndexes | None = None, meta: dict[str, Any] | None = None) -> dict[str, Any]:
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
        **_new_server_identifiers(state, server),
        "internal_id": server["id"],
        "uuid": server["uuid"],
        "name": server["name"],
        "node": node.get("name"),
        "is_node_under_maintenance": bool(node.get("maintenance_mode")),
        "sftp_details": {"ip": node.get("fqdn"), "port": node.get("daemon_sftp")},
        "description": server.get("description"),
        "limits": {"memory": server.get("memory"), "swap": server.get("swap"), "disk": server.get("disk"),
                   "io": server.get("io"), "cpu": server.get("cpu"), "threads": server.get("threads"),
                   "oom_disabled": bool(server.get("oom_disabled"))},
        "invocation": render_startup(state, server, not can("startup.read"), variables),
        "docker_image": server.get("image"),
        "egg_features": egg_features(state, egg),
        "feature_limits": {"databases": server.get("database_limit"), "allocations": server.get("allocation_limit"),
                           "backups": server.get("backup_limit")},
        "status": status,
        "is_suspended": status == "suspended",
        "is_installing": status in ("installing", "install_failed"),
        "is_transferring": bool(server.get("transfer")) or bool(server.get("is_transferring")),
    }
    allocations = sorted(indexes.allocations.get(server["id"], []), key=lambda a: a["id"])
    if can("allocation.read"):
        allocation_items = [item("allocation", allocation_attributes(a, server)) for a in allocations]
    else:
        primary = state.get("allocations", server.get("allocation_id"))
        allocation_items = [item("allocation", allocation_attributes(primary, server, hide_notes=True))] if primary else []
    relationships: dict[str, Any] = {"allocations": list_envelope(allocation_items)}
    if can("startup.read"):
        relationships["variables"] = list_envelope([
            item("egg_variable", egg_variable_attributes(variable, value))
            for variable, value in variables if variable.get("user_viewable")])
    else:
        relationships["variables"] = null_resource()
    if "egg" in requested:
        relationships["egg"] = item("egg", {"uuid": egg.get("uuid"), "name": egg.get("name")}) if egg else null_resource()
    if "subusers" in requested:
        if can("user.read"):
            relationships["subusers"] = list_envelope([
                item("server_subuser", subuser_attributes(state, subuser))
                for subuser in sorted(subusers, key=lambda s: s["id"])])
        else:
            relationships["subusers"] = null_resource()
    attributes["relationships"] = relationships
    return item("server", attributes, meta)


# ==================================================================================================== validation
_SUPPORTED_RULES = set(http.MESSAGES) | {"sometimes", "nullable", "bail"}
_UNCHECKABLE_RULES = {"exists", "unique"}


def _digits_between(low: int, high: int) -> Check:
    def passes(value: Any, path: str, data: dict[str, Any]) -> bool:
        text = http.to_php_string(value)
        return text.isdigit() and low <= len(text) <= high

    return Check("digits_between", passes, f"The :attribute must be between {low} and {high} digits.")


_ALPHA_NUM = Check("alpha_num", lambda value, path, data: isinstance(value, (str, int)) and not isinstance(value, bool)
                   and str(value) != "" and all(ch.isalnum() for ch in str(value)),
                   "The :attribute may only contain letters and numbers.")


def egg_rules(rules: str | None) -> list[str | Check]:
    """An egg variable's rule string as validator rules; rules the emulator cannot check (exists, unique, ...)
    are skipped."""
    kept: list[str | Check] = []
    for rule in http.parse_rules(rules or ""):
        name, _unused, params = rule.partition(":")
        if name == "alpha_num":
            kept.append(_ALPHA_NUM)
        elif name == "digits_between" and re.fullmatch(r"\d+,\d+", params):
            low, high = (int(part) for part in params.split(","))
            kept.append(_digits_between(low, high))
        elif name in _SUPPORTED_RULES and name not in _UNCHECKABLE_RULES:
            kept.append(rule)
    return kept


def _required_unless(other: str, value: str) -> Check:
    def passes(current: Any, path: str, data: dict[str, Any]) -> bool:
        return http.to_php_string(data.get(other)) == value or http.is_filled(current)

    return Check("required_unless", passes, f"The :attribute field is required unless {other} is in {value}.",
                 implicit=True)


def _in_list(values: Iterable[str], name: str = "in") -> Check:
    allowed = [str(v) for v in values]
    return Check(name, lambda value, path, data: not isinstance(value, (list, dict)) and
                 http.to_php_string(value) in allowed)


def _ensure_user_password(request: web.Request, password: Any, message: str = INVALID_PASSWORD,
                          code: str = "InvalidPasswordProvidedException") -> None:
    if not isinstance(password, str) or not State.check_password(_user(request), password):
        raise display_error(message, code)


# ==================================================================================================== cron
class CronError(ValueError):
    """The expression does not evaluate (the panel answers 400 "...does not evaluate to a valid expression.")."""


_MONTH_NAMES = {name: index for index, name in enumerate(
    ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"], start=1)}
_DAY_NAMES = {name: index for index, name in enumerate(["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"])}
# (position name, lowest, highest, names)
_CRON_FIELDS: list[tuple[str, int, int, dict[str, int]]] = [
    ("minute", 0, 59, {}), ("hour", 0, 23, {}), ("day_of_month", 1, 31, {}), ("month", 1, 12, _MONTH_NAMES),
    ("day_of_week", 0, 7, _DAY_NAMES),
]


@dataclass
class CronField:
    values: set[int]
    wildcard: bool
    # Day-of-month specials: "L" (last day), "LW" (last weekday), nW (nearest weekday).
    last_day: bool = False
    last_weekday: bool = False
    nearest_weekday: set[int] = field(default_factory=set)
    # Day-of-week specials: nL (last n-day of the month), n#k (k-th n-day).
    last_of_weekday: set[int] = field(default_factory=set)
    nth_weekday: set[tuple[int, int]] = field(default_factory=set)


def _cron_value(text: str, low: int, high: int, names: dict[str, int]) -> int:
    upper = text.upper()
    if upper in names:
        return names[upper]
    if not re.fullmatch(r"\d+", text):
        raise CronError(text)
    number = int(text)
    if number < low or number > high:
        raise CronError(text)
    return number


def parse_cron_field(text: str, position: int) -> CronField:
    name, low, high, names = _CRON_FIELDS[position]
    if text in ("*", "?") and (text == "*" or name in ("day_of_month", "day_of_week")):
        return CronField(set(range(low, high + 1)), wildcard=True)
    result = CronField(set(), wildcard=False)
    for part in text.split(","):
        if part == "":
            raise CronError(text)
        upper = part.upper()
        if name == "day_of_month" and upper == "L":
            result.last_day = True
            continue
        if name == "day_of_month" and upper == "LW":
            result.last_weekday = True
            continue
        if name == "day_of_month" and re.fullmatch(r"\d{1,2}W", upper):
            result.nearest_weekday.add(_cron_value(upper[:-1], 1, 31, {}))
            continue
        if name == "day_of_week" and re.fullmatch(r"(\d|[A-Z]{3})L", upper):
            result.last_of_weekday.add(_cron_value(upper[:-1], 0, 7, names) % 7)
            continue
        if name == "day_of_week" and re.fullmatch(r"(\d|[A-Z]{3})#[1-5]", upper):
            day, nth = upper.split("#")
            result.nth_weekday.add((_cron_value(day, 0, 7, names) % 7, int(nth)))
            continue
        range_text, _unused, step_text = part.partition("/")
        step = 1
        if _unused:
            if not re.fullmatch(r"\d+", step_text) or int(step_text) < 1:
                raise CronError(text)
            step = int(step_text)
        if range_text == "*":
            start, end = low, high
        elif "-" in range_text:
            first, _unused, last = range_text.partition("-")
            start, end = _cron_value(first, low, high, names), _cron_value(last, low, high, names)
        else:
            start = _cron_value(range_text, low, high, names)
            end = high if _unused else start
        result.values.update(range(start, end + 1, step))
    if name == "day_of_week" and 7 in result.values:
        result.values.discard(7)
        result.values.add(0)
    return result


def _nearest_weekday(year: int, month: int, day: int) -> int | None:
    last = calendar.monthrange(year, month)[1]
    if day > last:
        return None
    weekday = calendar.weekday(year, month, day)  # Monday = 0
    if weekday < 5:
        return day
    if weekday == 5:  # Saturday -> Friday, or Monday when the 1st
        return day - 1 if day > 1 else day + 2
    return day + 1 if day < last else day - 2  # Sunday -> Monday, or Friday at the month's end


def _day_matches(dom: CronField, dow: CronField, year: int, month: int, day: int) -> bool:
    last = calendar.monthrange(year, month)[1]
    cron_weekday = (calendar.weekday(year, month, day) + 1) % 7  # Sunday = 0

    def dom_match() -> bool:
        if day in dom.values or (dom.last_day and day == last):
            return True
        if dom.last_weekday:
            target = last
            while calendar.weekday(year, month, target) >= 5:
                target -= 1
            if day == target:
                return True
        return any(_nearest_weekday(year, month, wanted) == day for wanted in dom.nearest_weekday)

    def dow_match() -> bool:
        if cron_weekday in dow.values:
            return True
        if cron_weekday in dow.last_of_weekday and day + 7 > last:
            return True
        return (cron_weekday, (day - 1) // 7 + 1) in dow.nth_weekday

    if dom.wildcard and dow.wildcard:
        return True
    if dom.wildcard:
        return dow_match()
    if dow.wildcard:
        return dom_match()
    return dom_match() or dow_match()  # both restricted: either one matches, like cron


def cron_next_run(minute: Any, hour: Any, day_of_month: Any, month: Any, day_of_week: Any, after: float) -> float:
    """The next matching minute strictly after ``after`` (UTC epoch seconds). Raises CronError when invalid or
    impossible (the panel's library gives up after a bounded search as well)."""
    parts = [str(minute), str(hour), str(day_of_month), str(month), str(day_of_week)]
    expression = " ".join(parts).split()
    if len(expression) != 5:
        raise CronError("wrong number of parts")
    fields = [parse_cron_field(text, position) for position, text in enumerate(expression)]
    minutes, hours, dom, months, dow = fields
    start = datetime.fromtimestamp(int(after) - int(after) % 60, tz=timezone.utc) + timedelta(minutes=1)
    day = start.date()
    for _unused in range(366 * 8):
        if day.month in months.values and _day_matches(dom, dow, day.year, day.month, day.day):
            for hour_value in sorted(hours.values):
                for minute_value in sorted(minutes.values):
                    candidate = datetime(day.year, day.month, day.day, hour_value, minute_value, tzinfo=timezone.utc)
                    if candidate >= start:
                        return candidate.timestamp()
        day += timedelta(days=1)
    raise CronError("impossible expression")


def atom(epoch: float) -> str:
    return datetime.fromtimestamp(int(epoch), tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%S+00:00")


# ==================================================================================================== TOTP
def totp_code(secret: str, at: float, step: int = 30) -> str:
    """RFC 6238 (SHA-1, 6 digits) for a base32 secret."""
    key = base64.b32decode(secret.upper() + "=" * (-len(secret) % 8))
    counter = struct.pack(">Q", int(at // step))
    digest = hmac.new(key, counter, hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    number = struct.unpack(">I", digest[offset:offset + 4])[0] & 0x7FFFFFFF
    return f"{number % 1_000_000:06d}"


def totp_valid(secret: str | None, code: str, at: float, window: int = 4) -> bool:
    """Accept the code of the current 30 s period or of ``window`` periods either side (panel default 4)."""
    if not secret or not re.fullmatch(r"\d{6}", code or ""):
        return False
    return any(hmac.compare_digest(totp_code(secret, at + offset * 30), code) for offset in range(-window, window + 1))


# ==================================================================================================== SSH keys
class SshKeyError(ValueError):
    pass


# Panel 1.14.1 UserSSHKey: the key (trimmed) must start with one of these.
SSH_KEY_PREFIXES = ("ssh-rsa ", "ssh-ed25519 ", "ecdsa-sha2-", "sk-ssh-ed25519@openssh.com ",
                    "sk-ecdsa-sha2-nistp256@openssh.com ", "-----BEGIN PUBLIC KEY-----",
                    "-----BEGIN RSA PUBLIC KEY-----", "-----BEGIN EC PUBLIC KEY-----",
                    "-----BEGIN DSA PUBLIC KEY-----", "---- BEGIN SSH2 PUBLIC KEY ----")


def parse_public_key(text: str) -> tuple[str, str]:
    """(PKCS8 PEM with CRLF line ends as phpseclib writes it, SHA-256 fingerprint as unpadded base64).

    Raises SshKeyError with the panel's message. Accepts OpenSSH one-line keys and PEM public keys.
    """
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import dsa, rsa

    data = text.strip().encode()
    if data.startswith(b"ssh-dss "):
        raise SshKeyError("DSA keys are not supported.")
    try:
        if data.startswith(b"-----BEGIN"):
            key = serialization.load_pem_public_key(data)
        else:
            key = serialization.load_ssh_public_key(data)
    except (ValueError, TypeError, Exception):  # noqa: BLE001 - any parse failure means "not valid"
        raise SshKeyError("The public key provided is not valid.") from None
    if isinstance(key, dsa.DSAPublicKey):
        raise SshKeyError("DSA keys are not supported.")
    if isinstance(key, rsa.RSAPublicKey) and key.key_size < 2048:
        raise SshKeyError("RSA keys must be at least 2048 bytes in length.")
    try:
        wire = key.public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH)
    except ValueError:
        raise SshKeyError("The public key provided is not valid.") from None
    blob = base64.b64decode(wire.split()[1])
    fingerprint = base64.b64encode(hashlib.sha256(blob).digest()).decode().rstrip("=")
    pem = key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    return pem.strip().replace("\n", "\r\n"), fingerprint


# ==================================================================================================== routes: global
def _route(method: str, path: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    return http.route(routes, method, path)


def accessible_server_ids(state: State, user: dict[str, Any]) -> set[int]:
    ids = {server["id"] for server in state.tables["servers"].values() if server["owner_id"] == user["id"]}
    ids.update(sub["server_id"] for sub in state.tables["subusers"].values() if sub["user_id"] == user["id"])
    return ids


_IPV4_SEARCH = re.compile(r"^(?:[0-9]{1,3}\.){3}[0-9]{1,3}(:\d{1,5})?$")


def _multi_field_filter(state: State) -> Callable[[list[dict[str, Any]], list[Any]], list[dict[str, Any]]]:
    """filter[*]: an IPv4[:port] or :port searches allocations, anything else uuid/identifier/external id/name."""
    def apply(rows: list[dict[str, Any]], values: list[Any]) -> list[dict[str, Any]]:
        term = ",".join(http.to_php_string(v) for v in values)
        if _IPV4_SEARCH.match(term) or re.fullmatch(r":\d{1,5}", term):
            ip, _unused, port = term.partition(":")
            matching: set[int] = set()
            for allocation in state.tables["allocations"].values():
                if allocation.get("server_id") is None:
                    continue
                if term.startswith(":"):
                    ok = str(allocation["port"]).startswith(port)
                else:
                    ok = allocation["ip"] == ip and (not _unused or str(allocation["port"]).startswith(port))
                if ok:
                    matching.add(allocation["server_id"])
            return [row for row in rows if row["id"] in matching]
        lowered = term.lower()
        return [row for row in rows if row["uuid"] == term or row["uuid"].startswith(term)
                or row["uuid_short"] == term or (row.get("external_id") is not None and row["external_id"] == term)
                or lowered in str(row.get("name") or "").lower()]

    return apply


@_route("GET", PREFIX)
async def list_servers(request: web.Request) -> web.Response:
    state, user = _state(request), _user(request)
    query = http.query(request)
    kind = query.get("type")
    servers = state.rows("servers")
    if kind in ("admin", "admin-all"):
        if not user.get("root_admin"):
            servers = []
        elif kind == "admin":
            mine = accessible_server_ids(state, user)
            servers = [s for s in servers if s["id"] not in mine]
    elif kind == "owner":
        servers = [s for s in servers if s["owner_id"] == user["id"]]
    else:
        mine = accessible_server_ids(state, user)
        servers = [s for s in servers if s["id"] in mine]
    servers = http.apply_filters(servers, query, {
        "uuid": ("uuid", "partial"), "name": ("name", "partial"), "description": ("description", "partial"),
        "external_id": ("external_id", "partial"), "*": _multi_field_filter(state)})
    requested = http.includes(request)
    per_page = http.per_page_value(request, 50, 100)
    page = _page_number(query.get("page"))
    window = servers[(page - 1) * per_page: page * per_page]
    indexes = ServerIndexes.build(state, {s["id"] for s in window})
    data = [server_item(state, user, server, requested, indexes) for server in window]
    meta = {"pagination": http.pagination_meta(request, len(servers), len(data), per_page, page, keep_query=True)}
    return json_response(list_envelope(data, meta))


@_route("GET", PREFIX + "/permissions")
async def system_permissions(request: web.Request) -> web.Response:
    permissions = {group: {"description": description, "keys": dict(keys)}
                   for group, (description, keys) in PERMISSION_GROUPS.items()}
    return json_response({"object": "system_permissions", "attributes": {"permissions": permissions}})


# ---------------------------------------------------------------------------------------------------- account
@_route("GET", PREFIX + "/account")
async def account(request: web.Request) -> web.Response:
    return json_response(item("user", account_attributes(_user(request))))


@_route("GET", PREFIX + "/account/two-factor")
async def two_factor_setup(request: web.Request) -> web.Response:
    state, user = _state(request), _user(request)
    if user.get("use_totp"):
        raise bad_request("Two-factor authentication is already enabled on this account.")
    secret = "".join(secrets.choice(BASE32_ALPHABET) for _unused in range(32))
    state.update("users", user, {"totp_secret": secret})
    company = "Pterodactyl"
    from urllib.parse import quote

    uri = f"otpauth://totp/{quote(company, safe='')}:{quote(user['email'], safe='')}?secret={quote(secret, safe='')}" \
          f"&issuer={quote(company, safe='')}"
    return json_response({"data": {"image_url_data": uri, "secret": secret}})


@_route("POST", PREFIX + "/account/two-factor")
async def two_factor_enable(request: web.Request) -> web.Response:
    state, user = _state(request), _user(request)
    data = http.validate(_input(request), {"code": "required|string|size:6", "password": "required|string"})
    if not State.check_password(user, data["password"]):
        raise bad_request(NOT_VALID_PASSWORD)
    if not totp_valid(user.get("totp_secret"), data["code"], state.time()):
        raise display_error("The provided two-factor authentication token was not valid.",
                            "TwoFactorAuthenticationTokenInvalid")
    tokens = [_random_string(10) for _unused in range(10)]
    state.update("users", user, {
        "use_totp": True, "totp_authenticated_at": state.now(),
        "recovery_tokens": [hashlib.sha256(token.encode()).hexdigest() for token in tokens]})
    _log(request, "user:two-factor.create")
    return json_response({"object": "recovery_tokens", "attributes": {"tokens": tokens}})


@_route("POST", PREFIX + "/account/two-factor/disable")
async def two_factor_disable(request: web.Request) -> web.Response:
    state, user = _state(request), _user(request)
    password = _input(request).get("password")
    if not isinstance(password, str) or not State.check_password(user, password):
        raise bad_request(NOT_VALID_PASSWORD)
    state.update("users", user, {"use_totp": False, "totp_authenticated_at": state.now()})
    _log(request, "user:two-factor.delete")
    return empty_response(204)


@_route("PUT", PREFIX + "/account/email")
async def update_email(request: web.Request) -> web.Response:
    state, user = _state(request), _user(request)
    limited = state.config.has("email_change_limit")
    if limited:
        _email_route_throttle(request, user)
    data = _input(request)
    _ensure_user_password(request, data.get("password"))
    unique = Check("unique", lambda value, path, d: not any(
        http.collation_key(other["email"]) == http.collation_key(value) and other["id"] != user["id"]
        for other in state.tables["users"].values()))
    http.validate(data, {"email": http.user_email_rules(state.config, unique)})
    original = user["email"]
    if not limited:
        if data["email"] != original:
            state.update("users", user, {"email": data["email"]})
            _log(request, "user:account.email-changed", {"old": original, "new": data["email"]})
        return empty_response(204)
    # Panel 1.12.3+: 3 real changes a day, checked before the comparison (so even the same address is refused);
    # the same address (any case) changes nothing and is not counted.
    limiter, key = request.app["rate_limiter"], user["uuid"]
    if limiter.attempts(EMAIL_CHANGE_LIMITER, key, EMAIL_CHANGE_PERIOD) >= EMAIL_CHANGES_PER_DAY:
        raise ApiError(429, "TooManyRequestsHttpException",
                       "Your email address has been changed too many times today. Please try again later.")
    if str(data["email"]).lower() != original.lower():
        state.update("users", user, {"email": data["email"]})
        limiter.hit(EMAIL_CHANGE_LIMITER, key, EMAIL_CHANGES_PER_DAY, EMAIL_CHANGE_PERIOD)
        _log(request, "user:account.email-changed", {"old": original, "new": data["email"]})
    return empty_response(204)


EMAIL_CHANGE_LIMITER = "user:update-email"
EMAIL_CHANGES_PER_DAY, EMAIL_CHANGE_PERIOD = 3, 86400.0
EMAIL_ROUTE_THROTTLE = (60, 60.0)  # Laravel's bare `throttle` middleware: 60 a minute per user


def _email_route_throttle(request: web.Request, user: dict[str, Any]) -> None:
    """The `throttle` route middleware of PUT /account/email (1.12.3+); its headers replace the api.client ones."""
    count, period = EMAIL_ROUTE_THROTTLE
    decision = request.app["rate_limiter"].hit("throttle:account.email", str(user["id"]), count, period)
    request["route_rate_decision"] = decision
    if not decision.allowed:
        raise ApiError(429, "ThrottleRequestsException", "Too Many Attempts.", headers=decision.failure_headers())


@_route("PUT", PREFIX + "/account/password")
async def update_password(request: web.Request) -> web.Response:
    state, user = _state(request), _user(request)
    data = _input(request)
    _ensure_user_password(request, data.get("current_password"))
    http.validate(data, {"password": "required|string|confirmed|min:8"})
    state.set_password(user, data["password"])
    state.update("users", user, {})
    user["updated_at"] = state.now()
    _log(request, "user:account.password-changed")
    deauthorize(request.app, user, None)  # panel 1.12.1+
    return empty_response(204)


def _activity_list(request: web.Request, rows: list[dict[str, Any]]) -> web.Response:
    state, user = _state(request), _user(request)
    query = http.query(request)
    rows = [row for row in rows if row["event"] not in HIDDEN_ACTIVITY_EVENTS]
    rows = http.apply_filters(rows, query, {"event": ("event", "partial")})
    rows = http.apply_sort(rows, query, {"timestamp": "timestamp"})
    sort = query.get("sort")
    if sort in ("timestamp", "-timestamp"):
        # Timestamps have one-second resolution: break ties by insertion order so newest-first is stable.
        rows = sorted(rows, key=lambda row: (row.get("timestamp") or "", row["id"]), reverse=sort.startswith("-"))
    with_actor = "actor" in http.includes(request)
    envelope = http.paginate(request, rows, lambda row: activity_item(state, user, row, with_actor),
                             default_per_page=25, max_per_page=100, app_links=False)
    return json_response(envelope)


@_route("GET", PREFIX + "/account/activity")
async def account_activity(request: web.Request) -> web.Response:
    state, user = _state(request), _user(request)
    rows = [row for row in state.rows("activity") if row.get("subject_user_id") == user["id"]]
    return _activity_list(request, rows)


@_route("GET", PREFIX + "/account/api-keys")
async def list_api_keys(request: web.Request) -> web.Response:
    state, user = _state(request), _user(request)
    keys = [key for key in state.rows("api_keys") if key["user_id"] == user["id"] and key["key_type"] == KEY_TYPE_ACCOUNT]
    return json_response(list_envelope([item("api_key", api_key_attributes(key)) for key in keys]))


def _valid_ip_or_cidr(text: Any) -> bool:
    if not isinstance(text, str):
        return False
    try:
        if "/" in text:
            ipaddress.ip_network(text, strict=False)
        else:
            ipaddress.ip_address(text)
        return True
    except ValueError:
        return False


@_route("POST", PREFIX + "/account/api-keys")
async def create_api_key(request: web.Request) -> web.Response:
    state, user = _state(request), _user(request)
    data = _input(request)
    failures = http.collect_failures(data, {
        "description": "required|string|max:500", "allowed_ips": "nullable|array|max:50", "allowed_ips.*": "string"})
    ips = data.get("allowed_ips")
    if isinstance(ips, list):
        for index, ip in enumerate(ips):
            if not _valid_ip_or_cidr(ip):
                failures.append((f"allowed_ips.{index}", "", f'"{http.to_php_string(ip)}" is not a valid IP address or '
                                 "CIDR range."))
    if failures:
        raise ValidationFailed(failures)
    existing = [k for k in state.rows("api_keys") if k["user_id"] == user["id"] and k["key_type"] == KEY_TYPE_ACCOUNT]
    if len(existing) >= int(getattr(state.config, "api_key_limit", 25)):
        raise display_error("You have reached the account limit for number of API keys.")
    secret = _random_string(32)
    row: dict[str, Any] = {
        "user_id": user["id"], "key_type": KEY_TYPE_ACCOUNT, "identifier": "ptlc_" + _random_string(11),
        "token": secret, "memo": data.get("description") or "", "allowed_ips": list(ips or []),
        "last_used_at": None, "expires_at": None,
    }
    for resource in ("r_servers", "r_nodes", "r_allocations", "r_users", "r_locations", "r_nests", "r_eggs",
                     "r_database_hosts", "r_server_databases"):
        row[resource] = 0
    key = state.insert("api_keys", row)
    _log(request, "user:api-key.create", {"identifier": key["identifier"]})
    return json_response(item("api_key", api_key_attributes(key), meta={"secret_token": secret}))


@_route("DELETE", PREFIX + "/account/api-keys/{identifier}")
async def delete_api_key(request: web.Request) -> web.Response:
    state, user = _state(request), _user(request)
    key = state.find("api_keys", user_id=user["id"], key_type=KEY_TYPE_ACCOUNT,
                     identifier=request.match_info["identifier"])
    if key is None:
        raise not_found(BINDING_NOT_FOUND)
    _log(request, "user:api-key.delete", {"identifier": key["identifier"]})
    state.delete("api_keys", key["id"])
    return empty_response(204)


@_route("GET", PREFIX + "/account/ssh-keys")
async def list_ssh_keys(request: web.Request) -> web.Response:
    state, user = _state(request), _user(request)
    keys = state.select("ssh_keys", user_id=user["id"])
    return json_response(list_envelope([item("ssh_key", ssh_key_attributes(key)) for key in keys]))


@_route("POST", PREFIX + "/account/ssh-keys")
async def create_ssh_key(request: web.Request) -> web.Response:
    state, user = _state(request), _user(request)
    data = _input(request)
    checked = state.config.has("ssh_key_prefixes")
    failures = http.collect_failures(data, {"name": "required|string", "public_key": "required|string"
                                            + ("|max:16384" if checked else "")})
    parsed: tuple[str, str] | None = None
    public_key = data.get("public_key") if isinstance(data.get("public_key"), str) else ""
    # The after-hook runs even when the rules failed (Laravel runs after callbacks regardless); 1.14.1 skips it
    # when there is no key at all.
    try:
        if checked and not public_key:
            pass
        elif checked and not public_key.strip().startswith(SSH_KEY_PREFIXES):
            raise SshKeyError("The public key provided is not valid.")
        else:
            parsed = parse_public_key(public_key)
    except SshKeyError as error:
        failures.append(("public_key", "", str(error)))
    if parsed is not None and state.find("ssh_keys", user_id=user["id"], fingerprint=parsed[1]) is not None:
        failures.append(("public_key", "", "The public key provided already exists on your account."))
    if failures:
        raise ValidationFailed(failures)
    assert parsed is not None
    key = state.insert("ssh_keys", {"user_id": user["id"], "name": data["name"], "public_key": parsed[0],
                                    "fingerprint": parsed[1]})
    _log(request, "user:ssh-key.create", {"fingerprint": parsed[1]})
    return json_response(item("ssh_key", ssh_key_attributes(key)))


@_route("POST", PREFIX + "/account/ssh-keys/remove")
async def remove_ssh_key(request: web.Request) -> web.Response:
    state, user = _state(request), _user(request)
    data = http.validate(_input(request), {"fingerprint": "required|string"})
    key = state.find("ssh_keys", user_id=user["id"], fingerprint=data["fingerprint"])
    if key is not None:
        state.delete("ssh_keys", key["id"])
        _log(request, "user:ssh-key.delete", {"fingerprint": key["fingerprint"]})
    return empty_response(204)


# ==================================================================================================== routes: server
@_route("GET", SERVER)
async def view_server(request: web.Request) -> web.Response:
    ctx = server_context(request, route_kind="view")
    meta = {"is_server_owner": ctx.is_owner, "user_permissions": ctx.permissions()}
    return json_response(server_item(ctx.state, ctx.user, ctx.server, http.includes(request), meta=meta))


@_route("GET", SERVER + "/websocket")
async def websocket_credentials(request: web.Request) -> web.Response:
    ctx = server_context(request, route_kind="websocket", limiter="websocket")
    if not ctx.can("websocket.connect"):
        raise forbidden("You do not have permission to connect to this server's websocket.", "HttpForbiddenException")
    daemon = request.app.get("daemon")
    if daemon is None:
        raise http.daemon_unreachable()
    token, socket = daemon.issue_token(ctx.user, ctx.server, ctx.permissions())
    return json_response({"data": {"token": token, "socket": socket}})


@_route("GET", SERVER + "/resources")
async def server_resources(request: web.Request) -> web.Response:
    ctx = server_context(request)
    cache = runtime(ctx.state).resources_cache
    lifetime = float(_extra(ctx.state, "resources_cache_seconds", 20.0))
    cached = cache.get(ctx.server["uuid"])
    now = ctx.state.time()
    if cached is not None and cached[0] > now:
        stats = cached[1]
    else:
        stats = _daemon(request).resources(ctx.server["uuid"])
        if lifetime > 0:
            cache[ctx.server["uuid"]] = (now + lifetime, stats)
    return json_response(item("stats", stats))


@_route("GET", SERVER + "/activity")
async def server_activity(request: web.Request) -> web.Response:
    ctx = server_context(request, "activity.read")
    rows = [row for row in ctx.state.rows("activity") if row.get("server_id") == ctx.server["id"]]
    if getattr(ctx.state.config, "activity_hide_admin", False):
        members = {sub["user_id"] for sub in ctx.state.select("subusers", server_id=ctx.server["id"])}
        members.add(ctx.server["owner_id"])

        def visible(row: dict[str, Any]) -> bool:
            actor = ctx.state.get("users", row.get("actor_id")) if row.get("actor_id") is not None else None
            return actor is None or not actor.get("root_admin") or actor["id"] in members

        rows = [row for row in rows if visible(row)]
    return _activity_list(request, rows)


@_route("POST", SERVER + "/command")
async def send_command(request: web.Request) -> web.Response:
    ctx = server_context(request, "control.console")
    data = http.validate(_input(request), {"command": "required|string|min:1"})
    daemon = _daemon(request)
    try:
        daemon.send_command(ctx.server["uuid"], data["command"])
    except Exception as error:  # noqa: BLE001 - wings.ServerOffline, imported lazily
        if type(error).__name__ == "ServerOffline":
            raise ApiError(502, "HttpException", SERVER_OFFLINE_COMMAND) from None
        raise
    _log(request, "server:console.command", {"command": data["command"]}, server=ctx.server)
    return empty_response(204)


POWER_PERMISSIONS = {"start": "control.start", "stop": "control.stop", "kill": "control.stop",
                     "restart": "control.restart"}


@_route("POST", SERVER + "/power")
async def send_power(request: web.Request) -> web.Response:
    ctx = server_context(request)
    data = _input(request)
    signal = data.get("signal")
    # The permission depends on the signal and is checked before validation: an unknown signal is 403 for a
    # subuser (no such permission) but 422 for owners and admins.
    ctx.require(POWER_PERMISSIONS.get(signal if isinstance(signal, str) else "", "__invalid"))
    http.validate(data, {"signal": "required|string|in:start,stop,kill,restart"})
    _daemon(request).power(ctx.server["uuid"], signal)
    _log(request, f"server:power.{str(signal).lower()}", server=ctx.server)
    return empty_response(204)


# ---------------------------------------------------------------------------------------------------- databases
def _database_password() -> str:
    """24 random characters with 2-6 of them replaced by specials from "!@=.+^"."""
    characters = list(_random_string(24))
    for index in secrets.SystemRandom().sample(range(24), secrets.choice(range(2, 7))):
        characters[index] = secrets.choice(DATABASE_PASSWORD_SPECIALS)
    return "".join(characters)


def _prefixed_database_name(name: str, server_id: int) -> str:
    prefix = f"s{server_id}_"
    return prefix + name[:48 - len(prefix)]


def _password_include(ctx: ServerContext, requested: bool) -> bool | None:
    if not requested:
        return None
    return ctx.can("database.view_password")


@_route("GET", SERVER + "/databases")
async def list_databases(request: web.Request) -> web.Response:
    ctx = server_context(request, "database.read")
    with_password = _password_include(ctx, "password" in http.includes(request))
    rows = ctx.state.select("databases", server_id=ctx.server["id"])
    return json_response(list_envelope([database_item(ctx.state, row, with_password) for row in rows]))


@_route("POST", SERVER + "/databases")
async def create_database(request: web.Request) -> web.Response:
    ctx = server_context(request, "database.create", limiter="databases")
    state, server = ctx.state, ctx.server
    data = _input(request)

    def unique(value: Any, path: str, d: dict[str, Any]) -> bool:
        name = _prefixed_database_name(http.to_php_string(value), server["id"])
        return state.find("databases", server_id=server["id"], database=name) is None

    http.validate(data, {
        "database": ["required", "alpha_dash", "min:3", "max:48",
                     Check("unique", unique, "The database name you have selected is already in use by this server.")],
        "remote": ["required", "string", DATABASE_REMOTE_REGEX]},
        messages={"database.unique": "The database name you have selected is already in use by this server."})
    hosts = state.rows("database_hosts")
    if not hosts:
        raise display_error("No database host was found that meets the requirements for this server.",
                            "NoSuitableDatabaseHostException")
    node_hosts = [host for host in hosts if host.get("node_id") == server["node_id"]]
    if not node_hosts and not getattr(state.config, "databases_allow_random_host", True):
        raise display_error("No database host was found that meets the requirements for this server.",
                            "NoSuitableDatabaseHostException")
    host = state.random.choice(node_hosts or hosts)
    if not getattr(state.config, "databases_enabled", True):
        raise http.server_error()  # DatabaseClientFeatureNotEnabledException is not an HTTP exception
    limit = server.get("database_limit")
    if limit is not None and len(state.select("databases", server_id=server["id"])) >= int(limit):
        raise display_error("Operation aborted: creating a new database would put this server over the defined "
                            "limit.", "TooManyDatabasesException")
    database = state.insert("databases", {
        "server_id": server["id"], "database_host_id": host["id"],
        "database": _prefixed_database_name(str(data["database"]), server["id"]),
        "username": f"u{server['id']}_{_random_string(10)}", "remote": data["remote"],
        "password": _database_password(), "max_connections": 0,
    })
    _log(request, "server:database.create", {"name": database["database"]}, server=server)
    # The create response is built from the unsaved model: max_connections shows null.
    return json_response(database_item(state, database, _password_include(ctx, True), max_connections_override=None))


def _database_context(request: web.Request, permission: str) -> tuple[ServerContext, dict[str, Any]]:
    ctx = resolve_server(request)
    _bind_database(ctx)
    gate(ctx)
    database = _database_belongs(ctx)
    ctx.require(permission)
    return ctx, database


@_route("POST", SERVER + "/databases/{database}/rotate-password")
async def rotate_database_password(request: web.Request) -> web.Response:
    ctx, database = _database_context(request, "database.update")
    ctx.state.update("databases", database, {"password": _database_password()})
    _log(request, "server:database.rotate-password", {"name": database["database"]}, server=ctx.server)
    return json_response(database_item(ctx.state, database, _password_include(ctx, True)))


@_route("DELETE", SERVER + "/databases/{database}")
async def delete_database(request: web.Request) -> web.Response:
    ctx, database = _database_context(request, "database.delete")
    ctx.state.delete("databases", database["id"])
    _log(request, "server:database.delete", {"name": database["database"]}, server=ctx.server)
    return empty_response(204)


# ---------------------------------------------------------------------------------------------------- files
def _files(ctx: ServerContext) -> ServerFiles:
    _require_daemon_reachable(ctx.state)
    return files_for(ctx.state, ctx.server)


def _wings_files(action: Callable[[], Any]) -> Any:
    """Run a file operation; Wings errors come back wrapped the way the panel wraps them."""
    try:
        return action()
    except WingsFileError as error:
        raise daemon_error(error.status, error.message) from None


@_route("GET", SERVER + "/files/list")
async def list_files(request: web.Request) -> web.Response:
    ctx = server_context(request, "file.read")
    directory = _input(request).get("directory") or "/"
    tree = _files(ctx)
    stats = _wings_files(lambda: tree.list_directory(str(directory)))
    return json_response(list_envelope([file_object(stat) for stat in stats]))


@_route("GET", SERVER + "/files/contents")
async def file_contents(request: web.Request) -> web.Response:
    ctx = server_context(request, "file.read-content")
    data = http.validate(_input(request), {"file": "required|string"})
    tree = _files(ctx)
    entry = _wings_files(lambda: tree.read(data["file"]))
    if len(entry.content) > int(getattr(ctx.state.config, "files_max_edit_size", 4194304)):
        raise display_error("The file you are attempting to open is too large to view in the file editor.",
                            "FileSizeTooLargeException")
    _log(request, "server:file.read", {"file": data["file"]}, server=ctx.server)
    return web.Response(body=entry.content, status=200, headers={"Content-Type": "text/plain; charset=UTF-8"})


@_route("GET", SERVER + "/files/download")
async def file_download(request: web.Request) -> web.Response:
    ctx = server_context(request, "file.read-content")
    data = http.validate(_input(request), {"file": "required|string"})
    token = sign_jwt(request, ctx.node, ctx.user, ctx.server,
                     {"file_path": unquote(str(data["file"])), "server_uuid": ctx.server["uuid"]}, 15 * 60,
                     "file-download")
    _log(request, "server:file.download", {"file": data["file"]}, server=ctx.server)
    url = f"{_signed_url_base(request)}/download/file?token={token}"
    return json_response({"object": "signed_url", "attributes": {"url": url}})


@_route("PUT", SERVER + "/files/rename")
async def rename_files(request: web.Request) -> web.Response:
    ctx = server_context(request, "file.update")
    data = http.validate(_input(request), {
        "root": "required|nullable|string", "files": "required|array", "files.*": "array",
        "files.*.to": "required|string", "files.*.from": "required|string"})
    tree = _files(ctx)
    pairs = [(str(entry["from"]), str(entry["to"])) for entry in data["files"]]
    _wings_files(lambda: tree.rename(data["root"], pairs))
    _log(request, "server:file.rename", {"directory": data["root"], "files": data["files"]}, server=ctx.server)
    return empty_response(204)


@_route("POST", SERVER + "/files/copy")
async def copy_file(request: web.Request) -> web.Response:
    ctx = server_context(request, "file.create")
    data = http.validate(_input(request), {"location": "required|string"})
    tree = _files(ctx)
    _wings_files(lambda: tree.copy(data["location"]))
    _log(request, "server:file.copy", {"file": data["location"]}, server=ctx.server)
    return empty_response(204)


@_route("POST", SERVER + "/files/write")
async def write_file(request: web.Request) -> web.Response:
    ctx = server_context(request, "file.create")
    data = http.validate(dict(http.query(request)), {"file": "required|string"})
    raw = request.get("raw_body")
    content = raw if isinstance(raw, (bytes, bytearray)) else await request.read()
    tree = _files(ctx)
    _wings_files(lambda: tree.write(str(data["file"]), bytes(content)))
    _log(request, "server:file.write", {"file": data["file"]}, server=ctx.server)
    return empty_response(204)


@_route("POST", SERVER + "/files/compress")
async def compress_files(request: web.Request) -> web.Response:
    ctx = server_context(request, "file.archive")
    data = http.validate(_input(request), {"root": "sometimes|nullable|string", "files": "required|array",
                                           "files.*": "string"})
    tree = _files(ctx)
    names = [str(name) for name in data["files"]]
    archive = _wings_files(lambda: tree.compress(data.get("root"), names))
    _log(request, "server:file.compress", {"directory": data.get("root"), "files": data["files"]}, server=ctx.server)
    stat = tree.stat(archive)
    stat["mime"] = "application/tar+gzip"
    return json_response(file_object(stat))


@_route("POST", SERVER + "/files/decompress")
async def decompress_file(request: web.Request) -> web.Response:
    ctx = server_context(request, "file.create")
    data = http.validate(_input(request), {"root": "sometimes|nullable|string", "file": "required|string"})
    tree = _files(ctx)
    _wings_files(lambda: tree.decompress(data.get("root"), str(data["file"])))
    _log(request, "server:file.decompress", {"directory": data.get("root"), "files": data["file"]},
         server=ctx.server)
    return empty_response(204)


@_route("POST", SERVER + "/files/delete")
async def delete_files(request: web.Request) -> web.Response:
    ctx = server_context(request, "file.delete")
    data = http.validate(_input(request), {"root": "required|nullable|string", "files": "required|array",
                                           "files.*": "string"})
    tree = _files(ctx)
    names = [str(name) for name in data["files"]]
    _wings_files(lambda: tree.delete(data["root"], names))
    _log(request, "server:file.delete", {"directory": data["root"], "files": data["files"]}, server=ctx.server)
    return empty_response(204)


@_route("POST", SERVER + "/files/create-folder")
async def create_folder(request: web.Request) -> web.Response:
    ctx = server_context(request, "file.create")
    data = http.validate(_input(request), {"root": "sometimes|nullable|string", "name": "required|string"})
    tree = _files(ctx)
    _wings_files(lambda: tree.create_directory(str(data["name"]), data.get("root") or "/"))
    _log(request, "server:file.create-directory", {"name": data["name"], "directory": data.get("root")},
         server=ctx.server)
    return empty_response(204)


@_route("POST", SERVER + "/files/chmod")
async def chmod_files(request: web.Request) -> web.Response:
    ctx = server_context(request, "file.update")
    data = http.validate(_input(request), {"root": "required|nullable|string", "files": "required|array",
                                           "files.*.file": "required|string", "files.*.mode": "required|numeric"})
    tree = _files(ctx)
    changes = [(str(entry["file"]), http.to_php_string(entry["mode"])) for entry in data["files"]]
    _wings_files(lambda: tree.chmod(data["root"], changes))
    return empty_response(204)


@_route("POST", SERVER + "/files/pull")
async def pull_file(request: web.Request) -> web.Response:
    ctx = server_context(request, limiter="files_pull")  # panel 1.12+: 5 per 10 min per server
    if not ctx.state.config.has("server_resource_limits"):
        # Panel 1.11: throttle:10,5 per user, route middleware counted after the server gate.
        limit, period = getattr(ctx.state.config, "files_pull_throttle", (10, 300))
        decision = request.app["rate_limiter"].hit("files.pull", ctx.user["uuid"], int(limit), float(period))
        if not decision.allowed:
            raise ApiError(429, "ThrottleRequestsException", "Too Many Attempts.",
                           headers=decision.failure_headers())
    ctx.require("file.create")
    data = http.validate(_input(request), {
        "url": "required|string|url", "directory": "nullable|string", "filename": "nullable|string",
        "use_header": "boolean", "foreground": "boolean"})
    tree = _files(ctx)
    _wings_files(lambda: tree.pull(str(data["url"]), data.get("directory"), data.get("filename")))
    _log(request, "server:file.pull", {"directory": data.get("directory"), "url": data["url"]}, server=ctx.server)
    return empty_response(204)


@_route("GET", SERVER + "/files/upload")
async def upload_url(request: web.Request) -> web.Response:
    ctx = server_context(request, "file.create")
    token = sign_jwt(request, ctx.node, ctx.user, ctx.server, {"server_uuid": ctx.server["uuid"]}, 15 * 60,
                     "file-upload")
    url = f"{_signed_url_base(request)}/upload/file?token={token}"
    return json_response({"object": "signed_url", "attributes": {"url": url}})


# ---------------------------------------------------------------------------------------------------- Wings HTTP side
def _wings_json_error(status: int, message: str) -> web.Response:
    return json_response({"error": message, "request_id": _request_id()}, status=status)


def _verify_wings_token(request: web.Request) -> tuple[dict[str, Any], dict[str, Any]] | web.Response:
    state = request.app["state"]
    token = request.query.get("token", "")

    def key_for(claims: dict[str, Any]) -> str:
        server = state.find("servers", uuid=claims.get("server_uuid")) or {}
        return _node_signing_key(request, state.get("nodes", server.get("node_id")))

    claims = decode_signed_token(state, token, key_for)
    if claims is None:
        return _wings_json_error(403, "You are not authorized to access this endpoint.")
    server = state.find("servers", uuid=claims.get("server_uuid"))
    if server is None:
        return _wings_json_error(404, "The requested resource was not found on this server.")
    return claims, server


@routes.get("/download/file")
async def wings_download_file(request: web.Request) -> web.StreamResponse:
    verified = _verify_wings_token(request)
    if isinstance(verified, web.Response):
        return verified
    claims, server = verified
    tree = files_for(request.app["state"], server)
    try:
        entry = tree.read(str(claims.get("file_path") or ""))
    except WingsFileError as error:
        return _wings_json_error(error.status, error.message)
    return web.Response(body=entry.content, headers={
        "Content-Type": "application/octet-stream",
        "Content-Disposition": f'attachment; filename={json.dumps(entry.name)}'})


@routes.post("/upload/file")
async def wings_upload_file(request: web.Request) -> web.StreamResponse:
    verified = _verify_wings_token(request)
    if isinstance(verified, web.Response):
        return verified
    _unused, server = verified
    state = request.app["state"]
    directory = request.query.get("directory", "/")
    tree = files_for(state, server)
    received = 0
    try:
        reader = await request.multipart()
    except (AssertionError, ValueError, KeyError):
        return _wings_json_error(400, "Failed to get multipart form data from request.")
    while True:
        part = await reader.next()
        if part is None:
            break
        if getattr(part, "name", None) != "files" or not getattr(part, "filename", None):
            continue
        content = await part.read(decode=False)
        name = str(part.filename).replace("\\", "/").rsplit("/", maxsplit=1)[-1]
        try:
            tree.write(f"{directory.rstrip('/')}/{name}", bytes(content))
        except WingsFileError as error:
            return _wings_json_error(error.status, error.message)
        received += 1
    if not received:
        return _wings_json_error(400, "No files were found on the request body.")
    return web.Response(status=200)


@routes.get("/download/backup")
async def wings_download_backup(request: web.Request) -> web.StreamResponse:
    verified = _verify_wings_token(request)
    if isinstance(verified, web.Response):
        return verified
    claims, server = verified
    backup = request.app["state"].get("backups", claims.get("backup_uuid"))
    if backup is None or backup["server_id"] != server["id"] or not backup.get("is_successful"):
        return _wings_json_error(404, "The requested backup was not found on this server.")
    archive = runtime(request.app["state"]).files.backup_archive(backup["uuid"])
    return web.Response(body=archive, headers={
        "Content-Type": "application/octet-stream",
        "Content-Disposition": f'attachment; filename="{backup["uuid"]}.tar.gz"'})


# ---------------------------------------------------------------------------------------------------- schedules
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
    return atom(epoch)


def _schedule_next_run(state: State, schedule: dict[str, Any]) -> str | None:
    try:
        return atom(cron_next_run(schedule["cron_minute"], schedule["cron_hour"], schedule["cron_day_of_month"],
                                  schedule["cron_month"], schedule["cron_day_of_week"], state.time()))
    except CronError:
        return schedule.get("next_run_at")


@_route("GET", SERVER + "/schedules")
async def list_schedules(request: web.Request) -> web.Response:
    ctx = server_context(request, "schedule.read")
    schedules = ctx.state.select("schedules", server_id=ctx.server["id"])
    return json_response(list_envelope([schedule_item(ctx.state, schedule) for schedule in schedules]))


@_route("POST", SERVER + "/schedules")
async def create_schedule(request: web.Request) -> web.Response:
    ctx = server_context(request, "schedule.create", limiter="schedules")
    data = _input(request)
    http.validate(data, SCHEDULE_RULES)
    next_run = _next_run(ctx.state, data)
    schedule = ctx.state.insert("schedules", {
        "server_id": ctx.server["id"], "name": data["name"], "cron_day_of_week": data["day_of_week"],
        "cron_month": data["month"], "cron_day_of_month": data["day_of_month"], "cron_hour": data["hour"],
        "cron_minute": data["minute"], "is_active": _php_bool(data.get("is_active")), "is_processing": False,
        "only_when_online": _php_bool(data.get("only_when_online")), "last_run_at": None, "next_run_at": next_run,
    })
    _log(request, "server:schedule.create", {"name": schedule["name"]}, server=ctx.server)
    return json_response(schedule_item(ctx.state, schedule))


@_route("GET", SERVER + "/schedules/{schedule}")
async def view_schedule(request: web.Request) -> web.Response:
    ctx = server_context(request, "schedule.read", bind=_bind_schedule)
    return json_response(schedule_item(ctx.state, ctx.children["schedule"]))


@_route("POST", SERVER + "/schedules/{schedule}")
async def update_schedule(request: web.Request) -> web.Response:
    ctx = server_context(request, "schedule.update", bind=_bind_schedule)
    schedule = ctx.children["schedule"]
    data = _input(request)
    http.validate(data, SCHEDULE_RULES)
    next_run = _next_run(ctx.state, data)
    active = _php_bool(data.get("is_active"))
    changes: dict[str, Any] = {
        "name": data["name"], "cron_day_of_week": data["day_of_week"], "cron_month": data["month"],
        "cron_day_of_month": data["day_of_month"], "cron_hour": data["hour"], "cron_minute": data["minute"],
        "is_active": active, "only_when_online": _php_bool(data.get("only_when_online")), "next_run_at": next_run,
    }
    if bool(schedule.get("is_active")) != active:
        changes["is_processing"] = False
    original_name = schedule["name"]
    ctx.state.update("schedules", schedule, changes)
    _log(request, "server:schedule.update", {"name": original_name, "active": active}, server=ctx.server)
    return json_response(schedule_item(ctx.state, schedule))


@_route("DELETE", SERVER + "/schedules/{schedule}")
async def delete_schedule(request: web.Request) -> web.Response:
    ctx = server_context(request, "schedule.delete", bind=_bind_schedule)
    schedule = ctx.children["schedule"]
    for task in schedule_tasks(ctx.state, schedule["id"]):
        ctx.state.delete("tasks", task["id"])
    ctx.state.delete("schedules", schedule["id"])
    _log(request, "server:schedule.delete", {"name": schedule["name"]}, server=ctx.server)
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


@_route("POST", SERVER + "/schedules/{schedule}/execute")
async def execute_schedule(request: web.Request) -> web.Response:
    ctx = server_context(request, "schedule.update", bind=_bind_schedule)
    schedule = ctx.children["schedule"]
    if ctx.state.config.has("schedule_task_rules"):
        # 1.14.1: the caller must hold the permission of every task; a stored task that maps to none (an old
        # invalid power payload) refuses everyone, owners and admins included.
        for task in schedule_tasks(ctx.state, schedule["id"]):
            permission = task_permission(task["action"], task["payload"])
            if permission is None or not ctx.can(permission):
                raise forbidden("You do not have permission to perform this action.", "HttpForbiddenException")
    run_schedule(request, ctx.state, schedule)
    _log(request, "server:schedule.execute", {"name": schedule["name"]}, server=ctx.server)
    return empty_response(202)


TASK_RULES: dict[str, Any] = {
    "action": "required|in:command,power,backup",
    "payload": [_required_unless("action", "backup"), "string", "nullable"],
    "time_offset": "required|numeric|min:0|max:900",
    "sequence_id": "sometimes|required|numeric|min:1",
    "continue_on_failure": "sometimes|required|boolean",
}


POWER_TASK_PAYLOADS = ("start", "stop", "restart", "kill")
_POWER_PAYLOAD_RULE = Check("in", lambda value, path, data: data.get("action") != "power"
                            or http.to_php_string(value) in POWER_TASK_PAYLOADS)


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
    parsed = _int_or_none(value)
    return max(1, parsed if parsed is not None else 0)


def _task_backup_forbidden(server: dict[str, Any], data: dict[str, Any]) -> None:
    limit = server.get("backup_limit")
    if limit is not None and int(limit) == 0 and data.get("action") == "backup":
        raise forbidden("A backup task cannot be created when the server's backup limit is set to 0.",
                        "HttpForbiddenException")


@_route("POST", SERVER + "/schedules/{schedule}/tasks")
async def create_task(request: web.Request) -> web.Response:
    ctx = server_context(request, "schedule.update", bind=_bind_schedule)
    schedule = ctx.children["schedule"]
    data = _input(request)
    _authorize_task(ctx, data)
    http.validate(data, _task_rules(ctx.state))
    tasks = schedule_tasks(ctx.state, schedule["id"])
    limit = int(getattr(ctx.state.config, "schedule_task_limit", 10))
    if len(tasks) >= limit:
        raise display_error(f"Schedules may not have more than {limit} tasks associated with them. Creating this "
                            "task would put this schedule over the limit.", "ServiceLimitExceededException")
    _task_backup_forbidden(ctx.server, data)
    sequence_id = max((t["sequence_id"] for t in tasks), default=0) + 1
    requested = _requested_sequence(data, sequence_id)
    if requested < sequence_id:
        for task in tasks:
            if task["sequence_id"] >= requested:
                ctx.state.update("tasks", task, {"sequence_id": task["sequence_id"] + 1})
        sequence_id = requested
    task = ctx.state.insert("tasks", {
        "schedule_id": schedule["id"], "sequence_id": sequence_id, "action": data["action"],
        "payload": data.get("payload") if data.get("payload") is not None else "",
        "time_offset": _int_or_none(data.get("time_offset")) or 0, "is_queued": False,
        "continue_on_failure": _php_bool(data.get("continue_on_failure")),
    })
    _log(request, "server:task.create", {"name": schedule["name"], "action": task["action"],
                                         "payload": task["payload"]}, server=ctx.server)
    return json_response(item("schedule_task", task_attributes(task)))


@_route("POST", SERVER + "/schedules/{schedule}/tasks/{task}")
async def update_task(request: web.Request) -> web.Response:
    ctx = server_context(request, "schedule.update", bind=_bind_task)
    schedule, task = ctx.children["schedule"], ctx.children["task"]
    data = _input(request)
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
    ctx.state.update("tasks", task, {
        "sequence_id": wanted, "action": data["action"],
        "payload": data.get("payload") if data.get("payload") is not None else "",
        "time_offset": _int_or_none(data.get("time_offset")) or 0,
        "continue_on_failure": _php_bool(data.get("continue_on_failure")),
    })
    _log(request, "server:task.update", logged, server=ctx.server)
    return json_response(item("schedule_task", task_attributes(task)))


@_route("DELETE", SERVER + "/schedules/{schedule}/tasks/{task}")
async def delete_task(request: web.Request) -> web.Response:
    ctx = server_context(request, bind=_bind_task)
    schedule, task = ctx.children["schedule"], ctx.children["task"]
    if not ctx.can("schedule.update"):
        raise forbidden("You do not have permission to perform this action.", "HttpForbiddenException")
    for other in schedule_tasks(ctx.state, schedule["id"]):
        if other["sequence_id"] > task["sequence_id"]:
            ctx.state.update("tasks", other, {"sequence_id": other["sequence_id"] - 1})
    ctx.state.delete("tasks", task["id"])
    _log(request, "server:task.delete", {"name": schedule["name"]}, server=ctx.server)
    return empty_response(204)


# ---------------------------------------------------------------------------------------------------- network
def _allocation_text(allocation: dict[str, Any]) -> str:
    return f"{allocation['ip']}:{allocation['port']}"


@_route("GET", SERVER + "/network/allocations")
async def list_allocations(request: web.Request) -> web.Response:
    ctx = server_context(request, "allocation.read")
    rows = sorted(ctx.state.server_allocations(ctx.server["id"]), key=lambda a: a["id"])
    return json_response(list_envelope([item("allocation", allocation_attributes(a, ctx.server)) for a in rows]))


@_route("POST", SERVER + "/network/allocations")
async def assign_allocation(request: web.Request) -> web.Response:
    ctx = server_context(request, "allocation.create", limiter="allocations")
    state, server = ctx.state, ctx.server
    assigned = state.server_allocations(server["id"])
    limit = server.get("allocation_limit")
    if len(assigned) >= int(limit or 0):
        raise display_error("Cannot assign additional allocations to this server: limit has been reached.")
    if not getattr(state.config, "allocations_enabled", False):
        raise display_error("Server auto-allocation is not enabled for this instance.",
                            "AutoAllocationNotEnabledException")
    primary = state.get("allocations", server.get("allocation_id")) or {}
    ip = primary.get("ip")
    free = [a for a in state.rows("allocations")
            if a["node_id"] == server["node_id"] and a["ip"] == ip and a.get("server_id") is None]
    if free:
        allocation = state.random.choice(free)
    else:
        start, end = getattr(state.config, "allocation_range", (None, None)) or (None, None)
        if not isinstance(start, int) or not isinstance(end, int):
            raise display_error("Cannot assign additional allocation: no more space available on node.",
                                "NoAutoAllocationSpaceAvailableException")
        used = {a["port"] for a in state.rows("allocations") if a["node_id"] == server["node_id"] and a["ip"] == ip}
        candidates = [port for port in range(start, end + 1) if port not in used]
        if not candidates:
            raise display_error("Cannot assign additional allocation: no more space available on node.",
                                "NoAutoAllocationSpaceAvailableException")
        allocation = state.insert("allocations", {"node_id": server["node_id"], "ip": ip, "ip_alias": None,
                                                  "port": state.random.choice(candidates), "server_id": None,
                                                  "notes": None})
    state.update("allocations", allocation, {"server_id": server["id"]})
    _log(request, "server:allocation.create", {"allocation": _allocation_text(allocation)}, server=server)
    return json_response(item("allocation", allocation_attributes(allocation, server)))


@_route("POST", SERVER + "/network/allocations/{allocation}")
async def update_allocation_notes(request: web.Request) -> web.Response:
    ctx = server_context(request, "allocation.update", bind=_bind_allocation)
    allocation = ctx.children["allocation"]
    data = http.validate(_input(request), {"notes": "present|nullable|string|max:256"})
    original = allocation.get("notes")
    ctx.state.update("allocations", allocation, {"notes": data.get("notes")})
    if original != allocation.get("notes"):
        _log(request, "server:allocation.notes", {"allocation": _allocation_text(allocation), "old": original,
                                                  "new": allocation.get("notes")}, server=ctx.server)
    return json_response(item("allocation", allocation_attributes(allocation, ctx.server)))


@_route("POST", SERVER + "/network/allocations/{allocation}/primary")
async def set_primary_allocation(request: web.Request) -> web.Response:
    ctx = server_context(request, "allocation.update", bind=_bind_allocation)
    allocation = ctx.children["allocation"]
    ctx.state.update("servers", ctx.server, {"allocation_id": allocation["id"]})
    _log(request, "server:allocation.primary", {"allocation": _allocation_text(allocation)}, server=ctx.server)
    return json_response(item("allocation", allocation_attributes(allocation, ctx.server)))


@_route("DELETE", SERVER + "/network/allocations/{allocation}")
async def delete_allocation(request: web.Request) -> web.Response:
    ctx = server_context(request, "allocation.delete", bind=_bind_allocation)
    allocation = ctx.children["allocation"]
    if not ctx.server.get("allocation_limit"):
        raise display_error("You cannot delete allocations for this server: no allocation limit is set.")
    if allocation["id"] == ctx.server.get("allocation_id"):
        raise display_error("You cannot delete the primary allocation for this server.")
    ctx.state.update("allocations", allocation, {"notes": None, "server_id": None})
    _log(request, "server:allocation.delete", {"allocation": _allocation_text(allocation)}, server=ctx.server)
    return empty_response(204)


# ---------------------------------------------------------------------------------------------------- subusers
def _clean_permissions(requested: Any) -> list[str]:
    """Unknown strings dropped, websocket.connect always added, duplicates removed (first one wins)."""
    values = requested if isinstance(requested, list) else []
    cleaned: list[str] = []
    for value in values + ["websocket.connect"]:
        if isinstance(value, str) and value in ALL_PERMISSIONS and value not in cleaned:
            cleaned.append(value)
    return cleaned


def _subuser_authorize(ctx: ServerContext, permission: str, data: dict[str, Any] | None) -> None:
    """SubuserRequest::authorize: the permission, never yourself, and no granting of permissions you lack."""
    ctx.require(permission)
    target = ctx.children.get("subuser_user")
    if target is not None and target["uuid"] == ctx.user["uuid"]:
        raise forbidden()
    if data is not None and ctx.request.method == "POST" and "permissions" in data:
        if ctx.is_admin or ctx.is_owner:
            return
        requested = data.get("permissions") or []
        held = set((ctx.subuser or {}).get("permissions") or [])
        if isinstance(requested, list) and any(p not in held for p in requested):
            raise forbidden("Cannot assign permissions to a subuser that your account does not actively possess.",
                            "HttpForbiddenException")


def _revoke(request: web.Request, server: dict[str, Any], user: dict[str, Any]) -> bool:
    """Take a subuser's access away on Wings. Panel 1.11: the token denylist, failures ignored (returns False).
    Panel 1.12+: /api/deauthorize-user, a queued job that retries, so the activity says revoked: true."""
    if _state(request).config.has("deauthorize_user"):
        deauthorize(request.app, user, [server["uuid"]])
        return True
    if getattr(_state(request).config, "daemon_unreachable", False):
        return False
    daemon = request.app.get("daemon")
    if daemon is None:
        return False
    daemon.revoke_user(server["uuid"], user["uuid"])
    return True


def deauthorize(app: web.Application, user: dict[str, Any], server_uuids: list[str] | None) -> None:
    """Panel 1.12+ deauthorization of a user on Wings (``None``: every server the user can reach, as after a
    password change or deletion). Nothing happens on a 1.11 panel or while Wings is unreachable (the job would
    retry later)."""
    config = app["config"]
    daemon = app.get("daemon")
    if daemon is None or getattr(config, "daemon_unreachable", False):
        return
    if server_uuids is None and not config.has("deauthorize_on_password"):
        return
    if server_uuids is not None and not config.has("deauthorize_user"):
        return
    daemon.deauthorize_user(user["uuid"], server_uuids)


@_route("GET", SERVER + "/users")
async def list_subusers(request: web.Request) -> web.Response:
    ctx = server_context(request)
    _subuser_authorize(ctx, "user.read", None)
    rows = ctx.state.select("subusers", server_id=ctx.server["id"])
    return json_response(list_envelope([item("server_subuser", subuser_attributes(ctx.state, row)) for row in rows]))


@_route("POST", SERVER + "/users")
async def create_subuser(request: web.Request) -> web.Response:
    ctx = server_context(request, limiter="subusers")
    state, server = ctx.state, ctx.server
    data = _input(request)
    _subuser_authorize(ctx, "user.create", data)
    http.validate(data, {"email": http.user_email_rules(ctx.state.config), "permissions": "required|array",
                         "permissions.*": "string"})
    permissions = _clean_permissions(data["permissions"])
    email = str(data["email"])
    # The panel looks the address up in MySQL: case- and accent-insensitively.
    wanted = http.collation_key(email)
    user = next((row for row in state.tables["users"].values() if http.collation_key(row["email"]) == wanted), None)
    if user is not None:
        if server["owner_id"] == user["id"]:
            raise display_error("You cannot add the server owner as a subuser for this server.",
                                "UserIsServerOwnerException")
        if state.find("subusers", user_id=user["id"], server_id=server["id"]) is not None:
            raise display_error("A user with that email address is already assigned as a subuser for this server.",
                                "ServerSubuserExistsException")
    else:
        local = re.sub(r"[^\w.-]+", "", email.split("@", 1)[0], flags=re.ASCII)[:64]
        user = state.insert("users", {
            "external_id": None, "uuid": state.new_uuid(), "username": (local + _random_string(3)).lower(),
            "email": email, "name_first": "Server", "name_last": "Subuser", "password": None, "language": "en",
            "root_admin": False, "use_totp": False, "totp_secret": None, "totp_authenticated_at": None,
            "recovery_tokens": [], "gravatar": True,
        })
        state.set_password(user, secrets.token_urlsafe(24))
    subuser = state.insert("subusers", {"user_id": user["id"], "server_id": server["id"],
                                        "permissions": permissions})
    _log(request, "server:subuser.create", {"email": email, "permissions": permissions}, server=server,
         subject_user_id=user["id"])
    return json_response(item("server_subuser", subuser_attributes(state, subuser)))


@_route("GET", SERVER + "/users/{user}")
async def view_subuser(request: web.Request) -> web.Response:
    ctx = server_context(request, bind=_bind_subuser)
    _subuser_authorize(ctx, "user.read", None)
    return json_response(item("server_subuser", subuser_attributes(ctx.state, ctx.children["subuser"])))


@_route("POST", SERVER + "/users/{user}")
async def update_subuser(request: web.Request) -> web.Response:
    ctx = server_context(request, bind=_bind_subuser)
    data = _input(request)
    _subuser_authorize(ctx, "user.update", data)
    http.validate(data, {"permissions": "required|array", "permissions.*": "string"})
    subuser, target = ctx.children["subuser"], ctx.children["subuser_user"]
    permissions = _clean_permissions(data["permissions"])
    current = sorted(subuser.get("permissions") or [])
    if sorted(permissions) != current:
        ctx.state.update("subusers", subuser, {"permissions": permissions})
        revoked = _revoke(request, ctx.server, target)
        _log(request, "server:subuser.update", {"email": target["email"], "old": current,
                                                "new": sorted(permissions), "revoked": revoked},
             server=ctx.server, subject_user_id=target["id"])
    return json_response(item("server_subuser", subuser_attributes(ctx.state, subuser)))


@_route("DELETE", SERVER + "/users/{user}")
async def delete_subuser(request: web.Request) -> web.Response:
    ctx = server_context(request, bind=_bind_subuser)
    _subuser_authorize(ctx, "user.delete", None)
    subuser, target = ctx.children["subuser"], ctx.children["subuser_user"]
    ctx.state.delete("subusers", subuser["id"])
    revoked = _revoke(request, ctx.server, target)
    _log(request, "server:subuser.delete", {"email": target["email"], "revoked": revoked}, server=ctx.server,
         subject_user_id=target["id"])
    return empty_response(204)


# ---------------------------------------------------------------------------------------------------- backups
def _epoch(text: str | None) -> float:
    from .state import parse_timestamp

    return parse_timestamp(text) or 0.0


def _non_failed_backups(state: State, server_id: int) -> list[dict[str, Any]]:
    return sorted((b for b in state.tables["backups"].values()
                   if b["server_id"] == server_id and not b.get("deleted_at")
                   and (b.get("completed_at") is None or b.get("is_successful"))), key=lambda b: b["id"])


def delete_backup_row(request: web.Request, state: State, backup: dict[str, Any]) -> None:
    """DeleteBackupService: locked + successful + completed backups are protected; the row is soft-deleted."""
    if backup.get("is_locked") and backup.get("is_successful") and backup.get("completed_at") is not None:
        raise display_error("Cannot delete a backup that is marked as locked.", "BackupLockedException")
    _require_daemon_reachable(state)
    state.update("backups", backup, {"deleted_at": state.now()})
    runtime(state).files.drop_backup(backup["uuid"])


def start_backup(request: web.Request, state: State, server: dict[str, Any], name: str | None, ignored: list[str],
                 locked: bool, override: bool = False) -> dict[str, Any]:
    """InitiateBackupService: throttle (429), limit (400, or rotate the oldest unlocked one in override mode),
    then the row, and completion after config.backup_seconds."""
    limit_count, period = getattr(state.config, "backup_throttle", (2, 600))
    now = state.time()
    if period and period > 0:
        recent = [b for b in sorted(state.tables["backups"].values(), key=lambda b: b["id"])
                  if b["server_id"] == server["id"] and (b.get("completed_at") is None or b.get("is_successful"))
                  and _epoch(b.get("created_at")) >= now - period]
        if len(recent) >= limit_count:
            retry = max(0, int(_epoch(recent[-1]["created_at"]) + period - now))
            raise ApiError(429, "TooManyRequestsHttpException",
                           f"Only {int(limit_count)} backups may be generated within a {int(period)} second span "
                           "of time.", headers={"Retry-After": str(retry)})
    backup_limit = server.get("backup_limit")
    existing = _non_failed_backups(state, server["id"])
    if not backup_limit or len(existing) >= int(backup_limit):
        too_many = display_error(f"Cannot create a new backup, this server has reached its limit of "
                                 f"{int(backup_limit or 0)} backups.", "TooManyBackupsException")
        if not override or int(backup_limit or 0) <= 0:
            raise too_many
        unlocked = sorted((b for b in existing if not b.get("is_locked")), key=lambda b: (b.get("created_at"), b["id"]))
        if not unlocked:
            raise too_many
        delete_backup_row(request, state, unlocked[0])
    _require_daemon_reachable(state)
    cleaned_name = (name or "").strip() or f"Backup at {datetime.fromtimestamp(int(now), tz=timezone.utc):%Y-%m-%d %H:%M:%S}"
    backup = state.insert("backups", {
        "uuid": state.new_uuid(), "server_id": server["id"], "upload_id": None, "is_successful": False,
        "is_locked": bool(locked), "name": cleaned_name, "ignored_files": [line for line in ignored if line],
        "disk": "wings", "checksum": None, "bytes": 0, "completed_at": None, "deleted_at": None,
    })
    backup_uuid = backup["uuid"]

    def complete() -> None:
        row = state.get("backups", backup_uuid)
        current_server = state.get("servers", server["id"])
        if row is None or row.get("deleted_at") or current_server is None:
            return
        if _extra(state, "backups_fail", False):
            state.update("backups", row, {"is_successful": False, "is_locked": False, "completed_at": state.now()})
            state.log_activity("server:backup.fail", None, server_id=server["id"], properties={"name": row["name"]},
                               is_api=False)
            return
        archive, size = runtime(state).files.snapshot(current_server["uuid"], backup_uuid, row["ignored_files"])
        state.update("backups", row, {"is_successful": True, "checksum": "sha1:" + hashlib.sha1(archive).hexdigest(),
                                      "bytes": size, "completed_at": state.now()})
        state.log_activity("server:backup.complete", None, server_id=server["id"], properties={"name": row["name"]},
                           is_api=False)

    state.later(float(getattr(state.config, "backup_seconds", 1.0)), complete, kind="backup")
    return backup


@_route("GET", SERVER + "/backups")
async def list_backups(request: web.Request) -> web.Response:
    ctx = server_context(request, "backup.read")
    rows = sorted((b for b in ctx.state.tables["backups"].values()
                   if b["server_id"] == ctx.server["id"] and not b.get("deleted_at")), key=lambda b: b["id"])
    envelope = http.paginate(request, rows, lambda b: item("backup", backup_attributes(b)), default_per_page=20,
                             max_per_page=50, app_links=True,
                             extra_meta={"backup_count": len(_non_failed_backups(ctx.state, ctx.server["id"]))})
    return json_response(envelope)


@_route("POST", SERVER + "/backups")
async def create_backup(request: web.Request) -> web.Response:
    ctx = server_context(request, "backup.create")
    data = http.validate(_input(request), {"name": "nullable|string|max:191", "is_locked": "nullable|boolean",
                                           "ignored": "nullable|string"})
    locked = _php_bool(data.get("is_locked")) if ctx.can("backup.delete") else False
    ignored = str(data.get("ignored") or "").split("\n")
    backup = start_backup(request, ctx.state, ctx.server, data.get("name"), ignored, locked)
    _log(request, "server:backup.start", {"name": backup["name"], "locked": _php_bool(data.get("is_locked"))},
         server=ctx.server)
    return json_response(item("backup", backup_attributes(backup)))


@_route("GET", SERVER + "/backups/{backup}")
async def view_backup(request: web.Request) -> web.Response:
    ctx = server_context(request, "backup.read", bind=_bind_backup)
    return json_response(item("backup", backup_attributes(ctx.children["backup"])))


@_route("GET", SERVER + "/backups/{backup}/download")
async def download_backup(request: web.Request) -> web.Response:
    ctx = server_context(request, "backup.download", bind=_bind_backup)
    backup = ctx.children["backup"]
    if backup.get("disk") not in ("wings", "s3"):
        raise bad_request("The backup requested references an unknown disk driver type and cannot be downloaded.")
    token = sign_jwt(request, ctx.node, ctx.user, ctx.server,
                     {"backup_uuid": backup["uuid"], "server_uuid": ctx.server["uuid"]}, 15 * 60, "backup-download")
    _log(request, "server:backup.download", {"name": backup["name"]}, server=ctx.server)
    return json_response({"object": "signed_url",
                          "attributes": {"url": f"{_signed_url_base(request)}/download/backup?token={token}"}})


@_route("POST", SERVER + "/backups/{backup}/lock")
async def toggle_backup_lock(request: web.Request) -> web.Response:
    ctx = server_context(request, "backup.delete", bind=_bind_backup)
    backup = ctx.children["backup"]
    event = "server:backup.unlock" if backup.get("is_locked") else "server:backup.lock"
    ctx.state.update("backups", backup, {"is_locked": not backup.get("is_locked")})
    _log(request, event, {"name": backup["name"]}, server=ctx.server)
    return json_response(item("backup", backup_attributes(backup)))


@_route("POST", SERVER + "/backups/{backup}/restore")
async def restore_backup(request: web.Request) -> web.Response:
    ctx = server_context(request, "backup.restore", bind=_bind_backup, limiter="backup_restore")
    state, server, backup = ctx.state, ctx.server, ctx.children["backup"]
    data = http.validate(_input(request), {"truncate": "required|boolean"})
    if server.get("status") is not None:
        raise bad_request("This server is not currently in a state that allows for a backup to be restored.")
    if _backup_not_restorable(state, backup):
        raise bad_request("This backup cannot be restored at this time: not completed or failed.")
    _require_daemon_reachable(state)
    truncate = _php_bool(data["truncate"])
    _log(request, "server:backup.restore", {"name": backup["name"], "truncate": data["truncate"]}, server=server)
    state.update("servers", server, {"status": "restoring_backup"})
    server_id, backup_uuid = server["id"], backup["uuid"]

    def finished() -> None:
        current = state.get("servers", server_id)
        if current is None:
            return
        runtime(state).files.restore(current["uuid"], backup_uuid, truncate)
        if current.get("status") == "restoring_backup":
            state.update("servers", current, {"status": None})
        state.log_activity("server:backup.restore-complete", None, server_id=server_id,
                           properties={"name": backup["name"]}, is_api=False)

    state.later(float(getattr(state.config, "restore_seconds", 1.0)), finished, kind="restore")
    return empty_response(204)


def _backup_not_restorable(state: State, backup: dict[str, Any]) -> bool:
    """Panel 1.14.1 refuses a backup that failed or has not completed; before, only one still running (a failed
    backup could be restored)."""
    if state.config.has("failed_backup_not_restorable"):
        return not backup.get("is_successful") or backup.get("completed_at") is None
    return not backup.get("is_successful") and backup.get("completed_at") is None


@_route("DELETE", SERVER + "/backups/{backup}")
async def delete_backup(request: web.Request) -> web.Response:
    ctx = server_context(request, "backup.delete", bind=_bind_backup)
    backup = ctx.children["backup"]
    delete_backup_row(request, ctx.state, backup)
    _log(request, "server:backup.delete", {"name": backup["name"], "failed": not backup.get("is_successful")},
         server=ctx.server)
    return empty_response(204)


# ---------------------------------------------------------------------------------------------------- startup
def _startup_meta(state: State, server: dict[str, Any], with_images: bool) -> dict[str, Any]:
    meta: dict[str, Any] = {"startup_command": render_startup(state, server, False)}
    if with_images:
        egg = state.get("eggs", server["egg_id"]) or {}
        meta["docker_images"] = dict(egg.get("docker_images") or {})
    meta["raw_startup_command"] = server.get("startup")
    return meta


@_route("GET", SERVER + "/startup")
async def list_startup(request: web.Request) -> web.Response:
    ctx = server_context(request, "startup.read")
    variables = [item("egg_variable", egg_variable_attributes(variable, value))
                 for variable, value in server_variables_view(ctx.state, ctx.server) if variable.get("user_viewable")]
    return json_response(list_envelope(variables, _startup_meta(ctx.state, ctx.server, True)))


@_route("PUT", SERVER + "/startup/variable")
async def update_startup_variable(request: web.Request) -> web.Response:
    ctx = server_context(request, "startup.update")
    state, server = ctx.state, ctx.server
    data = _input(request)
    http.validate(data, {"key": "required|string", "value": "present"})
    match = [(variable, value) for variable, value in server_variables_view(state, server)
             if variable["env_variable"] == data["key"]]
    if not match:
        raise http.server_error()  # the panel reads a property of null before its own check
    variable, original = match[0]
    if not variable.get("user_viewable"):
        raise bad_request("The environment variable you are trying to edit does not exist.")
    if not variable.get("user_editable"):
        raise bad_request("The environment variable you are trying to edit is read-only.")
    http.validate({"value": data.get("value")}, {"value": egg_rules(variable.get("rules"))})
    value = data.get("value")
    state.set_server_variable(server["id"], variable["id"], http.to_php_string(value) if value is not None else "")
    if variable["env_variable"] != value:
        _log(request, "server:startup.edit", {"variable": variable["env_variable"], "old": original, "new": value},
             server=server)
    return json_response(item("egg_variable", egg_variable_attributes(variable, value),
                              meta=_startup_meta(state, server, False)))


# ---------------------------------------------------------------------------------------------------- settings
@_route("POST", SERVER + "/settings/rename")
async def rename_server(request: web.Request) -> web.Response:
    ctx = server_context(request, "settings.rename")
    state, server = ctx.state, ctx.server
    data = _input(request)
    http.validate(data, {"name": "required|string|min:1|max:191", "description": "string|nullable"})
    name = data["name"]
    description = http.to_php_string(data.get("description")) if "description" in data else server.get("description")
    original_name, original_description = server["name"], server.get("description")
    state.update("servers", server, {"name": name, "description": description})
    if original_name != name:
        _log(request, "server:settings.rename", {"old": original_name, "new": name}, server=server)
    if original_description != description:
        _log(request, "server:settings.description", {"old": original_description, "new": description}, server=server)
    return empty_response(204)


@_route("POST", SERVER + "/settings/reinstall")
async def reinstall_server(request: web.Request) -> web.Response:
    ctx = server_context(request, "settings.reinstall")
    _require_daemon_reachable(ctx.state)
    ctx.state.begin_install(ctx.server, reinstall=True)
    _log(request, "server:reinstall", server=ctx.server)
    return empty_response(202)


@_route("PUT", SERVER + "/settings/docker-image")
async def set_docker_image(request: web.Request) -> web.Response:
    ctx = server_context(request, "startup.docker-image")
    state, server = ctx.state, ctx.server
    egg = state.get("eggs", server["egg_id"]) or {}
    images = list((egg.get("docker_images") or {}).values())
    data = _input(request)
    http.validate(data, {"docker_image": ["required", "string", "max:191", DOCKER_IMAGE_REGEX, _in_list(images)]})
    if server.get("image") not in images:
        raise bad_request("This server's Docker image has been manually set by an administrator and cannot be "
                          "updated.")
    original = server.get("image")
    state.update("servers", server, {"image": data["docker_image"]})
    if original != data["docker_image"]:
        _log(request, "server:startup.image", {"old": original, "new": data["docker_image"]}, server=server)
    return empty_response(204)
