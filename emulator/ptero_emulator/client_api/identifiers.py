"""Panel 1.12.1+ "realtime" identifiers (``serv_…``, ``user_…``)."""

from __future__ import annotations

import base64
import uuid as uuid_module

from .. import http

# Panel 1.12.1+ "realtime" identifiers: prefix + lowercase unpadded RFC 4648 base32 of the 16 uuid bytes.
REALTIME_ALPHABET = "abcdefghijklmnopqrstuvwxyz234567"
# Bytes the panel's lenient base32 decoder emits for a trailing group of 1..7 characters.
_TAIL_BYTES = {0: 0, 1: 1, 2: 1, 3: 2, 4: 2, 5: 3, 6: 4, 7: 4}


def realtime_identifier(prefix: str, uuid_text: str) -> str:
    """``serv_…`` / ``user_…`` for a uuid (31 characters for serv_)."""
    encoded = base64.b32encode(uuid_module.UUID(uuid_text).bytes).decode("ascii").rstrip("=").lower()
    return f"{prefix}_{encoded}"


def decode_realtime_identifier(prefix: str, value: str) -> str | None:
    """The uuid of a ``<prefix>_…`` value, None when it is not one (404). A body decoding to other than 16 bytes
    raises the panel's 500 InvalidArgumentException (Uuid::fromBytes)."""
    if not value.startswith(prefix + "_"):
        return None
    body_text = value[len(prefix) + 1 :].rstrip("=")
    if not body_text or any(ch not in REALTIME_ALPHABET for ch in body_text):
        return None
    length = len(body_text) // 8 * 5 + _TAIL_BYTES[len(body_text) % 8]
    if length != 16:
        raise http.server_error("InvalidArgumentException")
    bits = "".join(format(REALTIME_ALPHABET.index(ch), "05b") for ch in body_text)[:128]
    return str(uuid_module.UUID(bytes=int(bits, 2).to_bytes(16, "big")))
