# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The inventory plugin's data layer: key type, filters, hosts from the panel's listings, naming, groups."""

from __future__ import annotations

import json

import pytest
from ansible.errors import AnsibleError

from ansible_collections.ptero.panel.plugins.inventory import pterodactyl as plugin

APPLICATION = plugin.Settings(api="application")
CLIENT = plugin.Settings(api="client")

NODES = [
    {
        "id": 1,
        "uuid": "node-uuid-1",
        "name": "fra-node-1",
        "location_id": 10,
        "fqdn": "node1.example.com",
        "daemon_sftp": 2022,
        "memory": 16384,
    },
    {
        "id": 2,
        "uuid": "node-uuid-2",
        "name": "NYC Node #1",
        "location_id": 20,
        "fqdn": "node2.example.com",
        "daemon_sftp": 2222,
        "memory": 8192,
    },
]
LOCATIONS = [{"id": 10, "short": "de.fra", "long": "Frankfurt"}, {"id": 20, "short": "us.nyc", "long": None}]
NESTS = [
    {
        "id": 1,
        "name": "Minecraft",
        "relationships": {"eggs": [{"id": 1, "name": "Paper"}, {"id": 2, "name": "Vanilla Minecraft"}]},
    },
    {"id": 4, "name": "Rust", "relationships": {"eggs": [{"id": 9, "name": "Rust"}]}},
]
PLAYER = {"id": 2, "username": "player", "email": "player@example.com"}


def app_server(
    server_id: int,
    name: str,
    node: int = 1,
    egg: int = 1,
    nest: int = 1,
    status: str | None = None,
    owner_known: bool = True,
    allocations: list | None = None,
    external_id: str | None = None,
) -> dict:
    identifier = f"{server_id:08x}"
    if allocations is None:
        allocations = [
            {
                "id": 100 + server_id,
                "ip": "10.0.0.10",
                "alias": None,
                "port": 25565 + server_id,
                "notes": None,
                "assigned": True,
            },
            {
                "id": 500 + server_id,
                "ip": "10.0.0.11",
                "alias": None,
                "port": 30000,
                "notes": "extra",
                "assigned": True,
            },
        ]
    return {
        "id": server_id,
        "external_id": external_id,
        "uuid": f"{identifier}-uuid",
        "identifier": identifier,
        "name": name,
        "status": status,
        "suspended": status == "suspended",
        "limits": {"memory": 1024},
        "user": 2,
        "node": node,
        "allocation": 100 + server_id,
        "nest": nest,
        "egg": egg,
        "relationships": {"allocations": allocations, "user": dict(PLAYER) if owner_known else None},
    }


def client_server(
    internal_id: int, name: str, node: str = "fra-node-1", egg: dict | None = None, status: str | None = None
) -> dict:
    identifier = f"{internal_id:08x}"
    return {
        "server_owner": True,
        "identifier": identifier,
        "internal_id": internal_id,
        "uuid": f"{identifier}-uuid",
        "name": name,
        "node": node,
        "sftp_details": {"ip": "node1.example.com", "port": 2022},
        "status": status,
        "is_suspended": status == "suspended",
        "limits": {"memory": 512},
        "relationships": {
            "allocations": [
                {"id": 7, "ip": "10.0.0.10", "ip_alias": None, "port": 25570, "is_default": False},
                {"id": 8, "ip": "10.0.0.12", "ip_alias": None, "port": 25571, "is_default": True},
            ],
            "variables": [{"env_variable": "SERVER_JARFILE", "server_value": "server.jar"}],
            "egg": egg,
        },
    }


def build(settings: plugin.Settings, servers: list, nodes: list | None = None) -> dict:
    hosts = plugin.application_hosts(settings, servers, NODES if nodes is None else nodes, LOCATIONS, NESTS)
    return plugin.host_data(settings, hosts, [])


def by_name(data: dict) -> dict:
    return {host["name"]: host for host in data["hosts"]}


