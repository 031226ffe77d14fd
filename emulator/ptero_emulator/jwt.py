"""The JWTs the panel mints for Wings (websocket, file download/upload and backup download tokens): HS256 signed
with the node's daemon token, standard library only. The one implementation: the Wings emulation mints and
verifies every token with it.

Identity claims follow the modelled panel version. Panel 1.11/1.12: jti = md5(user id . server uuid), a ``user_id``
claim, no scope. Panel 1.12.3+ ("1.14" here): jti = sha256 of the same text, no ``user_id``, and a ``scope`` claim
naming what the token may do. ``unique_id`` is Laravel's Str::random() (16 mixed-case alphanumerics) on every
version.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from typing import Any

UNIQUE_ID_ALPHABET = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
NOT_BEFORE_LEEWAY = 300  # the panel sets nbf five minutes before iat


class JwtMalformed(Exception):
    """The token cannot be parsed or its signature does not verify (Wings reports a generic daemon error)."""


def _b64url_encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _b64url_decode(text: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (ValueError, TypeError) as error:
        raise JwtMalformed("jwt: malformed token") from error


def _signature(signing_input: str, key: str) -> bytes:
    return hmac.new(key.encode(), signing_input.encode(), hashlib.sha256).digest()


def _compact(data: dict[str, Any]) -> str:
    return _b64url_encode(json.dumps(data, separators=(",", ":")).encode())


def encode(claims: dict[str, Any], key: str, jti: Any) -> str:
    """An HS256 token; the panel repeats the jti in the header."""
    signing_input = _compact({"typ": "JWT", "alg": "HS256", "jti": jti}) + "." + _compact(claims)
    return signing_input + "." + _b64url_encode(_signature(signing_input, key))


def _parts(token: str) -> tuple[list[str], dict[str, Any], dict[str, Any]]:
    parts = token.split(".")
    if len(parts) != 3:
        raise JwtMalformed("jwt: malformed token")
    try:
        header = json.loads(_b64url_decode(parts[0]))
        claims = json.loads(_b64url_decode(parts[1]))
    except ValueError as error:
        raise JwtMalformed("jwt: malformed token") from error
    if not isinstance(header, dict) or not isinstance(claims, dict) or header.get("alg") != "HS256":
        raise JwtMalformed("jwt: malformed token")
    return parts, header, claims


def unverified_claims(token: str) -> dict[str, Any]:
    """The claims before the signature is checked (to find the node whose key signed it)."""
    return _parts(token)[2]


def decode(token: str, key: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """Verify an HS256 token; return (header, claims). Raises JwtMalformed on any parse or signature failure."""
    parts, header, claims = _parts(token)
    if not hmac.compare_digest(_signature(parts[0] + "." + parts[1], key), _b64url_decode(parts[2])):
        raise JwtMalformed("jwt: HMAC verification failed")
    return header, claims


def node_audience(node: dict[str, Any] | None) -> str:
    """The ``aud`` of a token: the node's daemon address (Pelican: the ``daemon_connect`` port clients use)."""
    node = node or {}
    port = node.get("daemon_connect") or node.get("daemon_listen", 8080)
    return f"{node.get('scheme', 'https')}://{node.get('fqdn', 'node.invalid')}:{port}"


def unique_id() -> str:
    return "".join(secrets.choice(UNIQUE_ID_ALPHABET) for _unused in range(16))


def identity_claims(config: Any, user: dict[str, Any], server_uuid: str, scope: str) -> tuple[str, dict[str, Any]]:
    """(jti, claims) with jti, user_uuid, user_id/scope as the modelled panel version writes them."""
    text = f"{user.get('id')}{server_uuid}".encode()
    if config.has("jwt_scopes"):
        jti = hashlib.sha256(text).hexdigest()
        return jti, {"jti": jti, "user_uuid": user.get("uuid"), "unique_id": unique_id(), "scope": scope}
    jti = hashlib.md5(text).hexdigest()
    return jti, {"jti": jti, "user_uuid": user.get("uuid"), "user_id": user.get("id"), "unique_id": unique_id()}


def panel_claims(issuer: str, node: dict[str, Any] | None, issued: int, lifetime: int) -> dict[str, Any]:
    """The registered claims of every panel token (the identity claims follow)."""
    return {
        "iss": issuer,
        "aud": [node_audience(node)],
        "iat": issued,
        "nbf": issued - NOT_BEFORE_LEEWAY,
        "exp": issued + lifetime,
    }
