"""ptero.panel.server_settings end to end against the emulator (the player's client key)."""

from conftest import PANEL_FLAVOUR, writes

# Pelican's rename route ignores a description; the description has its own route there.
DESCRIBE = ("POST", "description", 204) if PANEL_FLAVOUR == "pelican" else ("POST", "rename", 204)


def settings_writes(emulator):
    return [
        (r["method"], r["path"].rsplit("/", 1)[1], r["status"])
        for r in writes(emulator.requests())
        if "/settings/" in r["path"]
    ]


def test_server_settings(ansible, emulator):
    emulator.clear_requests()
    ansible.playbook("server_settings", env=ansible.env(PTERODACTYL_CLIENT_API_KEY=emulator.user_client_key))
    # description, name, image, one reinstall: check mode and no-op runs wrote nothing; the refused image was not sent.
    assert settings_writes(emulator) == [
        DESCRIBE,
        ("POST", "rename", 204),
        ("PUT", "docker-image", 204),
        ("POST", "reinstall", 202),
    ]


def test_server_settings_while_installing(ansible, emulator):
    emulator.configure(install_seconds=600)
    try:
        emulator.clear_requests()
        ansible.playbook(
            "server_settings_installing", env=ansible.env(PTERODACTYL_CLIENT_API_KEY=emulator.user_client_key)
        )
        assert [(method, status) for method, _name, status in settings_writes(emulator)] == [
            ("POST", 202),
            ("POST", 409),
            ("POST", 409),
        ]
    finally:
        emulator.configure(install_seconds=0.5)
        emulator.advance(kind="install", seconds=600)
