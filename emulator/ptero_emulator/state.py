"""In-memory database of the panel emulator.

Every table is a dict of plain row dicts keyed by the integer ``id`` (``backups`` are keyed by their ``uuid``).
All mutations happen on the aiohttp event loop, so no lock is needed for handler code; ``lock`` exists for the
rare thread (persistence on shutdown). Add rows with insert(), remove them with delete()/delete_where() (never
del/pop on ``tables`` directly: select()/find() keep lazily built indexes on the columns in INDEXED_COLUMNS, and
those columns must not be changed after insert). clear() and load_json() replace the ``tables`` dict itself, so
per-state caches elsewhere can compare identities to notice a reset.

Columns (panel names, snake_case where the panel uses camelCase):
  users:           id, external_id, uuid, username, email, name_first, name_last, password (salted hash), language,
                   root_admin, use_totp, totp_secret, totp_authenticated_at, recovery_tokens, gravatar,
                   created_at, updated_at
  api_keys:        id, user_id, key_type (1 account/ptlc, 2 application/ptla), identifier, token (the 32-char secret),
                   memo (description), allowed_ips (list), last_used_at, expires_at, r_servers, r_nodes, r_allocations,
                   r_users, r_locations, r_nests, r_eggs, r_database_hosts, r_server_databases, created_at, updated_at
  ssh_keys:        id, user_id, name, fingerprint, public_key, created_at, updated_at
  locations:       id, short, long, created_at, updated_at
  nodes:           id, uuid, public, name, description, location_id, fqdn, scheme, behind_proxy, maintenance_mode,
                   memory, memory_overallocate, disk, disk_overallocate, upload_size, daemon_token_id, daemon_token,
                   daemon_listen, daemon_sftp, daemon_base, created_at, updated_at
  allocations:     id, node_id, ip, ip_alias, port, server_id, notes, created_at, updated_at
  nests:           id, uuid, author, name, description, created_at, updated_at
  eggs:            id, uuid, nest_id, author, name, description, features (list|None), docker_images (dict name->image),
                   file_denylist (list|None), update_url, config_files (JSON text), config_startup (JSON text),
                   config_logs (JSON text), config_stop, config_from, startup, script_container, script_entry,
                   script_is_privileged, script_install, copy_script_from, created_at, updated_at
  egg_variables:   id, egg_id, name, description, env_variable, default_value, user_viewable, user_editable, rules,
                   created_at, updated_at   (timestamps in Laravel's microsecond format, see now_micro())
  servers:         id, external_id, uuid, uuid_short, node_id, name, description, status, skip_scripts, owner_id,
                   memory, swap, disk, io, cpu, threads, oom_disabled, allocation_id, nest_id, egg_id, startup, image,
                   allocation_limit, database_limit, backup_limit, installed_at, created_at, updated_at
  server_variables: id, server_id, variable_id, variable_value, created_at, updated_at
  database_hosts:  id, name, host, port, username, password, max_databases, node_id, created_at, updated_at
  databases:       id, server_id, database_host_id, database, username, remote, password, max_connections,
                   created_at, updated_at
  subusers:        id, user_id, server_id, permissions (list), created_at, updated_at
  backups (by uuid): id, uuid, server_id, upload_id, is_successful, is_locked, name, ignored_files (list), disk,
                   checksum, bytes, completed_at, created_at, updated_at, deleted_at (soft delete)
  schedules:       id, server_id, name, cron_day_of_week, cron_month, cron_day_of_month, cron_hour, cron_minute,
                   is_active, is_processing, only_when_online, last_run_at, next_run_at, created_at, updated_at
  tasks:           id, schedule_id, sequence_id, action, payload, time_offset, is_queued, continue_on_failure,
                   created_at, updated_at
  roles (Pelican): id, name, guard_name, created_at, updated_at
  model_roles (Pelican): id, user_id, role_id
  mounts (Pelican): id, uuid, name, description, source, target, read_only, user_mountable, created_at, updated_at
  mountables (Pelican): id, mount_id, kind ("eggs"|"nodes"|"servers"), target_id
  Pelican adds columns: nodes tags, cpu, cpu_overallocate, daemon_connect, daemon_sftp_alias; eggs tags, icon,
                   startup_commands; users is_managed_externally, timezone; servers transfer (dict while moving)
  activity:        id, batch, event, ip, description, actor_id (user id or None), api_key_id, is_api, properties
                   (dict), server_id (subject server or None), subject_user_id, timestamp
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import random
import threading
import time
import uuid as uuid_module
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from .config import EmulatorConfig

TABLES: tuple[str, ...] = (
    "users",
    "api_keys",
    "ssh_keys",
    "locations",
    "nodes",
    "allocations",
    "nests",
    "eggs",
    "egg_variables",
    "servers",
    "server_variables",
    "database_hosts",
    "databases",
    "subusers",
    "backups",
    "schedules",
    "tasks",
    "activity",
    "roles",
    "model_roles",
    "mounts",
    "mountables",
)
UUID_KEYED_TABLES: frozenset[str] = frozenset({"backups"})
# Columns that hold secrets; they are masked in the /_emulator/state dump (never in persistence).
SECRET_COLUMNS: frozenset[str] = frozenset({"password", "token", "daemon_token", "totp_secret", "recovery_tokens"})

KEY_TYPE_ACCOUNT = 1
KEY_TYPE_APPLICATION = 2

# Columns that never change after insert: select()/find() on them use a lazily built index (scale data sets).
INDEXED_COLUMNS: dict[str, tuple[str, ...]] = {
    "server_variables": ("server_id",),
    "egg_variables": ("egg_id",),
    "allocations": ("node_id",),
    "tasks": ("schedule_id",),
    "subusers": ("server_id", "user_id"),
    "databases": ("server_id",),
    "schedules": ("server_id",),
    "backups": ("server_id",),
    "api_keys": ("user_id",),
    "ssh_keys": ("user_id",),
    "servers": ("node_id",),
    "eggs": ("nest_id",),
}

ACL_RESOURCES: tuple[str, ...] = (
    "r_servers",
    "r_nodes",
    "r_allocations",
    "r_users",
    "r_locations",
    "r_nests",
    "r_eggs",
    "r_database_hosts",
    "r_server_databases",
)
ACL_READ = 1
ACL_WRITE = 2

ALPHANUMERIC = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"


# Hashids-like public ids of databases: a fixed shuffled alphabet, at least 8 characters, reversible.
_HASHID_ALPHABET = "".join(
    random.Random("ptero-hashids").sample("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", 62)
)
_HASHID_OFFSET = 62**7


def database_hashid(database_id: int) -> str:
    """The client API's string id of a database (8+ characters; the panel uses hashids)."""
    number = int(database_id) + _HASHID_OFFSET
    digits = []
    while number:
        number, remainder = divmod(number, 62)
        digits.append(_HASHID_ALPHABET[remainder])
    return "".join(reversed(digits))


