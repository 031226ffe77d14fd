"""Client API backups: life cycle, throttle, limits, locking, restore and soft deletion."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from client_helpers import ClientEnv, add_extra_server, assert_error, start_client_env, validation_fields

from ptero_emulator.state import State


def _prepare(state: State) -> dict[str, Any]:
    servers = {
        name: add_extra_server(state, name, limits=(1, 1, limit))
        for name, limit in (
            ("Backups A", 5),
            ("Backups B", 2),
            ("Backups C", 0),
            ("Backups D", 3),
            ("Backups E", 5),
            ("Backups F", 5),
        )
    }
    return {name.split()[-1].lower(): server["uuid_short"] for name, server in servers.items()}


# These tests describe panel 1.11 (a failed backup is restorable, no restore limiter); test_panel_versions_*.py
# covers the newer panels.
PANEL_1_11 = {"panel_version": "1.11"}


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ClientEnv]:
    environment = start_client_env(
        tmp_path_factory.mktemp("client-backups"), _prepare, backup_seconds=0.2, restore_seconds=0.3, **PANEL_1_11
    )
    try:
        yield environment
    finally:
        environment.emulator.stop()


def _backups(env: ClientEnv, server: str) -> str:
    return f"/api/client/servers/{env.facts.get(server, server)}/backups"


def _create(env: ClientEnv, server: str, **body: Any) -> Any:
    return env.post(_backups(env, server), json=body or None)


def _wait_completed(env: ClientEnv, server: str, uuid: str) -> dict[str, Any]:
    result: dict[str, Any] = {}

    def done() -> bool:
        result.update(env.get(f"{_backups(env, server)}/{uuid}").json()["attributes"])
        return result["completed_at"] is not None

    env.wait_for(done)
    return result


def test_create_completes_asynchronously(env: ClientEnv) -> None:
    response = _create(env, "a", name="  Before upgrade  ", ignored="*.log\n\ncache/")
    assert response.status_code == 200
    created = response.json()["attributes"]
    assert created["name"] == "Before upgrade" and created["ignored_files"] == ["*.log", "cache/"]
    assert created["is_successful"] is False and created["completed_at"] is None and created["checksum"] is None
    assert created["bytes"] == 0
    done = _wait_completed(env, "a", created["uuid"])
    assert done["is_successful"] is True and done["checksum"].startswith("sha1:") and done["bytes"] > 0
    default_name = _create(env, "e").json()["attributes"]["name"]
    assert default_name.startswith("Backup at ") and len(default_name) == len("Backup at 2024-01-01 00:00:00")


def test_throttle_counts_deleted_backups(env: ClientEnv) -> None:
    first = _create(env, "d").json()["attributes"]
    _wait_completed(env, "d", first["uuid"])
    assert env.delete(f"{_backups(env, 'd')}/{first['uuid']}").status_code == 204
    assert _create(env, "d").status_code == 200
    throttled = _create(env, "d")
    assert_error(
        throttled,
        429,
        "TooManyRequestsHttpException",
        "Only 2 backups may be generated within a 600 second span of time.",
    )
    assert 0 < int(throttled.headers["Retry-After"]) <= 600
    assert "X-RateLimit-Reset" not in throttled.headers


def test_limits(env: ClientEnv) -> None:
    assert_error(
        _create(env, "c"),
        400,
        "TooManyBackupsException",
        "Cannot create a new backup, this server has reached its limit of 0 backups.",
    )
    env.configure(backup_throttle=[100, 600])
    try:
        for _unused in range(2):
            assert _create(env, "b").status_code == 200
        assert_error(
            _create(env, "b"),
            400,
            "TooManyBackupsException",
            "Cannot create a new backup, this server has reached its limit of 2 backups.",
        )
    finally:
        env.configure(backup_throttle=[2, 600])
    assert validation_fields(_create(env, "b", name="x" * 200)) == [("name", "max")]


def test_list_pagination_and_count(env: ClientEnv) -> None:
    body = env.get(_backups(env, "survival"), params={"per_page": 100, "foo": "bar"}).json()
    assert body["object"] == "list" and body["meta"]["backup_count"] == 1
    pagination = body["meta"]["pagination"]
    assert pagination["per_page"] == 50 and pagination["total"] == 1 and pagination["links"] == {}
    assert env.get(_backups(env, "survival")).json()["meta"]["pagination"]["per_page"] == 20
    assert_error(env.get(_backups(env, "survival"), "stranger"), 404, "NotFoundHttpException")


def test_lock_delete_and_download(env: ClientEnv) -> None:
    backup = _create(env, "e", is_locked=True).json()["attributes"]
    assert backup["is_locked"] is True
    _wait_completed(env, "e", backup["uuid"])
    path = f"{_backups(env, 'e')}/{backup['uuid']}"
    assert_error(env.delete(path), 400, "BackupLockedException", "Cannot delete a backup that is marked as locked.")
    unlocked = env.post(path + "/lock").json()["attributes"]
    assert unlocked["is_locked"] is False
    link = env.get(path + "/download").json()
    assert link["object"] == "signed_url" and "/download/backup?token=" in link["attributes"]["url"]
    archive = env.session.get(link["attributes"]["url"], timeout=10)
    assert archive.status_code == 200 and archive.content[:2] == b"\x1f\x8b"
    assert env.delete(path).status_code == 204
    assert_error(env.get(path), 404, "NotFoundHttpException")
    deleted = next(row for row in env.rows("backups") if row["uuid"] == backup["uuid"])
    assert deleted["deleted_at"] is not None  # soft delete
    assert_error(env.post(f"{_backups(env, 'survival')}/{backup['uuid']}/lock"), 404, "NotFoundHttpException")


def test_restore_cycle(env: ClientEnv) -> None:
    env.configure(backup_throttle=[100, 600])
    try:
        _restore_cycle(env)
    finally:
        env.configure(backup_throttle=[2, 600], backup_seconds=0.2, restore_seconds=0.3)


def _restore_cycle(env: ClientEnv) -> None:
    server = env.facts["a"]
    backup = _create(env, "a", name="restore me").json()["attributes"]
    _wait_completed(env, "a", backup["uuid"])
    files = f"/api/client/servers/{server}/files"
    env.post(files + "/write", params={"file": "after-backup.txt"}, data="new", headers={"Content-Type": "text/plain"})
    assert validation_fields(env.post(f"{_backups(env, 'a')}/{backup['uuid']}/restore", json={})) == [
        ("truncate", "required")
    ]
    env.configure(restore_seconds=30)
    assert env.post(f"{_backups(env, 'a')}/{backup['uuid']}/restore", json={"truncate": True}).status_code == 204
    assert env.get(f"/api/client/servers/{server}").json()["attributes"]["status"] == "restoring_backup"
    assert_error(
        env.get(files + "/list"),
        409,
        "ServerStateConflictException",
        "This server is currently restoring from a backup, please try again later.",
    )
    assert env.advance("restore") == 1
    assert env.get(f"/api/client/servers/{server}").json()["attributes"]["status"] is None
    names = [entry["attributes"]["name"] for entry in env.get(files + "/list").json()["data"]]
    assert "after-backup.txt" not in names and "eula.txt" in names  # truncate removed the newer file
    env.configure(backup_seconds=30)
    running = _create(env, "a").json()["attributes"]
    assert_error(
        env.post(f"{_backups(env, 'a')}/{running['uuid']}/restore", json={"truncate": False}),
        400,
        "BadRequestHttpException",
        "This backup cannot be restored at this time: not completed or failed.",
    )
    env.advance("backup")


def test_subuser_cannot_lock_or_create_locked(env: ClientEnv) -> None:
    uuid = env.get(_backups(env, "survival"), "helper").json()["data"][0]["attributes"]["uuid"]
    assert_error(env.post(f"{_backups(env, 'survival')}/{uuid}/lock", "helper"), 403, "AccessDeniedHttpException")
    assert_error(_backups_post_as(env, "helper"), 403, "AccessDeniedHttpException")


def _backups_post_as(env: ClientEnv, who: str) -> Any:
    return env.post(_backups(env, "survival"), who, json={"name": "x"})


def test_failed_backups(env: ClientEnv) -> None:
    env.configure(backup_throttle=[100, 600], extra={"backups_fail": True})
    try:
        before = env.get(_backups(env, "f")).json()["meta"]["backup_count"]
        created = _create(env, "f", is_locked=True).json()["attributes"]
        failed = _wait_completed(env, "f", created["uuid"])
        assert failed["is_successful"] is False and failed["is_locked"] is False and failed["checksum"] is None
        assert env.get(_backups(env, "f")).json()["meta"]["backup_count"] == before  # failed ones do not count
        # Quirk: a failed backup that has completed_at passes the restore check.
        restore = env.post(f"{_backups(env, 'f')}/{created['uuid']}/restore", json={"truncate": False})
        assert restore.status_code == 204
        env.advance("restore")
        assert env.delete(f"{_backups(env, 'f')}/{created['uuid']}").status_code == 204
        events = [row["event"] for row in env.rows("activity")]
        assert "server:backup.fail" in events
    finally:
        env.configure(backup_throttle=[2, 600], extra={"resources_cache_seconds": 20})
