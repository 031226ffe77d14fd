"""The user module on Pelican (issue 15), at the HTTP level: no first/last name (ignored, never a diff), addresses
and usernames compared lowercased, root_admin only as the Root Admin role the API cannot change."""

from __future__ import annotations

import json

import pytest
import responses

from ansible_collections.ptero.panel.plugins.modules import user as user_module
from ansible_collections.ptero.panel.tests.unit.envelopes import listing

APP = "https://panel.example.test/api/application"
PELICAN_KEY = "papp_unittestkey" + "x" * 32
JSON = {"Content-Type": "application/json"}
# A Pelican user: no first_name/last_name; is_managed_externally, 2fa_enabled; root_admin from the role. No timezone:
# Pelican's application user transformer (beta38) does not show it.
USER = {
    "id": 5,
    "external_id": None,
    "uuid": "u",
    "username": "alice",
    "email": "alice@example.com",
    "language": "en",
    "root_admin": False,
    "is_managed_externally": False,
    "2fa_enabled": False,
    "2fa": False,
}

# The same user as Pterodactyl shows it: names, and no is_managed_externally (which tells the panel apart).
PTERODACTYL_USER = {
    **{k: v for k, v in USER.items() if k not in ("is_managed_externally", "2fa_enabled")},
    "first_name": "Alice",
    "last_name": "L",
}


def page(items):
    return listing("user", items)


@pytest.fixture
def panel():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


def writes(panel):
    return [(c.request.method, json.loads(c.request.body or "null")) for c in panel.calls if c.request.method != "GET"]


def run(run_module, args, **kwargs):
    return run_module(user_module.main, {"api_key": PELICAN_KEY, "panel": "auto", **args}, **kwargs)


def test_the_pterodactyl_playbook_creates_without_names_or_root_admin(panel, run_module):
    panel.get(f"{APP}/users", json=page([]))

    def create(request):
        sent = {key: value for key, value in json.loads(request.body).items() if key != "password"}
        return 201, JSON, json.dumps({"object": "user", "attributes": {**USER, **sent}})

    panel.add_callback(responses.POST, f"{APP}/users", callback=create)
    outcome = run(
        run_module,
        {
            "username": "Alice",
            "email": "Alice@Example.com",
            "first_name": "Alice",
            "last_name": "Liddell",
            "root_admin": False,
            "password": "Sentinel-Pw-123",
        },
    )
    assert not outcome.failed, outcome.result
    ((method, body),) = writes(panel)
    assert method == "POST"
    # Lowercased as Pelican stores them; no first/last name, no root_admin (Pelican would ignore them).
    assert body == {"username": "alice", "email": "alice@example.com", "password": "Sentinel-Pw-123"}
    assert "Sentinel-Pw-123" not in json.dumps(outcome.result)


def test_names_and_case_never_make_a_diff(panel, run_module):
    panel.get(f"{APP}/users", json=page([USER]))
    outcome = run(
        run_module,
        {
            "username": "ALICE",
            "email": "ALICE@example.com",
            "first_name": "Alice",
            "last_name": "Liddell",
            "root_admin": False,
            "language": "en",
        },
        diff=True,
    )
    assert outcome.result["changed"] is False and writes(panel) == [], outcome.result
    assert "first_name" not in outcome.result["diff"]["before"]


def test_names_are_not_required_to_create_on_pelican(panel, run_module):
    panel.get(f"{APP}/users", json=page([]))
    outcome = run(run_module, {"username": "bob", "email": "bob@example.com"}, check_mode=True)
    assert not outcome.failed and outcome.result["changed"] is True and writes(panel) == []
    assert outcome.result["user"] == {"username": "bob", "email": "bob@example.com"}


def test_an_update_sends_the_profile_without_fields_pelican_ignores(panel, run_module):
    panel.get(f"{APP}/users", json=page([USER]))
    panel.patch(f"{APP}/users/5", json={"object": "user", "attributes": {**USER, "language": "de"}})
    outcome = run(run_module, {"username": "alice", "language": "de", "first_name": "X"})
    assert outcome.result["changed_fields"] == ["language"]
    ((_method, body),) = writes(panel)
    assert body == {"username": "alice", "email": "alice@example.com", "language": "de"}


