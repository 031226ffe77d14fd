"""The panel_version / wings_version settings: where they are set and shown, the feature table, and the default
API limits of each version (panel-versions.md A3, real-panel-1.14.1.md §2.1)."""

from __future__ import annotations

from pathlib import Path

import pytest
import requests

from ptero_emulator import versions
from ptero_emulator.__main__ import parse_args
from ptero_emulator.config import EmulatorConfig
from ptero_emulator.fixture import Api, RunningEmulator, module_emulator_fixture, start_emulator

FAST = {"install_seconds": 0.3, "power_seconds": 0.2, "backup_seconds": 0.3, "restore_seconds": 0.3}


# Default settings: no panel_version given, no rate-limit overrides.
newest = module_emulator_fixture("versions-default", lambda directory: start_emulator(directory, seed="demo", **FAST))
old = module_emulator_fixture(
    "versions-1-11", lambda directory: start_emulator(directory, seed="demo", panel_version="1.11", **FAST)
)


def test_default_is_1_14_with_wings_1_13(newest: RunningEmulator) -> None:
    health = newest.control("GET", "health")
    assert health["panel_version"] == "1.14" and health["wings_version"] == "1.13"
    config = newest.control("GET", "config")
    assert config["panel_version"] == "1.14" and config["wings_version"] == ""
    assert config["server_resource_limits"] == {
        "websocket": [5, 60],
        "databases": [2, 60],
        "schedules": [2, 60],
        "allocations": [2, 60],
        "subusers": [10, 900],
        "backup_restore": [3, 900],
        "files_pull": [5, 600],
    }


def test_fixture_kwarg_and_health(old: RunningEmulator) -> None:
    assert old.control("GET", "health")["panel_version"] == "1.11"
    assert old.control("GET", "health")["wings_version"] == "1.11"
    assert old.control("GET", "wings/config")["wings_version"] == "1.11"


def test_control_api_switches_versions(tmp_path: Path) -> None:
    emulator = start_emulator(tmp_path, seed="demo", **FAST)
    try:
        emulator.configure(panel_version="1.12")
        assert emulator.control("GET", "health")["wings_version"] == "1.12"
        emulator.configure(wings_version="1.13")
        assert emulator.control("GET", "health") | {"pending_timers": 0} == {
            "ok": True,
            "pending_timers": 0,
            "panel_version": "1.12",
            "wings_version": "1.13",
        }
        with pytest.raises(RuntimeError, match="422"):
            emulator.configure(panel_version="1.13")
        with pytest.raises(RuntimeError, match="422"):
            emulator.configure(server_resource_limits={"nope": [1, 1]})
        assert emulator.control("GET", "config")["panel_version"] == "1.12"
        emulator.control("POST", "wings/config", {"wings_version": "1.11"})  # a Wings-side override wins
        assert emulator.control("GET", "health")["wings_version"] == "1.11"
        emulator.control("DELETE", "wings/config")
        emulator.configure(server_resource_limits={"websocket": [7, 2]})
        limits = emulator.control("GET", "config")["server_resource_limits"]
        assert limits["websocket"] == [7, 2] and limits["databases"] == [2, 60]
    finally:
        emulator.stop()


def test_command_line_options() -> None:
    config = parse_args(["--panel-version", "1.12", "--wings-version", "1.13"])
    assert (config.panel_version, config.effective_wings_version()) == ("1.12", "1.13")
    assert parse_args([]).panel_version == "1.14"
    with pytest.raises(SystemExit):
        parse_args(["--panel-version", "2.0"])
    with pytest.raises(SystemExit):
        parse_args(["--wings-version", "latest"])


def test_feature_table() -> None:
    config = EmulatorConfig(panel_version="1.11")
    assert not any(config.has(feature) for feature in versions.PANEL_FEATURES)
    config.panel_version = "1.12"
    assert config.has("serv_identifiers") and config.has("server_resource_limits") and not config.has("jwt_scopes")
    config.panel_version = "1.14"
    assert all(config.has(feature) for feature in versions.PANEL_FEATURES)
    assert [EmulatorConfig(panel_version=v).wings_has("jwt_scope_required") for v in versions.PANEL_VERSIONS] == [
        False,
        False,
        True,
    ]
    assert versions.wings_has("1.12.2", "jwt_scope_required") and not versions.wings_has("1.12", "jwt_scope_required")


def _limit(emulator: RunningEmulator, which: str, path: str) -> str:
    return Api(emulator, which).get(path).headers["X-RateLimit-Limit"]


def test_api_limits_256_on_1_14(newest: RunningEmulator) -> None:
    assert _limit(newest, "application", "nodes") == "256"
    assert _limit(newest, "client", "/api/client") == "256"
    assert _limit(newest, "client", "/api/client/account") == "256"


def test_api_limits_unchanged_on_1_11(old: RunningEmulator) -> None:
    assert _limit(old, "application", "nodes") == "240"
    assert _limit(old, "client", "/api/client") == "720"


def test_api_limits_256_on_1_12(tmp_path: Path) -> None:
    emulator = start_emulator(tmp_path, seed="demo", panel_version="1.12", **FAST)
    try:
        assert _limit(emulator, "application", "locations") == "256"
        assert _limit(emulator, "user", "/api/client") == "256"
    finally:
        emulator.stop()


def test_clear_rate_limits(tmp_path: Path) -> None:
    emulator = start_emulator(tmp_path, seed="demo", app_rate_limit=2, **FAST)
    try:
        api = Api(emulator, "application")
        assert [api.get("locations").status_code for _unused in range(3)] == [200, 200, 429]
        emulator.clear_rate_limits()
        answer = api.get("locations")
        assert answer.status_code == 200 and answer.headers["X-RateLimit-Remaining"] == "1"
        assert requests.delete(emulator.url + "/_emulator/rate-limits", timeout=10).status_code == 204
    finally:
        emulator.stop()
