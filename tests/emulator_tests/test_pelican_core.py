"""The Pelican flavour's switch (pelican.md §1, §3.1, §5): configuration, health, key prefixes and the routes each
flavour answers before authentication."""

from __future__ import annotations

from pathlib import Path

import pytest
import requests

from ptero_emulator.config import EmulatorConfig
from ptero_emulator.fixture import (
    TEST_DEFAULTS,
    Api,
    RunningEmulator,
    error_of,
    module_emulator_fixture,
    start_emulator,
)
from ptero_emulator.seed import add_api_key, seed_state
from ptero_emulator.state import KEY_TYPE_APPLICATION, State

MIGRATED_KEY = "ptla_migratedKey" + "m" * 32

pterodactyl = module_emulator_fixture("pterodactyl-core", lambda d: start_emulator(d, seed="demo", **TEST_DEFAULTS))


def _start_pelican(directory: Path) -> RunningEmulator:
    """A Pelican emulator whose state also holds an application key carried over from Pterodactyl (ptla_)."""
    state = State(EmulatorConfig(seed="demo", flavour="pelican"))
    seed_state(state, "demo")
    add_api_key(
        state,
        state.find("users", username="admin"),
        KEY_TYPE_APPLICATION,
        MIGRATED_KEY[:16],
        MIGRATED_KEY[16:],
        "migrated from Pterodactyl",
    )
    state_file = directory / "pelican-state.json"
    state.save(str(state_file))
    return start_emulator(directory, seed="demo", state_file=str(state_file), flavour="pelican", **TEST_DEFAULTS)


pelican = module_emulator_fixture("pelican-core", _start_pelican)


def _probe(emulator: RunningEmulator, path: str) -> requests.Response:
    return requests.get(f"{emulator.url}/api/application/{path}", headers={"Accept": "application/json"}, timeout=10)


def test_health_and_config_show_the_flavour(pelican: RunningEmulator) -> None:
    health = pelican.control("GET", "health")
    assert (health["flavour"], health["pelican_version"]) == ("pelican", "beta38")
    assert pelican.control("GET", "config")["flavour"] == "pelican"


def test_config_rejects_unknown_flavours() -> None:
    config = EmulatorConfig()
    with pytest.raises(ValueError, match="flavour"):
        config.update({"flavour": "wings"})
    with pytest.raises(ValueError, match="pelican_version"):
        config.update({"pelican_version": "beta12"})
    assert config.update({"flavour": "pelican"}) == [] and config.has("flat_eggs")
    assert not EmulatorConfig().has("flat_eggs") and EmulatorConfig().has("ssh_key_prefixes")
    assert not config.has("ssh_key_prefixes")  # a Pterodactyl 1.14 behaviour Pelican is not modelled with


def test_command_line_flags() -> None:
    from ptero_emulator.__main__ import parse_args

    config = parse_args(["--flavour", "pelican", "--pelican-version", "beta38"])
    assert (config.flavour, config.pelican_version) == ("pelican", "beta38")
    assert parse_args([]).flavour == "pterodactyl"


def test_seeded_keys_use_pelican_prefixes(pelican: RunningEmulator, pterodactyl: RunningEmulator) -> None:
    assert pelican.application_key.startswith("papp_") and pelican.client_key.startswith("pacc_")
    assert pelican.user_client_key.startswith("pacc_")
    assert pterodactyl.application_key.startswith("ptla_") and pterodactyl.client_key.startswith("ptlc_")


def test_migrated_ptla_key_still_works(pelican: RunningEmulator) -> None:
    response = Api(pelican, token=MIGRATED_KEY).get("users")
    assert response.status_code == 200, response.text


@pytest.mark.parametrize("path", ["eggs", "nests"])
def test_detection_probe(pelican: RunningEmulator, pterodactyl: RunningEmulator, path: str) -> None:
    """§5: the unauthenticated eggs probe is 401 on Pelican and route-not-found on Pterodactyl; nests the reverse."""
    has_route, lacks_route = (pelican, pterodactyl) if path == "eggs" else (pterodactyl, pelican)
    present = _probe(has_route, path)
    assert present.status_code == 401 and error_of(present)["code"] == "AuthenticationException"
    absent = _probe(lacks_route, path)
    assert absent.status_code == 404
    assert error_of(absent)["detail"] == f"The route api/application/{path} could not be found."


@pytest.mark.parametrize("path", ["locations", "locations/1", "nests/1/eggs", "nests/1/eggs/1"])
def test_locations_and_nests_are_gone_on_pelican(pelican: RunningEmulator, path: str) -> None:
    response = Api(pelican).get(path)
    assert response.status_code == 404
    assert error_of(response)["detail"] == f"The route api/application/{path} could not be found."


@pytest.mark.parametrize("path", ["mounts", "roles", "database-hosts", "eggs/1"])
def test_pelican_routes_are_unknown_on_pterodactyl(pterodactyl: RunningEmulator, path: str) -> None:
    response = Api(pterodactyl).get(path)
    assert response.status_code == 404
    assert "could not be found" in error_of(response)["detail"]


def test_switching_flavour_at_run_time(tmp_path: Path) -> None:
    emulator = start_emulator(tmp_path, seed="demo", **TEST_DEFAULTS)
    try:
        assert "flavour" not in emulator.control("GET", "health")
        emulator.configure(flavour="pelican")
        assert _probe(emulator, "eggs").status_code == 401
        emulator.reset()  # re-seeded the Pelican way
        connection = emulator.control("GET", "state")
        assert connection["tables"]["nests"] == [] and connection["tables"]["roles"][0]["name"] == "Root Admin"
    finally:
        emulator.stop()


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("PUT", "account/username"),
        ("DELETE", "account/ssh-keys/abc"),
        ("POST", "servers/{s}/settings/description"),
        ("PUT", "servers/{s}/backups/{b}/rename"),
    ],
)
def test_pelican_client_routes_are_unknown_on_pterodactyl(pterodactyl: RunningEmulator, method: str, path: str) -> None:
    client = Api(pterodactyl, "user")
    server = client.get("/api/client").json()["data"][0]["attributes"]["identifier"]
    url = "/api/client/" + path.format(s=server, b="00000000-0000-4000-8000-000000000000")
    response = client.request(method, url, json={})
    assert response.status_code == 404
    assert error_of(response)["detail"] == f"The route {url.lstrip('/')} could not be found."


@pytest.mark.parametrize(("emulator_name", "status"), [("pelican", 200), ("pterodactyl", 400)])
def test_two_factor_requirement_binds_api_keys_only_on_pterodactyl(
    request: pytest.FixtureRequest, emulator_name: str, status: int
) -> None:
    """§3.1: Pelican's panel-wide 2FA requirement lives in the web UI's middleware only."""
    emulator: RunningEmulator = request.getfixturevalue(emulator_name)
    emulator.configure(two_factor_required=2)
    try:
        response = Api(emulator).get("users")
    finally:
        emulator.configure(two_factor_required=0)
    assert response.status_code == status, response.text


def test_wings_lines_say_pelican_daemon(pelican: RunningEmulator, pterodactyl: RunningEmulator) -> None:
    """§3.12: Wings-originated console lines carry app_name, "pelican" on Pelican Wings."""
    assert pelican.control("GET", "wings/config")["app_name"] == "pelican"
    assert pterodactyl.control("GET", "wings/config")["app_name"] == "Pterodactyl"
