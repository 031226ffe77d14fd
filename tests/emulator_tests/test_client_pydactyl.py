"""py-dactyl's client API calls against the emulator: the emulator must look like a panel to a real client."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from client_helpers import ClientEnv, start_client_env
from pydactyl import PterodactylClient
from pydactyl.exceptions import PterodactylApiError


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ClientEnv]:
    environment = start_client_env(tmp_path_factory.mktemp("client-pydactyl"), extra={"resources_cache_seconds": 0})
    try:
        yield environment
    finally:
        environment.emulator.stop()


@pytest.fixture
def client(env: ClientEnv) -> PterodactylClient:
    return PterodactylClient(env.url, env.keys["player"], retries=0)


def test_servers_and_details(env: ClientEnv, client: PterodactylClient) -> None:
    servers = client.client.servers.list_servers()
    names = [server["attributes"]["name"] for server in servers.data]
    assert names == ["Survival", "Creative", "Rust Island"] and len(servers) == 3
    first_page = client.client.servers.list_servers(params={"per_page": 2})
    assert len(first_page.data) == 2 and first_page.meta["pagination"]["total_pages"] == 2
    details = client.client.servers.get_server(env.facts["survival"])
    assert details["identifier"] == env.facts["survival"] and details["node"] == "fra-node-1"
    assert "allocations" in details["relationships"]
    utilization = client.client.servers.get_server_utilization(env.facts["survival"])
    assert utilization["current_state"] in ("offline", "starting", "running", "stopping")
    assert len(client.client.servers.list_permissions()["attributes"]["permissions"]) == 11
    socket = client.client.servers.get_websocket(env.facts["survival"])
    assert socket["data"]["socket"].startswith("ws://127.0.0.1:")


def test_power_and_console(env: ClientEnv, client: PterodactylClient) -> None:
    servers = client.client.servers
    assert servers.send_power_action(env.facts["creative"], "start").status_code == 204
    env.wait_for(lambda: servers.get_server_utilization(env.facts["creative"])["current_state"] == "running")
    assert servers.send_console_command(env.facts["creative"], "say from pydactyl").status_code == 204
    assert servers.send_power_action(env.facts["creative"], "kill").status_code == 204


def test_backups(env: ClientEnv, client: PterodactylClient) -> None:
    backups = client.client.servers.backups
    listed = backups.list_backups(env.facts["survival"])
    assert listed["meta"]["backup_count"] == 1
    created = backups.create_backup(env.facts["survival"])
    uuid = created["attributes"]["uuid"]
    env.wait_for(lambda: backups.get_backup_detail(env.facts["survival"], uuid)["attributes"]["is_successful"])
    assert "/download/backup?token=" in backups.get_backup_download(env.facts["survival"], uuid)["attributes"]["url"]
    assert backups.delete_backup(env.facts["survival"], uuid).status_code == 204


def test_schedules(env: ClientEnv, client: PterodactylClient) -> None:
    schedules = client.client.servers.schedules
    created = schedules.create_schedule(env.facts["survival"], "Hourly", "0", "*", "*", "*", "*")
    schedule_id = created["attributes"]["id"]
    assert created["attributes"]["is_active"] is True
    task = schedules.create_task(env.facts["survival"], schedule_id, "command", "say hourly")
    assert task["attributes"]["sequence_id"] == 1 and task["attributes"]["time_offset"] == 0
    updated = schedules.update_task(
        env.facts["survival"], schedule_id, task["attributes"]["id"], "power", "start", time_offset="10"
    )
    assert updated["attributes"]["payload"] == "start" and updated["attributes"]["time_offset"] == 10
    details = schedules.get_schedule_details(env.facts["survival"], schedule_id)
    assert len(details["attributes"]["relationships"]["tasks"]["data"]) == 1
    executed = schedules.run_schedule(env.facts["survival"], schedule_id)  # body [] is falsy: py-dactyl hands back
    assert executed.status_code == 202 and executed.json() == []  # the response object
    assert schedules.delete_task(env.facts["survival"], schedule_id, task["attributes"]["id"]).status_code == 204
    assert schedules.delete_schedule(env.facts["survival"], schedule_id).status_code == 204
    assert len(schedules.list_schedules(env.facts["survival"])["data"]) == 1


def test_databases(env: ClientEnv, client: PterodactylClient) -> None:
    databases = client.client.servers.databases
    created = databases.create_database(env.facts["survival"], "pydactyl")
    database_id = created["attributes"]["id"]
    listed = databases.list_databases(env.facts["survival"], include_passwords=True)
    assert any(
        d["attributes"]["id"] == database_id and "password" in d["attributes"]["relationships"] for d in listed["data"]
    )
    rotated = databases.rotate_database_password(env.facts["survival"], database_id)
    assert rotated["attributes"]["relationships"]["password"]["attributes"]["password"]
    assert databases.delete_database(env.facts["survival"], database_id).status_code == 204
    with pytest.raises(PterodactylApiError):
        databases.create_database(env.facts["creative"], "nope")  # database limit 0


def test_subusers(env: ClientEnv, client: PterodactylClient) -> None:
    users = client.client.servers.users
    created = users.create_user(env.facts["survival"], "pydactyl@example.com", ["control.console"])
    uuid = created["attributes"]["uuid"]
    assert sorted(created["attributes"]["permissions"]) == ["control.console", "websocket.connect"]
    assert users.get_user(env.facts["survival"], uuid)["attributes"]["email"] == "pydactyl@example.com"
    users.update_user(env.facts["survival"], uuid, ["control.console", "control.start"])
    assert len(users.list_users(env.facts["survival"])["data"]) == 2
    assert users.delete_user(env.facts["survival"], uuid).status_code == 204


def test_files(env: ClientEnv, client: PterodactylClient) -> None:
    files = client.client.servers.files
    server = env.facts["survival"]
    assert files.write_file(server, "notes/readme.txt", "hello from pydactyl").status_code == 204
    listing = files.list_files(server, "notes")
    assert [entry["attributes"]["name"] for entry in listing["data"]] == ["readme.txt"]
    assert files.get_file_contents(server, "notes/readme.txt", json=False).text == "hello from pydactyl"
    files.rename_file(server, "readme.txt", "renamed.txt", root="/notes")
    files.copy_file(server, "notes/renamed.txt")
    archive = files.compress_files(server, ["notes"])
    assert archive["attributes"]["name"].endswith(".tar.gz")
    files.create_folder(server, "extract")
    # Wings looks for the archive inside the given root, so move it there first.
    files.rename_file(server, archive["attributes"]["name"], "extract/" + archive["attributes"]["name"])
    files.decompress_file(server, archive["attributes"]["name"], path="/extract")
    extracted = files.list_files(server, "extract/notes")
    assert sorted(e["attributes"]["name"] for e in extracted["data"]) == ["renamed copy.txt", "renamed.txt"]
    assert "/download/file?token=" in files.download_file(server, "notes/renamed.txt")
    assert "/upload/file?token=" in files.get_upload_file_url(server)
    files.delete_files(server, ["notes", "extract"])
    assert "notes" not in [e["attributes"]["name"] for e in files.list_files(server)["data"]]


def test_account_and_network(env: ClientEnv, client: PterodactylClient) -> None:
    account = client.client.account
    assert account.get_account()["attributes"]["username"] == "player"
    key = account.api_key_create("pydactyl key", ["127.0.0.1"])
    identifier = key["attributes"]["identifier"]
    assert identifier in [entry["identifier"] for entry in account.api_key_list()]
    assert account.api_key_delete(identifier).status_code == 204
    network = client.client.servers.network
    allocations = network.list_allocations(env.facts["survival"])
    assert len(allocations["data"]) == 2
    noted = network.set_allocation_note(env.facts["survival"], allocations["data"][1]["attributes"]["id"], "pydactyl")
    assert noted["attributes"]["notes"] == "pydactyl"
    startup = client.client.servers.startup
    assert startup.update_variable(env.facts["survival"], "BUILD_NUMBER", "123")["attributes"]["server_value"] == "123"
    assert client.client.servers.settings.rename_server(env.facts["survival"], "Survival").status_code == 204
