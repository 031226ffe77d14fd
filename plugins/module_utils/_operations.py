# Private to ptero.panel: not a public API.
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every route of the Pterodactyl Panel (application API 42, client API 69) and of Pelican, its fork (application
API 76, client API 69), as data.

`OPERATIONS` maps an operation name `<api>.<resource>.<action>` to an `Operation`: the HTTP method, the path
template with `{name}` parameters, how the request body is sent, what shape the answer has, and for list
routes the pagination defaults, filters and sorts the panel accepts. `PanelClient.call()` takes these names.

Panels: an operation's `flavours` are the panels that have the route (both by default). `instead` says what to
use on a panel that lacks it, `pelican_since` the first Pelican beta that has it, and `pelican` holds the details
that differ on Pelican for a route both panels have (`Operation.on(flavour)` applies them). `status_hints` say
what a status means on that route when the panel's answer does not (empty 403/406 bodies, Pelican's generic 500s).

Response kinds:
  item        one `{object, attributes}` envelope, flattened to a dict
  list        a `{object: list, data: [...]}` envelope, flattened to a list of dicts
  none        204 with no body, or 202 with `[]`
  raw         a JSON document returned as it is (node configuration)
  text        a `text/plain` body returned as a str (file contents)
  signed_url  an item whose attributes are `{url}`
  data        a `{data: {...}}` payload; the inner dict is returned (websocket credentials, 2FA setup)

