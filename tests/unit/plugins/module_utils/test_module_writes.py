"""The engine remembers every write the panel accepted: a failure after one reports `changed: true` and says what
was done (issue 17), a success after one is a change, and no result ever gains the controller's file stat."""

from __future__ import annotations

import os

import pytest
import responses
from ansible.module_utils import basic

from ansible_collections.ptero.panel.plugins.module_utils._module import PanelModule, PanelResource
from ansible_collections.ptero.panel.tests.unit.envelopes import item

APP = "https://panel.example.test/api/application"
LOCATION = {"id": 4, "short": "fra1", "long": "Frankfurt"}


class Location(PanelResource):
    result_key = "location"
    managed_fields = ("short", "long")

    def describe(self, obj=None):
        return f"location '{self.params['short']}'"

    def find(self):
        return self.client.call("application.locations.get", {"location": 4})

    def desired(self):
        return {"short": self.params["short"], "long": self.params["long"]}

    def update(self, current, desired):
        return self.client.call("application.locations.update", {"location": 4}, body=desired)


def main_with(follow_up=None):
    """A module whose main() runs `follow_up(module, result)` after the engine, before its one exit_json."""

    def main():
        module = PanelModule({"short": {"type": "str"}, "long": {"type": "str"}}, api="application")
        with module.failures_reported():
            result = module.ensure(Location(module)).result()
        if follow_up is not None:
            follow_up(module, result)
        module.exit_json(**result)

    return main


@pytest.fixture
def panel():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.get(f"{APP}/locations/4", json=item("location", LOCATION))
        mock.patch(f"{APP}/locations/4", json=item("location", {**LOCATION, "long": "Frankfurt am Main"}))
        yield mock


def fail_after(module, result):
    module.fail_json(msg="Timed out after 1s waiting for something.")


def test_a_failure_after_a_write_is_a_change_and_says_what_was_done(panel, run_module):
    outcome = run_module(main_with(fail_after), {"short": "fra1", "long": "Frankfurt am Main"})
    assert outcome.failed
    assert outcome.result["changed"] is True
    assert outcome.result["msg"] == (
        "Timed out after 1s waiting for something. Already done before this failure: updated the location (long)"
    )
    assert outcome.result["writes"] == ["PATCH /api/application/locations/4"]


def test_an_explicit_changed_false_cannot_hide_a_write(panel, run_module):
    outcome = run_module(
        main_with(lambda module, result: module.fail_json(msg="x", changed=False)),
        {"short": "fra1", "long": "Frankfurt am Main"},
    )
    assert outcome.result["changed"] is True


def test_a_failure_without_a_write_is_no_change(panel, run_module):
    outcome = run_module(main_with(fail_after), {"short": "fra1", "long": "Frankfurt"})
    assert outcome.failed
    assert "changed" not in outcome.result or outcome.result["changed"] is False
    assert outcome.result["msg"] == "Timed out after 1s waiting for something."


def test_check_mode_records_nothing(panel, run_module):
    outcome = run_module(main_with(fail_after), {"short": "fra1", "long": "Frankfurt am Main"}, check_mode=True)
    assert "Already done" not in outcome.result["msg"]
    assert [call.request.method for call in panel.calls] == ["GET"]


def test_a_success_after_a_write_is_a_change(panel, run_module):
    def undo_changed(module, result):
        result["changed"] = False  # a follow-up step that concludes wrongly

    outcome = run_module(main_with(undo_changed), {"short": "fra1", "long": "Frankfurt am Main"})
    assert not outcome.failed and outcome.result["changed"] is True


def test_forget_writes_after_a_write_that_changed_nothing(panel, run_module):
    def ignored(module, result):
        module.forget_writes()
        module.fail_json(msg="long: the panel ignored it")

    outcome = run_module(main_with(ignored), {"short": "fra1", "long": "Frankfurt am Main"})
    assert outcome.result.get("changed", False) is False
    assert outcome.result["msg"] == "long: the panel ignored it"


def test_a_write_request_without_words_is_named_by_its_request(panel, run_module):
    def power(module, result):
        module.writes_done.clear()  # as if only the client had seen the write
        module.fail_json(msg="boom")

    outcome = run_module(main_with(power), {"short": "fra1", "long": "Frankfurt am Main"})
    assert outcome.result["msg"] == "boom. Already done before this failure: PATCH /api/application/locations/4"


# ------------------------------------------------------------------ no controller-side stat in any result (B4)


def test_add_path_info_of_panel_modules_adds_nothing(tmp_path):
    here = str(tmp_path)
    assert os.path.isdir(here)
    result = {"path": here, "dest": here, "state": "absent"}
    assert PanelModule.add_path_info(object.__new__(PanelModule), dict(result)) == result
    # What AnsibleModule itself would do with the same result (so the test above can fail).
    plain = basic.AnsibleModule.add_path_info(_StatOnly(), dict(result))
    assert plain["state"] == "directory" and "owner" in plain


class _StatOnly:
    """Just enough of an AnsibleModule for its add_path_info()."""

    def user_and_group(self, path):
        stat = os.stat(path)
        return stat.st_uid, stat.st_gid

    def selinux_enabled(self):
        return False
