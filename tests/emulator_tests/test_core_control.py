"""The emulator's control plane: fault injection, reset, run-time config, advancing timers, persistence, the CLI
and the scale seed."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from ptero_emulator.config import EmulatorConfig
from ptero_emulator.fixture import Api, RunningEmulator, error_of, start_emulator, wait_until
from ptero_emulator.seed import seed_state
from ptero_emulator.state import State


@pytest.fixture(scope="module")
def api(app_api: Api) -> Api:
    return app_api


@pytest.fixture(autouse=True)
def no_faults(module_emulator: RunningEmulator):  # type: ignore[no-untyped-def]
    module_emulator.clear_faults()
    yield
    module_emulator.clear_faults()


def _location_count(api: Api, short: str) -> int:
    return api.get("locations", params={"filter[short]": short}).json()["meta"]["pagination"]["total"]


def test_status_fault_before_does_not_write(module_emulator: RunningEmulator, api: Api) -> None:
    module_emulator.add_fault(r"^/api/application/locations$", "status", method="POST", status=500)
    response = api.post("locations", {"short": "fault.before"})
    assert response.status_code == 500
    assert error_of(response)["detail"] == (
        "An unexpected error was encountered while processing this request, please try again."
    )
    assert _location_count(api, "fault.before") == 0
    # count defaults to 1: the next call goes through.
    assert api.post("locations", {"short": "fault.before"}).status_code == 201


def test_status_fault_after_applies_the_write(module_emulator: RunningEmulator, api: Api) -> None:
    module_emulator.add_fault(r"^/api/application/locations$", "status", method="POST", status=504, when="after")
    response = api.post("locations", {"short": "fault.after"})
    assert response.status_code == 504
    assert error_of(response)["code"] == "DaemonConnectionException"
    assert _location_count(api, "fault.after") == 1


def test_fault_skip_count_and_method_filter(module_emulator: RunningEmulator, api: Api) -> None:
    module_emulator.add_fault(
        r"/locations$", "status", method="GET", status=502, skip=1, count=2, code="CustomCode", detail="custom detail"
    )
    statuses = [api.get("locations").status_code for _unused in range(4)]
    assert statuses == [200, 502, 502, 200]
    assert api.post("locations", {"short": "fault.method"}).status_code == 201
    module_emulator.add_fault(r"/locations$", "status", status=418, detail="teapot", count=None)
    assert [api.get("locations").status_code for _unused in range(3)] == [418, 418, 418]
    assert error_of(api.get("locations"))["detail"] == "teapot"
    module_emulator.clear_faults()
    assert api.get("locations").status_code == 200


def test_drop_fault_closes_the_connection(module_emulator: RunningEmulator, api: Api) -> None:
    module_emulator.add_fault(r"^/api/application/users$", "drop")
    with pytest.raises(requests.ConnectionError):
        api.get("users")
    assert api.get("users").status_code == 200


def test_drop_after_applies_the_write(module_emulator: RunningEmulator, api: Api) -> None:
    module_emulator.add_fault(r"^/api/application/locations$", "drop", method="POST", when="after")
    with pytest.raises(requests.ConnectionError):
        api.post("locations", {"short": "drop.after"})
    assert _location_count(api, "drop.after") == 1


def test_latency_and_slow_body_faults(module_emulator: RunningEmulator, api: Api) -> None:
    module_emulator.add_fault(r"^/api/application/nests$", "latency", latency_ms=400)
    started = time.monotonic()
    assert api.get("nests").status_code == 200
    assert time.monotonic() - started >= 0.4
    module_emulator.add_fault(r"^/api/application/nests$", "slow_body", chunk_size=200, delay_ms=100)
    started = time.monotonic()
    response = api.get("nests")
    assert response.status_code == 200 and response.json()["meta"]["pagination"]["total"] == 4
    assert time.monotonic() - started >= 0.3
    module_emulator.add_fault(r"^/api/application/nests$", "slow_body", chunk_size=100, delay_ms=2000)
    # A body trickling slower than the client's read timeout (requests reports it as a ConnectionError).
    with pytest.raises((requests.exceptions.ReadTimeout, requests.exceptions.ConnectionError)):
        api.get("nests", timeout=0.5)


def test_429_burst_fault(module_emulator: RunningEmulator, api: Api) -> None:
    module_emulator.add_fault(r"/servers$", "429_burst", count=2, retry_after=7)
    first, second, third = (api.get("servers") for _unused in range(3))
    assert (first.status_code, second.status_code, third.status_code) == (429, 429, 200)
    assert first.headers["Retry-After"] == "7" and first.headers["X-RateLimit-Remaining"] == "0"
    assert error_of(first)["code"] == "ThrottleRequestsException"


def test_invalid_fault_is_rejected(module_emulator: RunningEmulator) -> None:
    response = requests.post(module_emulator.url + "/_emulator/faults", json={"route": "(", "kind": "explode"})
    assert response.status_code == 422
    assert {e["meta"]["source_field"] for e in response.json()["errors"]} == {"route", "kind"}
    assert module_emulator.control("GET", "faults") == {"faults": []}


def test_config_changes_and_unknown_fields(module_emulator: RunningEmulator) -> None:
    before = module_emulator.control("GET", "config")
    assert before["install_seconds"] == 0.3
    after = module_emulator.configure(install_seconds=0.25)
    assert after["install_seconds"] == 0.25
    module_emulator.configure(install_seconds=before["install_seconds"])
    response = requests.post(module_emulator.url + "/_emulator/config", json={"no_such_field": 1})
    assert response.status_code == 422


def test_install_completes_and_advance_finishes_it_early(module_emulator: RunningEmulator, api: Api) -> None:
    server_id = 1
    assert api.post(f"servers/{server_id}/reinstall").status_code == 204
    assert api.get(f"servers/{server_id}").json()["attributes"]["status"] == "installing"
    wait_until(lambda: api.get(f"servers/{server_id}").json()["attributes"]["status"] is None, timeout=5)
    module_emulator.configure(install_seconds=60)
    try:
        assert api.post(f"servers/{server_id}/reinstall").status_code == 204
        time.sleep(0.2)
        assert api.get(f"servers/{server_id}").json()["attributes"]["status"] == "installing"
        assert module_emulator.advance("install") == 1
        assert api.get(f"servers/{server_id}").json()["attributes"]["status"] is None
    finally:
        module_emulator.configure(install_seconds=0.3)


def test_reset_reseeds_with_the_same_keys(module_emulator: RunningEmulator, api: Api) -> None:
    # The last test of this module on module_emulator: it wipes what the tests above wrote.
    assert api.post("locations", {"short": "gone.soon"}).status_code == 201
    module_emulator.add_fault(r"/users$", "status", status=500, count=None)
    module_emulator.reset()
    assert _location_count(api, "gone.soon") == 0
    assert api.get("users").status_code == 200  # faults are cleared too
    assert api.get("servers").json()["meta"]["pagination"]["total"] == 3


def test_persistence_across_restarts(tmp_path: Path) -> None:
    state_file = tmp_path / "state.json"
    first = start_emulator(tmp_path, seed="demo", state_file=str(state_file))
    try:
        assert Api(first).post("locations", {"short": "persisted"}).status_code == 201
    finally:
        assert first.stop() == 0
    assert state_file.exists()
    second = start_emulator(tmp_path, seed="demo", state_file=str(state_file))
    try:
        assert second.application_key == first.application_key
        assert _location_count(Api(second), "persisted") == 1
    finally:
        second.stop()


def test_cli_prints_url_and_writes_connection(tmp_path: Path) -> None:
    connection = tmp_path / "connection.json"
    # The console script the package installs, from any directory.
    command = str(Path(sys.executable).with_name("ptero-emulator"))
    process = subprocess.Popen(
        [command, "--port", "0", "--seed", "none", "--write-connection", str(connection)],
        cwd=str(tmp_path),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        line = process.stdout.readline().decode().strip()  # type: ignore[union-attr]
        assert line.startswith("EMULATOR_URL=http://127.0.0.1:")
        data = json.loads(connection.read_text())
        assert data["url"] == line.split("=", 1)[1]
        for name, prefix in (("application_key", "ptla_"), ("client_key", "ptlc_"), ("user_client_key", "ptlc_")):
            assert len(data[name]) == 48 and data[name].startswith(prefix)
        users = requests.get(
            data["url"] + "/api/application/users",
            timeout=10,
            headers={"Authorization": "Bearer " + data["application_key"], "Accept": "application/json"},
        ).json()
        assert [u["attributes"]["username"] for u in users["data"]] == ["admin", "player", "helper"]
    finally:
        process.terminate()
        assert process.wait(timeout=10) == 0


def test_scale_seed_is_fast() -> None:
    # CPU time, so that a loaded test machine does not make the bound flaky.
    started = time.process_time()
    state = State(EmulatorConfig())
    seed_state(state, "scale:servers=10000,nodes=100,users=5000,locations=10")
    assert time.process_time() - started < 10
    assert (len(state.tables["servers"]), len(state.tables["nodes"]), len(state.tables["locations"])) == (
        10000,
        100,
        10,
    )
    assert len({server["uuid_short"] for server in state.rows("servers")}) == 10000


def test_scale_data_set_is_served(tmp_path: Path) -> None:
    emulator = start_emulator(tmp_path, seed="scale:servers=10000,nodes=100,users=5000,locations=10")
    try:
        api = Api(emulator)

        def total(path: str) -> int:
            return api.get(path, params={"per_page": 1}).json()["meta"]["pagination"]["total"]

        assert total("servers") == 10000
        assert total("users") == 5003  # admin, player and helper come with every seed
        assert total("nodes") == 100
        assert total("locations") == 10
        page = api.get("servers", params={"per_page": 100, "page": 50})
        assert page.status_code == 200 and len(page.json()["data"]) == 100
        assert page.json()["data"][0]["attributes"]["id"] == 4901
        assert api.get("servers/external/ext-server-1234").json()["attributes"]["name"] == "server-01234"
        allocations = api.get("nodes/7/allocations", params={"filter[server_id]": "none"}).json()
        assert allocations["meta"]["pagination"]["total"] == 10
    finally:
        emulator.stop()
