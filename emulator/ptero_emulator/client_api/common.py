"""What the client API controllers share besides the route context (``context.py``): the route table, the
panel's messages, the per-State runtime (file trees, resources cache), the Wings error wrapping, route throttles,
deauthorization on Wings and small value helpers."""

from __future__ import annotations

import hashlib
import re
import secrets
import uuid as uuid_module
import weakref
from typing import Any

from aiohttp import web

from .. import http
from ..files import FileStore, ServerFiles
from ..http import ApiError
from ..state import ALPHANUMERIC, State

routes = web.RouteTableDef()
PREFIX = "/api/client"


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
PERMISSION_DENIED = "You do not have permission to perform this action."


class ClientRuntime:
    """Per-State data that is not a panel table: file trees and the 20 s resources cache.

    It is rebuilt whenever the State's tables are replaced (reset / load), so stale trees never survive a reset.
    """

    def __init__(self, state: State) -> None:
        self.tables_ref = state.tables
        self.files = FileStore(clock=state.time)
        self.resources_cache: dict[str, tuple[float, dict[str, Any]]] = {}


_RUNTIMES: weakref.WeakKeyDictionary[State, ClientRuntime] = weakref.WeakKeyDictionary()


def runtime(state: State) -> ClientRuntime:
    """The State's runtime data, rebuilt when its tables were replaced."""
    current = _RUNTIMES.get(state)
    if current is None or current.tables_ref is not state.tables:
        current = _RUNTIMES[state] = ClientRuntime(state)
    return current


def files_for(state: State, server: dict[str, Any]) -> ServerFiles:
    return runtime(state).files.for_server(server["uuid"])


def extra_setting(state: State, name: str, default: Any) -> Any:
    extra = state.config.extra or {}
    return extra.get(name, default)


def page_number(raw: Any) -> int:
    """Non-integer or < 1 page values become 1, like the paginator."""
    if isinstance(raw, str) and re.fullmatch(r"[+-]?\d+", raw):
        return max(1, int(raw))
    return 1


def int_or_none(value: Any) -> int | None:
    if value is None or isinstance(value, bool):
        return None if value is None else int(value)
    try:
        return int(float(value))
    except (TypeError, ValueError):
        return None


def php_bool(value: Any) -> bool:
    return http.to_bool(value) if value is not None else False


def gravatar(email: str) -> str:
    return "https://gravatar.com/avatar/" + hashlib.md5(email.lower().encode()).hexdigest()


def new_request_id() -> str:
    return str(uuid_module.uuid4())


def daemon_error(status: int, wings_message: str | None) -> ApiError:
    """How the panel wraps an error answer of Wings (DaemonConnectionException)."""
    request_id = new_request_id()
    if status < 500:
        detail = f"An error occurred on the remote host: {wings_message}. (request id: {request_id})"
    else:
        detail = (
            "There was an error while communicating with the machine running this server. This error has been "
            f"logged, please try again. (code: {status}) (request_id: {request_id})"
        )
    return ApiError(status, "DaemonConnectionException", detail)


def require_daemon_reachable(state: State) -> None:
    if state.config.daemon_unreachable:
        raise http.daemon_unreachable()


def random_string(length: int, alphabet: str = ALPHANUMERIC) -> str:
    return "".join(secrets.choice(alphabet) for _unused in range(length))


def throttle(request: web.Request, name: str, key: str, count: int, period: float, headers: bool = True) -> None:
    """A route's own fixed-window limiter (429 ThrottleRequestsException when spent); with ``headers`` its
    X-RateLimit-* headers replace the api.client ones on the answer."""
    decision = request.app["rate_limiter"].hit(name, key, count, period)
    if headers:
        request["route_rate_decision"] = decision
    if not decision.allowed:
        raise ApiError(429, "ThrottleRequestsException", "Too Many Attempts.", headers=decision.failure_headers())


def deauthorize(app: web.Application, user: dict[str, Any], server_uuids: list[str] | None) -> None:
    """Panel 1.12+ deauthorization of a user on Wings (``None``: every server the user can reach, as after a
    password change or deletion). Nothing happens on a 1.11 panel or while Wings is unreachable (the job would
    retry later)."""
    config = app["config"]
    if config.daemon_unreachable:
        return
    if server_uuids is None and not config.has("deauthorize_on_password"):
        return
    if server_uuids is not None and not config.has("deauthorize_user"):
        return
    app["daemon"].deauthorize_user(user["uuid"], server_uuids)
