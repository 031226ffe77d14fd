"""GET /servers/{server}/websocket: the console token and socket URL, minted by the Wings emulation."""

from __future__ import annotations

from aiohttp import web

from ..http import json_response
from .context import ServerContext, server_route


@server_route("GET", "/websocket", kind="websocket", limiter="websocket")
async def websocket_credentials(ctx: ServerContext) -> web.Response:
    ctx.require("websocket.connect", "You do not have permission to connect to this server's websocket.")
    token, socket = ctx.app["daemon"].issue_token(ctx.user, ctx.server, ctx.permissions())
    return json_response({"data": {"token": token, "socket": socket}})
