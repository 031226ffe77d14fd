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
    actions = [schedule_action(r) for r in writes(emulator.requests()) if "/schedules" in r["path"] and r["status"] < 400]
    # Check mode and no-op runs wrote nothing; the update is one schedule POST plus only the tasks that differ.
    assert actions == [
        "schedule.create", "task.create", "task.create",  # create with two tasks
        "schedule.update", "task.update", "task.create",  # cron/is_active, first task changed, backup task added
        "task.delete", "task.update", "task.update",  # reorder: drop the third, swap the first two
        "task.delete", "task.delete",  # tasks: []
        "task.create", "execute",  # a start task, then run it
        "schedule.delete",
    ], actions
