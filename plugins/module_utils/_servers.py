# Private to ptero.panel: not a public API.
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Servers as the client API sees them: finding the server a task names, and the path of its routes."""

from __future__ import annotations

import typing as t

from ansible_collections.ptero.panel.plugins.module_utils._client import PanelClient
from ansible_collections.ptero.panel.plugins.module_utils._lookup import find_client_server
from ansible_collections.ptero.panel.plugins.module_utils._module import TaskFailure, failure_context


def client_server(client: PanelClient, ref: str) -> dict[str, t.Any]:
    """The server `ref` (identifier, uuid or name) as the client key sees it; TaskFailure when it is not visible."""
    with failure_context("Could not look up the server"):
        server = find_client_server(client, ref)
    if server is None:
        raise TaskFailure(f"server: no server '{ref}' visible to this API key")
    return server


def server_path(server: t.Mapping[str, t.Any], **children: t.Any) -> dict[str, t.Any]:
    """Path parameters of a server-scoped client route. The full uuid is used: the panel resolves it like the
    identifier, and with it file paths are not trimmed."""
    return {"server": server["uuid"], **children}
