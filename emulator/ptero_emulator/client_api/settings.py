"""A server's settings: rename (and describe), reinstall, Docker image."""

from __future__ import annotations

from collections.abc import Iterable

from aiohttp import web

from .. import http
from ..http import Check, bad_request, empty_response
from .common import require_daemon_reachable
from .context import ServerContext, server_route

DOCKER_IMAGE_REGEX = r"regex:/^[\w#\.\/\- ]*\|?~?[\w\.\/\-:@ ]*$/"


def _in_list(values: Iterable[str], name: str = "in") -> Check:
    allowed = [str(v) for v in values]
    return Check(
        name, lambda value, path, data: not isinstance(value, (list, dict)) and http.to_php_string(value) in allowed
    )


@server_route("POST", "/settings/rename", "settings.rename")
async def rename_server(ctx: ServerContext) -> web.Response:
    state, server = ctx.state, ctx.server
    data = ctx.input()
    http.validate(data, {"name": "required|string|min:1|max:191", "description": "string|nullable"})
    name = data["name"]
    # Pelican ignores a description here: it has POST /settings/description.
    describes = "description" in data and not state.config.has("server_description")
    description = http.to_php_string(data.get("description")) if describes else server.get("description")
    original_name, original_description = server["name"], server.get("description")
    state.update("servers", server, {"name": name, "description": description})
    if original_name != name:
        ctx.log("server:settings.rename", {"old": original_name, "new": name})
    if original_description != description:
        ctx.log("server:settings.description", {"old": original_description, "new": description})
    return empty_response(204)


@server_route("POST", "/settings/reinstall", "settings.reinstall")
async def reinstall_server(ctx: ServerContext) -> web.Response:
    require_daemon_reachable(ctx.state)
    ctx.state.begin_install(ctx.server, reinstall=True)
    ctx.log("server:reinstall")
    return empty_response(202)


@server_route("PUT", "/settings/docker-image", "startup.docker-image")
async def set_docker_image(ctx: ServerContext) -> web.Response:
    state, server = ctx.state, ctx.server
    egg = state.get("eggs", server["egg_id"]) or {}
    images = list((egg.get("docker_images") or {}).values())
    data = ctx.input()
    http.validate(data, {"docker_image": ["required", "string", "max:191", DOCKER_IMAGE_REGEX, _in_list(images)]})
    if server.get("image") not in images:
        raise bad_request("This server's Docker image has been manually set by an administrator and cannot be updated.")
    original = server.get("image")
    state.update("servers", server, {"image": data["docker_image"]})
    if original != data["docker_image"]:
        ctx.log("server:startup.image", {"old": original, "new": data["docker_image"]})
    return empty_response(204)
