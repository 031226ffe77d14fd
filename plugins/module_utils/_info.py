# Private to ptero.panel: not a public API.
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one query helper behind every `*_info` module.

An info module declares what it reads (an `InfoQuery`) and `run_info` does the rest:
1. find the scope object the listing belongs to (a client server, an application server, a node, a nest);
2. read the objects: one direct read when a lookup option (such as `id`) is given, else the listing, narrowed by
   the panel's filters (partial, so they only narrow);
3. keep the objects that match every given filter option by the collection's one rule (`_lookup.same_value`,
   documented in doc_fragments/matching.py);
4. shape them and exit with `changed: false`.

Problems are raised as the engine's `TaskFailure` (a failed read says what was being read: `failure_context`)
and reported by `PanelModule.failures_reported()`, the one place where raised problems become the failed result.
"""

from __future__ import annotations

import dataclasses
import itertools
import typing as t

from ansible_collections.ptero.panel.plugins.module_utils._client import PanelClient
from ansible_collections.ptero.panel.plugins.module_utils._lookup import (
    find_application_server,
    find_nest,
    find_node,
    get_or_none,
    same_value,
)
from ansible_collections.ptero.panel.plugins.module_utils._module import PanelModule, TaskFailure, failure_context
from ansible_collections.ptero.panel.plugins.module_utils._servers import client_server, server_path

Item = dict[str, t.Any]
# The panel serves at most 100 objects a page.
MAX_PER_PAGE = 100


class Reading(t.NamedTuple):
    """What the parts of a declaration see while a task reads."""

    client: PanelClient
    params: t.Mapping[str, t.Any]
    #: the object the listing belongs to (see Scope), None for unscoped listings
    scope: Item | None
    warn: t.Callable[[str], None]

    @property
    def owner(self) -> Item:
        """The scope object, for the parts of a query whose scope option is required (never None there)."""
        if self.scope is None:
            raise ValueError("this reading has no scope object")
        return self.scope


class Criterion(t.NamedTuple):
    """One filter option, resolved: the field compared, the value it must match, and the query that lets the panel
    narrow its listing first."""

    field: str
    value: t.Any
    narrow: t.Mapping[str, t.Any]


@dataclasses.dataclass(frozen=True)
class Match:
    """A filter option: objects whose `field` matches the option's value (`same_value`)."""

    field: str
    #: the panel's filter on that field (`filter[<name>]`), None where the listing has none
    panel_filter: str | None = None
    #: the option's value -> the field's value (e.g. a database's short name -> the name the panel stores)
    value: t.Callable[[t.Any, Reading], t.Any] | None = None

    def criterion(self, option_value: t.Any, reading: Reading) -> Criterion:
        value = self.value(option_value, reading) if self.value else option_value
        # The panel splits a filter value on commas: such a value is matched here only.
        narrow = {f"filter[{self.panel_filter}]": value} if self.panel_filter and "," not in str(value) else {}
        return Criterion(self.field, value, narrow)


# option value, Reading -> Criterion: for a filter whose field depends on the value (see server_info's identifier).
Resolver = t.Callable[[t.Any, Reading], Criterion]
# client, option value, path parameters, query -> the one object, or None: a lookup option's direct read.
Finder = t.Callable[[PanelClient, t.Any, dict[str, t.Any], dict[str, t.Any]], t.Optional[Item]]


def get_by(operation: str, parameter: str) -> Finder:
    """A lookup option read with one GET, the option's value being the path parameter `parameter`."""

    def find(client: PanelClient, value: t.Any, path: dict[str, t.Any], query: dict[str, t.Any]) -> Item | None:
        return get_or_none(client, operation, {**path, parameter: value}, query=query or None)

    return find


@dataclasses.dataclass(frozen=True)
class Scope:
    """The object an info module's listing belongs to, named by one option."""

    option: str
    #: client, the option's value -> the object; raises TaskFailure naming the option when there is none
    resolve: t.Callable[[PanelClient, t.Any], Item]
    path: t.Callable[[Item], dict[str, t.Any]]


def on_the_panel(
    option: str, find: t.Callable[[PanelClient, t.Any], Item | None]
) -> t.Callable[[PanelClient, t.Any], Item]:
    """A scope's resolve for an application API object: `find`, or a TaskFailure naming the option."""

    def resolve(client: PanelClient, ref: t.Any) -> Item:
        with failure_context(f"Could not look up the {option}"):
            found = find(client, ref)
        if found is None:
            raise TaskFailure(f"{option}: no {option} '{ref}' exists on the panel")
        return found

    return resolve


CLIENT_SERVER = Scope("server", client_server, server_path)
APPLICATION_SERVER = Scope(
    "server", on_the_panel("server", find_application_server), lambda server: {"server": server["id"]}
)
NODE = Scope("node", on_the_panel("node", find_node), lambda node: {"node": node["id"]})
NEST = Scope("nest", on_the_panel("nest", find_nest), lambda nest: {"nest": nest["id"]})


