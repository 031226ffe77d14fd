"""Make `ansible_collections.ptero.panel` importable from the checkout for unit tests."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tools"))
from collection_tree import linked_collection_for_this_process

sys.path.insert(0, str(linked_collection_for_this_process("ptero-unit-")))


import contextlib
import json
from unittest import mock

import pytest
from ansible.module_utils import basic


class ModuleExit(Exception):
    """A module finished: `result` is what it passed to exit_json/fail_json, `failed` tells which."""

    def __init__(self, result: dict, failed: bool) -> None:
        super().__init__(result)
        self.result = result
        self.failed = failed


@contextlib.contextmanager
def module_args(args: dict):
    """Give `args` to the next AnsibleModule, on ansible-core 2.19 (patch_module_args) and 2.16."""
    try:
        from ansible.module_utils.testing import patch_module_args
    except ImportError:
        with mock.patch.object(basic, "_ANSIBLE_ARGS", json.dumps({"ANSIBLE_MODULE_ARGS": args}).encode()):
            yield
        return
    with patch_module_args(args):
        yield


@pytest.fixture
def run_module(monkeypatch):
    """Run a module's main() with args; returns the ModuleExit (result and whether it failed)."""

    def exit_json(self, **result):
        raise ModuleExit(result, failed=False)

    def fail_json(self, msg, **result):
        raise ModuleExit(dict(result, msg=msg), failed=True)

    warnings: list[str] = []

    def warn(self, warning):
        warnings.append(warning)

    monkeypatch.setattr(basic.AnsibleModule, "exit_json", exit_json)
    monkeypatch.setattr(basic.AnsibleModule, "fail_json", fail_json)
    # Module warnings go to the result, whatever state Ansible's Display is in within this test process.
    monkeypatch.setattr(basic.AnsibleModule, "warn", warn)

    def run(main, args: dict, check_mode: bool = False, diff: bool = False) -> ModuleExit:
        # The default key belongs to a mocked Pterodactyl panel: no flavour probe. A test that brings its own key
        # (a Pelican one) or sets panel keeps the detection.
        panel = {} if "api_key" in args or "panel" in args else {"panel": "pterodactyl"}
        full = {
            "url": "https://panel.example.test",
            "api_key": "ptla_unittestkey0" + "x" * 32,
            "retries": 0,
            **panel,
            **args,
            "_ansible_check_mode": check_mode,
            "_ansible_diff": diff,
        }
        warnings.clear()
        with module_args(full), pytest.raises(ModuleExit) as finished:
            main()
        finished.value.result.setdefault("warnings", list(warnings))
        return finished.value

    return run
