# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The inventory at scale: the lean default host variables, full data for compose/groups/keyed_groups,
extra_hostvars, pattern-safe host names, requests in flight, panel 1.12+ client fields and the key precedence."""

from __future__ import annotations

import json
import re
import threading
import time

import pytest
import responses
from ansible.errors import AnsibleError
from ansible.inventory.manager import InventoryManager
from ansible.parsing.dataloader import DataLoader

# The mocked panel and the parse() runner of the plugin's other unit tests (same folder).
from test_pterodactyl_plugin import APPLICATION_KEY, CLIENT_KEY, FakePanel, Run

from ansible_collections.ptero.panel.plugins.inventory import pterodactyl as plugin

try:
    from ansible.template import trust_as_template
except ImportError:  # ansible-core < 2.19 trusts every template

    def trust_as_template(value: str) -> str:
        return value


LEAN_SERVER = {
    "ansible_host",
    "pterodactyl_id",
    "pterodactyl_identifier",
    "pterodactyl_uuid",
    "pterodactyl_name",
    "pterodactyl_status",
    "pterodactyl_node_name",
    "pterodactyl_location_short",
    "pterodactyl_primary_allocation",
    "pterodactyl_primary_ip",
    "pterodactyl_primary_port",
    "pterodactyl_sftp_host",
    "pterodactyl_sftp_port",
    "pterodactyl_sftp_user",
}
LEAN_NODE = {
    "ansible_host",
    "pterodactyl_id",
    "pterodactyl_uuid",
    "pterodactyl_name",
    "pterodactyl_fqdn",
    "pterodactyl_daemon_sftp",
    "pterodactyl_location_short",
}
# FakePanel's server records carry no external_id or limits: the lean set only stores what the panel sent.


def plain(value):
    """A stored value without the unsafe marking ansible-core 2.16 puts on panel data."""
    return json.loads(json.dumps(value))


def stored(inventory, name: str) -> dict:
    """The host variables the plugin set (not the inventory_file/inventory_dir ansible-core adds)."""
    return plain(
        {key: value for key, value in inventory.get_host(name).vars.items() if not key.startswith("inventory_")}
    )


def members(inventory, group: str) -> set[str]:
    return {host.name for host in inventory.groups[group].get_hosts()} if group in inventory.groups else set()


# ---------------------------------------------------------------------------------------------------- lean set
def test_the_default_host_vars_are_the_lean_set(panel, config):
    inventory = Run(config).parse()
    server = stored(inventory, "server-7")
    assert set(server) == LEAN_SERVER
    assert server["pterodactyl_sftp_user"] == "player.00000007"
    assert server["pterodactyl_primary_allocation"] == "10.0.0.1:20007"
    assert server["pterodactyl_location_short"] == "eu"
    assert set(stored(inventory, "node-a")) == LEAN_NODE
    # The fields left out are exactly the heavy ones.
    assert not {"pterodactyl_owner", "pterodactyl_allocations", "pterodactyl_container"} & set(server)


def test_the_lean_names_are_the_documented_ones():
    """The table in the docs lists these; a change here must change the docs and the changelog."""
    assert plugin.LEAN_SERVER_VARS == (
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
    assert plugin.LEAN_NODE_VARS == (
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
    documentation = plugin.DOCUMENTATION
    for name in plugin.LEAN_SERVER_VARS + plugin.LEAN_NODE_VARS:
        assert f"C({name})" in documentation, name


def test_a_prefix_applies_to_the_lean_set(panel, config):
    inventory = Run(config, hostvar_prefix="p_", include_nodes=False).parse()
    assert set(stored(inventory, "server-1")) == {name.replace("pterodactyl_", "p_") for name in LEAN_SERVER}


# ---------------------------------------------------------------------------------------------------- full data
def test_keyed_groups_groups_and_compose_see_every_field_with_default_options(panel, config):
    inventory = Run(
        config,
        keyed_groups=[{"key": trust_as_template("pterodactyl_owner.username"), "prefix": "owner"}],
        groups={"first_port": trust_as_template("pterodactyl_allocations[0].port == 20003")},
        compose={
            "owner_name": trust_as_template("pterodactyl_owner.username"),
            "egg_id": trust_as_template("pterodactyl_egg"),
        },
    ).parse()
    assert len(members(inventory, "owner_player")) == 250
    assert members(inventory, "first_port") == {"server-3"}
    server = stored(inventory, "server-3")
    assert server["owner_name"] == "player"
    assert int(server["egg_id"]) == 1  # a str before ansible-core 2.19
    assert "pterodactyl_owner" not in server and "pterodactyl_allocations" not in server
    # Nodes have no owner: with strict off, they are simply not grouped.
    assert "node-a" not in members(inventory, "owner_player")


def test_strict_still_fails_on_a_field_a_host_lacks(panel, config):
    with pytest.raises(AnsibleError, match="owner"):
        Run(
            config,
            strict=True,
            keyed_groups=[{"key": trust_as_template("pterodactyl_owner.username"), "prefix": "owner"}],
        ).parse()
    # ... and passes when every host has it.
    inventory = Run(
        config,
        strict=True,
        include_nodes=False,
        keyed_groups=[{"key": trust_as_template("pterodactyl_owner.username"), "prefix": "owner"}],
    ).parse()
    assert len(members(inventory, "owner_player")) == 250


def test_panel_data_seen_by_compose_is_never_templated(config):
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        fake = FakePanel(mock, servers=1)
        fake.rows["/api/application/servers"][0]["container"] = {"startup_command": "java -jar {{SERVER_JARFILE}}"}
        inventory = Run(config, compose={"startup": trust_as_template("pterodactyl_container.startup_command")}).parse()
    assert str(inventory.get_host("server-1").vars["startup"]) == "java -jar {{SERVER_JARFILE}}"


def test_a_cache_hit_keeps_every_field_for_grouping(panel, config):
    store: dict = {}
    Run(config, store, cache=True).parse()
    panel.queries.clear()
    inventory = Run(
        config,
        store,
        cache=True,
        keyed_groups=[{"key": trust_as_template("pterodactyl_owner.username"), "prefix": "owner"}],
    ).parse()
    assert panel.queries == []
    assert len(members(inventory, "owner_player")) == 250
    assert set(stored(inventory, "server-1")) == LEAN_SERVER


# ---------------------------------------------------------------------------------------------------- extra_hostvars
def test_extra_hostvars_stores_the_named_fields(panel, config):
    runner = Run(config, extra_hostvars=["owner", "allocations"])
    server = stored(runner.parse(), "server-2")
    assert set(server) == LEAN_SERVER | {"pterodactyl_owner", "pterodactyl_allocations"}
    assert server["pterodactyl_owner"] == {"id": 2, "username": "player"}
    assert server["pterodactyl_allocations"] == [{"id": 2, "ip": "10.0.0.1", "port": 20002}]
    assert runner.warnings == []


def test_extra_hostvars_all_stores_every_field_as_before(panel, config):
    inventory = Run(config, extra_hostvars=["all"]).parse()
    server = stored(inventory, "server-2")
    assert set(server) > LEAN_SERVER
    assert {
        "pterodactyl_owner",
        "pterodactyl_allocations",
        "pterodactyl_nest",
        "pterodactyl_egg",
        "pterodactyl_resource_type",
        "pterodactyl_egg_name",
        "pterodactyl_node",
        "pterodactyl_allocation",
        "pterodactyl_nest_name",
        "pterodactyl_location_id",
        "pterodactyl_location_long",
        "pterodactyl_node_fqdn",
    } <= set(server)
    assert "pterodactyl_relationships" not in server
    assert "pterodactyl_location_long" in stored(inventory, "node-a")


def test_an_extra_hostvar_no_host_has_is_warned_about(panel, config):
    runner = Run(config, extra_hostvars=["owner", "ownr"])
    runner.parse()
    assert len(runner.warnings) == 1
    assert "extra_hostvars: no host has the field(s) 'ownr'" in runner.warnings[0]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (["owner-name"], "extra_hostvars: 'owner-name' is not a field name"),
        (["pterodactyl owner"], "extra_hostvars: 'pterodactyl owner' is not a field name"),
        ("owner", "extra_hostvars: expected a list"),
    ],
)
def test_bad_extra_hostvars_name_the_option_before_any_request(value, message, config):
    with (
        responses.RequestsMock(assert_all_requests_are_fired=False),
        pytest.raises(AnsibleError, match=re.escape(message)),
    ):
        Run(config, extra_hostvars=value).parse()


# ---------------------------------------------------------------------------------------------------- host names
@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Minecraft: Survival, EU", "Minecraft__Survival__EU"),
        ("Rust [EU] #1!", "Rust__EU__#1_"),
        ("Rust Island", "Rust_Island"),
        ("  padded  ", "padded"),
        ("a&b*c?d", "a_b_c_d"),
        ("!negated", "_negated"),
        ("~regex", "_regex"),
        ("@file", "_file"),
        ("in~side@", "in~side@"),
        ("tab\tnew\nline", "tab_new_line"),
        ("Plain-name.1.2+x", "Plain-name.1.2+x"),
    ],
)
def test_pattern_safe_names(name, expected):
    assert plugin.pattern_safe(name) == expected


def test_sanitised_names_are_selectable_by_ansible_patterns(config):
    """Every host name the plugin gives is selected, alone, by itself as a pattern and as a --limit."""
    names = [
        "Minecraft: Survival, EU",
        "Rust [EU] #1!",
        "!x",
        "a&b",
        "star*",
        "what?",
        "  spaced  ",
        "~tilde",
        "@at",
        "two words",
        "Ünïcode #1",
        "10.0.0.1:25565",
        "plain",
    ]
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        fake = FakePanel(mock, servers=len(names))
        for row, name in zip(fake.rows["/api/application/servers"], names, strict=False):
            row["name"] = name
        inventory = Run(config, include_nodes=False).parse()
    manager = InventoryManager(DataLoader(), sources=[])
    hosts = list(inventory.hosts)
    for host in hosts:
        manager.add_host(host, group="all")
    assert len(hosts) == len(names)
    for host in hosts:
        assert [found.name for found in manager.get_hosts(host)] == [host], host
        manager.subset(host)
        assert [found.name for found in manager.get_hosts("all")] == [host], host
        manager.subset(None)
    originals = {str(inventory.get_host(host).vars["pterodactyl_name"]) for host in hosts}
    assert originals == set(names)


def test_sanitised_collisions_keep_the_real_name_and_are_stable(config):
    def names_of(order: list[int]) -> dict[int, str]:
        with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
            fake = FakePanel(mock, servers=4)
            rows = fake.rows["/api/application/servers"]
            for row, name in zip(rows, ["a:b", "a_b", "a,b", "c"], strict=False):
                row["name"] = name
            fake.rows["/api/application/servers"] = [rows[index] for index in order]
            runner = Run(config, include_nodes=False)
            inventory = runner.parse()
        assert any("renamed" in warning for warning in runner.warnings)
        return {int(inventory.get_host(host).vars["pterodactyl_id"]): host for host in inventory.hosts}

    first = names_of([0, 1, 2, 3])
    # Server 2 is really named a_b and keeps it; the two names that became a_b get their identifier.
    assert first == {1: "a_b_00000001", 2: "a_b", 3: "a_b_00000003", 4: "c"}
    assert names_of([3, 2, 1, 0]) == first


def test_host_data_orders_named_hosts_before_sanitised_ones():
    hosts = [plugin._Host("server", 1, "x:y", "00000001", "u1"), plugin._Host("server", 2, "x_y", "00000002", "u2")]
    named, warnings = plugin.assign_names(hosts)
    assert [(name, host.order) for name, host in named] == [("x_y", 2), ("x_y_00000001", 1)]
    assert warnings and "'x_y' -> 'x_y_00000001' (server 00000001)" in warnings[0]


# ---------------------------------------------------------------------------------------------------- panel 1.12+
SERV_ID = "serv_rzrqyyphsfbe7fjcro3otcsa5e"


def newer_client_server(flag_on: bool) -> dict:
    """A client server object as panel 1.12+ sends it; with PTERODACTYL_USE_SERVER_IDENTIFIERS, identifier is the
    serv_ id too."""
    return {
        "server_owner": True,
        "identifier": SERV_ID if flag_on else "8e630c61",
        "internal_id": 4,
        "uuid": "8e630c61-e791-424f-9522-8bb6e98a40e9",
        "server_identifier": SERV_ID,
        "__deprecated_uuid_short": "8e630c61",
        "name": "Lobby",
        "node": "node-a",
        "sftp_details": {"ip": "a.example.test", "port": 2022},
        "status": None,
        "limits": {"memory": 512},
        "relationships": {"allocations": []},
    }


@pytest.mark.parametrize("flag_on", [False, True])
def test_client_fields_of_newer_panels_are_exposed(flag_on):
    settings = plugin.Settings(api="client")
    data = plugin.host_data(settings, plugin.client_hosts(settings, [newer_client_server(flag_on)], "pat"), [])
    variables = data["hosts"][0]["vars"]
    assert variables["pterodactyl_server_identifier"] == SERV_ID
    assert variables["pterodactyl___deprecated_uuid_short"] == "8e630c61"
    # SFTP logins take the 8-character short uuid, whichever form `identifier` has.
    assert variables["pterodactyl_sftp_user"] == "pat.8e630c61"


def test_server_identifier_names_hosts_when_the_panel_has_it(panel, config):
    panel.rows["/api/client"] = [
        newer_client_server(False),
        dict(panel.rows["/api/client"][0]),
    ]  # a 1.11 object: no serv_ id
    inventory = Run(config, api_key=CLIENT_KEY, include_nodes=False, server_hostname="server_identifier").parse()
    assert members(inventory, "pterodactyl_servers") == {SERV_ID, "c0000001"}
    lobby = stored(inventory, SERV_ID)
    assert lobby["pterodactyl_server_identifier"] == SERV_ID
    assert "pterodactyl_server_identifier" not in stored(inventory, "c0000001")


def test_server_identifier_falls_back_to_the_identifier_with_an_application_key(panel, config):
    inventory = Run(config, include_nodes=False, server_hostname="server_identifier").parse()
    assert "00000001" in members(inventory, "pterodactyl_servers")


# ---------------------------------------------------------------------------------------------------- requests
class SlowPanel(FakePanel):
    """FakePanel whose answers take 20 ms and which records the most requests it was answering at once."""

    def __init__(self, mock, servers: int) -> None:
        self.lock = threading.Lock()
        self.in_flight = 0
        self.peak = 0
        super().__init__(mock, servers=servers)

    def answer(self, request):
        with self.lock:
            self.in_flight += 1
            self.peak = max(self.peak, self.in_flight)
        try:
            time.sleep(0.02)
            return super().answer(request)
        finally:
            with self.lock:
                self.in_flight -= 1


def test_requests_in_flight_never_exceed_the_connection_pool(config):
    """Many server pages and paginated nodes, all listings side by side: at most MAX_IN_FLIGHT requests at once,
    within the client's connection pool (10)."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        fake = SlowPanel(mock, servers=1500)
        fake.rows["/api/application/nodes"] = [
            dict(fake.rows["/api/application/nodes"][0], id=number, name=f"node-{number}") for number in range(1, 451)
        ]
        inventory = Run(config).parse()
    assert len(members(inventory, "pterodactyl_servers")) == 1500
    assert len(members(inventory, "pterodactyl_nodes")) == 450
    assert 2 <= fake.peak <= plugin.MAX_IN_FLIGHT <= 10
    pages = [query for path, query in fake.queries if path == "/api/application/servers"]
    assert len(pages) == 15 and all(int(query["per_page"]) >= 100 for query in pages)


