"""E-mail rules and the e-mail change limit of the newer panels (panel-versions.md A5, A8;
real-panel-1.14.1.md §2.5, D4). Panel 1.11 keeps its lenient `email` rule and no change limit."""

from __future__ import annotations

import pytest
import requests
from client_helpers import ClientEnv, assert_error, client_env_fixture, validation_fields

from ptero_emulator.seed import HELPER_PASSWORD, PLAYER_PASSWORD

REFUSED_BY_STRICT = [
    "a..b@example.com",
    '"quoted"@example.com',
    "me@localhost",
    "x@example.com.",
    "user@[127.0.0.1]",
    "(c)a@example.com",
    "a b@example.com",
    "x@-example.com",
    "x@example",
]
ACCEPTED = [
    "a@b.c",
    "a+tag@example.com",
    "o'brien@example.com",
    "A@EXAMPLE.COM",
    "x@sub.example.co.uk",
    "ü@exämple.com",
    "jürgen.r@beispiel.org",
    "xr@bücher.de",
]
LIMIT_MESSAGE = "Your email address has been changed too many times today. Please try again later."


env = client_env_fixture("email", "1.14")
old_env = client_env_fixture("email", "1.11")
env_1_12 = client_env_fixture("email", "1.12")


def _new_user(env: ClientEnv, email: str, name: str) -> requests.Response:
    return env.post(
        "/api/application/users",
        "application",
        json={"email": email, "username": name, "first_name": "E", "last_name": "Mail"},
    )


def _entries(response: requests.Response) -> list[tuple[str, str, str]]:
    assert response.status_code == 422, response.text
    return [(e["meta"]["source_field"], e["meta"]["rule"], e["detail"]) for e in response.json()["errors"]]


# ------------------------------------------------------------------------------------------------- users
def test_application_users_leading_dash(env: ClientEnv) -> None:
    assert _entries(_new_user(env, "-x@example.com", "dash1")) == [
        ("email", "p_user_email", "The email must not start with a dash.")
    ]
    assert _entries(_new_user(env, '"-x"@example.com', "dash2")) == [
        ("email", "email", "The email must be a valid email address."),
        ("email", "p_user_email", "The email must not start with a dash."),
    ]


@pytest.mark.parametrize("address", REFUSED_BY_STRICT)
def test_application_users_strict_refusals(env: ClientEnv, address: str) -> None:
    assert _entries(_new_user(env, address, "strict" + str(abs(hash(address)) % 10000))) == [
        ("email", "email", "The email must be a valid email address.")
    ]


def test_application_users_strict_acceptances_and_collation(env: ClientEnv) -> None:
    for number, address in enumerate(ACCEPTED):
        created = _new_user(env, address, f"accepted{number}")
        assert created.status_code == 201, (address, created.text)
        assert created.json()["attributes"]["email"] == address  # stored as given
    # Uniqueness ignores case and accents (the database collation).
    for address in ("ü@example.com", "JÜRGEN.r@beispiel.org"):
        assert _entries(_new_user(env, address, "taken" + str(len(address)))) == [
            ("email", "unique", "The email has already been taken.")
        ]
    user = env.get("/api/application/users", "application", params={"filter[email]": "a@b.c"}).json()["data"][0]
    patched = env.call(
        "PATCH",
        f"/api/application/users/{user['attributes']['id']}",
        "application",
        json={"email": "-a@b.c", "username": user["attributes"]["username"], "first_name": "E", "last_name": "Mail"},
    )
    assert validation_fields(patched) == [("email", "p_user_email")]


def test_1_12_and_1_11_keep_the_lenient_rule(env_1_12: ClientEnv, old_env: ClientEnv) -> None:
    """Laravel's plain `email` (egulias RFCValidation): RFC warnings pass (no dot in the domain), RFC errors do not
    (two dots in a row, a dot at either end of the local part)."""
    for target in (env_1_12, old_env):
        assert _new_user(target, "-x@example.com", "dashok").status_code == 201
        assert _new_user(target, "me@localhost", "localok").status_code == 201
        for refused in ("a..b@example.com", ".a@example.com", "a.@example.com", "a@example..com"):
            assert _entries(_new_user(target, refused, "dots")) == [
                ("email", "email", "The email must be a valid email address.")
            ], refused
        assert _entries(_new_user(target, "not-an-email", "bad")) == [
            ("email", "email", "The email must be a valid email address.")
        ]


