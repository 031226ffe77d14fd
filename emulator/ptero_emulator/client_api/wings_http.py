"""Wings' plain HTTP side for the signed URLs the panel hands out (they point at the emulator itself):
``GET /download/file``, ``POST /upload/file`` (multipart field ``files``, ``&directory=``) and
``GET /download/backup``, all authenticated by the JWT in ``?token=``."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import BodyPartReader, web

from ..files import WingsFileError
from ..http import json_response
from .common import files_for, new_request_id, routes, runtime

Row = dict[str, Any]
SignedHandler = Callable[[web.Request, Row, Row], Awaitable[web.StreamResponse]]


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


def _attachment(body: bytes, disposition: str) -> web.Response:
    return web.Response(
        body=body,
        headers={
            "Content-Type": "application/octet-stream",
            "Content-Disposition": f"attachment; filename={disposition}",
        },
    )


def _signed(method: str, path: str) -> Callable[[SignedHandler], SignedHandler]:
    """A Wings route authenticated by the signed URL's token: ``handler(request, claims, server)``."""

    def decorator(handler: SignedHandler) -> SignedHandler:
        async def wrapper(request: web.Request) -> web.StreamResponse:
            verified = _verify_wings_token(request)
            if isinstance(verified, web.Response):
                return verified
            return await handler(request, *verified)

        routes.route(method, path)(wrapper)
        return handler

    return decorator


@_signed("GET", "/download/file")
async def wings_download_file(request: web.Request, claims: Row, server: Row) -> web.StreamResponse:
    tree = files_for(request.app["state"], server)
    try:
        entry = tree.read(str(claims.get("file_path") or ""))
    except WingsFileError as error:
        return _wings_json_error(error.status, error.message)
    return _attachment(entry.content, json.dumps(entry.name))


@_signed("POST", "/upload/file")
async def wings_upload_file(request: web.Request, claims: Row, server: Row) -> web.StreamResponse:
    directory = request.query.get("directory", "/")
    tree = files_for(request.app["state"], server)
    received = 0
    try:
        reader = await request.multipart()
    except (AssertionError, ValueError, KeyError):
        return _wings_json_error(400, "Failed to get multipart form data from request.")
    while True:
        part = await reader.next()
        if part is None:
            break
        if not isinstance(part, BodyPartReader):
            continue  # a nested multipart is no file
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


@_signed("GET", "/download/backup")
async def wings_download_backup(request: web.Request, claims: Row, server: Row) -> web.StreamResponse:
    backup = request.app["state"].get("backups", claims.get("backup_uuid"))
    if backup is None or backup["server_id"] != server["id"] or not backup.get("is_successful"):
        return _wings_json_error(404, "The requested backup was not found on this server.")
    archive = runtime(request.app["state"]).files.backup_archive(backup["uuid"])
    return _attachment(archive, f'"{backup["uuid"]}.tar.gz"')