@pytest.mark.parametrize(("have", "want", "verb"), [(False, True, "grant"), (True, False, "remove")])
def test_changing_root_admin_fails_before_anything_is_sent(panel, run_module, have, want, verb):
    panel.get(f"{APP}/users", json=page([{**USER, "root_admin": have}]))
    outcome = run(run_module, {"username": "alice", "root_admin": want, "language": "de"})
    assert outcome.failed and not outcome.result.get("changed") and writes(panel) == []
    assert outcome.result["msg"].startswith(f"root_admin: Pelican cannot {verb} root admin through the API")
    assert f"the user has root_admin={have}" in outcome.result["msg"]


def test_creating_a_root_admin_fails_before_anything_is_sent(panel, run_module):
    panel.get(f"{APP}/users", json=page([]))
    outcome = run(run_module, {"username": "root2", "email": "root2@example.com", "root_admin": True})
    assert outcome.failed and writes(panel) == []
    assert outcome.result["msg"].startswith("root_admin: Pelican cannot create a root admin through the API")


def test_root_admin_matching_the_role_is_fine(panel, run_module):
    panel.get(f"{APP}/users", json=page([{**USER, "root_admin": True}]))
    assert run(run_module, {"username": "alice", "root_admin": True}).result["changed"] is False


def test_deleting_a_root_admin_says_why_instead_of_asking(panel, run_module):
    panel.get(f"{APP}/users", json=page([{**USER, "root_admin": True}]))
    outcome = run(run_module, {"username": "alice", "state": "absent"})
    assert outcome.failed and writes(panel) == []
    assert "Pelican refuses to delete a root admin through the API" in outcome.result["msg"]


def test_absent_deletes_an_ordinary_user(panel, run_module):
    panel.get(f"{APP}/users", json=page([USER]))
    panel.delete(f"{APP}/users/5", status=204)
    outcome = run(run_module, {"username": "alice", "state": "absent"})
    assert outcome.result["changed"] is True and [c.request.method for c in panel.calls] == ["GET", "DELETE"]


def test_names_stay_required_on_pterodactyl(panel, run_module):
    panel.get(f"{APP}/users", json=page([]))
    outcome = run_module(user_module.main, {"panel": "pterodactyl", "username": "bob", "email": "bob@example.com"})
    assert outcome.failed and outcome.result["msg"].endswith("also set: first_name, last_name")


def test_a_found_pterodactyl_user_tells_the_panel_without_the_probe(panel, run_module):
    # A ptla_ key proves nothing (migrated keys keep it); the user's first_name/no is_managed_externally does.
    panel.get(f"{APP}/users", json=page([PTERODACTYL_USER]))
    outcome = run_module(
        user_module.main,
        {"api_key": "ptla_unittestkey" + "x" * 32, "panel": "auto", "username": "alice", "first_name": "Alice"},
    )
    assert outcome.result["changed"] is False and len(panel.calls) == 1, outcome.result


# -- roles (Pelican) -----------------------------------------------------------------------------------------------

ROLES = [{"id": 1, "name": "Root Admin"}, {"id": 3, "name": "Support"}, {"id": 4, "name": "Billing"}]


def with_roles(panel, held):
    panel.get(
        f"{APP}/roles",
        json={
            "object": "list",
            "data": [{"object": "role", "attributes": r} for r in ROLES],
            "meta": {
                "pagination": {"total": 3, "count": 3, "per_page": 10, "current_page": 1, "total_pages": 1, "links": {}}
            },
        },
    )
    roles = {"object": "list", "data": [{"object": "role", "attributes": r} for r in ROLES if r["name"] in held]}
    panel.get(f"{APP}/users/5", json={"object": "user", "attributes": {**USER, "relationships": {"roles": roles}}})
    panel.patch(f"{APP}/users/5/roles/assign", json={"object": "user", "attributes": USER})
    panel.patch(f"{APP}/users/5/roles/remove", json={"object": "user", "attributes": USER})


def role_writes(panel):
    return [
        (path.rsplit("/", 1)[1], body)
        for method, path, body in [
            (c.request.method, c.request.url, json.loads(c.request.body or "null")) for c in panel.calls
        ]
        if method != "GET"
    ]


