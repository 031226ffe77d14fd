"""The ssh_key module computes the panel's fingerprint locally (SHA-256, unpadded base64, no prefix)."""

from __future__ import annotations

import base64
import hashlib

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

from ansible_collections.ptero.panel.plugins.modules.ssh_key import bare, fingerprint_of


def test_fingerprint_matches_the_key_blob_digest():
    line = (
        ed25519.Ed25519PrivateKey.generate()
        .public_key()
        .public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH)
        .decode()
    )
    expected = base64.b64encode(hashlib.sha256(base64.b64decode(line.split()[1])).digest()).decode()
    assert fingerprint_of(line + " someone@example") == expected.rstrip("=")
    assert "=" not in fingerprint_of(line) and not fingerprint_of(line).startswith("SHA256:")


def test_text_that_is_not_a_key_has_no_fingerprint():
    assert fingerprint_of("hello world") is None
    assert fingerprint_of("ssh-ed25519") is None


def test_fingerprints_compare_without_prefix_or_padding():
    assert bare("SHA256:abc=") == "abc" == bare("abc")
    assert bare(None) == ""
