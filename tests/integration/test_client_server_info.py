from conftest import writes


def test_client_server_info(ansible, emulator):
    emulator.clear_requests()
    env = ansible.env(PTERODACTYL_CLIENT_API_KEY=emulator.user_client_key, ITEST_ADMIN_CLIENT_KEY=emulator.client_key)
    ansible.playbook("client_server_info", env=env)
    # The only write is the playbook's own suspend through the application API.
    assert [r["path"].rsplit("/", 1)[-1] for r in writes(emulator.requests())] == ["suspend"]
