"""ptero.panel.file_info end to end against the emulator (the player's client key)."""

from conftest import writes


def test_file_info(ansible, emulator):
    emulator.configure(files_max_edit_size=100)
    try:
        emulator.clear_requests()
        ansible.playbook("file_info", env=ansible.env(PTERODACTYL_CLIENT_API_KEY=emulator.user_client_key))
    finally:
        emulator.configure(files_max_edit_size=4194304)
    # Only the large file was written (by the file module); file_info only reads.
    assert [r["path"].rsplit("/", 1)[1] for r in writes(emulator.requests())] == ["write"]
