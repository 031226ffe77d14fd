from conftest import writes


def backup_action(request: dict) -> str:
    """create / lock / restore / delete for a write to the backup routes."""
    if request["method"] == "DELETE":
        return "delete"
    last = request["path"].rstrip("/").rsplit("/", 1)[-1]
    return "create" if last == "backups" else last


def test_backup_lifecycle(ansible, emulator):
    # Four backups are started within seconds: lift the panel's 2-per-10-minutes throttle.
    emulator.configure(backup_throttle=[2, 0])
    emulator.clear_requests()
    ansible.playbook("backup", env=ansible.env(PTERODACTYL_CLIENT_API_KEY=emulator.user_client_key))
    actions = [backup_action(r) for r in writes(emulator.requests()) if "/backups" in r["path"]]
    # Check mode, no-op runs and refused requests (over the limit, locked) wrote nothing.
    assert actions == [
        "create",  # itest-a, locked in the create body
        "lock",  # unlock
        "create",  # itest-b
        "restore",
        "lock",  # lock again
        "lock",  # unlock before deleting
        "delete",  # itest-a
        "delete",  # itest-b
    ], actions
