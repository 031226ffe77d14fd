"""The Pelican flavour's shared pieces: which routes each flavour serves (answered before authentication, as route
matching is in both panels), and the seed conversion that turns the Pterodactyl demo data into what Pelican's
migrations leave behind (locations -> node tags, nests -> egg tags, root admins -> the Root Admin role).

Route differences are declared once, in ROUTE_GATES; behaviour differences are features of versions.py asked
through ``config.has(...)``."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from .config import EmulatorConfig
from .http import ApiError
from .state import State

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

ROOT_ADMIN_ROLE = "Root Admin"
PELICAN_DAEMON_BASE = "/var/lib/pelican/volumes"
# Application ACL resources Pelican added (pelican.md §3.1); the seeded Pelican application key has them all.
PELICAN_ACL_RESOURCES: tuple[str, ...] = ("r_mounts", "r_roles")


@dataclass(frozen=True)
class RouteGate:
    """Routes (any method when ``methods`` is empty) that exist only when ``feature`` is present (``present``)
    or only while it is absent (``present=False``)."""

    pattern: re.Pattern[str]
    feature: str
    present: bool = True
    methods: frozenset[str] = frozenset()

    def hides(self, method: str, path: str, config: EmulatorConfig) -> bool:
        if self.methods and method not in self.methods:
            return False
        if not self.pattern.match(path):
            return False
        return config.has(self.feature) != self.present


def _gate(path: str, feature: str, present: bool = True, methods: tuple[str, ...] = ()) -> RouteGate:
    return RouteGate(re.compile(f"^{path}/?$"), feature, present, frozenset(methods))


APP = "/api/application"
CLIENT = "/api/client"
ROUTE_GATES: tuple[RouteGate, ...] = (
    # Pterodactyl routes Pelican removed
    _gate(f"{APP}/locations(/[^/]+)?", "tags_not_locations", present=False),
    _gate(f"{APP}/nests(/.*)?", "tags_not_locations", present=False),
    _gate(f"{CLIENT}/account/two-factor(/disable)?", "no_client_two_factor", present=False),
    _gate(f"{CLIENT}/account/ssh-keys/remove", "ssh_key_delete_by_fingerprint", present=False, methods=("POST",)),
    # Pelican routes
    _gate(f"{APP}/eggs(/.*)?", "flat_eggs"),
    _gate(f"{APP}/eggs/[^/]+/export", "egg_export"),
    _gate(f"{APP}/eggs/(import|[^/]+|uuid/[^/]+)", "egg_import", methods=("POST", "DELETE")),
    _gate(f"{APP}/mounts(/[^/]+)?", "mounts_api"),
    _gate(f"{APP}/mounts/[^/]+/(eggs|nodes|servers)(/[^/]+)?", "mount_attach_lists"),
    _gate(f"{APP}/database-hosts(/[^/]+)?", "database_hosts_api"),
    _gate(f"{APP}/roles(/[^/]+)?", "roles_api"),
    _gate(f"{APP}/users/[^/]+/roles/(assign|remove)", "roles_api"),
    _gate(f"{APP}/servers/[^/]+/transfer(/cancel)?", "server_transfer", methods=("POST",)),
    _gate(f"{CLIENT}/account/ssh-keys/[^/]+", "ssh_key_delete_by_fingerprint", methods=("DELETE",)),
    _gate(f"{CLIENT}/account/username", "account_username"),
    _gate(f"{CLIENT}/servers/[^/]+/backups/[^/]+/rename", "backup_rename"),
    _gate(f"{CLIENT}/servers/[^/]+/settings/description", "server_description"),
)


# The 44 subuser permissions of beta38 (app/Enums/SubuserPermission.php): Pterodactyl's 40 with
# database.view_password renamed, plus mount.read, mount.update, settings.description and settings.change-icon.
PELICAN_PERMISSIONS: tuple[str, ...] = (
    "websocket.connect",
    "control.console",
    "control.start",
    "control.stop",
    "control.restart",
    "file.read",
    "file.read-content",
    "file.create",
    "file.update",
    "file.delete",
    "file.archive",
    "file.sftp",
    "backup.read",
    "backup.create",
    "backup.delete",
    "backup.download",
    "backup.restore",
    "schedule.read",
    "schedule.create",
    "schedule.update",
    "schedule.delete",
    "user.read",
    "user.create",
    "user.update",
    "user.delete",
    "database.read",
    "database.create",
    "database.update",
    "database.delete",
    "database.view-password",
    "allocation.read",
    "allocation.create",
    "allocation.update",
    "allocation.delete",
    "activity.read",
    "mount.read",
    "mount.update",
    "startup.read",
    "startup.update",
    "startup.docker-image",
    "settings.rename",
    "settings.description",
    "settings.reinstall",
    "settings.change-icon",
)


def subuser_permission_keys(config: EmulatorConfig, pterodactyl_keys: Sequence[str]) -> Sequence[str]:
    """The permission keys a subuser may hold on the modelled panel."""
    return PELICAN_PERMISSIONS if config.has("flat_permissions") else pterodactyl_keys


def database_password_permission(config: EmulatorConfig) -> str:
    return "database.view-password" if config.has("flat_permissions") else "database.view_password"


def unfinished_install_states(config: EmulatorConfig) -> tuple[str, ...]:
    """Statuses that count as "not installed" (409, client is_installing): Pelican adds reinstall_failed."""
    if config.has("reinstall_failed_gated"):
        return ("installing", "install_failed", "reinstall_failed")
    return ("installing", "install_failed")


def adjust_client_server(
    config: EmulatorConfig, node: dict[str, Any], server: dict[str, Any], attributes: dict[str, Any]
) -> None:
    """The client server object on Pelican: sftp_details.alias, limits.oom_killer, and no description while
    descriptions are not editable."""
    if not config.has("pelican_servers"):
        return
    attributes["sftp_details"]["alias"] = node.get("daemon_sftp_alias")
    attributes["limits"]["oom_killer"] = not server.get("oom_disabled")
    if not config.editable_server_descriptions:
        attributes.pop("description", None)


def route_not_found(path: str) -> ApiError:
    return ApiError(404, "NotFoundHttpException", f"The route {path.lstrip('/')} could not be found.")


@web.middleware
async def route_gate_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """A route the modelled panel does not have is "not found" before authentication (pelican.md §5)."""
    config: EmulatorConfig = request.app["config"]
    method = "GET" if request.method == "HEAD" else request.method
    if any(gate.hides(method, request.path, config) for gate in ROUTE_GATES):
        raise route_not_found(request.path)
    return await handler(request)


# ====================================================================== seed: what Pelican's migrations leave
def key_prefixes(config: EmulatorConfig) -> tuple[str, str]:
    """(application, account) prefixes of newly made keys."""
    return ("papp_", "pacc_") if config.has("pelican_key_prefixes") else ("ptla_", "ptlc_")


def migrate_seed(state: State) -> None:
    """Pelican's migrations on the seeded data: location.short -> node tag, nest.name -> egg tag, the new node,
    egg, server and user columns, and the Root Admin role for root admins."""
    if not state.config.has("tags_not_locations"):
        return
    _migrate_nodes(state)
    _migrate_eggs(state)
    for server in state.rows("servers"):
        state.update("servers", server, {"nest_id": None, "transfer": None}, touch=False)
    _migrate_users(state)
    for host in state.rows("database_hosts"):
        # database_host_node pivot (migration 2024_10_31_203540): a host's node becomes its one linked node.
        # node_id stays as well: the client API's database creation still picks a host by it.
        state.update(
            "database_hosts", host, {"node_ids": [host["node_id"]] if host.get("node_id") else []}, touch=False
        )
    if state.rows("nodes"):
        # Mounts can only be created in the UI (the API's create is broken): the demo panel has one.
        state.insert(
            "mounts",
            {
                "uuid": state.new_uuid(),
                "name": "shared-maps",
                "description": "Shared map files",
                "source": "/srv/maps",
                "target": "/home/container/maps",
                "read_only": True,
                "user_mountable": False,
            },
        )
    for table in ("locations", "nests"):
        state.delete_where(table, lambda row: True)


def _migrate_nodes(state: State) -> None:
    for node in state.rows("nodes"):
        location = state.get("locations", node.get("location_id")) if node.get("location_id") else None
        state.update(
            "nodes",
            node,
            {
                "location_id": None,
                "tags": [location["short"]] if location else [],
                "cpu": 0,
                "cpu_overallocate": 0,
                "daemon_connect": node["daemon_listen"],
                "daemon_sftp_alias": None,
                "daemon_base": PELICAN_DAEMON_BASE,
            },
            touch=False,
        )


def _migrate_eggs(state: State) -> None:
    for egg in state.rows("eggs"):
        nest = state.get("nests", egg.get("nest_id")) if egg.get("nest_id") else None
        state.update(
            "eggs",
            egg,
            {
                "nest_id": None,
                "tags": [nest["name"]] if nest else [],
                "icon": None,
                "startup_commands": {"Default": egg["startup"]},
            },
            touch=False,
        )
    for variable in state.rows("egg_variables"):
        rules = variable["rules"]
        if isinstance(rules, str):
            state.update("egg_variables", variable, {"rules": rules.split("|") if rules else []}, touch=False)


def _migrate_users(state: State) -> None:
    role = state.insert("roles", {"name": ROOT_ADMIN_ROLE, "guard_name": "web"})
    for user in state.rows("users"):
        state.update(
            "users",
            user,
            {
                "email": user["email"].lower(),
                "username": user["username"].lower(),
                "is_managed_externally": False,
                "timezone": "UTC",
            },
            touch=False,
        )
        if user["root_admin"]:
            state.insert("model_roles", {"user_id": user["id"], "role_id": role["id"]}, timestamps=False)


def root_admin_role(state: State) -> dict[str, Any] | None:
    return state.find("roles", name=ROOT_ADMIN_ROLE)


def user_role_ids(state: State, user_id: int) -> list[int]:
    return [row["role_id"] for row in state.select("model_roles", user_id=user_id)]


def sync_root_admin(state: State, user: dict[str, Any]) -> None:
    """root_admin follows membership of the Root Admin role (the gate and the client API read the column)."""
    role = root_admin_role(state)
    is_root = role is not None and role["id"] in user_role_ids(state, user["id"])
    if bool(user["root_admin"]) != is_root:
        state.update("users", user, {"root_admin": is_root}, touch=False)
