import json
import urllib.request

from conftest import writes


def schedule_action(request: dict) -> str:
    """What a write to the schedule routes did: schedule/task create, update, delete, or execute."""
    parts = request["path"].split("/schedules", 1)[1].strip("/").split("/")
    if parts[-1] == "execute":
        return "execute"
    kind = "task" if "tasks" in parts else "schedule"
    creates = parts[-1] in ("", "tasks")
    verb = "delete" if request["method"] == "DELETE" else "create" if creates else "update"
    return f"{kind}.{verb}"


def test_schedule_lifecycle(ansible, emulator):
    emulator.clear_requests()
    ansible.playbook("schedule", env=ansible.env(PTERODACTYL_CLIENT_API_KEY=emulator.user_client_key))
    actions = [
        schedule_action(r) for r in writes(emulator.requests()) if "/schedules" in r["path"] and r["status"] < 400
    ]
    # Check mode and no-op runs wrote nothing; the update is one schedule POST plus only the tasks that differ.
    assert actions == [
        "schedule.create",
        "task.create",
        "task.create",  # create with two tasks
        "schedule.update",
        "task.update",
        "task.create",  # cron/is_active, first task changed, backup task added
        "task.delete",
        "task.update",
        "task.update",  # reorder: drop the third, swap the first two
        "task.delete",
        "task.delete",  # tasks: []
        "task.create",
        "execute",  # a start task, then run it
        "schedule.delete",
    ], actions


def test_schedule_task_rules_of_panel_1_14(ansible, emulator):
    """Bad tasks are refused before anything is written; a task the panel refuses for a missing permission leaves
    no half-made schedule; permission refusals of task writes and runs name the permissions."""
    config = emulator.control("GET", "config")
    # The rules are panel 1.14.1's; 3 schedule creations here, so the 2-a-minute limiter runs on a short period.
    emulator.configure(panel_version="1.14", wings_version="", server_resource_limits={"schedules": [2, 3]})
    servers = {row["name"]: row for row in emulator.state("servers")}
    helper = next(row for row in emulator.state("users") if row["username"] == "helper")
    subuser = next(
        row
        for row in emulator.state("subusers")
        if row["user_id"] == helper["id"] and row["server_id"] == servers["Survival"]["id"]
    )
    granted = list(subuser["permissions"])
    set_permissions(
        emulator,
        servers["Survival"]["uuid"],
        helper["uuid"],
        [
            "websocket.connect",
            "control.console",
            "schedule.read",
            "schedule.create",
            "schedule.update",
            "schedule.delete",
        ],
    )
    emulator.clear_requests()
    try:
        ansible.playbook(
            "schedule_panel_rules",
            "-e",
            f"player_key={emulator.user_client_key}",
            env=ansible.env(PTERODACTYL_CLIENT_API_KEY=emulator.connection["subuser_client_key"]),
        )
    finally:
        set_permissions(emulator, servers["Survival"]["uuid"], helper["uuid"], granted)
        emulator.configure(
            panel_version=config["panel_version"],
            wings_version=config["wings_version"],
            server_resource_limits={"schedules": [2, 60]},
        )
    actions = [(schedule_action(r), r["status"]) for r in writes(emulator.requests()) if "/schedules" in r["path"]]
    # The bad payload sent nothing; the refused task's schedule was created, its task refused, and it was deleted.
    assert actions[:4] == [
        ("schedule.create", 200),
        ("task.create", 200),
        ("task.create", 403),
        ("schedule.delete", 204),
    ], actions
    assert ("execute", 403) in actions and ("execute", 202) in actions, actions
    assert not [row for row in emulator.state("schedules") if row["name"].startswith(("helper", "owner"))]


def set_permissions(emulator, server_uuid: str, user_uuid: str, permissions: list[str]) -> None:
    """The owner sets a subuser's permissions (POST /api/client/servers/{s}/users/{user})."""
    request = urllib.request.Request(
        f"{emulator.url}/api/client/servers/{server_uuid}/users/{user_uuid}",
        data=json.dumps({"permissions": permissions}).encode(),
        method="POST",
        headers=emulator.headers("user"),
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        assert response.status == 200