Body kinds:
  json        a dict or list sent as JSON
  raw         a str or bytes sent as it is, text/plain (file contents)
  document    a YAML or JSON file sent as it is, labelled application/yaml or application/json by its content;
              a dict is sent as JSON (Pelican's egg import)
  multipart   a file upload: `{field: (file name, bytes)}` (Pelican's plugin import)
"""

from __future__ import annotations

import re
import typing as t
from dataclasses import dataclass, replace

from ansible_collections.ptero.panel.plugins.module_utils._flavour import (
    FLAVOURS,
    PELICAN,
    PTERODACTYL,
    panel_name,
)

API_APPLICATION = "application"
API_CLIENT = "client"

BODY_KINDS = ("json", "raw", "document", "multipart", None)
RESPONSE_KINDS = ("item", "list", "none", "raw", "text", "signed_url", "data")
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")

_PATH_PARAMETER = re.compile(r"\{([a-z_]+)\}")


@dataclass(frozen=True)
class Operation:
    """One panel route. `paginated` lists answer with `meta.pagination`; the others are one page."""

    name: str
    method: str
    path: str
    paginated: bool
    api: str
    body: str | None
    response: str
    default_per_page: int | None
    max_per_page: int | None
    filters: tuple[str, ...]
    sorts: tuple[str, ...]
    description: str
    #: The panels that have this route.
    flavours: tuple[str, ...] = FLAVOURS
    #: What to use instead on a panel that lacks the route (an operation name or words), or None.
    instead: str | None = None
    #: The first Pelican release with the route ("beta30"), where Pelican added it after its first beta.
    pelican_since: str | None = None
    #: Field values that differ on Pelican, for a route both panels have (see `on()`).
    pelican: tuple[tuple[str, t.Any], ...] = ()
    #: Filter names the caller may use that the panel spells differently: (name given, name sent).
    filter_renames: tuple[tuple[str, str], ...] = ()
    #: What an answer status means on this route, where the panel's own answer does not say (empty bodies).
    status_hints: tuple[tuple[int, str], ...] = ()

    @property
    def path_params(self) -> tuple[str, ...]:
        """Names of the `{name}` placeholders of `path`, in order."""
        return tuple(_PATH_PARAMETER.findall(self.path))

    @property
    def is_list(self) -> bool:
        return self.response == "list"

    def available_on(self, flavour: str) -> bool:
        return flavour in self.flavours

    @property
    def on_every_panel(self) -> bool:
        return set(FLAVOURS) <= set(self.flavours)

    def on(self, flavour: str) -> Operation:
        """This operation as `flavour`'s panel has it (Pelican's filters, page sizes, hints...)."""
        if flavour == PELICAN and self.pelican:
            return replace(self, **dict(self.pelican))
        return self

    def status_hint(self, status: int) -> str | None:
        return dict(self.status_hints).get(status)

    def unsupported_message(self, flavour: str) -> str:
        """Why this operation cannot be sent to `flavour`'s panel, and what to use instead."""
        only = " and ".join(panel_name(name) for name in self.flavours)
        if self.flavours == (PELICAN,) and self.pelican_since:
            only += f" ({self.pelican_since} and later)"
        message = f"{self.name} ({self.method} {self.path}) does not exist on {panel_name(flavour)}; only {only} has it"
        return f"{message}. Use instead: {self.instead}" if self.instead else message


def _operation(
    name: str,
    method: str,
    path: str,
    response: str,
    description: str,
    *,
    body: str | None = None,
    paginated: bool = False,
    default_per_page: int | None = None,
    max_per_page: int | None = None,
    filters: tuple[str, ...] = (),
    sorts: tuple[str, ...] = (),
    flavours: tuple[str, ...] = FLAVOURS,
    instead: str | None = None,
    pelican_since: str | None = None,
    pelican: t.Mapping[str, t.Any] | None = None,
    status_hints: t.Mapping[int, str] | None = None,
) -> Operation:
    api = name.split(".", 1)[0]
    return Operation(
        name=name,
        method=method,
        path=f"/api/{api}{path}",
        paginated=paginated,
        api=api,
        body=body,
        response=response,
        default_per_page=default_per_page,
        max_per_page=max_per_page,
        filters=filters,
        sorts=sorts,
        description=description,
        flavours=flavours,
        instead=instead,
        pelican_since=pelican_since,
        pelican=tuple((pelican or {}).items()),
        status_hints=tuple((status_hints or {}).items()),
    )


def _application_list(
    name: str,
    path: str,
    description: str,
    *,
    filters: tuple[str, ...] = (),
    sorts: tuple[str, ...] = (),
    default_per_page: int = 50,
    **details: t.Any,
) -> Operation:
    # Application lists page by 50 by default (Pelican's newer resources by 10) and accept any per_page.
    return _operation(
        name,
        "GET",
        path,
        "list",
        description,
        paginated=True,
        default_per_page=default_per_page,
        filters=filters,
        sorts=sorts,
        **details,
    )


def _pterodactyl(operation: Operation, instead: str | None) -> Operation:
    """A route Pelican removed."""
    return replace(operation, flavours=(PTERODACTYL,), instead=instead)


def _pelican(operation: Operation, since: str | None = None, instead: str | None = None) -> Operation:
    """A route only Pelican has (`since`: its first Pelican beta when after beta1)."""
    return replace(operation, flavours=(PELICAN,), pelican_since=since, instead=instead)


# Pelican answers a generic 500 when Wings fails or for some of its own errors; these say what it means there.
_PELICAN_DUPLICATE_ALLOCATION = (
    "on Pelican a 500 here usually means an allocation in the request already exists "
    "(the whole batch is rolled back): list the node's allocations and add only the "
    "missing ones"
)
_PELICAN_ALREADY_ATTACHED = (
    "on Pelican a 500 here usually means one of them is already attached to the mount "
    "(the request is not idempotent): list the mount's {what} and attach only the missing "
    "ones"
)
_PELICAN_ROOT_ROLE = "on Pelican the Root Admin role cannot be changed or deleted, and it answers 500 for it"
_LOCATIONS_INSTEAD = (
    "node tags (`tags` of application.nodes.create/update; `tags[]` of "
    "application.nodes.deployable and a server's deploy)"
)
_NESTS_INSTEAD = "egg tags (the `tags` of each egg of application.egg_catalog.list)"
_NO_TWO_FACTOR = "nothing: Pelican manages two-factor authentication only in its web interface"


_S = "/servers/{server}"  # client server-scoped prefix

_TABLE: tuple[Operation, ...] = (
    # ---- application API: users -------------------------------------------------------------------
    _application_list(
        "application.users.list",
        "/users",
        "List users.",
        filters=("email", "uuid", "username", "external_id"),
        sorts=("id", "uuid"),
    ),
    _operation("application.users.get", "GET", "/users/{user}", "item", "Get a user by id."),
    _operation(
        "application.users.get_external",
        "GET",
        "/users/external/{external_id}",
        "item",
        "Get a user by its external id (exact match).",
    ),
    _operation(
        "application.users.create", "POST", "/users", "item", "Create a user (201, meta.resource).", body="json"
    ),
    _operation(
        "application.users.update",
        "PATCH",
        "/users/{user}",
        "item",
        "Update a user; email, username, first_name and last_name are required every time.",
        body="json",
        pelican={
            "description": "Update a user; email and username are required every time (Pelican ignores "
            "first_name, last_name and root_admin)."
        },
    ),
    _pelican(
        _operation(
            "application.users.assign_roles",
            "PATCH",
            "/users/{user}/roles/assign",
            "item",
            "Give a user roles (roles: [role ids]); the Root Admin role is skipped; returns the user.",
            body="json",
        ),
        since="beta11",
        instead="root_admin of application.users.create/update",
    ),
    _pelican(
        _operation(
            "application.users.remove_roles",
            "PATCH",
            "/users/{user}/roles/remove",
            "item",
            "Take roles from a user (roles: [role ids]); the Root Admin role is skipped; returns the user.",
            body="json",
        ),
        since="beta11",
        instead="root_admin of application.users.update",
    ),
    _operation(
        "application.users.delete",
        "DELETE",
        "/users/{user}",
        "none",
        "Delete a user; 400 while the user owns servers.",
        pelican={"status_hints": ((403, "Pelican does not delete a root admin through the API"),)},
    ),
    # ---- application API: nodes -------------------------------------------------------------------
    _application_list(
        "application.nodes.list",
        "/nodes",
        "List nodes.",
        filters=("uuid", "name", "fqdn", "daemon_token_id"),
        sorts=("id", "uuid", "memory", "disk"),
        pelican={"sorts": ("id", "uuid", "memory", "disk", "cpu")},
    ),
    _operation(
        "application.nodes.deployable",
        "GET",
        "/nodes/deployable",
        "list",
        "Public nodes with room for `memory` and `disk` (query), optionally in `location_ids[]`; "
        "paginated only when `page` is sent; 400 when none fits.",
        paginated=True,
        default_per_page=50,
        pelican={
            "description": "Public nodes with room for `memory`, `disk` and `cpu` (query), with any of "
            "`tags[]`; never paginated.",
            "paginated": False,
            "default_per_page": None,
        },
    ),
    _operation("application.nodes.get", "GET", "/nodes/{node}", "item", "Get a node by id."),
    _operation(
        "application.nodes.configuration",
        "GET",
        "/nodes/{node}/configuration",
        "raw",
        "The node's Wings configuration as a plain JSON document (contains the daemon token).",
    ),
    _operation(
        "application.nodes.create", "POST", "/nodes", "item", "Create a node (201, meta.resource).", body="json"
    ),
    _operation(
        "application.nodes.update",
        "PATCH",
        "/nodes/{node}",
        "item",
        "Update a node; send the full object (an omitted daemon_base is reset).",
        body="json",
    ),
    _operation(
        "application.nodes.delete", "DELETE", "/nodes/{node}", "none", "Delete a node; 400 while servers are on it."
    ),
    # ---- application API: allocations ---------------------------------------------------------------
    _application_list(
        "application.allocations.list",
        "/nodes/{node}/allocations",
        "List a node's allocations.",
        filters=("ip", "port", "ip_alias", "server_id"),
    ),
    _operation(
        "application.allocations.create",
        "POST",
        "/nodes/{node}/allocations",
        "none",
        "Add allocations (ip, ports, alias) to a node; existing ones are skipped; 204 without ids.",
        body="json",
        pelican={
            "description": "Add allocations (ip or CIDR, ports, alias) to a node; 204 without ids; a "
            "duplicate fails the whole batch with 500 (not idempotent).",
            "status_hints": ((500, _PELICAN_DUPLICATE_ALLOCATION),),
        },
    ),
    _operation(
        "application.allocations.delete",
        "DELETE",
        "/nodes/{node}/allocations/{allocation}",
        "none",
        "Delete an unassigned allocation of a node.",
    ),
    # ---- application API: locations -----------------------------------------------------------------
    _pterodactyl(
        _application_list(
            "application.locations.list", "/locations", "List locations.", filters=("short", "long"), sorts=("id",)
        ),
        _LOCATIONS_INSTEAD,
    ),
    _pterodactyl(
        _operation("application.locations.get", "GET", "/locations/{location}", "item", "Get a location by id."),
        _LOCATIONS_INSTEAD,
    ),
    _pterodactyl(
        _operation(
            "application.locations.create",
            "POST",
            "/locations",
            "item",
            "Create a location (201, meta.resource).",
            body="json",
        ),
        _LOCATIONS_INSTEAD,
    ),
    _pterodactyl(
        _operation(
            "application.locations.update",
            "PATCH",
            "/locations/{location}",
            "item",
            "Update a location; short is required every time.",
            body="json",
        ),
        _LOCATIONS_INSTEAD,
    ),
    _pterodactyl(
        _operation(
            "application.locations.delete",
            "DELETE",
            "/locations/{location}",
            "none",
            "Delete a location; 400 while nodes use it.",
        ),
        _LOCATIONS_INSTEAD,
    ),
    # ---- application API: servers -------------------------------------------------------------------
    _application_list(
        "application.servers.list",
        "/servers",
        "List servers.",
        filters=("uuid", "uuidShort", "name", "description", "image", "external_id"),
        sorts=("id", "uuid"),
        pelican={
            "filters": ("uuid", "uuid_short", "name", "description", "image", "external_id"),
            "filter_renames": (("uuidShort", "uuid_short"),),
        },
    ),
    _operation("application.servers.get", "GET", "/servers/{server}", "item", "Get a server by id."),
    _operation(
        "application.servers.get_external",
        "GET",
        "/servers/external/{external_id}",
        "item",
        "Get a server by its external id (exact match).",
    ),
    _operation(
        "application.servers.update_details",
        "PATCH",
        "/servers/{server}/details",
        "item",
        "Set name, owner, description and external_id (all written every time).",
        body="json",
    ),
    _operation(
        "application.servers.update_build",
        "PATCH",
        "/servers/{server}/build",
        "item",
        "Set limits, feature limits and allocations.",
        body="json",
        pelican={"description": "Set limits (with oom_killer), feature limits and allocations (optional)."},
    ),
    _operation(
        "application.servers.update_startup",
        "PATCH",
        "/servers/{server}/startup",
        "item",
        "Set startup command, egg, image and environment (a partial environment empties the rest).",
        body="json",
    ),
    _operation(
        "application.servers.create",
        "POST",
        "/servers",
        "item",
        "Create a server (201, status installing).",
        body="json",
        pelican={
            "description": "Create a server (201, status installing); docker_image and startup are "
            "optional, oom_killer replaces oom_disabled, deploy takes tags."
        },
    ),
    _operation(
        "application.servers.suspend",
        "POST",
        "/servers/{server}/suspend",
        "none",
        "Suspend a server (no-op when suspended).",
    ),
    _operation(
        "application.servers.unsuspend",
        "POST",
        "/servers/{server}/unsuspend",
        "none",
        "Unsuspend a server (no-op when not suspended).",
    ),
    _operation("application.servers.reinstall", "POST", "/servers/{server}/reinstall", "none", "Reinstall a server."),
    _pelican(
        _operation(
            "application.servers.transfer",
            "POST",
            "/servers/{server}/transfer",
            "none",
            "Start moving a server to another node (node_id, allocation_id, allocation_additional); "
            "204, or 406 with an empty body when the node cannot take it.",
            body="json",
            status_hints={
                406: "the target node cannot take the server (not enough memory, disk or "
                "CPU, or the allocation is not free on it)"
            },
        ),
        since="beta2",
    ),
    _pelican(
        _operation(
            "application.servers.transfer_cancel",
            "POST",
            "/servers/{server}/transfer/cancel",
            "none",
            "Cancel a server's transfer; 204, or 406 with an empty body when none is running.",
            status_hints={406: "the server is not being transferred"},
        ),
        since="beta2",
    ),
    _operation("application.servers.delete", "DELETE", "/servers/{server}", "none", "Delete a server."),
    _operation(
        "application.servers.force_delete",
        "DELETE",
        "/servers/{server}/force",
        "none",
        "Delete a server even when Wings or a database host fails.",
    ),
    # ---- application API: server databases ----------------------------------------------------------
    _operation(
        "application.server_databases.list",
        "GET",
        "/servers/{server}/databases",
        "list",
        "List a server's databases (not paginated).",
    ),
    _operation(
        "application.server_databases.get",
        "GET",
        "/servers/{server}/databases/{database}",
        "item",
        "Get a server database (include=password shows the password).",
    ),
    _operation(
        "application.server_databases.create",
        "POST",
        "/servers/{server}/databases",
        "item",
        "Create a database (database, remote, host) (201, meta.resource).",
        body="json",
    ),
    _operation(
        "application.server_databases.reset_password",
        "POST",
        "/servers/{server}/databases/{database}/reset-password",
        "none",
        "Give a database a new random password (not returned).",
    ),
    _operation(
        "application.server_databases.delete",
        "DELETE",
        "/servers/{server}/databases/{database}",
        "none",
        "Delete a server database.",
    ),
    # ---- application API: nests and eggs ------------------------------------------------------------
    _pterodactyl(_application_list("application.nests.list", "/nests", "List nests."), _NESTS_INSTEAD),
    _pterodactyl(
        _operation("application.nests.get", "GET", "/nests/{nest}", "item", "Get a nest by id."), _NESTS_INSTEAD
    ),
    _pterodactyl(
        _operation("application.eggs.list", "GET", "/nests/{nest}/eggs", "list", "List a nest's eggs (not paginated)."),
        "application.egg_catalog.list",
    ),
    _pterodactyl(
        _operation(
            "application.eggs.get",
            "GET",
            "/nests/{nest}/eggs/{egg}",
            "item",
            "Get an egg of a nest (include=variables for its variables).",
        ),
        "application.egg_catalog.get",
    ),
    # ---- application API (Pelican): eggs without nests ----------------------------------------------
    _pelican(
        _operation(
            "application.egg_catalog.list",
            "GET",
            "/eggs",
            "list",
            "Every egg (not paginated, no filters); eggs carry tags instead of a nest.",
        ),
        instead="application.nests.list and application.eggs.list (per nest)",
    ),
    _pelican(
        _operation(
            "application.egg_catalog.get",
            "GET",
            "/eggs/{egg}",
            "item",
            "Get an egg by id (include=variables, servers; the config and script includes fail).",
        ),
        instead="application.eggs.get (with its nest)",
    ),
    _pelican(
        _operation(
            "application.egg_catalog.export",
            "GET",
            "/eggs/{egg}/export",
            "text",
            "An egg as a file to import elsewhere (query `format`: yaml, the default, or json).",
        ),
        since="beta26",
    ),
    _pelican(
        _operation(
            "application.egg_catalog.import",
            "POST",
            "/eggs/import",
            "item",
            "Create or update (by uuid) an egg from its YAML or JSON file; a file without uuid "
            "makes a new egg every time (201).",
            body="document",
        ),
        since="beta30",
    ),
    _pelican(
        _operation(
            "application.egg_catalog.delete",
            "DELETE",
            "/eggs/{egg}",
            "none",
            "Delete an egg; 400 while servers or other eggs use it.",
        ),
        since="beta30",
    ),
    _pelican(
        _operation(
            "application.egg_catalog.delete_by_uuid",
            "DELETE",
            "/eggs/uuid/{uuid}",
            "none",
            "Delete an egg by uuid; 400 while servers or other eggs use it.",
        ),
        since="beta30",
    ),
    # ---- application API (Pelican): database hosts --------------------------------------------------
    _pelican(
        _application_list(
            "application.database_hosts.list",
            "/database-hosts",
            "List database hosts.",
            filters=("name", "host"),
            sorts=("id", "name", "host"),
            default_per_page=10,
        ),
        since="beta2",
    ),
    _pelican(
        _operation(
            "application.database_hosts.get",
            "GET",
            "/database-hosts/{database_host}",
            "item",
            "Get a database host by id (the password and the linked nodes are not shown).",
        ),
        since="beta2",
    ),
    _pelican(
        _operation(
            "application.database_hosts.create",
            "POST",
            "/database-hosts",
            "item",
            "Add a database host (name, host, port, username, password, node_ids); the panel connects "
            "to it first (201).",
            body="json",
        ),
        since="beta2",
    ),
    _pelican(
        _operation(
            "application.database_hosts.update",
            "PATCH",
            "/database-hosts/{database_host}",
            "item",
            "Replace a database host's settings (the same fields as create).",
            body="json",
        ),
        since="beta2",
    ),
    _pelican(
        _operation(
            "application.database_hosts.delete",
            "DELETE",
            "/database-hosts/{database_host}",
            "none",
            "Delete a database host.",
        ),
        since="beta2",
    ),
    # ---- application API (Pelican): mounts -----------------------------------------------------------
    _pelican(
        _application_list("application.mounts.list", "/mounts", "List mounts.", filters=("uuid", "name")), since="beta3"
    ),
    _pelican(
        _operation(
            "application.mounts.get",
            "GET",
            "/mounts/{mount}",
            "item",
            "Get a mount by id (include=eggs, nodes, servers).",
        ),
        since="beta3",
    ),
    _pelican(
        _operation(
            "application.mounts.list_eggs",
            "GET",
            "/mounts/{mount}/eggs",
            "list",
            "The eggs a mount is attached to (not paginated).",
        ),
        since="beta23",
    ),
    _pelican(
        _operation(
            "application.mounts.list_nodes",
            "GET",
            "/mounts/{mount}/nodes",
            "list",
            "The nodes a mount is attached to (not paginated).",
        ),
        since="beta23",
    ),
    _pelican(
        _operation(
            "application.mounts.list_servers",
            "GET",
            "/mounts/{mount}/servers",
            "list",
            "The servers a mount is attached to (not paginated).",
        ),
        since="beta23",
    ),
    _pelican(
        _operation(
            "application.mounts.create",
            "POST",
            "/mounts",
            "item",
            "Create a mount; Pelican beta38 always answers 500 (create mounts in the web interface).",
            body="json",
            status_hints={
                500: "Pelican's mount creation through the API always fails (its request "
                "declares no fields); create the mount in the web interface"
            },
        ),
        since="beta3",
    ),
    _pelican(
        _operation(
            "application.mounts.attach_eggs",
            "POST",
            "/mounts/{mount}/eggs",
            "item",
            "Attach eggs (eggs: [ids]); 500 when one is attached already; returns the mount.",
            body="json",
            status_hints={500: _PELICAN_ALREADY_ATTACHED.format(what="eggs")},
        ),
        since="beta23",
    ),
    _pelican(
        _operation(
            "application.mounts.attach_nodes",
            "POST",
            "/mounts/{mount}/nodes",
            "item",
            "Attach nodes (nodes: [ids]); 500 when one is attached already; returns the mount.",
            body="json",
            status_hints={500: _PELICAN_ALREADY_ATTACHED.format(what="nodes")},
        ),
        since="beta23",
    ),
    _pelican(
        _operation(
            "application.mounts.attach_servers",
            "POST",
            "/mounts/{mount}/servers",
            "item",
            "Attach servers (servers: [ids]); 500 when one is attached already; returns the mount.",
            body="json",
            status_hints={500: _PELICAN_ALREADY_ATTACHED.format(what="servers")},
        ),
        since="beta23",
    ),
    _pelican(
        _operation(
            "application.mounts.update",
            "PATCH",
            "/mounts/{mount}",
            "item",
            "Update a mount (name, source, target required; description, read_only, user_mountable).",
            body="json",
        ),
        since="beta3",
    ),
    _pelican(
        _operation(
            "application.mounts.delete",
            "DELETE",
            "/mounts/{mount}",
            "none",
            "Delete a mount; 400 while servers use it.",
        ),
        since="beta3",
    ),
    _pelican(
        _operation(
            "application.mounts.detach_egg",
            "DELETE",
            "/mounts/{mount}/eggs/{egg}",
            "none",
            "Detach an egg (204 also when it was not attached).",
        ),
        since="beta23",
    ),
    _pelican(
        _operation(
            "application.mounts.detach_node",
            "DELETE",
            "/mounts/{mount}/nodes/{node}",
            "none",
            "Detach a node (204 also when it was not attached).",
        ),
        since="beta23",
    ),
    _pelican(
        _operation(
            "application.mounts.detach_server",
            "DELETE",
            "/mounts/{mount}/servers/{server}",
            "none",
            "Detach a server (204 also when it was not attached).",
        ),
        since="beta23",
    ),
    # ---- application API (Pelican): roles ------------------------------------------------------------
    _pelican(
        _application_list(
            "application.roles.list",
            "/roles",
            "List roles.",
            filters=("id", "name"),
            sorts=("id", "name"),
            default_per_page=10,
        ),
        since="beta11",
    ),
    _pelican(
        _operation(
            "application.roles.get",
            "GET",
            "/roles/{role}",
            "item",
            "Get a role by id (include=permissions, read only).",
        ),
        since="beta11",
    ),
    _pelican(
        _operation(
            "application.roles.create",
            "POST",
            "/roles",
            "item",
            "Create a role (name only; permissions are set in the web interface); 500 when the name exists (201).",
            body="json",
            status_hints={500: "on Pelican a 500 here usually means a role with that name exists"},
        ),
        since="beta11",
    ),
    _pelican(
        _operation(
            "application.roles.update",
            "PATCH",
            "/roles/{role}",
            "item",
            "Rename a role (name).",
            body="json",
            status_hints={500: _PELICAN_ROOT_ROLE},
        ),
        since="beta11",
    ),
    _pelican(
        _operation(
            "application.roles.delete",
            "DELETE",
            "/roles/{role}",
            "none",
            "Delete a role.",
            status_hints={500: _PELICAN_ROOT_ROLE},
        ),
        since="beta11",
    ),
    # ---- application API (Pelican): plugins ----------------------------------------------------------
    _pelican(
        _application_list(
            "application.plugins.list",
            "/plugins",
            "List plugins.",
            filters=("id", "name", "author", "category"),
            sorts=("id", "name", "author", "category"),
            default_per_page=10,
        ),
        since="beta32",
    ),
    _pelican(
        _operation("application.plugins.get", "GET", "/plugins/{plugin}", "item", "Get a plugin by its id (a string)."),
        since="beta32",
    ),
    _pelican(
        _operation(
            "application.plugins.import_file",
            "POST",
            "/plugins/import/file",
            "none",
            "Upload a plugin archive (multipart field `plugin`); 201 with an empty body.",
            body="multipart",
        ),
        since="beta32",
    ),
    _pelican(
        _operation(
            "application.plugins.import_url",
            "POST",
            "/plugins/import/url",
            "none",
            "Download a plugin from a URL (url); 201 with an empty body.",
            body="json",
        ),
        since="beta32",
    ),
    _pelican(
        _operation(
            "application.plugins.install", "POST", "/plugins/{plugin}/install", "item", "Install a plugin; returns it."
        ),
        since="beta32",
    ),
    _pelican(
        _operation(
            "application.plugins.update", "POST", "/plugins/{plugin}/update", "item", "Update a plugin; returns it."
        ),
        since="beta32",
    ),
    _pelican(
        _operation(
            "application.plugins.uninstall",
            "POST",
            "/plugins/{plugin}/uninstall",
            "item",
            "Uninstall a plugin (delete: also remove its files); returns it.",
            body="json",
        ),
        since="beta32",
    ),
    _pelican(
        _operation(
            "application.plugins.enable", "POST", "/plugins/{plugin}/enable", "item", "Enable a plugin; returns it."
        ),
        since="beta32",
    ),
    _pelican(
        _operation(
            "application.plugins.disable", "POST", "/plugins/{plugin}/disable", "item", "Disable a plugin; returns it."
        ),
        since="beta32",
    ),
    # ---- client API: account and global -------------------------------------------------------------
    _operation(
        "client.servers.list",
        "GET",
        "",
        "list",
        "Servers the key's user can access (`type`: owner, admin, admin-all).",
        paginated=True,
        default_per_page=50,
        max_per_page=100,
        filters=("uuid", "name", "description", "external_id", "*"),
    ),
    _operation(
        "client.permissions.get",
        "GET",
        "/permissions",
        "item",
        "Every subuser permission key.",
        pelican={"description": "Every subuser permission key, as a flat list of `group.key` strings."},
    ),
    _operation("client.account.get", "GET", "/account", "item", "The key's own account."),
    _pterodactyl(
        _operation(
            "client.two_factor.get",
            "GET",
            "/account/two-factor",
            "data",
            "Start 2FA setup: a new TOTP secret and otpauth URI (new on every call).",
        ),
        _NO_TWO_FACTOR,
    ),
    _pterodactyl(
        _operation(
            "client.two_factor.enable",
            "POST",
            "/account/two-factor",
            "item",
            "Enable 2FA with code and password; returns recovery tokens.",
            body="json",
        ),
        _NO_TWO_FACTOR,
    ),
    _pterodactyl(
        _operation(
            "client.two_factor.disable",
            "POST",
            "/account/two-factor/disable",
            "none",
            "Disable 2FA (password).",
            body="json",
        ),
        _NO_TWO_FACTOR,
    ),
    _pelican(
        _operation(
            "client.account.update_username",
            "PUT",
            "/account/username",
            "none",
            "Change the account's username (username, password); 403 when managed externally.",
            body="json",
        ),
        since="beta28",
    ),
    _operation(
        "client.account.update_email",
        "PUT",
        "/account/email",
        "none",
        "Change the account e-mail (email, password).",
        body="json",
    ),
    _operation(
        "client.account.update_password",
        "PUT",
        "/account/password",
        "none",
        "Change the account password (current_password, password, password_confirmation).",
        body="json",
    ),
    _operation(
        "client.account_activity.list",
        "GET",
        "/account/activity",
        "list",
        "The account's activity log.",
        paginated=True,
        default_per_page=25,
        max_per_page=100,
        filters=("event",),
        sorts=("timestamp",),
    ),
    _operation("client.api_keys.list", "GET", "/account/api-keys", "list", "The account's API keys."),
    _operation(
        "client.api_keys.create",
        "POST",
        "/account/api-keys",
        "item",
        "Create an API key; meta.secret_token holds its secret, shown once.",
        body="json",
    ),
    _operation(
        "client.api_keys.delete", "DELETE", "/account/api-keys/{identifier}", "none", "Delete an API key by identifier."
    ),
    _operation("client.ssh_keys.list", "GET", "/account/ssh-keys", "list", "The account's SSH keys."),
    _operation(
        "client.ssh_keys.create", "POST", "/account/ssh-keys", "item", "Add an SSH key (name, public_key).", body="json"
    ),
    _pterodactyl(
        _operation(
            "client.ssh_keys.delete",
            "POST",
            "/account/ssh-keys/remove",
            "none",
            "Remove an SSH key by fingerprint (204 even when none matched).",
            body="json",
        ),
        "client.ssh_keys.delete_by_fingerprint",
    ),
    _pelican(
        _operation(
            "client.ssh_keys.delete_by_fingerprint",
            "DELETE",
            "/account/ssh-keys/{fingerprint}",
            "none",
            "Remove an SSH key by fingerprint; 404 when there is none (not idempotent: list first).",
        ),
        since="beta29",
        instead="client.ssh_keys.delete",
    ),
    # ---- client API: one server -------------------------------------------------------------------
    _operation(
        "client.servers.get",
        "GET",
        _S,
        "item",
        "A server (meta.is_server_owner, meta.user_permissions); allowed in every state.",
    ),
    _operation(
        "client.servers.websocket",
        "GET",
        f"{_S}/websocket",
        "data",
        "Websocket credentials {token, socket} for the server console.",
    ),
    _operation(
        "client.servers.resources", "GET", f"{_S}/resources", "item", "Current state and resource usage (stats)."
    ),
    _operation(
        "client.server_activity.list",
        "GET",
        f"{_S}/activity",
        "list",
        "The server's activity log.",
        paginated=True,
        default_per_page=25,
        max_per_page=100,
        filters=("event",),
        sorts=("timestamp",),
    ),
    _operation(
        "client.servers.command",
        "POST",
        f"{_S}/command",
        "none",
        "Send a console command.",
        body="json",
        pelican={"description": "Send a console command; an offline server also answers 204."},
    ),
    _operation(
        "client.servers.power",
        "POST",
        f"{_S}/power",
        "none",
        "Send a power signal: start, stop, restart or kill.",
        body="json",
    ),
    # ---- client API: databases --------------------------------------------------------------------
    _operation("client.databases.list", "GET", f"{_S}/databases", "list", "The server's databases (include=password)."),
    _operation(
        "client.databases.create",
        "POST",
        f"{_S}/databases",
        "item",
        "Create a database (database, remote).",
        body="json",
    ),
    _operation(
        "client.databases.rotate_password",
        "POST",
        f"{_S}/databases/{{database}}/rotate-password",
        "item",
        "Give a database a new password; returns the database.",
    ),
    _operation("client.databases.delete", "DELETE", f"{_S}/databases/{{database}}", "none", "Delete a database."),
    # ---- client API: files ------------------------------------------------------------------------
    _operation("client.files.list", "GET", f"{_S}/files/list", "list", "List a directory (query `directory`)."),
    _operation(
        "client.files.contents",
        "GET",
        f"{_S}/files/contents",
        "text",
        "A file's content as text (query `file`; at most 4 MiB).",
    ),
    _operation(
        "client.files.download",
        "GET",
        f"{_S}/files/download",
        "signed_url",
        "A signed download URL for a file (query `file`).",
    ),
    _operation(
        "client.files.rename",
        "PUT",
        f"{_S}/files/rename",
        "none",
        "Rename or move files (root, files: [{from, to}]).",
        body="json",
    ),
    _operation(
        "client.files.copy", "POST", f"{_S}/files/copy", "none", "Copy a file next to itself (location).", body="json"
    ),
    _operation(
        "client.files.write",
        "POST",
        f"{_S}/files/write",
        "none",
        "Create or overwrite a file (query `file`) with the raw body.",
        body="raw",
    ),
    _operation(
        "client.files.compress",
        "POST",
        f"{_S}/files/compress",
        "item",
        "Archive files (root, files); returns the archive's file object.",
        body="json",
    ),
    _operation(
        "client.files.decompress",
        "POST",
        f"{_S}/files/decompress",
        "none",
        "Extract an archive in place (root, file).",
        body="json",
    ),
    _operation("client.files.delete", "POST", f"{_S}/files/delete", "none", "Delete files (root, files).", body="json"),
    _operation(
        "client.files.create_folder",
        "POST",
        f"{_S}/files/create-folder",
        "none",
        "Create a directory (root, name).",
        body="json",
    ),
    _operation(
        "client.files.chmod",
        "POST",
        f"{_S}/files/chmod",
        "none",
        "Change modes (root, files: [{file, mode}]).",
        body="json",
    ),
    _operation(
        "client.files.pull",
        "POST",
        f"{_S}/files/pull",
        "none",
        "Have Wings download a URL into the server (10 per 5 minutes).",
        body="json",
        pelican={"description": "Have Wings download a URL into the server (5 per 10 minutes per server)."},
    ),
    _operation("client.files.upload", "GET", f"{_S}/files/upload", "signed_url", "A signed upload URL."),
    # ---- client API: schedules and tasks ----------------------------------------------------------
    _operation("client.schedules.list", "GET", f"{_S}/schedules", "list", "The server's schedules with tasks."),
    _operation(
        "client.schedules.create",
        "POST",
        f"{_S}/schedules",
        "item",
        "Create a schedule (name, cron parts; month is needed; is_active defaults to false).",
        body="json",
    ),
    _operation("client.schedules.get", "GET", f"{_S}/schedules/{{schedule}}", "item", "A schedule with its tasks."),
    _operation(
        "client.schedules.update",
        "POST",
        f"{_S}/schedules/{{schedule}}",
        "item",
        "Replace a schedule's settings.",
        body="json",
    ),
    _operation(
        "client.schedules.execute", "POST", f"{_S}/schedules/{{schedule}}/execute", "none", "Run a schedule now (202)."
    ),
    _operation("client.schedules.delete", "DELETE", f"{_S}/schedules/{{schedule}}", "none", "Delete a schedule."),
    _operation(
        "client.schedule_tasks.create",
        "POST",
        f"{_S}/schedules/{{schedule}}/tasks",
        "item",
        "Add a task (action, payload, time_offset, sequence_id, continue_on_failure).",
        body="json",
    ),
    _operation(
        "client.schedule_tasks.update",
        "POST",
        f"{_S}/schedules/{{schedule}}/tasks/{{task}}",
        "item",
        "Change a task.",
        body="json",
    ),
    _operation(
        "client.schedule_tasks.delete",
        "DELETE",
        f"{_S}/schedules/{{schedule}}/tasks/{{task}}",
        "none",
        "Delete a task.",
    ),
    # ---- client API: network allocations ----------------------------------------------------------
    _operation("client.allocations.list", "GET", f"{_S}/network/allocations", "list", "The server's allocations."),
    _operation(
        "client.allocations.create",
        "POST",
        f"{_S}/network/allocations",
        "item",
        "Assign one more allocation automatically (if the panel allows it).",
    ),
    _operation(
        "client.allocations.update_notes",
        "POST",
        f"{_S}/network/allocations/{{allocation}}",
        "item",
        "Set an allocation's notes (notes may be null).",
        body="json",
    ),
    _operation(
        "client.allocations.set_primary",
        "POST",
        f"{_S}/network/allocations/{{allocation}}/primary",
        "item",
        "Make an allocation the primary one.",
    ),
    _operation(
        "client.allocations.delete",
        "DELETE",
        f"{_S}/network/allocations/{{allocation}}",
        "none",
        "Unassign an allocation from the server.",
    ),
    # ---- client API: subusers ---------------------------------------------------------------------
    _operation("client.subusers.list", "GET", f"{_S}/users", "list", "The server's subusers."),
    _operation(
        "client.subusers.create", "POST", f"{_S}/users", "item", "Add a subuser (email, permissions).", body="json"
    ),
    _operation("client.subusers.get", "GET", f"{_S}/users/{{user}}", "item", "A subuser by user uuid."),
    _operation(
        "client.subusers.update", "POST", f"{_S}/users/{{user}}", "item", "Set a subuser's permissions.", body="json"
    ),
    _operation("client.subusers.delete", "DELETE", f"{_S}/users/{{user}}", "none", "Remove a subuser."),
    # ---- client API: backups ----------------------------------------------------------------------
    _operation(
        "client.backups.list",
        "GET",
        f"{_S}/backups",
        "list",
        "The server's backups (meta.backup_count).",
        paginated=True,
        default_per_page=20,
        max_per_page=50,
    ),
    _operation(
        "client.backups.create",
        "POST",
        f"{_S}/backups",
        "item",
        "Start a backup (name, is_locked, ignored); 2 per 600 s per server.",
        body="json",
    ),
    _operation("client.backups.get", "GET", f"{_S}/backups/{{backup}}", "item", "A backup by uuid."),
    _operation(
        "client.backups.download",
        "GET",
        f"{_S}/backups/{{backup}}/download",
        "signed_url",
        "A signed download URL for a backup.",
    ),
    _pelican(
        _operation(
            "client.backups.rename",
            "PUT",
            f"{_S}/backups/{{backup}}/rename",
            "item",
            "Rename a backup (name); returns the backup.",
            body="json",
        ),
        since="beta24",
    ),
    _operation(
        "client.backups.toggle_lock",
        "POST",
        f"{_S}/backups/{{backup}}/lock",
        "item",
        "Flip a backup's lock; returns the backup.",
    ),
    _operation(
        "client.backups.restore",
        "POST",
        f"{_S}/backups/{{backup}}/restore",
        "none",
        "Restore a backup (truncate).",
        body="json",
    ),
    _operation(
        "client.backups.delete",
        "DELETE",
        f"{_S}/backups/{{backup}}",
        "none",
        "Delete a backup (400 when locked and successful).",
    ),
    # ---- client API: startup and settings ---------------------------------------------------------
    _operation(
        "client.startup.get",
        "GET",
        f"{_S}/startup",
        "list",
        "Viewable startup variables (meta.startup_command, docker_images, raw_startup_command).",
    ),
    _operation(
        "client.startup.update_variable",
        "PUT",
        f"{_S}/startup/variable",
        "item",
        "Set a startup variable (key, value).",
        body="json",
    ),
    _operation(
        "client.settings.rename",
        "POST",
        f"{_S}/settings/rename",
        "none",
        "Rename a server (name, description).",
        body="json",
        pelican={"description": "Rename a server (name; a description is ignored: use client.settings.description)."},
    ),
    _pelican(
        _operation(
            "client.settings.description",
            "POST",
            f"{_S}/settings/description",
            "none",
            "Set a server's description (description, may be null).",
            body="json",
            status_hints={
                403: "the panel does not let users change server descriptions "
                "(PANEL_EDITABLE_SERVER_DESCRIPTIONS is false)"
            },
        ),
        since="beta22",
        instead="client.settings.rename (with description)",
    ),
    _operation("client.settings.reinstall", "POST", f"{_S}/settings/reinstall", "none", "Reinstall a server (202)."),
    _operation(
        "client.settings.docker_image",
        "PUT",
        f"{_S}/settings/docker-image",
        "none",
        "Pick one of the egg's docker images (docker_image).",
        body="json",
    ),
)

OPERATIONS: dict[str, Operation] = {operation.name: operation for operation in _TABLE}


class RateLimit(t.NamedTuple):
    """A limit the panel puts on one route, in words for messages."""

    count: int  # type: ignore[assignment]  # the field shadows tuple.count on purpose: the limit's number
    seconds: int
    actions: str  # plural noun: "schedule creations"
    per: str  # what the limit is counted per: "server", "user"
    since: str  # the first panel release that has it


# The per-server resource limiters (panel 1.12.0+, keyed by the server's uuid and shared by every key acting on
# it) and the e-mail change limit (1.12.3+). Counts and periods are the panel's, which it does not let an
# operator change.
SERVER_RATE_LIMITS: dict[str, RateLimit] = {
    "client.servers.websocket": RateLimit(5, 60, "websocket tokens", "server", "1.12.0"),
    "client.databases.create": RateLimit(2, 60, "database creations", "server", "1.12.0"),
    "client.schedules.create": RateLimit(2, 60, "schedule creations", "server", "1.12.0"),
    "client.allocations.create": RateLimit(2, 60, "network allocation creations", "server", "1.12.0"),
    "client.subusers.create": RateLimit(10, 900, "subuser creations", "server", "1.12.0"),
    "client.backups.restore": RateLimit(3, 900, "backup restores", "server", "1.12.0"),
    "client.files.pull": RateLimit(5, 600, "file pulls", "server", "1.12.0"),
}
EMAIL_CHANGE_LIMIT = RateLimit(3, 86400, "e-mail address changes", "user", "1.12.3")
# Pelican has the same per-server limiters (counts and periods) since its beta31, and the e-mail change limit too.
PELICAN_SERVER_LIMITS_SINCE = "beta31"


def get_operation(name: str) -> Operation:
    """The operation called `name`; ValueError (naming close matches) for an unknown name."""
    try:
        return OPERATIONS[name]
    except KeyError:
        prefix = name.rsplit(".", 1)[0]
        close = sorted(other for other in OPERATIONS if other.startswith(prefix + "."))
        hint = f"; known in {prefix}: {', '.join(close)}" if close else ""
        raise ValueError(f"Unknown panel operation {name!r}{hint}") from None


def _cell(values: t.Iterable[str]) -> str:
    return ", ".join(f"`{value}`" for value in values) or "-"


def _panels_cell(op: Operation) -> str:
    if op.on_every_panel:
        return "both"
    names = []
    for flavour in op.flavours:
        since = f" {op.pelican_since}+" if flavour == PELICAN and op.pelican_since else ""
        names.append(panel_name(flavour) + since)
    return ", ".join(names)


def _description_cell(op: Operation) -> str:
    text = op.description
    pelican = op.on(PELICAN)
    if pelican is not op:
        notes = [pelican.description] if pelican.description != op.description else []
        if pelican.filters != op.filters:
            notes.append(f"filters {_cell(f'filter[{name}]' for name in pelican.filters)}")
        if pelican.sorts != op.sorts:
            notes.append(f"sorts {_cell(pelican.sorts)}")
        notes += [f"{status}: {hint}" for status, hint in pelican.status_hints if (status, hint) not in op.status_hints]
        text += "<br>Pelican: " + "; ".join(notes) if notes else ""
    if op.status_hints:
        text += "<br>" + "; ".join(f"{status}: {hint}" for status, hint in op.status_hints)
    if op.instead:
        others = ", ".join(panel_name(flavour) for flavour in FLAVOURS if flavour not in op.flavours)
        text += f"<br>On {others}: {op.instead}"
    return text.replace("|", "\\|")


def render_reference_markdown() -> str:
    """The operations table as Markdown, one section per API (for generated documentation)."""
    lines: list[str] = [
        "# Panel API operations",
        "",
        "Panels: `both` means Pterodactyl and Pelican; a Pelican release (`beta30+`) is the first "
        "that has the route. Calling an operation the panel lacks fails before any request.",
        "",
    ]
    for api, title in ((API_APPLICATION, "Application API"), (API_CLIENT, "Client API")):
        operations = [operation for operation in _TABLE if operation.api == api]
        counts = ", ".join(
            f"{panel_name(flavour)}: {sum(flavour in op.flavours for op in operations)} routes" for flavour in FLAVOURS
        )
        lines += [
            f"## {title} ({counts})",
            "",
            "| Operation | Panels | Method | Path | Body | Response | Pages (default/max) | Filters | Sorts "
            "| Description |",
            "|---|---|---|---|---|---|---|---|---|---|",
        ]
        for op in operations:
            if op.paginated:
                pages = f"{op.default_per_page}/{op.max_per_page if op.max_per_page is not None else 'none'}"
            else:
                pages = "-"
            lines.append(
                f"| `{op.name}` | {_panels_cell(op)} | {op.method} | `{op.path}` | {op.body or '-'} "
                f"| {op.response} | {pages} | {_cell(f'filter[{name}]' for name in op.filters)} "
                f"| {_cell(op.sorts)} | {_description_cell(op)} |"
            )
        lines.append("")
    return "\n".join(lines)