# ---------------------------------------------------------------------------------------------------- key precedence
BOTH = {"PTERODACTYL_API_KEY": APPLICATION_KEY, "PTERODACTYL_CLIENT_API_KEY": CLIENT_KEY}


@pytest.mark.parametrize(
    ("api_type", "environ", "expected"),
    [
        ("client", BOTH, CLIENT_KEY),
        ("client", {"PTERODACTYL_API_KEY": APPLICATION_KEY}, None),
        ("application", BOTH, None),
        ("auto", BOTH, None),
    ],
)
def test_environment_key_precedence(api_type, environ, expected):
    assert plugin.client_key_from_environment(api_type, environ) == expected


def test_api_type_client_takes_the_client_key_like_the_client_modules(panel, config, monkeypatch):
    for name, value in BOTH.items():
        monkeypatch.setenv(name, value)
    # Ansible resolved api_key from the environment (the last variable listed wins): the application key.
    run = Run(
        config,
        file_config={"plugin": "ptero.panel.pterodactyl", "api_type": "client"},
        api_key=APPLICATION_KEY,
        api_type="client",
        include_nodes=False,
    )
    inventory = run.parse()
    assert panel.authorizations == {f"Bearer {CLIENT_KEY}"}
    assert members(inventory, "pterodactyl_servers") == {"mine"}


