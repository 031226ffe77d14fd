"""The reliability suite: the collection against the emulator's fault injection, rate limits, TLS and bad input.

Tests marked `slow` are left out of a plain run; set PTERO_RELIABILITY_SLOW=1 (as CI does) or select them with
`-m slow` to run them."""
from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

# py-dactyl installs a top-level "tests" package into site-packages; the checkout must win.
_REPO_ROOT = str(Path(__file__).resolve().parents[2])
if _REPO_ROOT not in sys.path:
    sys.path.insert(0, _REPO_ROOT)
_loaded = sys.modules.get("tests")
if _loaded is not None and not str(getattr(_loaded, "__file__", "") or "").startswith(_REPO_ROOT):
    for _name in [name for name in sys.modules if name == "tests" or name.startswith("tests.")]:
        del sys.modules[_name]

SLOW_ENVIRONMENT = "PTERO_RELIABILITY_SLOW"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", f"slow: a long reliability test, run in CI or with {SLOW_ENVIRONMENT}=1 or -m slow")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Deselect (not skip) slow tests unless they were asked for."""
    wanted = os.environ.get(SLOW_ENVIRONMENT) == "1" or "slow" in (config.getoption("markexpr") or "")
    if wanted:
        return
    here = Path(__file__).resolve().parent
    slow = [item for item in items if item.get_closest_marker("slow") and here in Path(str(item.fspath)).parents]
    if slow:
        config.hook.pytest_deselected(items=slow)
        items[:] = [item for item in items if item not in slow]
