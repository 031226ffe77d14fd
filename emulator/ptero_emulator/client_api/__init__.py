"""The panel's client API (``/api/client``, 69 routes) for the emulator, one module per panel controller.

Everything a user (or one of their client API keys) can do: the server list, the account (e-mail, password, 2FA,
API keys, SSH keys, activity) and the 54 server routes (power, console, databases, files, schedules, network,
subusers, backups, startup, settings). Behaviour follows the panel: the state gate of the client server routes
(404/409 in the panel's order), subuser permissions (403), Form Request validation (422), the exact error
messages of the services, pagination defaults and caps, and the activity log entries.

Power, console, resources and websocket tokens are delegated to the Wings emulation (``request.app["daemon"]``);
file trees live in ``ptero_emulator.files``. ``wings_http`` plays Wings' plain HTTP side for the signed URLs.
Every controller registers on the one route table ``routes`` (``common.py``), which the app mounts together with
``binding_probe``; ``deauthorize`` is shared with the application API. Handlers follow the application API's
convention: ``@client_route`` / ``@server_route`` (``context.py``) bind the path's models, run the gates and call
``handler(ctx, **models)``.

Emulator-only knobs (``EmulatorConfig.extra``): ``resources_cache_seconds`` (default 20, like the panel's cache
of the resources route; 0 disables it) and ``backups_fail`` (True: backups finish as failed). Everything else uses
the regular config fields (backup_throttle, allocation_range, allocations_enabled, api_key_limit,
schedule_task_limit, files_max_edit_size, files_pull_throttle, databases_enabled, databases_allow_random_host,
daemon_unreachable, activity_hide_admin, *_seconds timings).
"""

from __future__ import annotations

# The controllers register their routes on import.
from . import (  # noqa: F401
    account,
    activity,
    backups,
    databases,
    files,
    network,
    schedules,
    servers,
    settings,
    startup,
    subusers,
    tasks,
    websocket,
    wings_http,
)
from .common import deauthorize, routes
from .context import binding_probe

__all__ = ["binding_probe", "deauthorize", "routes"]
