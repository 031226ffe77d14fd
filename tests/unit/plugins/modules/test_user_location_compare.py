"""Compare logic of the user and location modules, at the HTTP level."""

from __future__ import annotations

import json

import pytest
import responses

from ansible_collections.ptero.panel.plugins.modules import location as location_module
from ansible_collections.ptero.panel.plugins.modules import user as user_module
from ansible_collections.ptero.panel.tests.unit.envelopes import listing

APP = "https://panel.example.test/api/application"
USER = {
    "id": 5,
    "external_id": None,
    "uuid": "u",
    "username": "alice",
    "email": "alice@example.com",
    "first_name": "Alice",
    "last_name": "L",
    "language": "en",
    "root_admin": False,
    "2fa": False,
}


@pytest.fixture
def panel():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.get(f"{APP}/users", json=listing("user", [USER, {**USER, "id": 6, "username": "alice2"}]))
        mock.patch(f"{APP}/users/5", json={"object": "user", "attributes": USER})
        mock.get(f"{APP}/locations", json=listing("location", [{"id": 1, "short": "fra1", "long": None}]))
        mock.patch(
            f"{APP}/locations/1", json={"object": "location", "attributes": {"id": 1, "short": "fra1", "long": "x"}}
        )
        yield mock


def writes(panel):
    return [(c.request.method, json.loads(c.request.body)) for c in panel.calls if c.request.method != "GET"]


def test_username_case_and_partial_filter_matches(panel, run_module):
    outcome = run_module(user_module.main, {"username": "ALICE", "email": "alice@example.com"})
    assert outcome.result["changed"] is False
    assert "filter%5Busername%5D=ALICE" in panel.calls[0].request.url


def test_password_on_create_only_is_not_compared(panel, run_module):
    outcome = run_module(user_module.main, {"username": "alice", "password": "Sentinel-Pw-123"})
    assert outcome.result["changed"] is False and writes(panel) == []


def test_password_always_updates_with_the_whole_profile(panel, run_module):
    outcome = run_module(
        user_module.main, {"username": "alice", "password": "Sentinel-Pw-123", "update_password": "always"}
    )
    assert outcome.result["changed_fields"] == ["password"]
    ((method, body),) = writes(panel)
    assert method == "PATCH"
    assert body == {
        "username": "alice",
        "email": "alice@example.com",
        "first_name": "Alice",
        "last_name": "L",
        "language": "en",
        "root_admin": False,
        "password": "Sentinel-Pw-123",
    }
    assert "Sentinel-Pw-123" not in json.dumps(outcome.result)


def test_empty_long_equals_null(panel, run_module):
    assert run_module(location_module.main, {"short": "fra1", "long": ""}).result["changed"] is False


def test_location_update_sends_short_too(panel, run_module):
    run_module(location_module.main, {"short": "fra1", "long": "Frankfurt"})
    assert writes(panel) == [("PATCH", {"short": "fra1", "long": "Frankfurt"})]
