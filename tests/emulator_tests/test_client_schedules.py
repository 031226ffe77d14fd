"""Client API schedules and tasks, plus the cron evaluation behind next_run_at."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from client_helpers import ClientEnv, add_extra_server, assert_error, start_client_env, validation_fields

from ptero_emulator.cron import CronError, cron_next_run
from ptero_emulator.state import State

CRON = {"minute": "*/15", "hour": "*", "day_of_month": "*", "month": "*", "day_of_week": "*"}


def _prepare(state: State) -> dict[str, Any]:
    no_backups = add_extra_server(state, "No backups", limits=(0, 0, 0))
    other = add_extra_server(state, "Other", owner="admin")
    foreign = state.insert(
        "schedules",
        {
            "server_id": other["id"],
            "name": "Foreign",
            "cron_day_of_week": "*",
            "cron_month": "*",
            "cron_day_of_month": "*",
            "cron_hour": "*",
            "cron_minute": "0",
            "is_active": True,
            "is_processing": False,
            "only_when_online": False,
            "last_run_at": None,
            "next_run_at": None,
        },
    )
    return {"no_backups": no_backups["uuid_short"], "foreign_schedule": foreign["id"]}


# These tests describe panel 1.11 (no per-server limiters; test_panel_versions_*.py covers the newer panels).
PANEL_1_11 = {"panel_version": "1.11"}


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ClientEnv]:
    environment = start_client_env(tmp_path_factory.mktemp("client-schedules"), _prepare, **PANEL_1_11)
    try:
        yield environment
    finally:
        environment.emulator.stop()


def _epoch(text: str) -> float:
    return datetime(*map(int, text.replace("T", "-").replace(":", "-").split("-")), tzinfo=UTC).timestamp()


def _schedules(env: ClientEnv, server: str | None = None) -> str:
    return f"/api/client/servers/{server or env.facts['survival']}/schedules"


def _create(env: ClientEnv, server: str | None = None, **fields: Any) -> dict[str, Any]:
    body = {"name": "Every quarter", **CRON, **fields}
    response = env.post(_schedules(env, server), json=body)
    assert response.status_code == 200, response.text
    return response.json()["attributes"]


def _task(env: ClientEnv, schedule_id: int, **fields: Any) -> Any:
    body = {"action": "command", "payload": "say hi", "time_offset": 0, **fields}
    return env.post(f"{_schedules(env)}/{schedule_id}/tasks", json=body)


def test_cron_next_run() -> None:
    base = datetime(2024, 1, 31, 10, 7, 30, tzinfo=UTC).timestamp()

    def next_run(*parts: str) -> str:
        return datetime.fromtimestamp(cron_next_run(*parts, base), tz=UTC).strftime("%Y-%m-%d %H:%M")

    assert next_run("*/15", "*", "*", "*", "*") == "2024-01-31 10:15"
    assert next_run("0", "4", "*", "*", "*") == "2024-02-01 04:00"
    assert next_run("0", "0", "L", "*", "*") == "2024-02-29 00:00"
    assert next_run("0", "12", "*", "*", "MON") == "2024-02-05 12:00"
    assert next_run("30", "9", "1", "*", "5") == "2024-02-01 09:30"  # day-of-month OR day-of-week (Friday)
    assert next_run("0", "0", "*", "JUN", "1#2") == "2024-06-10 00:00"
    assert next_run("7", "10", "*", "*", "*") == "2024-02-01 10:07"  # the current minute is never returned
    for parts in (
        ("61", "*", "*", "*", "*"),
        ("*", "*", "*", "13", "*"),
        ("a", "*", "*", "*", "*"),
        ("*/0", "*", "*", "*", "*"),
        ("0", "0", "30", "2", "?"),
        ("* *", "*", "*", "*", "*"),
    ):
        with pytest.raises(CronError):
            cron_next_run(*parts, base)


def test_list_and_view_include_tasks(env: ClientEnv) -> None:
    body = env.get(_schedules(env)).json()
    assert body["object"] == "list" and "meta" not in body
    nightly = body["data"][0]
    assert nightly["object"] == "server_schedule"
    attributes = nightly["attributes"]
    assert attributes["cron"] == {"day_of_week": "*", "day_of_month": "*", "month": "*", "hour": "4", "minute": "0"}
    tasks = attributes["relationships"]["tasks"]["data"]
    assert [t["attributes"]["sequence_id"] for t in tasks] == [1, 2] and tasks[0]["object"] == "schedule_task"
    view = env.get(f"{_schedules(env)}/{attributes['id']}").json()
    assert view["attributes"]["name"] == "Nightly restart"
    assert_error(
        env.get(f"{_schedules(env)}/{env.facts['foreign_schedule']}"),
        404,
        "NotFoundHttpException",
        "The requested resource could not be found on the server.",
    )
    assert_error(env.get(f"{_schedules(env)}/abc"), 404, "NotFoundHttpException")


def test_create_validation_and_cron(env: ClientEnv) -> None:
    created = _create(env)
    assert created["is_active"] is False and created["only_when_online"] is False  # is_active defaults to false
    assert created["last_run_at"] is None
    next_run = _epoch(created["next_run_at"][:19])
    assert datetime.fromtimestamp(next_run, tz=UTC).minute % 15 == 0
    assert validation_fields(env.post(_schedules(env), json={"minute": "*"})) == [
        ("name", "required"),
        ("hour", "required"),
        ("day_of_month", "required"),
        ("day_of_week", "required"),
    ]
    invalid = env.post(_schedules(env), json={"name": "bad", **CRON, "minute": "99"})
    assert_error(invalid, 400, "DisplayException", "The cron data provided does not evaluate to a valid expression.")
    no_month = {key: value for key, value in CRON.items() if key != "month"}
    assert env.post(_schedules(env), json={"name": "no month", **no_month}).status_code == 500
    assert_error(env.post(_schedules(env), "helper", json={"name": "x", **CRON}), 403, "AccessDeniedHttpException")


def test_update_is_a_full_replace(env: ClientEnv) -> None:
    created = _create(env, is_active=True, only_when_online=True)
    path = f"{_schedules(env)}/{created['id']}"
    response = env.post(path, json={"name": "Renamed", **CRON, "hour": "3", "minute": "0"})
    assert response.status_code == 200
    attributes = response.json()["attributes"]
    assert attributes["name"] == "Renamed" and attributes["cron"]["hour"] == "3"
    assert attributes["is_active"] is False and attributes["only_when_online"] is False  # omitted -> false
    assert attributes["next_run_at"][11:16] == "03:00"
    assert env.delete(path).status_code == 204
    assert_error(env.get(path), 404, "NotFoundHttpException")


def test_task_sequence_ordering(env: ClientEnv) -> None:
    schedule = _create(env)
    ids = [_task(env, schedule["id"], payload=f"t{i}").json()["attributes"]["id"] for i in range(3)]
    inserted = _task(env, schedule["id"], payload="first", sequence_id=1).json()["attributes"]
    assert inserted["sequence_id"] == 1

    def order() -> list[str]:
        tasks = env.get(f"{_schedules(env)}/{schedule['id']}").json()["attributes"]["relationships"]["tasks"]["data"]
        return [t["attributes"]["payload"] for t in sorted(tasks, key=lambda t: t["attributes"]["sequence_id"])]

    assert order() == ["first", "t0", "t1", "t2"]
    moved = env.post(
        f"{_schedules(env)}/{schedule['id']}/tasks/{inserted['id']}",
        json={"action": "command", "payload": "first", "time_offset": 5, "sequence_id": 3},
    )
    assert moved.status_code == 200 and moved.json()["attributes"]["time_offset"] == 5
    assert order() == ["t0", "t1", "first", "t2"]
    assert env.delete(f"{_schedules(env)}/{schedule['id']}/tasks/{ids[0]}").status_code == 204
    assert order() == ["t1", "first", "t2"]
    assert_error(env.delete(f"{_schedules(env)}/{schedule['id']}/tasks/{ids[0]}"), 404, "NotFoundHttpException")
    assert_error(
        env.delete(f"{_schedules(env)}/{schedule['id']}/tasks/{ids[1]}", "helper"),
        403,
        "HttpForbiddenException",
        "You do not have permission to perform this action.",
    )


def test_task_validation_and_limits(env: ClientEnv) -> None:
    schedule = _create(env)
    assert validation_fields(_task(env, schedule["id"], payload=None)) == [("payload", "required_unless")]
    assert validation_fields(_task(env, schedule["id"], action="reboot", time_offset=901)) == [
        ("action", "in"),
        ("time_offset", "max"),
    ]
    backup_task = _task(env, schedule["id"], action="backup", payload=None)
    assert backup_task.status_code == 200 and backup_task.json()["attributes"]["payload"] == ""
    env.configure(schedule_task_limit=2)
    try:
        assert _task(env, schedule["id"]).status_code == 200
        assert_error(
            _task(env, schedule["id"]),
            400,
            "ServiceLimitExceededException",
            "Schedules may not have more than 2 tasks associated with them. Creating this task would put "
            "this schedule over the limit.",
        )
    finally:
        env.configure(schedule_task_limit=10)
    other = _create(env, server=env.facts["no_backups"])
    response = env.post(
        f"{_schedules(env, env.facts['no_backups'])}/{other['id']}/tasks", json={"action": "backup", "time_offset": 0}
    )
    assert_error(
        response,
        403,
        "HttpForbiddenException",
        "A backup task cannot be created when the server's backup limit is set to 0.",
    )


def test_execute(env: ClientEnv) -> None:
    empty = _create(env)
    assert_error(
        env.post(f"{_schedules(env)}/{empty['id']}/execute"),
        400,
        "DisplayException",
        "Cannot process schedule for task execution: no tasks are registered.",
    )
    schedule = _create(env)
    _task(env, schedule["id"], action="power", payload="start")
    _task(env, schedule["id"], action="command", payload="say started", time_offset=0)
    response = env.post(f"{_schedules(env)}/{schedule['id']}/execute")
    assert response.status_code == 202 and response.json() == []

    def finished() -> bool:
        attributes = env.get(f"{_schedules(env)}/{schedule['id']}").json()["attributes"]
        return attributes["is_processing"] is False and attributes["last_run_at"] is not None

    env.wait_for(finished)
    events = [row["event"] for row in env.rows("activity")]
    assert "server:schedule.execute" in events
    # A command task against an offline server fails the manual run with the daemon's error.
    offline = _create(env, server=env.facts["no_backups"])
    env.post(
        f"{_schedules(env, env.facts['no_backups'])}/{offline['id']}/tasks",
        json={"action": "command", "payload": "say hi", "time_offset": 0},
    )
    failed = env.post(f"{_schedules(env, env.facts['no_backups'])}/{offline['id']}/execute")
    assert_error(failed, 502, "DaemonConnectionException")
    state = env.get(f"{_schedules(env, env.facts['no_backups'])}/{offline['id']}").json()["attributes"]
    assert state["is_processing"] is False
