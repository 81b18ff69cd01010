"""Workspace files that hold identifying values, encrypted at rest (AES-256-GCM).

The PHI sidecars (``work/phi/<item_id>.json``) and the pseudonym map
(``audit/pseudonyms.csv``) keep their names but hold a sealed blob:

    MAGIC (8 bytes) | version (1 byte) | nonce (12 bytes) | ciphertext + GCM tag (16 bytes)

The key is derived with HKDF-SHA256 from the request's pseudonymisation key (the site key
narrowed to the request's pseudonym domain) under its own label, so it is never the key
the pseudonyms are computed with. The associated data binds the header and the file's role
(``pseudonym-map``, ``phi-record/<item_id>``): a sidecar moved to another item's name, or
the map put in a sidecar's place, is refused like a changed byte.

Reading a file written by the earlier clear format is allowed when the caller recognises
it (``clear_format``): the rights commands must keep working on a workspace written before
sealing (a data subject's erasure cannot wait for a migration), and the next write of that
file replaces it, at the same path, by its sealed form.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from tasks.config.errors import ClearanceError
from tasks.runtime import atomic

MAGIC = b"CLRSEAL\x00"
VERSION = 1
NONCE_BYTES = 12
TAG_BYTES = 16
HEADER = MAGIC + bytes([VERSION])
_LABEL = b"clearance sealed workspace files v1"

PSEUDONYM_MAP = "pseudonym-map"


def phi_record_role(item_id: str) -> str:
    return f"phi-record/{item_id}"


class SealedFileError(ClearanceError):
    """A sealed file that cannot be opened: another key, a changed byte, or a file put in
    another file's place. The message names the file's role and name, never its content."""


def sealing_key(key: bytes) -> bytes:
    """The 256-bit file key of a pseudonymisation key (HKDF-SHA256, own label)."""
    kdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_LABEL)
    return kdf.derive(key)


@lru_cache(maxsize=16)
def _cipher(key: bytes) -> AESGCM:
    return AESGCM(sealing_key(key))


def is_sealed(blob: bytes) -> bool:
    return blob.startswith(MAGIC)


def seal(key: bytes, role: str, data: bytes) -> bytes:
    nonce = os.urandom(NONCE_BYTES)
    sealed = _cipher(key).encrypt(nonce, data, _associated(role))
    return HEADER + nonce + sealed


def unseal(key: bytes, role: str, blob: bytes, name: str = "") -> bytes:
    where = f"sealed {role.split('/', 1)[0]} file {name}".rstrip()
    if not is_sealed(blob):
        raise SealedFileError(f"{where}: not a sealed file")
    if len(blob) < len(HEADER) + NONCE_BYTES + TAG_BYTES:
        raise SealedFileError(f"{where}: truncated")
    if blob[len(MAGIC)] != VERSION:
        raise SealedFileError(f"{where}: unknown sealed-file version")
    start = len(HEADER)
    nonce, body = blob[start : start + NONCE_BYTES], blob[start + NONCE_BYTES :]
    try:
        return _cipher(key).decrypt(nonce, body, _associated(role))
    except (InvalidTag, ValueError):
        raise SealedFileError(
            f"{where}: cannot be opened with this key, or it was altered or moved"
        ) from None


def write_sealed(path: Path, key: bytes, role: str, data: bytes, *, durable: bool = True) -> None:
    """Atomic (owner-only temp file, then rename). ``durable=False`` skips the fsync and uses
    the file's one temp name (``.<name>.tmp``: one writer per file, as for the sidecars)."""
    blob = seal(key, role, data)
    if durable:
        atomic.write_bytes(path, blob)
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(blob)
    os.replace(tmp, path)


def read_sealed(
    path: Path, key: bytes, role: str, clear_format: Callable[[bytes], bool] | None = None
) -> bytes:
    """The file's clear bytes. A file in the earlier clear format is returned as it is when
    ``clear_format`` recognises it; anything else that is not sealed is refused."""
    blob = path.read_bytes()
    if not is_sealed(blob) and clear_format is not None and clear_format(blob):
        return blob
    return unseal(key, role, blob, path.name)


def _associated(role: str) -> bytes:
    return HEADER + b"\x00" + role.encode("utf-8")
