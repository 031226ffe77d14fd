# Private to ptero.panel: not a public API.
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Panel error bodies become PanelError with readable messages, the right write_state, and no secrets."""

from __future__ import annotations

import json

import pytest
import requests

from ansible_collections.ptero.panel.plugins.module_utils._client import PanelConnectionError, PanelError

BASE_URL = "https://panel.example.test"  # the make_client fixture's default
SENTINEL_KEY = "ptla_SENTINELkey" + "S3CR3TSENTINELVALUE0123456789ABC"  # the api_key fixture
PASSWORD = "Pa55-SENTINEL-word"


def panel_error(status: int, code: str, detail: str, **meta: str) -> dict:
    entry = {"code": code, "status": str(status), "detail": detail}
    if meta:
        entry["meta"] = meta
    return {"errors": [entry]}


ERROR_CASES = [
    (400, "DisplayException", "Cannot delete a user with active servers attached to their account."),
    (401, "AuthenticationException", "Unauthenticated."),
    (403, "AccessDeniedHttpException", "This action is unauthorized."),
    (404, "NotFoundHttpException", "The requested resource could not be found on the server."),
    (
        409,
        "ServerStateConflictException",
        "This server is currently suspended and the functionality requested is unavailable.",
    ),
    (429, "ThrottleRequestsException", "Too Many Attempts."),
    (500, "HttpException", "An unexpected error was encountered while processing this request, please try again."),
]


@pytest.mark.parametrize(("status", "code", "detail"), ERROR_CASES)
@pytest.mark.parametrize(
    ("method", "name", "params", "body"),
    [
        ("GET", "application.users.get", {"user": 3}, None),
        ("POST", "application.servers.reinstall", {"server": 3}, None),
    ],
)
def test_error_mapping(status, code, detail, method, name, params, body, panel, make_client, sleeps):
    path = "/api/application/users/3" if method == "GET" else "/api/application/servers/3/reinstall"
    headers = {"Retry-After": "7"} if status == 429 else {}
    panel.add(method, BASE_URL + path, status=status, json=panel_error(status, code, detail), headers=headers)
    client = make_client(retries=0)
    with pytest.raises(PanelError) as caught:
        client.call(name, params, body=body)
    error = caught.value
    assert not isinstance(error, PanelConnectionError)
    assert (error.method, error.path, error.status, error.code, error.detail) == (method, path, status, code, detail)
    assert str(error).startswith(f"{method} {path} -> {status} {code}: {detail}")
    assert error.errors == [{"code": code, "status": str(status), "detail": detail, "source_field": None, "rule": None}]
    if method == "GET":
        assert error.write_state == "read"
    else:
        assert error.write_state == ("unknown" if status >= 500 else "not_applied")
        assert ("may have been applied" in str(error)) == (status >= 500)
    assert error.retry_after == (7.0 if status == 429 else None)
    assert json.loads(json.dumps(error.to_dict()))["status"] == status


def test_validation_errors_list_every_field(panel, make_client):
    body = {
        "errors": [
            {
                "code": "ValidationException",
                "status": "422",
                "detail": "The email has already been taken.",
                "meta": {"source_field": "email", "rule": "unique"},
            },
            {
                "code": "ValidationException",
                "status": "422",
                "detail": "The username must be at least 3 characters.",
                "meta": {"source_field": "username", "rule": "between"},
            },
            {
                "code": "ValidationException",
                "status": "422",
                "detail": "The object failed a check.",
                "meta": {"source_field": "", "rule": ""},
            },
        ]
    }
    panel.add("POST", BASE_URL + "/api/application/users", status=422, json=body)
    with pytest.raises(PanelError) as caught:
        make_client().call("application.users.create", body={"email": "taken@example.com", "username": "ab"})
    error = caught.value
    assert str(error) == (
        "POST /api/application/users -> 422 ValidationException: email: The email has already "
        "been taken.; username: The username must be at least 3 characters.; The object failed a check."
    )
    assert error.code == "ValidationException" and error.detail == "The email has already been taken."
    assert [(e["source_field"], e["rule"]) for e in error.errors] == [
        ("email", "unique"),
        ("username", "between"),
        ("", ""),
    ]
    assert error.write_state == "not_applied"


def test_non_json_error_bodies_use_the_reason_phrase(panel, make_client):
    html = "<html><body><h1>502 Bad Gateway</h1><hr>nginx</body></html>"
    panel.add("GET", BASE_URL + "/api/application/nodes", status=502, body=html, content_type="text/html")
    with pytest.raises(PanelError) as caught:
        make_client(retries=0).call("application.nodes.list")
    error = caught.value
    assert str(error) == "GET /api/application/nodes -> 502 Bad Gateway"
    assert error.code is None and error.detail == "Bad Gateway" and error.errors == []
    assert "<html" not in json.dumps(error.to_dict())


def test_json_content_type_with_a_broken_body(panel, make_client):
    panel.add("GET", BASE_URL + "/api/application/nodes", status=500, body="{not json", content_type="application/json")
    with pytest.raises(PanelError, match=r"-> 500 Internal Server Error$"):
        make_client(retries=0).call("application.nodes.list")


def test_a_2xx_answer_that_is_not_json(panel, make_client):
    panel.add(
        "POST", BASE_URL + "/api/application/locations", status=200, body="<html>login</html>", content_type="text/html"
    )
    with pytest.raises(PanelError) as caught:
        make_client().call("application.locations.create", body={"short": "x"})
    error = caught.value
    assert error.code == "UnexpectedResponse" and error.status == 200 and error.write_state == "unknown"
    assert "text/html" in str(error) and "<html" not in str(error)


def test_redirects_are_not_followed(panel, make_client):
    panel.add(
        "GET",
        BASE_URL + "/api/application/users",
        status=302,
        headers={"Location": "https://panel.example.test/auth/login?token=secret-redirect-token"},
    )
    client = make_client()
    with pytest.raises(PanelError) as caught:
        client.call("application.users.list")
    error = caught.value
    assert client.request_count == 1 and error.status == 302 and error.code == "Redirect"
    assert "https://panel.example.test/auth/login" in str(error) and "secret-redirect-token" not in str(error)


def test_configuration_not_persisted_is_reported_as_maybe_applied(panel, make_client):
    detail = (
        "The daemon configuration has been updated, however there was an error encountered while attempting "
        "to automatically update the configuration file on the Daemon."
    )
    panel.add(
        "PATCH",
        BASE_URL + "/api/application/nodes/2",
        status=400,
        json=panel_error(400, "ConfigurationNotPersistedException", detail),
    )
    with pytest.raises(PanelError) as caught:
        make_client().call("application.nodes.update", {"node": 2}, body={"name": "n"})
    assert caught.value.write_state == "unknown" and "saved the change" in str(caught.value)


def assert_no_secret(error: PanelError, *secrets: str) -> None:
    exposed = [str(error), repr(error), json.dumps(error.to_dict()), str(error.args)]
    for secret in secrets:
        for text in exposed:
            assert secret not in text


@pytest.mark.parametrize("status", [400, 401, 422, 500])
def test_secrets_never_appear_in_errors(status, panel, make_client, sleeps):
    # A misbehaving panel echoing the key, the password and another long body value.
    echo = f"Bearer {SENTINEL_KEY} rejected for {PASSWORD} and sentinel-long-value-42"
    panel.add(
        "PUT",
        BASE_URL + "/api/client/account/password",
        status=status,
        json=panel_error(status, "DisplayException", echo, source_field="password", rule="min"),
    )
    with pytest.raises(PanelError) as caught:
        make_client(retries=0).call(
            "client.account.update_password",
            body={
                "current_password": "old",
                "password": PASSWORD,
                "password_confirmation": PASSWORD,
                "note": "sentinel-long-value-42",
            },
        )
    error = caught.value
    assert_no_secret(error, SENTINEL_KEY, PASSWORD, "sentinel-long-value-42")
    assert "********" in str(error)


@pytest.mark.parametrize(
    "failure",
    [
        requests.exceptions.ReadTimeout(f"read timed out for Bearer {SENTINEL_KEY}"),
        requests.exceptions.ConnectionError(f"reset while sending {PASSWORD}"),
        requests.exceptions.SSLError(f"certificate verify failed: bad {SENTINEL_KEY}"),
    ],
)
def test_secrets_never_appear_in_transport_errors(failure, panel, make_client, sleeps):
    panel.add("POST", BASE_URL + "/api/client/account/two-factor", body=failure)
    with pytest.raises(PanelConnectionError) as caught:
        make_client(retries=0).call("client.two_factor.enable", body={"code": "123456", "password": PASSWORD})
    assert_no_secret(caught.value, SENTINEL_KEY, PASSWORD)
    assert caught.value.__cause__ is None and caught.value.__suppress_context__


def test_websocket_credentials_are_data_and_never_logged(panel, make_client):
    token = "eyJhbGciOiJIUzI1NiJ9.SENTINEL-TOKEN.sig"
    panel.add(
        "GET",
        BASE_URL + "/api/client/servers/abcd1234/websocket",
        json={"data": {"token": token, "socket": "wss://node:8080/api/servers/u/ws"}},
    )
    client = make_client()
    assert client.call("client.servers.websocket", {"server": "abcd1234"})["token"] == token
    assert token not in repr(client)


def test_secrets_of_a_pre_encoded_json_body_are_hidden(panel, make_client):
    panel.add(
        "PUT",
        BASE_URL + "/api/client/account/email",
        status=400,
        json=panel_error(400, "InvalidPasswordProvidedException", f"wrong: {PASSWORD}"),
    )
    with pytest.raises(PanelError) as caught:
        make_client().call("client.account.update_email", body=json.dumps({"email": "a@b.c", "password": PASSWORD}))
    assert_no_secret(caught.value, PASSWORD)
    assert str(caught.value) == "PUT /api/client/account/email -> 400 InvalidPasswordProvidedException: wrong: ********"
