"""ptero.panel.permission_info end to end against the emulator."""


def test_permission_info(ansible, emulator):
    emulator.clear_requests()
    ansible.playbook("permission_info")
    assert [(r["method"], r["path"]) for r in emulator.requests()] == [("GET", "/api/client/permissions")]
