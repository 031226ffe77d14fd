# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: pterodactyl
short_description: Servers and nodes of a Pterodactyl or Pelican panel as inventory
version_added: 0.1.0
description:
  - Reads the game servers and the nodes of a Pterodactyl panel (or of Pelican, its successor) and adds them as
    hosts, with a lean set of their attributes as host variables (every attribute for O(compose), O(groups) and
    O(keyed_groups)) and default groups per node, location, nest, egg and status (on Pelican node and egg tags).
  - The configuration file's name must end in C(pterodactyl.yml) or C(pterodactyl.yaml).
  - With an application key (C(ptla_...), on Pelican also C(papp_...)) it lists every server, with its allocations
    and owner, in one paginated listing; nodes, locations, nests and eggs (on Pelican nodes and eggs) are read once
    each and joined by id, so the number of requests grows with the number of pages (100 servers a page), not with
    the number of servers.
  - With a client key (C(ptlc_...)) it lists the servers the key's account can access (all servers with
    O(client_list_all) and a root admin's key). Nodes, locations and nests are not visible to client keys.
  - "Host variables (names start with O(hostvar_prefix), V(pterodactyl_) by default) are a lean set by default, because
    ansible-core spends time on every stored value of every host, on every run that loads the inventory (with a
    cache hit too). The set of a server: C(id) (application key) or C(internal_id) (client key), C(identifier),
    C(server_identifier) (the C(serv_...) id; client key, panel 1.12+), C(uuid), C(external_id) (application key),
    C(name) (the panel's name, also when the host name differs), C(status), C(node_name), C(location_short)
    (application key), C(primary_allocation) (V(ip:port)), C(primary_ip), C(primary_port), C(limits),
    C(sftp_host) (the node's FQDN), C(sftp_port) (the node's SFTP port) and C(sftp_user)
    (V(<username>.<short uuid>), null when the username is not known); and C(ansible_host). The kind of host, the
    egg and the nest are told by the default groups (and seen by O(compose) as C(resource_type), C(egg_name),
    C(nest_name))."
  - "The set of a node: C(id), C(uuid), C(name), C(fqdn), C(scheme), C(daemon_listen), C(daemon_sftp),
    C(maintenance_mode), C(location_short); and C(ansible_host)."
  - "Every other field is still read and seen by O(compose), O(groups) and O(keyed_groups), stored or not, for
    example C(pterodactyl_owner.username) in a keyed group. The fields of a server: every attribute the API returns
    (application API: C(id), C(identifier), C(uuid), C(external_id), C(name), C(description), C(status),
    C(suspended), C(limits), C(feature_limits), C(user), C(node), C(allocation), C(nest), C(egg), C(container), ...;
    client API: C(internal_id), C(identifier), C(uuid), C(name), C(node) (the node's name), C(sftp_details),
    C(limits), C(invocation), C(docker_image), C(status), and on panel 1.12+ C(server_identifier) and
    C(__deprecated_uuid_short), ...), plus C(resource_type), C(allocations) (list), C(primary_allocation),
    C(primary_ip), C(primary_port), C(node_name), C(node_fqdn), C(egg_name), C(sftp_host), C(sftp_port) and
    C(sftp_user). With an application key also C(owner) (the owner's user attributes), C(location_id),
    C(location_short), C(location_long) and C(nest_name); with a client key also C(variables) (the startup
    variables the key may read). Nodes: every node attribute (C(memory), C(disk), C(allocated_resources), ...) plus
    C(location_short) and C(location_long)."
  - O(extra_hostvars) stores more fields, or every field (V(all), the set stored by default before the lean set).
  - C(ansible_host) is the FQDN of the node (for a server, of the node it runs on). Game servers have no SSH shell;
    use the C(sftp_*) variables to reach their files.
  - "Default groups: C(pterodactyl_servers), C(pterodactyl_nodes), C(pterodactyl_node_<node name>) (the servers on
    that node), C(pterodactyl_location_<short code>) (servers and nodes), C(pterodactyl_nest_<nest name>),
    C(pterodactyl_egg_<egg name>) and C(pterodactyl_status_<status>) (V(installed), V(installing),
    V(install_failed), V(reinstall_failed), V(suspended), V(restoring_backup)). Names are lower-cased and every
    character other than a letter, a digit or C(_) becomes C(_)."
  - "On Pelican, which has no locations or nests (its nodes and eggs carry tags: its migrations made each location's
    short code a node tag and each nest's name an egg tag), the groups C(pterodactyl_node_tag_<tag>) (servers and
    nodes) and C(pterodactyl_egg_tag_<tag>) (servers) take the place of the location and nest groups. Host variables
    keep their names; C(location_short) is left out. Servers also have the fields C(node_tags) and C(egg_tags) (for
    O(compose), O(groups) and O(keyed_groups)), and nodes their C(tags). The eggs are read from Pelican's egg list
    (C(GET /api/application/eggs)). See O(panel)."
  - "Host names follow O(server_hostname) for servers and are the node name for nodes, made safe for host patterns
    (C(--limit), C(hosts:)), which split on white space as well as on C(:) and C(,): white space around the name is
    dropped, and each white space character, each of C(:) C(,) C(!) C(&) C([) C(]) C(*) C(?) and control
    characters, and a leading C(~) or C(@), becomes C(_). V(Minecraft: Survival, EU) becomes
    V(Minecraft__Survival__EU), V(Rust [EU] #1!) V(Rust__EU__#1_) and V(Rust Island) V(Rust_Island). The C(name)
    variable keeps the panel's name."
  - When two hosts would get the same name, the one listed first (nodes before servers, then hosts whose name needed
    no change, then by id) keeps it and the others get C(_<identifier>) (servers) or C(_<id>) (nodes) appended;
    the plugin warns about every renamed host. The same panel data always gives the same names.
  - Requests are pages of 100 servers, asked in id order. Every listing is queued at once, with at most 8 requests in
    flight (within the client's connection pool of 10). Each page's hosts go to ansible-core as soon as the page
    arrives, while later pages are still on the wire; hosts whose name had to be made pattern-safe are added when the
    listing is complete (a later server may hold that name unchanged). A listing that fails half-way takes back every
    host and group it added.
  - "Speed at 5,000 servers and 50 nodes (emulated panel, 20 ms a request; C(docs/benchmarks.md)):
    C(ansible-inventory --list) took 2.12 times (ansible-core 2.19; 2.34 in a second run) and 1.99 times (2.16) what
    ansible-core itself needs to hold the same hosts and groups without variables; the plugin's own work (its time
    less the same hosts replayed with its variables) was 0.25 times (2.19) and 0.31 times (2.16) py-dactyl's listing
    of servers and nodes; peak memory at 10,000 servers fell from 769 to 230 MiB (2.19) and from 636 to 199 MiB
    (2.16) with the lean default set."
  - On ansible-core 2.19, which copies every value a plugin sets and tags it with its origin, the plugin tags each
    distinct host-variable value once with that same origin and the hosts share it; the stored values and their
    tags are the same, at a fraction of the time and memory.
  - With O(cache), the listing is cached with every field, so changing O(compose), O(groups), O(keyed_groups) or
    O(extra_hostvars) needs no new listing; a cache hit sends no request to the panel. The cache key depends on
    the file's path, O(url), the key's identifier (never its secret) and every option that changes the listing.
requirements:
  - requests
extends_documentation_fragment:
  - constructed
  - inventory_cache
  - ptero.panel.inventory
options:
  plugin:
    description: The name of this plugin; it marks the file as a configuration of this plugin.
    type: str
    required: true
    choices: [ptero.panel.pterodactyl]
  api_type:
    description:
      - Which API O(api_key) belongs to.
      - V(auto) decides by the key's prefix, C(ptla_) (Pelican C(papp_), C(peli_)) for V(application) and C(ptlc_)
        (Pelican C(pacc_), C(plcn_)) for V(client); a key without one of these prefixes (made before panel 1.8) needs
        V(application) or V(client).
    type: str
    choices: [auto, application, client]
    default: auto
  include_servers:
    description: Whether to add the panel's servers as hosts.
    type: bool
    default: true
  include_nodes:
    description:
      - Whether to add the panel's nodes as hosts.
      - Nodes can only be read with an application key; with a client key the plugin warns and adds none.
    type: bool
    default: true
  server_hostname:
    description:
      - Which attribute names a server's host.
      - V(external_id) needs an application key; servers without an external id are named by their identifier.
      - V(server_identifier) is the C(serv_...) id that panel 1.12+ shows to client keys (every API call accepts
        it as the server); with an application key or an older panel, servers are named by their identifier.
      - The name is made safe for host patterns; see the description.
    type: str
    choices: [name, identifier, uuid, external_id, server_identifier]
    default: name
  filters:
    description:
      - Filters the panel applies to the server listing, as a mapping of the panel's filter name to the value
        (C(filter[name]=value)). A list value matches any of its items.
      - "Application key: V(uuid), V(uuidShort), V(name), V(description), V(image), V(external_id) (all partial,
        case-insensitive matches)."
      - "Client key: V(uuid), V(name), V(description), V(external_id) and V(*) (a search over uuid, identifier,
        external id, name and, for C(ip:port) terms, allocations)."
      - Nodes are not filtered.
    type: dict
    default: {}
  exclude_suspended:
    description: Whether to leave out suspended servers.
    type: bool
    default: false
  client_list_all:
    description:
      - With a client key, list every server of the panel (C(type=admin-all)) instead of the servers the key's
        account owns or is a subuser of.
      - Only a root admin's key can see every server; for other keys the plugin warns and lists their own servers.
    type: bool
    default: false
  allow_empty:
    description:
      - Whether a listing that finds no host at all is a success.
      - By default it fails, saying why the panel showed nothing (for example an admin's client key without
        O(client_list_all), or filters that match nothing). An empty result that is really a configuration mistake
        would otherwise make an AWX / Automation Platform sync with C(Overwrite) delete every host imported before.
      - Set it to V(true) for a panel or a filter that is meant to be empty.
      - AWX and Automation Platform fail the sync on this error (they set C(ANSIBLE_INVENTORY_UNPARSED_FAILED));
        C(ansible-inventory) and C(ansible-playbook) on the command line show it as a warning and go on without
        this source unless that setting is on.
    type: bool
    default: false
  hostvar_prefix:
    description:
      - Prefix of the host variables the plugin sets (not of C(ansible_host)).
      - O(compose), O(groups) and O(keyed_groups) see the prefixed names, of every field.
    type: str
    default: pterodactyl_
  extra_hostvars:
    description:
      - Fields stored as host variables on top of the lean default set (see the description), by their name without
        O(hostvar_prefix), for example V(owner), V(allocations), V(container), V(feature_limits), V(description).
      - V(all) stores every field, which was the default before the lean set.
      - "Each stored value costs time in ansible-core on every run that loads the inventory, a cache hit included:
        at 5,000 servers, V(all) (about 35 variables, 2.3 KB a server) made C(ansible-inventory --list) 1.8 times
        slower on ansible-core 2.19 (5.9 s against 3.3 s; 1.3 times on 2.16) and use 1.7 times the memory of the
        default set; see C(docs/benchmarks.md). O(compose), O(groups) and O(keyed_groups) see every field without
        it."
      - A name that no host has is warned about.
    type: list
    elements: str
    default: []
