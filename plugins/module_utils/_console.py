# Private to ptero.panel: not a public API.
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A synchronous console session on a server's Wings websocket.

`ConsoleSession` gets websocket credentials from the panel (`client.servers.websocket`) through a `ConsoleClient`,
opens the socket with the panel's `Origin` (Wings rejects any other origin with 403; a default Origin refused is
tried once more with a trailing slash, for a Pelican APP_URL written with one), authenticates, tracks the
server status, sends console commands and collects the console lines that follow. It renews the token when Wings
announces its expiry (`token expiring`, `token expired`, or a `jwt error` about expiry/denylist) on the same socket,
so no line is lost.

Panels 1.12+ allow 5 websocket tokens per minute per server, shared by every key and browser: a `ConsoleClient`
fetches one token per server per task run and hands it to every session until Wings says it is expiring; a 429 on
the token route is waited out by the panel client (Retry-After, within its retry budget).

The protocol logic is kept free of sockets: `parse_message()`, `strip_ansi()`, `split_lines()`, `jwt_claims()` and
the `ConsoleProtocol` state machine are pure and unit-tested on their own; `ConsoleSession` only moves frames.

Every failure is a `ConsoleError` with a `kind` (see `ConsoleError`). The websocket token never appears in any
message, result or exception.
"""

from __future__ import annotations

import base64
import collections
import json
import re
import ssl
import struct
import time
import traceback
import typing as t
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from ansible_collections.ptero.panel.plugins.module_utils._client import PanelError
from ansible_collections.ptero.panel.plugins.module_utils._flavour import MIN_PELICAN, PELICAN

try:
    import websocket
except ImportError:
    HAS_WEBSOCKET = False
    WEBSOCKET_IMPORT_ERROR: str | None = traceback.format_exc()
else:
    HAS_WEBSOCKET = True
    WEBSOCKET_IMPORT_ERROR = None

# Wings drops frames over 4096 bytes (1.12) with close 1009; leave room for the JSON envelope.
MAX_COMMAND_BYTES = 3584
# Wings 1.12 allows bursts of 10 commands, then one per second, and 10 frames of any kind, then 5 per second.
# The refills here are a little slower than Wings' so clock drift never makes a command "throttled".
COMMAND_BURST = 10
COMMAND_REFILL_SECONDS = 1.05
FRAME_BURST = 10
FRAME_REFILL_SECONDS = 0.21
DEFAULT_MAX_LINES = 10000
DEFAULT_PING_INTERVAL = 25.0
# Pelican's `feature match` events kept per session (a looping prompt must not grow without bound).
MAX_FEATURE_MATCHES = 100
# How often in a row a token refresh may fail before the session gives up.
MAX_REFRESH_FAILURES = 3
REFRESH_BACKOFF_SECONDS = 2.0

PERMISSION_CONSOLE = "control.console"
POWER_PERMISSIONS = {
    "start": "control.start",
    "stop": "control.stop",
    "restart": "control.restart",
    "kill": "control.stop",
}

CLOSE_NORMAL = 1000
CLOSE_GOING_AWAY = 1001
CLOSE_ABNORMAL = 1006
CLOSE_TOO_BIG = 1009
CLOSE_SUSPENDED = 4409

# Error kinds (ConsoleError.kind).
KIND_AUTH = "auth"  # the panel refused the API key or the user's access (401/403)
KIND_NOT_FOUND = "not_found"  # unknown server (panel 404 or Wings 404)
KIND_CONFLICT = "conflict"  # panel 409: installing, suspended, restoring, transferring, node in maintenance
KIND_PANEL = "panel"  # any other failure getting credentials from the panel
KIND_ORIGIN = "origin"  # Wings refused the Origin header (403 on the handshake)
KIND_REJECTED = "rejected"  # other handshake refusal (e.g. 400 too many connections)
KIND_CONNECT = "connect"  # socket refused, DNS, network
KIND_TLS = "tls"  # certificate verification or TLS handshake failure
KIND_JWT = "jwt"  # Wings rejected the token (not an expiry that a refresh could fix)
KIND_DAEMON = "daemon"  # `daemon error` while authenticating
KIND_OFFLINE = "offline"  # the server is not running
KIND_PERMISSION = "permission"  # the token lacks the permission for the action
KIND_TIMEOUT = "timeout"  # no auth success / no match / no status within the time allowed
KIND_CLOSED = "closed"  # the socket closed or dropped unexpectedly
KIND_DELETED = "deleted"  # the server was deleted during the session
KIND_SUSPENDED = "suspended"  # the server is suspended (close 4409)
KIND_TOO_LARGE = "too_large"  # a command too large for Wings (or close 1009)
KIND_REFRESH = "refresh"  # the token could not be renewed
KIND_INVALID = "invalid"  # bad argument (empty command, bad regex)
KIND_DEAUTHORIZED = "deauthorized"  # Wings closed an authenticated socket: the user lost or changed access
KIND_MISSING_SCOPE = "missing_scope"  # Wings >= 1.12.2 refused a token without `scope` (panel < 1.12.3)
KIND_MISSING_IDENTITY = "missing_identity"  # Pelican Wings refused a token without user_uuid/server_uuid
# Failures a retry cannot fix: modules end the task with the message instead of falling back or retrying.
FATAL_KINDS = (KIND_DEAUTHORIZED, KIND_MISSING_SCOPE, KIND_MISSING_IDENTITY)

OPERATION_CREDENTIALS = "client.servers.websocket"
MISSING_CONNECT = "missing connect permission"
# Pelican Wings (beta27+) denylists a token without these claims ("jwt: created too far in past (denylist)").
IDENTITY_CLAIMS = ("user_uuid", "server_uuid")

_ANSI = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]"  # CSI sequences (colours, cursor)
    r"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)"  # OSC sequences (titles, links)
    r"|\x1b[@-Z\\-_]"  # two-character escapes
)
_LINE_BREAK = re.compile(r"\r\n|\n|\r")
_ERROR_PREFIX = re.compile(r"^Error Event \[[^\]]*\]: ")
THROTTLE_MARKER = "outputting console data too quickly"


class ConsoleError(Exception):
    """A console session failure. `lines` holds the console lines seen so far (ANSI stripped)."""

    def __init__(
        self,
        kind: str,
        message: str,
        *,
        lines: list[str] | None = None,
        status: int | None = None,
        details: dict[str, t.Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.lines = list(lines or [])
        self.status = status
        self.details = dict(details or {})

    def __str__(self) -> str:
        return self.message

    def to_dict(self) -> dict[str, t.Any]:
        return {
            "kind": self.kind,
            "message": self.message,
            "lines": list(self.lines),
            "status": self.status,
            **self.details,
        }


# --- pure helpers ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ConsoleMessage:
    event: str
    args: tuple[str, ...] = ()

    @property
    def arg(self) -> str:
        """All arguments joined, as Wings reads them."""
        return "".join(self.args)


def encode_message(event: str, args: t.Sequence[str] | None = None) -> str:
    return json.dumps({"event": event, "args": list(args or [])}, separators=(",", ":"))


def parse_message(text: str | bytes) -> ConsoleMessage | None:
    """Decode one frame from Wings; None for anything that is not a JSON object with a string `event`.

    Odd arguments never raise: null reads as "", other non-strings as their JSON text.
    """
    try:
        data = json.loads(text)
    except (ValueError, UnicodeDecodeError):
        return None
    if not isinstance(data, dict) or not isinstance(data.get("event"), str):
        return None
    raw_args = data.get("args")
    if raw_args is None:
        raw_args = []
    elif not isinstance(raw_args, list):
        raw_args = [raw_args]
    args = tuple("" if value is None else value if isinstance(value, str) else json.dumps(value) for value in raw_args)
    return ConsoleMessage(data["event"], args)


def strip_ansi(text: str) -> str:
    return _ANSI.sub("", text)


def split_lines(text: str) -> list[str]:
    """One console event may carry embedded line breaks (Wings turns " \\r" into CRLF)."""
    return _LINE_BREAK.split(text)


def error_reason(text: str) -> str:
    """The reason of a `jwt error`/`daemon error` without Wings' "Error Event [id]: " prefix."""
    return _ERROR_PREFIX.sub("", text)


