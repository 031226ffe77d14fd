# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The inventory on Pelican: its key prefixes, its flat egg list, node and egg tags as groups instead of locations
and nests, the same host-variable names where the data is the same, and the panel option."""

from __future__ import annotations

import json

import pytest
import responses
from ansible.errors import AnsibleError
from test_pterodactyl_lean import members, stored, trust_as_template
from test_pterodactyl_plugin import URL, FakePanel, Run

from ansible_collections.ptero.panel.plugins.inventory import pterodactyl as plugin

PELICAN_KEY = "papp_IDENTIFIER03" + "PELSECRETSENTINEL0123456789ABCDE"
PELICAN_CLIENT_KEY = "pacc_IDENTIFIER04" + "PELSECRETSENTINEL0123456789ABCDE"


class PelicanPanel(FakePanel):
    """FakePanel as Pelican lists: nodes with tags and no location, servers without a nest, a flat egg list (not
    paginated) with tags; no locations or nests; the flavour probe answers 401."""

    def __init__(self, mock) -> None:
        super().__init__(mock, servers=3)
        del self.rows["/api/application/locations"], self.rows["/api/application/nests"]
        self.rows["/api/application/nodes"] = [
            {
                "id": 1,
                "uuid": "n1",
                "name": "node-a",
                "fqdn": "a.example.test",
                "daemon_sftp": 2022,
                "tags": ["eu.fra", "ssd"],
                "cpu": 0,
                "daemon_connect": 8080,
            },
            {"id": 2, "uuid": "n2", "name": "node-b", "fqdn": "b.example.test", "daemon_sftp": 2022, "tags": []},
        ]
        for server in self.rows["/api/application/servers"]:
            del server["nest"]
        self.eggs = [{"id": 1, "uuid": "e1", "name": "Paper", "tags": ["Minecraft", "java"]}]

    def answer(self, request):
        path = request.url.split("?")[0][len(URL) :]
        if path not in self.rows:
            # Pelican has no such route (locations, nests).
            return 404, {}, json.dumps({"errors": [{"code": "NotFoundHttpException", "status": "404"}]})
        return super().answer(request)

    def answer_probe(self, request):
        if "Authorization" not in request.headers:
            self.probes += 1
            return 401, {}, json.dumps({"errors": [{"code": "AuthenticationException", "status": "401"}]})
        self.queries.append(("/api/application/eggs", {}))
        return (
            200,
            {},
            json.dumps({"object": "list", "data": [{"object": "egg", "attributes": egg} for egg in self.eggs]}),
        )


@pytest.fixture
def pelican():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield PelicanPanel(mock)


def test_pelican_groups_by_node_and_egg_tags_and_keeps_the_host_var_names(pelican, config):
    inventory = Run(config, api_key=PELICAN_KEY).parse()
    servers = {"server-1", "server-2", "server-3"}
    assert members(inventory, "pterodactyl_servers") == servers
    assert members(inventory, "pterodactyl_node_tag_eu_fra") == servers | {"node-a"}
    assert members(inventory, "pterodactyl_node_tag_ssd") == servers | {"node-a"}
    assert members(inventory, "pterodactyl_egg_tag_minecraft") == servers
    assert members(inventory, "pterodactyl_egg_paper") == servers
    assert not [name for name in inventory.groups if name.startswith(("pterodactyl_location", "pterodactyl_nest"))]
    server = stored(inventory, "server-1")
    assert server["pterodactyl_node_name"] == "node-a" and server["ansible_host"] == "a.example.test"
    assert server["pterodactyl_primary_allocation"] == "10.0.0.1:20001"
    assert server["pterodactyl_sftp_user"] == "player.00000001"
    # Pelican has no locations: the lean set leaves out what the panel has no data for.
    assert "pterodactyl_location_short" not in server
    assert "pterodactyl_location_short" not in stored(inventory, "node-a")
    # A Pelican key prefix says Pelican: no probe; no locations or nests are asked for.
    assert pelican.probes == 0
    assert sorted({path for path, _query in pelican.queries}) == [
        "/api/application/eggs",
        "/api/application/nodes",
        "/api/application/servers",
    ]


def test_tags_are_fields_compose_and_keyed_groups_see(pelican, config):
    inventory = Run(
        config,
        api_key=PELICAN_KEY,
        keyed_groups=[{"key": trust_as_template("pterodactyl_egg_tags"), "prefix": "tag"}],
        compose={"first_node_tag": trust_as_template("pterodactyl_node_tags[0]")},
    ).parse()
    assert members(inventory, "tag_java") == {"server-1", "server-2", "server-3"}
    assert inventory.get_host("server-2").vars["first_node_tag"] == "eu.fra"


def test_a_ptla_key_on_pelican_is_told_by_one_probe(pelican, config):
    """Keys migrated from Pterodactyl keep their ptla_ prefix on Pelican: the probe tells the panel."""
    inventory = Run(config).parse()
    assert members(inventory, "pterodactyl_egg_tag_java") == {"server-1", "server-2", "server-3"}
    assert pelican.probes == 1


def test_the_panel_option_skips_the_probe(pelican, config):
    Run(config, panel="pelican").parse()
    assert pelican.probes == 0


def test_forcing_pterodactyl_on_pelican_fails_naming_what_was_read(pelican, config):
    with pytest.raises(AnsibleError, match=r"Could not read .* from the panel"):
        Run(config, panel="pterodactyl", allow_empty=True).parse()


@pytest.mark.parametrize(
    ("key", "api"),
    [
        (PELICAN_KEY, "application"),
        (PELICAN_CLIENT_KEY, "client"),
        ("peli_" + "x" * 40, "application"),
        ("plcn_" + "x" * 40, "client"),
    ],
)
def test_pelican_key_prefixes_tell_the_api(key, api):
    assert plugin.key_api(key, "auto") == api


def test_a_key_without_a_known_prefix_names_both_panels_prefixes():
    with pytest.raises(AnsibleError, match=r"ptla_/papp_ .* ptlc_/pacc_"):
        plugin.key_api("abcdef", "auto")


def test_pelican_client_key_lists_servers_with_their_node(config):
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        PelicanPanel(mock)
        inventory = Run(config, api_key=PELICAN_CLIENT_KEY, include_nodes=False).parse()
    assert members(inventory, "pterodactyl_node_node_a") == {"mine"}
