"""Public SSH keys as the panel's account routes read them: the accepted formats, its error messages, the
PEM it stores and the SHA-256 fingerprint."""

from __future__ import annotations

import base64
import hashlib

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import dsa, rsa
from cryptography.hazmat.primitives.asymmetric.types import PublicKeyTypes


class SshKeyError(ValueError):
    pass


# Panel 1.14.1 UserSSHKey: the key (trimmed) must start with one of these.
SSH_KEY_PREFIXES = (
    "ssh-rsa ",
    "ssh-ed25519 ",
    "ecdsa-sha2-",
    "sk-ssh-ed25519@openssh.com ",
    "sk-ecdsa-sha2-nistp256@openssh.com ",
    "-----BEGIN PUBLIC KEY-----",
    "-----BEGIN RSA PUBLIC KEY-----",
    "-----BEGIN EC PUBLIC KEY-----",
    "-----BEGIN DSA PUBLIC KEY-----",
    "---- BEGIN SSH2 PUBLIC KEY ----",
)


def parse_public_key(text: str) -> tuple[str, str]:
    """(PKCS8 PEM with CRLF line ends as phpseclib writes it, SHA-256 fingerprint as unpadded base64).

    Raises SshKeyError with the panel's message. Accepts OpenSSH one-line keys and PEM public keys.
    """
    data = text.strip().encode()
    if data.startswith(b"ssh-dss "):
        raise SshKeyError("DSA keys are not supported.")
    key: PublicKeyTypes | serialization.SSHPublicKeyTypes
    try:
        if data.startswith(b"-----BEGIN"):
            key = serialization.load_pem_public_key(data)
        else:
            key = serialization.load_ssh_public_key(data)
    except Exception:  # ValueError, UnsupportedAlgorithm...: any parse failure means "not valid"
        raise SshKeyError("The public key provided is not valid.") from None
    if isinstance(key, dsa.DSAPublicKey):
        raise SshKeyError("DSA keys are not supported.")
    if isinstance(key, rsa.RSAPublicKey) and key.key_size < 2048:
        raise SshKeyError("RSA keys must be at least 2048 bytes in length.")
    try:
        wire = key.public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH)
    except ValueError:
        raise SshKeyError("The public key provided is not valid.") from None
    blob = base64.b64decode(wire.split()[1])
    fingerprint = base64.b64encode(hashlib.sha256(blob).digest()).decode().rstrip("=")
    pem = key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    return pem.strip().replace("\n", "\r\n"), fingerprint