def is_refresh_reason(text: str) -> bool:
    """A jwt error that a fresh token fixes: expiry, or issued before a Wings restart (denylist)."""
    return "exp claim is invalid" in text or "denylist" in text


def jwt_claims(token: str) -> dict[str, t.Any]:
    """The payload of a JWT, NOT verified (only to read its permissions); {} when unreadable."""
    parts = token.split(".")
    if len(parts) != 3:
        return {}
    try:
        payload = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
    except (ValueError, TypeError):
        return {}
    return payload if isinstance(payload, dict) else {}


def has_permission(permissions: t.Any, permission: str) -> bool:
    """Wings' rule: "*" grants everything except admin.* permissions."""
    if not isinstance(permissions, list):
        return False
    return permission in permissions or ("*" in permissions and not permission.startswith("admin."))


def origin_from_url(url: str) -> str:
    """scheme://host[:port] of a URL, the form Wings compares the Origin header with."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{host}{port}"


def origin_candidates(origin: str, given: bool) -> list[str]:
    """The Origin headers to try, in order.

    Wings compares the Origin with the panel URL exactly as the panel wrote it into Wings' `remote`: Pterodactyl
    writes it without a trailing slash, Pelican writes its APP_URL verbatim, so a Pelican APP_URL configured with a
    trailing slash needs the slash in the Origin too. An origin the user set is sent as given, and only that.
    """
    if given or origin.endswith("/"):
        return [origin]
    return [origin, f"{origin}/"]


def origins_refused(origins: list[str]) -> str:
    """The refusal in words: "Origin 'a' is not allowed" or "neither Origin 'a' nor 'a/' is allowed"."""
    if len(origins) == 1:
        return f"Origin {origins[0]!r} is not allowed"
    return f"neither Origin {origins[0]!r} nor {origins[1]!r} is allowed"


def missing_identity(claims: dict[str, t.Any]) -> list[str] | None:
    """The identity claims Pelican Wings needs that the token lacks; None when the token could not be read."""
    if not claims:
        return None
    return [name for name in IDENTITY_CLAIMS if not claims.get(name)]


def close_details(data: bytes) -> tuple[int, str]:
    """(code, reason) of a close frame payload; 1005 when the frame has no code."""
    if len(data) < 2:
        return 1005, ""
    return struct.unpack("!H", data[:2])[0], data[2:].decode("utf-8", errors="replace")


# --- the protocol state machine (no socket) ---------------------------------------------------------------------

PHASE_NEW = "new"
PHASE_AUTHENTICATING = "authenticating"
PHASE_READY = "ready"
PHASE_CLOSED = "closed"

ACTION_REFRESH = "refresh"


class ConsoleProtocol:
    """What a console client knows, updated from Wings' events.

    `handle()` returns the actions the transport must take (currently only ACTION_REFRESH: fetch a new token and
    send `auth`) and raises ConsoleError for fatal events. Console lines queue in `pending` (bounded; the oldest
    are dropped and counted in `dropped`).
    """

    def __init__(self, server: str, max_lines: int = DEFAULT_MAX_LINES) -> None:
        self.server = server
        self.phase = PHASE_NEW
        self.status: str | None = None
        self.status_history: list[str] = []
        self.pending: collections.deque[str] = collections.deque(maxlen=max(1, max_lines))
        self.dropped = 0
        self.lines_received = 0
        self.last_stats: dict[str, t.Any] | None = None
        self.refresh_pending = False
        self.refreshes = 0
        self.auth_refreshes = 0  # refreshes done before the first auth success
        self.reauth_failures = 0  # re-auths in a row refused for expiry (e.g. a clock far off)
        self.lost_events = 0  # events Wings replaced with `jwt error` (token invalid at send time)
        self.console_throttled = False  # Wings dropped lines ("outputting console data too quickly")
        self.throttled: list[str] = []  # names from `throttled` events (inbound messages dropped)
        self.daemon_errors: list[str] = []
        self.daemon_messages: list[str] = []
        self.feature_matches: list[dict[str, str]] = []  # Pelican: egg feature patterns a console line matched
        # What the session read from the current token (None: unknown), to explain a "missing connect permission".
        self.token_has_scope: bool | None = None
        self.token_can_connect: bool | None = None
        self.token_missing_identity: list[str] | None = None
        # "pelican" when the panel is known to be Pelican (its messages name Pelican's releases), else None.
        self.panel_flavour: str | None = None

    def start_auth(self) -> None:
        if self.phase == PHASE_NEW:
            self.phase = PHASE_AUTHENTICATING

    def partial(self) -> list[str]:
        return [strip_ansi(line) for line in self.pending]

    def _fail(self, kind: str, message: str, **details: t.Any) -> t.NoReturn:
        self.phase = PHASE_CLOSED
        raise ConsoleError(kind, message, lines=self.partial(), details=details or None)

    def handle(self, message: ConsoleMessage) -> list[str]:
        event = message.event
        if event == "auth success":
            self.phase = PHASE_READY
            self.refresh_pending = False
            self.reauth_failures = 0
            return []
        if event == "status":
            if message.arg:
                self.status = message.arg
                self.status_history.append(message.arg)
            return []
        if event == "console output":
            for line in split_lines(message.arg):
                if len(self.pending) == self.pending.maxlen:
                    self.dropped += 1
                self.pending.append(line)
                self.lines_received += 1
                if THROTTLE_MARKER in line:
                    self.console_throttled = True
            return []
        if event == "stats":
            try:
                stats = json.loads(message.arg)
            except ValueError:
                return []
            if isinstance(stats, dict):
                self.last_stats = stats
            return []
        if event in ("token expiring", "token expired"):
            return self._want_refresh()
        if event == "jwt error":
            return self._jwt_error(message.arg)
        if event == "daemon error":
            if self.phase != PHASE_READY:
                self._fail(
                    KIND_DAEMON, f"Wings refused the websocket authentication for server {self.server}: {message.arg}"
                )
            self.daemon_errors.append(message.arg)
            return []
        if event == "throttled":
            self.throttled.append(message.arg)
            return []
        if event == "daemon message":
            self.daemon_messages.append(message.arg)
            return []
        if event == "feature match":
            return self._feature_match(message.arg)
        if event == "deleted":
            self._fail(KIND_DELETED, f"server {self.server} was deleted during the console session")
        return []  # stats noise, install output, unknown events

    def _feature_match(self, text: str) -> list[str]:
        """Pelican Wings: a console line matched a pattern of one of the egg's features (a EULA prompt, a Java
        version error); the argument is a JSON object {key, pattern, line}."""
        try:
            data = json.loads(text)
        except ValueError:
            return []
        if isinstance(data, dict) and len(self.feature_matches) < MAX_FEATURE_MATCHES:
            match = {name: str(data.get(name) or "") for name in ("key", "pattern", "line")}
            match["line"] = strip_ansi(match["line"])
            self.feature_matches.append(match)
        return []

    def _want_refresh(self) -> list[str]:
        if self.refresh_pending:
            return []
        self.refresh_pending = True
        return [ACTION_REFRESH]

    def _jwt_error(self, text: str) -> list[str]:
        reason = error_reason(text)
        from_auth = reason != text  # prefixed: the answer to an `auth` we sent
        if MISSING_CONNECT in reason:
            self._refuse_connect(reason)
        if "denylist" in reason and self.token_missing_identity:
            self._refuse_identity(reason)
        if self.phase != PHASE_READY:
            if "no jwt present" in reason:
                return []  # an answer to something sent before auth; harmless
            if is_refresh_reason(reason) and self.auth_refreshes < 1:
                self.auth_refreshes += 1
                self.refresh_pending = False
                return self._want_refresh()
            self._fail(
                KIND_JWT, f"Wings rejected the websocket token for server {self.server}: {reason}", reason=reason
            )
        if is_refresh_reason(reason):
            if not from_auth:
                self.lost_events += 1  # an event was replaced by this error
            if from_auth:
                self.reauth_failures += 1
                if self.reauth_failures > MAX_REFRESH_FAILURES:
                    self._fail(
                        KIND_REFRESH,
                        f"Wings keeps refusing renewed tokens for server {self.server}: {reason}",
                        reason=reason,
                    )
                self.refresh_pending = False  # our re-auth failed: allow another attempt
            return self._want_refresh()
        self._fail(KIND_JWT, f"Wings rejected the websocket token for server {self.server}: {reason}", reason=reason)

    def _refuse_connect(self, reason: str) -> t.NoReturn:
        """Wings says "missing connect permission": a token without `scope` (old panel, new Wings) or a user without
        websocket.connect. Neither is fixed by a new token, so neither is retried."""
        # The permission first: Wings of every version says the same when websocket.connect is missing, and a token
        # from a panel before 1.12.3 never has a scope.
        if self.token_can_connect is False:
            self._fail(
                KIND_PERMISSION,
                f"Wings refused the websocket token of server {self.server} ({reason}): the key's user lacks the "
                "websocket.connect permission on it. Check the subuser's permissions (ptero.panel.subuser); "
                "not retried.",
                reason=reason,
            )
        if self.token_has_scope is False and self.panel_flavour == PELICAN:
            self._fail(
                KIND_MISSING_SCOPE,
                f"Wings refused the websocket token of server {self.server} ({reason}): the token has no `scope` "
                f"claim for websockets. Pelican's Wings require one from beta26 on, and Pelican panels issue it from "
                f"{MIN_PELICAN} on (the first release ptero.panel supports). Upgrade the panel; not retried.",
                reason=reason,
            )
        if self.token_has_scope is False:
            self._fail(
                KIND_MISSING_SCOPE,
                f"Wings refused the websocket token of server {self.server} ({reason}): the token has no `scope` "
                "claim for websockets. Wings 1.12.2 and later require one, and the panel issues it only from 1.12.3 "
                "on. Upgrade the panel to 1.12.3 or later (or keep this node's Wings below 1.12.2 until then); not "
                "retried.",
                reason=reason,
            )
        self._fail(
            KIND_JWT,
            f"Wings rejected the websocket token for server {self.server}: {reason} (the token "
            "lacks a `scope` claim Wings >= 1.12.2 needs, from a panel >= 1.12.3, or the user lacks "
            "websocket.connect)",
            reason=reason,
        )

    def _refuse_identity(self, reason: str) -> t.NoReturn:
        """Pelican Wings (beta27+) calls a token without user_uuid or server_uuid "created too far in past": every
        token of this panel lacks them, so a new one would be refused the same way."""
        missing = " and ".join(self.token_missing_identity or [])
        self._fail(
            KIND_MISSING_IDENTITY,
            f"Wings refused the websocket token of server {self.server} ({reason}): the token has no {missing} "
            "claim, which Pelican Wings (beta27 and later) requires. The panel that issued it does not write that "
            "claim (a panel older than this Wings, or something between the panel and this task rewrote the token); "
            "upgrade the panel to match Wings; not retried.",
            reason=reason,
            missing_claims=list(self.token_missing_identity or []),
        )

    def handle_close(self, code: int, reason: str) -> t.NoReturn:
        """The socket closed (code 1006 for a drop): always fatal for a session."""
        if code == CLOSE_SUSPENDED:
            self._fail(
                KIND_SUSPENDED, f"server {self.server} is suspended (websocket closed with 4409)", close_code=code
            )
        if code == CLOSE_GOING_AWAY and "deleted" in reason:
            self._fail(KIND_DELETED, f"server {self.server} was deleted (websocket closed with 1001)", close_code=code)
        if code == CLOSE_TOO_BIG:
            self._fail(
                KIND_TOO_LARGE, "Wings closed the websocket because a message was too large (1009)", close_code=code
            )
        text = f" ({reason})" if reason else ""
        if self.phase == PHASE_READY and code not in (CLOSE_ABNORMAL, CLOSE_GOING_AWAY):
            # Panel 1.12+ asks Wings to deauthorize a user (POST /api/deauthorize-user), and Wings just closes that
            # user's sockets, with no jwt error first. A new token would carry the new access, or none at all.
            self._fail(
                KIND_DEAUTHORIZED,
                f"Wings closed the console of server {self.server} (close code {code}{text}): the key's user "
                "lost or changed access to the server (subuser permissions changed or removed, owner changed, "
                "or password changed). Check that user's access (ptero.panel.subuser_info) and run the task "
                "again; not retried.",
                close_code=code,
            )
        self._fail(
            KIND_CLOSED,
            f"the websocket of server {self.server} closed unexpectedly with code {code}{text}",
            close_code=code,
        )


# --- results ----------------------------------------------------------------------------------------------------


@dataclass
class ConsoleResult:
    lines: list[str] = field(default_factory=list)  # ANSI stripped, one entry per line
    raw_lines: list[str] | None = None  # as received (escapes kept), when asked for
    matched: bool = False
    match: str | None = None  # the line that matched `wait_for`
    stop_reason: str = ""  # "match", "idle", "timeout" or "offline"
    dropped: int = 0  # lines not kept because of the line bound
    lost_events: int = 0  # events Wings replaced by jwt errors while the token was invalid
    refreshed: int = 0  # token renewals during the session so far
    throttled: bool = False  # Wings dropped console lines or inbound messages: output may be incomplete
    status: str | None = None
    statuses: list[str] = field(default_factory=list)  # status changes seen during collection
    elapsed: float = 0.0

    def to_dict(self) -> dict[str, t.Any]:
        data = {name: getattr(self, name) for name in self.__dataclass_fields__}
        if self.raw_lines is None:
            data.pop("raw_lines")
        return data


class _Bucket:
    """Client-side pacing mirroring Wings' command limiter, so commands are not silently throttled."""

    def __init__(self, refill_seconds: float, burst: int) -> None:
        self.refill_seconds = refill_seconds
        self.burst = burst
        self.tokens = float(burst)
        self.updated = time.monotonic()

    def wait_time(self) -> float:
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.updated) / self.refill_seconds)
        self.updated = now
        return 0.0 if self.tokens >= 1 else (1 - self.tokens) * self.refill_seconds

    def take(self) -> None:
        self.tokens -= 1


