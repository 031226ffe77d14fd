"""Secrets: playbooks and the inventory at -vvvv never print an API key, a password, a websocket token or a secret
the panel returned."""

from __future__ import annotations

import re

import yaml
from reliability_support import INVENTORIES, Ansible, api_requests, emulator_fixture

emulator = emulator_fixture(power_seconds=0.2, stats_interval_seconds=0.5)
# A JSON Web Token: three base64url parts, the first two JSON objects ({" encodes to eyJ).
JWT = re.compile(r"eyJ[A-Za-z0-9_-]+\.eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*")
USER_PASSWORD = "Keeper-Pass-4711-Sentinel"
URL_PASSWORD = "Url-Pass-0815-Sentinel"


def leaked(output: str, secrets: dict[str, str]) -> list[str]:
    return sorted(name for name, value in secrets.items() if value and value in output)


def test_playbook_at_vvvv_prints_no_secret(emulator, tmp_path):
    secrets_dir = tmp_path / "returned"
    secrets_dir.mkdir()
    # Through a file: ansible-playbook -vvvv echoes command-line extra vars, whatever the collection does.
    variables = tmp_path / "secret_vars.yml"
    variables.write_text(
        yaml.safe_dump({"user_password": USER_PASSWORD, "url_password": URL_PASSWORD, "secrets_dir": str(secrets_dir)})
    )
    emulator.clear_requests()
    run = Ansible(emulator).playbook("secrets", "-vvvv", "-e", f"@{variables}")

    returned = {path.name: path.read_text() for path in secrets_dir.iterdir()}
    assert sorted(returned) == ["api_key_token", "daemon_token", "database_password"]
    assert all(len(value) >= 16 for value in returned.values()), "a returned secret is too short to search for"
    secrets = {
        "application key": emulator.application_key,
        "client key": emulator.client_key,
        "user password": USER_PASSWORD,
        "password in the url": URL_PASSWORD,
        **returned,
        "api key secret part": returned["api_key_token"][16:],
    }
    assert leaked(run.output, secrets) == []

    # The power tasks fetched websocket credentials; no token may show, whatever its value.
    credentials = [entry for entry in api_requests(emulator) if entry["path"].endswith("/websocket")]
    assert credentials, "the playbook never asked for websocket credentials"
    assert JWT.findall(run.output) == []


def test_inventory_at_vvvv_prints_no_key(emulator):
    ansible = Ansible(emulator)
    strict = ansible.env(ANSIBLE_INVENTORY_UNPARSED_FAILED="1")
    for config in ("application.pterodactyl.yml", "client_all.pterodactyl.yml"):
        run = ansible.inventory(INVENTORIES / config, "--list", "-vvvv", env=strict)
        assert run.rc == 0, run.output[-4000:]
        assert (
            leaked(run.output, {"application key": emulator.application_key, "client key": emulator.client_key}) == []
        )
        assert JWT.findall(run.output) == []
