# Private to ptero.panel: not a public API.
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Retry rules: 429 and failed connects for every method; 5xx, timeouts and drops only where re-sending is safe."""

from __future__ import annotations

import email.utils
from datetime import UTC, datetime, timedelta

import pytest
import requests
import urllib3

from ansible_collections.ptero.panel.plugins.module_utils._client import (
    PanelConnectionError,
    PanelError,
    _parse_retry_after,
)

BASE_URL = "https://panel.example.test"  # the make_client fixture's default
USERS = BASE_URL + "/api/application/users"
USER_BODY = {"object": "user", "attributes": {"id": 1}}
THROTTLED = {"errors": [{"code": "ThrottleRequestsException", "status": "429", "detail": "Too Many Attempts."}]}
BAD_GATEWAY = {"errors": [{"code": "HttpException", "status": "502", "detail": "Bad Gateway"}]}


def refused() -> requests.exceptions.ConnectionError:
    """What requests raises when nothing listens on the port (the request was never sent)."""
    connection = urllib3.connection.HTTPSConnection("panel.example.test", 443)
    new_connection = urllib3.exceptions.NewConnectionError(connection, "Failed to establish a new connection: refused")
    new_connection.__cause__ = ConnectionRefusedError(111, "Connection refused")
    return requests.exceptions.ConnectionError(urllib3.exceptions.MaxRetryError(None, "/api", new_connection))


def dropped() -> requests.exceptions.ConnectionError:
    """What requests raises when the panel closes the connection after reading the request."""
    reason = urllib3.exceptions.ProtocolError("Connection aborted.", ConnectionResetError(104, "reset by peer"))
    return requests.exceptions.ConnectionError(reason)


def test_429_with_retry_after_seconds_is_retried_for_a_post(panel, make_client, sleeps):
    panel.add("POST", USERS, status=429, json=THROTTLED, headers={"Retry-After": "3"})
    panel.add("POST", USERS, status=201, json=USER_BODY)
    client = make_client()
    assert client.call("application.users.create", body={"email": "a@b.c"}) == {"id": 1}
    assert sleeps == [3.0]
    assert client.request_count == 2 and len(panel.calls) == 2


def test_429_with_an_http_date_retry_after(panel, make_client, sleeps):
    when = email.utils.format_datetime(datetime.now(UTC) + timedelta(seconds=10), usegmt=True)
    panel.add("GET", USERS, status=429, json=THROTTLED, headers={"Retry-After": when})
    panel.add("GET", USERS, json={"object": "list", "data": []})
    make_client().call("application.users.list")
    assert len(sleeps) == 1 and 8.0 <= sleeps[0] <= 10.0


def test_429_without_retry_after_backs_off_exponentially_with_jitter(panel, make_client, sleeps):
    for _attempt in range(3):
        panel.add("DELETE", USERS + "/1", status=429, json=THROTTLED)
    panel.add("DELETE", USERS + "/1", status=204)
    make_client(backoff_factor=0.5).call("application.users.delete", {"user": 1})
    assert len(sleeps) == 3
    for attempt, delay in enumerate(sleeps):
        nominal = 0.5 * 2**attempt
        assert nominal / 2 <= delay <= nominal


def test_retry_after_is_capped_at_max_retry_after(panel, make_client, sleeps):
    panel.add("GET", USERS, status=429, json=THROTTLED, headers={"Retry-After": "120"})
    panel.add("GET", USERS, status=429, json=THROTTLED, headers={"Retry-After": "60"})
    panel.add("GET", USERS, json={"object": "list", "data": []})
    make_client(max_retry_after=60).call("application.users.list")
    assert sleeps == [60.0, 60.0]


def test_a_wait_longer_than_the_budget_is_not_attempted(panel, make_client, sleeps):
    # The backup throttle asks for up to 600 s: waiting less cannot succeed, so fail at once with the hint.
    body = {
        "errors": [
            {
                "code": "TooManyRequestsHttpException",
                "status": "429",
                "detail": "Only 2 backups may be generated within a 600 second span of time.",
            }
        ]
    }
    url = BASE_URL + "/api/client/servers/abcd1234/backups"
    panel.add("POST", url, status=429, json=body, headers={"Retry-After": "600"})
    client = make_client()
    with pytest.raises(PanelError) as caught:
        client.call("client.backups.create", {"server": "abcd1234"}, body={"name": "nightly"})
    error = caught.value
    assert sleeps == [] and client.request_count == 1
    assert (error.status, error.code, error.retry_after, error.write_state) == (
        429,
        "TooManyRequestsHttpException",
        600.0,
        "not_applied",
    )
    assert "retry after 600s" in str(error)


def test_429_gives_up_after_the_retries(panel, make_client, sleeps):
    panel.add("GET", USERS, status=429, json=THROTTLED, headers={"Retry-After": "1"})
    client = make_client(retries=3)
    with pytest.raises(PanelError) as caught:
        client.call("application.users.list")
    assert client.request_count == 4 and sleeps == [1.0, 1.0, 1.0]
    assert caught.value.status == 429 and "gave up after 4 attempts" in str(caught.value)


@pytest.mark.parametrize(
    ("retries", "max_retry_after", "budget"), [(5, 60.0, 300.0), (2, 10.0, 60.0), (10, 60.0, 600.0)]
)
def test_total_sleep_never_exceeds_the_budget(retries, max_retry_after, budget, panel, make_client, sleeps):
    panel.add("GET", USERS, status=503, body="<html>maintenance</html>", content_type="text/html")
    client = make_client(retries=retries, backoff_factor=40.0, max_retry_after=max_retry_after)
    with pytest.raises(PanelError):
        client.call("application.users.list")
    assert sum(sleeps) <= budget + 1e-9
    assert sum(sleeps) >= budget / 2  # the budget is used, not wasted by an early stop


def test_502_on_get_is_retried(panel, make_client, sleeps):
    panel.add("GET", USERS + "/1", status=502, json=BAD_GATEWAY)
    panel.add("GET", USERS + "/1", status=502, body="<html>bad gateway</html>", content_type="text/html")
    panel.add("GET", USERS + "/1", json=USER_BODY)
    client = make_client()
    assert client.call("application.users.get", {"user": 1}) == {"id": 1}
    assert client.request_count == 3 and len(sleeps) == 2


@pytest.mark.parametrize(
    ("method", "name", "params"),
    [
        ("POST", "application.users.create", {}),
        ("PATCH", "application.users.update", {"user": 1}),
    ],
)
def test_502_on_a_write_is_not_resent(method, name, params, panel, make_client, sleeps):
    url = USERS + ("/1" if params else "")
    panel.add(method, url, status=502, json=BAD_GATEWAY)
    panel.add(method, url, json=USER_BODY)
    client = make_client()
    with pytest.raises(PanelError) as caught:
        client.call(name, params, body={"email": "a@b.c"})
    assert len(panel.calls) == 1 and client.request_count == 1 and sleeps == []
    error = caught.value
    assert error.status == 502 and error.write_state == "unknown"
    assert "may have been applied" in str(error)


@pytest.mark.parametrize(
    ("method", "name"), [("PUT", "client.account.update_email"), ("DELETE", "application.users.delete")]
)
def test_5xx_on_idempotent_writes_is_retried(method, name, panel, make_client, sleeps):
    params = {"user": 1} if name == "application.users.delete" else {}
    url = BASE_URL + ("/api/application/users/1" if params else "/api/client/account/email")
    panel.add(method, url, status=503)
    panel.add(method, url, status=500)
    panel.add(method, url, status=204)
    body = None if params else {"email": "a@b.c", "password": "x"}
    make_client().call(name, params, body=body)
    assert len(panel.calls) == 3


def test_5xx_on_a_put_reports_unknown_after_the_retries(panel, make_client, sleeps):
    url = BASE_URL + "/api/client/account/email"
    panel.add("PUT", url, status=500)
    with pytest.raises(PanelError) as caught:
        make_client(retries=1).call("client.account.update_email", body={"email": "a@b.c", "password": "pw123456"})
    assert caught.value.write_state == "unknown" and len(panel.calls) == 2


def test_extra_retry_codes(panel, make_client, sleeps):
    panel.add("GET", USERS, status=520)
    panel.add("GET", USERS, json={"object": "list", "data": []})
    make_client(extra_retry_codes=[520]).call("application.users.list")
    assert len(panel.calls) == 2
    panel.reset()
    panel.add("GET", USERS, status=520)
    client = make_client()
    with pytest.raises(PanelError) as caught:
        client.call("application.users.list")
    assert client.request_count == 1 and caught.value.status == 520


@pytest.mark.parametrize("make_error", [refused, lambda: requests.exceptions.ConnectTimeout("connect timed out")])
def test_failures_before_sending_are_retried_for_a_post(make_error, panel, make_client, sleeps):
    panel.add("POST", USERS, body=make_error())
    panel.add("POST", USERS, status=201, json=USER_BODY)
    client = make_client()
    assert client.call("application.users.create", body={"email": "a@b.c"}) == {"id": 1}
    assert client.request_count == 2 and len(sleeps) == 1


def test_failures_before_sending_report_not_applied(panel, make_client, sleeps):
    panel.add("POST", USERS, body=refused())
    client = make_client(retries=2)
    with pytest.raises(PanelConnectionError) as caught:
        client.call("application.users.create", body={"email": "a@b.c"})
    error = caught.value
    assert client.request_count == 3 and len(sleeps) == 2
    assert error.status is None and error.write_state == "not_applied"
    assert "connection refused by panel.example.test" in str(error)


@pytest.mark.parametrize(
    ("make_error", "words"),
    [
        (dropped, "closed before the answer"),
        (lambda: requests.exceptions.ReadTimeout("read timed out"), "timed out after 30s"),
        (lambda: requests.exceptions.ChunkedEncodingError("truncated"), "closed before the answer"),
    ],
)
def test_lost_answers_to_a_post_are_not_resent(make_error, words, panel, make_client, sleeps):
    panel.add("POST", USERS, body=make_error())
    panel.add("POST", USERS, status=201, json=USER_BODY)
    client = make_client()
    with pytest.raises(PanelConnectionError) as caught:
        client.call("application.users.create", body={"email": "a@b.c"})
    error = caught.value
    assert client.request_count == 1 and sleeps == []
    assert error.write_state == "unknown" and error.status is None
    assert words in str(error) and "may have been applied" in str(error)


@pytest.mark.parametrize("make_error", [dropped, lambda: requests.exceptions.ReadTimeout("read timed out")])
@pytest.mark.parametrize(
    ("method", "name", "params"),
    [
        ("GET", "application.users.get", {"user": 1}),
        ("DELETE", "application.users.delete", {"user": 1}),
    ],
)
def test_lost_answers_to_safe_methods_are_retried(make_error, method, name, params, panel, make_client, sleeps):
    panel.add(method, USERS + "/1", body=make_error())
    panel.add(method, USERS + "/1", json=USER_BODY)
    client = make_client()
    client.call(name, params)
    assert client.request_count == 2


def test_a_read_timeout_on_get_reports_read(panel, make_client, sleeps):
    panel.add("GET", USERS, body=requests.exceptions.ReadTimeout("read timed out"))
    client = make_client(retries=1, timeout=5)
    with pytest.raises(PanelConnectionError) as caught:
        client.call("application.users.list")
    assert caught.value.write_state == "read" and client.request_count == 2
    assert "timed out after 5s" in str(caught.value) and "gave up after 2 attempts" in str(caught.value)


def test_tls_failures_are_not_retried(panel, make_client, sleeps):
    panel.add(
        "GET",
        USERS,
        body=requests.exceptions.SSLError(
            "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: self-signed certificate (_ssl.c:1006)"
        ),
    )
    client = make_client()
    with pytest.raises(PanelConnectionError) as caught:
        client.call("application.users.list")
    assert client.request_count == 1 and sleeps == []
    assert "TLS certificate verify failed" in str(caught.value) and "self-signed certificate" in str(caught.value)


def test_no_retries_when_retries_is_zero(panel, make_client, sleeps):
    panel.add("GET", USERS, status=503)
    client = make_client(retries=0)
    with pytest.raises(PanelError):
        client.call("application.users.list")
    assert client.request_count == 1 and sleeps == []


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("5", 5.0),
        (" 2.5 ", 2.5),
        ("-3", 0.0),
        ("soon", None),
        ("", None),
        (None, None),
        ("Wed, 21 Oct 2015 07:28:00 GMT", 0.0),
    ],
)
def test_parse_retry_after(header, expected):
    assert _parse_retry_after(header) == expected


def test_delete_whose_lost_answer_was_applied_counts_as_done(panel, make_client, sleeps):
    """The first DELETE reached the panel but its answer was lost; the re-sent one finds nothing left (404)."""
    panel.delete(USERS + "/1", body=dropped())
    panel.delete(
        USERS + "/1",
        status=404,
        json={
            "errors": [
                {
                    "code": "NotFoundHttpException",
                    "status": "404",
                    "detail": "The requested resource could not be found.",
                }
            ]
        },
    )
    assert make_client(retries=2).call("application.users.delete", {"user": 1}) is None
    assert len(panel.calls) == 2


def test_delete_of_a_missing_object_still_fails(panel, make_client, sleeps):
    panel.delete(
        USERS + "/1",
        status=404,
        json={
            "errors": [
                {
                    "code": "NotFoundHttpException",
                    "status": "404",
                    "detail": "The requested resource could not be found.",
                }
            ]
        },
    )
    with pytest.raises(PanelError) as raised:
        make_client(retries=2).call("application.users.delete", {"user": 1})
    assert raised.value.status == 404
