"""RFC 6238 one-time codes (SHA-1, 6 digits, 30 s steps), as the panel's two-factor check accepts them."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import struct


def totp_code(secret: str, at: float, step: int = 30) -> str:
    """RFC 6238 (SHA-1, 6 digits) for a base32 secret."""
    key = base64.b32decode(secret.upper() + "=" * (-len(secret) % 8))
    counter = struct.pack(">Q", int(at // step))
    digest = hmac.new(key, counter, hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    number = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return f"{number % 1_000_000:06d}"


def totp_valid(secret: str | None, code: str, at: float, window: int = 4) -> bool:
    """Accept the code of the current 30 s period or of ``window`` periods either side (panel default 4)."""
    if not secret or not re.fullmatch(r"\d{6}", code or ""):
        return False
    return any(hmac.compare_digest(totp_code(secret, at + offset * 30), code) for offset in range(-window, window + 1))
