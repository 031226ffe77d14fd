"""Panel 1.12+ per-server resource limiters (panel-versions.md A2, B5; real-panel-1.14.1.md §2.1-§2.8), and the
route-binding 404s that cost no rate limit (real-panel-1.12.2.md D8, real-panel-1.14.1.md D3). Panel 1.11 has no
per-server limiters."""

from __future__ import annotations

import time
from typing import Any

import pytest
import requests
from client_helpers import ClientEnv, add_extra_server, add_subuser, assert_error, client_env_fixture

from ptero_emulator.state import State

THROTTLED = ("ThrottleRequestsException", "Too Many Attempts.")


def _prepare(state: State) -> dict[str, Any]:
    facts: dict[str, Any] = {}
    for name in ("Limits A", "Limits B", "Limits C"):
        server = add_extra_server(state, name, limits=(10, 10, 10))
        facts[name.split()[-1].lower()] = server["uuid_short"]
    a = state.find("servers", uuid_short=facts["a"])
    # "reader" may only read files on server A: its database/schedule requests are refused (403).
    add_subuser(state, "reader", a, ["websocket.connect", "file.read"])
    facts["_extra_keys"] = {"reader": "reader"}
    return facts


SETTINGS = {
    "allocation_range": [31000, 31100],
    "backup_seconds": 0.2,
    "restore_seconds": 0.2,
    "extra": {"backups_fail": True},
}


env = client_env_fixture("limits", "1.14", _prepare, **SETTINGS)


@pytest.fixture(autouse=True)
def _fresh_buckets(env: ClientEnv) -> None:
    env.emulator.clear_rate_limits()


old_env = client_env_fixture("limits", "1.11", _prepare, **SETTINGS)
env_1_12 = client_env_fixture("limits", "1.12", _prepare, **SETTINGS)


def _server(env: ClientEnv, name: str = "a") -> str:
    return f"/api/client/servers/{env.facts[name]}"


def _limit_headers(response: requests.Response) -> tuple[str, str]:
    return response.headers.get("X-RateLimit-Limit", ""), response.headers.get("X-RateLimit-Remaining", "")


def assert_throttled(response: requests.Response, limit: int, period: int) -> None:
    assert_error(response, 429, *THROTTLED)
    assert response.headers["X-RateLimit-Limit"] == str(limit)
    assert response.headers["X-RateLimit-Remaining"] == "0"
    assert 0 < int(response.headers["Retry-After"]) <= period
    assert int(response.headers["X-RateLimit-Reset"]) >= int(time.time())


# ------------------------------------------------------------------------------------------------- websocket
def test_websocket_token_5_a_minute_per_server_shared_by_every_key(env: ClientEnv) -> None:
    path = _server(env) + "/websocket"
    answers = [env.get(path, who) for who in ("player", "player", "admin", "reader", "player")]
    assert [a.status_code for a in answers] == [200] * 5
    assert [_limit_headers(a) for a in answers] == [("5", str(n)) for n in (4, 3, 2, 1, 0)]
    sixth = env.get(path, "admin")
    assert_throttled(sixth, 5, 60)
    assert int(sixth.headers["Retry-After"]) >= 55
    # Another server has its own bucket.
    other = env.get(_server(env, "b") + "/websocket")
    assert other.status_code == 200 and _limit_headers(other) == ("5", "4")


def test_limiter_window_resets_after_its_period(env: ClientEnv) -> None:
    env.configure(server_resource_limits={"websocket": [2, 1]})
    try:
        path = _server(env, "c") + "/websocket"
        assert [env.get(path).status_code for _unused in range(3)] == [200, 200, 429]
        time.sleep(1.1)
        assert env.get(path).status_code == 200
    finally:
        env.configure(server_resource_limits={"websocket": [5, 60]})


# ------------------------------------------------------------------------------------------------- creation
def test_databases_2_a_minute_counting_422_and_403(env: ClientEnv) -> None:
    path = _server(env) + "/databases"
    invalid = env.post(path, json={"database": "", "remote": "%"})
    assert invalid.status_code == 422 and _limit_headers(invalid) == ("2", "1")
    refused = env.post(path, "reader", json={"database": "nope", "remote": "%"})
    assert_error(refused, 403, "AccessDeniedHttpException")
    assert _limit_headers(refused) == ("2", "0")
    assert_throttled(env.post(path, json={"database": "shop", "remote": "%"}), 2, 60)


def test_schedules_2_a_minute(env: ClientEnv) -> None:
    path = _server(env, "b") + "/schedules"
    body = {"name": "s", "minute": "0", "hour": "*", "day_of_month": "*", "month": "*", "day_of_week": "*"}
    first, second, third = (env.post(path, json=body) for _unused in range(3))
    assert (first.status_code, second.status_code) == (200, 200)
    assert _limit_headers(first) == ("2", "1") and _limit_headers(second) == ("2", "0")
    assert_throttled(third, 2, 60)
    assert int(third.headers["Retry-After"]) >= 55


def test_allocations_2_a_minute(env: ClientEnv) -> None:
    path = _server(env, "c") + "/network/allocations"
    answers = [env.post(path) for _unused in range(3)]
    assert [a.status_code for a in answers[:2]] == [200, 200]
    assert_throttled(answers[2], 2, 60)


