from conftest import PANEL_FLAVOUR, writes


def test_subuser_lifecycle(ansible, emulator):
    emulator.clear_requests()
    ansible.playbook("subuser", env=ansible.env(PTERODACTYL_CLIENT_API_KEY=emulator.user_client_key))
    subuser_writes = [
        (r["method"], r["path"].endswith("/users"), r["status"])
        for r in writes(emulator.requests())
        if "/users" in r["path"]
    ]
    # Add, update, the refused owner, remove; check mode, no-op runs and unknown permissions sent nothing.
    assert subuser_writes == [("POST", True, 200), ("POST", False, 200), ("POST", True, 400), ("DELETE", False, 204)], (
        subuser_writes
    )


def test_email_rules_of_the_newer_panels(ansible, emulator):
    """Refused addresses never reach the panel (no 422, nothing counted by the invite limiter); the others do. On
    Pelican its own, laxer rule decides which those are."""
    emulator.clear_requests()
    ansible.playbook(
        "account_emails",
        "-e",
        f"panel_flavour={PANEL_FLAVOUR or 'pterodactyl'}",
        env=ansible.env(PTERODACTYL_CLIENT_API_KEY=emulator.user_client_key),
    )
    account_writes = [
        (r["method"], r["status"])
        for r in writes(emulator.requests())
        if r["path"].startswith("/api/application/users") or r["path"].endswith("/users") or "/users/" in r["path"]
    ]
    if PANEL_FLAVOUR == "pelican":
        # The dash, dotless-domain and UTF-8 users created, the UTF-8 one deleted, the valid invite made and removed,
        # then the other two users deleted; the invite with two dots in a row was never sent.
        expected = [("POST", 201)] * 3 + [("DELETE", 204), ("POST", 200)] + [("DELETE", 204)] * 3
    else:
        # The UTF-8 user created and deleted, the valid invite made and removed: nothing else was sent.
        expected = [("POST", 201), ("DELETE", 204), ("POST", 200), ("DELETE", 204)]
    assert account_writes == expected, account_writes
