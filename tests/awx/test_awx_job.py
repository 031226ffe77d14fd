"""An AWX-shaped run of ptero.panel: ansible-runner with a private data directory, the collection installed from the
built tarball (as in an execution environment), and no connection settings but the environment the custom
credential type (docs/awx/credential_type.yml) injects. A job template runs application and client modules; an
inventory update runs `ansible-inventory --list --export -i <project file> --output artifacts/<id>/output.json`, the
command AWX runs. Neither key may appear in the job's stdout, its job events or the inventory output."""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path

import ansible_runner
import pytest

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
BIN = Path(sys.executable).parent
sys.path.insert(0, str(ROOT / "tests" / "build"))
sys.path.insert(0, str(HERE))

from awx_credential import injected_environment  # noqa: E402
from built_collection import build_tarball, install_tarball  # noqa: E402

from ptero_emulator.fixture import Api, start_emulator  # noqa: E402

INVENTORY_UPDATE_ID = "7"
# A panel user may write template syntax into a field the inventory stores (here the server's external id).
TEMPLATE_LOOKING = "{{ 6 * 7 }}"


def unwrapped(value):
    """A host variable without ansible-core's never-template wrapper."""
    return value["__ansible_unsafe"] if isinstance(value, dict) and set(value) == {"__ansible_unsafe"} else value


@pytest.fixture(scope="module")
def emulator(tmp_path_factory):
    running = start_emulator(
        tmp_path_factory.mktemp("emulator"), seed="demo", install_seconds=0.5, power_seconds=0.2, backup_seconds=0.3
    )
    yield running
    running.stop()


@pytest.fixture(scope="module")
def execution_environment(tmp_path_factory) -> Path:
    """A collections path holding ptero.panel installed from its built tarball, as an EE build installs it."""
    work = tmp_path_factory.mktemp("ee")
    tarball = build_tarball(work, BIN)
    install_tarball(tarball, work / "collections", BIN)
    return work / "collections"


@pytest.fixture(scope="module")
def credential(emulator) -> dict[str, str]:
    """What AWX injects for a credential with both keys: the application key and the player's client key."""
    return injected_environment(
        {
            "url": emulator.url,
            "api_key": emulator.application_key,
            "client_api_key": emulator.user_client_key,
            "skip_tls_verify": False,
            "timeout": "",
        }
    )


def secrets(emulator) -> list[str]:
    keys = [
        emulator.application_key,
        emulator.client_key,
        emulator.user_client_key,
        emulator.connection.get("subuser_client_key", ""),
    ]
    return [key for key in keys if key]


