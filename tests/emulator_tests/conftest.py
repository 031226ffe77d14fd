"""Fixtures for the emulator test suite: ``panel_emulator`` (one process per session) and ``fresh_emulator``
(one per test), both from ptero_emulator.fixture."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from ptero_emulator.fixture import TEST_DEFAULTS, Api, RunningEmulator, fresh_emulator, panel_emulator, start_emulator  # noqa: F401  pylint: disable=unused-import


@pytest.fixture(scope="module")
def module_emulator(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningEmulator]:
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
