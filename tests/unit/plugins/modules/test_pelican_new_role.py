"""The Pelican-only role module: looked up by name before any create (a duplicate name answers 500), check and
diff mode, the Root Admin role refused, and a clear failure on Pterodactyl before any request that could write."""

from __future__ import annotations

import json

import pytest
import responses

from ansible_collections.ptero.panel.plugins.modules import role as role_module
from ansible_collections.ptero.panel.tests.unit.envelopes import item, listing

PANEL = "https://panel.example.test"
APP = f"{PANEL}/api/application"
PELICAN_KEY = "papp_unittestkey" + "x" * 32
SUPPORT = {
    "id": 3,
    "name": "Support",
    "created_at": "2026-01-01T00:00:00+00:00",
    "updated_at": "2026-01-01T00:00:00+00:00",
}


@pytest.fixture
def panel():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


def writes(panel):
    return [
        (
            call.request.method,
            call.request.url.split("/api/application/")[1].split("?")[0],
            json.loads(call.request.body) if call.request.body else None,
        )
        for call in panel.calls
        if call.request.method != "GET"
    ]


def run_role(run_module, args, **kwargs):
    return run_module(role_module.main, {"api_key": PELICAN_KEY, **args}, **kwargs)


def test_creates_a_role_after_looking_it_up_by_name(panel, run_module):
    lookup = panel.get(f"{APP}/roles", json=listing("role", []))
    panel.post(f"{APP}/roles", json=item("role", SUPPORT), status=201)
    outcome = run_role(run_module, {"name": "Support"})
    assert not outcome.failed, outcome.result["msg"]
    assert outcome.result["changed"] is True and outcome.result["role"]["id"] == 3
    assert "filter%5Bname%5D=Support" in lookup.calls[0].request.url
    assert writes(panel) == [("POST", "roles", {"name": "Support"})]


def test_an_existing_role_is_left_alone(panel, run_module):
    panel.get(f"{APP}/roles", json=listing("role", [SUPPORT]))
    outcome = run_role(run_module, {"name": "Support"})
    assert not outcome.failed and outcome.result["changed"] is False
    assert writes(panel) == []


def test_a_name_differing_in_case_is_another_role(panel, run_module):
    # The panel's filter is partial and caseless; the module's rule is exact.
    panel.get(f"{APP}/roles", json=listing("role", [SUPPORT]))
    panel.post(f"{APP}/roles", json=item("role", {**SUPPORT, "id": 4, "name": "support"}), status=201)
    outcome = run_role(run_module, {"name": "support"})
    assert outcome.result["changed"] is True
    assert writes(panel) == [("POST", "roles", {"name": "support"})]


def test_check_mode_predicts_without_writing(panel, run_module):
    panel.get(f"{APP}/roles", json=listing("role", []))
    outcome = run_role(run_module, {"name": "Support"}, check_mode=True, diff=True)
    assert outcome.result["changed"] is True
    assert outcome.result["diff"] == {"before": {}, "after": {"name": "Support"}}
    assert writes(panel) == []


def test_absent_deletes_by_id(panel, run_module):
    panel.get(f"{APP}/roles", json=listing("role", [SUPPORT]))
    panel.delete(f"{APP}/roles/3", status=204)
    outcome = run_role(run_module, {"name": "Support", "state": "absent"})
    assert outcome.result["changed"] is True and outcome.result["role"] is None
    assert writes(panel) == [("DELETE", "roles/3", None)]


def test_absent_when_missing_is_no_change(panel, run_module):
    panel.get(f"{APP}/roles", json=listing("role", []))
    outcome = run_role(run_module, {"name": "Support", "state": "absent"})
    assert outcome.result["changed"] is False and writes(panel) == []


def test_the_root_admin_role_is_never_deleted(panel, run_module):
    outcome = run_role(run_module, {"name": "Root Admin", "state": "absent"})
    assert outcome.failed
    assert "Root Admin" in outcome.result["msg"] and "cannot be deleted" in outcome.result["msg"]
    assert len(panel.calls) == 0


def test_pterodactyl_fails_naming_the_panel_before_any_write(panel, run_module):
    # A ptla_ key proves nothing; the probe's 404 says Pterodactyl.
    panel.get(
        f"{APP}/eggs",
        status=404,
        json={
            "errors": [
                {
                    "code": "NotFoundHttpException",
                    "status": "404",
                    "detail": "The route api/application/eggs could not be found.",
                }
            ]
        },
    )
    outcome = run_module(role_module.main, {"name": "Support", "api_key": "ptla_unittestkey0" + "x" * 32})
    assert outcome.failed
    assert outcome.result["msg"].startswith("ptero.panel.role needs a Pelican panel; this panel is Pterodactyl")
    assert outcome.result.get("changed") is not True
    assert [call.request.url.split("?")[0] for call in panel.calls] == [f"{APP}/eggs"]


def test_panel_option_pterodactyl_fails_without_any_request(panel, run_module):
    outcome = run_module(role_module.main, {"name": "Support", "panel": "pterodactyl"})
    assert outcome.failed and "needs a Pelican panel" in outcome.result["msg"]
    assert len(panel.calls) == 0
