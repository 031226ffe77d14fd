"""ptero.panel.activity_info end to end against the emulator (the player's client key)."""


def test_activity_info(ansible, emulator):
    ansible.playbook("activity_info", env=ansible.env(PTERODACTYL_CLIENT_API_KEY=emulator.user_client_key))
    asked = [r for r in emulator.requests() if r["path"].endswith("/activity") and r["method"] == "GET"]
    # Newest first is asked of the panel, and limit 1 reads one entry, not a whole page.
    assert all("sort=-timestamp" in r.get("query", "") for r in asked), asked[:2]
    assert any("per_page=1&" in r.get("query", "") + "&" for r in asked), [r.get("query") for r in asked]
