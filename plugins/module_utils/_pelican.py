# Private to ptero.panel: not a public API.
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the Pelican-only modules share (egg, mount, database_host, role, server_transfer): the panel check made
before any request that could write, and finding the objects their options name.

The panel check costs nothing on a Pelican key (`papp_`/`pacc_` prefix) and one unauthenticated probe otherwise
(`PanelClient.flavour`); a module then fails naming the panel instead of sending a request Pterodactyl has no
route for.
"""

from __future__ import annotations

import typing as t

from ansible_collections.ptero.panel.plugins.module_utils._client import PanelClient
from ansible_collections.ptero.panel.plugins.module_utils._flavour import PELICAN, panel_name
from ansible_collections.ptero.panel.plugins.module_utils._lookup import (
    by_id,
    find_application_server,
    find_exact,
    find_node,
    one,
    same_value,
)
from ansible_collections.ptero.panel.plugins.module_utils._module import TaskFailure, failure_context

Item = dict[str, t.Any]


def require_pelican(client: PanelClient, module_name: str, what: str) -> None:
    """Fail before any write when the panel is not Pelican: `what` is the API the module needs ("mounts")."""
    with failure_context("Could not tell which panel this is"):
        flavour = client.flavour
    if flavour != PELICAN:
        raise TaskFailure(
            f"ptero.panel.{module_name} needs a Pelican panel; this panel is {panel_name(flavour)}, "
            f"which has no API for {what}. Nothing was changed",
            changed=False,
        )


def find_pelican_egg(client: PanelClient, ref: str | int) -> Item | None:
    """A Pelican egg by id, uuid or name (the flat egg list is never paginated)."""
    found = by_id(client, ref, "application.egg_catalog.get", "egg")
    if found is not None:
        return found
    eggs: list[Item] = client.call("application.egg_catalog.list")
    by_uuid = [egg for egg in eggs if same_value("uuid", egg.get("uuid"), str(ref))]
    if by_uuid:
        return by_uuid[0]
    return one([egg for egg in eggs if same_value("name", egg.get("name"), str(ref))], f"egg '{ref}'")


def find_by_name(
    client: PanelClient, operation: str, get_operation: str, parameter: str, ref: str | int, noun: str
) -> Item | None:
    """An object of a list with a `name` filter, by id (digits) or exact name."""
    found = by_id(client, ref, get_operation, parameter)
    return found or one(find_exact(client, operation, "name", str(ref)), f"{noun} '{ref}'")


def resolve_ids(
    client: PanelClient,
    refs: t.Iterable[t.Any],
    option: str,
    noun: str,
    find: t.Callable[[PanelClient, t.Any], Item | None],
) -> list[int]:
    """The panel ids of the objects a list option names, sorted; TaskFailure naming the option for one that does
    not exist."""
    ids: set[int] = set()
    for ref in refs:
        with failure_context(f"Could not look up {noun} '{ref}' of {option}"):
            found = find(client, ref)
        if found is None:
            raise TaskFailure(f"{option}: no {noun} '{ref}' exists on the panel", changed=False)
        ids.add(int(found["id"]))
    return sorted(ids)


def node_ids(client: PanelClient, refs: t.Iterable[t.Any], option: str = "nodes") -> list[int]:
    """Node ids of a list of node ids or names."""
    return resolve_ids(client, refs, option, "node", find_node)


def egg_ids(client: PanelClient, refs: t.Iterable[t.Any], option: str = "eggs") -> list[int]:
    """Egg ids of a list of egg ids, uuids or names."""
    return resolve_ids(client, refs, option, "egg", find_pelican_egg)


def server_ids(client: PanelClient, refs: t.Iterable[t.Any], option: str = "servers") -> list[int]:
    """Server ids of a list of server ids, external ids, identifiers, uuids or names."""
    return resolve_ids(client, refs, option, "server", find_application_server)


def required_object(
    client: PanelClient, ref: t.Any, option: str, find: t.Callable[[PanelClient, t.Any], Item | None]
) -> Item:
    """The object an option names; TaskFailure naming the option when it does not exist."""
    with failure_context(f"Could not look up the {option}"):
        found = find(client, ref)
    if found is None:
        raise TaskFailure(f"{option}: no {option} '{ref}' exists on the panel", changed=False)
    return found
