"""A server's startup variables: list and update, validated by the egg variable's rules."""
from __future__ import annotations

import re
from typing import Any

from aiohttp import web

from .. import http
from ..http import Check, bad_request, item, json_response, list_envelope
from ..state import State
from .context import ServerContext, server_route
from .transformers import egg_variable_attributes, render_startup, server_variables_view

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


def _startup_meta(state: State, server: dict[str, Any], with_images: bool) -> dict[str, Any]:
    meta: dict[str, Any] = {"startup_command": render_startup(state, server, False)}
    if with_images:
        egg = state.get("eggs", server["egg_id"]) or {}
        meta["docker_images"] = dict(egg.get("docker_images") or {})
    meta["raw_startup_command"] = server.get("startup")
    return meta


@server_route("GET", "/startup", "startup.read")
async def list_startup(ctx: ServerContext) -> web.Response:
    variables = [item("egg_variable", egg_variable_attributes(variable, value))
                 for variable, value in server_variables_view(ctx.state, ctx.server) if variable.get("user_viewable")]
    return json_response(list_envelope(variables, _startup_meta(ctx.state, ctx.server, True)))


@server_route("PUT", "/startup/variable", "startup.update")
async def update_startup_variable(ctx: ServerContext) -> web.Response:
    state, server = ctx.state, ctx.server
    data = ctx.input()
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
        ctx.log("server:startup.edit", {"variable": variable["env_variable"], "old": original, "new": value})
    return json_response(item("egg_variable", egg_variable_attributes(variable, value),
                              meta=_startup_meta(state, server, False)))
