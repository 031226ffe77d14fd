"""Client API subusers: list/view/create/update/delete, permission cleaning and the authorization rules."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from client_helpers import ClientEnv, add_subuser, assert_error, start_client_env, validation_fields

from ptero_emulator.state import State


def _prepare(state: State) -> dict[str, Any]:
    survival = state.find("servers", name="Survival")
    add_subuser(
        state,
        "manager",
        survival,
        ["websocket.connect", "user.create", "user.read", "user.update", "user.delete", "file.read"],
    )
    return {"_extra_keys": {"manager": "manager"}}


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ClientEnv]:
    environment = start_client_env(tmp_path_factory.mktemp("client-subusers"), _prepare)
    try:
        yield environment
    finally:
        environment.emulator.stop()


def _users(env: ClientEnv) -> str:
    return f"/api/client/servers/{env.facts['survival']}/users"


def _uuid_of(env: ClientEnv, username: str) -> str:
    for entry in env.get(_users(env)).json()["data"]:
        if entry["attributes"]["username"] == username:
            return entry["attributes"]["uuid"]
    raise AssertionError(username)


def test_list_and_view(env: ClientEnv) -> None:
    body = env.get(_users(env)).json()
    assert body["object"] == "list" and {e["object"] for e in body["data"]} == {"server_subuser"}
    helper = next(e["attributes"] for e in body["data"] if e["attributes"]["username"] == "helper")
    assert helper["image"].startswith("https://gravatar.com/avatar/") and helper["2fa_enabled"] is False
    assert "websocket.connect" in helper["permissions"]
    view = env.get(f"{_users(env)}/{helper['uuid']}").json()
    assert view["attributes"]["email"] == "helper@example.com"
    assert_error(env.get(_users(env), "helper"), 403, "AccessDeniedHttpException")
    player_uuid = env.get(f"/api/client/servers/{env.facts['survival']}", params={"include": "subusers"})
    assert player_uuid.status_code == 200
    assert_error(
        env.get(f"{_users(env)}/00000000-0000-4000-8000-000000000000"),
        404,
        "NotFoundHttpException",
        "The requested resource could not be found on the server.",
    )


def test_create_new_user_and_clean_permissions(env: ClientEnv) -> None:
    response = env.post(
        _users(env),
        json={
            "email": "new.friend+x@example.org",
            "permissions": ["control.console", "bogus.permission", "control.console"],
        },
    )
    assert response.status_code == 200
    attributes = response.json()["attributes"]
    assert attributes["permissions"] == ["control.console", "websocket.connect"]
    assert re.fullmatch(r"new\.friendx[a-z0-9]{3}", attributes["username"])
    user = next(u for u in env.rows("users") if u["email"] == "new.friend+x@example.org")
    assert user["name_first"] == "Server" and user["name_last"] == "Subuser" and user["root_admin"] is False
    again = env.post(_users(env), json={"email": "new.friend+x@example.org", "permissions": ["file.read"]})
    assert_error(
        again,
        400,
        "ServerSubuserExistsException",
        "A user with that email address is already assigned as a subuser for this server.",
    )
    owner = env.post(_users(env), json={"email": "player@example.com", "permissions": ["file.read"]})
    assert_error(
        owner, 400, "UserIsServerOwnerException", "You cannot add the server owner as a subuser for this server."
    )
    assert validation_fields(env.post(_users(env), json={"email": "nope"})) == [
        ("email", "email"),
        ("permissions", "required"),
    ]


def test_update_and_delete(env: ClientEnv) -> None:
    env.post(_users(env), json={"email": "temp@example.com", "permissions": ["file.read"]})
    uuid = _uuid_of(env, next(u["username"] for u in env.rows("users") if u["email"] == "temp@example.com"))
    updated = env.post(f"{_users(env)}/{uuid}", json={"permissions": ["file.read", "file.create"]})
    assert updated.status_code == 200
    assert sorted(updated.json()["attributes"]["permissions"]) == ["file.create", "file.read", "websocket.connect"]
    events = [row for row in env.rows("activity") if row["event"] == "server:subuser.update"]
    assert events and events[-1]["properties"]["new"] == ["file.create", "file.read", "websocket.connect"]
    unchanged = env.post(f"{_users(env)}/{uuid}", json={"permissions": ["file.create", "file.read"]})
    assert unchanged.status_code == 200
    assert len([row for row in env.rows("activity") if row["event"] == "server:subuser.update"]) == len(events)
    assert env.delete(f"{_users(env)}/{uuid}").status_code == 204
    assert_error(env.delete(f"{_users(env)}/{uuid}"), 404, "NotFoundHttpException")


def test_subuser_authorization_rules(env: ClientEnv) -> None:
    manager_uuid = _uuid_of(env, "manager")
    # Nobody may view or change their own subuser entry.
    assert_error(
        env.get(f"{_users(env)}/{manager_uuid}", "manager"),
        403,
        "AccessDeniedHttpException",
        "This action is unauthorized.",
    )
    assert_error(
        env.post(f"{_users(env)}/{manager_uuid}", "manager", json={"permissions": []}), 403, "AccessDeniedHttpException"
    )
    # A subuser may only grant what they hold themselves.
    beyond = env.post(_users(env), "manager", json={"email": "x1@example.com", "permissions": ["control.start"]})
    assert_error(
        beyond,
        403,
        "HttpForbiddenException",
        "Cannot assign permissions to a subuser that your account does not actively possess.",
    )
    within = env.post(_users(env), "manager", json={"email": "x2@example.com", "permissions": ["file.read"]})
    assert within.status_code == 200
    helper_uuid = _uuid_of(env, "helper")
    assert env.get(f"{_users(env)}/{helper_uuid}", "manager").status_code == 200
