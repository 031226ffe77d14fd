"""ptero.panel.startup end to end against the emulator (the player's client key)."""

from conftest import writes


def test_startup(ansible, emulator):
    emulator.clear_requests()
    ansible.playbook("startup", env=ansible.env(PTERODACTYL_CLIENT_API_KEY=emulator.user_client_key))
    sent = [r for r in writes(emulator.requests()) if r["path"].endswith("/startup/variable")]
    # Two variables changed once; check mode, the no-op run and the refused names wrote nothing; the refused value
    # was tried once.
    assert [r["status"] for r in sent] == [200, 200, 422], [(r["method"], r["path"], r["status"]) for r in sent]
