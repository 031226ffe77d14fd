"""The aiohttp application: middleware chain (404/405, auth, JSON, 2FA, IP allow-list, rate limit, key type,
faults, latency, request log) and mounting of the application, client, Wings and control routes."""

from __future__ import annotations

import asyncio
import ipaddress
import json
import re
import sys
import time
import traceback
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import web

from . import control
from .config import EmulatorConfig
from .faults import FaultRegistry, apply_fault
from .http import ApiError, bad_request, normalize_input, parse_php_pairs, parse_query, server_error
from .ratelimit import RateDecision, RateLimiter
from .state import KEY_TYPE_APPLICATION, State, parse_timestamp

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

APPLICATION_PREFIX = "/api/application"
CLIENT_PREFIX = "/api/client"
# Laravel skips TrimStrings for file routes addressed by the full 36-character uuid.
_UNTRIMMED_FILE_PATH = re.compile(r"^/api/client/servers/[0-9a-fA-F-]{36}/files")
_TWO_FACTOR_EXEMPT = {
    ("GET", "/api/client/account"),
    ("GET", "/api/client/account/two-factor"),
    ("POST", "/api/client/account/two-factor"),
    ("POST", "/api/client/account/two-factor/disable"),
}
_METHOD_ORDER = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]


def api_of(path: str) -> str | None:
    """ "application", "client" or None (control, Wings and other unauthenticated paths)."""
    if path == APPLICATION_PREFIX or path.startswith(APPLICATION_PREFIX + "/"):
        return "application"
    if path == CLIENT_PREFIX or path.startswith(CLIENT_PREFIX + "/"):
        return "client"
    return None


def wants_json(request: web.Request) -> bool:
    """Laravel's expectsJson(): the first Accept type contains /json or +json, or an XHR that accepts anything."""
    accept = request.headers.get("Accept", "")
    first = accept.split(",")[0].split(";")[0].strip().lower()
    if "/json" in first or "+json" in first:
        return True
    return request.headers.get("X-Requested-With") == "XMLHttpRequest" and first in ("*/*", "")


def _not_json_response(request: web.Request, error: ApiError) -> web.StreamResponse:
    """What the panel does for API errors when the client did not ask for JSON."""
    if error.status == 401:
        return web.Response(status=302, headers={"Location": f"{_base_url(request)}/auth/login"})
    if error.status == 422:
        return web.Response(status=302, headers={"Location": request.headers.get("Referer", _base_url(request))})
    text = f"<!DOCTYPE html><html><body><h1>{error.status}</h1><p>{error.detail}</p></body></html>"
    return web.Response(status=error.status, text=text, content_type="text/html", headers=error.headers)


def _base_url(request: web.Request) -> str:
    return f"{request.scheme}://{request.host}"


# ====================================================================== middlewares
# SetSecurityHeaders (panel 1.12.1+): on every panel response that does not set them itself.
SECURITY_HEADERS = {
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "X-XSS-Protection": "1; mode=block",
    "Referrer-Policy": "no-referrer-when-downgrade",
}
# Laravel's HandleCors with the panel's config/cors.php (APP_CORS_ALLOWED_ORIGINS unset), on the API paths.
CORS_HEADERS = {"Access-Control-Allow-Origin": "", "Access-Control-Allow-Credentials": "true"}
# Paths the emulator serves as Wings or for tests, not as the panel.
_NOT_PANEL = re.compile(r"^/(_emulator(/|$)|api/servers/|download/|upload/)")


