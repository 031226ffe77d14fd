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
# A Pelican user: no first_name/last_name; is_managed_externally, 2fa_enabled; root_admin from the role.
USER = {
    "id": 5,
    "external_id": None,
    "uuid": "u",
    "username": "alice",
    "email": "alice@example.com",
    "language": "en",
    "timezone": "UTC",
    "root_admin": False,
    "is_managed_externally": False,
    "2fa_enabled": False,
    "2fa": False,
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
    ptero_user = {
        **{k: v for k, v in USER.items() if k not in ("is_managed_externally", "2fa_enabled", "timezone")},
        "first_name": "Alice",
        "last_name": "L",
    }
    panel.get(f"{APP}/users", json=page([ptero_user]))
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
