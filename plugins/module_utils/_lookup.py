# Private to ptero.panel: not a public API.
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Finding panel objects by the names people use, in as few requests as the API allows.

Lists that have server-side filters are asked with `filter[...]` (one request, whatever the panel's size);
the panel's filters are partial (`LIKE %x%`) and split on commas, so results are matched here by `same_value`,
and a value with a comma falls back to a full scan. Where the API has no filter (nests, eggs) the list is small.

`same_value` is the collection's one matching rule, for the objects a module option names and for the filters
of the `*_info` modules (documented in doc_fragments/matching.py): equal character for character, case included,
except user names and e-mail addresses, which the panel itself treats without case.

Servers can be named by the `serv_…` identifier panels 1.12.1+ show (`server_identifier`). It is only the uuid in
another encoding, so it is decoded here and the server looked up by uuid: that works on every panel version and
through the application API, which does not accept `serv_` ids.
"""

from __future__ import annotations

import base64
import re
import typing as t
import uuid

from ansible_collections.ptero.panel.plugins.module_utils._client import PanelClient, PanelError


class AmbiguousError(Exception):
    """More than one object matches a name that should identify one."""


# Fields the panel compares without case (it stores user names lowercased and refuses an e-mail address that
# differs from a taken one only in case), so a playbook's value matches them without case too.
CASELESS_FIELDS = frozenset({"username", "email"})


def same_value(field: str, have: t.Any, wanted: t.Any) -> bool:
    """Whether an object's `field` holding `have` matches the value `wanted` (the one rule, see the docstring)."""
    if field in CASELESS_FIELDS and isinstance(have, str) and isinstance(wanted, str):
        return have.lower() == wanted.lower()
    return bool(have == wanted)


def get_or_none(
    client: PanelClient, operation: str, path_params: dict[str, t.Any], **kwargs: t.Any
) -> dict[str, t.Any] | None:
    """A GET of one object that answers None for 404 instead of raising."""
    try:
        found: dict[str, t.Any] = client.call(operation, path_params, **kwargs)
    except PanelError as error:
        if error.status == 404:
            return None
        raise
    return found


SERVER_IDENTIFIER_PREFIX = "serv_"
# 'serv_' + lowercase unpadded RFC 4648 base32 of the uuid's 16 bytes: 26 characters (the panel also takes '=' padding).
_SERVER_IDENTIFIER_BODY = re.compile(r"[a-z2-7]{26}=*")


def server_identifier(server_uuid: str) -> str:
    """The `serv_…` identifier of a server uuid, as panels 1.12.1+ build it."""
    encoded = base64.b32encode(uuid.UUID(server_uuid).bytes).decode("ascii")
    return SERVER_IDENTIFIER_PREFIX + encoded.rstrip("=").lower()


def uuid_from_server_identifier(ref: t.Any) -> str | None:
    """The uuid a `serv_…` identifier stands for; None when `ref` is not one (it may then be a name)."""
    if not isinstance(ref, str) or not ref.startswith(SERVER_IDENTIFIER_PREFIX):
        return None
    body = ref.replace(SERVER_IDENTIFIER_PREFIX, "", 1)
    if not _SERVER_IDENTIFIER_BODY.fullmatch(body):
        return None
    raw = base64.b32decode(body.rstrip("=").upper() + "======")
    return str(uuid.UUID(bytes=raw)) if len(raw) == 16 else None


def is_id(ref: t.Any) -> bool:
    return isinstance(ref, int) or (isinstance(ref, str) and ref.isdigit())


def find_exact(
    client: PanelClient,
    operation: str,
    field: str,
    value: str,
    *,
    path_params: dict[str, t.Any] | None = None,
    query: dict[str, t.Any] | None = None,
    filter_name: str | None = None,
) -> list[dict[str, t.Any]]:
    """Every object of a filtered list whose `field` matches `value` (`same_value`)."""
    query = dict(query or {})
    if "," not in value:
        query[f"filter[{filter_name or field}]"] = value
    items = client.collect(operation, path_params, query=query)
    return [item for item in items if same_value(field, item.get(field), value)]


def one(matches: list[dict[str, t.Any]], what: str, key: str = "id") -> dict[str, t.Any] | None:
    """The single match, None for none, AmbiguousError naming the candidates for several."""
    if len(matches) > 1:
        ids = ", ".join(str(m.get(key)) for m in matches)
        raise AmbiguousError(f"{what} matches {len(matches)} objects ({key}s {ids}); use an id or a unique key")
    return matches[0] if matches else None


def by_id(client: PanelClient, ref: str | int, operation: str, parameter: str) -> dict[str, t.Any] | None:
    """The object with id `ref` when `ref` looks like an id and exists; None otherwise (a name may be digits)."""
    return get_or_none(client, operation, {parameter: ref}) if is_id(ref) else None


def find_location(client: PanelClient, ref: str | int) -> dict[str, t.Any] | None:
    """A location by id or short code."""
    return by_id(client, ref, "application.locations.get", "location") or one(
        find_exact(client, "application.locations.list", "short", str(ref)), f"location '{ref}'"
    )


def find_node(client: PanelClient, ref: str | int) -> dict[str, t.Any] | None:
    """A node by id or name."""
    return by_id(client, ref, "application.nodes.get", "node") or one(
        find_exact(client, "application.nodes.list", "name", str(ref)), f"node '{ref}'"
    )


def find_user(client: PanelClient, ref: str | int) -> dict[str, t.Any] | None:
    """A user by id, username or e-mail address (both matched without case, see `same_value`)."""
    found = by_id(client, ref, "application.users.get", "user")
    if found is not None:
        return found
    ref = str(ref)
    field = "email" if "@" in ref else "username"
    return one(find_exact(client, "application.users.list", field, ref), f"user '{ref}'")


def find_user_by_external_id(client: PanelClient, external_id: str) -> dict[str, t.Any] | None:
    return get_or_none(client, "application.users.get_external", {"external_id": external_id})


def find_server_by_external_id(client: PanelClient, external_id: str, include: str = "") -> dict[str, t.Any] | None:
    query = {"include": include} if include else None
    return get_or_none(client, "application.servers.get_external", {"external_id": external_id}, query=query)


def find_servers_by_name(client: PanelClient, name: str, include: str = "") -> list[dict[str, t.Any]]:
    query = {"include": include} if include else None
    return find_exact(client, "application.servers.list", "name", name, query=query)


def find_nest(client: PanelClient, ref: str | int) -> dict[str, t.Any] | None:
    """A nest by id or name (the API has no nest filter; panels have a handful of nests)."""
    found = by_id(client, ref, "application.nests.get", "nest")
    if found is not None:
        return found
    nests = client.collect("application.nests.list")
    return one([n for n in nests if same_value("name", n.get("name"), str(ref))], f"nest '{ref}'")


def find_egg(client: PanelClient, nest: dict[str, t.Any], ref: str | int) -> dict[str, t.Any] | None:
    """An egg of `nest` by id or name, with its variables."""
    query = {"include": "variables"}
    if is_id(ref):
        found = get_or_none(client, "application.eggs.get", {"nest": nest["id"], "egg": ref}, query=query)
        if found is not None:
            return found
    eggs = client.call("application.eggs.list", {"nest": nest["id"]}, query=query)
    return one(
        [e for e in eggs if same_value("name", e.get("name"), str(ref))], f"egg '{ref}' of nest '{nest['name']}'"
    )


def find_client_server(client: PanelClient, ref: str) -> dict[str, t.Any] | None:
    """A server the client key can see, by 8-character identifier, `serv_…` identifier, uuid or name."""
    by_uuid = uuid_from_server_identifier(ref)
    if by_uuid is not None:
        found = get_or_none(client, "client.servers.get", {"server": by_uuid})
        if found is not None:
            return found
    elif len(ref) == 8 or len(ref) == 36:
        found = get_or_none(client, "client.servers.get", {"server": ref})
        if found is not None:
            return found
    matches = find_exact(client, "client.servers.list", "name", ref)
    if not matches:
        # A root admin's default list holds only servers they own or help on; admin-all has the rest
        # (for other users it is empty, so this costs one request and finds nothing).
        matches = find_exact(client, "client.servers.list", "name", ref, query={"type": "admin-all"})
    return one(matches, f"server '{ref}'", key="identifier")


def find_application_server(client: PanelClient, ref: str | int) -> dict[str, t.Any] | None:
    """A server for the application API by id, external id, 8-character identifier, `serv_…` identifier, uuid or
    name."""
    ref = str(ref)
    by_uuid = uuid_from_server_identifier(ref)
    if by_uuid is not None:
        # The application API does not take serv_ ids: match the uuid it encodes.
        match = one(find_exact(client, "application.servers.list", "uuid", by_uuid), f"server '{ref}'")
        if match is not None:
            return match
        return one(find_servers_by_name(client, ref), f"server name '{ref}'", key="identifier")
    found = by_id(client, ref, "application.servers.get", "server") or find_server_by_external_id(client, ref)
    if found is not None:
        return found
    if len(ref) in (8, 36):
        field, filter_name = ("identifier", "uuidShort") if len(ref) == 8 else ("uuid", "uuid")
        match = one(
            find_exact(client, "application.servers.list", field, ref, filter_name=filter_name), f"server '{ref}'"
        )
        if match is not None:
            return match
    return one(find_servers_by_name(client, ref), f"server name '{ref}'", key="identifier")
