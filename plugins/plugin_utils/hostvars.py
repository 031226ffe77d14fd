# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Panel data as host variables: how the inventory marks them for templating and hands them to ansible-core."""

from __future__ import annotations

import typing as t

from ansible.utils.unsafe_proxy import wrap_var

try:
    # ansible-core 2.19+ never templates data that was not marked trusted.
    from ansible.template import trust_as_template
except ImportError:
    trust_as_template = None

# What makes ansible-core read a string as a template.
_TEMPLATE_MARKERS = ("{{", "{%", "{#")


def could_be_template(text: str) -> bool:
    # Every marker holds "{": most strings are ruled out by one scan.
    return ("{" in text and any(marker in text for marker in _TEMPLATE_MARKERS)) or text.startswith("#jinja2:")


def _marked_string(text: str) -> str:
    if could_be_template(text):
        return text if trust_as_template else wrap_var(text)
    return trust_as_template(text) if trust_as_template else text


def for_hostvars(value: t.Any) -> t.Any:
    """Panel data as host variables: a string that could be read as a template (a startup command holds
    {{VARIABLE}}) must never be templated, so it stays untrusted (2.19) or is marked unsafe (2.16); every other
    string is made plain-trusted. Templating such a string changes nothing, and this way `ansible-inventory --export`
    (what AWX imports and shows) writes values instead of {"__ansible_unsafe": ...} wrappers."""
    return _Marker(_unchanged)(value)


class _Marker:
    """Marks a value as for_hostvars() says and applies `tag` to every part (containers built anew), remembering
    the stored form of each distinct string and scalar: those are immutable, so one can serve every host."""

    def __init__(self, tag: t.Callable[[t.Any], t.Any]) -> None:
        self._tag = tag
        self._strings: dict[str, t.Any] = {}
        self._scalars: dict[tuple[type, t.Any], t.Any] = {}

    def __call__(self, value: t.Any) -> t.Any:
        if isinstance(value, str):
            stored = self._strings.get(value)
            if stored is None:
                stored = self._strings[value] = self._tag(_marked_string(value))
            return stored
        if isinstance(value, dict):
            return self._tag({key: self(item) for key, item in value.items()})
        if isinstance(value, list):
            return self._tag([self(item) for item in value])
        key = (type(value), value)
        stored = self._scalars.get(key)
        if stored is None:
            stored = self._scalars[key] = self._tag(value)
        return stored


class HostVarStore:
    """Hands each host's variables to ansible-core, marked as for_hostvars() marks them.

    ansible-core 2.19 passes every value a plugin sets through a visitor that copies it and tags it with its origin
    (the inventory source), value by value and host by host: at thousands of hosts that visit is most of what the
    host variables cost. This plugin already decides trust itself, so where ansible-core 2.19's inventory is found
    the store tags each distinct value with that same origin once and stores it directly: the stored values carry
    exactly the tags the visitor would have given them (a unit test compares the two) and `--list` prints the same
    bytes. Tagged scalars are immutable, so hosts share them; containers are built anew for each host. Anywhere else
    (ansible-core before 2.19, or a later one whose inventory looks different) every value takes the public path."""

    def __init__(self, inventory: t.Any) -> None:
        self._inventory = inventory
        self._direct, origin = _direct_inventory(inventory)
        self._stored = _Marker(origin.tag if origin is not None else _unchanged)

    @property
    def direct(self) -> bool:
        return self._direct is not None

    def set(self, host: str, variables: dict[str, t.Any]) -> None:
        target = self._inventory if self._direct is None else self._direct
        for key, value in variables.items():
            target.set_variable(host, key, self._stored(value))


def _unchanged(value: t.Any) -> t.Any:
    return value


def _direct_inventory(inventory: t.Any) -> tuple[t.Any, t.Any]:
    """ansible-core 2.19's inventory proxy gives (the InventoryData behind it, the origin its visitor tags with);
    anything else gives (None, None)."""
    if trust_as_template is None:
        return None, None
    data = getattr(inventory, "__wrapped__", None)
    origin = getattr(inventory, "_default_origin", None)
    if not callable(getattr(data, "set_variable", None)) or not callable(getattr(origin, "tag", None)):
        return None, None
    return data, origin


def for_constructed(variables: dict[str, t.Any]) -> dict[str, t.Any]:
    """The variables compose/groups/keyed_groups read: before 2.19 template-looking strings must be unsafe there
    too; from 2.19 untrusted data is never templated, and nothing is exported, so it goes as it is."""
    return variables if trust_as_template else for_hostvars(variables)
