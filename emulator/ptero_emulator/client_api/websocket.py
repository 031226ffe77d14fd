"""GET /servers/{server}/websocket: the console token and socket URL, minted by the Wings emulation."""
from __future__ import annotations


from aiohttp import web

from .. import http
from ..http import forbidden, json_response
from .common import SERVER, client_route, server_context


@client_route("GET", SERVER + "/websocket")
async def websocket_credentials(request: web.Request) -> web.Response:
    ctx = server_context(request, route_kind="websocket", limiter="websocket")
    if not ctx.can("websocket.connect"):
        raise forbidden("You do not have permission to connect to this server's websocket.", "HttpForbiddenException")
    daemon = request.app.get("daemon")
    if daemon is None:
        raise http.daemon_unreachable()
    token, socket = daemon.issue_token(ctx.user, ctx.server, ctx.permissions())
    return json_response({"data": {"token": token, "socket": socket}})
