# Private to ptero.panel: not a public API.
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every route of the Pterodactyl Panel application API (42) and client API (69), as data.

`OPERATIONS` maps an operation name `<api>.<resource>.<action>` to an `Operation`: the HTTP method, the path
template with `{name}` parameters, how the request body is sent, what shape the answer has, and for list
routes the pagination defaults, filters and sorts the panel accepts. `PanelClient.call()` takes these names.

Response kinds:
  item        one `{object, attributes}` envelope, flattened to a dict
  list        a `{object: list, data: [...]}` envelope, flattened to a list of dicts
  none        204 with no body, or 202 with `[]`
  raw         a JSON document returned as it is (node configuration)
  text        a `text/plain` body returned as a str (file contents)
  signed_url  an item whose attributes are `{url}`
  data        a `{data: {...}}` payload; the inner dict is returned (websocket credentials, 2FA setup)
"""

from __future__ import annotations

import re
import typing as t
from dataclasses import dataclass

API_APPLICATION = "application"
API_CLIENT = "client"

BODY_KINDS = ("json", "raw", None)
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

    @property
    def path_params(self) -> tuple[str, ...]:
        """Names of the `{name}` placeholders of `path`, in order."""
        return tuple(_PATH_PARAMETER.findall(self.path))

    @property
    def is_list(self) -> bool:
        return self.response == "list"


def _operation(name: str, method: str, path: str, response: str, description: str, *, body: str | None = None,
               paginated: bool = False, default_per_page: int | None = None, max_per_page: int | None = None,
               filters: tuple[str, ...] = (), sorts: tuple[str, ...] = ()) -> Operation:
    api = name.split(".", 1)[0]
    return Operation(name=name, method=method, path=f"/api/{api}{path}", paginated=paginated, api=api, body=body,
                     response=response, default_per_page=default_per_page, max_per_page=max_per_page,
                     filters=filters, sorts=sorts, description=description)


def _application_list(name: str, path: str, description: str, *, filters: tuple[str, ...] = (),
                      sorts: tuple[str, ...] = ()) -> Operation:
    # Application lists page by 50 by default and accept any per_page.
    return _operation(name, "GET", path, "list", description, paginated=True, default_per_page=50,
                      filters=filters, sorts=sorts)


_S = "/servers/{server}"  # client server-scoped prefix

_TABLE: tuple[Operation, ...] = (
    # ---- application API: users -------------------------------------------------------------------
    _application_list("application.users.list", "/users", "List users.",
                      filters=("email", "uuid", "username", "external_id"), sorts=("id", "uuid")),
    _operation("application.users.get", "GET", "/users/{user}", "item", "Get a user by id."),
    _operation("application.users.get_external", "GET", "/users/external/{external_id}", "item",
               "Get a user by its external id (exact match)."),
    _operation("application.users.create", "POST", "/users", "item", "Create a user (201, meta.resource).",
               body="json"),
    _operation("application.users.update", "PATCH", "/users/{user}", "item",
               "Update a user; email, username, first_name and last_name are required every time.", body="json"),
    _operation("application.users.delete", "DELETE", "/users/{user}", "none",
               "Delete a user; 400 while the user owns servers."),
    # ---- application API: nodes -------------------------------------------------------------------
    _application_list("application.nodes.list", "/nodes", "List nodes.",
                      filters=("uuid", "name", "fqdn", "daemon_token_id"), sorts=("id", "uuid", "memory", "disk")),
    _operation("application.nodes.deployable", "GET", "/nodes/deployable", "list",
               "Public nodes with room for `memory` and `disk` (query), optionally in `location_ids[]`; "
               "paginated only when `page` is sent; 400 when none fits.",
               paginated=True, default_per_page=50),
    _operation("application.nodes.get", "GET", "/nodes/{node}", "item", "Get a node by id."),
    _operation("application.nodes.configuration", "GET", "/nodes/{node}/configuration", "raw",
               "The node's Wings configuration as a plain JSON document (contains the daemon token)."),
    _operation("application.nodes.create", "POST", "/nodes", "item", "Create a node (201, meta.resource).",
               body="json"),
    _operation("application.nodes.update", "PATCH", "/nodes/{node}", "item",
               "Update a node; send the full object (an omitted daemon_base is reset).", body="json"),
    _operation("application.nodes.delete", "DELETE", "/nodes/{node}", "none",
               "Delete a node; 400 while servers are on it."),
    # ---- application API: allocations ---------------------------------------------------------------
    _application_list("application.allocations.list", "/nodes/{node}/allocations", "List a node's allocations.",
                      filters=("ip", "port", "ip_alias", "server_id")),
    _operation("application.allocations.create", "POST", "/nodes/{node}/allocations", "none",
               "Add allocations (ip, ports, alias) to a node; existing ones are skipped; 204 without ids.",
               body="json"),
    _operation("application.allocations.delete", "DELETE", "/nodes/{node}/allocations/{allocation}", "none",
               "Delete an unassigned allocation of a node."),
    # ---- application API: locations -----------------------------------------------------------------
    _application_list("application.locations.list", "/locations", "List locations.",
                      filters=("short", "long"), sorts=("id",)),
    _operation("application.locations.get", "GET", "/locations/{location}", "item", "Get a location by id."),
    _operation("application.locations.create", "POST", "/locations", "item",
               "Create a location (201, meta.resource).", body="json"),
    _operation("application.locations.update", "PATCH", "/locations/{location}", "item",
               "Update a location; short is required every time.", body="json"),
    _operation("application.locations.delete", "DELETE", "/locations/{location}", "none",
               "Delete a location; 400 while nodes use it."),
    # ---- application API: servers -------------------------------------------------------------------
    _application_list("application.servers.list", "/servers", "List servers.",
                      filters=("uuid", "uuidShort", "name", "description", "image", "external_id"),
                      sorts=("id", "uuid")),
    _operation("application.servers.get", "GET", "/servers/{server}", "item", "Get a server by id."),
    _operation("application.servers.get_external", "GET", "/servers/external/{external_id}", "item",
               "Get a server by its external id (exact match)."),
    _operation("application.servers.update_details", "PATCH", "/servers/{server}/details", "item",
               "Set name, owner, description and external_id (all written every time).", body="json"),
    _operation("application.servers.update_build", "PATCH", "/servers/{server}/build", "item",
               "Set limits, feature limits and allocations.", body="json"),
    _operation("application.servers.update_startup", "PATCH", "/servers/{server}/startup", "item",
               "Set startup command, egg, image and environment (a partial environment empties the rest).",
               body="json"),
    _operation("application.servers.create", "POST", "/servers", "item",
               "Create a server (201, status installing).", body="json"),
    _operation("application.servers.suspend", "POST", "/servers/{server}/suspend", "none",
               "Suspend a server (no-op when suspended)."),
    _operation("application.servers.unsuspend", "POST", "/servers/{server}/unsuspend", "none",
               "Unsuspend a server (no-op when not suspended)."),
    _operation("application.servers.reinstall", "POST", "/servers/{server}/reinstall", "none",
               "Reinstall a server."),
    _operation("application.servers.delete", "DELETE", "/servers/{server}", "none", "Delete a server."),
    _operation("application.servers.force_delete", "DELETE", "/servers/{server}/force", "none",
               "Delete a server even when Wings or a database host fails."),
    # ---- application API: server databases ----------------------------------------------------------
    _operation("application.server_databases.list", "GET", "/servers/{server}/databases", "list",
               "List a server's databases (not paginated)."),
    _operation("application.server_databases.get", "GET", "/servers/{server}/databases/{database}", "item",
               "Get a server database (include=password shows the password)."),
    _operation("application.server_databases.create", "POST", "/servers/{server}/databases", "item",
               "Create a database (database, remote, host) (201, meta.resource).", body="json"),
    _operation("application.server_databases.reset_password", "POST",
               "/servers/{server}/databases/{database}/reset-password", "none",
               "Give a database a new random password (not returned)."),
    _operation("application.server_databases.delete", "DELETE", "/servers/{server}/databases/{database}", "none",
               "Delete a server database."),
    # ---- application API: nests and eggs ------------------------------------------------------------
    _application_list("application.nests.list", "/nests", "List nests."),
    _operation("application.nests.get", "GET", "/nests/{nest}", "item", "Get a nest by id."),
    _operation("application.eggs.list", "GET", "/nests/{nest}/eggs", "list", "List a nest's eggs (not paginated)."),
    _operation("application.eggs.get", "GET", "/nests/{nest}/eggs/{egg}", "item",
               "Get an egg of a nest (include=variables for its variables)."),
    # ---- client API: account and global -------------------------------------------------------------
    _operation("client.servers.list", "GET", "", "list",
               "Servers the key's user can access (`type`: owner, admin, admin-all).",
               paginated=True, default_per_page=50, max_per_page=100,
               filters=("uuid", "name", "description", "external_id", "*")),
    _operation("client.permissions.get", "GET", "/permissions", "item", "Every subuser permission key."),
    _operation("client.account.get", "GET", "/account", "item", "The key's own account."),
    _operation("client.two_factor.get", "GET", "/account/two-factor", "data",
               "Start 2FA setup: a new TOTP secret and otpauth URI (new on every call)."),
    _operation("client.two_factor.enable", "POST", "/account/two-factor", "item",
               "Enable 2FA with code and password; returns recovery tokens.", body="json"),
    _operation("client.two_factor.disable", "POST", "/account/two-factor/disable", "none",
               "Disable 2FA (password).", body="json"),
    _operation("client.account.update_email", "PUT", "/account/email", "none",
               "Change the account e-mail (email, password).", body="json"),
    _operation("client.account.update_password", "PUT", "/account/password", "none",
               "Change the account password (current_password, password, password_confirmation).", body="json"),
    _operation("client.account_activity.list", "GET", "/account/activity", "list", "The account's activity log.",
               paginated=True, default_per_page=25, max_per_page=100, filters=("event",), sorts=("timestamp",)),
    _operation("client.api_keys.list", "GET", "/account/api-keys", "list", "The account's API keys."),
    _operation("client.api_keys.create", "POST", "/account/api-keys", "item",
               "Create an API key; meta.secret_token holds its secret, shown once.", body="json"),
    _operation("client.api_keys.delete", "DELETE", "/account/api-keys/{identifier}", "none",
               "Delete an API key by identifier."),
    _operation("client.ssh_keys.list", "GET", "/account/ssh-keys", "list", "The account's SSH keys."),
    _operation("client.ssh_keys.create", "POST", "/account/ssh-keys", "item", "Add an SSH key (name, public_key).",
               body="json"),
    _operation("client.ssh_keys.delete", "POST", "/account/ssh-keys/remove", "none",
               "Remove an SSH key by fingerprint (204 even when none matched).", body="json"),
    # ---- client API: one server -------------------------------------------------------------------
    _operation("client.servers.get", "GET", _S, "item",
               "A server (meta.is_server_owner, meta.user_permissions); allowed in every state."),
    _operation("client.servers.websocket", "GET", f"{_S}/websocket", "data",
               "Websocket credentials {token, socket} for the server console."),
    _operation("client.servers.resources", "GET", f"{_S}/resources", "item",
               "Current state and resource usage (stats)."),
    _operation("client.server_activity.list", "GET", f"{_S}/activity", "list", "The server's activity log.",
               paginated=True, default_per_page=25, max_per_page=100, filters=("event",), sorts=("timestamp",)),
    _operation("client.servers.command", "POST", f"{_S}/command", "none", "Send a console command.", body="json"),
    _operation("client.servers.power", "POST", f"{_S}/power", "none",
               "Send a power signal: start, stop, restart or kill.", body="json"),
    # ---- client API: databases --------------------------------------------------------------------
    _operation("client.databases.list", "GET", f"{_S}/databases", "list",
               "The server's databases (include=password)."),
    _operation("client.databases.create", "POST", f"{_S}/databases", "item",
               "Create a database (database, remote).", body="json"),
    _operation("client.databases.rotate_password", "POST", f"{_S}/databases/{{database}}/rotate-password", "item",
               "Give a database a new password; returns the database."),
    _operation("client.databases.delete", "DELETE", f"{_S}/databases/{{database}}", "none", "Delete a database."),
    # ---- client API: files ------------------------------------------------------------------------
    _operation("client.files.list", "GET", f"{_S}/files/list", "list", "List a directory (query `directory`)."),
    _operation("client.files.contents", "GET", f"{_S}/files/contents", "text",
               "A file's content as text (query `file`; at most 4 MiB)."),
    _operation("client.files.download", "GET", f"{_S}/files/download", "signed_url",
               "A signed download URL for a file (query `file`)."),
    _operation("client.files.rename", "PUT", f"{_S}/files/rename", "none",
               "Rename or move files (root, files: [{from, to}]).", body="json"),
    _operation("client.files.copy", "POST", f"{_S}/files/copy", "none", "Copy a file next to itself (location).",
               body="json"),
    _operation("client.files.write", "POST", f"{_S}/files/write", "none",
               "Create or overwrite a file (query `file`) with the raw body.", body="raw"),
    _operation("client.files.compress", "POST", f"{_S}/files/compress", "item",
               "Archive files (root, files); returns the archive's file object.", body="json"),
    _operation("client.files.decompress", "POST", f"{_S}/files/decompress", "none",
               "Extract an archive in place (root, file).", body="json"),
    _operation("client.files.delete", "POST", f"{_S}/files/delete", "none", "Delete files (root, files).",
               body="json"),
    _operation("client.files.create_folder", "POST", f"{_S}/files/create-folder", "none",
               "Create a directory (root, name).", body="json"),
    _operation("client.files.chmod", "POST", f"{_S}/files/chmod", "none",
               "Change modes (root, files: [{file, mode}]).", body="json"),
    _operation("client.files.pull", "POST", f"{_S}/files/pull", "none",
               "Have Wings download a URL into the server (10 per 5 minutes).", body="json"),
    _operation("client.files.upload", "GET", f"{_S}/files/upload", "signed_url", "A signed upload URL."),
    # ---- client API: schedules and tasks ----------------------------------------------------------
    _operation("client.schedules.list", "GET", f"{_S}/schedules", "list", "The server's schedules with tasks."),
    _operation("client.schedules.create", "POST", f"{_S}/schedules", "item",
               "Create a schedule (name, cron parts; month is needed; is_active defaults to false).",
               body="json"),
    _operation("client.schedules.get", "GET", f"{_S}/schedules/{{schedule}}", "item", "A schedule with its tasks."),
    _operation("client.schedules.update", "POST", f"{_S}/schedules/{{schedule}}", "item",
               "Replace a schedule's settings.", body="json"),
    _operation("client.schedules.execute", "POST", f"{_S}/schedules/{{schedule}}/execute", "none",
               "Run a schedule now (202)."),
    _operation("client.schedules.delete", "DELETE", f"{_S}/schedules/{{schedule}}", "none", "Delete a schedule."),
    _operation("client.schedule_tasks.create", "POST", f"{_S}/schedules/{{schedule}}/tasks", "item",
               "Add a task (action, payload, time_offset, sequence_id, continue_on_failure).", body="json"),
    _operation("client.schedule_tasks.update", "POST", f"{_S}/schedules/{{schedule}}/tasks/{{task}}", "item",
               "Change a task.", body="json"),
    _operation("client.schedule_tasks.delete", "DELETE", f"{_S}/schedules/{{schedule}}/tasks/{{task}}", "none",
               "Delete a task."),
    # ---- client API: network allocations ----------------------------------------------------------
    _operation("client.allocations.list", "GET", f"{_S}/network/allocations", "list", "The server's allocations."),
    _operation("client.allocations.create", "POST", f"{_S}/network/allocations", "item",
               "Assign one more allocation automatically (if the panel allows it)."),
    _operation("client.allocations.update_notes", "POST", f"{_S}/network/allocations/{{allocation}}", "item",
               "Set an allocation's notes (notes may be null).", body="json"),
    _operation("client.allocations.set_primary", "POST", f"{_S}/network/allocations/{{allocation}}/primary", "item",
               "Make an allocation the primary one."),
    _operation("client.allocations.delete", "DELETE", f"{_S}/network/allocations/{{allocation}}", "none",
               "Unassign an allocation from the server."),
    # ---- client API: subusers ---------------------------------------------------------------------
    _operation("client.subusers.list", "GET", f"{_S}/users", "list", "The server's subusers."),
    _operation("client.subusers.create", "POST", f"{_S}/users", "item", "Add a subuser (email, permissions).",
               body="json"),
    _operation("client.subusers.get", "GET", f"{_S}/users/{{user}}", "item", "A subuser by user uuid."),
    _operation("client.subusers.update", "POST", f"{_S}/users/{{user}}", "item", "Set a subuser's permissions.",
               body="json"),
    _operation("client.subusers.delete", "DELETE", f"{_S}/users/{{user}}", "none", "Remove a subuser."),
    # ---- client API: backups ----------------------------------------------------------------------
    _operation("client.backups.list", "GET", f"{_S}/backups", "list", "The server's backups (meta.backup_count).",
               paginated=True, default_per_page=20, max_per_page=50),
    _operation("client.backups.create", "POST", f"{_S}/backups", "item",
               "Start a backup (name, is_locked, ignored); 2 per 600 s per server.", body="json"),
    _operation("client.backups.get", "GET", f"{_S}/backups/{{backup}}", "item", "A backup by uuid."),
    _operation("client.backups.download", "GET", f"{_S}/backups/{{backup}}/download", "signed_url",
               "A signed download URL for a backup."),
    _operation("client.backups.toggle_lock", "POST", f"{_S}/backups/{{backup}}/lock", "item",
               "Flip a backup's lock; returns the backup."),
    _operation("client.backups.restore", "POST", f"{_S}/backups/{{backup}}/restore", "none",
               "Restore a backup (truncate).", body="json"),
    _operation("client.backups.delete", "DELETE", f"{_S}/backups/{{backup}}", "none",
               "Delete a backup (400 when locked and successful)."),
    # ---- client API: startup and settings ---------------------------------------------------------
    _operation("client.startup.get", "GET", f"{_S}/startup", "list",
               "Viewable startup variables (meta.startup_command, docker_images, raw_startup_command)."),
    _operation("client.startup.update_variable", "PUT", f"{_S}/startup/variable", "item",
               "Set a startup variable (key, value).", body="json"),
    _operation("client.settings.rename", "POST", f"{_S}/settings/rename", "none",
               "Rename a server (name, description).", body="json"),
    _operation("client.settings.reinstall", "POST", f"{_S}/settings/reinstall", "none", "Reinstall a server (202)."),
    _operation("client.settings.docker_image", "PUT", f"{_S}/settings/docker-image", "none",
               "Pick one of the egg's docker images (docker_image).", body="json"),
)

OPERATIONS: dict[str, Operation] = {operation.name: operation for operation in _TABLE}


class RateLimit(t.NamedTuple):
    """A limit the panel puts on one route, in words for messages."""

    count: int
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


def render_reference_markdown() -> str:
    """The operations table as Markdown, one section per API (for generated documentation)."""
    lines: list[str] = ["# Panel API operations", ""]
    for api, title in ((API_APPLICATION, "Application API"), (API_CLIENT, "Client API")):
        operations = [operation for operation in _TABLE if operation.api == api]
        lines += [f"## {title} ({len(operations)} routes)", "",
                  "| Operation | Method | Path | Body | Response | Pages (default/max) | Filters | Sorts | Description |",
                  "|---|---|---|---|---|---|---|---|---|"]
        for op in operations:
            if op.paginated:
                pages = f"{op.default_per_page}/{op.max_per_page if op.max_per_page is not None else 'none'}"
            else:
                pages = "-"
            description = op.description.replace("|", "\\|")
            lines.append(f"| `{op.name}` | {op.method} | `{op.path}` | {op.body or '-'} | {op.response} | {pages} "
                         f"| {_cell(f'filter[{name}]' for name in op.filters)} | {_cell(op.sorts)} | {description} |")
        lines.append("")
    return "\n".join(lines)