def decode_database_hashid(value: str) -> int | None:
    """Inverse of database_hashid(); None when the string is not one."""
    if len(value) < 8 or any(ch not in _HASHID_ALPHABET for ch in value):
        return None
    number = 0
    for ch in value:
        number = number * 62 + _HASHID_ALPHABET.index(ch)
    database_id = number - _HASHID_OFFSET
    return database_id if database_id > 0 else None


def format_atom(epoch: float) -> str:
    """ATOM timestamp in UTC, e.g. 2024-01-01T00:00:00+00:00 (what the transformers return)."""
    return datetime.fromtimestamp(int(epoch), tz=UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00")


def format_micro(epoch: float) -> str:
    """Laravel's default model serialisation, e.g. 2024-01-01T00:00:00.000000Z."""
    return datetime.fromtimestamp(epoch, tz=UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_timestamp(value: str | None) -> float | None:
    """Epoch seconds of an ATOM or microsecond timestamp produced by this module."""
    if not value:
        return None
    text = value.replace("Z", "+00:00")
    return datetime.fromisoformat(text).timestamp()


class PendingTimer:
    """A callback scheduled with State.later(); kept so /_emulator/advance can run it early."""

    def __init__(self, timer_id: int, due: float, callback: Callable[[], Any], kind: str) -> None:
        self.timer_id = timer_id
        self.due = due
        self.callback = callback
        self.kind = kind
        self.handle: asyncio.TimerHandle | None = None


class State:
    """All rows of the emulated panel plus the small helpers every API module shares."""

    def __init__(self, config: EmulatorConfig | None = None, random_seed: str | int | None = None) -> None:
        self.config: EmulatorConfig = config or EmulatorConfig()
        self.tables: dict[str, dict[Any, dict[str, Any]]] = {name: {} for name in TABLES}
        self.counters: dict[str, int] = dict.fromkeys(TABLES, 0)
        self.lock = threading.RLock()
        self.random = random.Random(random_seed if random_seed is not None else "ptero-emulator")
        # Seconds added to the wall clock; POST /_emulator/advance {"seconds": N} moves time forward.
        self.clock_offset: float = 0.0
        self.loop: asyncio.AbstractEventLoop | None = None
        self._timers: dict[int, PendingTimer] = {}
        # Coroutines started by timers: the loop keeps only weak references to tasks, so they are held here.
        self._background: set[asyncio.Future[Any]] = set()
        self._timer_seq = 0
        self._subscribers: list[Callable[[str, dict[str, Any]], None]] = []
        # Per-process settings a real panel keeps elsewhere (credentials of the seeded users, for the fixture).
        self.connection: dict[str, str] = {}
        self._versions: dict[str, int] = dict.fromkeys(TABLES, 0)
        self._indexes: dict[tuple[str, str], tuple[int, dict[Any, list[dict[str, Any]]]]] = {}

    # ------------------------------------------------------------------ time
    def time(self) -> float:
        return time.time() + self.clock_offset

    def now(self) -> str:
        """Current time as an ATOM UTC string (the format stored in every *_at column)."""
        return format_atom(self.time())

    def now_micro(self) -> str:
        return format_micro(self.time())

    # ------------------------------------------------------------------ rows
    def next_id(self, table: str) -> int:
        self.counters[table] = self.counters.get(table, 0) + 1
        return self.counters[table]

    def table(self, table: str) -> dict[Any, dict[str, Any]]:
        return self.tables[table]

    def rows(self, table: str) -> list[dict[str, Any]]:
        """All rows of a table in primary-key (insertion) order."""
        return list(self.tables[table].values())

    def get(self, table: str, key: Any) -> dict[str, Any] | None:
        return self.tables[table].get(key)

    def _candidates(self, table: str, criteria: dict[str, Any]) -> Any:
        for column in INDEXED_COLUMNS.get(table, ()):
            if column in criteria:
                version = self._versions.get(table, 0)
                cached = self._indexes.get((table, column))
                if cached is None or cached[0] != version:
                    index: dict[Any, list[dict[str, Any]]] = {}
                    for row in self.tables[table].values():
                        index.setdefault(row.get(column), []).append(row)
                    cached = (version, index)
                    self._indexes[(table, column)] = cached
                return cached[1].get(criteria[column], [])
        return self.tables[table].values()

    def _touch_table(self, table: str) -> None:
        self._versions[table] = self._versions.get(table, 0) + 1

    def find(self, table: str, **criteria: Any) -> dict[str, Any] | None:
        for row in self._candidates(table, criteria):
            if all(row.get(column) == value for column, value in criteria.items()):
                return row
        return None

    def select(self, table: str, **criteria: Any) -> list[dict[str, Any]]:
        return [
            row
            for row in self._candidates(table, criteria)
            if all(row.get(column) == value for column, value in criteria.items())
        ]

    def insert(self, table: str, row: dict[str, Any], timestamps: bool = True) -> dict[str, Any]:
        """Store a row, assigning ``id`` (and created_at/updated_at) when missing; returns the stored row."""
        if row.get("id") is None:
            row["id"] = self.next_id(table)
        else:
            self.counters[table] = max(self.counters.get(table, 0), int(row["id"]))
        if timestamps:
            stamp = self.now_micro() if table == "egg_variables" else self.now()
            row.setdefault("created_at", stamp)
            row.setdefault("updated_at", stamp)
        key = row["uuid"] if table in UUID_KEYED_TABLES else row["id"]
        self.tables[table][key] = row
        self._touch_table(table)
        return row

    def update(self, table: str, row: dict[str, Any], changes: dict[str, Any], touch: bool = True) -> dict[str, Any]:
        if any(column in changes for column in INDEXED_COLUMNS.get(table, ())):
            self._touch_table(table)
        row.update(changes)
        if touch and changes:
            row["updated_at"] = self.now_micro() if table == "egg_variables" else self.now()
        return row

    def delete(self, table: str, key: Any) -> dict[str, Any] | None:
        self._touch_table(table)
        return self.tables[table].pop(key, None)

    def delete_where(self, table: str, predicate: Callable[[dict[str, Any]], bool]) -> int:
        keys = [key for key, row in self.tables[table].items() if predicate(row)]
        for key in keys:
            del self.tables[table][key]
        self._touch_table(table)
        return len(keys)

    # ------------------------------------------------------------------ random values
    def random_string(self, length: int, alphabet: str = ALPHANUMERIC) -> str:
        return "".join(self.random.choice(alphabet) for _unused in range(length))

    def new_uuid(self) -> str:
        return str(uuid_module.UUID(int=self.random.getrandbits(128), version=4))

    # ------------------------------------------------------------------ passwords
    @staticmethod
    def hash_password(plain: str, salt: str | None = None) -> str:
        salt = salt or uuid_module.uuid4().hex[:16]
        digest = hashlib.sha256((salt + plain).encode()).hexdigest()
        return f"sha256${salt}${digest}"

    def set_password(self, user: dict[str, Any], plain: str) -> None:
        user["password"] = self.hash_password(plain)

    @staticmethod
    def check_password(user: dict[str, Any], plain: str | None) -> bool:
        stored = user.get("password") or ""
        if plain is None or not stored.startswith("sha256$"):
            return False
        _unused, salt, _unused = stored.split("$", 2)
        return hmac.compare_digest(State.hash_password(plain, salt), stored)

    # ------------------------------------------------------------------ lookups shared by the APIs
    def key_by_token(self, token: str) -> dict[str, Any] | None:
        """Resolve a bearer token the panel's way: first 16 chars = identifier, the rest = the secret."""
        if len(token) != 48:
            return None
        identifier, secret = token[:16], token[16:]
        for key in self.tables["api_keys"].values():
            if key["identifier"] == identifier:
                return key if hmac.compare_digest(key["token"], secret) else None
        return None

    def server_by_identifier(self, value: str) -> dict[str, Any] | None:
        """8 characters match uuid_short, anything else the full uuid (numeric ids are not accepted)."""
        column = "uuid_short" if len(value) == 8 else "uuid"
        return self.find("servers", **{column: value})

    def server_allocations(self, server_id: int) -> list[dict[str, Any]]:
        # A server's allocations all sit on its node: narrow through the (immutable, indexed) node_id first,
        # instead of scanning every allocation of the panel for each server of a listing.
        server = self.tables["servers"].get(server_id)
        if server is None:
            return self.select("allocations", server_id=server_id)
        return self.select("allocations", node_id=server["node_id"], server_id=server_id)

    def egg_variables(self, egg_id: int) -> list[dict[str, Any]]:
        return self.select("egg_variables", egg_id=egg_id)

    def server_variable_rows(self, server_id: int) -> dict[int, dict[str, Any]]:
        """server_variables of a server keyed by egg variable id."""
        return {row["variable_id"]: row for row in self.select("server_variables", server_id=server_id)}

    def server_environment(self, server: dict[str, Any]) -> dict[str, str]:
        """env_variable -> value (server value, else the egg default), as Wings receives it."""
        values = self.server_variable_rows(server["id"])
        environment: dict[str, str] = {}
        for variable in self.egg_variables(server["egg_id"]):
            stored = values.get(variable["id"])
            value = stored["variable_value"] if stored is not None else None
            environment[variable["env_variable"]] = value if value is not None else variable["default_value"]
        return environment

    def set_server_variable(self, server_id: int, variable_id: int, value: str | None) -> dict[str, Any]:
        existing = self.find("server_variables", server_id=server_id, variable_id=variable_id)
        if existing is not None:
            return self.update("server_variables", existing, {"variable_value": value})
        return self.insert(
            "server_variables", {"server_id": server_id, "variable_id": variable_id, "variable_value": value}
        )

    def user_can_access_server(self, user: dict[str, Any], server: dict[str, Any]) -> bool:
        if user.get("root_admin") or server["owner_id"] == user["id"]:
            return True
        return self.find("subusers", user_id=user["id"], server_id=server["id"]) is not None

    def node_allocated(self, node_id: int) -> tuple[int, int]:
        """(sum of memory, sum of disk) of the servers on a node."""
        memory = disk = 0
        for server in self.select("servers", node_id=node_id):
            memory += int(server["memory"] or 0)
            disk += int(server["disk"] or 0)
        return memory, disk

    # ------------------------------------------------------------------ cascades
    def delete_server(self, server_id: int) -> dict[str, Any] | None:
        """Remove a server like the DB cascades do: subusers, schedules+tasks, backups, variables, databases go,
        allocations are unassigned (their notes stay on 1.11 and are cleared from 1.12)."""
        server = self.delete("servers", server_id)
        if server is None:
            return None
        clear_notes = self.config.has("clear_allocation_notes")
        for allocation in self.tables["allocations"].values():
            if allocation["server_id"] == server_id:
                allocation["server_id"] = None
                if clear_notes:
                    allocation["notes"] = None
        for table in ("subusers", "server_variables", "databases", "backups"):
            self.delete_where(table, lambda row: row["server_id"] == server_id)
        self._detach_mounts("servers", server_id)
        schedule_ids = {row["id"] for row in self.select("schedules", server_id=server_id)}
        self.delete_where("schedules", lambda row: row["id"] in schedule_ids)
        self.delete_where("tasks", lambda row: row["schedule_id"] in schedule_ids)
        self.emit("server.deleted", {"server": server})
        return server

    def delete_user(self, user_id: int) -> dict[str, Any] | None:
        user = self.delete("users", user_id)
        if user is None:
            return None
        for table in ("subusers", "api_keys", "ssh_keys", "model_roles"):
            self.delete_where(table, lambda row: row["user_id"] == user_id)
        return user

    def delete_node(self, node_id: int) -> dict[str, Any] | None:
        node = self.delete("nodes", node_id)
        if node is None:
            return None
        self.delete_where("allocations", lambda row: row["node_id"] == node_id)
        self._detach_mounts("nodes", node_id)
        for host in self.tables["database_hosts"].values():
            if host.get("node_id") == node_id:
                host["node_id"] = None
            if node_id in (host.get("node_ids") or []):
                # Pelican: the database_host_node rows go with the node (cascade, migration 2024_12_27_135435).
                host["node_ids"] = [linked for linked in host["node_ids"] if linked != node_id]
        return node

    def _detach_mounts(self, kind: str, target_id: int) -> None:
        """Pelican's mountables pivot rows of a deleted egg, node or server go with it."""
        if self.tables["mountables"]:
            self.delete_where("mountables", lambda row: row["kind"] == kind and row["target_id"] == target_id)

    # ------------------------------------------------------------------ life cycles
    def begin_install(
        self,
        server: dict[str, Any],
        reinstall: bool = False,
        on_complete: Callable[[dict[str, Any]], Any] | None = None,
    ) -> None:
        """Set status "installing" and finish the install after config.install_seconds (status -> null, unless the
        server was suspended meanwhile: a suspended server stays suspended, as the remote API does)."""
        self.update("servers", server, {"status": "installing"})
        server_id = server["id"]
        self.emit("server.install_started", {"server": server, "reinstall": reinstall})

        def finish() -> None:
            current = self.get("servers", server_id)
            if current is None:
                return
            changes: dict[str, Any] = {"installed_at": self.now()}
            if current["status"] != "suspended":
                changes["status"] = None
            self.update("servers", current, changes)
            self.emit("server.install_completed", {"server": current, "successful": True, "reinstall": reinstall})
            if on_complete is not None:
                on_complete(current)

        self.later(self.config.install_seconds, finish, kind="install")

    # ------------------------------------------------------------------ scheduler
    def attach_loop(self, loop: asyncio.AbstractEventLoop) -> None:
        """Bind the scheduler to the running loop; timers created before are armed now."""
        self.loop = loop
        for timer in self._timers.values():
            if timer.handle is None:
                self._arm(timer)

    def later(self, seconds: float, callback: Callable[[], Any], kind: str = "generic") -> int:
        """Run ``callback`` on the loop after ``seconds``; returns a timer id (see cancel(), advance())."""
        self._timer_seq += 1
        timer = PendingTimer(self._timer_seq, self.time() + max(0.0, seconds), callback, kind)
        self._timers[timer.timer_id] = timer
        if self.loop is None:
            try:
                self.loop = asyncio.get_running_loop()
            except RuntimeError:
                return timer.timer_id  # armed by attach_loop() or run by advance()
        self._arm(timer)
        return timer.timer_id

    def _arm(self, timer: PendingTimer) -> None:
        assert self.loop is not None
        delay = max(0.0, timer.due - self.time())
        timer.handle = self.loop.call_later(delay, self._fire, timer.timer_id)

    def _fire(self, timer_id: int) -> None:
        timer = self._timers.pop(timer_id, None)
        if timer is None:
            return
        self._run_callback(timer)

    def _run_callback(self, timer: PendingTimer) -> None:
        result = timer.callback()
        if asyncio.iscoroutine(result):
            task = asyncio.ensure_future(result)
            self._background.add(task)
            task.add_done_callback(self._background.discard)

    def cancel(self, timer_id: int) -> bool:
        timer = self._timers.pop(timer_id, None)
        if timer is None:
            return False
        if timer.handle is not None:
            timer.handle.cancel()
        return True

    def pending(self, kind: str | None = None) -> list[PendingTimer]:
        return sorted((t for t in self._timers.values() if kind is None or t.kind == kind), key=lambda t: t.due)

    def advance(self, kind: str | None = None, seconds: float = 0.0) -> int:
        """Move the clock forward by ``seconds`` and run every pending timer (of ``kind``) that is now due; with
        seconds=0 run all pending timers of that kind immediately. Returns how many ran."""
        self.clock_offset += max(0.0, seconds)
        ran = 0
        # Callbacks may schedule new timers; only run those that existed (and are due) at the start.
        for timer in self.pending(kind):
            if seconds and timer.due > self.time():
                continue
            if self._timers.pop(timer.timer_id, None) is None:
                continue
            if timer.handle is not None:
                timer.handle.cancel()
            self._run_callback(timer)
            ran += 1
        return ran

    # ------------------------------------------------------------------ events
    def subscribe(self, callback: Callable[[str, dict[str, Any]], None]) -> None:
        """Receive (event, data) for life-cycle changes: server.install_started, server.install_completed,
        server.deleted, server.suspended, server.unsuspended, server.updated."""
        self._subscribers.append(callback)

    def emit(self, event: str, data: dict[str, Any]) -> None:
        for callback in list(self._subscribers):
            callback(event, data)

    # ------------------------------------------------------------------ activity
    def log_activity(
        self,
        event: str,
        actor_user_id: int | None,
        server_id: int | None = None,
        properties: dict[str, Any] | None = None,
        is_api: bool = True,
        ip: str = "127.0.0.1",
        api_key_id: int | None = None,
        description: str | None = None,
        subject_user_id: int | None = None,
        batch: str | None = None,
    ) -> dict[str, Any]:
        """Append an activity_logs row. Account events (no server) have the actor as subject."""
        return self.insert(
            "activity",
            {
                "batch": batch,
                "event": event,
                "ip": ip,
                "description": description,
                "actor_id": actor_user_id,
                "api_key_id": api_key_id,
                "is_api": is_api,
                "properties": dict(properties or {}),
                "server_id": server_id,
                "subject_user_id": subject_user_id
                if subject_user_id is not None
                else (actor_user_id if server_id is None else None),
                "timestamp": self.now(),
            },
            timestamps=False,
        )

    # ------------------------------------------------------------------ persistence
    def to_json(self, redact: bool = False) -> dict[str, Any]:
        def clean(row: dict[str, Any]) -> dict[str, Any]:
            if not redact:
                return dict(row)
            return {k: ("[redacted]" if k in SECRET_COLUMNS and v is not None else v) for k, v in row.items()}

        return {
            "version": 1,
            "connection": {} if redact else dict(self.connection),
            "clock_offset": self.clock_offset,
            "counters": dict(self.counters),
            "tables": {name: [clean(row) for row in rows.values()] for name, rows in self.tables.items()},
        }

    def load_json(self, data: dict[str, Any]) -> None:
        """Replace every table with the content of a to_json() dump."""
        self.tables = {name: {} for name in TABLES}
        for name, rows in data.get("tables", {}).items():
            if name not in self.tables:
                continue
            for row in rows:
                key = row["uuid"] if name in UUID_KEYED_TABLES else int(row["id"])
                self.tables[name][key] = row
        self.counters = dict.fromkeys(TABLES, 0)
        self.counters.update({k: int(v) for k, v in data.get("counters", {}).items()})
        for name, rows in self.tables.items():
            ids = [int(r["id"]) for r in rows.values() if r.get("id") is not None]
            self.counters[name] = max([self.counters.get(name, 0), *ids])
        self.clock_offset = float(data.get("clock_offset", 0.0))
        self._indexes.clear()
        self.connection = dict(data.get("connection") or {})

    @classmethod
    def from_json(cls, data: dict[str, Any], config: EmulatorConfig | None = None) -> State:
        state = cls(config)
        state.load_json(data)
        return state

    def save(self, path: str) -> None:
        with self.lock:
            payload = json.dumps(self.to_json(), separators=(",", ":"))
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(payload)

    def clear(self) -> None:
        """Drop every row and pending timer (used by reset before re-seeding)."""
        for timer in list(self._timers.values()):
            if timer.handle is not None:
                timer.handle.cancel()
        self._timers.clear()
        self.tables = {name: {} for name in TABLES}
        self.counters = dict.fromkeys(TABLES, 0)
        self.clock_offset = 0.0
        self._indexes.clear()


def insert_allocation(
    state: State, node_id: int, ip: str, port: int, alias: str | None = None, **columns: Any
) -> dict[str, Any]:
    """A free allocation as the panel's assignment service (and the seed) inserts it; ``columns`` are a flavour's
    own (Pelican's ``is_locked``)."""
    row = {"node_id": node_id, "ip": ip, "ip_alias": alias, "port": port, "server_id": None, "notes": None}
    return state.insert("allocations", {**row, **columns})