# ---------------------------------------------------------------------------------------------------- options
@pytest.mark.parametrize(
    ("key", "api_type", "expected"),
    [
        ("ptla_" + "a" * 43, "auto", "application"),
        ("ptlc_" + "a" * 43, "auto", "client"),
        ("ptlc_" + "a" * 43, "application", "application"),
        ("legacykey" + "a" * 39, "client", "client"),
    ],
)
def test_key_type_from_prefix_or_override(key, api_type, expected):
    assert plugin.key_api(key, api_type) == expected


def test_key_without_a_known_prefix_needs_api_type():
    with pytest.raises(AnsibleError, match="api_type") as raised:
        plugin.key_api("legacykeySECRETPART" + "x" * 29, "auto")
    assert "SECRETPART" not in str(raised.value)


def test_filters_become_sorted_panel_parameters():
    pairs = plugin.filter_query("application.servers.list", {"name": ["surv", "rust"], "uuidShort": "abc", "image": 17})
    assert pairs == (("filter[image]", "17"), ("filter[name]", "surv,rust"), ("filter[uuidShort]", "abc"))
    assert plugin.filter_query("client.servers.list", {"*": "10.0.0.10:25565"}) == (("filter[*]", "10.0.0.10:25565"),)
    assert plugin.filter_query("client.servers.list", None) == ()


@pytest.mark.parametrize(
    ("operation", "filters", "message"),
    [
        (
            "application.servers.list",
            {"status": "x"},
            "filters: 'status' is not a filter of the application API's server "
            "list; the panel accepts: uuid, uuidShort, name, description, "
            "image, external_id",
        ),
        ("application.servers.list", {"*": "x"}, "'\\*' is not a filter"),
        ("client.servers.list", {"image": "x"}, "accepts: uuid, name, description, external_id, \\*"),
        ("application.servers.list", {"name": None}, "needs a string"),
        ("application.servers.list", {"name": []}, "needs a string"),
        ("application.servers.list", {"name": {"a": 1}}, "needs a string"),
        ("application.servers.list", {"name": "a,b"}, "cannot contain a comma"),
    ],
)
def test_filters_are_checked_against_the_listing(operation, filters, message):
    with pytest.raises(AnsibleError, match=message):
        plugin.filter_query(operation, filters)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Vanilla Minecraft", "vanilla_minecraft"),
        ("de.fra", "de_fra"),
        ("NYC Node #1", "nyc_node_1"),
        ("__x__", "x"),
        ("!!!", "unnamed"),
        (None, "none"),
        ("Ünïcode", "n_code"),
    ],
)
def test_group_name_parts(text, expected):
    assert plugin.slug(text) == expected


# ---------------------------------------------------------------------------------------------------- application
def test_application_server_and_node_hosts():
    data = build(APPLICATION, [app_server(1, "Survival"), app_server(2, "Rust Island", node=2, nest=4, egg=9)])
    hosts = by_name(data)
    assert list(hosts) == ["fra-node-1", "NYC_Node_#1", "Survival", "Rust_Island"]
    assert data["groups"] == ["pterodactyl_servers", "pterodactyl_nodes"]

    survival = hosts["Survival"]["vars"]
    assert survival["ansible_host"] == "node1.example.com"
    assert survival["pterodactyl_primary_allocation"] == "10.0.0.10:25566"
    assert (survival["pterodactyl_primary_ip"], survival["pterodactyl_primary_port"]) == ("10.0.0.10", 25566)
    assert survival["pterodactyl_sftp_host"] == "node1.example.com"
    assert survival["pterodactyl_sftp_port"] == 2022
    assert survival["pterodactyl_sftp_user"] == "player.00000001"
    assert survival["pterodactyl_owner"] == PLAYER
    assert survival["pterodactyl_node"] == 1 and survival["pterodactyl_node_name"] == "fra-node-1"
    assert (survival["pterodactyl_nest_name"], survival["pterodactyl_egg_name"]) == ("Minecraft", "Paper")
    assert (survival["pterodactyl_location_short"], survival["pterodactyl_location_long"]) == ("de.fra", "Frankfurt")
    assert survival["pterodactyl_resource_type"] == "server"
    assert len(survival["pterodactyl_allocations"]) == 2
    assert "pterodactyl_relationships" not in survival
    assert hosts["Survival"]["groups"] == [
        "pterodactyl_servers",
        "pterodactyl_node_fra_node_1",
        "pterodactyl_location_de_fra",
        "pterodactyl_nest_minecraft",
        "pterodactyl_egg_paper",
        "pterodactyl_status_installed",
    ]
    assert hosts["Rust_Island"]["vars"]["pterodactyl_sftp_port"] == 2222

    node = hosts["NYC_Node_#1"]
    assert node["groups"] == ["pterodactyl_nodes", "pterodactyl_location_us_nyc"]
    assert node["vars"]["ansible_host"] == "node2.example.com"
    assert node["vars"]["pterodactyl_resource_type"] == "node"
    assert node["vars"]["pterodactyl_memory"] == 8192
    # The cached form must survive JSON.
    assert json.loads(json.dumps(data)) == data


