"""Keyed, deterministic replacements: UIDs, patient / accession / study-ID pseudonyms and the
per-patient date and time shift. Same key + same input -> same output, in any file, run or release;
without the key nothing can be reversed (HMAC-SHA256, tasks.config.keys.keyed_digest).

The key the stages use is the site key narrowed to a pseudonym domain (``domain_key``: the
recipient or project a request names), so releases to different recipients share no
identifier while releases to the same recipient stay consistent."""

from __future__ import annotations

import base64
import csv
import io
from functools import lru_cache
from pathlib import Path

from tasks.config.keys import keyed_digest
from tasks.config.phi import seal_clear_records, sidecars
from tasks.config.sealed_files import PSEUDONYM_MAP, read_sealed, write_sealed
from tasks.runtime.workspace import Workspace

MAX_UID_LENGTH = 64


def normalise_domain(domain: str) -> str:
    """'Lab  X' and 'lab x' are the same recipient: spaces collapsed, case folded."""
    return " ".join(domain.split()).casefold()


def domain_key(key: bytes, domain: str) -> bytes:
    """The pseudonymisation key of one domain: HMAC of the site key and the domain name.
    Every pseudonym, UID, date shift and surrogate of a release is derived from it."""
    name = normalise_domain(domain)
    if not name:
        raise ValueError("a pseudonym domain must not be blank")
    return keyed_digest(key, "pseudonym_domain", name).hex().encode("ascii")


@lru_cache(maxsize=65536)
def map_uid(key: bytes, root: str, uid: str) -> str:
    """``2.25.<int of 128 bits of HMAC>`` by default, or ``<root>.<digits>`` (<= 64 chars)."""
    digest = keyed_digest(key, "uid", uid)
    if root == "2.25":
        return f"2.25.{int.from_bytes(digest[:16], 'big')}"
    digits = str(int.from_bytes(digest, "big"))
    return f"{root}.{digits[: MAX_UID_LENGTH - len(root) - 1]}"


def _code(key: bytes, purpose: str, value: str, length: int) -> str:
    digest = keyed_digest(key, purpose, value)
    return base64.b32encode(digest).decode("ascii")[:length]


@lru_cache(maxsize=4096)
def patient_pseudonym(key: bytes, basis: str, prefix: str, length: int) -> str:
    return prefix + _code(key, "patient", basis, length)


@lru_cache(maxsize=4096)
def accession_pseudonym(key: bytes, accession: str, prefix: str, length: int) -> str:
    return prefix + _code(key, "accession", accession, length)[: 16 - len(prefix)]


@lru_cache(maxsize=4096)
def study_id_pseudonym(key: bytes, study_id: str, prefix: str, length: int) -> str:
    return prefix + _code(key, "study_id", study_id, length)[: 16 - len(prefix)]


@lru_cache(maxsize=4096)
def date_shift_days(key: bytes, basis: str, low: int, high: int) -> int:
    """A per-patient offset in [low, high], never 0 when the range allows it."""
    span = high - low + 1
    number = int.from_bytes(keyed_digest(key, "date_shift", basis)[:8], "big")
    days = low + number % span
    if days == 0 and span > 1:
        days = low if low != 0 else high
    return days


@lru_cache(maxsize=4096)
def time_shift_seconds(key: bytes, basis: str) -> int:
    """The per-patient part of the offset below one day, in [1, 86399]: added to the whole
    days of ``date_shift_days``, it moves times of day as well as dates."""
    number = int.from_bytes(keyed_digest(key, "time_shift", basis)[:8], "big")
    return 1 + number % 86399


def patient_basis(patient_id: str, patient_name: str, birth_date: str, study_uid: str) -> str:
    """What identifies 'the same patient': the Patient ID; failing that, name + birth date;
    failing both, the study (each study its own pseudonymous patient)."""
    if patient_id.strip():
        return "id\x00" + patient_id.strip()
    if patient_name.strip():
        return "name\x00" + patient_name.strip().upper() + "\x00" + birth_date.strip()
    return "study\x00" + study_uid.strip()


MAP_COLUMNS = (
    "pseudo_patient_id",
    "patient_id",
    "issuer",
    "pseudo_accession",
    "accession",
    "new_study_uid",
    "study_uid",
    "date_shift_days",
)


def pseudonym_map_path(ws: Workspace) -> Path:
    return ws.audit_dir / "pseudonyms.csv"


def write_pseudonym_map(ws: Workspace, key: bytes) -> int:
    """Rebuild ``audit/pseudonyms.csv`` (pseudonym <-> original, for data subjects' rights)
    from the PHI sidecars, sealed with ``key`` (the request's pseudonymisation key, see
    tasks.config.sealed_files). Lives only in the workspace's audit area. Sidecars still in
    the earlier clear format are sealed first, and a clear map is replaced at its path.
    Returns rows written."""
    seal_clear_records(ws, key)
    defaults = {"date_shift_days": 0}
    rows = {
        tuple(str(fields.get(column, defaults.get(column, ""))) for column in MAP_COLUMNS)
        for _, fields in sidecars(ws, key)
    }
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(MAP_COLUMNS)
    writer.writerows(sorted(rows))
    data = buffer.getvalue().encode("utf-8")
    write_sealed(pseudonym_map_path(ws), key, PSEUDONYM_MAP, data)
    return len(rows)


def read_pseudonym_map(ws: Workspace, key: bytes) -> list[dict[str, str]]:
    """The map's rows (a map in the earlier clear CSV is read as it is)."""
    data = read_sealed(pseudonym_map_path(ws), key, PSEUDONYM_MAP, clear_format=_clear_map)
    return list(csv.DictReader(io.StringIO(data.decode("utf-8"), newline="")))


def _clear_map(blob: bytes) -> bool:
    return blob.startswith(MAP_COLUMNS[0].encode("ascii") + b",")
