"""A server's file manager, delegated to the file trees of ``ptero_emulator.files`` as Wings would run it."""
from __future__ import annotations

from typing import Any, Callable
from urllib.parse import unquote

from aiohttp import web

from .. import http
from ..files import ServerFiles, WingsFileError
from ..http import ApiError, display_error, empty_response, json_response, list_envelope
from .common import (
    SERVER, ServerContext, client_route, daemon_error, files_for, log_activity, request_input,
    require_daemon_reachable, server_context, signed_url,
)
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


@client_route("GET", SERVER + "/files/list")
async def list_files(request: web.Request) -> web.Response:
    ctx = server_context(request, "file.read")
    directory = request_input(request).get("directory") or "/"
    tree = _files(ctx)
    stats = _wings_files(lambda: tree.list_directory(str(directory)))
    return json_response(list_envelope([file_object(stat) for stat in stats]))


@client_route("GET", SERVER + "/files/contents")
async def file_contents(request: web.Request) -> web.Response:
    ctx = server_context(request, "file.read-content")
    data = http.validate(request_input(request), {"file": "required|string"})
    tree = _files(ctx)
    entry = _wings_files(lambda: tree.read(data["file"]))
    if len(entry.content) > int(getattr(ctx.state.config, "files_max_edit_size", 4194304)):
        raise display_error("The file you are attempting to open is too large to view in the file editor.",
                            "FileSizeTooLargeException")
    log_activity(request, "server:file.read", {"file": data["file"]}, server=ctx.server)
    return web.Response(body=entry.content, status=200, headers={"Content-Type": "text/plain; charset=UTF-8"})


@client_route("GET", SERVER + "/files/download")
async def file_download(request: web.Request) -> web.Response:
    ctx = server_context(request, "file.read-content")
    data = http.validate(request_input(request), {"file": "required|string"})
    log_activity(request, "server:file.download", {"file": data["file"]}, server=ctx.server)
    return signed_url(ctx, "/download/file", "file-download",
                      {"file_path": unquote(str(data["file"])), "server_uuid": ctx.server["uuid"]})


@client_route("PUT", SERVER + "/files/rename")
async def rename_files(request: web.Request) -> web.Response:
    ctx = server_context(request, "file.update")
    data = http.validate(request_input(request), {
        "root": "required|nullable|string", "files": "required|array", "files.*": "array",
        "files.*.to": "required|string", "files.*.from": "required|string"})
    tree = _files(ctx)
    pairs = [(str(entry["from"]), str(entry["to"])) for entry in data["files"]]
    _wings_files(lambda: tree.rename(data["root"], pairs))
    log_activity(request, "server:file.rename", {"directory": data["root"], "files": data["files"]}, server=ctx.server)
    return empty_response(204)


@client_route("POST", SERVER + "/files/copy")
async def copy_file(request: web.Request) -> web.Response:
    ctx = server_context(request, "file.create")
    data = http.validate(request_input(request), {"location": "required|string"})
    tree = _files(ctx)
    _wings_files(lambda: tree.copy(data["location"]))
    log_activity(request, "server:file.copy", {"file": data["location"]}, server=ctx.server)
    return empty_response(204)


@client_route("POST", SERVER + "/files/write")
async def write_file(request: web.Request) -> web.Response:
    ctx = server_context(request, "file.create")
    data = http.validate(dict(http.query(request)), {"file": "required|string"})
    raw = request.get("raw_body")
    content = raw if isinstance(raw, (bytes, bytearray)) else await request.read()
    tree = _files(ctx)
    _wings_files(lambda: tree.write(str(data["file"]), bytes(content)))
    log_activity(request, "server:file.write", {"file": data["file"]}, server=ctx.server)
    return empty_response(204)


