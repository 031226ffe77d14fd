"""Emulated Wings daemon: power state machine, console, stats, websocket JWTs and the server websocket.

One `Daemon` serves every node of the emulator (the node fqdn is fiction: sockets point back at the emulator).
Behaviour follows the Wings websocket protocol (auth, status, console output, stats, token expiry, jwt/daemon
errors, permission gating). Two protocol generations can be selected with the `wings_version` setting:

* "1.11": no inbound limits, deleted servers close with 1001, no scope claim required;
* "1.12": per-connection token buckets with `throttled` notices, a 4096-byte read limit (close 1009),
  30 sockets per server, close 4409 for suspended servers, and /api/deauthorize-user (close 1000);
* "1.13" (and "1.12.2"): as 1.12, and the `websocket` scope claim is required.
The default ("" in EmulatorConfig.wings_version) is the release paired with the panel version.

Settings are looked up, in order, in the run-time overrides (POST /_emulator/wings/config), the core
`EmulatorConfig` attribute of the same name, `EmulatorConfig.extra`, then the defaults in `DEFAULT_SETTINGS`.

Test hooks live under /_emulator/wings/ (no auth, loopback): mint custom tokens, inject events, drop sockets,
simulate deletion/suspension/reboot/revocation, inspect sockets.
"""

from __future__ import annotations

import asyncio
import collections
import functools
import hashlib
import json
import math
import re
import time
import uuid as uuid_module
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

from . import jwt, versions
from .config import EmulatorConfig
from .state import State

routes = web.RouteTableDef()

# --- protocol constants -------------------------------------------------------------------------------------------

STATES = ("offline", "starting", "running", "stopping")
POWER_SIGNALS = ("start", "stop", "restart", "kill")
# The permission each power action needs (the panel's power route and schedule tasks use the same map).
POWER_PERMISSIONS = {
    "start": "control.start",
    "stop": "control.stop",
    "restart": "control.restart",
    "kill": "control.stop",
}

PERMISSION_CONNECT = "websocket.connect"
PERMISSION_CONSOLE = "control.console"
PERMISSION_ERRORS = "admin.websocket.errors"
PERMISSION_INSTALL = "admin.websocket.install"
PERMISSION_TRANSFER = "admin.websocket.transfer"
PERMISSION_BACKUP_READ = "backup.read"

ERR_NO_JWT = "jwt: no jwt present"
ERR_EXPIRED = "jwt: exp claim is invalid"
ERR_DENYLIST = "jwt: created too far in past (denylist)"
ERR_NO_CONNECT = "jwt: missing connect permission"
ERR_UUID_MISMATCH = "jwt: server uuid mismatch"
GENERIC_ERROR = "an unexpected error was encountered while handling this request"
POWER_LOCKED = "another power action is currently being processed for this server, please try again later"
THROTTLE_LINE = "Server is outputting console data too quickly -- throttling..."
CRASH_LINES = (
    "---------- Detected server process in a crashed state! ----------",
    "Exit code: 1",
    "Out of memory: false",
    "Aborting automatic restart, last crash occurred less than 60 seconds ago.",
)

MAX_LINE_BYTES = 64 * 1024
READ_LIMIT_1_12 = 4096
MAX_OUTBOUND_QUEUE = 20000
MIB = 1024 * 1024

DEFAULT_SETTINGS: dict[str, Any] = {
    "wings_version": "1.11",
    "token_lifetime_seconds": 600,
    "token_expiring_seconds": 60,
    "token_check_interval_seconds": 30.0,  # Wings' expiry ticker period
    "power_seconds": 0.5,
    "stats_interval_seconds": 1.0,
    "console_delay_seconds": 0.05,  # delay before a command's output appears
    "console_throttle_lines": 2000,  # lines per window before Wings drops output
    "console_throttle_interval_ms": 100,
    "websocket_log_count": 150,  # lines replayed by `send logs`
    "websocket_max_connections": 30,  # 1.12 only
    "allowed_origins": [],  # extra Origins accepted besides the panel URL; "*" accepts anything
    "require_scope": None,  # None: required in 1.12 mode only
    "app_name": "Pterodactyl",
    # The panel's APP_URL as its admin wrote it (None: the emulator's URL). Wings compares the Origin with `remote`:
    # Pterodactyl writes route('index') (no trailing slash), Pelican APP_URL verbatim (see Daemon.remote).
    "app_url": None,
    # Claims the panel's websocket tokens get (a null value removes one), e.g. {"user_uuid": null}.
    "panel_token_claims": {},
}

# Pelican egg features -> console patterns (lower case, found anywhere in the line) that raise `feature match`.
FEATURE_PATTERNS: dict[str, tuple[str, ...]] = {
    "eula": ("you need to agree to the eula in order to run the server",),
    "java_version": ("java.lang.unsupportedclassversionerror", "requires running the server with java"),
    "pid_limit": ("pthread_create failed", "unable to create native thread", "unable to create new native thread"),
    "gsl_token": ("gslt token expired", "(your server needs a gslt)"),
    "steam_disk_space": ("steamcmd needs 250mb of free disk space to update",),
}


def daemon_line(text: str, app_name: str = "Pterodactyl") -> str:
    """A Wings-originated console line, coloured exactly as Wings prints it."""
    return f"\x1b[33m\x1b[1m[{app_name} Daemon]:\x1b[39m {text}\x1b[0m"


def token_has_permission(permissions: Any, permission: str) -> bool:
    """Wings' rule: "*" grants every permission except the admin.* ones, which must be listed."""
    if not isinstance(permissions, list):
        return False
    if permission in permissions:
        return True
    return "*" in permissions and not permission.startswith("admin.")


# --- inbound parsing --------------------------------------------------------------------------------------------


def parse_inbound(text: str | bytes) -> tuple[str, list[str]] | None:
    """Decode one client frame like Wings does; None means "silently ignore it".

    `args` must be an array of strings (a null element reads as ""); a missing or null `event` reads as "".
    """
    try:
        message = json.loads(text)
    except (ValueError, UnicodeDecodeError):
        return None
    if not isinstance(message, dict):
        return None
    event = message.get("event")
    if event is None:
        event = ""
    if not isinstance(event, str):
        return None
    raw_args = message.get("args")
    if raw_args is None:
        raw_args = []
    if not isinstance(raw_args, list):
        return None
    args: list[str] = []
    for value in raw_args:
        if value is None:
            args.append("")
        elif isinstance(value, str):
            args.append(value)
        else:
            return None
    return event, args


def outbound_frame(event: str, args: list[str] | None = None) -> str:
    message: dict[str, Any] = {"event": event}
    if args:
        message["args"] = args
    return json.dumps(message, separators=(",", ":"), ensure_ascii=False)


class TokenBucket:
    """Refills one token every `refill_seconds`, holding at most `burst` (Wings 1.12 limiter)."""

    def __init__(self, refill_seconds: float, burst: int) -> None:
        self.refill_seconds = refill_seconds
        self.burst = burst
        self.tokens = float(burst)
        self.updated = time.monotonic()

    def allow(self) -> bool:
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.updated) / self.refill_seconds)
        self.updated = now
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        return False


# Per-event buckets of Wings 1.12: (refill seconds, burst).
EVENT_LIMITS = {"auth": (5.0, 2), "send logs": (5.0, 2), "send command": (1.0, 10)}
OTHER_EVENT_LIMIT = (1.0, 4)
GLOBAL_LIMIT = (0.2, 10)


