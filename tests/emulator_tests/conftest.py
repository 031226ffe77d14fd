"""Fixtures for the emulator test suite: ``panel_emulator`` (one process per session) and ``fresh_emulator``
(one per test), both from tests.emulator.fixture."""
from __future__ import annotations

import sys
from pathlib import Path

# py-dactyl installs a top-level "tests" package into site-packages; the checkout must win.
_REPO_ROOT = str(Path(__file__).resolve().parents[2])
if _REPO_ROOT not in sys.path:
    sys.path.insert(0, _REPO_ROOT)
_loaded = sys.modules.get("tests")
if _loaded is not None and not str(getattr(_loaded, "__file__", "") or "").startswith(_REPO_ROOT):
    for _name in [name for name in sys.modules if name == "tests" or name.startswith("tests.")]:
        del sys.modules[_name]

from tests.emulator.fixture import fresh_emulator, panel_emulator  # noqa: E402,F401  pylint: disable=unused-import

from typing import Iterator  # noqa: E402

import pytest  # noqa: E402

from tests.emulator.fixture import TEST_DEFAULTS, Api, RunningEmulator, start_emulator  # noqa: E402


@pytest.fixture(scope="module")
def module_emulator(request: pytest.FixtureRequest,
                    tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningEmulator]:
    """An emulator (seed "demo") private to one test module, so other modules' writes never interfere. A module
    may set ``EMULATOR_SETTINGS = {"panel_version": "1.11"}`` (any EmulatorConfig fields) to start it differently."""
    settings = {**TEST_DEFAULTS, **getattr(request.module, "EMULATOR_SETTINGS", {})}
    emulator = start_emulator(tmp_path_factory.mktemp("module-emulator"), seed="demo", **settings)
    try:
        yield emulator
    finally:
        emulator.stop()


@pytest.fixture(scope="module")
def app_api(module_emulator: RunningEmulator) -> Api:
    """Application-key client on the module's emulator."""
    return Api(module_emulator, "application")
