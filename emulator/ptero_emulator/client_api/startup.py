"""A server's startup variables: list and update, validated by the egg variable's rules."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from .. import http
from ..http import bad_request, item, json_response, list_envelope
from ..state import State
from .context import ServerContext, server_route
from .transformers import egg_variable_attributes, render_startup, server_variables_view

_SUPPORTED_RULES = set(http.MESSAGES) | {"sometimes", "nullable", "bail"}
_UNCHECKABLE_RULES = {"exists", "unique"}


def egg_rules(rules: str | None) -> list[str]:
    """An egg variable's rule string as validator rules; rules the emulator cannot check (exists, unique, ...)
    are skipped."""
    names = _SUPPORTED_RULES - _UNCHECKABLE_RULES
    return [rule for rule in http.parse_rules(rules or "") if isinstance(rule, str) and rule.partition(":")[0] in names]


def _startup_meta(state: State, server: dict[str, Any], with_images: bool) -> dict[str, Any]:
    meta: dict[str, Any] = {"startup_command": render_startup(state, server, False)}
    if with_images:
        egg = state.get("eggs", server["egg_id"]) or {}
        meta["docker_images"] = dict(egg.get("docker_images") or {})
    meta["raw_startup_command"] = server.get("startup")
    return meta


@server_route("GET", "/startup", "startup.read")
async def list_startup(ctx: ServerContext) -> web.Response:
    variables = [
        item("egg_variable", egg_variable_attributes(variable, value))
        for variable, value in server_variables_view(ctx.state, ctx.server)
        if variable.get("user_viewable")
    ]
    return json_response(list_envelope(variables, _startup_meta(ctx.state, ctx.server, True)))


@server_route("PUT", "/startup/variable", "startup.update")
async def update_startup_variable(ctx: ServerContext) -> web.Response:
    state, server = ctx.state, ctx.server
    data = ctx.input()
    http.validate(data, {"key": "required|string", "value": "present"})
    match = [
        (variable, value)
        for variable, value in server_variables_view(state, server)
        if variable["env_variable"] == data["key"]
    ]
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
        ctx.log("server:startup.edit", {"variable": variable["env_variable"], "old": original, "new": value})
    return json_response(
        item("egg_variable", egg_variable_attributes(variable, value), meta=_startup_meta(state, server, False))
    )