# --- errors for the REST side -------------------------------------------------------------------------------------


class ServerOffline(Exception):
    """The server's process is not running (the panel answers 502 to a console command)."""


class PowerError(Exception):
    """A power action was refused; `locked` marks the "another power action" case."""

    def __init__(self, message: str, locked: bool = False) -> None:
        super().__init__(message)
        self.locked = locked


# --- per-server process model ---------------------------------------------------------------------------------


@dataclass
class ServerProcess:
    uuid: str
    state: str = "offline"
    started_at: float | None = None  # monotonic time the container started (uptime, network counters)
    power_locked: bool = False
    timers: list[int] = field(default_factory=list)  # State.later() ids of pending power steps
    console_timers: list[int] = field(default_factory=list)  # pending command output (dies with the process)
    log: collections.deque[str] = field(default_factory=lambda: collections.deque(maxlen=1000))
    throttle_window: float = 0.0
    throttle_count: int = 0
    throttling: bool = False
    stats_task: asyncio.Task[None] | None = None

    def cancel_timers(self, state: State, console: bool = False) -> None:
        for timer_id in self.timers + (self.console_timers if console else []):
            state.cancel(timer_id)
        self.timers.clear()
        if console:
            self.console_timers.clear()


@dataclass
class Outbound:
    event: str
    args: list[str] | None = None
    gated: bool = True  # re-validate the token (and event permission) when the frame is written
    close_code: int | None = None  # a close instruction instead of a frame
    close_message: str = ""
    abort: bool = False


class SocketSession:
    """One client websocket on one server."""

    def __init__(self, daemon: Daemon, server_uuid: str, ws: web.WebSocketResponse, transport: Any) -> None:
        self.daemon = daemon
        self.server_uuid = server_uuid
        self.ws = ws
        self.transport = transport
        self.claims: dict[str, Any] | None = None
        self.listening = False  # set by the first successful auth
        self.queue: asyncio.Queue[Outbound] = asyncio.Queue()
        self.writer_task: asyncio.Task[None] | None = None
        self.ticker_task: asyncio.Task[None] | None = None
        self.global_bucket = TokenBucket(*GLOBAL_LIMIT)
        self.event_buckets: dict[str, TokenBucket] = {}
        self.throttled_flags: set[str] = set()
        self.dropped_frames = 0
        self.drop_after_frames: int | None = None  # test hook: abort the TCP connection after this many frames
        self.connected_at = time.monotonic()
        self.closed = False

    # token checks ------------------------------------------------------------------------------------------------
    def has_permission(self, permission: str) -> bool:
        return self.claims is not None and token_has_permission(self.claims.get("permissions"), permission)

    def token_error(self) -> str | None:
        """Wings' TokenValid(): why the stored token is unusable now, or None."""
        if self.claims is None:
            return ERR_NO_JWT
        reason = self.daemon.claims_error(self.claims)
        if reason:
            return reason
        if self.claims.get("server_uuid") != self.server_uuid:
            return ERR_UUID_MISMATCH
        return None

    # outbound ----------------------------------------------------------------------------------------------------
    def enqueue(self, item: Outbound) -> None:
        if self.closed:
            return
        if self.queue.qsize() >= MAX_OUTBOUND_QUEUE:
            # A reader this slow loses frames, like Wings' per-socket buffers drop lines.
            self.dropped_frames += 1
            return
        self.queue.put_nowait(item)

    def send(self, event: str, args: list[str] | None = None) -> None:
        self.enqueue(Outbound(event, args, gated=True))

    def send_raw(self, event: str, args: list[str] | None = None) -> None:
        self.enqueue(Outbound(event, args, gated=False))

    def render(self, item: Outbound) -> str | None:
        if not item.gated:
            return outbound_frame(item.event, item.args)
        reason = self.token_error()
        if reason:
            return outbound_frame("jwt error", [reason])
        if item.event == "install output" and not self.has_permission(PERMISSION_INSTALL):
            return None
        if item.event == "transfer logs" and not self.has_permission(PERMISSION_TRANSFER):
            return None
        if item.event.startswith("backup completed") and not self.has_permission(PERMISSION_BACKUP_READ):
            return None
        return outbound_frame(item.event, item.args)

    async def writer(self) -> None:
        try:
            while True:
                item = await self.queue.get()
                if item.abort:
                    self.abort()
                    return
                if item.close_code is not None:
                    await self.ws.close(code=item.close_code, message=item.close_message.encode())
                    return
                frame = self.render(item)
                if frame is not None:
                    await self.ws.send_str(frame)
                    if self.drop_after_frames is not None:
                        self.drop_after_frames -= 1
                        if self.drop_after_frames <= 0:
                            self.abort()
                            return
        except (ConnectionError, RuntimeError):
            # Writing failed: Wings closes the socket when a send fails.
            self.abort()

    def abort(self) -> None:
        """Drop the TCP connection without a close frame (the client sees 1006)."""
        self.closed = True
        if self.transport is not None and not self.transport.is_closing():
            self.transport.abort()

    async def expiry_ticker(self) -> None:
        while not self.closed:
            await asyncio.sleep(max(0.05, float(self.daemon.setting("token_check_interval_seconds"))))
            if self.claims is None or self.closed:
                continue
            exp = self.claims.get("exp")
            if not isinstance(exp, (int, float)):
                continue
            left = int(exp) - int(self.daemon.clock())
            if left <= 0:
                self.send("token expired")
            elif left <= int(self.daemon.setting("token_expiring_seconds")):
                self.send("token expiring")

    def throttled(self, name: str, allowed: bool) -> bool:
        """Track a throttling episode; send `throttled` once per episode. Returns True when dropped."""
        if allowed:
            self.throttled_flags.discard(name)
            return False
        if name not in self.throttled_flags:
            self.throttled_flags.add(name)
            self.send_raw("throttled", [name])
        return True


# --- the daemon -------------------------------------------------------------------------------------------------


