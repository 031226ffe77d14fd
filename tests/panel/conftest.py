"""The integration suite for a real (staging) panel: `make test-panel`.

Nothing here talks to the emulator: the connection comes from the environment a user would set, every object is
created under a unique name prefix and removed again (each playbook cleans up in an `always:` section), and what
needs a running Wings node is skipped unless one is named. README.md in this folder lists what it touches.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TARGETS = Path(__file__).resolve().parent / "targets"
BIN = Path(sys.executable).parent
sys.path.insert(0, str(ROOT / "tests" / "tools"))

from collection_tree import link_collection  # noqa: E402

REQUIRED_ENV = ("PTERODACTYL_URL", "PTERODACTYL_API_KEY", "PTERODACTYL_CLIENT_API_KEY")


def pytest_configure(config: pytest.Config) -> None:
    missing = [name for name in REQUIRED_ENV if not os.environ.get(name)]
    if missing:
        raise pytest.UsageError(
            "make test-panel runs against a real panel: set " + ", ".join(missing) + " (an application key with "
            "read and write on every resource, and a client key of a root admin). Optional: PTERO_TEST_NODE (the "
            "name of a node whose Wings runs) with PTERO_TEST_IP (an IP of that node for new allocations), "
            "PTERO_TEST_PORTS, PTERO_TEST_NEST, PTERO_TEST_EGG, PTERO_TEST_PREFIX. See tests/panel/README.md."
        )


@dataclass
class Run:
    rc: int
    output: str


@dataclass
class Panel:
    """Runs the suite's playbooks with the connection from the environment and the run's name prefix."""

    prefix: str
    collections: Path

    def playbook(self, name: str, **extra_vars: object) -> Run:
        variables = {"prefix": self.prefix, **extra_vars}
        env = dict(
            os.environ,
            ANSIBLE_COLLECTIONS_PATH=str(self.collections),
            ANSIBLE_NOCOLOR="1",
            ANSIBLE_LOCALHOST_WARNING="0",
            ANSIBLE_INVENTORY_UNPARSED_WARNING="0",
            ANSIBLE_RETRY_FILES_ENABLED="0",
            ANSIBLE_PYTHON_INTERPRETER=sys.executable,
        )
        cmd = [str(BIN / "ansible-playbook"), str(TARGETS / f"{name}.yml"), "-e", json.dumps(variables)]
        result = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=3600, check=False)
        return Run(result.returncode, result.stdout + result.stderr)


@pytest.fixture(scope="session")
def panel(tmp_path_factory: pytest.TempPathFactory) -> Panel:
    collections = Path(tempfile.mkdtemp(prefix="ptero-test-panel-", dir=tmp_path_factory.getbasetemp()))
    link_collection(collections)
    # Lower case letters and digits only: the prefix ends up in location shorts, usernames, e-mails and host names.
    prefix = os.environ.get("PTERO_TEST_PREFIX") or "ptt" + secrets.token_hex(3)
    return Panel(prefix=prefix, collections=collections)


@pytest.fixture(scope="session")
def wings_node() -> dict[str, str]:
    """The node with a running Wings to place a test server on, or skip."""
    node = os.environ.get("PTERO_TEST_NODE")
    if not node or not os.environ.get("PTERO_TEST_IP"):
        pytest.skip("needs a node with a running Wings: set PTERO_TEST_NODE and PTERO_TEST_IP")
    return {
        "node": node,
        "ip": os.environ["PTERO_TEST_IP"],
        "ports": os.environ.get("PTERO_TEST_PORTS", "27015-27017"),
        "nest": os.environ.get("PTERO_TEST_NEST", "Minecraft"),
        "egg": os.environ.get("PTERO_TEST_EGG", "Paper"),
    }