# --- the session ------------------------------------------------------------------------------------------------


def command_problem(command: t.Any) -> tuple[str, str] | None:
    """(kind, what is wrong) when Wings would not take `command` as one console command, else None.
    The text reads after a subject: "the console command is empty"."""
    if not isinstance(command, str) or not command.strip():
        return KIND_INVALID, "is empty"
    if "\n" in command or "\r" in command:
        return KIND_INVALID, "contains a line break; send each line as its own command"
    if len(encode_message("send command", [command]).encode()) > MAX_COMMAND_BYTES:
        return KIND_TOO_LARGE, f"is longer than Wings accepts ({MAX_COMMAND_BYTES} bytes with its envelope)"
    return None


class ConsoleClient:
    """The panel client as console sessions see it.

    Websocket credentials are fetched once per server and reused by every session of the task run until a session
    asks to renew them (Wings announced the token's expiry). Each token is added to `no_log_values` (pass the
    module's), so Ansible masks it should it ever reach a result, a warning or a log.
    """

    def __init__(self, client: t.Any, no_log_values: set[str] | None = None) -> None:
        self.client = client
        self.base_url = getattr(client, "base_url", "") or ""
        self.no_log_values: set[str] = no_log_values if no_log_values is not None else set()
        self.tokens_fetched = 0
        self.accepted_origin: str | None = None  # the default Origin Wings took (with or without a trailing slash)
        self._credentials: dict[str, t.Any] = {}

    @classmethod
    def for_module(cls, module: t.Any) -> ConsoleClient:
        """The module's one ConsoleClient (made on first use), so every session of the task shares its tokens."""
        shared = getattr(module, "_ptero_console_client", None)
        if shared is None:
            shared = cls(module.client, module.no_log_values)
            module._ptero_console_client = shared
        return shared

    def call(self, operation: str, path_params: dict[str, t.Any] | None = None, **kwargs: t.Any) -> t.Any:
        """The panel client's call(); websocket credentials come from the cache (see `credentials`)."""
        if operation == OPERATION_CREDENTIALS and not kwargs and path_params and "server" in path_params:
            return self.credentials(str(path_params["server"]))
        return self.client.call(operation, path_params, **kwargs)

    def credentials(self, server: str, renew: bool = False) -> t.Any:
        """The panel's websocket answer for `server`; the cached one unless `renew`. PanelError propagates."""
        if not renew and server in self._credentials:
            return self._credentials[server]
        data = self.client.call(OPERATION_CREDENTIALS, {"server": server})
        self.tokens_fetched += 1
        if isinstance(data, dict) and data.get("token"):
            self.no_log_values.add(str(data["token"]))
            self._credentials[server] = data
        return data