class Daemon:
    """The emulator's single Wings: one process model per server, sockets, tokens and console scripts."""

    def __init__(self, state: State, config: EmulatorConfig) -> None:
        self.state = state
        self.config = config
        self.overrides: dict[str, Any] = {}
        # Tokens issued before boot are denylisted; whole seconds so a token minted right after start is valid.
        self.boot_time = math.floor(self.clock())
        self.denied_jti: dict[str, int] = {}
        self.denied_user: dict[tuple[str, str], int] = {}
        self.denied_users_everywhere: dict[str, int] = {}  # deauthorized on every server (password change)
        self.processes: dict[str, ServerProcess] = {}
        self.sockets: dict[str, set[SocketSession]] = collections.defaultdict(set)
        self.public_url: str = ""
        self._uuid_index: dict[str, Any] = {}
        self._deleted: set[str] = set()  # deletions already announced
        self._suspended: set[str] = set()  # suspensions already applied
        self._watchdog: asyncio.Task[None] | None = None
        state.subscribe(self._on_state_event)

    def clock(self) -> float:
        """The panel's clock (POST /_emulator/advance {"seconds"} moves it, and with it token expiry)."""
        return float(self.state.time())

    def _on_state_event(self, event: str, data: dict[str, Any]) -> None:
        server = data.get("server") or {}
        server_uuid = server.get("uuid")
        if event == "state.reset":
            self.reset()
        elif not server_uuid:
            return
        elif event == "server.deleted":
            self.on_server_deleted(server_uuid)
        elif event == "server.suspended":
            self.on_server_suspended(server_uuid)
        elif event == "server.unsuspended":
            self._suspended.discard(server_uuid)
        elif event == "server.install_started":
            self.install_started(server_uuid)
        elif event == "server.install_completed":
            self.install_completed(server_uuid, bool(data.get("successful", True)))

    # settings ----------------------------------------------------------------------------------------------------
    def setting(self, name: str) -> Any:
        if name in self.overrides:
            return self.overrides[name]
        if name == "wings_version":
            return self.config.effective_wings_version()  # "" follows the panel version
        if hasattr(self.config, name):
            value = getattr(self.config, name)
            if value is not None:
                return value
        if name in self.config.extra:
            return self.config.extra[name]
        return DEFAULT_SETTINGS[name]

    def settings(self) -> dict[str, Any]:
        return {name: self.setting(name) for name in DEFAULT_SETTINGS}

    def wings_has(self, feature: str) -> bool:
        """Whether the modelled Wings release has a behaviour of versions.WINGS_FEATURES."""
        return versions.wings_has(str(self.setting("wings_version")), feature)

    @property
    def version_1_12(self) -> bool:
        """The Wings 1.12 websocket hardening (limits, 4409, bare close on delete)."""
        return self.wings_has("websocket_limits")

    def scope_required(self) -> bool:
        required = self.setting("require_scope")
        return self.wings_has("jwt_scope_required") if required is None else bool(required)

    def panel_url(self) -> str:
        return str(self.config.panel_url or self.public_url or "").rstrip("/")

    def remote(self) -> str:
        """Wings' `remote` as the panel wrote it: Pelican's APP_URL verbatim, Pterodactyl's route('index')."""
        app_url = str(self.setting("app_url") or self.panel_url())
        return app_url if self.config.has("remote_is_app_url") else app_url.rstrip("/")

    # state access ------------------------------------------------------------------------------------------------
    def _table(self, name: str) -> dict[Any, dict[str, Any]]:
        table: dict[Any, dict[str, Any]] = self.state.tables.get(name, {})
        return table

    def server_row(self, server_uuid: str) -> dict[str, Any] | None:
        servers = self._table("servers")
        key = self._uuid_index.get(server_uuid)
        if key is not None:
            row = servers.get(key)
            if row is not None and row.get("uuid") == server_uuid:
                return row
        for key, row in servers.items():
            if row.get("uuid") == server_uuid:
                self._uuid_index[server_uuid] = key
                return row
        return None

    def node_row(self, node_id: Any) -> dict[str, Any] | None:
        return self._table("nodes").get(node_id)

    def node_key(self, node: dict[str, Any] | None) -> str:
        """The node's daemon token (the JWT signing key); derived when the row has none."""
        if node is None:
            return "emulator-missing-node"
        token = node.get("daemon_token")
        if token:
            return str(token)
        return hashlib.sha256(f"emulator-node-{node.get('id')}-{node.get('uuid')}".encode()).hexdigest()

    def server_key(self, server: dict[str, Any]) -> str:
        return self.node_key(self.node_row(server.get("node_id")))

    def process(self, server_uuid: str) -> ServerProcess:
        proc = self.processes.get(server_uuid)
        if proc is None:
            proc = self.processes[server_uuid] = ServerProcess(server_uuid)
        return proc

    def _log_activity(
        self, event: str, user_id: Any, server: dict[str, Any] | None, properties: dict[str, Any]
    ) -> None:
        self.state.log_activity(
            event, user_id, server_id=server.get("id") if server else None, properties=properties, is_api=False
        )

    def _later(self, proc: ServerProcess, seconds: float, callback: Callable[[], None], kind: str = "power") -> None:
        """Schedule through State.later() so POST /_emulator/advance (kind "power"/"console") can run it early."""
        timer_id = 0
        timers = proc.console_timers if kind == "console" else proc.timers

        def run() -> None:
            if timer_id in timers:
                timers.remove(timer_id)
            callback()

        timer_id = self.state.later(max(0.0, seconds), run, kind=kind)
        timers.append(timer_id)

    def _ensure_watchdog(self) -> None:
        if self._watchdog is None or self._watchdog.done():
            try:
                loop = asyncio.get_running_loop()
            except RuntimeError:
                return  # not on the loop yet (seeding): the first socket or power action starts it
            self._watchdog = loop.create_task(self._watch())

    async def _watch(self) -> None:
        """Notice deletions and suspensions made by the panel side without an explicit hook call."""
        while True:
            await asyncio.sleep(0.25)
            for server_uuid in list(set(self.sockets) | {u for u, p in self.processes.items() if p.state != "offline"}):
                row = self.server_row(server_uuid)
                if row is None:
                    self.on_server_deleted(server_uuid)
                elif row.get("status") == "suspended":
                    self.on_server_suspended(server_uuid)
                else:
                    self._suspended.discard(server_uuid)

    # tokens ------------------------------------------------------------------------------------------------------
    def claims_error(self, claims: dict[str, Any]) -> str | None:
        """Expiry, denylist and connect-permission checks shared by auth and every later send."""
        exp = claims.get("exp")
        if not isinstance(exp, (int, float)) or self.clock() > exp:
            return ERR_EXPIRED
        iat = claims.get("iat")
        if not isinstance(iat, (int, float)) or iat < self.boot_time or self._identity_missing(claims):
            return ERR_DENYLIST
        denied = self.denied_jti.get(str(claims.get("jti")))
        if denied is not None and iat < denied:
            return ERR_DENYLIST
        denied = self.denied_user.get((str(claims.get("server_uuid")), str(claims.get("user_uuid"))))
        if denied is not None and iat < denied:
            return ERR_DENYLIST
        denied = self.denied_users_everywhere.get(str(claims.get("user_uuid")))
        if denied is not None and iat < denied:
            return ERR_DENYLIST
        if not token_has_permission(claims.get("permissions"), PERMISSION_CONNECT):
            return ERR_NO_CONNECT
        if self.scope_required():
            scope = claims.get("scope")
            if not isinstance(scope, str) or "websocket" not in scope.split():
                return ERR_NO_CONNECT
        return None

    def _identity_missing(self, claims: dict[str, Any]) -> bool:
        """Pelican Wings (beta27+) reads user_uuid and server_uuid in its denylist check: a token without them is
        "created too far in past"."""
        return self.config.has("jwt_identity_required") and not (claims.get("user_uuid") and claims.get("server_uuid"))

    def socket_url(self, server: dict[str, Any], base_url: str | None = None) -> str:
        base = (base_url or self.panel_url() or "http://127.0.0.1").rstrip("/")
        base = re.sub(r"^https://", "wss://", re.sub(r"^http://", "ws://", base))
        return f"{base}/api/servers/{server['uuid']}/ws"

    def mint_token(
        self,
        user: dict[str, Any],
        server: dict[str, Any],
        scope: str,
        claims: dict[str, Any],
        *,
        lifetime: float,
        base_url: str = "",
        now: float | None = None,
    ) -> str:
        """A token the panel signs for this Wings with the node's daemon token: the registered and identity claims,
        then ``claims`` (a None value removes a claim)."""
        issued = int(self.clock() if now is None else now)
        node = self.node_row(server.get("node_id")) or {}
        jti, identity = jwt.identity_claims(self.config, user, str(server.get("uuid")), scope)
        payload = jwt.panel_claims(self.panel_url() or base_url, node, issued, int(lifetime))
        payload.update(identity)
        for name, value in claims.items():
            if value is None:
                payload.pop(name, None)
            else:
                payload[name] = value
        return jwt.encode(payload, self.node_key(node or None), jti)

    def issue_token(
        self,
        user: dict[str, Any],
        server: dict[str, Any],
        permissions: list[str],
        *,
        base_url: str | None = None,
        lifetime: float | None = None,
        now: float | None = None,
        extra_claims: dict[str, Any] | None = None,
    ) -> tuple[str, str]:
        """A websocket JWT exactly like the panel's, and the socket URL (pointing at this emulator)."""
        claims = {
            "server_uuid": server.get("uuid"),
            "permissions": list(permissions),
            **(self.setting("panel_token_claims") or {}),
            **(extra_claims or {}),
        }
        lifetime = self.setting("token_lifetime_seconds") if lifetime is None else lifetime
        token = self.mint_token(user, server, "websocket", claims, lifetime=lifetime, base_url=base_url or "", now=now)
        return token, self.socket_url(server, base_url)

    def verify_panel_token(self, token: str) -> dict[str, Any] | None:
        """The claims of an unexpired token signed with the key of its server's node (the download and upload
        endpoints), None otherwise."""
        try:
            server = self.server_row(str(jwt.unverified_claims(token).get("server_uuid"))) or {}
            _header, claims = jwt.decode(token, self.server_key(server))
        except jwt.JwtMalformed:
            return None
        if not isinstance(claims.get("exp"), (int, float)) or claims["exp"] < self.clock():
            return None
        return claims

    def deny_token(self, jti: str) -> None:
        """Wings POST /api/servers/{uuid}/ws/deny: tokens with this jti issued before now are rejected."""
        self.denied_jti[jti] = math.ceil(self.clock())

    def revoke_user(self, server_uuid: str, user_uuid: str) -> None:
        """The panel revoking a user's tokens (owner change, subuser removal): deny and close their sockets."""
        self.denied_user[(server_uuid, user_uuid)] = math.ceil(self.clock())
        if self.version_1_12:
            for session in list(self.sockets.get(server_uuid, ())):
                if session.claims and session.claims.get("user_uuid") == user_uuid:
                    session.enqueue(Outbound("", abort=True))

    def deauthorize_user(self, user_uuid: str, server_uuids: list[str] | None = None) -> bool:
        """Wings POST /api/deauthorize-user (1.12+), sent by panels from 1.12: the user's tokens issued before this
        second are refused and their sockets on those servers (None: every server) close with 1000 and an empty
        reason, without a `jwt error` first. Older Wings lack the endpoint: nothing happens (returns False)."""
        if not self.wings_has("deauthorize_user"):
            return False
        denied_at = math.floor(self.clock())
        targets = set(server_uuids) if server_uuids is not None else set(self.sockets)
        for server_uuid in targets:
            self.denied_user[(server_uuid, user_uuid)] = denied_at
            for session in list(self.sockets.get(server_uuid, ())):
                if session.claims and session.claims.get("user_uuid") == user_uuid:
                    session.enqueue(Outbound("", close_code=1000, close_message=""))
        if server_uuids is None:
            self.denied_users_everywhere[user_uuid] = denied_at
        return True

    def reboot(self, at_offset: float = 0.0) -> None:
        """Simulate a Wings restart (`at_offset` seconds from now): tokens issued before it are denylisted."""
        self.boot_time = math.ceil(self.clock() + at_offset)

    # power -------------------------------------------------------------------------------------------------------
    def current_state(self, server_uuid: str) -> str:
        proc = self.processes.get(server_uuid)
        return proc.state if proc else "offline"

    def power(self, server_uuid: str, signal: str) -> bool:
        """The REST power route: Wings accepts it (202) and refusals are only logged. Returns True if applied."""
        try:
            self.apply_power(server_uuid, signal)
        except PowerError:
            return False
        return True

    def apply_power(self, server_uuid: str, signal: str) -> None:
        """Run a power action; raises PowerError with Wings' reason when refused."""
        if signal not in POWER_SIGNALS:
            raise PowerError(f"invalid power action: {signal}")
        self._ensure_watchdog()
        proc = self.process(server_uuid)
        server = self.server_row(server_uuid)
        if signal == "kill":
            self._kill(proc)
            return
        if server is not None and signal in ("start", "restart"):
            if server.get("status") == "suspended":
                raise PowerError("server is currently in a suspended state")
            if server.get("status") in ("installing", "install_failed", "reinstall_failed"):
                raise PowerError("server is currently installing")
            if server.get("status") == "restoring_backup":
                raise PowerError("server is currently restoring a backup")
        if proc.power_locked:
            raise PowerError(POWER_LOCKED, locked=True)
        if signal == "start":
            if proc.state != "offline":
                raise PowerError("server is running")
            self._start(proc, release_lock_early=True)
        elif signal == "stop":
            if proc.state == "offline":
                return
            self._stop(proc, then=lambda: setattr(proc, "power_locked", False))
        else:  # restart holds the lock until the server is running again
            if proc.state == "offline":
                self._start(proc, release_lock_early=False)
            else:
                self._stop(proc, then=lambda: self._start(proc, release_lock_early=False))

    def _start(self, proc: ServerProcess, release_lock_early: bool) -> None:
        seconds = float(self.setting("power_seconds"))
        proc.power_locked = True
        for text in (
            "Checking server disk space usage, this could take a few seconds...",
            "Updating process configuration files...",
            "Ensuring file permissions are set correctly, this could take a few seconds...",
        ):
            self.daemon_console(proc.uuid, text)
        self._set_state(proc, "starting")
        proc.started_at = time.monotonic()
        self._ensure_stats(proc)
        self.container_output(proc.uuid, "container@pterodactyl~ Server marked as starting...")
        self.container_output(proc.uuid, "Starting the server, please wait...")

        def unlock() -> None:
            proc.power_locked = False

        def running() -> None:
            if proc.state != "starting":
                return
            self._set_state(proc, "running")
            proc.power_locked = False
            self.container_output(proc.uuid, f'Done ({seconds:.3f}s)! For help, type "help"')

        if release_lock_early:
            # Wings releases the lock once the container started; "running" follows when the done line appears.
            self._later(proc, seconds / 2, unlock)
        self._later(proc, seconds, running)

    def _stop(self, proc: ServerProcess, then: Callable[[], None]) -> None:
        proc.cancel_timers(self.state)
        proc.power_locked = True
        self._set_state(proc, "stopping")
        self.container_output(proc.uuid, "Stopping the server")

        def stopped() -> None:
            self._go_offline(proc)
            then()

        self._later(proc, float(self.setting("power_seconds")), stopped)

    def _kill(self, proc: ServerProcess) -> None:
        proc.cancel_timers(self.state)
        proc.power_locked = False
        if proc.state != "offline":
            self._go_offline(proc)

    def _go_offline(self, proc: ServerProcess) -> None:
        for timer_id in proc.console_timers:
            self.state.cancel(timer_id)
        proc.console_timers.clear()
        proc.power_locked = False
        proc.started_at = None
        if proc.stats_task is not None:
            proc.stats_task.cancel()
            proc.stats_task = None
        self._set_state(proc, "offline")
        # Wings sends one zeroed stats sample when the container stops.
        self.publish(proc.uuid, "stats", [self._stats_json(proc, ordered=False)])

    def _set_state(self, proc: ServerProcess, new_state: str) -> None:
        if proc.state == new_state:
            return
        proc.state = new_state
        self.publish(proc.uuid, "status", [new_state])

    def set_state_now(self, server_uuid: str, new_state: str) -> None:
        """Force a state without delays (seeding, tests)."""
        if new_state not in STATES:
            raise ValueError(new_state)
        proc = self.process(server_uuid)
        proc.cancel_timers(self.state)
        proc.power_locked = False
        if new_state == "offline":
            self._go_offline(proc)
            return
        if proc.started_at is None:
            proc.started_at = time.monotonic()
        self._set_state(proc, new_state)
        self._ensure_stats(proc)

    def advance(self) -> int:
        """Fire every pending power timer now; returns how many ran."""
        count = 0
        for _round in range(10):  # a restart chains stop -> start -> running
            ran = self.state.advance(kind="power") + self.state.advance(kind="console")
            if not ran:
                break
            count += ran
        return count

    # stats -------------------------------------------------------------------------------------------------------
    def _stats_values(self, proc: ServerProcess) -> dict[str, Any]:
        server = self.server_row(proc.uuid) or {}
        memory_limit_mib = int(server.get("memory") or 0) or 16384
        # Wings adds an overhead allowance on top of the panel limit.
        multiplier = 1.15 if memory_limit_mib <= 2048 else 1.10 if memory_limit_mib <= 4096 else 1.05
        limit_bytes = int(memory_limit_mib * MIB * multiplier)
        seed = int(hashlib.md5(proc.uuid.encode()).hexdigest()[:6], 16)
        disk_bytes = (64 + seed % 512) * MIB
        if proc.started_at is None or proc.state == "offline":
            return {
                "memory_bytes": 0,
                "memory_limit_bytes": limit_bytes,
                "cpu_absolute": 0,
                "rx": 0,
                "tx": 0,
                "uptime": 0,
                "state": proc.state,
                "disk_bytes": disk_bytes,
            }
        uptime = max(0.0, time.monotonic() - proc.started_at)
        memory = min(limit_bytes, int((256 + seed % 256) * MIB + uptime * 512 * 1024))
        cpu = round(8.0 + (seed % 40) + 4.0 * math.sin(uptime), 3)
        return {
            "memory_bytes": memory,
            "memory_limit_bytes": limit_bytes,
            "cpu_absolute": cpu,
            "rx": int(uptime * 1500),
            "tx": int(uptime * 3700),
            "uptime": int(uptime * 1000),
            "state": proc.state,
            "disk_bytes": disk_bytes,
        }

    def _stats_json(self, proc: ServerProcess, ordered: bool) -> str:
        values = self._stats_values(proc)
        network = {"rx_bytes": values["rx"], "tx_bytes": values["tx"]}
        if ordered:
            # Snapshot (after auth, `send stats`): Go struct field order.
            payload = {
                "memory_bytes": values["memory_bytes"],
                "memory_limit_bytes": values["memory_limit_bytes"],
                "cpu_absolute": values["cpu_absolute"],
                "network": network,
                "uptime": values["uptime"],
                "state": values["state"],
                "disk_bytes": values["disk_bytes"],
            }
        else:
            # Periodic samples are re-encoded from a map: alphabetical keys.
            payload = {
                "cpu_absolute": values["cpu_absolute"],
                "disk_bytes": values["disk_bytes"],
                "memory_bytes": values["memory_bytes"],
                "memory_limit_bytes": values["memory_limit_bytes"],
                "network": network,
                "state": values["state"],
                "uptime": values["uptime"],
            }
        return json.dumps(payload, separators=(",", ":"))

    def resources(self, server_uuid: str) -> dict[str, Any]:
        """The `stats` attributes of the client resources route."""
        proc = self.processes.get(server_uuid) or ServerProcess(server_uuid)
        values = self._stats_values(proc)
        server = self.server_row(server_uuid) or {}
        return {
            "current_state": proc.state,
            "is_suspended": server.get("status") == "suspended",
            "resources": {
                "memory_bytes": values["memory_bytes"],
                "cpu_absolute": values["cpu_absolute"],
                "disk_bytes": values["disk_bytes"],
                "network_rx_bytes": values["rx"],
                "network_tx_bytes": values["tx"],
                "uptime": values["uptime"],
            },
        }

    def _ensure_stats(self, proc: ServerProcess) -> None:
        if proc.stats_task is None or proc.stats_task.done():
            proc.stats_task = asyncio.get_running_loop().create_task(self._stats_loop(proc))

    async def _stats_loop(self, proc: ServerProcess) -> None:
        while proc.state != "offline":
            await asyncio.sleep(max(0.05, float(self.setting("stats_interval_seconds"))))
            if proc.state != "offline" and self.sockets.get(proc.uuid):
                self.publish(proc.uuid, "stats", [self._stats_json(proc, ordered=False)])

    # console -----------------------------------------------------------------------------------------------------
    def publish(self, server_uuid: str, event: str, args: list[str] | None = None) -> None:
        """Fan an event out to every authenticated socket of the server (gated per socket at write time)."""
        for session in list(self.sockets.get(server_uuid, ())):
            if session.listening:
                session.send(event, args)

    def daemon_console(self, server_uuid: str, text: str) -> None:
        """A Wings-originated console line: not in the container log, not subject to the line limiter."""
        self.publish(server_uuid, "console output", [daemon_line(text, str(self.setting("app_name")))])

    def container_output(self, server_uuid: str, line: str) -> None:
        """One line of container stdout: logged, then passed through Wings' line limiter."""
        proc = self.process(server_uuid)
        line = _truncate(line)
        proc.log.append(line)
        now = time.monotonic()
        window = float(self.setting("console_throttle_interval_ms")) / 1000.0
        if now - proc.throttle_window >= window:
            proc.throttle_window = now
            proc.throttle_count = 0
        proc.throttle_count += 1
        if proc.throttle_count > int(self.setting("console_throttle_lines")):
            if not proc.throttling:
                proc.throttling = True
                self.daemon_console(server_uuid, THROTTLE_LINE)
            return
        proc.throttling = False
        self.publish(server_uuid, "console output", [line])
        if self.config.has("feature_match_event"):
            self._match_features(server_uuid, line)

    def _match_features(self, server_uuid: str, line: str) -> None:
        """Pelican Wings: a line matching a pattern of one of the egg's features -> `feature match` {key, pattern,
        line} to every socket."""
        server = self.server_row(server_uuid) or {}
        egg = self._table("eggs").get(server.get("egg_id")) or {}
        lowered = line.lower()
        for key in egg.get("features") or []:
            for pattern in FEATURE_PATTERNS.get(str(key), ()):
                if pattern in lowered:
                    match = json.dumps({"key": key, "pattern": pattern, "line": line})
                    self.publish(server_uuid, "feature match", [match])
                    break

    def send_command(self, server_uuid: str, command: str) -> None:
        """The REST command route: raises ServerOffline when the process is not running."""
        proc = self.process(server_uuid)
        if proc.state == "offline":
            raise ServerOffline("Cannot send commands to a stopped server instance.")
        if proc.state == "starting":
            return  # not attached to stdin yet: Wings drops it
        self._run_command(proc, command)

    def _stop_command(self, server_uuid: str) -> str:
        server = self.server_row(server_uuid) or {}
        egg = self._table("eggs").get(server.get("egg_id")) or {}
        stop = egg.get("config_stop") or "stop"
        return str(stop)

    def _run_command(self, proc: ServerProcess, command: str) -> None:
        """Write a line to the game's stdin: a deterministic script decides what it prints."""
        if command == self._stop_command(proc.uuid) and proc.state in ("running", "starting", "stopping"):
            if proc.state != "stopping":
                self._stop(proc, then=lambda: None)
                proc.power_locked = False
            return
        lines = command_output(command)
        delay = float(self.setting("console_delay_seconds"))
        if isinstance(lines, Trickle):
            for index in range(lines.count):
                self._later(
                    proc,
                    delay + index * lines.interval,
                    functools.partial(self.container_output, proc.uuid, f"trickle line {index + 1} of {lines.count}"),
                    kind="console",
                )
            return
        if lines == CRASH:
            self._later(proc, delay, lambda: self._crash(proc), kind="console")
            return

        def emit() -> None:
            for line in lines:
                self.container_output(proc.uuid, line)

        self._later(proc, delay, emit, kind="console")

    def _crash(self, proc: ServerProcess) -> None:
        if proc.state == "offline":
            return
        proc.cancel_timers(self.state)
        self._go_offline(proc)
        for text in CRASH_LINES:
            self.daemon_console(proc.uuid, text)

    # install / backup / lifecycle hooks (called by the panel side) -----------------------------------------------
    def install_started(self, server_uuid: str) -> None:
        self._ensure_watchdog()
        self.publish(server_uuid, "daemon message", ["Starting installation process, this could take a few minutes..."])
        self.publish(server_uuid, "install started", [""])
        for line in (
            "Pulling Docker container image, this could take a few minutes to complete...",
            "Finished pulling Docker container image",
            "+ cd /mnt/server",
            "Installing server files...",
        ):
            self.install_output(server_uuid, line)

    def install_output(self, server_uuid: str, line: str) -> None:
        self.publish(server_uuid, "install output", [_truncate(line)])

    def install_completed(self, server_uuid: str, successful: bool = True) -> None:
        self.install_output(server_uuid, "Installation finished" if successful else "Installation failed")
        self.publish(server_uuid, "daemon message", ["Installation process completed."])
        self.publish(server_uuid, "install completed", [""])

    def backup_completed(self, server_uuid: str, backup: dict[str, Any]) -> None:
        payload = {
            "checksum": backup.get("checksum") or "",
            "checksum_type": "sha1",
            "file_size": int(backup.get("bytes") or 0),
            "is_successful": bool(backup.get("is_successful", True)),
            "uuid": backup.get("uuid"),
        }
        self.publish(server_uuid, "backup completed", [json.dumps(payload, separators=(",", ":"))])

    def backup_restore_completed(self, server_uuid: str) -> None:
        self.publish(server_uuid, "daemon message", ["Completed server restoration from local backup."])
        self.publish(server_uuid, "backup restore completed", [""])

    def on_server_deleted(self, server_uuid: str) -> None:
        """Server removed from the node: `deleted`, then close (1001 in 1.11; a bare close in 1.12)."""
        if server_uuid in self._deleted:
            return
        self._deleted.add(server_uuid)
        proc = self.processes.pop(server_uuid, None)
        if proc is not None:
            proc.cancel_timers(self.state, console=True)
            if proc.stats_task is not None:
                proc.stats_task.cancel()
        self._uuid_index.pop(server_uuid, None)
        for session in list(self.sockets.get(server_uuid, ())):
            if session.listening:
                session.send("deleted", ["null"])
            if self.version_1_12:
                session.enqueue(Outbound("", abort=True))
            else:
                session.enqueue(Outbound("", close_code=1001, close_message="server deleted"))

    def on_server_suspended(self, server_uuid: str) -> None:
        """Suspension sync: the process is killed; in 1.12 every socket closes with 4409."""
        if server_uuid in self._suspended:
            return
        self._suspended.add(server_uuid)
        proc = self.processes.get(server_uuid)
        if proc is not None and proc.state != "offline":
            self._kill(proc)
        if self.version_1_12:
            for session in list(self.sockets.get(server_uuid, ())):
                session.enqueue(Outbound("", close_code=4409, close_message="server is suspended"))

    def reset(self, state: State | None = None) -> None:
        """Forget every process and close every socket (emulator reset)."""
        if state is not None:
            self.state = state
        for proc in self.processes.values():
            proc.cancel_timers(self.state, console=True)
            if proc.stats_task is not None:
                proc.stats_task.cancel()
        self.processes.clear()
        self._uuid_index.clear()
        self._deleted.clear()
        self._suspended.clear()
        self.denied_jti.clear()
        self.denied_user.clear()
        self.denied_users_everywhere.clear()
        for sessions in list(self.sockets.values()):
            for session in list(sessions):
                session.enqueue(Outbound("", abort=True))

    # socket handling ---------------------------------------------------------------------------------------------
    def send_error(self, session: SocketSession, text: str, jwt_class: bool = False, always_show: bool = False) -> None:
        """Wings' error path: `jwt error` or `daemon error`, prefixed with a fresh error id."""
        prefix = f"Error Event [{uuid_module.uuid4()}]: "
        if jwt_class:
            session.send_raw("jwt error", [prefix + text])
        elif always_show or session.has_permission(PERMISSION_ERRORS):
            session.send_raw("daemon error", [prefix + text])
        else:
            session.send_raw("daemon error", [prefix + GENERIC_ERROR])

    def handle_frame(self, session: SocketSession, data: str | bytes) -> None:
        if self.version_1_12 and session.throttled("global", session.global_bucket.allow()):
            return
        parsed = parse_inbound(data)
        if parsed is None:
            return
        event, args = parsed
        if self.version_1_12:
            bucket_name = event if event in EVENT_LIMITS else "__other__"
            bucket = session.event_buckets.get(bucket_name)
            if bucket is None:
                bucket = session.event_buckets[bucket_name] = TokenBucket(*EVENT_LIMITS.get(event, OTHER_EVENT_LIMIT))
            if session.throttled(event, bucket.allow()):
                return
            server = self.server_row(session.server_uuid)
            if server is not None and server.get("status") == "suspended":
                session.enqueue(Outbound("", close_code=4409, close_message="server is suspended"))
                return
        if event != "auth":
            reason = session.token_error()
            if reason:
                session.send_raw("jwt error", [reason])
                return
        argument = "".join(args)
        if event == "auth":
            self._handle_auth(session, argument)
        elif event == "send command":
            self._handle_command(session, argument)
        elif event == "set state":
            self._handle_set_state(session, argument)
        elif event == "send logs":
            proc = self.processes.get(session.server_uuid)
            if proc is not None and proc.state != "offline":
                count = int(self.setting("websocket_log_count"))
                for line in list(proc.log)[-count:] if count > 0 else []:
                    session.send("console output", [line])
        elif event == "send stats":
            session.send("stats", [self._stats_json(self.process(session.server_uuid), ordered=True)])
        # Anything else is silently ignored.

    def _handle_auth(self, session: SocketSession, token: str) -> None:
        server = self.server_row(session.server_uuid)
        if server is None:
            return
        try:
            _header, claims = jwt.decode(token, self.server_key(server))
        except jwt.JwtMalformed:
            self.send_error(session, GENERIC_ERROR)
            return
        reason = self.claims_error(claims)
        if reason:
            self.send_error(session, reason, jwt_class=True)
            return
        session.claims = claims
        session.send_raw("auth success")
        if session.listening:
            return  # a refresh: no new status, listeners and ticker keep running
        session.listening = True
        loop = asyncio.get_running_loop()
        session.ticker_task = loop.create_task(session.expiry_ticker())
        proc = self.process(session.server_uuid)
        session.send("status", [proc.state])
        if proc.state == "offline" and server.get("status") not in ("installing",):
            session.send("stats", [self._stats_json(proc, ordered=True)])

    def _handle_command(self, session: SocketSession, command: str) -> None:
        if not session.has_permission(PERMISSION_CONSOLE):
            return
        proc = self.process(session.server_uuid)
        if proc.state in ("offline", "starting"):
            return  # not attached to the container: dropped without a word
        self._run_command(proc, command)
        claims = session.claims or {}
        self._log_activity(
            "server:console.command", self._actor_id(claims), self.server_row(session.server_uuid), {"command": command}
        )

    def _handle_set_state(self, session: SocketSession, action: str) -> None:
        permission = POWER_PERMISSIONS.get(action)
        if permission is None:
            self.send_error(session, f"attempting to send unknown power action: {action}")
            return
        if not session.has_permission(permission):
            return
        try:
            self.apply_power(session.server_uuid, action)
        except PowerError as error:
            self.send_error(session, str(error), always_show=error.locked)
            return
        claims = session.claims or {}
        self._log_activity(f"server:power.{action}", self._actor_id(claims), self.server_row(session.server_uuid), {})

    def _actor_id(self, claims: dict[str, Any]) -> Any:
        """The user id for activity rows: Wings reports the token's user uuid (1.12.3+ tokens carry no user_id)."""
        user_uuid = claims.get("user_uuid")
        for user in self._table("users").values():
            if user.get("uuid") == user_uuid:
                return user.get("id")
        return claims.get("user_id")

    def origin_allowed(self, request: web.Request) -> bool:
        origin = request.headers.get("Origin")
        allowed = self.setting("allowed_origins") or []
        if "*" in allowed:
            return True
        if origin is None:
            return False
        panel = self.remote() or f"{request.scheme}://{request.host}"
        return origin == panel or origin in allowed  # exact strings: a trailing slash counts