author:
  - ptero.panel maintainers (@ptero)
"""

EXAMPLES = r"""
# panel.pterodactyl.yml: connection from PTERODACTYL_URL and PTERODACTYL_API_KEY
plugin: ptero.panel.pterodactyl

# An explicit panel, a vaulted key and only the Minecraft servers
# ---
# plugin: ptero.panel.pterodactyl
# url: https://panel.example.com
# api_key: !vault |
#   $ANSIBLE_VAULT;1.1;AES256
#   ...
# include_nodes: false
# filters:
#   image: yolks:java
# exclude_suspended: true

# Group by owner and memory size, connect to the servers' nodes by address, cache for an hour
# ---
# plugin: ptero.panel.pterodactyl
# server_hostname: identifier
# keyed_groups:
#   - key: pterodactyl_owner.username
#     prefix: owner
#   - key: pterodactyl_limits.memory
#     prefix: memory
# groups:
#   big: pterodactyl_resource_type == 'server' and pterodactyl_limits.memory >= 8192
# compose:
#   game_address: pterodactyl_primary_allocation
# cache: true
# cache_plugin: ansible.builtin.jsonfile
# cache_connection: ~/.cache/ansible-pterodactyl
# cache_timeout: 3600

# A client key of a root admin, every server of the panel
# ---
# plugin: ptero.panel.pterodactyl
# api_key: "{{ lookup('ansible.builtin.env', 'PTERODACTYL_CLIENT_API_KEY') }}"
# client_list_all: true
# include_nodes: false
"""

import contextlib
import functools
import gc
import hashlib
import json
import os
import re
import typing as t
from dataclasses import asdict, dataclass

from ansible.errors import AnsibleError
from ansible.module_utils.basic import missing_required_lib
from ansible.module_utils.common.text.converters import to_native
from ansible.plugins.inventory import BaseInventoryPlugin, Cacheable, Constructable

from ansible_collections.ptero.panel.plugins.module_utils._client import (
    HAS_REQUESTS,
    REQUESTS_IMPORT_ERROR,
    PanelClient,
    PanelError,
)
from ansible_collections.ptero.panel.plugins.module_utils._flavour import KEY_PREFIXES as FLAVOUR_KEY_PREFIXES
from ansible_collections.ptero.panel.plugins.module_utils._flavour import PELICAN
from ansible_collections.ptero.panel.plugins.module_utils._operations import get_operation
from ansible_collections.ptero.panel.plugins.module_utils._paging import Listing, PageReader
from ansible_collections.ptero.panel.plugins.plugin_utils.hostvars import HostVarStore, for_constructed

API_APPLICATION = "application"
API_CLIENT = "client"
# Pterodactyl's ptla_/ptlc_ and Pelican's papp_/pacc_ (peli_/plcn_ before beta25) -> the API the key belongs to.
KEY_PREFIXES = {prefix: api for prefix, (_flavour, api) in FLAVOUR_KEY_PREFIXES.items()}
# The panel's keys are a 16-character public identifier followed by the secret.
KEY_IDENTIFIER_LENGTH = 16
SERVER_LIST = {API_APPLICATION: "application.servers.list", API_CLIENT: "client.servers.list"}
GROUP_PREFIX = "pterodactyl_"
SERVERS_GROUP = GROUP_PREFIX + "servers"
NODES_GROUP = GROUP_PREFIX + "nodes"
# The panel shows an installed, healthy server as status null.
INSTALLED_STATUS = "installed"
# Bumped when the cached host data changes shape: older entries are then ignored.
# 2: pattern-safe host names, the panel 1.12+ client fields.
CACHE_FORMAT = 2
# Requests in flight at once, every listing together (the pages of the servers and the small listings): within
# the 10 connections PanelClient keeps per panel, so no connection is opened and thrown away (PageReader checks).
MAX_IN_FLIGHT = 8
# Servers a page: the client API's maximum; the application API has none, and larger pages would leave less to
# overlap (ansible-core takes each page's hosts while the next pages are on the wire).
SERVER_PAGE_SIZE = 100
# The host variables stored by default (unprefixed names; a field the panel did not send is left out).
# compose, groups and keyed_groups see every field; extra_hostvars stores more.
# Every stored value costs ansible-core time on every run (tests/bench/), so the set holds what playbooks address
# servers and template with, not what the default groups already tell (kind of host, egg, nest).
LEAN_SERVER_VARS = (
    "id",
    "internal_id",
    "identifier",
    "server_identifier",
    "uuid",
    "external_id",
    "name",
    "status",
    "node_name",
    "location_short",
    "primary_allocation",
    "primary_ip",
    "primary_port",
    "limits",
    "sftp_host",
    "sftp_port",
    "sftp_user",
)
LEAN_NODE_VARS = (
    "id",
    "uuid",
    "name",
    "fqdn",
    "scheme",
    "daemon_listen",
    "daemon_sftp",
    "maintenance_mode",
    "location_short",
)
ALL_HOSTVARS = "all"
# Characters that end or change a host pattern (`--limit`, `hosts:`): separators (white space splits a pattern
# too), operators, globs, subscripts.
_PATTERN_BREAKING = re.compile(r"[\s:,!&\[\]*?\x00-\x1f\x7f]")
# Only special as a pattern's first character: `~` starts a regex, `@` a --limit file.
_LEADING_SPECIAL = ("~", "@")
_FIELD_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
ENV_CLIENT_API_KEY = "PTERODACTYL_CLIENT_API_KEY"
# Renamed hosts named in one warning; the rest are counted.
MAX_NAMED_RENAMES = 10
_PREFIX_PATTERN = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$|^$")
_NOT_SLUG = re.compile(r"[^a-z0-9_]+")

HostData = dict[str, t.Any]


@dataclass(frozen=True)
class Settings:
    """The options that decide what the panel is asked and how its answer becomes hosts (and the cache key)."""

    api: str
    include_servers: bool = True
    include_nodes: bool = True
    server_hostname: str = "name"
    filters: tuple[tuple[str, str], ...] = ()
    exclude_suspended: bool = False
    client_list_all: bool = False
    prefix: str = "pterodactyl_"


def key_api(api_key: str, api_type: str) -> str:
    """The API a key belongs to: `api_type` unless it is `auto`, else the key's prefix decides."""
    if api_type in (API_APPLICATION, API_CLIENT):
        return api_type
    for prefix, api in KEY_PREFIXES.items():
        if api_key.startswith(prefix):
            return api
    raise AnsibleError(
        "api_type: the api_key has none of the prefixes ptla_/papp_ (application) or ptlc_/pacc_ "
        "(client), so its type cannot be told; set api_type to application or client"
    )


