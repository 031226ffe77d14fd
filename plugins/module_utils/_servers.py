# Private to ptero.panel: not a public API.
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Servers as the client API sees them: finding the server a task names, and the path of its routes; and the eggs
(server types) a server or `egg_info` names, on either panel.

Pterodactyl groups eggs in nests; Pelican has one flat egg list and no nests, its migration having made each nest's
name a tag of the nest's eggs. So a `nest` option names an egg tag on Pelican (compared without case), and the same
playbook finds the same egg on both panels. Likewise each location's short code became a tag of its nodes, and
the modules of what Pelican no longer has (locations, nests) fail there naming what replaced it
(`refuse_on_pelican`)."""

from __future__ import annotations

import typing as t

from ansible_collections.ptero.panel.plugins.module_utils._client import PanelClient
from ansible_collections.ptero.panel.plugins.module_utils._flavour import PELICAN
from ansible_collections.ptero.panel.plugins.module_utils._lookup import (
    find_client_server,
    find_egg,
    find_nest,
    get_or_none,
    is_id,
    same_value,
)
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


EGG_QUERY = {"include": "variables"}


def pelican_judging_by(client: PanelClient, seen: t.Mapping[str, t.Any] | None, pelican_field: str) -> bool:
    """Whether the panel is Pelican, without a request where possible: what the client already knows (the `panel`
    option, a Pelican key prefix, an earlier probe), else the shape of an object the panel just sent (`pelican_field`
    is one only Pelican's objects have), else the client's one probe. So a task that finds its object on
    Pterodactyl with a `ptla_` key sends no extra request."""
    known = client.known_flavour
    if known is not None:
        return known == PELICAN
    if seen is not None:
        return pelican_field in seen
    return client.flavour == PELICAN


def has_tag(obj: t.Mapping[str, t.Any], tag: str) -> bool:
    """Whether a Pelican egg or node carries `tag` (without case: migrated nest names keep theirs, people may not)."""
    return any(isinstance(have, str) and have.lower() == tag.lower() for have in obj.get("tags") or [])


def pelican_eggs(client: PanelClient, nest_ref: str | None) -> list[dict[str, t.Any]]:
    """Every Pelican egg with its variables (the list is never paginated), only those tagged `nest_ref` if given."""
    eggs = client.call("application.egg_catalog.list", query=EGG_QUERY)
    return [egg for egg in eggs if nest_ref is None or has_tag(egg, str(nest_ref))]


def _pelican_egg(client: PanelClient, egg_ref: str, nest_ref: str | None) -> dict[str, t.Any]:
    if is_id(egg_ref):
        found = get_or_none(client, "application.egg_catalog.get", {"egg": egg_ref}, query=EGG_QUERY)
        if found is not None and (nest_ref is None or has_tag(found, str(nest_ref))):
            return found
    matches = [egg for egg in pelican_eggs(client, nest_ref) if same_value("name", egg.get("name"), str(egg_ref))]
    where = f" with the tag '{nest_ref}' (on Pelican, nest names an egg tag)" if nest_ref is not None else ""
    if not matches:
        raise TaskFailure(f"egg: no egg '{egg_ref}' exists{where}")
    if len(matches) > 1:
        ids = ", ".join(str(egg["id"]) for egg in matches)
        raise TaskFailure(
            f"egg: '{egg_ref}' names {len(matches)} eggs{where} (ids {ids}); use an id, or nest to "
            "give a tag only one of them has"
        )
    return matches[0]


def _pterodactyl_egg(client: PanelClient, egg_ref: str, nest_ref: str | None) -> dict[str, t.Any]:
    if nest_ref is not None:
        nest = find_nest(client, nest_ref)
        if nest is None:
            raise TaskFailure(f"nest: no nest '{nest_ref}' exists on the panel")
        nests = [nest]
    elif is_id(egg_ref):
        nests = client.collect("application.nests.list")
    else:
        raise TaskFailure(f"nest: required to find egg '{egg_ref}' by name")
    for nest in nests:
        egg = find_egg(client, nest, egg_ref)
        if egg is not None:
            return egg
    raise TaskFailure(f"egg: no egg '{egg_ref}' exists{' in nest ' + repr(nest_ref) if nest_ref else ''}")


def find_server_egg(
    client: PanelClient, egg_ref: str | int, nest_ref: str | int | None, pelican: bool | None = None
) -> dict[str, t.Any]:
    """The egg `egg_ref` (id or name) with its variables; TaskFailure naming the option when there is none.

    On Pterodactyl a name needs its nest; on Pelican `nest_ref`, when given, is a tag the egg must carry. `pelican`
    is the panel when the caller knows it already."""
    nest = None if nest_ref is None else str(nest_ref)
    if pelican if pelican is not None else client.flavour == PELICAN:
        return _pelican_egg(client, str(egg_ref), nest)
    return _pterodactyl_egg(client, str(egg_ref), nest)


NO_LOCATIONS = (
    "Pelican has no locations: its migration made each location's short code a tag of the location's "
    "nodes. Manage node tags with ptero.panel.node (tags, or location, which names a node tag on Pelican) "
    "and read them with ptero.panel.node_info"
)
NO_NESTS = (
    "Pelican has no nests: its eggs carry tags instead (the migration made each nest's name a tag of its "
    "eggs); use ptero.panel.egg_info, whose nest option names such a tag on Pelican"
)


def refuse_on_pelican(client: PanelClient, reason: str) -> None:
    """Fail before any other request when the panel is Pelican, which lacks what the module manages."""
    with failure_context("Could not tell which panel this is"):
        pelican = client.flavour == PELICAN
    if pelican:
        raise TaskFailure(f"{reason}; nothing was changed", changed=False)