def _truncate(line: str) -> str:
    encoded = line.encode("utf-8")
    if len(encoded) <= MAX_LINE_BYTES:
        return line
    return encoded[:MAX_LINE_BYTES].decode("utf-8", errors="ignore")


# --- the game's console script ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Trickle:
    count: int
    interval: float


CRASH: list[str] = ["<crash>"]
HELP_LINES = [
    "--------- Help: Index ----------------------------",
    "/help: Shows this help",
    "/list: Lists the players online",
    "/say <message>: Broadcasts a message",
    "/stop: Stops the server",
    "/flood <count>: Prints <count> numbered lines (emulator)",
    "/trickle <count> <seconds>: Prints a line every <seconds> (emulator)",
]
NOISE_LINES = [
    "\x1b[32mgreen\x1b[0m plain \x1b[1;31mbold red\x1b[0m",
    "first half\r\nsecond half",
    "caf\u00e9 \u2014 \u65e5\u672c\u8a9e \u2713",
    "",
    "x" * (MAX_LINE_BYTES + 4096),
]


def command_output(command: str) -> list[str] | Trickle:
    """Deterministic console output for one command line."""
    verb, _space, rest = command.strip().partition(" ")
    verb = verb.lstrip("/").lower()
    if verb == "":
        return []
    if verb == "say":
        return [f"[Server] {rest}"]
    if verb == "echo":
        return [rest]
    if verb == "list":
        return ["There are 2 of a max of 20 players online:", "alice, bob"]
    if verb == "help":
        return list(HELP_LINES)
    if verb == "flood":
        count = _bounded_int(rest, 10, 200000)
        return [f"flood line {index} of {count}" for index in range(1, count + 1)]
    if verb == "trickle":
        parts = rest.split()
        count = _bounded_int(parts[0] if parts else "", 5, 1000)
        try:
            interval = min(60.0, max(0.0, float(parts[1]))) if len(parts) > 1 else 1.0
        except ValueError:
            interval = 1.0
        return Trickle(count, interval)
    if verb == "noise":
        return list(NOISE_LINES)
    if verb == "crash":
        return CRASH
    return ['Unknown command. Type "help" for help.']


