"""Host variables from the panel: template-looking strings are never templated, other values export plain (no
{"__ansible_unsafe": ...} wrappers in what AWX imports). Runs on ansible-core 2.19 and 2.16."""

from __future__ import annotations

import pytest
from ansible.inventory.data import InventoryData
from ansible.plugins.inventory import BaseInventoryPlugin
from ansible.utils.unsafe_proxy import AnsibleUnsafe

from ansible_collections.ptero.panel.plugins.plugin_utils import hostvars

try:
    from ansible.template import is_trusted_as_template
except ImportError:  # ansible-core < 2.19: everything not marked unsafe may be templated
    is_trusted_as_template = None

try:  # ansible-core 2.19's inventory proxy and tags, which HostVarStore must reproduce exactly
    from ansible._internal._datatag._tags import Origin
    from ansible.inventory.manager import _InventoryDataWrapper as InventoryDataWrapper
    from ansible.module_utils._internal._datatag import AnsibleTagHelper
except ImportError:  # ansible-core < 2.19
    AnsibleTagHelper = InventoryDataWrapper = Origin = None


def templatable(value: str) -> bool:
    if is_trusted_as_template is not None:
        return is_trusted_as_template(value)
    return not isinstance(value, AnsibleUnsafe)


@pytest.mark.parametrize("text", ["java -jar {{SERVER_JARFILE}}", "{% if x %}", "a {# c #}", "#jinja2:x\n{{ y }}"])
def test_template_looking_strings_are_never_templated(text):
    value = hostvars.for_hostvars(text)
    assert value == text and not templatable(value)


@pytest.mark.parametrize("text", ["Survival", "Rust [EU] #1!", "", "50% off {not a template}"])
def test_other_strings_are_plain(text):
    value = hostvars.for_hostvars(text)
    assert value == text and templatable(value)
    assert not isinstance(value, AnsibleUnsafe)


def test_nested_values_are_marked_one_by_one():
    data = {
        "limits": {"memory": 1024, "name": "x"},
        "startup": "run {{JAR}}",
        "ports": ["25565", "{{P}}"],
        "suspended": False,
    }
    marked = hostvars.for_hostvars(data)
    assert marked == data
    assert templatable(marked["limits"]["name"]) and not templatable(marked["startup"])
    assert templatable(marked["ports"][0]) and not templatable(marked["ports"][1])
    assert marked["limits"]["memory"] == 1024 and marked["suspended"] is False


HOSTS = {
    "server-1": {
        "ansible_host": "node1.example.com",
        "pterodactyl_id": 1,
        "pterodactyl_limits": {"memory": 1024, "threads": None, "oom_disabled": True, "cpu": 12.5},
        "pterodactyl_startup": "run {{JAR}}",
        "pterodactyl_ports": ["25565", "{{P}}"],
        "pterodactyl_status": None,
    },
    "server-2": {
        "ansible_host": "node1.example.com",
        "pterodactyl_id": 2,
        "pterodactyl_limits": {"memory": 1024, "threads": "0-1", "oom_disabled": False, "cpu": 1},
        "pterodactyl_startup": "run {{JAR}}",
        "pterodactyl_ports": [],
        "pterodactyl_status": "installing",
    },
}


def stored_by(inventory: InventoryData, store_into) -> dict:
    for name, variables in HOSTS.items():
        inventory.add_host(name)
        store_into(name, variables)
    return {name: {key: inventory.get_host(name).vars[key] for key in HOSTS[name]} for name in HOSTS}


def tags_of(value) -> object:
    """The value with the type and tags of every part, to compare two stored forms exactly."""
    if AnsibleTagHelper is None:
        own = (type(value).__name__,)
    else:
        own = (type(value).__name__, sorted(repr(tag) for tag in AnsibleTagHelper.tags(value)))
    if isinstance(value, dict):
        return own, {key: tags_of(item) for key, item in value.items()}
    if isinstance(value, list):
        return own, [tags_of(item) for item in value]
    return own, value


def test_the_store_keeps_what_the_public_path_keeps():
    """HostVarStore's stored values are exactly those of set_variable(for_hostvars(value)) through the inventory that
    ansible-core hands a plugin: the same values, types and tags (origin and trust on 2.19), whichever path it took.
    On ansible-core 2.19 that inventory is a proxy and the store must find its direct path; before 2.19 there is no
    proxy and it must take the public one."""
    if InventoryDataWrapper is None:

        def given() -> object:
            return InventoryData()

    else:
        origin = Origin(path="/inventories/panel.pterodactyl.yml")

        def given() -> object:
            return InventoryDataWrapper(InventoryData(), BaseInventoryPlugin(), origin)

    public_inventory = given()
    public = stored_by(
        public_inventory,
        lambda name, variables: [
            public_inventory.set_variable(name, key, hostvars.for_hostvars(value)) for key, value in variables.items()
        ],
    )
    store_inventory = given()
    store = hostvars.HostVarStore(store_inventory)
    assert store.direct is (InventoryDataWrapper is not None)
    stored = stored_by(store_inventory, store.set)
    assert stored == public == HOSTS
    assert tags_of(stored) == tags_of(public)
    if store.direct:
        assert tags_of(stored["server-1"]["pterodactyl_id"]) != tags_of(1), "no origin was stored"
        # One stored form per distinct value, shared by the hosts; containers are each host's own.
        first, second = stored["server-1"], stored["server-2"]
        assert first["ansible_host"] is second["ansible_host"]
        assert first["pterodactyl_limits"]["memory"] is second["pterodactyl_limits"]["memory"]
        assert first["pterodactyl_limits"] is not second["pterodactyl_limits"]


def test_an_unknown_inventory_takes_the_public_path():
    """An inventory without ansible-core 2.19's proxy attributes (an older or a later, different core) is only ever
    given values through its own set_variable."""
    calls: list[tuple[str, str, object]] = []

    class Recording:
        def set_variable(self, host: str, key: str, value: object) -> None:
            calls.append((host, key, value))

    store = hostvars.HostVarStore(Recording())
    assert not store.direct
    store.set("h", {"a": "run {{JAR}}", "b": 1})
    assert calls == [("h", "a", "run {{JAR}}"), ("h", "b", 1)]
    assert not templatable(calls[0][2])