def test_roles_are_given_by_name_without_touching_the_profile(panel, run_module):
    panel.get(f"{APP}/users", json=page([USER]))
    with_roles(panel, ["Root Admin"])
    outcome = run(run_module, {"username": "alice", "roles": ["Support", "4"]}, diff=True)
    assert outcome.result["changed_fields"] == ["roles"], outcome.result
    # Root Admin is root_admin's business: neither compared nor taken.
    assert role_writes(panel) == [("assign", {"roles": [3, 4]})]
    assert outcome.result["diff"] == {
        "before": {**outcome.result["diff"]["before"], "roles": []},
        "after": {**outcome.result["diff"]["before"], "roles": ["Billing", "Support"]},
    }


def test_the_same_roles_again_is_no_change(panel, run_module):
    panel.get(f"{APP}/users", json=page([USER]))
    with_roles(panel, ["Support"])
    assert run(run_module, {"username": "alice", "roles": ["Support"]}).result["changed"] is False
    assert role_writes(panel) == []


def test_an_empty_list_takes_every_role_and_check_mode_sends_nothing(panel, run_module):
    panel.get(f"{APP}/users", json=page([USER]))
    with_roles(panel, ["Support", "Billing"])
    checked = run(run_module, {"username": "alice", "roles": []}, check_mode=True)
    assert checked.result["changed"] is True and role_writes(panel) == []
    run(run_module, {"username": "alice", "roles": []})
    assert role_writes(panel) == [("remove", {"roles": [3, 4]})]


@pytest.mark.parametrize(
    ("roles", "start"),
    [
        (["Janitor"], "roles: no role 'Janitor' on the panel (it has Billing, Root Admin, Support)"),
        (["Root Admin"], "roles: Root Admin cannot be given or taken through Pelican's API"),
    ],
)
def test_roles_the_api_cannot_give_fail_before_any_write(panel, run_module, roles, start):
    panel.get(f"{APP}/users", json=page([USER]))
    with_roles(panel, [])
    outcome = run(run_module, {"username": "alice", "roles": roles})
    assert outcome.failed and role_writes(panel) == [] and outcome.result["msg"].startswith(start)


def test_a_new_user_gets_its_roles_after_the_create(panel, run_module):
    panel.get(f"{APP}/users", json=page([]))
    panel.post(f"{APP}/users", json={"object": "user", "attributes": USER})
    with_roles(panel, [])
    outcome = run(run_module, {"username": "alice", "email": "alice@example.com", "roles": ["Support"]})
    assert not outcome.failed and outcome.result["user"]["roles"] == ["Support"], outcome.result
    assert [name for name, _body in role_writes(panel)] == ["users", "assign"]


def test_roles_fail_on_pterodactyl(panel, run_module):
    panel.get(f"{APP}/users", json=page([{**USER, "first_name": "A", "last_name": "L"}]))
    outcome = run_module(user_module.main, {"panel": "pterodactyl", "username": "alice", "roles": ["Support"]})
    assert outcome.failed and outcome.result["msg"].startswith("roles: only Pelican has roles")


# -- timezone and managed_externally (Pelican) ----------------------------------------------------------------------


def echo_create(panel):
    """POST /users answering like Pelican: the user with what was sent, never its timezone (not in the transformer)."""

    def create(request):
        sent = json.loads(request.body)
        shown = {key: value for key, value in sent.items() if key not in ("password", "timezone")}
        return 201, JSON, json.dumps({"object": "user", "attributes": {**USER, **shown}})

    panel.add_callback(responses.POST, f"{APP}/users", callback=create)


def echo_update(panel, user=None):
    user = USER if user is None else user

    def update(request):
        sent = json.loads(request.body)
        shown = {key: value for key, value in sent.items() if key not in ("password", "timezone")}
        return 200, JSON, json.dumps({"object": "user", "attributes": {**user, **shown}})

    panel.add_callback(responses.PATCH, f"{APP}/users/{user['id']}", callback=update)