@client_route("POST", SERVER + "/files/compress")
async def compress_files(request: web.Request) -> web.Response:
    ctx = server_context(request, "file.archive")
    data = http.validate(request_input(request), {"root": "sometimes|nullable|string", "files": "required|array",
                                           "files.*": "string"})
    tree = _files(ctx)
    names = [str(name) for name in data["files"]]
    archive = _wings_files(lambda: tree.compress(data.get("root"), names))
    log_activity(request, "server:file.compress", {"directory": data.get("root"), "files": data["files"]}, server=ctx.server)
    stat = tree.stat(archive)
    stat["mime"] = "application/tar+gzip"
    return json_response(file_object(stat))


@client_route("POST", SERVER + "/files/decompress")
async def decompress_file(request: web.Request) -> web.Response:
    ctx = server_context(request, "file.create")
    data = http.validate(request_input(request), {"root": "sometimes|nullable|string", "file": "required|string"})
    tree = _files(ctx)
    _wings_files(lambda: tree.decompress(data.get("root"), str(data["file"])))
    log_activity(request, "server:file.decompress", {"directory": data.get("root"), "files": data["file"]},
         server=ctx.server)
    return empty_response(204)


@client_route("POST", SERVER + "/files/delete")
async def delete_files(request: web.Request) -> web.Response:
    ctx = server_context(request, "file.delete")
    data = http.validate(request_input(request), {"root": "required|nullable|string", "files": "required|array",
                                           "files.*": "string"})
    tree = _files(ctx)
    names = [str(name) for name in data["files"]]
    _wings_files(lambda: tree.delete(data["root"], names))
    log_activity(request, "server:file.delete", {"directory": data["root"], "files": data["files"]}, server=ctx.server)
    return empty_response(204)


@client_route("POST", SERVER + "/files/create-folder")
async def create_folder(request: web.Request) -> web.Response:
    ctx = server_context(request, "file.create")
    data = http.validate(request_input(request), {"root": "sometimes|nullable|string", "name": "required|string"})
    tree = _files(ctx)
    _wings_files(lambda: tree.create_directory(str(data["name"]), data.get("root") or "/"))
    log_activity(request, "server:file.create-directory", {"name": data["name"], "directory": data.get("root")},
         server=ctx.server)
    return empty_response(204)


@client_route("POST", SERVER + "/files/chmod")
async def chmod_files(request: web.Request) -> web.Response:
    ctx = server_context(request, "file.update")
    data = http.validate(request_input(request), {"root": "required|nullable|string", "files": "required|array",
                                           "files.*.file": "required|string", "files.*.mode": "required|numeric"})
    tree = _files(ctx)
    changes = [(str(entry["file"]), http.to_php_string(entry["mode"])) for entry in data["files"]]
    _wings_files(lambda: tree.chmod(data["root"], changes))
    return empty_response(204)


@client_route("POST", SERVER + "/files/pull")
async def pull_file(request: web.Request) -> web.Response:
    ctx = server_context(request, limiter="files_pull")  # panel 1.12+: 5 per 10 min per server
    if not ctx.state.config.has("server_resource_limits"):
        # Panel 1.11: throttle:10,5 per user, route middleware counted after the server gate.
        limit, period = getattr(ctx.state.config, "files_pull_throttle", (10, 300))
        decision = request.app["rate_limiter"].hit("files.pull", ctx.user["uuid"], int(limit), float(period))
        if not decision.allowed:
            raise ApiError(429, "ThrottleRequestsException", "Too Many Attempts.",
                           headers=decision.failure_headers())
    ctx.require("file.create")
    data = http.validate(request_input(request), {
        "url": "required|string|url", "directory": "nullable|string", "filename": "nullable|string",
        "use_header": "boolean", "foreground": "boolean"})
    tree = _files(ctx)
    _wings_files(lambda: tree.pull(str(data["url"]), data.get("directory"), data.get("filename")))
    log_activity(request, "server:file.pull", {"directory": data.get("directory"), "url": data["url"]}, server=ctx.server)
    return empty_response(204)


@client_route("GET", SERVER + "/files/upload")
async def upload_url(request: web.Request) -> web.Response:
    ctx = server_context(request, "file.create")
    return signed_url(ctx, "/upload/file", "file-upload", {"server_uuid": ctx.server["uuid"]})