def test_missing_relations_leave_values_unknown_instead_of_failing():
    """An include the key may not read (null_resource), a node the key cannot see, no primary allocation."""
    server = app_server(1, "Orphan", node=99, egg=77, nest=88, owner_known=False, allocations=[])
    hosts = by_name(build(APPLICATION, [server], nodes=[]))
    orphan = hosts["Orphan"]["vars"]
    assert "ansible_host" not in orphan
    assert orphan["pterodactyl_sftp_user"] is None
    assert orphan["pterodactyl_owner"] is None
    assert orphan["pterodactyl_primary_allocation"] is None
    assert orphan["pterodactyl_node_name"] is None and orphan["pterodactyl_egg_name"] is None
    assert hosts["Orphan"]["groups"] == ["pterodactyl_servers", "pterodactyl_status_installed"]


def test_status_groups_and_exclude_suspended():
    servers = [
        app_server(1, "a", status="installing"),
        app_server(2, "b", status="suspended"),
        app_server(3, "c"),
        app_server(4, "d", status="install_failed"),
    ]
    hosts = by_name(build(APPLICATION, servers))
    assert [group for group in hosts["a"]["groups"] if "status" in group] == ["pterodactyl_status_installing"]
    assert "pterodactyl_status_suspended" in hosts["b"]["groups"]
    assert "pterodactyl_status_installed" in hosts["c"]["groups"]
    assert "pterodactyl_status_install_failed" in hosts["d"]["groups"]
    excluded = by_name(build(plugin.Settings(api="application", exclude_suspended=True), servers))
    assert set(excluded) == {"fra-node-1", "NYC_Node_#1", "a", "c", "d"}


def test_include_switches_and_prefix():
    servers = [app_server(1, "Survival")]
    only_servers = build(plugin.Settings(api="application", include_nodes=False, prefix="ptero_"), servers)
    assert [host["name"] for host in only_servers["hosts"]] == ["Survival"]
    assert only_servers["groups"] == ["pterodactyl_servers"]
    assert only_servers["hosts"][0]["vars"]["ptero_name"] == "Survival"
    assert only_servers["hosts"][0]["vars"]["ansible_host"] == "node1.example.com"
    only_nodes = build(plugin.Settings(api="application", include_servers=False), servers)
    assert [host["name"] for host in only_nodes["hosts"]] == ["fra-node-1", "NYC_Node_#1"]
    bare = build(plugin.Settings(api="application", include_nodes=False, prefix=""), servers)
    assert bare["hosts"][0]["vars"]["name"] == "Survival"


@pytest.mark.parametrize(
    ("hostname", "expected"),
    [
        ("name", {"Survival", "Creative"}),
        ("identifier", {"00000001", "00000002"}),
        ("uuid", {"00000001-uuid", "00000002-uuid"}),
        ("external_id", {"shop-1", "00000002"}),
    ],
)
def test_server_hostname_choices(hostname, expected):
    settings = plugin.Settings(api="application", include_nodes=False, server_hostname=hostname)
    data = build(settings, [app_server(1, "Survival", external_id="shop-1"), app_server(2, "Creative")])
    assert {host["name"] for host in data["hosts"]} == expected
    assert data["warnings"] == []


