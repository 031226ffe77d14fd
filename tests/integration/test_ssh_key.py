"""ptero.panel.ssh_key end to end against the emulator (the admin's client key)."""

import base64
import hashlib
import json

from conftest import writes
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa


def openssh(key) -> str:
    return key.public_key().public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH).decode()


def fingerprint(public_key: str) -> str:
    digest = hashlib.sha256(base64.b64decode(public_key.split()[1])).digest()
    return base64.b64encode(digest).decode().rstrip("=")


def test_ssh_key(ansible, emulator):
    key_one = openssh(ed25519.Ed25519PrivateKey.generate()) + " deploy@example"
    key_two = openssh(ed25519.Ed25519PrivateKey.generate())
    extra = {
        "key_one": key_one,
        "key_two": key_two,
        "fingerprint_one": fingerprint(key_one),
        "fingerprint_two": fingerprint(key_two),
        "short_rsa_key": openssh(rsa.generate_private_key(public_exponent=65537, key_size=1024)),
    }
    emulator.clear_requests()
    ansible.playbook("ssh_key", "-e", json.dumps(extra))
    sent = [
        (r["path"].rsplit("/", 1)[1], r["status"])
        for r in writes(emulator.requests())
        if "/account/ssh-keys" in r["path"]
    ]
    # add; replace (add the new key, then remove the old one); the refused key (422); remove.
    assert sent == [("ssh-keys", 200), ("ssh-keys", 200), ("remove", 204), ("ssh-keys", 422), ("remove", 204)], sent
    assert not [row for row in emulator.state("ssh_keys") if row["name"].startswith("itest")]
