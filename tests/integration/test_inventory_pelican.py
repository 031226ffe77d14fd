"""The inventory plugin against a Pelican panel (the emulator's Pelican flavour, demo data): node and egg tags
instead of locations and nests, the same host-variable names where the data is the same."""

from __future__ import annotations

import pytest
from conftest import Ansible
from test_inventory import (
    LEAN_APPLICATION_SERVER,
    NODE_NAMES,
    SERVER_NAMES,
    hostvars,
    is_flavour_probe,
    listing,
    members,
)


@pytest.fixture
def pelican(pelican_emulator) -> Ansible:
    return Ansible(pelican_emulator)


def test_pelican_groups_by_node_and_egg_tags_with_the_same_host_vars(pelican, pelican_emulator):
    pelican_emulator.clear_requests()
    data, run = listing(pelican, "env_only.pterodactyl.yml")
    assert "WARNING" not in run.stderr, run.stderr
    assert members(data, "pterodactyl_servers") == SERVER_NAMES
    assert members(data, "pterodactyl_nodes") == NODE_NAMES
    assert members(data, "pterodactyl_node_fra_node_1") == {"Survival", "Creative"}
    # Pelican's migrations made each location's short code a node tag and each nest's name an egg tag.
    assert members(data, "pterodactyl_node_tag_us_nyc") == {"nyc-node-1", "Rust_Island"}
    assert members(data, "pterodactyl_egg_tag_minecraft") == {"Survival", "Creative"}
    assert members(data, "pterodactyl_egg_rust") == {"Rust_Island"}
    assert members(data, "pterodactyl_status_installed") == SERVER_NAMES
    assert not [group for group in data if group.startswith(("pterodactyl_location_", "pterodactyl_nest_"))]

    survival = hostvars(data)["Survival"]
    # The lean set, less what Pelican has no data for (locations).
    assert set(survival) == LEAN_APPLICATION_SERVER - {"pterodactyl_location_short"}
    assert survival["ansible_host"] == survival["pterodactyl_sftp_host"] == "node1.example.com"
    assert survival["pterodactyl_sftp_user"].endswith("." + survival["pterodactyl_identifier"])
    node = hostvars(data)["nyc-node-1"]
    assert node["pterodactyl_name"] == "nyc-node-1" and "pterodactyl_location_short" not in node

    paths = sorted(
        entry["path"]
        for entry in pelican_emulator.requests()
        if entry["path"].startswith("/api/") and not is_flavour_probe(entry)
    )
    assert paths == ["/api/application/eggs", "/api/application/nodes", "/api/application/servers"]


def test_pelican_tags_are_seen_by_keyed_groups(pelican, tmp_path):
    config = tmp_path / "tags.pterodactyl.yml"
    config.write_text(
        "plugin: ptero.panel.pterodactyl\n"
        "keyed_groups:\n"
        "  - key: pterodactyl_egg_tags\n    prefix: egg_tagged\n"
        "  - key: pterodactyl_owner.username\n    prefix: owner\n"
    )
    data, _run = listing(pelican, config)
    assert members(data, "egg_tagged_Minecraft") == {"Survival", "Creative"}
    assert any(group.startswith("owner_") for group in data)


def test_panel_option_pterodactyl_on_a_pelican_panel_fails_clearly(pelican, tmp_path):
    config = tmp_path / "forced.pterodactyl.yml"
    config.write_text("plugin: ptero.panel.pterodactyl\npanel: pterodactyl\n")
    run = pelican.inventory(config, "--list", env=pelican.env(ANSIBLE_INVENTORY_UNPARSED_FAILED="1"))
    assert run.rc != 0
    assert "Could not read" in run.output
