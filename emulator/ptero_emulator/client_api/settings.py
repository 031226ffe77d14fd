"""A server's settings: rename (and describe), reinstall, Docker image."""
from __future__ import annotations

from typing import Iterable

from aiohttp import web

from .. import http
from ..http import Check, bad_request, empty_response
from .common import SERVER, client_route, log_activity, request_input, require_daemon_reachable, server_context

DOCKER_IMAGE_REGEX = r"regex:/^[\w#\.\/\- ]*\|?~?[\w\.\/\-:@ ]*$/"


def _in_list(values: Iterable[str], name: str = "in") -> Check:
    allowed = [str(v) for v in values]
    return Check(name, lambda value, path, data: not isinstance(value, (list, dict)) and
                 http.to_php_string(value) in allowed)


@client_route("POST", SERVER + "/settings/rename")
async def rename_server(request: web.Request) -> web.Response:
    ctx = server_context(request, "settings.rename")
    state, server = ctx.state, ctx.server
    data = request_input(request)
    http.validate(data, {"name": "required|string|min:1|max:191", "description": "string|nullable"})
    name = data["name"]
    description = http.to_php_string(data.get("description")) if "description" in data else server.get("description")
    original_name, original_description = server["name"], server.get("description")
    state.update("servers", server, {"name": name, "description": description})
    if original_name != name:
        log_activity(request, "server:settings.rename", {"old": original_name, "new": name}, server=server)
    if original_description != description:
        log_activity(request, "server:settings.description", {"old": original_description, "new": description}, server=server)
    return empty_response(204)


@client_route("POST", SERVER + "/settings/reinstall")
async def reinstall_server(request: web.Request) -> web.Response:
    ctx = server_context(request, "settings.reinstall")
    require_daemon_reachable(ctx.state)
    ctx.state.begin_install(ctx.server, reinstall=True)
    log_activity(request, "server:reinstall", server=ctx.server)
    return empty_response(202)


@client_route("PUT", SERVER + "/settings/docker-image")
async def set_docker_image(request: web.Request) -> web.Response:
    ctx = server_context(request, "startup.docker-image")
    state, server = ctx.state, ctx.server
    egg = state.get("eggs", server["egg_id"]) or {}
    images = list((egg.get("docker_images") or {}).values())
    data = request_input(request)
    http.validate(data, {"docker_image": ["required", "string", "max:191", DOCKER_IMAGE_REGEX, _in_list(images)]})
    if server.get("image") not in images:
        raise bad_request("This server's Docker image has been manually set by an administrator and cannot be "
                          "updated.")
    original = server.get("image")
    state.update("servers", server, {"image": data["docker_image"]})
    if original != data["docker_image"]:
        log_activity(request, "server:startup.image", {"old": original, "new": data["docker_image"]}, server=server)
    return empty_response(204)