@dataclasses.dataclass(frozen=True)
class InfoQuery:
    """How an info module reads its objects (see the module docstring for the order of the steps)."""

    result_key: str
    #: the listing (None for a module whose `read` builds the whole result)
    list_operation: str | None = None
    scope: Scope | None = None
    #: the listing when the scope option is optional and not given (e.g. the account's activity)
    unscoped_operation: str | None = None
    filters: t.Mapping[str, Match | Resolver] = dataclasses.field(default_factory=dict)
    #: option -> direct read of the one object it names, used instead of the listing (the first given option wins);
    #: the filters still apply to what it finds
    lookups: t.Mapping[str, Finder] = dataclasses.field(default_factory=dict)
    #: the query sent with every read (includes, sort order, listing type)
    query: t.Callable[[t.Mapping[str, t.Any]], dict[str, t.Any]] | None = None
    #: an int option bounding how many matching objects are returned (0: all); read page by page until reached
    limit_option: str | None = None
    #: each returned object as the module returns it
    shape: t.Callable[[Item, Reading], Item] | None = None
    #: more result keys, computed from every listed object (before the filters apply)
    extra: t.Callable[[list[Item], Reading], dict[str, t.Any]] | None = None
    #: for a module that reads something other than a list of objects: the whole result
    read: t.Callable[[Reading], dict[str, t.Any]] | None = None
    #: checks of the options made before any request; raises TaskFailure (what it returns is not used)
    validate: t.Callable[[t.Mapping[str, t.Any]], object] | None = None

    @property
    def noun(self) -> str:
        return self.result_key.replace("_", " ")

    def criteria(self, reading: Reading) -> list[Criterion]:
        given = [(option, match) for option, match in self.filters.items() if reading.params.get(option) is not None]
        return [
            match.criterion(reading.params[option], reading)
            if isinstance(match, Match)
            else match(reading.params[option], reading)
            for option, match in given
        ]


def matches(item: t.Mapping[str, t.Any], criteria: t.Iterable[Criterion]) -> bool:
    return all(same_value(criterion.field, item.get(criterion.field), criterion.value) for criterion in criteria)


def _subject(spec: InfoQuery, reading: Reading) -> str:
    """What is read, in words: "the backups of server 'Survival'", "the nodes"."""
    if spec.scope is None or reading.scope is None:
        return f"the {spec.noun}"
    return f"the {spec.noun} of {spec.scope.option} '{reading.scope.get('name')}'"


def _listing(
    spec: InfoQuery, reading: Reading, query: dict[str, t.Any], criteria: list[Criterion]
) -> tuple[list[Item], list[Item]]:
    """(every listed object, the matching ones) of the listing, narrowed by the panel's filters."""
    operation = spec.list_operation if reading.scope is not None or spec.scope is None else spec.unscoped_operation
    if operation is None:
        raise ValueError(f"the {spec.result_key} query declares no listing for this case")
    path = spec.scope.path(reading.scope) if spec.scope and reading.scope is not None else None
    for criterion in criteria:
        query.update(criterion.narrow)
    with failure_context(f"Could not list {_subject(spec, reading)}"):
        if spec.limit_option is None:
            listed = reading.client.collect(operation, path, query=query or None)
            return listed, [item for item in listed if matches(item, criteria)]
        limit = reading.params[spec.limit_option]
        pages = reading.client.iterate(
            operation, path, query=query or None, per_page=min(limit, MAX_PER_PAGE) if limit else MAX_PER_PAGE
        )
        # Lazily: the pages after the one holding the last wanted object are never asked for.
        found = list(itertools.islice((item for item in pages if matches(item, criteria)), limit or None))
        return found, found


def _direct(spec: InfoQuery, reading: Reading, query: dict[str, t.Any], criteria: list[Criterion]) -> list[Item] | None:
    """The object a given lookup option names (in a list, empty when there is none), or None without one."""
    for option, find in spec.lookups.items():
        value = reading.params.get(option)
        if value is not None:
            path = spec.scope.path(reading.scope) if spec.scope and reading.scope is not None else {}
            with failure_context(f"Could not read {_subject(spec, reading)}"):
                found = find(reading.client, value, path, query)
            return [found] if found is not None and matches(found, criteria) else []
    return None


def read_objects(spec: InfoQuery, reading: Reading) -> dict[str, t.Any]:
    """The result of a list-reading info module: `{result_key: [...], **extra}`."""
    query = spec.query(reading.params) if spec.query else {}
    criteria = spec.criteria(reading)
    direct = _direct(spec, reading, dict(query), criteria)
    listed, found = (direct, direct) if direct is not None else _listing(spec, reading, dict(query), criteria)
    if spec.shape is not None:
        found = [spec.shape(item, reading) for item in found]
    extra = spec.extra(listed, reading) if spec.extra else {}
    return {spec.result_key: found, **extra}


def check_input(spec: InfoQuery, params: t.Mapping[str, t.Any]) -> None:
    """Refuse bad input before any request."""
    limit = params.get(spec.limit_option) if spec.limit_option else None
    if limit is not None and limit < 0:
        raise TaskFailure(f"{spec.limit_option}: must be 0 (every entry) or more, not {limit}")
    if spec.validate is not None:
        spec.validate(params)


def includes(params: t.Mapping[str, t.Any]) -> dict[str, t.Any]:
    """The query of an `include` list option."""
    return {"include": ",".join(params["include"])} if params.get("include") else {}


def run_info(module: PanelModule, spec: InfoQuery) -> t.NoReturn:
    """Read what `spec` declares and end the task: the result, or the failure of the first problem found."""
    with module.failures_reported():
        check_input(spec, module.params)
        scope = None
        if spec.scope is not None and module.params.get(spec.scope.option) is not None:
            scope = spec.scope.resolve(module.client, module.params[spec.scope.option])
        reading = Reading(module.client, module.params, scope, module.warn)
        result = spec.read(reading) if spec.read else read_objects(spec, reading)
    module.exit_json(changed=False, **result)
