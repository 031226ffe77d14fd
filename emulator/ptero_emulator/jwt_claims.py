"""The identity claims the panel puts into the JWTs it mints for Wings (websocket, file and backup tokens).

Panel 1.11/1.12: jti = md5(user id . server uuid), a ``user_id`` claim, no scope. Panel 1.12.3+ ("1.14" here):
jti = sha256 of the same text, no ``user_id``, and a ``scope`` claim naming what the token may do.
``unique_id`` is Laravel's Str::random() (16 mixed-case alphanumerics) on every version.
"""
from __future__ import annotations

import hashlib
import secrets
from typing import Any

UNIQUE_ID_ALPHABET = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"


def unique_id() -> str:
    return "".join(secrets.choice(UNIQUE_ID_ALPHABET) for _unused in range(16))


def identity_claims(config: Any, user: dict[str, Any], server_uuid: str, scope: str) -> tuple[str, dict[str, Any]]:
    """(jti, claims) with jti, user_uuid, user_id/scope as the modelled panel version writes them."""
    text = f"{user.get('id')}{server_uuid}".encode()
    scoped = config.has("jwt_scopes") if hasattr(config, "has") else False
    if scoped:
        jti = hashlib.sha256(text).hexdigest()
        claims: dict[str, Any] = {"jti": jti, "user_uuid": user.get("uuid"), "unique_id": unique_id(), "scope": scope}
    else:
        jti = hashlib.md5(text).hexdigest()
        claims = {"jti": jti, "user_uuid": user.get("uuid"), "user_id": user.get("id"), "unique_id": unique_id()}
    return jti, claims
