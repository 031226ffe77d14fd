"""The `ptero.panel.pterodactyl` inventory plugin end to end: the real ansible-inventory against the emulator."""

from __future__ import annotations

import base64
import json
import os
import re
import subprocess
import uuid
from pathlib import Path
from typing import Any

import pytest
import requests
from conftest import BIN, PANEL_VERSION, Run

CONFIGS = Path(__file__).resolve().parent / "inventory"
GOLDEN = CONFIGS / "application.golden.json"
# Values that change from one emulator start to the next.
VOLATILE_SUFFIXES = ("_at",)
# "Rust Island" is a host pattern of two words: its host name is pattern-safe.
SERVER_NAMES = {"Survival", "Creative", "Rust_Island"}
# The lean default host variables of a server listed with an application key.
LEAN_APPLICATION_SERVER = {
    "ansible_host",
    "pterodactyl_id",
    "pterodactyl_identifier",
    "pterodactyl_uuid",
    "pterodactyl_external_id",
    "pterodactyl_name",
    "pterodactyl_status",
    "pterodactyl_node_name",
    "pterodactyl_location_short",
    "pterodactyl_primary_allocation",
    "pterodactyl_primary_ip",
    "pterodactyl_primary_port",
    "pterodactyl_limits",
    "pterodactyl_sftp_host",
    "pterodactyl_sftp_port",
    "pterodactyl_sftp_user",
}
NODE_NAMES = {"fra-node-1", "nyc-node-1"}


# ---------------------------------------------------------------------------------------------------- helpers
def plain(value: Any) -> Any:
    """ansible-inventory's JSON without the `__ansible_unsafe` wrappers ansible-core 2.19 adds."""
    if isinstance(value, dict):
        if set(value) == {"__ansible_unsafe"}:
            return plain(value["__ansible_unsafe"])
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [plain(item) for item in value]
    return value


def without_volatile(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: without_volatile(item) for key, item in value.items() if not key.endswith(VOLATILE_SUFFIXES)}
    if isinstance(value, list):
        return [without_volatile(item) for item in value]
    return value


def listing(ansible, config: Path | str, *args: str, env: dict[str, str] | None = None) -> tuple[dict[str, Any], Run]:
    run = ansible.inventory(CONFIGS / config if isinstance(config, str) else config, "--list", *args, env=env)
    assert run.rc == 0, run.output[-6000:]
    data = plain(json.loads(run.stdout))
    data["_meta"].pop("profile", None)
    return data, run


def failing(ansible, config: Path | str, env: dict[str, str] | None = None) -> Run:
    """A run that must fail: unparsed inventory is an error, not a warning."""
    env = dict(env or ansible.env(), ANSIBLE_INVENTORY_UNPARSED_FAILED="1")
    run = ansible.inventory(CONFIGS / config if isinstance(config, str) else config, "--list", env=env)
    assert run.rc != 0, run.output[-6000:]
    return run


def members(data: dict[str, Any], group: str) -> set[str]:
    return set(data.get(group, {}).get("hosts", []))


