"""A server's file manager, delegated to the file trees of ``ptero_emulator.files`` as Wings would run it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import unquote

from aiohttp import web

from .. import http
from ..files import ServerFiles, WingsFileError
from ..http import display_error, empty_response, json_response, list_envelope
from .common import daemon_error, files_for, require_daemon_reachable, throttle
from .context import ServerContext, server_route
from .transformers import file_object


def _files(ctx: ServerContext) -> ServerFiles:
    require_daemon_reachable(ctx.state)
    return files_for(ctx.state, ctx.server)


def _wings_files(action: Callable[[], Any]) -> Any:
    """Run a file operation; Wings errors come back wrapped the way the panel wraps them."""
    try:
        return action()
    except WingsFileError as error:
        raise daemon_error(error.status, error.message) from None


def _root_and_names(ctx: ServerContext, root_rule: str) -> tuple[dict[str, Any], list[str]]:
    """The validated body of the routes that act on several names below a root (compress, delete)."""
    data = http.validate(ctx.input(), {"root": root_rule, "files": "required|array", "files.*": "string"})
    return data, [str(name) for name in data["files"]]


@server_route("GET", "/files/list", "file.read")
async def list_files(ctx: ServerContext) -> web.Response:
    directory = ctx.input().get("directory") or "/"
    tree = _files(ctx)
    stats = _wings_files(lambda: tree.list_directory(str(directory)))
    return json_response(list_envelope([file_object(stat) for stat in stats]))


@server_route("GET", "/files/contents", "file.read-content")
async def file_contents(ctx: ServerContext) -> web.Response:
    data = http.validate(ctx.input(), {"file": "required|string"})
    tree = _files(ctx)
    entry = _wings_files(lambda: tree.read(data["file"]))
    if len(entry.content) > int(ctx.state.config.files_max_edit_size):
        raise display_error(
            "The file you are attempting to open is too large to view in the file editor.", "FileSizeTooLargeException"
        )
    ctx.log("server:file.read", {"file": data["file"]})
    return web.Response(body=entry.content, status=200, headers={"Content-Type": "text/plain; charset=UTF-8"})


@server_route("GET", "/files/download", "file.read-content")
async def file_download(ctx: ServerContext) -> web.Response:
    data = http.validate(ctx.input(), {"file": "required|string"})
    ctx.log("server:file.download", {"file": data["file"]})
    return ctx.signed_url(
        "/download/file", "file-download", {"file_path": unquote(str(data["file"])), "server_uuid": ctx.server["uuid"]}
    )


@server_route("PUT", "/files/rename", "file.update")
async def rename_files(ctx: ServerContext) -> web.Response:
    data = http.validate(
        ctx.input(),
        {
            "root": "required|nullable|string",
            "files": "required|array",
            "files.*": "array",
            "files.*.to": "required|string",
            "files.*.from": "required|string",
        },
    )
    tree = _files(ctx)
    pairs = [(str(entry["from"]), str(entry["to"])) for entry in data["files"]]
    _wings_files(lambda: tree.rename(data["root"], pairs))
    ctx.log("server:file.rename", {"directory": data["root"], "files": data["files"]})
    return empty_response(204)


@server_route("POST", "/files/copy", "file.create")
async def copy_file(ctx: ServerContext) -> web.Response:
    data = http.validate(ctx.input(), {"location": "required|string"})
    tree = _files(ctx)
    _wings_files(lambda: tree.copy(data["location"]))
    ctx.log("server:file.copy", {"file": data["location"]})
    return empty_response(204)


@server_route("POST", "/files/write", "file.create")
async def write_file(ctx: ServerContext) -> web.Response:
    data = http.validate(dict(http.query(ctx.request)), {"file": "required|string"})
    raw = ctx.request.get("raw_body")
    content = raw if isinstance(raw, (bytes, bytearray)) else await ctx.request.read()
    tree = _files(ctx)
    _wings_files(lambda: tree.write(str(data["file"]), bytes(content)))
    ctx.log("server:file.write", {"file": data["file"]})
    return empty_response(204)


@server_route("POST", "/files/compress", "file.archive")
async def compress_files(ctx: ServerContext) -> web.Response:
    data, names = _root_and_names(ctx, "sometimes|nullable|string")
    tree = _files(ctx)
    archive = _wings_files(lambda: tree.compress(data.get("root"), names))
    ctx.log("server:file.compress", {"directory": data.get("root"), "files": data["files"]})
    stat = tree.stat(archive)
    stat["mime"] = "application/tar+gzip"
    return json_response(file_object(stat))


@server_route("POST", "/files/decompress", "file.create")
async def decompress_file(ctx: ServerContext) -> web.Response:
    data = http.validate(ctx.input(), {"root": "sometimes|nullable|string", "file": "required|string"})
    tree = _files(ctx)
    _wings_files(lambda: tree.decompress(data.get("root"), str(data["file"])))
    ctx.log("server:file.decompress", {"directory": data.get("root"), "files": data["file"]})
    return empty_response(204)


@server_route("POST", "/files/delete", "file.delete")
async def delete_files(ctx: ServerContext) -> web.Response:
    data, names = _root_and_names(ctx, "required|nullable|string")
    tree = _files(ctx)
    _wings_files(lambda: tree.delete(data["root"], names))
    ctx.log("server:file.delete", {"directory": data["root"], "files": data["files"]})
    return empty_response(204)


@server_route("POST", "/files/create-folder", "file.create")
async def create_folder(ctx: ServerContext) -> web.Response:
    data = http.validate(ctx.input(), {"root": "sometimes|nullable|string", "name": "required|string"})
    tree = _files(ctx)
    _wings_files(lambda: tree.create_directory(str(data["name"]), data.get("root") or "/"))
    ctx.log("server:file.create-directory", {"name": data["name"], "directory": data.get("root")})
    return empty_response(204)


@server_route("POST", "/files/chmod", "file.update")
async def chmod_files(ctx: ServerContext) -> web.Response:
    data = http.validate(
        ctx.input(),
        {
            "root": "required|nullable|string",
            "files": "required|array",
            "files.*.file": "required|string",
            "files.*.mode": "required|numeric",
        },
    )
    tree = _files(ctx)
    changes = [(str(entry["file"]), http.to_php_string(entry["mode"])) for entry in data["files"]]
    _wings_files(lambda: tree.chmod(data["root"], changes))
    return empty_response(204)


@server_route("POST", "/files/pull", limiter="files_pull")  # panel 1.12+: 5 per 10 min per server
async def pull_file(ctx: ServerContext) -> web.Response:
    if not ctx.state.config.has("server_resource_limits"):
        # Panel 1.11: throttle:10,5 per user, route middleware counted after the server gate.
        limit, period = ctx.state.config.files_pull_throttle
        throttle(ctx.request, "files.pull", ctx.user["uuid"], int(limit), float(period), headers=False)
    ctx.require("file.create")
    data = http.validate(
        ctx.input(),
        {
            "url": "required|string|url",
            "directory": "nullable|string",
            "filename": "nullable|string",
            "use_header": "boolean",
            "foreground": "boolean",
        },
    )
    tree = _files(ctx)
    _wings_files(lambda: tree.pull(str(data["url"]), data.get("directory"), data.get("filename")))
    ctx.log("server:file.pull", {"directory": data.get("directory"), "url": data["url"]})
    return empty_response(204)


@server_route("GET", "/files/upload", "file.create")
async def upload_url(ctx: ServerContext) -> web.Response:
    return ctx.signed_url("/upload/file", "file-upload", {"server_uuid": ctx.server["uuid"]})