def test_auto_keeps_the_application_key_and_a_key_in_the_file_always_wins(panel, config, monkeypatch):
    for name, value in BOTH.items():
        monkeypatch.setenv(name, value)
    Run(config, file_config={"plugin": "ptero.panel.pterodactyl"}, api_key=APPLICATION_KEY, include_nodes=False).parse()
    assert panel.authorizations == {f"Bearer {APPLICATION_KEY}"}
    panel.authorizations.clear()
    Run(
        config,
        file_config={"plugin": "ptero.panel.pterodactyl", "api_key": APPLICATION_KEY},
        api_key=APPLICATION_KEY,
        api_type="client",
        include_nodes=False,
    ).parse()
    assert panel.authorizations == {f"Bearer {APPLICATION_KEY}"}


# ---------------------------------------------------------------------------------------------------- garbage collector
@pytest.mark.parametrize("enabled", [True, False])
def test_the_cyclic_collector_is_paused_while_listing_and_left_as_it_was(panel, config, monkeypatch, enabled):
    import gc

    seen = []
    real_populate = plugin.InventoryModule.populate

    def populate(self, data, stored):
        seen.append(gc.isenabled())
        return real_populate(self, data, stored)

    monkeypatch.setattr(plugin.InventoryModule, "populate", populate)
    (gc.enable if enabled else gc.disable)()
    try:
        Run(config).parse()
        assert seen == [False]
        assert gc.isenabled() is enabled
        # ... also when the listing fails.
        monkeypatch.setattr(plugin, "fetch_application", lambda client, settings: 1 / 0)
        with pytest.raises(ZeroDivisionError):
            Run(config).parse()
        assert gc.isenabled() is enabled
    finally:
        gc.enable()


def test_more_requests_in_flight_than_the_pool_holds_are_refused():
    from ansible_collections.ptero.panel.plugins.module_utils._client import PanelClient
    from ansible_collections.ptero.panel.plugins.module_utils._paging import PageReader

    with PanelClient("https://panel.example.test", APPLICATION_KEY, max_workers=plugin.MAX_IN_FLIGHT) as client:
        with pytest.raises(ValueError, match=r"between 1 and the client's connection pool \(10\), not 11"):
            PageReader(client, 11)
        with PageReader(client, plugin.MAX_IN_FLIGHT) as reader:
            assert reader.submit(lambda: 1).result() == 1
