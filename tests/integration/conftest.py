"""Integration tests: the real ansible-playbook / ansible-inventory against the panel emulator process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TARGETS = Path(__file__).resolve().parent / "targets"
BIN = Path(sys.executable).parent
sys.path.insert(0, str(ROOT / "tests" / "tools"))

from collection_tree import linked_collection_for_this_process  # noqa: E402

from ptero_emulator.fixture import start_emulator  # noqa: E402

COLLECTIONS_DIR = linked_collection_for_this_process("ptero-integration-")

# The panel version the emulator plays ("" = its default, the newest). `make integration` runs every test on the
# newest; `make integration-old` runs again, on 1.11, only the test modules whose behaviour differs between the
# panel lines (console/power websocket tokens and limits, e-mail and SSH-key rules, schedule task rules, backups,
# node description, client server fields).
PANEL_VERSION = os.environ.get("PTERO_TEST_PANEL_VERSION", "")
VERSION_SENSITIVE_MODULES = frozenset(
    {
        "test_application_modules",
        "test_backup",
        "test_client_server_info",
        "test_console_command",
        "test_changed_after_failure",
        "test_inventory",
        "test_power",
        "test_schedule",
        "test_ssh_key",
        "test_subuser",
        "test_user",
        "test_panel_versions",
    }
)


# The panel the emulator plays ("" = Pterodactyl). `make integration-pelican` runs again, on Pelican, the shared
# test modules whose panel behaviour differs there and whose playbooks need no change (subuser permissions and
# invite limit, client allocations, client server fields). Playbooks that use what Pelican lacks (locations, nests)
# have Pelican versions in test_pelican_modules, which, like the other test_pelican_* modules, runs in every run on
# its own Pelican emulator (`pelican_emulator`).
PANEL_FLAVOUR = os.environ.get("PTERO_TEST_PANEL_FLAVOUR", "")
FLAVOUR_SENSITIVE_MODULES = frozenset(
    {
        "test_subuser",
        "test_network_allocation",
        "test_client_server_info",
        "test_server_settings",
        "test_permission_info",
    }
)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """On an older panel version or on Pelican, run only the modules whose behaviour differs there."""
    # PTERO_TEST_ALL_TARGETS=1 runs every module there too (to find which ones differ).
    if (not PANEL_VERSION and not PANEL_FLAVOUR) or os.environ.get("PTERO_TEST_ALL_TARGETS"):
        return
    wanted = FLAVOUR_SENSITIVE_MODULES if PANEL_FLAVOUR else VERSION_SENSITIVE_MODULES
    selected, deselected = [], []
    for item in items:
        (selected if item.module.__name__.rsplit(".", 1)[-1] in wanted else deselected).append(item)
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = selected


@dataclass
class Run:
    rc: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


class Ansible:
    """Runs ansible commands with the collection installed and the emulator's connection in the environment."""

    def __init__(self, emulator) -> None:
        self.emulator = emulator

    def env(self, **extra: str) -> dict[str, str]:
        env = dict(
            os.environ,
            ANSIBLE_COLLECTIONS_PATH=str(COLLECTIONS_DIR),
            ANSIBLE_NOCOLOR="1",
            ANSIBLE_LOCALHOST_WARNING="0",
            ANSIBLE_INVENTORY_UNPARSED_WARNING="0",
            ANSIBLE_RETRY_FILES_ENABLED="0",
            ANSIBLE_PYTHON_INTERPRETER=sys.executable,
            PTERODACTYL_URL=self.emulator.url,
            PTERODACTYL_API_KEY=self.emulator.application_key,
            PTERODACTYL_CLIENT_API_KEY=self.emulator.client_key,
        )
        env.update(extra)
        return env

    def playbook(self, name: str, *args: str, check: bool = True, env: dict[str, str] | None = None) -> Run:
        """Run `targets/<name>.yml`; by default the run must succeed."""
        cmd = [str(BIN / "ansible-playbook"), str(TARGETS / f"{name}.yml"), *args]
        result = subprocess.run(
            cmd, cwd=ROOT, env=env or self.env(), capture_output=True, text=True, timeout=300, check=False
        )
        run = Run(result.returncode, result.stdout, result.stderr)
        if check:
            assert run.rc == 0, f"{name} failed (rc={run.rc}):\n{run.output[-20000:]}"
        return run

    def inventory(self, config: Path, *args: str, env: dict[str, str] | None = None) -> Run:
        cmd = [str(BIN / "ansible-inventory"), "-i", str(config), *args]
        result = subprocess.run(
            cmd, cwd=ROOT, env=env or self.env(), capture_output=True, text=True, timeout=300, check=False
        )
        return Run(result.returncode, result.stdout, result.stderr)


@pytest.fixture(scope="module")
def emulator(tmp_path_factory):
    version = {"panel_version": PANEL_VERSION} if PANEL_VERSION else {}
    if PANEL_FLAVOUR:
        version["flavour"] = PANEL_FLAVOUR
    running = start_emulator(
        tmp_path_factory.mktemp("emulator"),
        seed="demo",
        install_seconds=0.5,
        power_seconds=0.2,
        backup_seconds=0.3,
        **version,
    )
    yield running
    running.stop()


@pytest.fixture(scope="module")
def pelican_emulator(request, tmp_path_factory):
    """The emulator playing Pelican (beta38), for the test_pelican_* modules, whatever the run's flavour."""
    if PANEL_FLAVOUR == "pelican":
        yield request.getfixturevalue("emulator")
        return
    running = start_emulator(
        tmp_path_factory.mktemp("pelican"),
        seed="demo",
        flavour="pelican",
        install_seconds=0.5,
        power_seconds=0.2,
        backup_seconds=0.3,
    )
    yield running
    running.stop()


@pytest.fixture(autouse=True)
def _fresh_rate_limits(request: pytest.FixtureRequest) -> None:
    """Every test starts with empty rate-limit buckets (the per-server limiters of panel 1.12+ allow 2-5 calls a
    minute), so one test's calls never make the next one wait; tests of the limiters fill them on purpose."""
    for name in ("emulator", "pelican_emulator"):
        if name in request.fixturenames:
            request.getfixturevalue(name).clear_rate_limits()


@pytest.fixture
def ansible(emulator) -> Ansible:
    return Ansible(emulator)


def writes(requests: list[dict]) -> list[dict]:
    """The requests of a log that change something."""
    return [r for r in requests if r["method"] not in ("GET", "HEAD")]


def load_json(text: str):
    return json.loads(text)