def test_create_with_timezone_and_managed_externally(panel, run_module):
    panel.get(f"{APP}/users", json=page([]))
    echo_create(panel)
    args = {"username": "carol", "email": "carol@example.com", "timezone": "Europe/Berlin", "managed_externally": True}
    outcome = run(run_module, args, diff=True)
    assert not outcome.failed, outcome.result
    assert writes(panel) == [
        (
            "POST",
            {
                "username": "carol",
                "email": "carol@example.com",
                "is_managed_externally": True,
                "timezone": "Europe/Berlin",
            },
        )
    ]
    # The panel's answer has no timezone: the result says the one the task sent.
    assert outcome.result["user"]["timezone"] == "Europe/Berlin"
    assert outcome.result["user"]["is_managed_externally"] is True
    assert outcome.result["diff"]["after"]["timezone"] == "Europe/Berlin"
    assert outcome.result["diff"]["before"] == {}


def test_the_same_task_again_changes_nothing(panel, run_module):
    panel.get(f"{APP}/users", json=page([{**USER, "is_managed_externally": True}]))
    outcome = run(run_module, {"username": "alice", "timezone": "Europe/Berlin", "managed_externally": True}, diff=True)
    # update_timezone=on_create: an existing user's timezone is not sent, and is_managed_externally matches.
    assert outcome.result["changed"] is False and writes(panel) == [], outcome.result
    assert "timezone" not in outcome.result["user"]
    assert outcome.result["diff"]["before"] == outcome.result["diff"]["after"]


def test_update_only_the_timezone(panel, run_module):
    panel.get(f"{APP}/users", json=page([USER]))
    echo_update(panel)
    outcome = run(
        run_module, {"username": "alice", "timezone": "America/New_York", "update_timezone": "always"}, diff=True
    )
    assert outcome.result["changed_fields"] == ["timezone"], outcome.result
    # The profile PATCH needs (username, email and what the panel acts on as PUT), plus the timezone; Pelican keeps
    # is_managed_externally when it is left out, so it is not sent back.
    assert writes(panel) == [
        ("PATCH", {"username": "alice", "email": "alice@example.com", "language": "en", "timezone": "America/New_York"})
    ]
    assert outcome.result["user"]["timezone"] == "America/New_York"
    assert "timezone" not in outcome.result["diff"]["before"]
    assert outcome.result["diff"]["after"]["timezone"] == "America/New_York"


def test_update_timezone_always_reports_a_change_every_run(panel, run_module):
    # The panel never shows the timezone: the second run cannot know it is already set, and says so by changing.
    panel.get(f"{APP}/users", json=page([USER]))
    echo_update(panel)
    args = {"username": "alice", "timezone": "America/New_York", "update_timezone": "always"}
    assert run(run_module, args).result["changed"] is True
    assert run(run_module, args).result["changed"] is True
    assert [method for method, _body in writes(panel)] == ["PATCH", "PATCH"]


def test_managed_externally_is_compared_and_changed_alone(panel, run_module):
    panel.get(f"{APP}/users", json=page([USER]))
    echo_update(panel)
    outcome = run(run_module, {"username": "alice", "managed_externally": True}, diff=True)
    assert outcome.result["changed_fields"] == ["is_managed_externally"], outcome.result
    assert writes(panel) == [
        ("PATCH", {"username": "alice", "email": "alice@example.com", "language": "en", "is_managed_externally": True})
    ]
    assert outcome.result["diff"]["before"]["is_managed_externally"] is False
    assert outcome.result["diff"]["after"]["is_managed_externally"] is True


def test_check_mode_sends_nothing(panel, run_module):
    panel.get(f"{APP}/users", json=page([USER]))
    updated = run(
        run_module,
        {"username": "alice", "timezone": "Asia/Tokyo", "update_timezone": "always", "managed_externally": True},
        check_mode=True,
        diff=True,
    )
    assert updated.result["changed"] is True and writes(panel) == [], updated.result
    assert updated.result["changed_fields"] == ["is_managed_externally", "timezone"]
    assert updated.result["diff"]["after"]["timezone"] == "Asia/Tokyo"
    panel.replace(responses.GET, f"{APP}/users", json=page([]))
    created = run(
        run_module, {"username": "dave", "email": "dave@example.com", "timezone": "Asia/Tokyo"}, check_mode=True
    )
    assert created.result["changed"] is True and writes(panel) == []
    assert created.result["user"]["timezone"] == "Asia/Tokyo"


