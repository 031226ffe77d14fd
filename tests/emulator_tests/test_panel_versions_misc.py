"""Smaller differences of the newer panels: SSH key checks, schedule task rules, allocation notes on server
deletion, the user.create activity (panel-versions.md A8, A10, A12, A14; real-panel-1.14.1.md §2.6, §2.7), and
behaviour that is the same on every version (egg JSON columns, real-panel-1.12.2.md D13; Wings close hook, B6)."""

from __future__ import annotations

import json
from typing import Any

import pytest
import websocket
from client_helpers import ClientEnv, add_extra_server, add_subuser, assert_error, client_env_fixture, validation_fields
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import dsa, ed25519

from ptero_emulator.state import State

SCHEDULE = {"name": "tasks", "minute": "0", "hour": "*", "day_of_month": "*", "month": "*", "day_of_week": "*"}


def _prepare(state: State) -> dict[str, Any]:
    survival = state.find("servers", name="Survival")
    add_subuser(state, "planner", survival, ["websocket.connect", "schedule.read", "schedule.update"])
    notes = add_extra_server(state, "Noted", limits=(1, 2, 1))
    extra = next(a for a in state.rows("allocations") if a["node_id"] == notes["node_id"] and a["server_id"] is None)
    extra.update({"server_id": notes["id"], "notes": "second port"})
    # A schedule saved by an older panel with a power payload that maps to no permission.
    legacy = state.insert(
        "schedules",
        {
            "server_id": survival["id"],
            "name": "Legacy",
            "cron_day_of_week": "*",
            "cron_month": "*",
            "cron_day_of_month": "*",
            "cron_hour": "4",
            "cron_minute": "0",
            "is_active": True,
            "is_processing": False,
            "only_when_online": False,
            "last_run_at": None,
            "next_run_at": None,
        },
    )
    state.insert(
        "tasks",
        {
            "schedule_id": legacy["id"],
            "sequence_id": 1,
            "action": "power",
            "payload": "reboot",
            "time_offset": 0,
            "is_queued": False,
            "continue_on_failure": False,
        },
    )
    return {
        "_extra_keys": {"planner": "planner"},
        "noted": notes["uuid_short"],
        "noted_id": notes["id"],
        "noted_allocation": extra["id"],
        "legacy_schedule": legacy["id"],
    }


env = client_env_fixture("misc", "1.14", _prepare)
old_env = client_env_fixture("misc", "1.11", _prepare)


@pytest.fixture(autouse=True)
def _fresh_buckets(request: pytest.FixtureRequest) -> None:
    for name in ("env", "old_env"):
        if name in request.fixturenames:
            request.getfixturevalue(name).emulator.clear_rate_limits()


def _openssh(key: Any) -> str:
    return key.public_key().public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH).decode()


def _ssh(env: ClientEnv, public_key: Any, name: str = "k") -> Any:
    body = {"name": name} if public_key is None else {"name": name, "public_key": public_key}
    return env.post("/api/client/account/ssh-keys", "stranger", json=body)


def _entries(response: Any) -> list[tuple[str, str, str]]:
    assert response.status_code == 422, response.text
    return [(e["meta"]["source_field"], e["meta"]["rule"], e["detail"]) for e in response.json()["errors"]]


# ------------------------------------------------------------------------------------------------- SSH keys
# DSA keys are generated on purpose (the panel refuses them); cryptography warns that it will drop them.
DSA_WARNINGS = pytest.mark.filterwarnings("ignore::cryptography.utils.CryptographyDeprecationWarning")


@DSA_WARNINGS
def test_ssh_key_prefixes_and_size_on_1_14(env: ClientEnv) -> None:
    invalid = ("public_key", "", "The public key provided is not valid.")
    dsa_key = _openssh(dsa.generate_private_key(key_size=1024))
    assert _entries(_ssh(env, dsa_key)) == [invalid]
    body = _openssh(ed25519.Ed25519PrivateKey.generate()).split()[1]
    assert _entries(_ssh(env, f"foo-bar {body}")) == [invalid]
    assert _entries(_ssh(env, body)) == [invalid]
    padded = "  " + _openssh(ed25519.Ed25519PrivateKey.generate()) + " c@x  "
    assert _ssh(env, padded, "padded").status_code == 200
    assert _entries(_ssh(env, "ssh-ed25519 " + "A" * 16400)) == [
        ("public_key", "max", "The public key may not be greater than 16384 characters."),
        invalid,
    ]
    assert _entries(_ssh(env, None)) == [("public_key", "required", "The public key field is required.")]


@DSA_WARNINGS
def test_ssh_keys_on_1_11(old_env: ClientEnv) -> None:
    dsa_key = _openssh(dsa.generate_private_key(key_size=1024))
    assert _entries(_ssh(old_env, dsa_key)) == [("public_key", "", "DSA keys are not supported.")]
    body = _openssh(ed25519.Ed25519PrivateKey.generate()).split()[1]
    assert _entries(_ssh(old_env, "ssh-ed25519 " + "A" * 16400)) == [
        ("public_key", "", "The public key provided is not valid.")
    ]
    assert [rule for _f, rule, _d in _entries(_ssh(old_env, f"foo-bar {body}"))] == [""]


# ------------------------------------------------------------------------------------------------- tasks
def _schedule(env: ClientEnv) -> str:
    path = f"/api/client/servers/{env.facts['survival']}/schedules"
    created = env.post(path, json=SCHEDULE)
    assert created.status_code == 200, created.text
    return f"{path}/{created.json()['attributes']['id']}"