def _bounded_int(text: str, default: int, maximum: int) -> int:
    try:
        return max(0, min(maximum, int(text)))
    except ValueError:
        return default


# --- HTTP routes --------------------------------------------------------------------------------------------------


def _daemon(request: web.Request) -> Daemon:
    return request.app["daemon"]


def _origin_of(request: web.Request) -> str:
    return f"{request.scheme}://{request.host}"


@routes.get("/api/servers/{uuid}/ws")
async def server_websocket(request: web.Request) -> web.StreamResponse:
    daemon = _daemon(request)
    daemon._ensure_watchdog()
    if not daemon.public_url:
        daemon.public_url = _origin_of(request)
    server_uuid = request.match_info["uuid"]
    server = daemon.server_row(server_uuid)
    if server is None:
        return web.json_response({"error": "The requested resource does not exist on this instance."}, status=404)
    version_1_12 = daemon.version_1_12
    if version_1_12 and len(daemon.sockets.get(server_uuid, ())) >= int(daemon.setting("websocket_max_connections")):
        return web.json_response({"error": "Too many open websocket connections."}, status=400)
    ws = web.WebSocketResponse(
        autoping=True,
        heartbeat=None,  # Wings never pings
        compress=version_1_12,
        max_msg_size=READ_LIMIT_1_12 if version_1_12 else 64 * MIB,
    )
    if not ws.can_prepare(request).ok:
        return web.Response(status=400, text="Bad Request\n")
    if not daemon.origin_allowed(request):
        return web.Response(status=403, text="Forbidden\n", headers={"Sec-Websocket-Version": "13"})
    if version_1_12:
        ws.headers["Content-Security-Policy"] = "default-src 'self'"
        ws.headers["X-Frame-Options"] = "DENY"
    await ws.prepare(request)
    session = SocketSession(daemon, server_uuid, ws, request.transport)
    daemon.sockets[server_uuid].add(session)
    session.writer_task = asyncio.get_running_loop().create_task(session.writer())
    try:
        if version_1_12 and server.get("status") == "suspended":
            session.enqueue(Outbound("", close_code=4409, close_message="server is suspended"))
        async for message in ws:
            if message.type == WSMsgType.TEXT or (message.type == WSMsgType.BINARY and not version_1_12):
                daemon.handle_frame(session, message.data)
            elif message.type == WSMsgType.ERROR:
                break
    finally:
        session.closed = True
        daemon.sockets.get(server_uuid, set()).discard(session)
        if not daemon.sockets.get(server_uuid):
            daemon.sockets.pop(server_uuid, None)
        for task in (session.ticker_task, session.writer_task):
            if task is not None and not task.done() and task is not asyncio.current_task():
                task.cancel()
    return ws


