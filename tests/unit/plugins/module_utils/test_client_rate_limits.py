# Private to ptero.panel: not a public API.
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Panel 1.12+ rate limits at the HTTP level: per-server limiters are waited out within the retry budget and named
when the budget is spent; the daily e-mail change limit is named and never retried."""

from __future__ import annotations

import pytest

from ansible_collections.ptero.panel.plugins.module_utils._client import PanelError, period_words

BASE_URL = "https://panel.example.test"
SERVER = BASE_URL + "/api/client/servers/1a7ce997"
THROTTLED = {"errors": [{"code": "ThrottleRequestsException", "status": "429", "detail": "Too Many Attempts."}]}
EMAIL_LIMIT = {
    "errors": [
        {
            "code": "TooManyRequestsHttpException",
            "status": "429",
            "detail": "Your email address has been changed too many times today. Please try again later.",
        }
    ]
}


def throttled_headers(limit: int, retry_after: int) -> dict[str, str]:
    """The headers a per-server limiter sends with its 429 (real panel 1.14.1)."""
    return {
        "Retry-After": str(retry_after),
        "X-RateLimit-Limit": str(limit),
        "X-RateLimit-Remaining": "0",
        "X-RateLimit-Reset": "1790000000",
    }


# operation, method, url, path parameters, body, the limit's count, the words naming it
PER_SERVER_ROUTES = [
    ("client.servers.websocket", "GET", SERVER + "/websocket", {}, None, 5, "5 websocket tokens per minute per server"),
    (
        "client.databases.create",
        "POST",
        SERVER + "/databases",
        {},
        {"database": "shop", "remote": "%"},
        2,
        "2 database creations per minute per server",
    ),
    (
        "client.schedules.create",
        "POST",
        SERVER + "/schedules",
        {},
        {"name": "nightly"},
        2,
        "2 schedule creations per minute per server",
    ),
    (
        "client.allocations.create",
        "POST",
        SERVER + "/network/allocations",
        {},
        None,
        2,
        "2 network allocation creations per minute per server",
    ),
    (
        "client.subusers.create",
        "POST",
        SERVER + "/users",
        {},
        {"email": "helper@example.com", "permissions": []},
        10,
        "10 subuser creations per 15 minutes per server",
    ),
    (
        "client.backups.restore",
        "POST",
        SERVER + "/backups/4c1b5d77-2b6b-4c39-9b9f-4f1d6b0e2f10/restore",
        {"backup": "4c1b5d77-2b6b-4c39-9b9f-4f1d6b0e2f10"},
        {"truncate": False},
        3,
        "3 backup restores per 15 minutes per server",
    ),
    (
        "client.files.pull",
        "POST",
        SERVER + "/files/pull",
        {},
        {"url": "https://example.com/a.jar"},
        5,
        "5 file pulls per 10 minutes per server",
    ),
]


def params(extra: dict) -> dict:
    return {"server": "1a7ce997", **extra}


@pytest.mark.parametrize(("operation", "method", "url", "extra", "body", "limit", "words"), PER_SERVER_ROUTES)
def test_a_per_server_429_is_waited_out_and_the_request_sent_again(
    operation, method, url, extra, body, limit, words, panel, make_client, sleeps
):
    panel.add(method, url, status=429, json=THROTTLED, headers=throttled_headers(limit, 42))
    ok = {"data": {"token": "t", "socket": "wss://n/ws"}} if operation.endswith("websocket") else {}
    panel.add(method, url, status=200 if ok else 204, json=ok or None)
    client = make_client()
    client.call(operation, params(extra), body=body)
    # A 429 applied nothing, so even a POST is sent again.
    assert sleeps == [42.0] and len(panel.calls) == 2


@pytest.mark.parametrize(("operation", "method", "url", "extra", "body", "limit", "words"), PER_SERVER_ROUTES)
def test_a_per_server_429_names_the_limit_when_the_budget_is_spent(
    operation, method, url, extra, body, limit, words, panel, make_client, sleeps
):
    panel.add(method, url, status=429, json=THROTTLED, headers=throttled_headers(limit, 37))
    client = make_client(retries=0)
    with pytest.raises(PanelError) as caught:
        client.call(operation, params(extra), body=body)
    error = caught.value
    assert f"the panel allows {words} (panel 1.12.0+); retry after 37s" in str(error)
    assert (error.status, error.retry_after) == (429, 37.0)
    assert error.write_state == ("read" if method == "GET" else "not_applied")


def test_schedule_limit_message_after_the_retries(panel, make_client, sleeps):
    panel.add("POST", SERVER + "/schedules", status=429, json=THROTTLED, headers=throttled_headers(2, 37))
    client = make_client(retries=2)
    with pytest.raises(PanelError) as caught:
        client.call("client.schedules.create", params({}), body={"name": "nightly"})
    assert sleeps == [37.0, 37.0] and len(panel.calls) == 3
    assert str(caught.value) == (
        "POST /api/client/servers/1a7ce997/schedules -> 429 ThrottleRequestsException: Too Many Attempts. "
        "(the panel allows 2 schedule creations per minute per server (panel 1.12.0+); retry after 37s) "
        "(gave up after 3 attempts)"
    )


def test_a_restore_window_longer_than_the_budget_fails_at_once_naming_the_limit(panel, make_client, sleeps):
    url = SERVER + "/backups/b1/restore"
    panel.add("POST", url, status=429, json=THROTTLED, headers=throttled_headers(3, 900))
    client = make_client()  # retries 5 x max_retry_after 60 = a 300 s budget: 900 s cannot fit
    with pytest.raises(PanelError) as caught:
        client.call("client.backups.restore", params({"backup": "b1"}), body={"truncate": False})
    assert sleeps == [] and len(panel.calls) == 1
    assert "3 backup restores per 15 minutes per server" in str(caught.value)
    assert "retry after 900s" in str(caught.value)


def test_the_api_wide_limit_on_a_per_server_route_is_named_as_such(panel, make_client, sleeps):
    # The api.client limiter answers first: its headers carry its own count, not the route's.
    panel.add("GET", SERVER + "/websocket", status=429, json=THROTTLED, headers=throttled_headers(256, 12))
    with pytest.raises(PanelError) as caught:
        make_client(retries=0).call("client.servers.websocket", params({}))
    message = str(caught.value)
    assert "the panel allows 256 client API requests per minute per user; retry after 12s" in message
    assert "websocket tokens" not in message


def test_the_daily_email_change_limit_is_named_and_not_retried(panel, make_client, sleeps):
    url = BASE_URL + "/api/client/account/email"
    panel.add(
        "PUT", url, status=429, json=EMAIL_LIMIT, headers={"X-RateLimit-Limit": "60", "X-RateLimit-Remaining": "57"}
    )
    panel.add("PUT", url, status=204)
    client = make_client()
    with pytest.raises(PanelError) as caught:
        client.call("client.account.update_email", body={"email": "new@example.com", "password": "hunter2hunter2"})
    error = caught.value
    assert sleeps == [] and len(panel.calls) == 1 and client.request_count == 1
    assert (error.status, error.code, error.retry_after, error.write_state) == (
        429,
        "TooManyRequestsHttpException",
        None,
        "not_applied",
    )
    message = str(error)
    assert "the panel allows 3 e-mail address changes per 24 hours per user (panel 1.12.3+)" in message
    assert "not retried" in message and "try again tomorrow" in message
    assert "hunter2hunter2" not in message


def test_the_email_route_throttle_is_named(panel, make_client, sleeps):
    url = BASE_URL + "/api/client/account/email"
    panel.add(
        "PUT",
        url,
        status=429,
        json=THROTTLED,
        headers={"Retry-After": "20", "X-RateLimit-Limit": "60", "X-RateLimit-Remaining": "0"},
    )
    with pytest.raises(PanelError) as caught:
        make_client(retries=0).call("client.account.update_email", body={"email": "a@b.cd", "password": "pw123456"})
    assert "the panel allows 60 e-mail change requests per minute per user; retry after 20s" in str(caught.value)


def test_backup_creation_throttle_keeps_the_panels_own_words(panel, make_client, sleeps):
    body = {
        "errors": [
            {
                "code": "TooManyRequestsHttpException",
                "status": "429",
                "detail": "Only 2 backups may be generated within a 600 second span of time.",
            }
        ]
    }
    panel.add("POST", SERVER + "/backups", status=429, json=body, headers={"Retry-After": "600"})
    with pytest.raises(PanelError) as caught:
        make_client().call("client.backups.create", params({}), body={"name": "nightly"})
    assert str(caught.value).endswith(
        "Only 2 backups may be generated within a 600 second span of time. (retry after 600s)"
    )


def test_a_1_11_panel_api_limit_is_named(panel, make_client, sleeps):
    panel.add(
        "GET",
        BASE_URL + "/api/application/users",
        status=429,
        json=THROTTLED,
        headers={"Retry-After": "5", "X-RateLimit-Limit": "240", "X-RateLimit-Remaining": "0"},
    )
    with pytest.raises(PanelError) as caught:
        make_client(retries=0).call("application.users.list")
    assert "the panel allows 240 application API requests per minute per user; retry after 5s" in str(caught.value)


@pytest.mark.parametrize(
    ("seconds", "words"),
    [(60, "minute"), (600, "10 minutes"), (900, "15 minutes"), (3600, "hour"), (86400, "24 hours"), (45, "45 seconds")],
)
def test_period_words(seconds, words):
    assert period_words(seconds) == words