def _task(env: ClientEnv, schedule: str, who: str = "player", **body: Any) -> Any:
    return env.post(schedule + "/tasks", who, json={"time_offset": 0, **body})


def test_task_payload_and_permissions_on_1_14(env: ClientEnv) -> None:
    schedule = _schedule(env)
    assert _entries(_task(env, schedule, action="power", payload="reboot")) == [
        ("payload", "in", "The selected payload is invalid.")
    ]
    started = _task(env, schedule, action="power", payload="start")
    assert started.status_code == 200
    task_id = started.json()["attributes"]["id"]
    assert validation_fields(
        env.post(f"{schedule}/tasks/{task_id}", json={"action": "power", "payload": "boot", "time_offset": 0})
    ) == [("payload", "in")]
    assert _entries(_task(env, schedule, action="command")) == [
        ("payload", "required_unless", "The payload field is required unless action is in backup.")
    ]
    assert validation_fields(_task(env, schedule, action="nope", payload="x")) == [("action", "in")]
    for body in (
        {"action": "command", "payload": "say hi"},
        {"action": "power", "payload": "restart"},
        {"action": "backup"},
    ):
        assert_error(
            _task(env, schedule, "planner", **body), 403, "AccessDeniedHttpException", "This action is unauthorized."
        )
    # An action that maps to no permission is left to validation, even for a subuser.
    assert validation_fields(_task(env, schedule, "planner", action="power", payload="reboot")) == [("payload", "in")]
    assert_error(
        env.post(
            f"{schedule}/tasks/{task_id}", "planner", json={"action": "command", "payload": "say", "time_offset": 0}
        ),
        403,
        "AccessDeniedHttpException",
    )
    assert_error(
        env.post(schedule + "/execute", "planner"),
        403,
        "HttpForbiddenException",
        "You do not have permission to perform this action.",
    )
    assert env.post(schedule, "planner", json={**SCHEDULE, "name": "renamed"}).status_code == 200
    assert env.post(schedule + "/execute", "admin").status_code == 202


def test_execute_refuses_everyone_for_a_task_without_permission(env: ClientEnv) -> None:
    path = f"/api/client/servers/{env.facts['survival']}/schedules/{env.facts['legacy_schedule']}/execute"
    for who in ("player", "admin"):
        assert_error(
            env.post(path, who), 403, "HttpForbiddenException", "You do not have permission to perform this action."
        )


def test_tasks_on_1_11(old_env: ClientEnv) -> None:
    schedule = _schedule(old_env)
    assert _task(old_env, schedule, action="power", payload="reboot").status_code == 200
    assert _task(old_env, schedule, "planner", action="command", payload="say hi").status_code == 200
    # No permission check on execute: the run reaches Wings, which refuses the stored "reboot" power action.
    executed = old_env.post(schedule + "/execute", "planner")
    assert_error(executed, 422, "DaemonConnectionException")
    assert "Invalid power action provided." in executed.json()["errors"][0]["detail"]


# ------------------------------------------------------------------------------------------------- notes, activity
@pytest.mark.parametrize("version", ["1.14", "1.11"])
def test_server_deletion_and_allocation_notes(env: ClientEnv, old_env: ClientEnv, version: str) -> None:
    target = env if version == "1.14" else old_env
    deleted = target.call("DELETE", f"/api/application/servers/{target.facts['noted_id']}", "application")
    assert deleted.status_code == 204
    allocation = next(a for a in target.rows("allocations") if a["id"] == target.facts["noted_allocation"])
    assert allocation["server_id"] is None
    assert allocation["notes"] == (None if version == "1.14" else "second port")


def test_user_create_activity(env: ClientEnv, old_env: ClientEnv) -> None:
    for target, logged in ((env, True), (old_env, False)):
        created = target.post(
            "/api/application/users",
            "application",
            json={"email": "fresh@example.com", "username": "fresh", "first_name": "F", "last_name": "R"},
        )
        assert created.status_code == 201
        user_id = created.json()["attributes"]["id"]
        rows = [row for row in target.rows("activity") if row["event"] == "user:user.create"]
        assert bool(rows) is logged
        if logged:
            assert rows[0]["subject_user_id"] == user_id


# ------------------------------------------------------------------------------------------------- every version
@pytest.mark.parametrize("version", ["1.14", "1.11"])
def test_empty_egg_json_objects_come_back_as_lists(env: ClientEnv, old_env: ClientEnv, version: str) -> None:
    target = env if version == "1.14" else old_env
    eggs = target.get("/api/application/nests/1/eggs", "application").json()["data"]
    configs = [egg["attributes"]["config"] for egg in eggs]
    assert any(config["logs"] == [] for config in configs)
    assert all(config["logs"] != {} and config["files"] != {} and config["startup"] != {} for config in configs)


def test_wings_close_hook_sends_any_code(env: ClientEnv) -> None:
    data = env.get(f"/api/client/servers/{env.facts['survival']}/websocket").json()["data"]
    socket = websocket.create_connection(data["socket"], origin=env.url, timeout=5)
    try:
        socket.send(json.dumps({"event": "auth", "args": [data["token"]]}))
        assert json.loads(socket.recv()) == {"event": "auth success"}
        env.emulator.control(
            "POST", f"wings/servers/{env.facts['survival_uuid']}/close", {"code": 4400, "reason": "reserved"}
        )
        while True:
            opcode, payload = socket.recv_data(control_frame=True)
            if opcode == websocket.ABNF.OPCODE_CLOSE:
                break
        assert int.from_bytes(payload[:2], "big") == 4400 and payload[2:] == b"reserved"
    finally:
        socket.close()