# --- test hooks (/_emulator/wings/...) ----------------------------------------------------------------------------


async def _json_body(request: web.Request) -> dict[str, Any]:
    if not request.can_read_body:
        return {}
    try:
        body = await request.json()
    except ValueError:
        raise web.HTTPBadRequest(text="invalid JSON") from None
    return body if isinstance(body, dict) else {}


def _server_or_404(daemon: Daemon, server_uuid: str) -> dict[str, Any]:
    server = daemon.server_row(server_uuid)
    if server is None:
        raise web.HTTPNotFound(text="unknown server")
    return server


@routes.get("/_emulator/wings/config")
async def wings_config_get(request: web.Request) -> web.Response:
    return web.json_response(_daemon(request).settings())


@routes.post("/_emulator/wings/config")
async def wings_config_set(request: web.Request) -> web.Response:
    daemon = _daemon(request)
    body = await _json_body(request)
    unknown = sorted(set(body) - set(DEFAULT_SETTINGS))
    if unknown:
        return web.json_response({"error": f"unknown settings: {', '.join(unknown)}"}, status=400)
    daemon.overrides.update(body)
    return web.json_response(daemon.settings())


@routes.delete("/_emulator/wings/config")
async def wings_config_clear(request: web.Request) -> web.Response:
    daemon = _daemon(request)
    daemon.overrides.clear()
    return web.json_response(daemon.settings())


