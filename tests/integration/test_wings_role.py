"""The ptero.panel.wings role, run twice against localhost into a temporary root: the node is made, config.yml is
the panel's node configuration, Wings restarts once, and the daemon token never shows."""

from __future__ import annotations

import hashlib
import json
import re

import requests
import yaml


def recap_changed(output: str) -> int:
    return int(re.search(r"localhost\s+:.*?changed=(\d+)", output).group(1))


def test_wings_role_onboards_a_node_once(ansible, emulator, tmp_path):
    binary = tmp_path / "src" / "wings"
    binary.parent.mkdir()
    binary.write_bytes(b"#!/bin/sh\necho fake wings\n")
    extra = json.dumps({"root": str(tmp_path), "binary_checksum": hashlib.sha256(binary.read_bytes()).hexdigest()})

    first = ansible.playbook("wings_role", "-e", extra, "-v")
    second = ansible.playbook("wings_role", "-e", extra, "-v")

    assert recap_changed(first.output) > 0
    assert recap_changed(second.output) == 0, second.output[-5000:]
    assert (tmp_path / "restarts").read_text().splitlines() == ["restarted"]

    headers = {"Authorization": f"Bearer {emulator.application_key}", "Accept": "application/json"}
    nodes = requests.get(
        f"{emulator.url}/api/application/nodes", params={"filter[name]": "role-node-1"}, headers=headers, timeout=10
    ).json()["data"]
    assert len(nodes) == 1
    node_id = nodes[0]["attributes"]["id"]
    configuration = requests.get(
        f"{emulator.url}/api/application/nodes/{node_id}/configuration", headers=headers, timeout=10
    ).json()
    config_file = tmp_path / "etc" / "pterodactyl" / "config.yml"
    assert yaml.safe_load(config_file.read_text()) == configuration
    assert config_file.stat().st_mode & 0o777 == 0o600
    assert configuration["api"]["port"] == 8443
    assert (tmp_path / "usr" / "local" / "bin" / "wings").read_bytes() == binary.read_bytes()
    assert f"--config {config_file}" in (tmp_path / "etc" / "systemd" / "system" / "wings.service").read_text()
    for run in (first, second):
        assert configuration["token"] not in run.output
        assert configuration["token_id"] not in run.output


def test_wings_role_keeps_what_wings_added_and_refuses_a_bad_binary(ansible, emulator, tmp_path):
    binary = tmp_path / "src" / "wings"
    binary.parent.mkdir()
    binary.write_bytes(b"#!/bin/sh\necho fake wings\n")
    good = hashlib.sha256(binary.read_bytes()).hexdigest()
    ansible.playbook("wings_role", "-e", json.dumps({"root": str(tmp_path), "binary_checksum": good}))

    # Wings writes its own defaults into config.yml when it starts: the role keeps them and changes nothing.
    config_file = tmp_path / "etc" / "pterodactyl" / "config.yml"
    written = yaml.safe_load(config_file.read_text())
    written["system"]["user"] = {"uid": 988, "gid": 988}
    config_file.write_text(yaml.safe_dump(written))
    again = ansible.playbook("wings_role", "-e", json.dumps({"root": str(tmp_path), "binary_checksum": good}))
    assert recap_changed(again.output) == 0
    assert yaml.safe_load(config_file.read_text())["system"]["user"] == {"uid": 988, "gid": 988}

    refused = ansible.playbook(
        "wings_role", "-e", json.dumps({"root": str(tmp_path), "binary_checksum": "0" * 64}), check=False
    )
    assert refused.rc != 0
    assert "its sha256 is not sha256:" + "0" * 64 in refused.output
