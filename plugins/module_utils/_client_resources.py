# Private to ptero.panel: not a public API.
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Old import names, kept only for the modules that still import them from here (the client *_info modules and
power, owned by another change). New code imports from the domain files: _servers, _backups, _schedules,
_databases, _accounts. Remove this file once nothing imports it."""

from __future__ import annotations

import typing as t

from ansible_collections.ptero.panel.plugins.module_utils._accounts import email_problem
from ansible_collections.ptero.panel.plugins.module_utils._backups import backup_failed, backup_running
from ansible_collections.ptero.panel.plugins.module_utils._databases import database_full_name
from ansible_collections.ptero.panel.plugins.module_utils._module import PanelModule
from ansible_collections.ptero.panel.plugins.module_utils._schedules import task_view, with_tasks
from ansible_collections.ptero.panel.plugins.module_utils._servers import client_server, server_path

__all__ = [
    "backup_failed", "backup_running", "client_server", "database_full_name", "email_problem",
    "require_client_server", "server_path", "task_view", "with_tasks",
]


def require_client_server(module: PanelModule, ref: str) -> dict[str, t.Any]:
    """client_server() for a main() that reports failures itself."""
    with module.failures_reported():
        return client_server(module.client, ref)
    raise AssertionError("unreachable: failures_reported() ends the task")  # pragma: no cover
