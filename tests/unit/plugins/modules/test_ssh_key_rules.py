"""ssh_key: keys panel 1.14.1 refuses are refused before any request, naming public_key (issue 12, A14); check mode
predicts the new key, not the old key's text beside the new fingerprint (issue 17, B7)."""

from __future__ import annotations

import base64

import pytest
import responses
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

from ansible_collections.ptero.panel.plugins.modules import ssh_key as ssh_key_module
from ansible_collections.ptero.panel.plugins.modules.ssh_key import fingerprint_of
from ansible_collections.ptero.panel.tests.unit.envelopes import unpaged

KEYS = "https://panel.example.test/api/client/account/ssh-keys"


def new_key() -> str:
    return (
        ed25519.Ed25519PrivateKey.generate()
        .public_key()
        .public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH)
        .decode()
    )


@pytest.fixture
def panel():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


@pytest.mark.parametrize(
    ("public_key", "reason"),
    [
        ("ssh-dss " + base64.b64encode(b"\0\0\0\7ssh-dss" + b"x" * 40).decode(), "key type 'ssh-dss' is not accepted"),
        ("rsa-sha2-512 " + base64.b64encode(b"x" * 40).decode(), "key type 'rsa-sha2-512' is not accepted"),
        ("ssh-ed25519 " + "A" * 16400, "is 16412 characters long; the panel accepts at most 16384"),
        ("hello world", "not an OpenSSH public key"),
    ],
)
def test_keys_the_panel_refuses_fail_before_any_request(panel, run_module, public_key, reason):
    outcome = run_module(ssh_key_module.main, {"name": "deploy", "public_key": public_key})
    assert outcome.failed and outcome.result["msg"].startswith(f"public_key: {reason}")
    assert len(panel.calls) == 0


def test_accepted_prefixes_pass_the_local_check():
    for line in (
        "ssh-rsa AAAA",
        "ssh-ed25519 AAAA",
        "ecdsa-sha2-nistp384 AAAA",
        "sk-ssh-ed25519@openssh.com AAAA",
        "sk-ecdsa-sha2-nistp256@openssh.com AAAA",
        "  ssh-ed25519 AAAA c  ",
        new_key(),
    ):
        assert ssh_key_module.public_key_problem(line) is None, line


def test_check_mode_predicts_the_new_key(panel, run_module):
    old, new = new_key(), new_key()
    panel.get(
        KEYS,
        json=unpaged(
            "ssh_key",
            [
                {
                    "name": "deploy",
                    "fingerprint": fingerprint_of(old),
                    "public_key": "-----BEGIN PUBLIC KEY-----old",
                    "created_at": "2026-01-01T00:00:00+00:00",
                }
            ],
        ),
    )
    outcome = run_module(ssh_key_module.main, {"name": "deploy", "public_key": new}, check_mode=True, diff=True)
    predicted = outcome.result["ssh_key"]
    assert outcome.result["changed"] is True
    assert predicted["fingerprint"] == fingerprint_of(new)
    assert predicted["public_key"] == new
    assert [call.request.method for call in panel.calls] == ["GET"]


def test_a_replacement_whose_removal_fails_is_changed(panel, run_module):
    old, new = new_key(), new_key()
    panel.get(
        KEYS,
        json=unpaged(
            "ssh_key",
            [
                {
                    "name": "deploy",
                    "fingerprint": fingerprint_of(old),
                    "public_key": "pem",
                    "created_at": None,
                }
            ],
        ),
    )
    panel.post(
        KEYS,
        json={
            "object": "ssh_key",
            "attributes": {
                "name": "deploy",
                "fingerprint": fingerprint_of(new),
                "public_key": "pem2",
                "created_at": None,
            },
        },
    )
    panel.post(
        f"{KEYS}/remove",
        status=422,
        json={"errors": [{"code": "ValidationException", "status": "422", "detail": "nope"}]},
    )
    outcome = run_module(ssh_key_module.main, {"name": "deploy", "public_key": new})
    assert outcome.failed and outcome.result["changed"] is True
    assert outcome.result["msg"].endswith(
        "Already done before this failure: added the new key (the old one is still there)"
    )
