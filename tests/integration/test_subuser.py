from conftest import writes


def test_subuser_lifecycle(ansible, emulator):
    emulator.clear_requests()
    ansible.playbook("subuser", env=ansible.env(PTERODACTYL_CLIENT_API_KEY=emulator.user_client_key))
    subuser_writes = [(r["method"], r["path"].endswith("/users"), r["status"]) for r in writes(emulator.requests())
                      if "/users" in r["path"]]
    # Add, update, the refused owner, remove; check mode, no-op runs and unknown permissions sent nothing.
    assert subuser_writes == [("POST", True, 200), ("POST", False, 200), ("POST", True, 400), ("DELETE", False, 204)], subuser_writes
