"""Pelican (beta38) user fields timezone, is_managed_externally and language on the application API, as its source
has them: defaults on create (UTC, false, en), kept when a PATCH leaves them out, refused when null, the timezone
taken only from PHP's DateTimeZone::listIdentifiers() (canonical tz database names and UTC, case-sensitive), and never
shown by the user transformer, which shows is_managed_externally and language."""

from __future__ import annotations

from typing import Any

import pytest

from ptero_emulator.fixture import (
    TEST_DEFAULTS,
    Api,
    RunningEmulator,
    error_of,
    module_emulator_fixture,
    start_emulator,
    validation_fields,
)

pelican = module_emulator_fixture(
    "pelican-user-fields", lambda d: start_emulator(d, seed="demo", flavour="pelican", **TEST_DEFAULTS)
)


@pytest.fixture(scope="module")
def api(pelican: RunningEmulator) -> Api:
    return Api(pelican)


def stored(pelican: RunningEmulator, user_id: int) -> dict[str, Any]:
    return next(row for row in pelican.state("users") if row["id"] == user_id)


def create(api: Api, name: str, **fields: Any) -> dict[str, Any]:
    response = api.post("users", {"email": f"{name}@example.com", "username": name, **fields})
    assert response.status_code == 201, response.text
    return response.json()["attributes"]


def test_defaults_on_create_and_what_the_transformer_shows(api: Api, pelican: RunningEmulator) -> None:
    user = create(api, "tz.default")
    assert (user["is_managed_externally"], user["language"]) == (False, "en")
    assert "timezone" not in user  # the application transformer has no timezone
    assert "timezone" not in api.get(f"users/{user['id']}").json()["attributes"]
    assert stored(pelican, user["id"])["timezone"] == "UTC"


def test_create_with_the_fields(api: Api, pelican: RunningEmulator) -> None:
    user = create(api, "tz.given", timezone="America/Argentina/Buenos_Aires", is_managed_externally=True)
    assert user["is_managed_externally"] is True and "timezone" not in user
    assert stored(pelican, user["id"])["timezone"] == "America/Argentina/Buenos_Aires"


def test_a_patch_keeps_the_fields_it_leaves_out(api: Api, pelican: RunningEmulator) -> None:
    user = create(api, "tz.kept", timezone="Asia/Tokyo", is_managed_externally=True, language="de")
    response = api.patch(f"users/{user['id']}", {"email": "tz.kept@example.com", "username": "tz.kept"})
    assert response.status_code == 200, response.text
    attributes = response.json()["attributes"]
    assert (attributes["is_managed_externally"], attributes["language"]) == (True, "de")
    assert stored(pelican, user["id"])["timezone"] == "Asia/Tokyo"


def test_a_patch_changes_only_what_it_sends(api: Api, pelican: RunningEmulator) -> None:
    user = create(api, "tz.changed", is_managed_externally=True)
    body = {"email": "tz.changed@example.com", "username": "tz.changed", "timezone": "Europe/Kyiv"}
    response = api.patch(f"users/{user['id']}", body)
    assert response.status_code == 200, response.text
    assert response.json()["attributes"]["is_managed_externally"] is True
    assert stored(pelican, user["id"])["timezone"] == "Europe/Kyiv"
    body = {"email": "tz.changed@example.com", "username": "tz.changed", "is_managed_externally": "0"}
    assert api.patch(f"users/{user['id']}", body).json()["attributes"]["is_managed_externally"] is False
    assert stored(pelican, user["id"])["timezone"] == "Europe/Kyiv"


@pytest.mark.parametrize(
    "timezone", ["US/Eastern", "GMT", "Etc/UTC", "utc", "europe/berlin", "Europe/Atlantis", "Mars/Base"]
)
def test_timezones_outside_phps_list_are_refused(api: Api, timezone: str) -> None:
    response = api.post("users", {"email": "tz.bad@example.com", "username": "tz.bad", "timezone": timezone})
    assert validation_fields(response) == {"timezone": "in"}
    assert error_of(response)["detail"] == "The selected timezone is invalid."


def refused_rules(response: Any) -> list[tuple[str, str]]:
    assert response.status_code == 422, response.text
    return [(entry["meta"]["source_field"], entry["meta"]["rule"]) for entry in response.json()["errors"]]


@pytest.mark.parametrize(
    ("field", "rules"),
    [("timezone", ["string", "in"]), ("is_managed_externally", ["boolean"]), ("language", ["string"])],
)
def test_null_or_empty_is_refused_not_reset(api: Api, pelican: RunningEmulator, field: str, rules: list[str]) -> None:
    name = f"tz.null.{field[:8]}"
    user = create(api, name, timezone="Africa/Lagos", is_managed_externally=True)
    for value in (None, ""):  # the panel turns "" into null, which every rule but `in` refuses as a type
        body = {"email": f"{name}@example.com", "username": name, field: value}
        assert refused_rules(api.patch(f"users/{user['id']}", body)) == [(field, rule) for rule in rules]
    row = stored(pelican, user["id"])
    assert (row["timezone"], row["is_managed_externally"], row["language"]) == ("Africa/Lagos", True, "en")


def test_a_timezone_that_is_not_a_string_fails_both_rules(api: Api) -> None:
    response = api.post("users", {"email": "tz.int@example.com", "username": "tz.int", "timezone": 5})
    assert refused_rules(response) == [("timezone", "string"), ("timezone", "in")]
