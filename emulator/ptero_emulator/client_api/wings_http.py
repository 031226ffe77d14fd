"""Wings' plain HTTP side for the signed URLs the panel hands out (they point at the emulator itself):
``GET /download/file``, ``POST /upload/file`` (multipart field ``files``, ``&directory=``) and
``GET /download/backup``, all authenticated by the JWT in ``?token=``."""
from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from ..files import WingsFileError
from ..http import json_response
from .common import files_for, new_request_id, routes, runtime


def _wings_json_error(status: int, message: str) -> web.Response:
    return json_response({"error": message, "request_id": new_request_id()}, status=status)


def _verify_wings_token(request: web.Request) -> tuple[dict[str, Any], dict[str, Any]] | web.Response:
    claims = request.app["daemon"].verify_panel_token(request.query.get("token", ""))
    if claims is None:
        return _wings_json_error(403, "You are not authorized to access this endpoint.")
    server = request.app["state"].find("servers", uuid=claims.get("server_uuid"))
    if server is None:
        return _wings_json_error(404, "The requested resource was not found on this server.")
    return claims, server


@routes.get("/download/file")
async def wings_download_file(request: web.Request) -> web.StreamResponse:
    verified = _verify_wings_token(request)
    if isinstance(verified, web.Response):
        return verified
    claims, server = verified
    tree = files_for(request.app["state"], server)
    try:
        entry = tree.read(str(claims.get("file_path") or ""))
    except WingsFileError as error:
        return _wings_json_error(error.status, error.message)
    return web.Response(body=entry.content, headers={
        "Content-Type": "application/octet-stream",
        "Content-Disposition": f'attachment; filename={json.dumps(entry.name)}'})


@routes.post("/upload/file")
async def wings_upload_file(request: web.Request) -> web.StreamResponse:
    verified = _verify_wings_token(request)
    if isinstance(verified, web.Response):
        return verified
    _unused, server = verified
    state = request.app["state"]
    directory = request.query.get("directory", "/")
    tree = files_for(state, server)
    received = 0
    try:
        reader = await request.multipart()
    except (AssertionError, ValueError, KeyError):
        return _wings_json_error(400, "Failed to get multipart form data from request.")
    while True:
        part = await reader.next()
        if part is None:
            break
        if getattr(part, "name", None) != "files" or not getattr(part, "filename", None):
            continue
        content = await part.read(decode=False)
        name = str(part.filename).replace("\\", "/").rsplit("/", maxsplit=1)[-1]
        try:
            tree.write(f"{directory.rstrip('/')}/{name}", bytes(content))
        except WingsFileError as error:
            return _wings_json_error(error.status, error.message)
        received += 1
    if not received:
        return _wings_json_error(400, "No files were found on the request body.")
    return web.Response(status=200)


@routes.get("/download/backup")
async def wings_download_backup(request: web.Request) -> web.StreamResponse:
    verified = _verify_wings_token(request)
    if isinstance(verified, web.Response):
        return verified
    claims, server = verified
    backup = request.app["state"].get("backups", claims.get("backup_uuid"))
    if backup is None or backup["server_id"] != server["id"] or not backup.get("is_successful"):
        return _wings_json_error(404, "The requested backup was not found on this server.")
    archive = runtime(request.app["state"]).files.backup_archive(backup["uuid"])
    return web.Response(body=archive, headers={
        "Content-Type": "application/octet-stream",
        "Content-Disposition": f'attachment; filename="{backup["uuid"]}.tar.gz"'})
