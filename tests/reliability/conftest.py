"""The reliability suite: the collection against the emulator's fault injection, rate limits, TLS and bad input.

Tests marked `slow` are left out of a plain run; set PTERO_RELIABILITY_SLOW=1 (as CI does) or select them with
`-m slow` to run them."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

SLOW_ENVIRONMENT = "PTERO_RELIABILITY_SLOW"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", f"slow: a long reliability test, run in CI or with {SLOW_ENVIRONMENT}=1 or -m slow"
    )


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