@pytest.fixture
def private_data_dir(tmp_path, execution_environment, monkeypatch) -> Path:
    """AWX's private data directory: the project checked out under project/, an inventory under inventory/."""
    directory = tmp_path / "private_data_dir"
    shutil.copytree(HERE / "project", directory / "project")
    (directory / "inventory").mkdir()
    (directory / "inventory" / "hosts").write_text(
        f"localhost ansible_connection=local ansible_python_interpreter={sys.executable}\n", encoding="utf-8"
    )
    # ansible-runner starts from this process' environment: nothing of the panel may come from there.
    for name in list(os.environ):
        if name.startswith(("PTERODACTYL_", "ANSIBLE_")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("PATH", f"{BIN}{os.pathsep}{os.environ.get('PATH', '/usr/bin:/bin')}")
    monkeypatch.setenv("HOME", str(tmp_path))
    return directory


def job_environment(credential: dict[str, str], collections: Path) -> dict[str, str]:
    """The credential's variables plus what the execution environment provides (the installed collection)."""
    return {**credential, "ANSIBLE_COLLECTIONS_PATH": str(collections), "ANSIBLE_NOCOLOR": "1"}


def read_events(artifacts: Path) -> list[dict]:
    return [json.loads(path.read_text(encoding="utf-8")) for path in sorted((artifacts / "job_events").glob("*.json"))]


def assert_no_secret(text: str, where: str, keys: list[str]) -> None:
    leaked = [key[:5] + "..." for key in keys if key in text]
    assert not leaked, f"{where} contains API keys: {leaked}"


def test_the_credential_injects_only_panel_variables(credential, emulator):
    assert set(credential) == {
        "PTERODACTYL_URL",
        "PTERODACTYL_API_KEY",
        "PTERODACTYL_CLIENT_API_KEY",
        "PTERODACTYL_VALIDATE_CERTS",
        "PTERODACTYL_TIMEOUT",
        "PTERODACTYL_PANEL",
    }
    assert credential["PTERODACTYL_PANEL"] == "auto"
    assert credential["PTERODACTYL_API_KEY"] == emulator.application_key
    assert credential["PTERODACTYL_CLIENT_API_KEY"] == emulator.user_client_key


def test_job_template_runs_application_and_client_modules(
    private_data_dir, credential, execution_environment, emulator
):
    result = ansible_runner.run(
        private_data_dir=str(private_data_dir),
        playbook="job.yml",
        ident="job",
        inventory=str(private_data_dir / "inventory" / "hosts"),
        envvars=job_environment(credential, execution_environment),
        verbosity=3,
        quiet=True,
        timeout=300,
    )
    artifacts = private_data_dir / "artifacts" / "job"
    stdout = (artifacts / "stdout").read_text(encoding="utf-8")
    assert result.status == "successful" and result.rc == 0, stdout[-6000:]

    events = read_events(artifacts)
    assert events, "ansible-runner wrote no job events"
    stats = [event for event in events if event.get("event") == "playbook_on_stats"]
    assert len(stats) == 1
    handed_on = stats[0]["event_data"]["artifact_data"]
    assert handed_on["location_changed"] is True and handed_on["location_short"] == "awx-fra2"
    # The application key sees every server; the player's client key the player's own (the three demo servers).
    assert set(handed_on["client_servers"]) <= set(handed_on["application_servers"])
    assert handed_on["client_servers"] == ["Creative", "Rust Island", "Survival"]
    assert isinstance(handed_on["backup_limit"], int)
    ok_tasks = [event["event_data"]["task"] for event in events if event.get("event") == "runner_on_ok"]
    assert "Client API - backups of one of them" in ok_tasks

    # The key reached the modules (from the environment) and was masked in what they report back.
    invocations = [
        event["event_data"]["res"].get("invocation", {}).get("module_args", {})
        for event in events
        if event.get("event") == "runner_on_ok" and "res" in event.get("event_data", {})
    ]
    masked = [args["api_key"] for args in invocations if "api_key" in args]
    assert masked and set(masked) == {"VALUE_SPECIFIED_IN_NO_LOG_PARAMETER"}, masked

    keys = secrets(emulator)
    assert_no_secret(stdout, "the job's stdout", keys)
    for event in events:
        assert_no_secret(json.dumps(event), f"job event {event.get('counter')} ({event.get('event')})", keys)

    # Run again: the location exists now, the job reports no change for it.
    again = ansible_runner.run(
        private_data_dir=str(private_data_dir),
        playbook="job.yml",
        ident="job-again",
        inventory=str(private_data_dir / "inventory" / "hosts"),
        envvars=job_environment(credential, execution_environment),
        quiet=True,
        timeout=300,
    )
    assert again.status == "successful"
    second = [
        e for e in read_events(private_data_dir / "artifacts" / "job-again") if e.get("event") == "playbook_on_stats"
    ]
    assert second[0]["event_data"]["artifact_data"]["location_changed"] is False


def set_external_id(emulator, server_name: str, external_id: str) -> None:
    api = Api(emulator, "application")
    server = next(
        item["attributes"] for item in api.get("servers").json()["data"] if item["attributes"]["name"] == server_name
    )
    answer = api.patch(
        f"servers/{server['id']}/details",
        json={"name": server["name"], "user": server["user"], "external_id": external_id},
    )
    assert answer.status_code == 200, answer.text


def test_inventory_update_as_awx_runs_it(private_data_dir, credential, execution_environment, emulator):
    set_external_id(emulator, "Survival", TEMPLATE_LOOKING)
    source = private_data_dir / "project" / "inventories" / "panel.pterodactyl.yml"
    output = private_data_dir / "artifacts" / INVENTORY_UPDATE_ID / "output.json"
    output.parent.mkdir(parents=True)
    stdout, stderr, rc = ansible_runner.run_command(
        executable_cmd="ansible-inventory",
        cmdline_args=[
            "--list",
            "--export",
            "-i",
            str(source),
            "--output",
            str(output),
            "--playbook-dir",
            str(source.parent),
            "-vvv",
        ],
        envvars=job_environment(credential, execution_environment),
        host_cwd=str(private_data_dir),
        runner_mode="subprocess",
        quiet=True,
        timeout=300,
    )
    assert rc == 0, f"{stdout[-4000:]}\n{stderr[-4000:]}"
    text = output.read_text(encoding="utf-8")
    inventory = json.loads(text)
    hostvars = inventory["_meta"]["hostvars"]
    assert {"Creative", "Rust_Island", "Survival", "fra-node-1", "nyc-node-1"} <= set(hostvars)
    assert {"pterodactyl_servers", "pterodactyl_nodes", "awx_node_fra_node_1"} <= set(inventory)

    keys = secrets(emulator)
    assert_no_secret(text, "the inventory output", keys)
    assert_no_secret(stdout + stderr, "the inventory update's output (-vvv)", keys)

    # ansible-inventory writes a string that must never be templated as {"__ansible_unsafe": ...}, and AWX stores
    # host variables as they come: a value that looks like a template must arrive wrapped (docs/awx.md).
    survival = hostvars["Survival"]
    assert survival["pterodactyl_external_id"] == {"__ansible_unsafe": TEMPLATE_LOOKING}
    # Every other value arrives plain, so AWX shows and matches it as it is.
    assert survival["pterodactyl_name"] == "Survival"
    assert survival["pterodactyl_uuid"] == unwrapped(survival["pterodactyl_uuid"])
    assert isinstance(survival["pterodactyl_limits"]["memory"], int)

    # A job over the imported hosts: AWX hands the stored variables to the job as an inventory script printing the
    # JSON; ansible-core turns the wrappers back into strings that are never templated.
    job_inventory = private_data_dir / "inventory" / "awx_hosts"
    job_inventory.write_text(f"#! /usr/bin/env python3\nprint({json.dumps(inventory)!r})\n", encoding="utf-8")
    job_inventory.chmod(0o700)
    result = ansible_runner.run(
        private_data_dir=str(private_data_dir),
        playbook="hostvars.yml",
        ident="hostvars",
        inventory=str(job_inventory),
        quiet=True,
        timeout=300,
        envvars={"ANSIBLE_PYTHON_INTERPRETER": sys.executable},
    )
    stdout = (private_data_dir / "artifacts" / "hostvars" / "stdout").read_text(encoding="utf-8")
    assert result.status == "successful", stdout[-6000:]
    assert set(result.stats["ok"]) == {"Creative", "Rust_Island", "Survival"}, result.stats