# ---------------------------------------------------------------------------------------------------- naming
def test_collisions_keep_the_lowest_id_and_suffix_the_others_whatever_the_listing_order():
    servers = [app_server(5, "Lobby"), app_server(3, "Lobby"), app_server(4, "fra-node-1"), app_server(9, "Lobby")]
    first = build(APPLICATION, servers)
    again = build(APPLICATION, list(reversed(servers)))
    assert (
        [host["name"] for host in first["hosts"]]
        == [host["name"] for host in again["hosts"]]
        == ["fra-node-1", "NYC_Node_#1", "Lobby", "fra-node-1_00000004", "Lobby_00000005", "Lobby_00000009"]
    )
    assert by_name(first)["Lobby"]["vars"]["pterodactyl_id"] == 3
    assert by_name(first)["fra-node-1"]["vars"]["pterodactyl_resource_type"] == "node"
    assert len(first["warnings"]) == 1
    warning = first["warnings"][0]
    assert warning.startswith("3 host(s) had a name already in use and were renamed:")
    assert "'Lobby' -> 'Lobby_00000005' (server 00000005)" in warning


def test_a_suffixed_name_that_is_taken_falls_back_to_the_uuid():
    servers = [app_server(1, "x"), app_server(2, "x_00000003"), app_server(3, "x")]
    names = [host["name"] for host in build(plugin.Settings(api="application", include_nodes=False), servers)["hosts"]]
    assert names == ["x", "x_00000003", "x_00000003-uuid"]


def test_nodes_with_the_same_name_get_their_id():
    nodes = [dict(NODES[0]), dict(NODES[0], id=7, uuid="node-uuid-7")]
    names = [
        host["name"] for host in build(plugin.Settings(api="application", include_servers=False), [], nodes)["hosts"]
    ]
    assert names == ["fra-node-1", "fra-node-1_7"]


def test_many_renames_are_summarised():
    servers = [app_server(number, "same") for number in range(1, 15)]
    warning = build(plugin.Settings(api="application", include_nodes=False), servers)["warnings"][0]
    assert warning.startswith("13 host(s)") and warning.endswith("; and 3 more")


def test_empty_names_are_named_by_identifier():
    data = build(plugin.Settings(api="application", include_nodes=False), [app_server(1, "")])
    assert [host["name"] for host in data["hosts"]] == ["server_00000001"]


# ---------------------------------------------------------------------------------------------------- client
def test_client_server_hosts():
    servers = [
        client_server(1, "Survival", egg={"uuid": "e", "name": "Paper"}),
        client_server(2, "Parked", node="NYC Node #1", status="suspended"),
    ]
    hosts = plugin.client_hosts(CLIENT, servers, "player")
    data = plugin.host_data(CLIENT, hosts, ["a warning"])
    assert data["groups"] == ["pterodactyl_servers"]
    assert data["warnings"] == ["a warning"]
    survival = by_name(data)["Survival"]
    assert survival["groups"] == [
        "pterodactyl_servers",
        "pterodactyl_node_fra_node_1",
        "pterodactyl_egg_paper",
        "pterodactyl_status_installed",
    ]
    variables = survival["vars"]
    assert variables["pterodactyl_primary_allocation"] == "10.0.0.12:25571"
    assert variables["pterodactyl_sftp_user"] == "player.00000001"
    assert (variables["pterodactyl_sftp_host"], variables["pterodactyl_sftp_port"]) == ("node1.example.com", 2022)
    assert variables["ansible_host"] == "node1.example.com"
    assert variables["pterodactyl_node_name"] == "fra-node-1" and variables["pterodactyl_egg_name"] == "Paper"
    assert variables["pterodactyl_variables"] == [{"env_variable": "SERVER_JARFILE", "server_value": "server.jar"}]
    assert "pterodactyl_status_suspended" in by_name(data)["Parked"]["groups"]

    unknown_user = plugin.client_hosts(plugin.Settings(api="client", exclude_suspended=True), servers, None)
    assert [host.preferred for host in unknown_user] == ["Survival"]
    assert unknown_user[0].vars["sftp_user"] is None
