"""The one matching rule of the *_info modules, end to end against the emulator."""

from conftest import writes


def test_info_modules_match_by_one_rule(ansible, emulator):
    emulator.clear_requests()
    ansible.playbook("info_matching", env=ansible.env(PTERODACTYL_CLIENT_API_KEY=emulator.user_client_key))
    requests = emulator.requests()
    assert writes(requests) == []
    # The panel's partial filters narrowed the listings (one request each); the exact match was the module's.
    locations = [r["query"] for r in requests if r["path"] == "/api/application/locations"]
    assert len(locations) == 3 and all(
        "filter%5Bshort%5D=" in query or "filter[short]=" in query for query in locations
    )
