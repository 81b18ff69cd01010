"""Pseudonymisation key: read from the environment (the flow layer may pass a Secret block's
value instead). There is no default key: a run without one fails at the start."""

from __future__ import annotations

import hashlib
import hmac
import os

from tasks.config.errors import MissingKey

MIN_KEY_LENGTH = 16


def key_from_env(variable: str = "CLEARANCE_PSEUDONYM_KEY") -> bytes:
    value = os.environ.get(variable, "")
    return validate_key(value, f"environment variable {variable}")


def validate_key(value: str, where: str) -> bytes:
    if not value:
        raise MissingKey(
            f"no pseudonymisation key: set {where} (at least {MIN_KEY_LENGTH} characters) "
            "or name a Prefect Secret block in the profile (pseudonym_key.secret_block)"
        )
    if len(value) < MIN_KEY_LENGTH:
        raise MissingKey(f"pseudonymisation key from {where} is shorter than {MIN_KEY_LENGTH}")
    return value.encode("utf-8")


def keyed_digest(key: bytes, purpose: str, value: str) -> bytes:
    """HMAC-SHA256 of a value, domain-separated by purpose (uid, patient, accession, ...)."""
    return hmac.new(key, f"{purpose}\x00{value}".encode(), hashlib.sha256).digest()


def key_fingerprint(key: bytes) -> str:
    """A short non-reversible label of the key, for the audit log (which key was used)."""
    return hashlib.sha256(b"clearance-key-fingerprint\x00" + key).hexdigest()[:12]
