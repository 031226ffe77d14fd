"""ptero.panel.permission_info end to end against the emulator."""

from conftest import PANEL_FLAVOUR

# Pelican lists its 44 keys flat, in 12 groups (mount is new), without descriptions.
PELICAN_COUNTS = ("-e", "expected_keys=44", "-e", "expected_groups=12")


def test_permission_info(ansible, emulator):
    emulator.clear_requests()
    ansible.playbook("permission_info", *(PELICAN_COUNTS if PANEL_FLAVOUR == "pelican" else ()))
    assert [(r["method"], r["path"]) for r in emulator.requests()] == [("GET", "/api/client/permissions")]