class _Collected:
    """The lines one `ConsoleSession.collect()` call keeps: the latest `max_lines`, and a count of the others."""

    def __init__(self, max_lines: int, raw: bool, status_mark: int) -> None:
        self.kept: collections.deque[tuple[str, str]] = collections.deque(maxlen=max(1, max_lines))
        self.dropped = 0
        self.raw = raw
        #: Where in the session's status history this collection started.
        self.status_mark = status_mark
        self.started = time.monotonic()
        self.last_line_at = self.started

    def add(self, raw_line: str) -> str:
        """Keep one line (dropping the oldest when full); returns it without ANSI codes."""
        line = strip_ansi(raw_line)
        if len(self.kept) == self.kept.maxlen:
            self.dropped += 1
        self.kept.append((line, raw_line))
        self.last_line_at = time.monotonic()
        return line

    def lines(self) -> list[str]:
        return [line for line, _raw in self.kept]


class ConsoleSession:
    """A console session on one server. Use as a context manager or call connect()/close().

    `server` is the short identifier or the UUID. `origin` defaults to the panel URL's scheme://host[:port].
    `timeout` bounds connecting and authenticating (and each socket operation).
    """

    def __init__(
        self,
        client: t.Any,
        server: str,
        *,
        origin: str | None = None,
        validate_certs: bool = True,
        ca_path: str | None = None,
        timeout: float = 30.0,
        max_lines: int = DEFAULT_MAX_LINES,
        ping_interval: float = DEFAULT_PING_INTERVAL,
    ) -> None:
        # Any panel client works; a shared ConsoleClient makes sessions of one task reuse one token per server.
        self.client = client if isinstance(client, ConsoleClient) else ConsoleClient(client)
        self.server = server
        # The Origin Wings accepted for an earlier session of this task, so the next one needs no second handshake.
        self.origin_given = origin is not None
        self.origin = origin or self.client.accepted_origin or origin_from_url(self.client.base_url)
        self.validate_certs = validate_certs
        self.ca_path = ca_path
        self.timeout = timeout
        self.max_lines = max_lines
        self.ping_interval = ping_interval
        self.protocol = ConsoleProtocol(server, max_lines)
        self.socket_url: str | None = None
        self.permissions: list[str] | None = None
        self.commands_sent = 0
        self._token: str | None = None
        self._ws: t.Any = None
        self._last_sent = time.monotonic()
        self._refresh_failures = 0
        self._refresh_owed = False  # a refresh failed and must be retried at _next_refresh_at
        self._next_refresh_at = 0.0
        self._status_mark = 0
        self._command_bucket = _Bucket(COMMAND_REFILL_SECONDS, COMMAND_BURST)
        self._frame_bucket = _Bucket(FRAME_REFILL_SECONDS, FRAME_BURST)

    def __repr__(self) -> str:
        return f"ConsoleSession(server={self.server!r}, status={self.status!r})"

    def __enter__(self) -> ConsoleSession:
        self.connect()
        return self

    def __exit__(self, *exc: t.Any) -> None:
        self.close()

    @property
    def status(self) -> str | None:
        return self.protocol.status

    @property
    def refreshes(self) -> int:
        return self.protocol.refreshes

    def can(self, permission: str) -> bool:
        """Whether the token grants `permission` (True when the token could not be read)."""
        return self.permissions is None or has_permission(self.permissions, permission)

    # credentials -------------------------------------------------------------------------------------------------
    def _fetch_credentials(self, renew: bool = False) -> dict[str, str]:
        try:
            data = self.client.credentials(self.server, renew=renew)
        except PanelError as error:
            kind = {401: KIND_AUTH, 403: KIND_AUTH, 404: KIND_NOT_FOUND, 409: KIND_CONFLICT}.get(
                error.status or 0, KIND_PANEL
            )
            raise ConsoleError(
                kind,
                f"could not get websocket credentials for server {self.server}: {error}",
                lines=self.protocol.partial(),
                status=error.status,
                details={"retry_after": error.retry_after},
            ) from None
        if not isinstance(data, dict) or not data.get("token") or not data.get("socket"):
            raise ConsoleError(KIND_PANEL, f"the panel returned no websocket credentials for server {self.server}")
        token = str(data["token"])
        claims = jwt_claims(token)
        permissions = claims.get("permissions")
        self.permissions = [str(p) for p in permissions] if isinstance(permissions, list) else None
        if claims:
            scope = claims.get("scope")
            self.protocol.token_has_scope = isinstance(scope, str) and "websocket" in scope.split()
            self.protocol.token_can_connect = self.permissions is None or has_permission(
                self.permissions, "websocket.connect"
            )
        self.protocol.token_missing_identity = missing_identity(claims)
        self.protocol.panel_flavour = getattr(getattr(self.client, "client", None), "known_flavour", None)
        return {"token": token, "socket": str(data["socket"])}

    # connection --------------------------------------------------------------------------------------------------
    def connect(self) -> ConsoleSession:
        """Get a token, open the socket, authenticate and wait for the server status."""
        if not HAS_WEBSOCKET:
            raise ConsoleError(KIND_CONNECT, "the websocket-client Python library is required for console sessions")
        credentials = self._fetch_credentials()
        self._token = credentials["token"]
        self.socket_url = credentials["socket"]
        self._open(self.socket_url)
        try:
            self._authenticate()
        except ConsoleError:
            self.close()  # __exit__ does not run when __enter__ fails
            raise
        self._status_mark = len(self.protocol.status_history)
        return self

    def _authenticate(self) -> None:
        self.protocol.start_auth()
        self._send_frame(encode_message("auth", [t.cast(str, self._token)]))
        deadline = time.monotonic() + self.timeout
        while self.protocol.phase != PHASE_READY or self.protocol.status is None:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                waiting_for = "auth success" if self.protocol.phase != PHASE_READY else "the server status"
                raise ConsoleError(
                    KIND_TIMEOUT, f"no {waiting_for} from Wings for server {self.server} within {self.timeout:g}s"
                )
            self._pump(remaining)

    def _sslopt(self) -> dict[str, t.Any]:
        if not self.validate_certs:
            return {"cert_reqs": ssl.CERT_NONE, "check_hostname": False}
        if self.ca_path:
            return {"cert_reqs": ssl.CERT_REQUIRED, "ca_certs": self.ca_path}
        return {}

    def _open(self, url: str) -> None:
        """Open the socket; a 403 on the default Origin is retried once with a trailing slash (origin_candidates)."""
        candidates = origin_candidates(self.origin, self.origin_given)
        for attempt, origin in enumerate(candidates, start=1):
            try:
                self._ws = self._handshake(url, origin)
            except websocket.WebSocketBadStatusException as error:
                if getattr(error, "status_code", None) == 403 and attempt < len(candidates):
                    continue
                raise self._handshake_error(error, candidates[:attempt]) from None
            self.origin = origin
            if not self.origin_given:
                self.client.accepted_origin = origin
            self._last_sent = time.monotonic()
            return

    def _handshake(self, url: str, origin: str) -> t.Any:
        """A connected websocket.WebSocket; a refused handshake raises WebSocketBadStatusException, the rest
        ConsoleError."""
        ws = websocket.WebSocket(sslopt=self._sslopt(), skip_utf8_validation=True)
        try:
            ws.connect(url, origin=origin, timeout=self.timeout)
        except websocket.WebSocketBadStatusException:
            raise
        except ssl.SSLError as error:
            raise ConsoleError(
                KIND_TLS,
                f"TLS failure connecting to the websocket of server {self.server} "
                f"({url}): {error}. Check validate_certs/ca_path.",
            ) from None
        except websocket.WebSocketTimeoutException:
            raise ConsoleError(
                KIND_TIMEOUT, f"timed out connecting to the websocket of server {self.server} ({url})"
            ) from None
        except (OSError, websocket.WebSocketException) as error:
            raise ConsoleError(
                KIND_CONNECT, f"cannot connect to the websocket of server {self.server} ({url}): {error}"
            ) from None
        return ws

    def _handshake_error(self, error: t.Any, origins: list[str]) -> ConsoleError:
        status = getattr(error, "status_code", None)
        body = getattr(error, "resp_body", None) or b""
        if isinstance(body, bytes):
            body = body.decode("utf-8", errors="replace")
        body = str(body).strip()[:300]
        if status == 403:
            return ConsoleError(
                KIND_ORIGIN,
                f"Wings refused the websocket handshake for server {self.server} with 403 Forbidden: "
                f"{origins_refused(origins)}. Set origin to the panel URL exactly as Wings has it (its remote "
                "setting; on Pelican the panel's APP_URL, trailing slash included), or add it to Wings' "
                "allowed_origins.",
                status=status,
                details={"origins_tried": list(origins)},
            )
        if status == 404:
            return ConsoleError(
                KIND_NOT_FOUND, f"Wings does not know server {self.server} (404 on the websocket)", status=status
            )
        return ConsoleError(
            KIND_REJECTED,
            f"Wings refused the websocket handshake for server {self.server} with HTTP {status}: {body}",
            status=status,
        )

    def close(self) -> None:
        ws, self._ws = self._ws, None
        self.protocol.phase = PHASE_CLOSED
        if ws is not None:
            try:
                ws.close(status=CLOSE_NORMAL, timeout=1.0)
            except (OSError, websocket.WebSocketException):
                ws.shutdown()

    # frames ------------------------------------------------------------------------------------------------------
    def _send_frame(self, text: str) -> None:
        if self._ws is None:
            raise ConsoleError(
                KIND_CLOSED,
                f"the console session of server {self.server} is not connected",
                lines=self.protocol.partial(),
            )
        try:
            self._ws.send(text)
        except (OSError, websocket.WebSocketException):
            self._ws = None
            self.protocol.handle_close(CLOSE_ABNORMAL, "connection lost while sending")
        self._last_sent = time.monotonic()
        self._frame_bucket.wait_time()
        self._frame_bucket.take()  # every frame counts against Wings' per-connection bucket

    def _pump(self, wait: float) -> bool:
        """Read and handle at most one frame within `wait` seconds; False when nothing arrived."""
        if self._ws is None:
            raise ConsoleError(
                KIND_CLOSED,
                f"the console session of server {self.server} is not connected",
                lines=self.protocol.partial(),
            )
        now = time.monotonic()
        if self._refresh_owed and now >= self._next_refresh_at:
            self._refresh()
        if now - self._last_sent >= self.ping_interval:
            # Wings never pings; proxies in front of it cut idle sockets.
            try:
                self._ws.ping()
            except (OSError, websocket.WebSocketException):
                self._ws = None
                self.protocol.handle_close(CLOSE_ABNORMAL, "connection lost")
            self._last_sent = now
        wait = max(0.0, min(wait, self._last_sent + self.ping_interval - now))
        if self._refresh_owed:
            wait = min(wait, max(0.0, self._next_refresh_at - now))
        self._ws.settimeout(max(wait, 0.001))
        try:
            opcode, data = self._ws.recv_data(control_frame=True)
        except websocket.WebSocketTimeoutException:
            return False
        except (OSError, websocket.WebSocketException):
            self._ws = None
            self.protocol.handle_close(CLOSE_ABNORMAL, "connection lost")
        if opcode == websocket.ABNF.OPCODE_CLOSE:
            self._ws = None
            code, reason = close_details(data)
            self.protocol.handle_close(code, reason)
        if opcode not in (websocket.ABNF.OPCODE_TEXT, websocket.ABNF.OPCODE_BINARY):
            return True
        message = parse_message(data)
        if message is None:
            return True
        for action in self.protocol.handle(message):
            if action == ACTION_REFRESH:
                self._refresh()
        return True

    def _refresh(self) -> None:
        """Fetch a new token and authenticate again on the same socket; failures are retried with back-off."""
        try:
            credentials = self._fetch_credentials(renew=True)
        except ConsoleError as error:
            self._refresh_failures += 1
            self._refresh_owed = True
            if self._refresh_failures >= MAX_REFRESH_FAILURES:
                raise ConsoleError(
                    KIND_REFRESH,
                    f"could not renew the websocket token of server {self.server}: {error.message}",
                    lines=self.protocol.partial(),
                    status=error.status,
                ) from None
            backoff = error.details.get("retry_after") or REFRESH_BACKOFF_SECONDS * self._refresh_failures
            self._next_refresh_at = time.monotonic() + float(backoff)
            return
        self._refresh_failures = 0
        self._refresh_owed = False
        self._token = credentials["token"]
        self.protocol.refreshes += 1
        self._send_frame(encode_message("auth", [self._token]))

    # commands ----------------------------------------------------------------------------------------------------
    def send(self, command: str, *, require_running: bool = True) -> None:
        """Send one console command. Lines received before it are discarded, so collect() sees only its output."""
        problem = command_problem(command)
        if problem is not None:
            raise ConsoleError(problem[0], f"the console command {problem[1]}")
        if not self.can(PERMISSION_CONSOLE):
            raise ConsoleError(
                KIND_PERMISSION,
                f"the API key's user lacks control.console on server {self.server}: "
                "Wings would silently ignore the command",
            )
        if require_running and self.status != "running":
            raise ConsoleError(
                KIND_OFFLINE,
                f"server {self.server} is {self.status or 'in an unknown state'}, not "
                "running: Wings would silently drop the command",
            )
        self._pace()
        self._drain()
        self.protocol.pending.clear()
        self.protocol.dropped = 0
        self.protocol.lost_events = 0
        self._status_mark = len(self.protocol.status_history)
        self._send_frame(encode_message("send command", [command]))
        self.commands_sent += 1

    def power(self, signal: str) -> None:
        """Send a power action over the socket (`set state`)."""
        permission = POWER_PERMISSIONS.get(signal)
        if permission is None:
            raise ConsoleError(KIND_INVALID, f"unknown power signal {signal!r}")
        if not self.can(permission):
            raise ConsoleError(KIND_PERMISSION, f"the API key's user lacks {permission} on server {self.server}")
        self._pace(command=False)
        self._send_frame(encode_message("set state", [signal]))

    def request(self, event: str) -> None:
        """Ask Wings to replay recent console lines (`send logs`) or to report statistics now (`send stats`);
        the answer arrives as events that `collect()` / `pump()` handle."""
        if event not in ("send logs", "send stats"):
            raise ConsoleError(KIND_INVALID, f"unknown request event {event!r}")
        self._pace(command=False)
        self._send_frame(encode_message(event))

    def pump(self, wait: float) -> bool:
        """Read and handle at most one frame within `wait` seconds; False when nothing arrived."""
        return self._pump(wait)

    def _drain(self, limit: int = 10000) -> None:
        """Handle the frames that already arrived, so output that predates a command is not taken as its output."""
        for _attempt in range(limit):
            if not self._pump(0.0):
                return

    def _pace(self, command: bool = True) -> None:
        """Wait (reading events meanwhile) until Wings' limiters would accept one more frame."""
        buckets = [self._frame_bucket] + ([self._command_bucket] if command else [])
        for _attempt in range(1000):
            wait = max(bucket.wait_time() for bucket in buckets)
            if wait <= 0:
                break
            deadline = time.monotonic() + wait
            while (remaining := deadline - time.monotonic()) > 0:
                self._pump(remaining)  # keep reading (and refreshing) while waiting for the limiter
        if command:
            self._command_bucket.take()

    # collecting --------------------------------------------------------------------------------------------------
    def collect(
        self,
        wait_for: str | t.Pattern[str] | None = None,
        timeout: float = 10.0,
        settle: float | None = 1.0,
        *,
        raw: bool = False,
        stop_on_offline: bool = True,
    ) -> ConsoleResult:
        """Collect console lines until one matches `wait_for`, or (without `wait_for`) until `settle` seconds pass
        with no new line, or until `timeout`. Without a match before `timeout`, raises ConsoleError(KIND_TIMEOUT)
        carrying the lines seen. When the server goes offline during collection, collection stops (an error if
        `wait_for` never matched). At most `max_lines` lines are kept (the latest); `dropped` counts the rest.
        """
        try:
            pattern = re.compile(wait_for) if isinstance(wait_for, str) else wait_for
        except re.error as error:
            raise ConsoleError(KIND_INVALID, f"invalid wait_for regular expression: {error}") from None
        collected = _Collected(self.max_lines, raw, self._status_mark)
        deadline = collected.started + timeout
        while True:
            while self.protocol.pending:
                line = collected.add(self.protocol.pending.popleft())
                if pattern is not None and pattern.search(line):
                    return self._finish(collected, "match", line)
            now = time.monotonic()
            status_mark = collected.status_mark
            if stop_on_offline and "offline" in self.protocol.status_history[status_mark:]:
                if pattern is None:
                    return self._finish(collected, "offline")
                self._status_mark = len(self.protocol.status_history)
                raise ConsoleError(
                    KIND_OFFLINE,
                    f"server {self.server} went offline before a console line matched {pattern.pattern!r}",
                    lines=collected.lines(),
                )
            if now >= deadline:
                if pattern is None:
                    return self._finish(collected, "timeout")
                raise ConsoleError(
                    KIND_TIMEOUT,
                    f"no console line of server {self.server} matched {pattern.pattern!r} within {timeout:g}s",
                    lines=collected.lines(),
                    details={"lost_events": self.protocol.lost_events},
                )
            wait = deadline - now
            if pattern is None and settle is not None:
                if now - collected.last_line_at >= settle:
                    return self._finish(collected, "idle")
                wait = min(wait, collected.last_line_at + settle - now)
            try:
                self._pump(wait)
            except ConsoleError as error:
                error.lines = collected.lines() + error.lines
                raise

    def _finish(self, collected: _Collected, reason: str, matched_line: str | None = None) -> ConsoleResult:
        """The result of one collect() call; the statuses seen so far are not reported again by the next call."""
        result = ConsoleResult()
        result.lines = collected.lines()
        result.raw_lines = [raw_line for _line, raw_line in collected.kept] if collected.raw else None
        result.matched = matched_line is not None
        result.match = matched_line
        result.stop_reason = reason
        result.dropped = collected.dropped + self.protocol.dropped
        result.lost_events = self.protocol.lost_events
        result.refreshed = self.protocol.refreshes
        result.throttled = self.protocol.console_throttled or any(
            name in ("send command", "global") for name in self.protocol.throttled
        )
        result.status = self.status
        status_mark = collected.status_mark
        result.statuses = self.protocol.status_history[status_mark:]
        result.elapsed = round(time.monotonic() - collected.started, 3)
        self._status_mark = len(self.protocol.status_history)
        return result

    def wait_for_status(self, states: t.Iterable[str], timeout: float) -> str:
        """Read events until the server status is one of `states`; returns it or raises KIND_TIMEOUT."""
        wanted = set(states)
        deadline = time.monotonic() + timeout
        while self.status not in wanted:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise ConsoleError(
                    KIND_TIMEOUT,
                    f"server {self.server} did not reach {' or '.join(sorted(wanted))} "
                    f"within {timeout:g}s (status: {self.status})",
                    lines=self.protocol.partial(),
                )
            self._pump(remaining)
        return self.status
