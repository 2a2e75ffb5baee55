"""Identifiers and secrets: join codes, attendee ids, resume tokens, key checks."""

from __future__ import annotations

import hashlib
import hmac
import secrets

# No 0/O, 1/I/L: join codes are read aloud and typed on phones.
JOIN_CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
JOIN_CODE_LENGTH = 6


def new_join_code() -> str:
    """A short, unambiguous event code such as ``K7Q2MX``."""
    return "".join(secrets.choice(JOIN_CODE_ALPHABET) for _ in range(JOIN_CODE_LENGTH))


def normalise_join_code(code: str) -> str:
    """Codes are case-insensitive for the people typing them."""
    return code.strip().upper()


def new_secret() -> str:
    """An unguessable secret (presenter key, resume token): 192 random bits."""
    return secrets.token_urlsafe(24)


def new_id(prefix: str) -> str:
    """A short random id such as ``a_3fk29x1q`` (not a secret)."""
    return f"{prefix}_{secrets.token_hex(5)}"


def digest(secret: str) -> str:
    """What we store instead of a secret, so a leaked store does not leak keys."""
    # surrogatepass: a header or payload may carry lone surrogates; they must compare
    # (unequal), not crash.
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


def secret_matches(candidate: str, expected_digest: str) -> bool:
    """Constant-time check of a secret against a stored digest."""
    return hmac.compare_digest(digest(candidate), expected_digest)


def same_secret(candidate: str, expected: str) -> bool:
    """Constant-time comparison of two secrets held in memory (the admin token)."""
    return hmac.compare_digest(
        candidate.encode("utf-8", "surrogatepass"), expected.encode("utf-8", "surrogatepass")
    )
