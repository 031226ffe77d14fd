"""The request pipeline of the emulator: routing errors, authentication, key types, JSON parsing, 2FA, IP allow-list,
ACL, rate limits, input normalisation and the request log (against a real emulator process)."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import requests

from ptero_emulator.fixture import TEST_DEFAULTS, Api, RunningEmulator, error_of, start_emulator
from ptero_emulator.seed import seed_state
from ptero_emulator.state import State


@pytest.fixture(scope="module")
def api(app_api: Api) -> Api:
    return app_api


def test_unknown_route_is_404_without_authentication(module_emulator: RunningEmulator) -> None:
    response = requests.get(module_emulator.url + "/api/application/nope", headers={"Accept": "application/json"})
    assert response.status_code == 404
    assert response.json() == {
        "errors": [
            {
                "code": "NotFoundHttpException",
                "status": "404",
                "detail": "The route api/application/nope could not be found.",
            }
        ]
    }


def test_wrong_method_is_405_with_supported_methods(api: Api) -> None:
    response = api.request("PUT", "users/1")
    assert response.status_code == 405
    assert error_of(response)["detail"] == (
        "The PUT method is not supported for route api/application/users/1. "
        "Supported methods: GET, HEAD, PATCH, DELETE."
    )


def test_missing_or_wrong_token_is_401(module_emulator: RunningEmulator) -> None:
    url = module_emulator.url + "/api/application/users"
    for headers in (
        {},
        {"Authorization": "Bearer " + module_emulator.application_key[:-1] + "x"},
        {"Authorization": "Bearer short"},
    ):
        response = requests.get(url, headers={"Accept": "application/json", **headers})
        assert response.status_code == 401
        assert error_of(response) == {"code": "AuthenticationException", "status": "401", "detail": "Unauthenticated."}


def test_without_json_accept_errors_are_not_json(module_emulator: RunningEmulator) -> None:
    response = requests.get(module_emulator.url + "/api/application/users", allow_redirects=False)
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/auth/login")
    headers = {"Authorization": "Bearer " + module_emulator.application_key, "Accept": "text/html"}
    response = requests.get(module_emulator.url + "/api/application/users/999999", headers=headers)
    assert response.status_code == 404 and response.headers["Content-Type"].startswith("text/html")


def test_key_types(module_emulator: RunningEmulator) -> None:
    application = Api(module_emulator, "application")
    admin_client = Api(module_emulator, "client")
    user_client = Api(module_emulator, "user")
    response = application.get("/api/client")
    assert response.status_code == 403
    assert error_of(response)["detail"] == (
        "You are attempting to use an application API key on an endpoint that requires a client API key."
    )
    response = user_client.get("users")
    assert response.status_code == 403
    assert error_of(response)["detail"] == "This account does not have permission to access the API."
    assert user_client.post("users", {}).status_code == 403  # before validation
    # Route-model binding runs before the root-admin check.
    assert user_client.get("users/999999").status_code == 404
    # A root admin's client key has full application access.
    assert admin_client.get("users").status_code == 200


def test_malformed_json_is_400_after_authentication(module_emulator: RunningEmulator, api: Api) -> None:
    response = api.request("POST", "locations", data="{not json", headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert error_of(response)["code"] == "BadRequestHttpException"
    assert error_of(response)["detail"].startswith("The JSON data passed in the request appears to be malformed")
    anonymous = requests.post(
        module_emulator.url + "/api/application/locations",
        data="{not json",
        headers={"Accept": "application/json", "Content-Type": "application/json"},
    )
    assert anonymous.status_code == 401


def test_strings_are_trimmed_and_empty_strings_become_null(api: Api) -> None:
    response = api.post("locations", {"short": "  trim.me  ", "long": ""})
    assert response.status_code == 201, response.text
    assert response.json()["attributes"]["short"] == "trim.me"
    assert response.json()["attributes"]["long"] is None


def test_form_encoded_bodies_are_accepted(api: Api) -> None:
    response = api.request(
        "POST",
        "locations",
        data={"short": "form.loc", "long": "From a form"},
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 201, response.text
    assert response.json()["attributes"]["long"] == "From a form"


def test_head_answers_get_routes(api: Api) -> None:
    response = api.request("HEAD", "users")
    assert response.status_code == 200 and response.content == b""


def test_successful_responses_carry_rate_limit_headers(api: Api) -> None:
    response = api.get("locations")
    assert int(response.headers["X-RateLimit-Limit"]) == TEST_DEFAULTS["app_rate_limit"]
    assert int(response.headers["X-RateLimit-Remaining"]) < TEST_DEFAULTS["app_rate_limit"]


def test_request_log_records_metadata_only(module_emulator: RunningEmulator, api: Api) -> None:
    module_emulator.clear_requests()
    api.post("locations", {"short": "log.me", "long": "secret-ish body"})
    api.get("locations", params={"filter[short]": "log"})
    entries = module_emulator.requests()
    assert [(e["method"], e["path"], e["status"]) for e in entries] == [
        ("POST", "/api/application/locations", 201),
        ("GET", "/api/application/locations", 200),
    ]
    assert entries[1]["query"] == "filter[short]=log"
    assert "secret-ish" not in json.dumps(entries)
    module_emulator.clear_requests()
    assert module_emulator.requests() == []


def test_latency_is_added(module_emulator: RunningEmulator, api: Api) -> None:
    module_emulator.configure(latency_ms=300)
    try:
        started = time.monotonic()
        assert api.get("locations").status_code == 200
        assert time.monotonic() - started >= 0.3
    finally:
        module_emulator.configure(latency_ms=0)


def test_two_factor_requirement_blocks_api_keys(module_emulator: RunningEmulator, api: Api) -> None:
    module_emulator.configure(two_factor_required=2)
    try:
        response = api.get("users")
        assert response.status_code == 400
        assert error_of(response) == {
            "code": "TwoFactorAuthRequiredException",
            "status": "400",
            "detail": "Two-factor authentication is required on this account in order to access this endpoint.",
        }
    finally:
        module_emulator.configure(two_factor_required=0)
    assert api.get("users").status_code == 200


def test_rate_limit_429_with_headers_and_separate_buckets(tmp_path: Path) -> None:
    emulator = start_emulator(tmp_path, seed="demo", app_rate_limit=3, client_rate_limit=2, rate_period_seconds=30)
    try:
        application, client = Api(emulator, "application"), Api(emulator, "client")
        remaining = [application.get("locations").headers["X-RateLimit-Remaining"] for _unused in range(3)]
        assert remaining == ["2", "1", "0"]
        limited = application.get("locations")
        assert limited.status_code == 429
        assert error_of(limited) == {
            "code": "ThrottleRequestsException",
            "status": "429",
            "detail": "Too Many Attempts.",
        }
        assert 1 <= int(limited.headers["Retry-After"]) <= 30
        assert limited.headers["X-RateLimit-Limit"] == "3" and limited.headers["X-RateLimit-Remaining"] == "0"
        assert int(limited.headers["X-RateLimit-Reset"]) >= int(time.time())
        # The admin's client key shares the user's application bucket (same user) ...
        assert client.get("users").status_code == 429
        # ... but the client API has its own bucket.
        assert client.get("/api/client").headers["X-RateLimit-Limit"] == "2"
        # Moving the clock past the window opens a new one.
        emulator.advance(seconds=31)
        assert application.get("locations").status_code == 200
    finally:
        emulator.stop()


def _state_file_with(tmp_path: Path, change: Callable[[State], None]) -> Path:
    """A demo state, modified in-process, written where --state-file can load it."""
    state = State()
    seed_state(state, "demo")
    change(state)
    path = tmp_path / "state.json"
    path.write_text(json.dumps(state.to_json()))
    return path


@pytest.fixture(scope="module")
def restricted_emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningEmulator]:
    """Demo data where the application key is read-only for users/servers, has no nest access, and the player's
    client key is limited to 10.0.0.0/8."""

    def change(state: State) -> None:
        application = state.find("api_keys", key_type=2)
        application.update({"r_users": 1, "r_servers": 1, "r_nests": 0, "r_allocations": 2})
        player = state.find("users", username="player")
        state.find("api_keys", user_id=player["id"])["allowed_ips"] = ["10.0.0.0/8"]

    tmp_path = tmp_path_factory.mktemp("restricted")
    emulator = start_emulator(tmp_path, seed="demo", state_file=str(_state_file_with(tmp_path, change)))
    try:
        yield emulator
    finally:
        emulator.stop()


def test_application_key_acl(restricted_emulator: RunningEmulator) -> None:
    api = Api(restricted_emulator)
    assert api.get("users").status_code == 200
    denied = api.post("users", {})  # 403 wins over 422
    assert denied.status_code == 403
    assert error_of(denied) == {
        "code": "AccessDeniedHttpException",
        "status": "403",
        "detail": "This action is unauthorized.",
    }
    assert api.get("nests").status_code == 403
    # WRITE without READ does not allow reading.
    assert api.get("nodes/1/allocations").status_code == 403
    # An include without the READ bit becomes a null_resource.
    relationships = api.get("servers/1", params={"include": "nest,user"}).json()["attributes"]["relationships"]
    assert relationships["nest"] == {"object": "null_resource", "attributes": None}
    assert relationships["user"]["object"] == "user"
    # Binding happens before authorization: unknown ids are 404 even without permission.
    assert api.get("nests/99").status_code == 404


def test_ip_allow_list(restricted_emulator: RunningEmulator) -> None:
    response = Api(restricted_emulator, "user").get("/api/client")
    assert response.status_code == 403
    assert error_of(response)["detail"] == (
        "This IP address (127.0.0.1) does not have permission to access the API using these credentials."
    )
    activity = restricted_emulator.state("activity")
    assert any(row["event"] == "auth:ip-blocked" for row in activity)


def test_control_state_dump_masks_secrets(module_emulator: RunningEmulator) -> None:
    dump = module_emulator.state()
    keys = dump["tables"]["api_keys"]
    assert keys and all(key["token"] == "[redacted]" for key in keys)
    assert all(user["password"] in (None, "[redacted]") for user in dump["tables"]["users"])
    assert module_emulator.application_key[16:] not in json.dumps(dump)
    assert re.fullmatch(r"ptla_[A-Za-z0-9]{11}[A-Za-z0-9]{32}", module_emulator.application_key)
