"""Fault injection: make chosen requests fail, hang, drop or trickle, so clients' error handling can be tested.

A fault is a dict posted to /_emulator/faults:
  route   regex searched in the request path (required)
  method  HTTP method or "*" (default "*")
  kind    "status" | "drop" | "latency" | "slow_body" | "429_burst"
  status  HTTP status for kind "status" (default 500)
  code, detail  override the error body for kind "status"
  when    "before" (default: the handler never runs, nothing is written) or "after" (the handler runs and its
          write is applied, then the fault replaces the response) for "status" and "drop"
  count   how many matching requests are affected (default 1; null = until cleared)
  skip    let this many matching requests through first (default 0)
  latency_ms   delay for kind "latency" (default 1000)
  chunk_size, delay_ms  body trickling for kind "slow_body" (defaults 16 bytes, 200 ms)
  retry_after  Retry-After seconds for kind "429_burst" (default 1)
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import re
import time
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from .http import GENERIC_500, ApiError, ValidationFailed

KINDS = ("status", "drop", "latency", "slow_body", "429_burst")
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

DEFAULT_ERRORS: dict[int, tuple[str, str]] = {
    400: ("BadRequestHttpException", "Bad Request"),
    401: ("AuthenticationException", "Unauthenticated."),
    403: ("AccessDeniedHttpException", "This action is unauthorized."),
    404: ("NotFoundHttpException", "The requested resource could not be found on the server."),
    409: ("ConflictHttpException", "Conflict"),
    429: ("ThrottleRequestsException", "Too Many Attempts."),
    500: ("HttpException", GENERIC_500),
    502: (
        "DaemonConnectionException",
        "There was an error while communicating with the machine running this server. This error has been "
        "logged, please try again. (code: 502) (request_id: emulator)",
    ),
    503: ("HttpException", "Service Unavailable"),
    504: (
        "DaemonConnectionException",
        "Could not establish a connection to the machine running this server. Please try again.",
    ),
}


class FaultRegistry:
    def __init__(self) -> None:
        self._faults: list[dict[str, Any]] = []
        self._ids = itertools.count(1)

    def add(self, spec: dict[str, Any]) -> dict[str, Any]:
        failures: list[tuple[str, str, str]] = []
        route = spec.get("route")
        if not isinstance(route, str) or not route:
            failures.append(("route", "required", "The route field is required."))
        else:
            try:
                re.compile(route)
            except re.error:
                failures.append(("route", "regex", "The route format is invalid."))
        kind = spec.get("kind", "status")
        if kind not in KINDS:
            failures.append(("kind", "in", "The selected kind is invalid."))
        when = spec.get("when", "before")
        if when not in ("before", "after"):
            failures.append(("when", "in", "The selected when is invalid."))
        if failures:
            raise ValidationFailed(failures)
        fault = {
            "id": next(self._ids),
            "route": route,
            "method": str(spec.get("method") or "*").upper(),
            "kind": kind,
            "status": int(spec.get("status", 500)),
            "code": spec.get("code"),
            "detail": spec.get("detail"),
            "when": when,
            "count": spec.get("count", 1),
            "skip": int(spec.get("skip", 0)),
            "latency_ms": int(spec.get("latency_ms", 1000)),
            "chunk_size": int(spec.get("chunk_size", 16)),
            "delay_ms": int(spec.get("delay_ms", 200)),
            "retry_after": int(spec.get("retry_after", 1)),
            "hits": 0,
        }
        self._faults.append(fault)
        return fault

    def list(self) -> list[dict[str, Any]]:
        return [dict(f) for f in self._faults]

    def clear(self) -> None:
        self._faults.clear()

    def take(self, method: str, path: str) -> dict[str, Any] | None:
        """The first fault matching this request that is due to fire (consuming one of its uses)."""
        for fault in self._faults:
            if fault["method"] not in ("*", method.upper()):
                continue
            if not re.search(fault["route"], path):
                continue
            if fault["skip"] > 0:
                fault["skip"] -= 1
                continue
            fault["hits"] += 1
            if fault["count"] is not None:
                fault["count"] = int(fault["count"]) - 1
                if fault["count"] <= 0:
                    self._faults.remove(fault)
            return fault
        return None


def error_for(fault: dict[str, Any]) -> ApiError:
    status = fault["status"]
    code, detail = DEFAULT_ERRORS.get(status, ("HttpException", "Injected fault"))
    return ApiError(status, fault.get("code") or code, fault.get("detail") or detail)


def _drop(request: web.Request) -> web.StreamResponse:
    transport = request.transport
    if transport is not None:
        transport.abort()
    raise asyncio.CancelledError()


async def apply_fault(fault: dict[str, Any], request: web.Request, handler: Handler) -> web.StreamResponse:
    kind = fault["kind"]
    if kind == "latency":
        await asyncio.sleep(fault["latency_ms"] / 1000)
        return await handler(request)
    if kind == "429_burst":
        reset = int(time.time()) + fault["retry_after"]
        raise ApiError(
            429,
            "ThrottleRequestsException",
            "Too Many Attempts.",
            headers={
                "Retry-After": str(fault["retry_after"]),
                "X-RateLimit-Limit": "0",
                "X-RateLimit-Remaining": "0",
                "X-RateLimit-Reset": str(reset),
            },
        )
    if kind == "slow_body":
        response = await handler(request)
        payload = response.body if isinstance(response, web.Response) and isinstance(response.body, bytes) else b""
        stream = web.StreamResponse(
            status=response.status,
            headers={
                k: v for k, v in response.headers.items() if k.lower() not in ("content-length", "transfer-encoding")
            },
        )
        stream.content_length = len(payload)
        await stream.prepare(request)
        try:
            for start in range(0, len(payload), max(1, fault["chunk_size"])):
                await stream.write(payload[start : start + fault["chunk_size"]])
                await asyncio.sleep(fault["delay_ms"] / 1000)
            await stream.write_eof()
        except ConnectionResetError:
            pass  # the client gave up waiting (that is what slow bodies are for)
        return stream
    # "status" and "drop": before or after the handler applied its write.
    if fault["when"] == "after":
        # The injected failure replaces whatever the handler answered.
        with contextlib.suppress(ApiError):
            await handler(request)
    if kind == "drop":
        return _drop(request)
    raise error_for(fault)
