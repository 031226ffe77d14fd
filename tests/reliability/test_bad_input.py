"""Bad input across the modules: every case fails with a message naming the field, and the panel is unchanged.

One playbook holds all the cases (ignore_errors + register) and asserts the messages itself; this side checks
the matrix's size and that the emulator's state and request log show no change at all."""

from __future__ import annotations

import yaml
from reliability_support import PLAYBOOKS, Ansible, api_requests, comparable_state, emulator_fixture, successful_writes

emulator = emulator_fixture()
MINIMUM_CASES = 40


def matrix() -> tuple[dict[str, str], list[str]]:
    play = yaml.safe_load((PLAYBOOKS / "bad_input.yml").read_text())[0]
    registered = [task["register"] for task in play["tasks"] if "register" in task]
    return play["vars"]["expected_fields"], registered


def test_the_matrix_is_complete():
    expected, registered = matrix()
    assert len(registered) >= MINIMUM_CASES
    assert len(set(registered)) == len(registered), "two cases register the same name"
    assert set(expected) == set(registered), set(expected) ^ set(registered)


def test_bad_input_fails_naming_the_field_and_changes_nothing(emulator):
    before = comparable_state(emulator)
    emulator.clear_requests()
    Ansible(emulator).playbook("bad_input")
    log = api_requests(emulator)
    assert successful_writes(log) == [], successful_writes(log)
    after = comparable_state(emulator)
    changed_tables = sorted(name for name in set(before) | set(after) if before.get(name) != after.get(name))
    assert changed_tables == [], changed_tables