@routes.post("/_emulator/wings/token")
async def wings_token(request: web.Request) -> web.Response:
    """Mint a token with chosen claims: {server_uuid, user_id?, permissions?, lifetime?, iat_offset?, claims?, key?}."""
    daemon = _daemon(request)
    body = await _json_body(request)
    server = _server_or_404(daemon, str(body.get("server_uuid")))
    users = daemon._table("users")
    user = users.get(body.get("user_id")) or users.get(server.get("owner_id")) or {"id": 0, "uuid": "unknown"}
    token, socket = daemon.issue_token(
        user,
        server,
        body.get("permissions", ["*"]),
        base_url=_origin_of(request),
        lifetime=body.get("lifetime"),
        now=daemon.clock() + float(body.get("iat_offset", 0)),
        extra_claims=body.get("claims"),
    )
    if body.get("key"):
        _header, claims = jwt.decode(token, daemon.server_key(server))
        token = jwt.encode(claims, str(body["key"]), claims["jti"])
    return web.json_response({"token": token, "socket": socket})


@routes.post("/_emulator/wings/servers/{uuid}/power")
async def wings_power(request: web.Request) -> web.Response:
    """{signal} runs a power action; {state} forces a state at once."""
    daemon = _daemon(request)
    server = _server_or_404(daemon, request.match_info["uuid"])
    body = await _json_body(request)
    if "state" in body:
        daemon.set_state_now(server["uuid"], str(body["state"]))
    elif "signal" in body:
        try:
            daemon.apply_power(server["uuid"], str(body["signal"]))
        except PowerError as error:
            return web.json_response({"error": str(error)}, status=409)
    return web.json_response({"state": daemon.current_state(server["uuid"])})