@web.middleware
async def panel_headers_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Headers every panel response carries (errors included): Cache-Control (Symfony's default), CORS on the API,
    and from 1.12 the security headers."""
    response = await handler(request)
    if _NOT_PANEL.match(request.path) or response.prepared:
        return response
    config: EmulatorConfig = request.app["config"]
    headers: dict[str, str] = {"Cache-Control": "no-cache, private"}
    if api_of(request.path) is not None:
        headers.update(CORS_HEADERS)
    if config.has("security_headers"):
        headers.update(SECURITY_HEADERS)
    for name, value in headers.items():
        response.headers.setdefault(name, value)
    return response


@web.middleware
async def request_log_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Record method, path, query, status and timing of every API request (never bodies or headers)."""
    if request.path.startswith("/_emulator"):
        return await handler(request)
    started = time.time()
    status = 0
    try:
        response = await handler(request)
        status = response.status
        return response
    except asyncio.CancelledError:
        status = 0  # dropped connection
        raise
    except web.HTTPException as exc:
        status = exc.status
        raise
    finally:
        user = request.get("user")
        request.app["request_log"].append(
            {
                "method": request.method,
                "path": request.path,
                "query": request.query_string,
                "status": status,
                "time": started,
                "duration_ms": round((time.time() - started) * 1000, 2),
                "user_id": user["id"] if user else None,
            }
        )


@web.middleware
async def error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """404/405 for unmatched routes and rendering of ApiError / unexpected exceptions as the panel does."""
    api = api_of(request.path)
    try:
        routing_error = request.match_info.http_exception
        if routing_error is not None:
            if isinstance(routing_error, web.HTTPMethodNotAllowed):
                allowed = sorted(
                    routing_error.allowed_methods | ({"HEAD"} if "GET" in routing_error.allowed_methods else set()),
                    key=lambda m: _METHOD_ORDER.index(m) if m in _METHOD_ORDER else 99,
                )
                raise ApiError(
                    405,
                    "MethodNotAllowedHttpException",
                    f"The {request.method} method is not supported for route {request.path.lstrip('/')}. "
                    f"Supported methods: {', '.join(allowed)}.",
                )
            if isinstance(routing_error, web.HTTPNotFound):
                raise ApiError(
                    404, "NotFoundHttpException", f"The route {request.path.lstrip('/')} could not be found."
                )
        return await handler(request)
    except ApiError as error:
        if api is not None and not wants_json(request):
            return _not_json_response(request, error)
        return error.response()
    except (web.HTTPException, asyncio.CancelledError):
        raise
    except Exception as exc:
        traceback.print_exc(file=sys.stderr)
        # The panel turns every other exception into a generic 500 whose code is the exception's class name.
        unexpected = server_error(type(exc).__name__)
        if api is not None and not wants_json(request):
            return _not_json_response(request, unexpected)
        return unexpected.response()


def _client_ip(request: web.Request) -> str:
    return request.remote or "127.0.0.1"


def _ip_allowed(allowed: list[str], address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    for entry in allowed:
        try:
            if ip in ipaddress.ip_network(entry, strict=False):
                return True
        except ValueError:
            continue
    return False


async def _read_body(request: web.Request, api: str) -> None:
    """Parse the body once: JSON (400 when malformed) or form data, normalised like the panel's input middleware."""
    raw = await request.read() if request.can_read_body else b""
    request["raw_body"] = raw
    trim = not _UNTRIMMED_FILE_PATH.match(request.path)
    request["query"] = parse_query(request.rel_url.raw_query_string, trim=trim)
    content_type = request.headers.get("Content-Type", "").lower()
    data: Any = {}
    if raw and ("/json" in content_type or "+json" in content_type):
        try:
            data = json.loads(raw.decode("utf-8"))
        except (ValueError, UnicodeDecodeError):
            raise bad_request("The JSON data passed in the request appears to be malformed: Syntax error") from None
        if isinstance(data, list):
            data = {str(i): v for i, v in enumerate(data)}
        elif not isinstance(data, dict):
            data = {}
    elif raw and "application/x-www-form-urlencoded" in content_type:
        data = parse_php_pairs(parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True))
    request["body"] = normalize_input(data, trim=trim)


def _authenticate(request: web.Request, state: State) -> None:
    header = request.headers.get("Authorization", "")
    token = header[7:].strip() if header[:7].lower() == "bearer " else ""
    key = state.key_by_token(token) if token else None
    user = state.get("users", key["user_id"]) if key else None
    if key is not None and key.get("expires_at"):
        expires = parse_timestamp(key["expires_at"])
        if expires is not None and expires <= state.time():
            key = None
    if key is None or user is None:
        raise ApiError(401, "AuthenticationException", "Unauthenticated.")
    request["api_key"] = key
    request["user"] = user


def _check_two_factor(request: web.Request, config: EmulatorConfig, user: dict[str, Any]) -> None:
    """The panel-wide "require 2FA" setting also applies to API keys (not on Pelican: web UI only)."""
    required = config.two_factor_required
    covered = required == 2 or (required == 1 and user.get("root_admin"))
    if config.has("api_ignores_two_factor_requirement"):
        covered = False
    if covered and not user.get("use_totp") and (request.method, request.path.rstrip("/")) not in _TWO_FACTOR_EXEMPT:
        raise ApiError(
            400,
            "TwoFactorAuthRequiredException",
            "Two-factor authentication is required on this account in order to access this endpoint.",
        )


def _check_allowed_ips(request: web.Request, state: State, user: dict[str, Any], key: dict[str, Any]) -> None:
    """The key's allowed IPs: 403, and an auth:ip-blocked activity entry."""
    allowed_ips = key.get("allowed_ips") or []
    address = _client_ip(request)
    if allowed_ips and not _ip_allowed(allowed_ips, address):
        state.log_activity(
            "auth:ip-blocked",
            user["id"],
            properties={"identifier": key["identifier"]},
            ip=address,
            api_key_id=key["id"],
        )
        raise ApiError(
            403,
            "AccessDeniedHttpException",
            f"This IP address ({address}) does not have permission to access the API using these credentials.",
        )


def _check_key_type(request: web.Request, api: str, user: dict[str, Any], key: dict[str, Any]) -> None:
    """An application key on the client API is refused; a non-admin's key on the application API is refused by the
    routes right after route-model binding (binding runs first in the panel, so an unknown id is a 404 even for a
    non-admin)."""
    if api == "client" and key["key_type"] == KEY_TYPE_APPLICATION:
        raise ApiError(
            403,
            "AccessDeniedHttpException",
            "You are attempting to use an application API key on an endpoint that requires a client API key.",
        )
    if api == "application" and not user.get("root_admin"):
        request["application_denied"] = ApiError(
            403, "AccessDeniedHttpException", "This account does not have permission to access the API."
        )


@web.middleware
async def gate_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Authentication and everything the panel checks before route handling, in the panel's order."""
    api = api_of(request.path)
    state: State = request.app["state"]
    request["state"] = state
    if api is None:
        return await handler(request)
    config: EmulatorConfig = request.app["config"]
    _authenticate(request, state)
    await _read_body(request, api)
    user, key = request["user"], request["api_key"]

    _check_two_factor(request, config, user)
    _check_allowed_ips(request, state, user, key)

    # Route-model binding runs before the throttle: an unknown server/node/model is a 404 that costs nothing.
    probe = request.app["binding_probes"].get(api)
    if probe is not None:
        probe(request)

    limit = config.api_rate_limit(api)
    decision = request.app["rate_limiter"].hit(f"api.{api}", user["uuid"], limit, config.rate_period_seconds)
    if not decision.allowed:
        raise ApiError(429, "ThrottleRequestsException", "Too Many Attempts.", headers=decision.failure_headers())

    _check_key_type(request, api, user, key)

    key["last_used_at"] = state.now()
    try:
        response = await handler(request)
    except ApiError as error:
        for name, value in _limit_headers(request, decision).items():
            error.headers.setdefault(name, value)
        raise
    for name, value in _limit_headers(request, decision).items():
        response.headers.setdefault(name, value)
    return response


def _limit_headers(request: web.Request, api_decision: RateDecision) -> dict[str, str]:
    """X-RateLimit-* of the innermost limiter the request passed: a route's own limiter (per-server resource
    limits, the e-mail route) replaces the API's."""
    route_decision: RateDecision | None = request.get("route_rate_decision")
    return (route_decision or api_decision).success_headers()


@web.middleware
async def fault_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Injected faults and the configured base latency (everything but the control endpoints)."""
    if request.path.startswith("/_emulator"):
        return await handler(request)
    config: EmulatorConfig = request.app["config"]
    if config.latency_ms:
        await asyncio.sleep(config.latency_ms / 1000)
    fault = request.app["faults"].take(request.method, request.path)
    if fault is None:
        return await handler(request)
    return await apply_fault(fault, request, handler)


# ====================================================================== application factory
def create_app(config: EmulatorConfig, state: State | None = None) -> web.Application:
    """Build the emulator. ``state`` defaults to a new State seeded according to ``config.seed``."""
    from . import (
        application_api,
        client_api,
        pelican,
        pelican_api,
        pelican_client,  # noqa: F401 - registers DELETE /account/ssh-keys/{fingerprint} on client_api.routes
        wings,
    )
    from .seed import seed_state

    if state is None:
        state = State(config)
        seed_state(state, config.seed)
    state.config = config
    app = web.Application(
        middlewares=[
            request_log_middleware,
            panel_headers_middleware,
            error_middleware,
            pelican.route_gate_middleware,
            gate_middleware,
            fault_middleware,
        ],
        client_max_size=64 * 1024 * 1024,
    )
    app["config"] = config
    app["state"] = state
    app["rate_limiter"] = RateLimiter(clock=state.time)
    app["faults"] = FaultRegistry()
    app["request_log"] = deque(maxlen=20000)

    app["binding_probes"] = {"application": application_api.binding_probe}
    app.add_routes(control.routes)
    app.add_routes(application_api.routes)
    app.add_routes(pelican_api.routes)  # Pelican-only routes; pelican.ROUTE_GATES hides them on Pterodactyl
    app.add_routes(client_api.routes)
    app["binding_probes"]["client"] = client_api.binding_probe
    app["daemon"] = wings.Daemon(state, config)
    app.add_routes(wings.routes)

    async def on_startup(application: web.Application) -> None:
        state.attach_loop(asyncio.get_running_loop())

    async def on_shutdown(application: web.Application) -> None:
        if config.state_file:
            state.save(config.state_file)

    app.on_startup.append(on_startup)
    app.on_shutdown.append(on_shutdown)
    return app
