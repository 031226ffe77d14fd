"""ptero.panel.file end to end against the emulator (the player's client key)."""
from conftest import writes


def test_file(ansible, emulator, tmp_path):
    emulator.clear_requests()
    ansible.playbook("file", "-e", f"local_tmp={tmp_path}",
                     env=ansible.env(PTERODACTYL_CLIENT_API_KEY=emulator.user_client_key))
    sent = [(r["path"].rsplit("/files/", 1)[1], r["status"]) for r in writes(emulator.requests()) if "/files/" in r["path"]]
    # Every write of the playbook, in order: check mode, no-op runs and refused input sent nothing.
    assert sent == [
        ("write", 204), ("chmod", 204), ("write", 204), ("chmod", 204), ("write", 204),
        ("create-folder", 204), ("chmod", 204), ("pull", 204),
        ("write", 204), ("write", 204),
        ("compress", 200), ("rename", 204), ("decompress", 204), ("decompress", 400),
        ("delete", 204),
    ], sent
    # The file routes name the server by its full uuid (the panel only keeps spaces in file names then).
    server_refs = {r["path"].split("/")[4] for r in emulator.requests() if "/files/" in r["path"]}
    assert all(len(ref) == 36 for ref in server_refs), server_refs