def filter_query(operation_name: str, filters: t.Mapping[str, t.Any] | None) -> tuple[tuple[str, str], ...]:
    """`filters` as sorted (`filter[name]`, value) pairs, after checking each name against what the panel accepts."""
    operation = get_operation(operation_name)
    pairs: list[tuple[str, str]] = []
    for name, value in sorted((filters or {}).items(), key=lambda entry: str(entry[0])):
        if name not in operation.filters:
            allowed = ", ".join(operation.filters)
            raise AnsibleError(
                f"filters: {name!r} is not a filter of the {operation.api} API's server list; "
                f"the panel accepts: {allowed}"
            )
        values = value if isinstance(value, (list, tuple)) else [value]
        if not values or any(item is None or isinstance(item, (dict, list, tuple)) for item in values):
            raise AnsibleError(f"filters: {name!r} needs a string, a number or a list of them")
        text = [_filter_text(item) for item in values]
        if any("," in item for item in text):
            # The panel splits values on commas: one value cannot contain one.
            raise AnsibleError(f"filters: the value of {name!r} cannot contain a comma; give a list instead")
        pairs.append((f"filter[{name}]", ",".join(text)))
    return tuple(pairs)


def _filter_text(value: t.Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def slug(text: t.Any) -> str:
    """A group-name part: lower case, every run of other characters than [a-z0-9_] replaced by one `_`."""
    return _slug_of(str(text))


@functools.lru_cache(maxsize=4096)
def _slug_of(text: str) -> str:
    # Thousands of servers share a few nodes, locations, nests, eggs and statuses.
    return _NOT_SLUG.sub("_", text.lower()).strip("_") or "unnamed"


def pattern_safe(name: str) -> str:
    """A host name every Ansible host pattern can select: surrounding white space dropped, each white space
    character and each of `: , ! & [ ] * ?` (and control characters) replaced by `_`, and a leading `~` or `@`
    too."""
    safe = _PATTERN_BREAKING.sub("_", name.strip())
    if safe.startswith(_LEADING_SPECIAL):
        safe = "_" + safe[1:]
    return safe


def status_of(server: t.Mapping[str, t.Any]) -> str:
    status = server.get("status")
    if status:
        return str(status)
    if server.get("suspended") or server.get("is_suspended"):
        return "suspended"
    return INSTALLED_STATUS


def _by_id(items: t.Iterable[t.Mapping[str, t.Any]]) -> dict[t.Any, t.Mapping[str, t.Any]]:
    return {item.get("id"): item for item in items if isinstance(item, t.Mapping)}


def _attributes(obj: t.Mapping[str, t.Any]) -> dict[str, t.Any]:
    return {key: value for key, value in obj.items() if key != "relationships"}


def _relationships(obj: t.Mapping[str, t.Any]) -> t.Mapping[str, t.Any]:
    relationships = obj.get("relationships")
    return relationships if isinstance(relationships, t.Mapping) else {}


def _allocation_vars(primary: t.Mapping[str, t.Any] | None) -> dict[str, t.Any]:
    if not primary:
        return {"primary_allocation": None, "primary_ip": None, "primary_port": None}
    return {
        "primary_allocation": f"{primary.get('ip')}:{primary.get('port')}",
        "primary_ip": primary.get("ip"),
        "primary_port": primary.get("port"),
    }


class _Host:
    """A host before naming: its vars (unprefixed, every field), default groups and the keys that name it.
    `preferred` is the pattern-safe form of the wanted name; `sanitised` says whether that changed it."""

    def __init__(self, kind: str, order: int, wanted: str, suffix: str, unique: str) -> None:
        self.kind = kind
        self.order = order
        self.preferred = pattern_safe(wanted)
        self.sanitised = self.preferred != wanted
        self.suffix = suffix
        self.unique = unique
        self.vars: dict[str, t.Any] = {}
        self.groups: list[str] = []
        self.ansible_host: str | None = None

    def add_group(self, kind: str, value: t.Any) -> None:
        if value is not None and value != "":
            self.groups.append(f"{GROUP_PREFIX}{kind}_{slug(value)}")


def _server_hostname(settings: Settings, server: t.Mapping[str, t.Any]) -> str:
    value = server.get(settings.server_hostname)
    if settings.server_hostname in ("external_id", "server_identifier") and value in (None, ""):
        # No external id, or a panel before 1.12 / the application API (no serv_ id): the identifier names it.
        value = server.get("identifier")
    return "" if value is None else str(value)


def _sftp_user(username: t.Any, server: t.Mapping[str, t.Any]) -> str | None:
    """`<username>.<8-character short uuid>`: the short uuid is `identifier`, except on a 1.12+ panel that shows
    `serv_` identifiers, whose client API keeps the short one in `__deprecated_uuid_short`."""
    short = server.get("__deprecated_uuid_short") or server.get("identifier")
    return f"{username}.{short}" if username and short else None


def _node_hosts(
    nodes: t.Iterable[t.Mapping[str, t.Any]], locations: t.Mapping[t.Any, t.Mapping[str, t.Any]], pelican: bool = False
) -> list[_Host]:
    """Nodes as hosts: grouped by location, or on Pelican by their tags."""
    hosts = []
    for node in nodes:
        host = _Host(
            "node",
            int(node.get("id") or 0),
            str(node.get("name") or ""),
            str(node.get("id")),
            str(node.get("uuid") or node.get("id")),
        )
        host.vars = {**_attributes(node), "resource_type": "node"}
        host.ansible_host = node.get("fqdn") or None
        host.groups.append(NODES_GROUP)
        if pelican:
            for tag in _tags(node):
                host.add_group("node_tag", tag)
        else:
            location = locations.get(node.get("location_id")) or {}
            host.vars.update(location_short=location.get("short"), location_long=location.get("long"))
            host.add_group("location", location.get("short"))
        hosts.append(host)
    return hosts


class _Joins:
    """The small listings a server is joined with, by id. Pelican has no locations or nests: its nodes and eggs
    carry `tags` instead (its migrations made each location's short code a node tag, each nest's name an egg tag)."""

    def __init__(
        self,
        nodes: t.Sequence[t.Mapping[str, t.Any]],
        locations: t.Sequence[t.Mapping[str, t.Any]],
        nests: t.Sequence[t.Mapping[str, t.Any]],
        eggs: t.Sequence[t.Mapping[str, t.Any]] = (),
        pelican: bool = False,
    ) -> None:
        self.pelican = pelican
        self.nodes = _by_id(nodes)
        self.locations = _by_id(locations)
        self.nests = _by_id(nests)
        self.eggs: dict[t.Any, t.Mapping[str, t.Any]] = _by_id(eggs)
        for nest in nests:
            nest_eggs = _relationships(nest).get("eggs")
            self.eggs.update(_by_id(nest_eggs if isinstance(nest_eggs, list) else []))


def _tags(obj: t.Mapping[str, t.Any]) -> list[str]:
    tags = obj.get("tags")
    return [str(tag) for tag in tags if tag not in (None, "")] if isinstance(tags, list) else []


def _place(
    host: _Host, node: t.Mapping[str, t.Any], egg: t.Mapping[str, t.Any], server: t.Mapping[str, t.Any], joins: _Joins
) -> dict[str, t.Any]:
    """Where a server is (location and nest, or on Pelican node and egg tags): its groups, and its fields."""
    if joins.pelican:
        for tag in _tags(node):
            host.add_group("node_tag", tag)
        for tag in _tags(egg):
            host.add_group("egg_tag", tag)
        return {"node_tags": _tags(node), "egg_tags": _tags(egg)}
    location = joins.locations.get(node.get("location_id")) or {}
    nest = joins.nests.get(server.get("nest")) or {}
    host.add_group("location", location.get("short"))
    host.add_group("nest", nest.get("name"))
    return {
        "location_id": node.get("location_id"),
        "location_short": location.get("short"),
        "location_long": location.get("long"),
        "nest_name": nest.get("name"),
    }


def application_server_host(settings: Settings, server: t.Mapping[str, t.Any], joins: _Joins) -> _Host | None:
    """One server of the application API's listing (with `allocations` and `user` included) as a host; None when
    the options leave it out."""
    if settings.exclude_suspended and status_of(server) == "suspended":
        return None
    relationships = _relationships(server)
    allocations = relationships.get("allocations")
    allocations = allocations if isinstance(allocations, list) else []
    owner = relationships.get("user") if isinstance(relationships.get("user"), t.Mapping) else None
    node = joins.nodes.get(server.get("node")) or {}
    egg = joins.eggs.get(server.get("egg")) or {}
    primary = next((a for a in allocations if a.get("id") == server.get("allocation")), None)
    identifier = str(server.get("identifier") or "")
    owner_name = owner.get("username") if owner else None
    host = _Host(
        "server",
        int(server.get("id") or 0),
        _server_hostname(settings, server),
        identifier,
        str(server.get("uuid") or identifier),
    )
    host.groups.append(SERVERS_GROUP)
    host.add_group("node", node.get("name"))
    place = _place(host, node, egg, server, joins)
    host.add_group("egg", egg.get("name"))
    host.add_group("status", status_of(server))
    host.vars = {
        **_attributes(server),
        "resource_type": "server",
        "allocations": allocations,
        **_allocation_vars(primary),
        "owner": dict(owner) if owner else None,
        "node_name": node.get("name"),
        "node_fqdn": node.get("fqdn"),
        **place,
        "egg_name": egg.get("name"),
        "sftp_host": node.get("fqdn"),
        "sftp_port": node.get("daemon_sftp"),
        "sftp_user": _sftp_user(owner_name, server),
    }
    host.ansible_host = node.get("fqdn") or None
    return host


def application_hosts(
    settings: Settings,
    servers: t.Iterable[t.Mapping[str, t.Any]],
    nodes: t.Sequence[t.Mapping[str, t.Any]],
    locations: t.Sequence[t.Mapping[str, t.Any]],
    nests: t.Sequence[t.Mapping[str, t.Any]],
) -> list[_Host]:
    """Hosts from the application API's listings: servers (with `allocations` and `user` included), nodes,
    locations and nests (with `eggs` included), joined by id."""
    joins = _Joins(nodes, locations, nests)
    hosts = _node_hosts(nodes, joins.locations) if settings.include_nodes else []
    if settings.include_servers:
        hosts += [host for host in (application_server_host(settings, server, joins) for server in servers) if host]
    return hosts


def _mapping(value: t.Any) -> t.Mapping[str, t.Any]:
    """`value` when it is a mapping (an included object), else an empty one."""
    return value if isinstance(value, t.Mapping) else {}


def client_hosts(settings: Settings, servers: t.Iterable[t.Mapping[str, t.Any]], username: str | None) -> list[_Host]:
    """Hosts from the client API's server list (with `egg` included); `username` is the key's account."""
    hosts = []
    for server in servers:
        if settings.exclude_suspended and status_of(server) == "suspended":
            continue
        relationships = _relationships(server)
        allocations = relationships.get("allocations")
        allocations = allocations if isinstance(allocations, list) else []
        variables = relationships.get("variables")
        egg = _mapping(relationships.get("egg"))
        sftp = _mapping(server.get("sftp_details"))
        primary = next((a for a in allocations if a.get("is_default")), None)
        identifier = str(server.get("identifier") or "")
        host = _Host(
            "server",
            int(server.get("internal_id") or 0),
            _server_hostname(settings, server),
            identifier,
            str(server.get("uuid") or identifier),
        )
        host.vars = {
            **_attributes(server),
            "resource_type": "server",
            "allocations": allocations,
            "variables": variables if isinstance(variables, list) else None,
            **_allocation_vars(primary),
            "node_name": server.get("node"),
            "node_fqdn": sftp.get("ip"),
            "egg_name": egg.get("name"),
            "sftp_host": sftp.get("ip"),
            "sftp_port": sftp.get("port"),
            "sftp_user": _sftp_user(username, server),
        }
        host.ansible_host = sftp.get("ip") or None
        host.groups.append(SERVERS_GROUP)
        host.add_group("node", server.get("node"))
        host.add_group("egg", egg.get("name"))
        host.add_group("status", status_of(server))
        hosts.append(host)
    return hosts


def naming_order(host: _Host) -> tuple[bool, bool, int, str]:
    """Who keeps a contested name: nodes, then hosts whose name needed no change, then the lower id."""
    return (host.kind != "node", host.sanitised, host.order, host.unique)


class _Namer:
    """Gives hosts unique names, first come first served: hosts must come in naming_order()."""

    def __init__(self) -> None:
        self.taken: set[str] = set()
        self.renamed: list[str] = []

    def name(self, host: _Host) -> str:
        """The preferred name if free, else `_<suffix>` (identifier or id), then `_<uuid>`, appended."""
        candidates = [host.preferred] if host.preferred else []
        base = host.preferred or host.kind
        candidates += [f"{base}_{host.suffix}", f"{base}_{host.unique}"]
        name = next((candidate for candidate in candidates if candidate not in self.taken), None)
        counter = 2
        while name is None:
            # Only reachable when uuids repeat: keep going rather than merge two hosts.
            name = f"{base}_{host.unique}_{counter}" if f"{base}_{host.unique}_{counter}" not in self.taken else None
            counter += 1
        self.taken.add(name)
        if host.preferred and name != host.preferred:
            self.renamed.append(f"{host.preferred!r} -> {name!r} ({host.kind} {host.suffix})")
        return name

    def warnings(self) -> list[str]:
        if not self.renamed:
            return []
        listed = "; ".join(self.renamed[:MAX_NAMED_RENAMES])
        more = f"; and {len(self.renamed) - MAX_NAMED_RENAMES} more" if len(self.renamed) > MAX_NAMED_RENAMES else ""
        return [f"{len(self.renamed)} host(s) had a name already in use and were renamed: {listed}{more}"]


def assign_names(hosts: list[_Host]) -> tuple[list[tuple[str, _Host]], list[str]]:
    """A unique, stable name per host: nodes first, then servers; within each, hosts whose name needed no
    change first, then by id. A host whose name is taken gets `_<suffix>` (identifier or id), then `_<uuid>`,
    appended. Returns the named hosts and the warnings."""
    namer = _Namer()
    named = [(namer.name(host), host) for host in sorted(hosts, key=naming_order)]
    return named, namer.warnings()


def host_entry(settings: Settings, name: str, host: _Host) -> HostData:
    """A named host as cached and populated: its name, default groups and every field, prefixed."""
    variables = {settings.prefix + key: value for key, value in host.vars.items()}
    if host.ansible_host:
        variables["ansible_host"] = host.ansible_host
    return {"name": name, "groups": host.groups, "vars": variables}


def top_groups(settings: Settings) -> list[str]:
    """The top groups exist even when empty, so a playbook can name them; client keys never see nodes."""
    with_nodes = settings.include_nodes and settings.api == API_APPLICATION
    return ([SERVERS_GROUP] if settings.include_servers else []) + ([NODES_GROUP] if with_nodes else [])


def host_data(settings: Settings, hosts: list[_Host], warnings: list[str]) -> dict[str, t.Any]:
    """The JSON-serialisable result of one listing: what is cached and what populates the inventory."""
    named, naming_warnings = assign_names(hosts)
    entries = [host_entry(settings, name, host) for name, host in named]
    return {
        "format": CACHE_FORMAT,
        "groups": top_groups(settings),
        "hosts": entries,
        "warnings": warnings + naming_warnings,
    }


class HostStream:
    """Names hosts while the listing is still arriving, exactly as assign_names() would name them all at the end,
    so each can be handed to ansible-core at once (while later pages are on the wire): nodes first, then servers
    whose name needed no change, in id order (the listing is asked sorted by id), then, when the listing is
    complete, the servers whose name had to be made pattern-safe (a later server may own that name unchanged)
    and any server that came out of id order. Every method returns the entries it finished."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.entries: list[HostData] = []
        self._namer = _Namer()
        self._held: list[_Host] = []
        self._last_id: int | None = None

    def _finish(self, hosts: t.Iterable[_Host]) -> list[HostData]:
        done = [host_entry(self.settings, self._namer.name(host), host) for host in hosts]
        self.entries += done
        return done

    def add_nodes(self, hosts: t.Iterable[_Host]) -> list[HostData]:
        return self._finish(sorted(hosts, key=naming_order))

    def add_server(self, host: _Host) -> list[HostData]:
        if host.sanitised or (self._last_id is not None and host.order <= self._last_id):
            self._held.append(host)
            return []
        self._last_id = host.order
        return self._finish([host])

    def finish(self) -> list[HostData]:
        return self._finish(sorted(self._held, key=naming_order))

    def warnings(self) -> list[str]:
        return self._namer.warnings()


def _answer(what: str, read: t.Callable[[], t.Any], warnings: list[str], optional: bool = False) -> t.Any:
    """What `read` gives (a queued request's or a listing's answer); a 403 on an `optional` one gives a warning and
    None instead of an error."""
    try:
        return read()
    except PanelError as error:
        if optional and error.status == 403:
            warnings.append(f"The api_key may not read {what} ({error}); continuing without them")
            return None
        raise AnsibleError(f"Could not read {what} from the panel: {error}") from None


def _pages(what: str, listing: Listing) -> t.Iterator[list[t.Any]]:
    try:
        yield from listing.pages()
    except PanelError as error:
        raise AnsibleError(f"Could not read {what} from the panel: {error}") from None


def fetch_application(client: PanelClient, settings: Settings) -> dict[str, t.Any]:
    """The application API's listing. Its `hosts` are produced while they are iterated (a generator that reads
    the pages as they arrive); once iterated to the end, the dict is the whole result, as host_data() gives it."""
    data: dict[str, t.Any] = {"format": CACHE_FORMAT, "groups": top_groups(settings), "warnings": []}
    data["hosts"] = _application_stream(client, settings, data)
    return data


def _lookups(reader: PageReader, settings: Settings, pelican: bool) -> dict[str, Listing]:
    """The small listings the hosts are joined with, queued now."""
    lookups = {}
    if settings.include_servers or settings.include_nodes:
        lookups["nodes"] = reader.listing("application.nodes.list")
    if pelican:
        if settings.include_servers:
            lookups["eggs"] = reader.listing("application.egg_catalog.list")
        return lookups
    if settings.include_servers or settings.include_nodes:
        lookups["locations"] = reader.listing("application.locations.list")
    if settings.include_servers:
        lookups["nests"] = reader.listing("application.nests.list", query={"include": "eggs"})
    return lookups


def panel_flavour(client: PanelClient) -> str:
    """The panel's flavour (the panel option, the key's prefix or one probe), as an AnsibleError when unknown."""
    try:
        return client.flavour
    except PanelError as error:
        raise AnsibleError(f"panel: {error}") from None


def _application_stream(client: PanelClient, settings: Settings, data: dict[str, t.Any]) -> t.Iterator[HostData]:
    warnings: list[str] = data["warnings"]
    pelican = panel_flavour(client) == PELICAN
    with PageReader(client, MAX_IN_FLIGHT) as reader:
        # Every listing is queued at once; the joins need the small ones complete, the servers come page by page.
        lookups = _lookups(reader, settings, pelican)
        if settings.include_servers:
            query = {"include": "allocations,user", "sort": "id", **dict(settings.filters)}
            servers = reader.listing(SERVER_LIST[API_APPLICATION], query=query, per_page=SERVER_PAGE_SIZE)
        found = {what: _answer(what, listing.items, warnings, optional=True) or [] for what, listing in lookups.items()}
        joins = _Joins(
            found.get("nodes", []),
            found.get("locations", []),
            found.get("nests", []),
            found.get("eggs", []),
            pelican=pelican,
        )
        stream = HostStream(settings)
        if settings.include_nodes:
            yield from stream.add_nodes(_node_hosts(found.get("nodes", []), joins.locations, pelican))
        if settings.include_servers:
            for page in _pages("servers", servers):
                for server in page:
                    host = application_server_host(settings, server, joins)
                    if host:
                        yield from stream.add_server(host)
        yield from stream.finish()
    data["hosts"] = stream.entries
    warnings += stream.warnings()
    if not stream.entries:
        kinds = (("servers", settings.include_servers), ("nodes", settings.include_nodes))
        listed = " or ".join(kind for kind, wanted in kinds if wanted) or "hosts"
        matching = " matching the filters" if settings.filters else ""
        data["empty_reason"] = f"the application key sees no {listed}{matching}"


def fetch_client(client: PanelClient, settings: Settings) -> dict[str, t.Any]:
    warnings = []
    if settings.include_nodes:
        warnings.append(
            "include_nodes: nodes can only be read with an application key (ptla_...); this client key "
            "adds servers only (set include_nodes: false to silence this warning)"
        )
    if not settings.include_servers:
        return host_data(settings, [], warnings)
    query: dict[str, t.Any] = {"include": "egg", **dict(settings.filters)}
    if settings.client_list_all:
        query["type"] = "admin-all"
    with PageReader(client, MAX_IN_FLIGHT) as reader:
        listing = reader.listing(SERVER_LIST[API_CLIENT], query=query, per_page=SERVER_PAGE_SIZE)
        account = _answer("the key's account", reader.call("client.account.get").result, warnings) or {}
        servers = _answer("servers", listing.items, warnings)
        if settings.client_list_all and not account.get("admin"):
            # The panel answers an empty list to type=admin-all for other users: list what the key can access.
            warnings.append(
                "client_list_all: only a root admin's key can list every server; listing the servers "
                "this key's account can access instead"
            )
            query.pop("type")
            listing = reader.listing(SERVER_LIST[API_CLIENT], query=query, per_page=SERVER_PAGE_SIZE)
            servers = _answer("servers", listing.items, warnings)
    hosts = client_hosts(settings, servers or [], account.get("username"))
    data = host_data(settings, hosts, warnings)
    if not hosts:
        reason = f"the client key's account {account.get('username')!r} can use no servers"
        if settings.filters:
            reason += " matching the filters"
        if account.get("admin") and not settings.client_list_all:
            reason += (
                " (a root admin's client key lists only the servers it owns or is a subuser of; "
                "set client_list_all: true to list every server of the panel)"
            )
        data["empty_reason"] = reason
    return data


@contextlib.contextmanager
def _cyclic_gc_paused() -> t.Iterator[None]:
    """While the listing is decoded, joined and handed to ansible-core, hundreds of thousands of acyclic dicts and
    lists are made: the cyclic collector would scan the growing heap over and over for nothing (measurable at
    thousands of servers). Reference counting still frees everything; the collector runs again afterwards, as it
    was."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def client_key_from_environment(api_type: str, environ: t.Mapping[str, str]) -> str | None:
    """With api_type client, PTERODACTYL_CLIENT_API_KEY wins over PTERODACTYL_API_KEY, as for the client modules;
    None leaves Ansible's choice (PTERODACTYL_API_KEY when both are set, like the application modules)."""
    if api_type == API_CLIENT and environ.get(ENV_CLIENT_API_KEY):
        return environ[ENV_CLIENT_API_KEY]
    return None


