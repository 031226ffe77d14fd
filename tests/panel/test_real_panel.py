"""Every module against a real panel: create, re-run (no change), check and diff mode, remove.

The assertions live in the playbooks (each ends in the state it started from); a failing playbook prints its
output here."""

from __future__ import annotations

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey


def openssh_public_key() -> str:
    key = Ed25519PrivateKey.generate().public_key()
    return key.public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH).decode()


def test_infrastructure_and_accounts(panel):
    """Location, node, allocations, users, the account's SSH and API keys, and the read-only modules; no Wings."""
    run = panel.playbook("infrastructure", ssh_public_key=openssh_public_key() + " ptero-test")
    assert run.rc == 0, run.output[-20000:]


def test_server_lifecycle(panel, wings_node):
    """A server on the given node and everything the client API does with it; needs a running Wings."""
    run = panel.playbook("server_lifecycle", **wings_node)
    assert run.rc == 0, run.output[-20000:]
