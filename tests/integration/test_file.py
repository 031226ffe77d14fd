"""ptero.panel.file end to end against the emulator (the player's client key). The two playbooks use different
servers, so they pass in any order and on separate workers."""

from conftest import writes


def file_writes(emulator):
    return [
        (r["path"].rsplit("/files/", 1)[1], r["status"]) for r in writes(emulator.requests()) if "/files/" in r["path"]
    ]


def test_file(ansible, emulator, tmp_path):
    emulator.clear_requests()
    ansible.playbook(
        "file", "-e", f"local_tmp={tmp_path}", env=ansible.env(PTERODACTYL_CLIENT_API_KEY=emulator.user_client_key)
    )
    # Every write of the playbook, in order: check mode, no-op runs and refused input sent nothing.
    assert file_writes(emulator) == [
        ("write", 204),
        ("chmod", 204),
        ("write", 204),
        ("chmod", 204),
        ("write", 204),
        ("create-folder", 204),
        ("chmod", 204),
        ("write", 204),
        ("write", 204),
        ("delete", 204),
    ]
    # The file routes name the server by its full uuid (the panel only keeps spaces in file names then).
    server_refs = {r["path"].split("/")[4] for r in emulator.requests() if "/files/" in r["path"]}
    assert all(len(ref) == 36 for ref in server_refs), server_refs


def test_file_downloads_and_archives(ansible, emulator):
    emulator.clear_requests()
    ansible.playbook("file_archive", env=ansible.env(PTERODACTYL_CLIENT_API_KEY=emulator.user_client_key))
    assert file_writes(emulator) == [
        ("create-folder", 204),
        ("pull", 204),
        ("compress", 200),
        ("rename", 204),
        ("decompress", 204),
        ("decompress", 400),
    ]
