"""ptero.panel.api_key end to end against the emulator (the admin's client key)."""

from conftest import writes


def test_api_key(ansible, emulator):
    emulator.clear_requests()
    run = ansible.playbook("api_key", "-v")
    sent = [(r["method"], r["status"]) for r in writes(emulator.requests()) if "/account/api-keys" in r["path"]]
    # create; replace (delete + create); create the open key; the bad address (422); delete; the open key deletes
    # itself. Check mode, no-op runs and refused changes sent nothing.
    assert sent == [
        ("POST", 200),
        ("DELETE", 204),
        ("POST", 200),
        ("POST", 200),
        ("POST", 422),
        ("DELETE", 204),
        ("DELETE", 204),
    ], sent
    # The key that runs the playbook is never shown.
    assert emulator.client_key not in run.output
    keys = [row["memo"] for row in emulator.state("api_keys")]
    assert not [memo for memo in keys if memo.startswith("itest")], keys
