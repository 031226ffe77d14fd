# Private to ptero.panel: not a public API.
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Schedule tasks against the panel 1.14.1 rules, at the HTTP level: bad tasks refused before anything is written,
a refused task of a new schedule rolls the schedule back, and permission 403s name the permissions needed."""

from __future__ import annotations

import json

import pytest
import responses

from ansible_collections.ptero.panel.plugins.modules import schedule

BASE_URL = "https://panel.example.test"
SERVER = {
    "identifier": "1a7ce997",
    "uuid": "1a7ce997-0000-4000-8000-000000000001",
    "name": "Survival",
    "feature_limits": {"databases": 0, "allocations": 0, "backups": 2},
}
SCHEDULES = f"{BASE_URL}/api/client/servers/{SERVER['uuid']}/schedules"
DENIED = {"errors": [{"code": "AccessDeniedHttpException", "status": "403", "detail": "This action is unauthorized."}]}
FORBIDDEN = {
    "errors": [
        {
            "code": "HttpForbiddenException",
            "status": "403",
            "detail": "You do not have permission to perform this action.",
        }
    ]
}
THROTTLED = {"errors": [{"code": "ThrottleRequestsException", "status": "429", "detail": "Too Many Attempts."}]}
CRON = {"minute": "0", "hour": "4", "day_of_month": "*", "month": "*", "day_of_week": "*"}


def schedule_body(tasks: list[dict] | None = None, schedule_id: int = 3) -> dict:
    attributes = {
        "id": schedule_id,
        "name": "Nightly",
        "cron": CRON,
        "is_active": True,
        "only_when_online": False,
        "relationships": {
            "tasks": {
                "object": "list",
                "data": [{"object": "schedule_task", "attributes": task} for task in tasks or []],
            }
        },
    }
    return {"object": "server_schedule", "attributes": attributes}


@pytest.fixture
def panel():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


def with_server(panel, server: dict | None = None) -> None:
    panel.add(
        "GET",
        f"{BASE_URL}/api/client/servers/{SERVER['identifier']}",
        json={"object": "server", "attributes": server or SERVER},
    )
    panel.add("GET", SCHEDULES, json={"object": "list", "data": []})


def run(run_module, tasks, **args):
    return run_module(
        schedule.main,
        {
            "url": BASE_URL,
            "server": SERVER["identifier"],
            "name": "Nightly",
            "minute": "0",
            "hour": "4",
            "tasks": tasks,
            **args,
        },
    )


def writes(panel) -> list[tuple[str, str]]:
    return [
        (call.request.method, call.request.url.split("/schedules", 1)[-1])
        for call in panel.calls
        if call.request.method != "GET"
    ]


@pytest.mark.parametrize(
    ("task", "words"),
    [
        (
            {"action": "power", "payload": "reboot"},
            "tasks[2]: a power task's payload must be one of start, stop, restart, kill",
        ),
        ({"action": "power", "payload": ""}, "tasks[2]: a power task's payload must be one of"),
        ({"action": "command"}, "tasks[2]: a command task needs the command as payload"),
        ({"action": "command", "payload": "   "}, "tasks[2]: a command task needs the command as payload"),
        ({"action": "backup", "time_offset": 901}, "tasks[2]: time_offset must be 0 to 900 seconds"),
    ],
)
def test_bad_tasks_are_refused_before_anything_is_asked(task, words, run_module, panel):
    outcome = run(run_module, [{"action": "command", "payload": "say hi"}, task])
    assert outcome.failed and outcome.result["msg"].startswith(words)
    assert len(panel.calls) == 0  # not even the server lookup


def test_a_backup_task_on_a_server_without_backups_is_refused_before_writing(run_module, panel):
    with_server(panel, {**SERVER, "feature_limits": {"backups": 0}})
    outcome = run(run_module, [{"action": "backup"}])
    assert outcome.failed and "backup limit is 0" in outcome.result["msg"]
    assert writes(panel) == []


def test_a_refused_task_of_a_new_schedule_deletes_the_schedule_again(run_module, panel):
    with_server(panel)
    panel.add("POST", SCHEDULES, json=schedule_body())
    panel.add(
        "POST",
        f"{SCHEDULES}/3/tasks",
        json={
            "object": "schedule_task",
            "attributes": {"id": 1, "sequence_id": 1, "action": "command", "payload": "say bye", "time_offset": 0},
        },
    )
    panel.add("POST", f"{SCHEDULES}/3/tasks", status=403, json=DENIED)
    panel.add("DELETE", f"{SCHEDULES}/3", status=204)
    outcome = run(run_module, [{"action": "command", "payload": "say bye"}, {"action": "power", "payload": "restart"}])
    assert outcome.failed and outcome.result["changed"] is False
    message = outcome.result["msg"]
    assert message.startswith("Could not add task 2 of schedule 'Nightly' of server 'Survival': POST ")
    assert "writing a power 'restart' task needs the schedule.update and control.restart permissions" in message
    assert "The new schedule was deleted again" in message
    assert writes(panel) == [("POST", ""), ("POST", "/3/tasks"), ("POST", "/3/tasks"), ("DELETE", "/3")]


def test_when_the_rollback_fails_too_the_task_says_what_is_left(run_module, panel):
    with_server(panel)
    panel.add("POST", SCHEDULES, json=schedule_body())
    panel.add("POST", f"{SCHEDULES}/3/tasks", status=403, json=DENIED)
    panel.add("DELETE", f"{SCHEDULES}/3", status=403, json=DENIED)
    outcome = run(run_module, [{"action": "backup"}])
    assert outcome.failed and outcome.result["changed"] is True
    assert "backup.create" in outcome.result["msg"]
    assert (
        "deleting it failed too" in outcome.result["msg"]
        and "delete it, or run the task again" in outcome.result["msg"]
    )


def test_a_refused_task_update_names_the_permission(run_module, panel):
    existing = {
        "id": 9,
        "sequence_id": 1,
        "action": "command",
        "payload": "say old",
        "time_offset": 0,
        "continue_on_failure": False,
    }
    panel.add(
        "GET", f"{BASE_URL}/api/client/servers/{SERVER['identifier']}", json={"object": "server", "attributes": SERVER}
    )
    panel.add("GET", SCHEDULES, json={"object": "list", "data": [schedule_body([existing])]})
    panel.add("POST", f"{SCHEDULES}/3/tasks/9", status=403, json=DENIED)
    outcome = run(run_module, [{"action": "command", "payload": "say new"}])
    assert outcome.failed
    assert "writing a command task needs the schedule.update and control.console permissions" in outcome.result["msg"]
    assert outcome.result["msg"].endswith("(run the task again to finish)")


def test_a_refused_run_lists_the_permissions_of_all_tasks(run_module, panel):
    tasks = [
        {
            "id": 1,
            "sequence_id": 1,
            "action": "command",
            "payload": "say bye",
            "time_offset": 0,
            "continue_on_failure": False,
        },
        {
            "id": 2,
            "sequence_id": 2,
            "action": "power",
            "payload": "start",
            "time_offset": 0,
            "continue_on_failure": False,
        },
    ]
    panel.add(
        "GET", f"{BASE_URL}/api/client/servers/{SERVER['identifier']}", json={"object": "server", "attributes": SERVER}
    )
    panel.add("GET", SCHEDULES, json={"object": "list", "data": [schedule_body(tasks)]})
    panel.add("POST", f"{SCHEDULES}/3/execute", status=403, json=FORBIDDEN)
    outcome = run(
        run_module, [{"action": "command", "payload": "say bye"}, {"action": "power", "payload": "start"}], execute=True
    )
    assert outcome.failed
    assert (
        "running a schedule needs the permissions of all its tasks (control.console, control.start)"
        in outcome.result["msg"]
    )


def test_the_schedule_creation_limit_is_named_when_the_budget_is_spent(run_module, panel):
    with_server(panel)
    panel.add(
        "POST",
        SCHEDULES,
        status=429,
        json=THROTTLED,
        headers={"Retry-After": "37", "X-RateLimit-Limit": "2", "X-RateLimit-Remaining": "0"},
    )
    outcome = run(run_module, [{"action": "command", "payload": "say hi"}])  # retries=0 in these tests
    assert outcome.failed
    assert (
        "the panel allows 2 schedule creations per minute per server (panel 1.12.0+); retry after 37s"
        in outcome.result["msg"]
    )
    assert json.loads(panel.calls[-1].request.body)["name"] == "Nightly"