class InventoryModule(BaseInventoryPlugin, Constructable, Cacheable):
    NAME = "ptero.panel.pterodactyl"
    _prefix: str | None = None

    def verify_file(self, path: str) -> bool:
        return super().verify_file(path) and path.endswith(("pterodactyl.yml", "pterodactyl.yaml"))

    def parse(self, inventory: t.Any, loader: t.Any, path: str, cache: bool = True) -> None:
        super().parse(inventory, loader, path, cache)
        if not HAS_REQUESTS:
            raise AnsibleError(
                f"{missing_required_lib('requests')} ({REQUESTS_IMPORT_ERROR.splitlines()[-1]})"
                if REQUESTS_IMPORT_ERROR
                else missing_required_lib("requests")
            )
        file_config = self._read_config_data(path)
        url = self._templated("url")
        api_key = self._templated("api_key", self._env_api_key(file_config))
        settings = self.settings(api_key)
        self._prefix = settings.prefix
        stored = self.stored_vars(settings.prefix)
        cache_key = self.cache_key_for(path, url, api_key, settings)
        use_cache = bool(self.get_option("cache"))
        data: t.Any = None
        if use_cache and cache:
            try:
                data = self._cache[cache_key]
            except KeyError:
                data = None
            if not isinstance(data, dict) or data.get("format") != CACHE_FORMAT:
                data = None
        with _cyclic_gc_paused():
            fetched = data is None
            if fetched:
                # Its hosts are read while ansible-core takes them (see populate()).
                data = self.fetch(url, api_key, settings)
            try:
                self.populate(data, stored)
            finally:
                # A listing read to its end is cached, an empty one too (as before: the error is the options').
                if fetched and use_cache and isinstance(data.get("hosts"), list):
                    self._cache[cache_key] = data

    def refuse_empty(self, data: t.Mapping[str, t.Any]) -> None:
        """An empty listing fails unless allow_empty: it is more often a key or filter mistake than an empty panel,
        and a sync that imports it replaces every host."""
        if data.get("hosts") or self.get_option("allow_empty"):
            return
        reason = data.get("empty_reason") or "the panel listed no hosts"
        raise AnsibleError(
            f"pterodactyl inventory: {reason}. An empty inventory would make an AWX sync with "
            "Overwrite remove every host imported before; set allow_empty: true if the panel is "
            "meant to show no hosts here."
        )

    # -- options ----------------------------------------------------------------------------------

    def _env_api_key(self, file_config: t.Any) -> str | None:
        """The client modules' order when the file sets no api_key, api_type is client and both environment
        variables are set: PTERODACTYL_CLIENT_API_KEY first. Ansible's own choice (PTERODACTYL_API_KEY, the only
        variable the application modules read) stands for api_type application and auto."""
        if isinstance(file_config, t.Mapping) and file_config.get("api_key") not in (None, ""):
            return None
        return client_key_from_environment(self.get_option("api_type"), os.environ)

    def _templated(self, option: str, value: t.Any = None) -> str:
        """An option's value (or `value` in its place) through the templar (vault, lookups, extra vars), as plain
        text."""
        value = self.get_option(option) if value is None else value
        if value is None or value == "":
            raise AnsibleError(
                f"{option}: no value; set it in the inventory file or in the environment "
                f"({'PTERODACTYL_URL' if option == 'url' else 'PTERODACTYL_API_KEY'})"
            )
        self.templar.available_variables = self._vars or {}
        value = self.templar.template(value)
        # A vaulted value is decrypted when it becomes text.
        text = str(to_native(value)).strip()
        if not text:
            raise AnsibleError(f"{option}: the value is empty after templating")
        return text

    def settings(self, api_key: str) -> Settings:
        api = key_api(api_key, self.get_option("api_type"))
        prefix = self.get_option("hostvar_prefix")
        prefix = "" if prefix is None else str(prefix)
        if not _PREFIX_PATTERN.match(prefix):
            raise AnsibleError(
                f"hostvar_prefix: {prefix!r} cannot start a variable name; use letters, digits and _ "
                "(not starting with a digit)"
            )
        server_hostname = self.get_option("server_hostname")
        if server_hostname == "external_id" and api == API_CLIENT:
            raise AnsibleError(
                "server_hostname: external_id is not shown to client keys; use an application key or "
                "name, identifier or uuid"
            )
        filters = self.get_option("filters") or {}
        if not isinstance(filters, dict):
            raise AnsibleError("filters: expected a mapping of the panel's filter names to values")
        return Settings(
            api=api,
            include_servers=self.get_option("include_servers"),
            include_nodes=self.get_option("include_nodes"),
            server_hostname=server_hostname,
            filters=filter_query(SERVER_LIST[api], filters),
            exclude_suspended=self.get_option("exclude_suspended"),
            client_list_all=self.get_option("client_list_all"),
            prefix=prefix,
        )

    def stored_vars(self, prefix: str) -> dict[str, tuple[str, ...]] | None:
        """The host variable names (prefixed, and ansible_host) stored per kind of host (server, node), in order;
        None stores every field."""
        extra = self.get_option("extra_hostvars") or []
        if not isinstance(extra, (list, tuple)):
            raise AnsibleError("extra_hostvars: expected a list of field names, or [all]")
        names = [str(name) for name in extra]
        for name in names:
            if name != ALL_HOSTVARS and not _FIELD_NAME.match(name):
                raise AnsibleError(
                    f"extra_hostvars: {name!r} is not a field name; give the names without "
                    f"hostvar_prefix (owner, allocations, container, ...) or all"
                )
        if ALL_HOSTVARS in names:
            return None
        return {
            kind: tuple(dict.fromkeys(["ansible_host"] + [prefix + name for name in (*lean, *names)]))
            for kind, lean in (("server", LEAN_SERVER_VARS), ("node", LEAN_NODE_VARS))
        }

    def cache_key_for(self, path: str, url: str, api_key: str, settings: Settings) -> str:
        """The base cache key of the file plus a digest of the panel, the key's public identifier and the
        listing options, so a change to any of them cannot be answered from an older cache entry."""
        identity = {"url": url.rstrip("/"), "key_identifier": api_key[:KEY_IDENTIFIER_LENGTH], **asdict(settings)}
        digest = hashlib.sha256(json.dumps(identity, sort_keys=True).encode()).hexdigest()[:16]
        return f"{self.get_cache_key(path)}_{digest}"

    # -- listing ----------------------------------------------------------------------------------

    def fetch(self, url: str, api_key: str, settings: Settings) -> dict[str, t.Any]:
        """The listing. With an application key its `hosts` is a generator that reads the server pages as it is
        iterated; the client is closed when it ends."""
        try:
            client = PanelClient(
                url,
                api_key,
                validate_certs=self.get_option("validate_certs"),
                timeout=self.get_option("timeout"),
                retries=self.get_option("retries"),
                backoff_factor=self.get_option("backoff_factor"),
                extra_retry_codes=self.get_option("extra_retry_codes") or (),
                max_workers=MAX_IN_FLIGHT,
                user_agent_extra="ansible-inventory",
                panel=self.get_option("panel"),
            )
        except ValueError as error:
            raise AnsibleError(f"url, timeout or retries: {error}") from None
        if settings.api == API_CLIENT:
            with client:
                data = fetch_client(client, settings)
            self._report_requests(client, settings, len(data["hosts"]))
            return data
        data = fetch_application(client, settings)
        data["hosts"] = self._closing(client, settings, data["hosts"])
        return data

    def _closing(self, client: PanelClient, settings: Settings, hosts: t.Iterator[HostData]) -> t.Iterator[HostData]:
        count = 0
        try:
            for host in hosts:
                count += 1
                yield host
        finally:
            client.close()
        self._report_requests(client, settings, count)

    def _report_requests(self, client: PanelClient, settings: Settings, count: int) -> None:
        self.display.vvv(
            f"pterodactyl inventory: {count} hosts from {client.request_count} request(s) to the {settings.api} API"
        )

    def populate(self, data: t.MutableMapping[str, t.Any], stored: dict[str, tuple[str, ...]] | None) -> None:
        """Adds the hosts and their groups, stores the `stored` variables of each (all with None), and runs
        compose, groups and keyed_groups over every field of the host, stored or not. `data["hosts"]` may still be
        arriving (a generator): each host goes to ansible-core as soon as it is named, while later pages are on the
        wire. A failure, an empty listing included, takes back every host and group added, so nothing is left
        half-done."""
        hosts_before = set(self.inventory.hosts)
        groups_before = set(self.inventory.groups)
        hosts = data.get("hosts", [])
        try:
            for group in data.get("groups", []):
                self.inventory.add_group(group)
            found = self._add_hosts(hosts, stored)
            self.refuse_empty(data)
        except BaseException:
            getattr(hosts, "close", lambda: None)()
            self._take_back(hosts_before, groups_before)
            raise
        for message in data.get("warnings", []):
            self.display.warning(f"pterodactyl inventory: {message}")
        if stored is not None and data.get("hosts"):
            self._warn_unknown_extra_vars(found)

    def _add_hosts(self, hosts: t.Iterable[HostData], stored: dict[str, tuple[str, ...]] | None) -> set[str]:
        """Adds every host; returns the names of the variables stored on any of them."""
        strict = self.get_option("strict")
        compose = self.get_option("compose")
        groups = self.get_option("groups")
        keyed_groups = self.get_option("keyed_groups")
        constructed = bool(compose or groups or keyed_groups)
        type_var = (self._prefix or "") + "resource_type"
        found: set[str] = set()
        store = HostVarStore(self.inventory)
        added_groups: set[str] = set()
        for host in hosts:
            name = host["name"]
            full = host["vars"]
            self.inventory.add_host(name)
            for group in host["groups"]:
                if group not in added_groups:
                    self.inventory.add_group(group)
                    added_groups.add(group)
                self.inventory.add_child(group, name)
            if stored is None:
                kept = full
            else:
                wanted = stored.get(full.get(type_var), stored["server"])
                kept = {key: full[key] for key in wanted if key in full}
                found.update(kept)
            # Ansible's time per host grows with every stored value: that is why only `kept` is stored.
            # Panel data is never a template (a startup command contains {{VARIABLE}}): see for_hostvars().
            # The cached data itself stays plain.
            store.set(name, kept)
            if constructed:
                everything = for_constructed(full)
                self._set_composite_vars(compose, everything, name, strict=strict)
                self._add_host_to_composed_groups(groups, everything, name, strict=strict)
                self._add_host_to_keyed_groups(keyed_groups, everything, name, strict=strict)
        return found

    def _take_back(self, hosts_before: set[str], groups_before: set[str]) -> None:
        """Removes the hosts and groups added since the sets were taken."""
        for name in [name for name in self.inventory.hosts if name not in hosts_before]:
            self.inventory.remove_host(self.inventory.hosts[name])
        for name in [name for name in self.inventory.groups if name not in groups_before]:
            group = self.inventory.groups[name]
            for parent in list(group.parent_groups):
                if group in parent.child_groups:
                    parent.child_groups.remove(group)
            # ansible-core 2.19 takes the Group, 2.16 its name.
            self.inventory.remove_group(group)
            if name in self.inventory.groups:
                self.inventory.remove_group(name)

    def _warn_unknown_extra_vars(self, found: set[str]) -> None:
        """A name in extra_hostvars that no host has is most likely a typo: say so rather than store nothing."""
        prefix = self._prefix or ""
        missing = [name for name in (self.get_option("extra_hostvars") or []) if prefix + str(name) not in found]
        if missing:
            self.display.warning(
                f"pterodactyl inventory: extra_hostvars: no host has the field(s) "
                f"{', '.join(repr(str(name)) for name in missing)}; names are given without "
                f"hostvar_prefix (owner, allocations, container, ...)"
            )
