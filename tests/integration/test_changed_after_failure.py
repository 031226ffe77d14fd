"""Issue 17: a write that happened is reported as `changed` whatever fails after it, end to end with
ansible-playbook: a server whose install outlasts the wait, a backup that fails on the node, a restore that outlasts
the wait. Also: a failed backup is never restored (issue 12)."""

from conftest import writes


def test_server_created_but_install_wait_times_out(ansible, emulator):
    emulator.configure(install_seconds=30)
    try:
        ansible.playbook("changed_after_failure_server")
    finally:
        emulator.configure(install_seconds=0.5)
    emulator.advance(kind="install")


def test_backup_failed_on_the_node_and_restore_timeout(ansible, emulator):
    emulator.configure(backup_throttle=[2, 0], extra={"backups_fail": True})
    env = ansible.env(PTERODACTYL_CLIENT_API_KEY=emulator.user_client_key)
    emulator.clear_requests()
    try:
        ansible.playbook("changed_after_failure_backup", "--skip-tags", "restore", env=env)
    finally:
        emulator.configure(extra={})
    backup_writes = [
        (r["method"], r["path"].rsplit("/", 1)[-1]) for r in writes(emulator.requests()) if "/backups" in r["path"]
    ]
    # The create, then the delete of the failed backup: the refused restores sent nothing.
    assert [method for method, _tail in backup_writes] == ["POST", "DELETE"], backup_writes
    emulator.configure(restore_seconds=30)
    try:
        ansible.playbook("changed_after_failure_backup", "--tags", "restore", env=env)
    finally:
        emulator.configure(restore_seconds=1.0)
        emulator.advance(kind="restore")
