"""Approver identity: one TOTP secret per enrolled approver (RFC 6238, the codes of any
authenticator app), kept in an approvers file outside the Prefect database.

A name typed in a form is not an identity; the current one-time code of the approver's
authenticator is. The flow checks it at the gate: within one 30-second step either side of
now, and never a step at or before the last one that approver used, so a code read over a
shoulder or replayed from a log decides nothing. The file is created 0600 next to the stack
(``$CLEARANCE_HOME/approvers.json``) or where ``CLEARANCE_APPROVERS_FILE`` says (a path every
worker sees)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
import struct
import time
from pathlib import Path
from urllib.parse import quote

from tasks.config.errors import ClearanceError
from tasks.runtime import atomic

STEP_SECONDS = 30
DIGITS = 6
WINDOW = 1  # steps accepted either side of now (clock drift, typing time)
EXPIRED_LOOKBACK = 20  # older steps recognised, to say "expired" rather than "wrong"


def approvers_file() -> Path:
    """Where the approvers' secrets live for this process."""
    explicit = os.environ.get("CLEARANCE_APPROVERS_FILE")
    if explicit:
        return Path(explicit)
    home = os.environ.get("CLEARANCE_HOME") or str(Path.home() / ".clearance")
    return Path(home).expanduser() / "approvers.json"


def hotp(secret: str, counter: int, digits: int = DIGITS) -> str:
    """RFC 4226 HOTP of a base32 secret (HMAC-SHA1, dynamic truncation)."""
    key = base64.b32decode(secret.upper() + "=" * (-len(secret) % 8))
    digest = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    number = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return str(number % 10**digits).zfill(digits)


def step_at(moment: float) -> int:
    return int(moment // STEP_SECONDS)


def key_of(name: str) -> str:
    """Names match as the gate matches them: case and spacing ignored."""
    return " ".join(name.split()).casefold()


def _load(path: Path) -> dict[str, dict]:
    if not path.exists():
        return {}
    if path.stat().st_mode & 0o077:
        raise ClearanceError("the approvers file is readable by other users: chmod 600 it")
    return json.loads(path.read_text(encoding="utf-8"))


def _save(path: Path, approvers: dict[str, dict]) -> None:
    """Atomically; a temporary file is created 0600, so the secrets are never readable."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    atomic.write_json(path, approvers)


def enrol(name: str, path: Path | None = None) -> str:
    """A new secret for ``name`` (replacing any earlier one); returns the otpauth URI an
    authenticator app reads (as a QR code or typed in)."""
    if not name.strip():
        raise ClearanceError("an approver needs a name, as listed in release requests")
    path = path or approvers_file()
    approvers = _load(path)
    secret = base64.b32encode(secrets.token_bytes(20)).decode().rstrip("=")
    approvers[key_of(name)] = {"name": " ".join(name.split()), "secret": secret, "last_step": -1}
    _save(path, approvers)
    return otpauth_uri(name, secret)


def otpauth_uri(name: str, secret: str) -> str:
    label = quote(f"Clearance:{' '.join(name.split())}")
    return f"otpauth://totp/{label}?secret={secret}&issuer=Clearance&digits={DIGITS}&period={STEP_SECONDS}"


def is_enrolled(name: str, path: Path | None = None) -> bool:
    return key_of(name) in _load(path or approvers_file())


def check_code(
    name: str, code: str, path: Path | None = None, now: float | None = None
) -> str | None:
    """None when ``code`` is ``name``'s current code, not used before (it is then spent);
    otherwise the reason code: code_missing, not_enrolled, code_reused, code_expired,
    code_wrong."""
    code = "".join(code.split())
    if not code:
        return "code_missing"
    path = path or approvers_file()
    approvers = _load(path)
    entry = approvers.get(key_of(name))
    if entry is None:
        return "not_enrolled"
    current = step_at(time.time() if now is None else now)
    candidates = range(current - WINDOW - EXPIRED_LOOKBACK, current + WINDOW + 1)
    matched = [s for s in candidates if hmac.compare_digest(hotp(entry["secret"], s), code)]
    if not matched:
        return "code_wrong"
    step = matched[-1]
    if step <= entry["last_step"]:
        return "code_reused"  # a replay says more than its age
    if step < current - WINDOW:
        return "code_expired"
    entry["last_step"] = step
    _save(path, approvers)
    return None
