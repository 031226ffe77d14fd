"""The modules both panels have, against the emulator playing Pelican (beta38), with the options a Pterodactyl
playbook uses: the request log shows what Pelican was sent (its payloads, no route it lacks, no write twice, no
write in check mode or on a second run) and that the refusals sent nothing."""

from __future__ import annotations

import base64
import hashlib
import json

import pytest
from conftest import Ansible, writes
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519


@pytest.fixture
def pelican(pelican_emulator) -> Ansible:
    pelican_emulator.clear_requests()
    return Ansible(pelican_emulator)


def accepted(log: list[dict], fragment: str) -> list[tuple[str, str]]:
    return [
        (r["method"], r["path"].split("/api/", 1)[1])
        for r in writes(log)
        if fragment in r["path"] and r["status"] < 400
    ]


def refused(log: list[dict]) -> list[tuple[str, str, int]]:
    """Writes the panel refused (a lookup's 404 is an answer, not a refusal)."""
    return [(r["method"], r["path"], r["status"]) for r in writes(log) if r["status"] >= 400]


def test_node_and_what_replaced_locations(pelican, pelican_emulator):
    pelican.playbook("pelican_node")
    log = pelican_emulator.requests()
    # One create, one update, one delete; nothing asked of the routes Pelican lacks.
    assert [method for method, _path in accepted(log, "/nodes")] == ["POST", "PATCH", "DELETE"]
    assert not [r for r in log if "/locations" in r["path"] or "/nests" in r["path"]]
    assert refused(log) == []


def test_user_names_case_and_root_admin(pelican, pelican_emulator):
    pelican.playbook("pelican_user")
    log = pelican_emulator.requests()
    users = [(method, path.split("/users/")[-1].split("/", 1)[-1]) for method, path in accepted(log, "/users")]
    # Create, the language, the timezone with is_managed_externally (once: on the second run the timezone is on
    # create only), the role given and taken (no profile PATCH for roles), delete; then the user with an address only
    # Pelican accepts, created (with its timezone) and deleted.
    expected = ["POST", "PATCH", "PATCH", "PATCH", "PATCH", "DELETE", "POST", "DELETE"]
    assert [method for method, _path in users] == expected, users
    assert [path for _method, path in users][3:5] == ["roles/assign", "roles/remove"], users
    # The root admin was never asked to be deleted, nor root granted, nor the Root Admin role given; of the two
    # timezones Pelican refuses, only the one it alone can judge (a name in an area that has no such zone) was sent.
    assert refused(log) == [("PATCH", f"/api/application/users/{users[1][1]}", 422)], refused(log)


def test_allocations_eggs_and_server(pelican, pelican_emulator):
    pelican.playbook("pelican_server")
    log = pelican_emulator.requests()
    # One allocation batch with only the missing ports (a duplicate would be a 500 rolling back the batch).
    assert [method for method, _path in accepted(log, "/allocations") if method == "POST"] == ["POST"]
    assert [method for method, path in accepted(log, "/servers")] == ["POST", "PATCH", "DELETE"]
    assert refused(log) == []
    assert not [r for r in log if "/nests" in r["path"] or "/locations" in r["path"]]


def openssh(slashed: bool) -> str:
    """A new OpenSSH ed25519 key whose SHA-256 fingerprint holds '/' or not, as asked (about half of keys do)."""
    while True:
        key = ed25519.Ed25519PrivateKey.generate().public_key()
        line = key.public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH).decode()
        blob = base64.b64decode(line.split()[1])
        fingerprint = base64.b64encode(hashlib.sha256(blob).digest()).decode().rstrip("=")
        if ("/" in fingerprint) == slashed:
            return line


def test_ssh_keys(pelican, pelican_emulator):
    extra = {"key_one": openssh(False), "key_two": openssh(False), "key_slashed": openssh(True)}
    pelican.playbook(
        "pelican_ssh_key",
        "-e",
        json.dumps(extra),
        env=pelican.env(PTERODACTYL_CLIENT_API_KEY=pelican_emulator.user_client_key),
    )
    log = pelican_emulator.requests()
    ssh = accepted(log, "/ssh-keys")
    # Add, add the replacement, delete the old one by fingerprint, delete the new one; never the removed route, and
    # nothing for the key already gone (Pelican would answer 404). Then the key whose fingerprint has a '/': added,
    # and its removal refused before any request.
    assert [method for method, _path in ssh] == ["POST", "POST", "DELETE", "DELETE", "POST"], ssh
    assert all(path != "client/account/ssh-keys/remove" for _method, path in ssh)
    assert refused(log) == []


def test_subusers(pelican, pelican_emulator):
    pelican.playbook("pelican_subuser", env=pelican.env(PTERODACTYL_CLIENT_API_KEY=pelican_emulator.user_client_key))
    log = pelican_emulator.requests()
    # Invite, then remove; the second spelling of the same permissions and the unknown one sent nothing.
    assert [method for method, path in accepted(log, "/users") if "/servers/" in path] == ["POST", "DELETE"]
    assert refused(log) == []