def hostvars(data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return data["_meta"]["hostvars"]


def is_flavour_probe(entry: dict[str, Any]) -> bool:
    """The client's one request without a key that tells Pterodactyl (404) from Pelican (401) (panel: auto)."""
    return entry["path"] == "/api/application/eggs" and entry["user_id"] is None and entry["status"] in (401, 404)


def api_requests(emulator) -> list[dict[str, Any]]:
    """The listing's requests (the flavour probe apart)."""
    return [entry for entry in emulator.requests() if entry["path"].startswith("/api/") and not is_flavour_probe(entry)]


def query_of(entry: dict[str, Any]) -> dict[str, str]:
    from urllib.parse import parse_qsl

    return dict(parse_qsl(entry["query"], keep_blank_values=True))


def client_env(ansible, key: str, **extra: str) -> dict[str, str]:
    env = ansible.env(PTERODACTYL_API_KEY=key, **extra)
    env.pop("PTERODACTYL_CLIENT_API_KEY", None)
    return env


@pytest.fixture
def panel(emulator):
    """Change the demo data through the application API; the data set is reseeded afterwards."""

    class Panel:
        def call(self, method: str, path: str, payload: dict[str, Any] | None = None) -> Any:
            response = requests.request(
                method,
                f"{emulator.url}/api/application{path}",
                json=payload,
                timeout=30,
                headers=emulator.headers("application"),
            )
            assert response.status_code < 300, response.text
            return response.json() if response.content else None

        def rename(self, server_id: int, name: str, external_id: str | None = None) -> None:
            current = self.call("GET", f"/servers/{server_id}")["attributes"]
            self.call(
                "PATCH",
                f"/servers/{server_id}/details",
                {
                    "name": name,
                    "user": current["user"],
                    "description": current["description"],
                    "external_id": external_id if external_id is not None else current["external_id"],
                },
            )

    yield Panel()
    emulator.reset()


# ---------------------------------------------------------------------------------------------------- application key
def test_environment_only_config_lists_servers_and_nodes_in_one_pass(ansible, emulator):
    """Connection from the environment only; one listing per resource (no request per server), all pages big."""
    emulator.clear_requests()
    data, run = listing(ansible, "env_only.pterodactyl.yml")
    assert "WARNING" not in run.stderr, run.stderr
    assert members(data, "pterodactyl_servers") == SERVER_NAMES
    assert members(data, "pterodactyl_nodes") == NODE_NAMES
    assert members(data, "pterodactyl_node_fra_node_1") == {"Survival", "Creative"}
    assert members(data, "pterodactyl_location_us_nyc") == {"nyc-node-1", "Rust_Island"}
    assert members(data, "pterodactyl_nest_minecraft") == {"Survival", "Creative"}
    assert members(data, "pterodactyl_egg_rust") == {"Rust_Island"}
    assert members(data, "pterodactyl_status_installed") == SERVER_NAMES

    log = api_requests(emulator)
    listed = [
        "/api/application/locations",
        "/api/application/nests",
        "/api/application/nodes",
        "/api/application/servers",
    ]
    assert sorted(entry["path"] for entry in log) == listed
    assert sum(1 for entry in emulator.requests() if is_flavour_probe(entry)) == 1
    servers = next(entry for entry in log if entry["path"] == "/api/application/servers")
    assert query_of(servers)["include"] == "allocations,user"
    assert query_of(servers)["per_page"] == "100"
    nests = next(entry for entry in log if entry["path"] == "/api/application/nests")
    assert query_of(nests)["include"] == "eggs"

    survival = hostvars(data)["Survival"]
    assert survival["ansible_host"] == "node1.example.com"
    assert survival["pterodactyl_primary_allocation"] == "10.0.0.10:25565"
    assert survival["pterodactyl_sftp_host"] == "node1.example.com"
    assert survival["pterodactyl_sftp_port"] == 2022
    assert survival["pterodactyl_sftp_user"] == f"player.{survival['pterodactyl_identifier']}"
    # The lean default set: the owner record, allocations, container... are left out (compose etc. still see them).
    assert set(survival) == LEAN_APPLICATION_SERVER
    assert hostvars(data)["Rust_Island"]["pterodactyl_name"] == "Rust Island"
    assert hostvars(data)["nyc-node-1"]["ansible_host"] == "node2.example.com"


def test_application_listing_matches_golden_data(ansible):
    data, _run = listing(ansible, "env_only.pterodactyl.yml")
    actual = without_volatile(data)
    if os.environ.get("PTERO_UPDATE_GOLDEN") == "1":
        GOLDEN.write_text(json.dumps(actual, indent=2, sort_keys=True) + "\n")
    expected = json.loads(GOLDEN.read_text())
    assert actual == expected


def test_graph_shows_the_default_groups(ansible):
    run = ansible.inventory(CONFIGS / "env_only.pterodactyl.yml", "--graph")
    assert run.rc == 0, run.output
    for line in (
        "@pterodactyl_servers:",
        "@pterodactyl_nodes:",
        "@pterodactyl_egg_vanilla_minecraft:",
        "@pterodactyl_location_de_fra:",
        "|--Rust_Island",
    ):
        assert line in run.stdout, run.stdout


def test_keyed_groups_groups_and_compose(ansible):
    data, _run = listing(ansible, "constructed.pterodactyl.yml")
    assert members(data, "owner_player") == SERVER_NAMES
    assert members(data, "game_Paper") == {"Survival"}
    assert members(data, "big_servers") == {"Survival", "Rust_Island"}
    assert "pterodactyl_nodes" not in data
    creative = hostvars(data)["Creative"]
    assert creative["game_address"] == "10.0.0.10:25567"
    assert creative["memory_gib"] == 1
    assert creative["ptero_name"] == "Creative"
    assert not any(key.startswith("pterodactyl_") for key in creative)


def test_filters_are_sent_to_the_panel(ansible, emulator):
    emulator.clear_requests()
    data, _run = listing(ansible, "filters.pterodactyl.yml")
    assert members(data, "pterodactyl_servers") == {"Survival", "Rust_Island"}
    servers = next(entry for entry in api_requests(emulator) if entry["path"] == "/api/application/servers")
    assert query_of(servers)["filter[name]"] == "surv,rust"


def test_unknown_filter_is_a_clear_error_before_any_request(ansible, emulator):
    emulator.clear_requests()
    run = failing(ansible, "bad_filter.pterodactyl.yml")
    assert "filters: 'status' is not a filter" in run.stderr
    assert "uuidShort, name, description, image, external_id" in run.stderr
    assert api_requests(emulator) == []


def test_bad_option_value_names_the_option(ansible, tmp_path):
    config = tmp_path / "bad.pterodactyl.yml"
    config.write_text("plugin: ptero.panel.pterodactyl\nserver_hostname: hostname\n")
    run = failing(ansible, config)
    assert "server_hostname" in run.stderr and "name, identifier, uuid, external_id" in run.stderr


def test_missing_url_names_the_option(ansible, tmp_path):
    env = ansible.env()
    env.pop("PTERODACTYL_URL")
    run = failing(ansible, "env_only.pterodactyl.yml", env=env)
    assert "url" in run.stderr


def test_cache_hit_sends_no_request(ansible, emulator, tmp_path):
    config = tmp_path / "cached.pterodactyl.yml"
    config.write_text(
        "plugin: ptero.panel.pterodactyl\ncache: true\ncache_plugin: ansible.builtin.jsonfile\n"
        f"cache_connection: {tmp_path / 'cache'}\ncache_timeout: 600\n"
        "compose:\n  game_address: pterodactyl_primary_allocation\n"
    )
    emulator.clear_requests()
    first, _run = listing(ansible, config)
    assert len(api_requests(emulator)) == 4
    assert any((tmp_path / "cache").iterdir())

    emulator.clear_requests()
    second, _run = listing(ansible, config)
    assert api_requests(emulator) == []
    assert second == first
    assert second["_meta"]["hostvars"]["Creative"]["game_address"] == "10.0.0.10:25567"

    # The entry keeps every field: a keyed group on the (unstored) owner is answered from it too.
    config.write_text(config.read_text() + "keyed_groups:\n  - key: pterodactyl_owner.username\n    prefix: owner\n")
    emulator.clear_requests()
    grouped, _run = listing(ansible, config)
    assert api_requests(emulator) == []
    assert members(grouped, "owner_player") == SERVER_NAMES

    # A different panel or key must not be answered from this entry.
    emulator.clear_requests()
    as_client, _run = listing(ansible, config, env=client_env(ansible, emulator.user_client_key))
    assert api_requests(emulator), "the client key's listing came from the application key's cache entry"
    assert "pterodactyl_nodes" not in as_client


def test_vaulted_api_key(ansible, emulator, tmp_path):
    password_file = tmp_path / "vault-password"
    password_file.write_text("integration-vault-password\n")
    encrypted = subprocess.run(
        [
            str(BIN / "ansible-vault"),
            "encrypt_string",
            "--vault-password-file",
            str(password_file),
            "--name",
            "api_key",
            emulator.application_key,
        ],
        env=ansible.env(),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    config = tmp_path / "vaulted.pterodactyl.yml"
    config.write_text(f"plugin: ptero.panel.pterodactyl\nurl: {emulator.url}\n{encrypted}")
    env = ansible.env()
    for name in ("PTERODACTYL_URL", "PTERODACTYL_API_KEY", "PTERODACTYL_CLIENT_API_KEY"):
        env.pop(name)
    data, _run = listing(ansible, config, "--vault-password-file", str(password_file), env=env)
    assert members(data, "pterodactyl_servers") == SERVER_NAMES
    assert members(data, "pterodactyl_nodes") == NODE_NAMES


def test_name_collisions_are_resolved_by_identifier_and_reported(ansible, panel):
    panel.rename(2, "Survival")
    data, run = listing(ansible, "env_only.pterodactyl.yml")
    renamed_identifier = next(
        host["pterodactyl_identifier"] for host in hostvars(data).values() if host.get("pterodactyl_id") == 2
    )
    assert members(data, "pterodactyl_servers") == {"Survival", f"Survival_{renamed_identifier}", "Rust_Island"}
    assert hostvars(data)["Survival"]["pterodactyl_id"] == 1
    assert "renamed" in run.stderr and f"Survival_{renamed_identifier}" in run.stderr

    by_identifier, run = listing(ansible, "by_identifier.pterodactyl.yml")
    assert "renamed" not in run.stderr
    assert all(
        hostvars(by_identifier)[name]["pterodactyl_identifier"] == name
        for name in members(by_identifier, "pterodactyl_servers")
    )


def test_suspended_servers_are_grouped_or_excluded(ansible, panel):
    panel.call("POST", "/servers/3/suspend")
    panel.rename(1, "Survival", external_id="shop-1001")
    data, _run = listing(ansible, "env_only.pterodactyl.yml")
    assert members(data, "pterodactyl_status_suspended") == {"Rust_Island"}
    assert members(data, "pterodactyl_status_installed") == {"Survival", "Creative"}

    by_external_id, _run = listing(ansible, "by_external_id.pterodactyl.yml")
    creative_identifier = hostvars(data)["Creative"]["pterodactyl_identifier"]
    # Rust Island is suspended and left out; Creative has no external id and is named by its identifier.
    assert members(by_external_id, "pterodactyl_servers") == {"shop-1001", creative_identifier}


def test_panel_data_is_never_templated(ansible, emulator):
    """A startup command holds `{{SERVER_JARFILE}}`: a variable composed from it (the container is not stored by
    default, compose sees it all the same) must give it back as text."""
    cmd = [
        str(BIN / "ansible"),
        "-i",
        str(CONFIGS / "constructed.pterodactyl.yml"),
        "Creative",
        "-m",
        "ansible.builtin.debug",
        "-a",
        '{"msg": "{{ startup }} @ {{ game_address }}"}',
    ]
    run = subprocess.run(cmd, env=ansible.env(), capture_output=True, text=True, timeout=120, check=False)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "-jar {{SERVER_JARFILE}} @ 10.0.0.10:25567" in run.stdout


def test_panel_errors_are_reported_without_the_key(ansible, emulator, tmp_path):
    config = tmp_path / "wrong-api.pterodactyl.yml"
    config.write_text("plugin: ptero.panel.pterodactyl\napi_type: client\ninclude_nodes: false\nretries: 0\n")
    # Only the application key in the environment: api_type client would otherwise take PTERODACTYL_CLIENT_API_KEY.
    env = ansible.env()
    env.pop("PTERODACTYL_CLIENT_API_KEY")
    run = failing(ansible, config, env=env)
    assert "403" in run.stderr and "application API key" in run.stderr
    assert emulator.application_key not in run.output
    assert emulator.application_key[16:] not in run.output


# ---------------------------------------------------------------------------------------------------- client keys
def test_client_key_lists_its_servers_and_warns_about_nodes(ansible, emulator):
    emulator.clear_requests()
    data, run = listing(ansible, "client.pterodactyl.yml", env=client_env(ansible, emulator.user_client_key))
    assert "nodes can only be read with an application key" in run.stderr
    assert members(data, "pterodactyl_servers") == SERVER_NAMES
    assert "pterodactyl_nodes" not in data
    assert members(data, "pterodactyl_node_nyc_node_1") == {"Rust_Island"}
    assert members(data, "pterodactyl_egg_paper") == {"Survival"}
    survival = hostvars(data)["Survival"]
    assert survival["pterodactyl_sftp_user"] == f"player.{survival['pterodactyl_identifier']}"
    assert survival["pterodactyl_primary_allocation"] == "10.0.0.10:25565"
    assert survival["ansible_host"] == "node1.example.com"
    assert survival["pterodactyl_node_name"] == "fra-node-1"

    listed = next(entry for entry in api_requests(emulator) if entry["path"] == "/api/client")
    assert query_of(listed)["per_page"] == "100"
    assert query_of(listed)["include"] == "egg"
    assert "type" not in query_of(listed)


def test_admin_client_key_lists_every_server_with_client_list_all(ansible, emulator):
    env = client_env(ansible, emulator.client_key)
    own, _run = listing(ansible, "client_all.pterodactyl.yml", env=dict(env))
    assert members(own, "pterodactyl_servers") == SERVER_NAMES
    assert hostvars(own)["Creative"]["pterodactyl_sftp_user"].startswith("admin.")

    # Without client_list_all the admin sees only what it owns or is a subuser of: nothing in the demo data.
    mine, _run = listing(ansible, "client.pterodactyl.yml", env=dict(env))
    assert members(mine, "pterodactyl_servers") == set()


def test_client_list_all_with_a_normal_key_warns_and_lists_its_servers(ansible, emulator):
    data, run = listing(ansible, "client_all.pterodactyl.yml", env=client_env(ansible, emulator.user_client_key))
    assert "only a root admin's key can list every server" in run.stderr
    assert members(data, "pterodactyl_servers") == SERVER_NAMES


# ---------------------------------------------------------------------------------------------------- scale (issue 13)
def test_keyed_groups_on_owner_and_egg_work_with_default_options(ansible, emulator):
    data, run = listing(ansible, "grouped.pterodactyl.yml")
    assert "WARNING" not in run.stderr, run.stderr
    assert members(data, "owner_player") == SERVER_NAMES
    survival = hostvars(data)["Survival"]
    creative = hostvars(data)["Creative"]
    assert members(data, "egg_id_1") == {"Survival"}
    assert members(data, "egg_id_2") == {"Creative"}
    assert any(group.startswith("image_ghcr_io") and "Creative" in members(data, group) for group in data)
    # ... and none of those fields is stored.
    assert "pterodactyl_owner" not in survival and "pterodactyl_egg" not in creative
    assert "pterodactyl_container" not in creative


def test_limit_selects_a_server_by_its_pattern_safe_name(ansible, panel, tmp_path):
    panel.rename(2, "Minecraft: Survival, EU")
    playbook = tmp_path / "one.yml"
    playbook.write_text(
        "- hosts: pterodactyl_servers\n  gather_facts: false\n  tasks:\n"
        "    - ansible.builtin.debug:\n        msg: 'panel name={{ pterodactyl_name }}'\n"
    )
    cmd = [
        str(BIN / "ansible-playbook"),
        "-i",
        str(CONFIGS / "env_only.pterodactyl.yml"),
        str(playbook),
        "--limit",
        "Minecraft__Survival__EU",
    ]
    run = subprocess.run(cmd, env=ansible.env(), capture_output=True, text=True, timeout=300, check=False)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "ok: [Minecraft__Survival__EU]" in run.stdout
    assert "panel name=Minecraft: Survival, EU" in run.stdout
    assert run.stdout.count("ok: [") == 1

    # hosts: with the two-word server's name, as a play would write it.
    playbook.write_text(
        "- hosts: Rust_Island\n  gather_facts: false\n  tasks:\n"
        "    - ansible.builtin.debug:\n        var: pterodactyl_name\n"
    )
    run = subprocess.run(cmd[:-2], env=ansible.env(), capture_output=True, text=True, timeout=300, check=False)
    assert run.returncode == 0, run.stdout + run.stderr
    assert '"pterodactyl_name": "Rust Island"' in run.stdout
    assert run.stdout.count("ok: [") == 1


def test_extra_hostvars_stores_more(ansible):
    data, run = listing(ansible, "extra_vars.pterodactyl.yml")
    assert "WARNING" not in run.stderr, run.stderr
    survival = hostvars(data)["Survival"]
    assert set(survival) == LEAN_APPLICATION_SERVER | {"pterodactyl_owner", "pterodactyl_allocations"}
    assert survival["pterodactyl_owner"]["username"] == "player"
    assert [a["port"] for a in survival["pterodactyl_allocations"]] == [25565, 25566]

    everything, _run = listing(ansible, "all_vars.pterodactyl.yml")
    creative = hostvars(everything)["Creative"]
    assert {
        "pterodactyl_owner",
        "pterodactyl_container",
        "pterodactyl_feature_limits",
        "pterodactyl_allocations",
        "pterodactyl_nest_name",
        "pterodactyl_location_long",
    } <= set(creative)
    assert creative["pterodactyl_container"]["startup_command"].endswith("-jar {{SERVER_JARFILE}}")
    assert "pterodactyl_allocated_resources" in hostvars(everything)["fra-node-1"]


def test_api_type_client_uses_the_client_key_when_both_are_set(ansible, emulator):
    emulator.clear_requests()
    env = ansible.env(PTERODACTYL_API_KEY=emulator.application_key, PTERODACTYL_CLIENT_API_KEY=emulator.user_client_key)
    data, _run = listing(ansible, "client_type.pterodactyl.yml", env=env)
    assert members(data, "pterodactyl_servers") == SERVER_NAMES
    assert hostvars(data)["Survival"]["pterodactyl_sftp_user"].startswith("player.")
    assert {entry["path"] for entry in api_requests(emulator)} == {"/api/client", "/api/client/account"}

    # Without api_type, PTERODACTYL_API_KEY (the application modules' variable) is used, as before.
    emulator.clear_requests()
    data, _run = listing(ansible, "env_only.pterodactyl.yml", env=env)
    assert members(data, "pterodactyl_nodes") == NODE_NAMES
    assert all(entry["path"].startswith("/api/application/") for entry in api_requests(emulator))


# ---------------------------------------------------------------------------------------------------- panel 1.12+
def serv_identifier(server_uuid: str) -> str:
    """`serv_` + the lowercase unpadded base32 of the uuid's 16 bytes, as panel 1.12.1+ builds it."""
    return "serv_" + base64.b32encode(uuid.UUID(server_uuid).bytes).decode().rstrip("=").lower()


def test_client_listing_exposes_the_identifiers_of_the_panel_version(ansible, emulator):
    env = client_env(ansible, emulator.user_client_key)
    data, _run = listing(ansible, "client.pterodactyl.yml", env=env)
    named, _run = listing(ansible, "client_serv.pterodactyl.yml", env=env)
    newer = PANEL_VERSION in ("", "1.12", "1.14")
    for server in hostvars(data).values():
        short = server["pterodactyl_identifier"]
        assert re.fullmatch(r"[0-9a-f]{8}", short)
        # SFTP logins keep the 8-character short uuid on every version.
        assert server["pterodactyl_sftp_user"] == f"player.{short}"
        if newer:
            assert server["pterodactyl_server_identifier"] == serv_identifier(server["pterodactyl_uuid"])
        else:
            assert "pterodactyl_server_identifier" not in server
    expected = {
        (server["pterodactyl_server_identifier"] if newer else server["pterodactyl_identifier"])
        for server in hostvars(data).values()
    }
    assert members(named, "pterodactyl_servers") == expected
    assert {server["pterodactyl_name"] for server in hostvars(named).values()} == {
        "Survival",
        "Creative",
        "Rust Island",
    }


def test_a_client_key_that_sees_nothing_fails_instead_of_emptying_awx(ansible, emulator):
    """The admin's client key without client_list_all sees no servers (it owns none): the sync fails and says why,
    rather than handing AWX an empty inventory that "Overwrite" would apply; allow_empty accepts it on purpose."""
    # As AWX runs an inventory update: a source that fails to parse fails the sync.
    env = client_env(ansible, emulator.client_key, ANSIBLE_INVENTORY_UNPARSED_FAILED="True")
    run = ansible.inventory(CONFIGS / "client.pterodactyl.yml", "--list", env=env)
    assert run.rc != 0
    assert "can use no servers" in run.output and "client_list_all: true" in run.output
    assert "allow_empty: true" in run.output
    assert emulator.client_key[16:] not in run.output
    data, _run = listing(ansible, "client_allow_empty.pterodactyl.yml", env=env)
    assert not members(data, "pterodactyl_servers")