@routes.post("/_emulator/wings/servers/{uuid}/inject")
async def wings_inject(request: web.Request) -> web.Response:
    """{lines:[...]} as container output, {daemon_lines:[...]}, or {events:[{event, args}]} sent verbatim."""
    daemon = _daemon(request)
    server = _server_or_404(daemon, request.match_info["uuid"])
    body = await _json_body(request)
    for line in body.get("lines", []):
        daemon.container_output(server["uuid"], str(line))
    for line in body.get("daemon_lines", []):
        daemon.daemon_console(server["uuid"], str(line))
    for item in body.get("events", []):
        daemon.publish(server["uuid"], str(item.get("event")), item.get("args"))
    return web.json_response({"ok": True})


@routes.post("/_emulator/wings/servers/{uuid}/drop")
async def wings_drop(request: web.Request) -> web.Response:
    """Abort every socket of the server (TCP drop, the client sees 1006), now or after {"after_frames": N} more."""
    daemon = _daemon(request)
    server_uuid = request.match_info["uuid"]
    body = await _json_body(request)
    sessions = list(daemon.sockets.get(server_uuid, ()))
    for session in sessions:
        if body.get("after_frames"):
            session.drop_after_frames = int(body["after_frames"])
        else:
            session.abort()
    return web.json_response({"dropped": len(sessions)})


@routes.post("/_emulator/wings/servers/{uuid}/close")
async def wings_close(request: web.Request) -> web.Response:
    """Close every socket of the server with {code, reason} (e.g. 4400, the code the 1.12 front end treats as final,
    or 1000 as a deauthorization does)."""
    daemon = _daemon(request)
    body = await _json_body(request)
    sessions = list(daemon.sockets.get(request.match_info["uuid"], ()))
    for session in sessions:
        session.enqueue(Outbound("", close_code=int(body.get("code", 1000)), close_message=str(body.get("reason", ""))))
    return web.json_response({"closed": len(sessions)})


@routes.post("/_emulator/wings/servers/{uuid}/deleted")
async def wings_deleted(request: web.Request) -> web.Response:
    daemon = _daemon(request)
    daemon.on_server_deleted(request.match_info["uuid"])
    return web.json_response({"ok": True})


@routes.post("/_emulator/wings/servers/{uuid}/suspended")
async def wings_suspended(request: web.Request) -> web.Response:
    daemon = _daemon(request)
    daemon.on_server_suspended(request.match_info["uuid"])
    return web.json_response({"ok": True})


@routes.post("/_emulator/wings/servers/{uuid}/revoke")
async def wings_revoke(request: web.Request) -> web.Response:
    """{user_uuid} revokes that user's tokens for the server; {jti} denies one token id."""
    daemon = _daemon(request)
    body = await _json_body(request)
    if body.get("jti"):
        daemon.deny_token(str(body["jti"]))
    if body.get("user_uuid"):
        daemon.revoke_user(request.match_info["uuid"], str(body["user_uuid"]))
    return web.json_response({"ok": True})


@routes.post("/_emulator/wings/deauthorize")
async def wings_deauthorize(request: web.Request) -> web.Response:
    """Wings' /api/deauthorize-user: {user_uuid, servers?: [uuid...]} (every server when omitted)."""
    body = await _json_body(request)
    servers = body.get("servers")
    applied = _daemon(request).deauthorize_user(
        str(body.get("user_uuid")), [str(s) for s in servers] if servers is not None else None
    )
    return web.json_response({"applied": applied})


@routes.post("/_emulator/wings/reboot")
async def wings_reboot(request: web.Request) -> web.Response:
    """{at_offset: -1} dates the restart one second back, so tokens minted right after it are valid at once."""
    body = await _json_body(request)
    _daemon(request).reboot(float(body.get("at_offset", 0)))
    return web.json_response({"boot_time": _daemon(request).boot_time})


@routes.post("/_emulator/wings/advance")
async def wings_advance(request: web.Request) -> web.Response:
    return web.json_response({"ran": _daemon(request).advance()})


@routes.get("/_emulator/wings/sockets")
async def wings_sockets(request: web.Request) -> web.Response:
    daemon = _daemon(request)
    listing = {
        server_uuid: [
            {
                "authenticated": session.claims is not None,
                "listening": session.listening,
                "dropped_frames": session.dropped_frames,
            }
            for session in sessions
        ]
        for server_uuid, sessions in daemon.sockets.items()
    }
    return web.json_response(listing)
