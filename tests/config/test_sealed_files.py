"""Sealed workspace files: AES-GCM under a key derived from the pseudonymisation key, bound
to the file's role; another key, a changed byte or a file in another's place is refused with
a message that holds no value."""

from __future__ import annotations

from pathlib import Path

import pytest

from tasks.config.errors import ClearanceError
from tasks.config.sealed_files import (
    HEADER,
    NONCE_BYTES,
    SealedFileError,
    is_sealed,
    read_sealed,
    seal,
    sealing_key,
    unseal,
    write_sealed,
)

KEY = b"sealed-files-test-key-0123456789"
OTHER_KEY = b"sealed-files-other-key-987654321"
ROLE = "phi-record/d000007"
# invented values, not from any list the code uses
CLEAR = b'{"patient_id": "NIP-88231-QV", "names": ["VARENNES^Odile"], "dates": ["19630411"]}'


def test_the_sealed_bytes_hold_neither_the_content_nor_either_key() -> None:
    blob = seal(KEY, ROLE, CLEAR)
    assert blob.startswith(HEADER) and is_sealed(blob)
    assert unseal(KEY, ROLE, blob) == CLEAR
    for needle in (b"NIP-88231-QV", b"VARENNES", b"varennes", b"Odile", b"19630411", b"1963"):
        assert needle not in blob
    file_key = sealing_key(KEY)
    assert len(file_key) == 32 and file_key != KEY and file_key not in KEY
    assert KEY not in blob and file_key not in blob
    assert seal(KEY, ROLE, CLEAR) != blob  # a fresh nonce each time


def test_another_key_is_refused_by_a_named_error_without_values() -> None:
    blob = seal(KEY, ROLE, CLEAR)
    with pytest.raises(SealedFileError) as raised:
        unseal(OTHER_KEY, ROLE, blob, "d000007.json")
    message = str(raised.value)
    assert isinstance(raised.value, ClearanceError)  # the CLI shows it as a safe message
    assert "d000007.json" in message and "key" in message
    for value in ("NIP-88231-QV", "VARENNES", "19630411", KEY.decode(), OTHER_KEY.decode()):
        assert value not in message
    assert raised.value.__cause__ is None and raised.value.__suppress_context__


def test_every_changed_byte_is_refused() -> None:
    blob = seal(KEY, ROLE, CLEAR)
    for position in range(len(blob)):
        changed = bytearray(blob)
        changed[position] ^= 0x01
        with pytest.raises(SealedFileError):
            unseal(KEY, ROLE, bytes(changed))
    for cut in (0, len(HEADER) - 1, len(HEADER), len(HEADER) + NONCE_BYTES, len(blob) - 1):
        with pytest.raises(SealedFileError):
            unseal(KEY, ROLE, blob[:cut])
    with pytest.raises(SealedFileError):
        unseal(KEY, ROLE, blob + b"\x00")


def test_a_file_in_another_files_place_is_refused() -> None:
    blob = seal(KEY, ROLE, CLEAR)
    for other_role in ("phi-record/d000008", "pseudonym-map"):
        with pytest.raises(SealedFileError):
            unseal(KEY, other_role, blob)


def test_a_clear_file_is_read_only_when_its_earlier_format_is_recognised(tmp_path: Path) -> None:
    path = tmp_path / "d000007.json"
    path.write_bytes(CLEAR)
    assert read_sealed(path, KEY, ROLE, clear_format=lambda b: b.startswith(b"{")) == CLEAR
    with pytest.raises(SealedFileError, match="not a sealed file"):
        read_sealed(path, KEY, ROLE)  # no earlier format for this file
    path.write_bytes(b"garbage " + CLEAR)
    with pytest.raises(SealedFileError):
        read_sealed(path, KEY, ROLE, clear_format=lambda b: b.startswith(b"{"))


def test_write_sealed_replaces_a_clear_file_owner_only(tmp_path: Path) -> None:
    path = tmp_path / "audit" / "pseudonyms.csv"
    path.parent.mkdir()
    path.write_bytes(b"pseudo_patient_id,patient_id\nPX1,NIP-88231-QV\n")
    for durable in (True, False):
        write_sealed(path, KEY, "pseudonym-map", CLEAR, durable=durable)
        raw = path.read_bytes()
        assert is_sealed(raw) and b"NIP-88231-QV" not in raw
        assert path.stat().st_mode & 0o077 == 0
        assert read_sealed(path, KEY, "pseudonym-map") == CLEAR
    assert sorted(p.name for p in path.parent.iterdir()) == ["pseudonyms.csv"]  # no temp left