# ------------------------------------------------------------------------------------------------- e-mail change
def _change(env: ClientEnv, email: str, password: str = PLAYER_PASSWORD, who: str = "player") -> requests.Response:
    return env.put("/api/client/account/email", who, json={"email": email, "password": password})


def _email_of(env: ClientEnv, who: str = "player") -> str:
    return env.get("/api/client/account", who).json()["attributes"]["email"]


def _change_events(env: ClientEnv, who: str = "player") -> int:
    rows = env.get("/api/client/account/activity", who, params={"per_page": 100}).json()["data"]
    return sum(1 for row in rows if row["attributes"]["event"] == "user:account.email-changed")


def test_email_change_rules_and_daily_limit(env: ClientEnv) -> None:
    current = _email_of(env, "helper")
    same_other_case = _change(env, current.upper(), HELPER_PASSWORD, "helper")
    assert same_other_case.status_code == 204 and same_other_case.headers["X-RateLimit-Limit"] == "60"
    assert _change(env, current, HELPER_PASSWORD, "helper").status_code == 204
    assert _email_of(env, "helper") == current and _change_events(env, "helper") == 0

    assert validation_fields(_change(env, "-mailer@example.com")) == [("email", "p_user_email")]
    assert validation_fields(_change(env, "a..b@example.com")) == [("email", "email")]
    assert_error(_change(env, "m0@example.com", "wrong password"), 400, "InvalidPasswordProvidedException")

    answers = [_change(env, f"m{number}@example.com") for number in (1, 2, 3, 4)]
    assert [a.status_code for a in answers[:3]] == [204, 204, 204]
    limited = answers[3]
    assert_error(limited, 429, "TooManyRequestsHttpException", LIMIT_MESSAGE)
    assert "Retry-After" not in limited.headers and limited.headers["X-RateLimit-Limit"] == "60"
    assert int(limited.headers["X-RateLimit-Remaining"]) < 60
    # The limit is checked before the comparison: even the current address is refused now.
    assert_error(_change(env, "m3@example.com"), 429, "TooManyRequestsHttpException", LIMIT_MESSAGE)
    assert _email_of(env) == "m3@example.com" and _change_events(env) == 3
    env.emulator.clear_rate_limits()
    assert _change(env, "m5@example.com").status_code == 204


def test_email_change_on_1_11_has_no_limit(old_env: ClientEnv) -> None:
    answers = [_change(old_env, f"old{number}@example.com") for number in range(5)]
    assert [a.status_code for a in answers] == [204] * 5
    assert answers[0].headers["X-RateLimit-Limit"] == "720"
    # 1.11 compares case-sensitively: another case is a change.
    assert _change(old_env, "OLD4@example.com").status_code == 204
    assert _email_of(old_env) == "OLD4@example.com"
    assert _change(old_env, "-dash@example.com").status_code == 204


# ------------------------------------------------------------------------------------------------- subusers
def test_subuser_invites(env: ClientEnv) -> None:
    path = f"/api/client/servers/{env.facts['creative']}/users"
    dash = env.post(path, json={"email": "-helper@example.org", "permissions": ["file.read"]})
    assert validation_fields(dash) == [("email", "p_user_email")] and dash.headers["X-RateLimit-Limit"] == "10"
    assert validation_fields(env.post(path, json={"email": "a..b@example.org", "permissions": ["file.read"]})) == [
        ("email", "email")
    ]
    valid = env.post(path, json={"email": "new.helper@example.org", "permissions": ["file.read"]})
    assert valid.status_code == 200 and valid.headers["X-RateLimit-Remaining"] == "7"
    assert valid.json()["attributes"]["permissions"] == ["file.read", "websocket.connect"]


def test_subuser_invites_on_1_11(old_env: ClientEnv) -> None:
    path = f"/api/client/servers/{old_env.facts['creative']}/users"
    assert old_env.post(path, json={"email": "-helper@example.org", "permissions": ["file.read"]}).status_code == 200
    assert validation_fields(old_env.post(path, json={"email": "a..b@example.org", "permissions": ["file.read"]})) == [
        ("email", "email")
    ]