def test_other_changes_leave_the_timezone_alone(panel, run_module):
    # on_create: an update for another field does not send the timezone either (Pelican keeps the stored one).
    panel.get(f"{APP}/users", json=page([USER]))
    echo_update(panel)
    outcome = run(run_module, {"username": "alice", "language": "de", "timezone": "Europe/Berlin"})
    assert outcome.result["changed_fields"] == ["language"]
    ((_method, body),) = writes(panel)
    assert "timezone" not in body and "is_managed_externally" not in body


@pytest.mark.parametrize("timezone", ["", "  ", "US/Eastern", "GMT", "Etc/UTC", "utc", "europe/berlin", "CET"])
def test_timezones_pelican_certainly_refuses_fail_before_anything_is_sent(panel, run_module, timezone):
    panel.get(f"{APP}/users", json=page([]))
    outcome = run(run_module, {"username": "erin", "email": "erin@example.com", "timezone": timezone})
    assert outcome.failed and writes(panel) == [], outcome.result
    assert outcome.result["msg"].startswith(f"timezone: '{timezone}' is not a timezone Pelican accepts: ")


@pytest.mark.parametrize("timezone", ["UTC", "America/Argentina/Buenos_Aires", "Antarctica/Troll", "Europe/Kyiv"])
def test_timezones_in_the_areas_are_left_to_the_panel(panel, run_module, timezone):
    panel.get(f"{APP}/users", json=page([]))
    echo_create(panel)
    outcome = run(run_module, {"username": "erin", "email": "erin@example.com", "timezone": timezone})
    assert not outcome.failed, outcome.result
    assert writes(panel)[0][1]["timezone"] == timezone


def test_the_panels_refusal_names_the_field(panel, run_module):
    panel.get(f"{APP}/users", json=page([]))
    refusal = {
        "errors": [
            {
                "code": "ValidationException",
                "status": "422",
                "detail": "The selected timezone is invalid.",
                "meta": {"source_field": "timezone", "rule": "in"},
            }
        ]
    }
    panel.post(f"{APP}/users", status=422, json=refusal)
    outcome = run(run_module, {"username": "erin", "email": "erin@example.com", "timezone": "Europe/Kiev"})
    assert outcome.failed and "timezone" in outcome.result["msg"], outcome.result


@pytest.mark.parametrize(("option", "value"), [("timezone", "Europe/Berlin"), ("managed_externally", False)])
def test_pelican_only_options_fail_on_pterodactyl_before_any_request(panel, run_module, option, value):
    outcome = run_module(user_module.main, {"panel": "pterodactyl", "username": "alice", option: value})
    assert outcome.failed and not outcome.result.get("changed") and len(panel.calls) == 0, outcome.result
    assert outcome.result["msg"].startswith(f"{option}: only Pelican users have this field")
    assert "this panel is Pterodactyl" in outcome.result["msg"]


def test_pelican_only_options_fail_on_a_detected_pterodactyl_before_any_write(panel, run_module):
    panel.get(f"{APP}/users", json=page([PTERODACTYL_USER]))
    outcome = run_module(
        user_module.main,
        {"api_key": "ptla_unittestkey" + "x" * 32, "panel": "auto", "username": "alice", "timezone": "UTC"},
    )
    # The user found tells the panel (no probe); nothing is written.
    assert outcome.failed and [c.request.method for c in panel.calls] == ["GET"], outcome.result
    assert outcome.result["msg"].startswith("timezone: only Pelican users have this field")


def test_check_mode_with_update_password_always_predicts_without_the_password(panel, run_module):
    panel.get(f"{APP}/users", json=page([USER]))
    args = {"username": "alice", "password": "Sentinel-Pw-123", "update_password": "always"}
    outcome = run(run_module, args, check_mode=True, diff=True)
    assert not outcome.failed and outcome.result["changed_fields"] == ["password"], outcome.result
    assert writes(panel) == [] and "Sentinel-Pw-123" not in json.dumps(outcome.result)
