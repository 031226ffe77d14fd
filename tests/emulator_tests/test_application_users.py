"""Application API: users (routes 1-6) with pagination, filters, sorts, includes, validation and deletion rules."""

from __future__ import annotations

from typing import Any

import pytest

from ptero_emulator.fixture import Api, RunningEmulator, error_of, validation_fields


@pytest.fixture(scope="module")
def api(app_api: Api) -> Api:
    return app_api


def new_user(api: Api, name: str, **extra: Any) -> dict[str, Any]:
    response = api.post(
        "users", {"email": f"{name}@example.com", "username": name, "first_name": "First", "last_name": "Last", **extra}
    )
    assert response.status_code == 201, response.text
    return response.json()


def test_list_envelope_and_attributes(api: Api) -> None:
    body = api.get("users").json()
    assert body["object"] == "list"
    first = body["data"][0]
    assert first["object"] == "user"
    assert set(first["attributes"]) == {
        "id",
        "external_id",
        "uuid",
        "username",
        "email",
        "first_name",
        "last_name",
        "language",
        "root_admin",
        "2fa",
        "created_at",
        "updated_at",
    }
    assert first["attributes"]["root_admin"] is True
    assert body["meta"]["pagination"]["per_page"] == 50


def test_pagination_links_drop_the_query_string(module_emulator: RunningEmulator, api: Api) -> None:
    body = api.get("users", params={"per_page": 1, "page": 2, "sort": "id"}).json()
    pagination = body["meta"]["pagination"]
    assert pagination["count"] == 1 and pagination["per_page"] == 1 and pagination["current_page"] == 2
    assert pagination["total_pages"] == pagination["total"]
    base = module_emulator.url + "/api/application/users"
    assert pagination["links"]["previous"] == base + "?page=1"
    assert pagination["links"]["next"] == base + "?page=3"
    assert body["data"][0]["attributes"]["id"] == 2


def test_filters_and_sorts(api: Api) -> None:
    assert [
        u["attributes"]["username"] for u in api.get("users", params={"filter[username]": "PLAY"}).json()["data"]
    ] == ["player"]
    matches = api.get("users", params={"filter[email]": "admin@,helper@"}).json()["data"]
    assert {u["attributes"]["username"] for u in matches} == {"admin", "helper"}
    ids = [u["attributes"]["id"] for u in api.get("users", params={"sort": "-id"}).json()["data"]]
    assert ids == sorted(ids, reverse=True)
    bad = api.get("users", params={"filter[name]": "x"})
    assert bad.status_code == 400
    assert error_of(bad)["detail"] == (
        "Requested filter(s) `name` are not allowed. Allowed filter(s) are `email, uuid, username, external_id`."
    )
    bad_sort = api.get("users", params={"sort": "email"})
    assert bad_sort.status_code == 400 and error_of(bad_sort)["code"] == "InvalidSortQuery"


def test_view_external_and_not_found(api: Api) -> None:
    created = new_user(api, "externaluser", external_id="crm-77")
    user_id = created["attributes"]["id"]
    assert api.get(f"users/{user_id}").json()["attributes"]["email"] == "externaluser@example.com"
    assert api.get("users/external/crm-77").json()["attributes"]["id"] == user_id
    for path in ("users/external/crm-missing", "users/999999", "users/abc"):
        response = api.get(path)
        assert response.status_code == 404
        assert error_of(response)["detail"] == "The requested resource could not be found on the server."


def test_include_servers_is_inside_attributes(api: Api) -> None:
    body = api.get("users/2", params={"include": "servers"}).json()
    servers = body["attributes"]["relationships"]["servers"]
    assert servers["object"] == "list"
    assert [s["attributes"]["name"] for s in servers["data"]] == ["Survival", "Creative", "Rust Island"]
    assert "relationships" not in api.get("users/2").json()["attributes"]


def test_create_returns_201_with_resource_and_lowercases_username(module_emulator: RunningEmulator, api: Api) -> None:
    body = new_user(api, "MixedCase", password="secret-password", root_admin=True)
    attributes = body["attributes"]
    assert attributes["username"] == "mixedcase"
    assert attributes["root_admin"] is True and attributes["language"] == "en" and attributes["2fa"] is False
    assert body["meta"]["resource"] == f"{module_emulator.url}/api/application/users/{attributes['id']}"


def test_create_validation(api: Api) -> None:
    assert validation_fields(api.post("users", {})) == {
        "email": "required",
        "username": "required",
        "first_name": "required",
        "last_name": "required",
    }
    response = api.post(
        "users",
        {
            "email": "not-an-email",
            "username": "-bad-",
            "first_name": "A",
            "last_name": "B",
            "root_admin": "maybe",
            "language": "de",
        },
    )
    assert validation_fields(response) == {
        "email": "email",
        "username": "p_username",
        "root_admin": "boolean",
        "language": "in",
    }
    entries = {e["meta"]["source_field"]: e for e in response.json()["errors"]}
    assert entries["email"]["detail"] == "The email must be a valid email address."
    # StoreUserRequest::attributes() names root_admin (panel 1.11.8 source and later).
    assert entries["root_admin"]["detail"] == "The Root Administrator Status field must be true or false."
    assert entries["email"]["status"] == "422" and entries["email"]["code"] == "ValidationException"
    duplicate = api.post(
        "users", {"email": "PLAYER@example.com", "username": "Player", "first_name": "A", "last_name": "B"}
    )
    assert validation_fields(duplicate) == {"email": "unique", "username": "unique"}


def test_patch_is_replace_style(api: Api) -> None:
    user = new_user(api, "patchme", external_id="patch-ext")["attributes"]
    partial = api.patch(f"users/{user['id']}", {"first_name": "Only"})
    assert validation_fields(partial) == {"email": "required", "username": "required", "last_name": "required"}
    full = {"email": "patched@example.com", "username": "patchme", "first_name": "New", "last_name": "Name"}
    response = api.patch(f"users/{user['id']}", full)
    assert response.status_code == 200
    attributes = response.json()["attributes"]
    assert (attributes["email"], attributes["first_name"]) == ("patched@example.com", "New")
    assert attributes["external_id"] == "patch-ext"  # absent optional fields stay unchanged
    # Uniqueness ignores the user itself but not others.
    assert api.patch(f"users/{user['id']}", full).status_code == 200
    taken = api.patch(f"users/{user['id']}", {**full, "email": "admin@example.com"})
    assert validation_fields(taken) == {"email": "unique"}


def test_delete_rules(api: Api) -> None:
    refused = api.delete("users/2")
    assert refused.status_code == 400
    assert error_of(refused) == {
        "code": "DisplayException",
        "status": "400",
        "detail": "Cannot delete a user with active servers attached to their account. Please delete their servers "
        "before continuing.",
    }
    user_id = new_user(api, "deleteme")["attributes"]["id"]
    deleted = api.delete(f"users/{user_id}")
    assert deleted.status_code == 204 and deleted.content == b""
    assert api.delete(f"users/{user_id}").status_code == 404
