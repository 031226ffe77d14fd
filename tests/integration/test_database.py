import re

from conftest import writes


def test_database_lifecycle(ansible, emulator):
    emulator.clear_requests()
    run = ansible.playbook("database", env=ansible.env(PTERODACTYL_CLIENT_API_KEY=emulator.user_client_key))
    database_writes = [
        (r["method"], r["path"].rsplit("/", 1)[-1], r["status"])
        for r in writes(emulator.requests())
        if "/databases" in r["path"]
    ]
    # Create, rotate, the refused ones (limit, bad name), delete; check mode and no-op runs sent nothing.
    assert [(write[0], write[2]) for write in database_writes] == [
        ("POST", 200),
        ("POST", 200),
        ("POST", 400),
        ("POST", 422),
        ("DELETE", 204),
    ], database_writes
    assert database_writes[1][1] == "rotate-password"
    # The passwords stay out of the output of tasks marked no_log.
    state = emulator.state("databases")
    assert not any(row["password"] in run.output for row in state)
    assert not re.search(r'"password": "[^*]', run.output)