def test_subusers_10_per_15_minutes_counting_422(env: ClientEnv) -> None:
    path = _server(env, "b") + "/users"
    invalid = env.post(path, json={"email": "not an address", "permissions": ["file.read"]})
    assert invalid.status_code == 422 and _limit_headers(invalid) == ("10", "9")
    for number in range(9):
        created = env.post(path, json={"email": f"limit{number}@example.org", "permissions": ["file.read"]})
        assert created.status_code == 200 and _limit_headers(created) == ("10", str(8 - number))
    assert_throttled(env.post(path, json={"email": "late@example.org", "permissions": ["file.read"]}), 10, 900)


def test_restore_3_per_15_minutes_counting_400(env: ClientEnv) -> None:
    path = _server(env) + "/backups"
    backup = env.post(path, json={"name": "will fail"}).json()["attributes"]
    env.wait_for(lambda: env.get(f"{path}/{backup['uuid']}").json()["attributes"]["completed_at"] is not None)
    restore = f"{path}/{backup['uuid']}/restore"
    refused = [env.post(restore, json={"truncate": False}) for _unused in range(3)]
    for number, answer in enumerate(refused):
        assert_error(
            answer,
            400,
            "BadRequestHttpException",
            "This backup cannot be restored at this time: not completed or failed.",
        )
        assert _limit_headers(answer) == ("3", str(2 - number))
    fourth = env.post(restore, json={"truncate": False})
    assert_throttled(fourth, 3, 900)
    assert int(fourth.headers["Retry-After"]) >= 890


def test_pull_5_per_10_minutes_per_server_replaces_the_user_throttle(env: ClientEnv) -> None:
    env.configure(files_pull_throttle=[1, 300])  # the 1.11 per-user throttle no longer applies
    path = _server(env, "c") + "/files/pull"
    answers = [
        env.post(path, who, json={"url": f"https://example.com/f{n}.jar"})
        for n, who in enumerate(("player", "admin", "player", "admin", "player"))
    ]
    assert [a.status_code for a in answers] == [204] * 5
    assert _limit_headers(answers[0]) == ("5", "4")
    assert_throttled(env.post(path, "admin", json={"url": "https://example.com/late.jar"}), 5, 600)


def test_limits_also_on_1_12(env_1_12: ClientEnv) -> None:
    path = _server(env_1_12) + "/websocket"
    answers = [env_1_12.get(path) for _unused in range(6)]
    assert [a.status_code for a in answers] == [200] * 5 + [429]
    assert _limit_headers(answers[0]) == ("5", "4")
    assert_throttled(answers[5], 5, 60)


# ------------------------------------------------------------------------------------------------- panel 1.11
def test_no_per_server_limits_on_1_11(old_env: ClientEnv) -> None:
    websocket = [old_env.get(_server(old_env) + "/websocket") for _unused in range(7)]
    assert [a.status_code for a in websocket] == [200] * 7
    assert websocket[0].headers["X-RateLimit-Limit"] == "720"
    body = {"name": "s", "minute": "0", "hour": "*", "day_of_month": "*", "month": "*", "day_of_week": "*"}
    assert [old_env.post(_server(old_env, "b") + "/schedules", json=body).status_code for _unused in range(3)] == [
        200
    ] * 3
    assert [old_env.post(_server(old_env, "c") + "/network/allocations").status_code for _unused in range(3)] == [
        200
    ] * 3
    databases = [
        old_env.post(_server(old_env) + "/databases", json={"database": f"db{n}x", "remote": "%"}) for n in range(3)
    ]
    assert [a.status_code for a in databases] == [200] * 3
    assert databases[0].headers["X-RateLimit-Limit"] == "720"


def test_1_11_pull_keeps_the_per_user_throttle(old_env: ClientEnv) -> None:
    old_env.configure(files_pull_throttle=[2, 300])
    path = _server(old_env, "b") + "/files/pull"
    answers = [old_env.post(path, json={"url": f"https://example.com/x{n}"}) for n in range(3)]
    assert [a.status_code for a in answers] == [204, 204, 429]
    assert answers[0].headers["X-RateLimit-Limit"] == "720"
    assert answers[2].headers["X-RateLimit-Limit"] == "2"
    assert old_env.post(path, "admin", json={"url": "https://example.com/admin"}).status_code == 204


# ------------------------------------------------------------------------------------------------- binding 404s
@pytest.mark.parametrize("version", ["1.14", "1.11"])
def test_binding_404s_carry_no_rate_limit_headers_and_cost_nothing(
    env: ClientEnv, old_env: ClientEnv, version: str
) -> None:
    target = env if version == "1.14" else old_env
    before = target.get("/api/client/account")
    remaining = int(before.headers["X-RateLimit-Remaining"])
    missing = [
        target.get("/api/client/servers/deadbeef"),
        target.get("/api/client/servers/00000000-0000-0000-0000-000000000000/resources"),
        target.get(_server(target) + "/schedules/999999"),
        target.get(_server(target) + "/backups/00000000-0000-0000-0000-000000000000"),
        target.get("/api/client/nope"),
        target.get("/api/application/nodes/99999", "application"),
        target.get("/api/application/locations/abc", "application"),
    ]
    for answer in missing:
        assert answer.status_code == 404, answer.text
        assert "X-RateLimit-Limit" not in answer.headers and "X-RateLimit-Remaining" not in answer.headers
    after = target.get("/api/client/account")
    assert int(after.headers["X-RateLimit-Remaining"]) == remaining - 1
    # A 404 that comes after the throttle (no access to an existing server) still counts and carries headers.
    no_access = target.get(_server(target), "stranger")
    assert no_access.status_code == 404 and "X-RateLimit-Limit" in no_access.headers
