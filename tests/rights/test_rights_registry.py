"""Opt-out registry, release records, and the byte-preserving CSV row filter."""

from __future__ import annotations

import csv
from concurrent.futures import ProcessPoolExecutor
from datetime import date
from pathlib import Path

from tasks.rights import clinical_rows
from tasks.rights.registry import OptOut, OptOutRegistry
from tasks.rights.releases import record_publication, record_release, releases
from tasks.rights.store import AUDIT_FILE, REGISTRY_FILE
from tasks.runtime import audit


def test_add_contains_entries(tmp_path: Path) -> None:
    registry = OptOutRegistry(tmp_path)
    assert not registry.contains("IPP1", "CHU-IPP")
    assert registry.add(" IPP1 ", "CHU-IPP", date(2026, 5, 4))
    assert not registry.add("IPP1", " CHU-IPP ")  # already there (stripped)
    assert registry.add("IPP2", "")  # any issuer
    assert registry.contains("IPP1", "CHU-IPP") and registry.contains(" IPP1", "CHU-IPP ")
    assert not registry.contains("IPP1", "OTHER") and not registry.contains("ipp1", "CHU-IPP")
    assert not registry.contains("IPP", "CHU-IPP") and not registry.contains("", "")
    assert registry.contains("IPP2", "ANY") and registry.contains("IPP2", "")
    assert registry.contains("IPP1", "")  # no issuer in the file: cannot prove another person
    entries = OptOutRegistry(tmp_path).entries()  # a fresh reader sees the file
    assert entries[0] == OptOut("IPP1", "CHU-IPP", date(2026, 5, 4))
    assert entries[1].patient_id == "IPP2" and entries[1].objected_on == date.today()
    with open(tmp_path / REGISTRY_FILE, newline="") as handle:
        assert next(csv.reader(handle)) == ["patient_id", "issuer", "objected_on"]
    log = tmp_path / AUDIT_FILE
    assert audit.verify(log)[0] and len(audit.read(log)) == 2
    assert "IPP" not in log.read_text()


def test_contains_sees_adds_of_another_instance(tmp_path: Path) -> None:
    reader, writer = OptOutRegistry(tmp_path), OptOutRegistry(tmp_path)
    assert not reader.contains("IPP9", "X")
    writer.add("IPP9", "X")
    assert reader.contains("IPP9", "X")


def _add_many(args: tuple[str, int]) -> int:
    base, worker = args
    registry = OptOutRegistry(Path(base))
    return sum(registry.add(f"IPP{worker}-{n}", "CHU") for n in range(25))


def test_concurrent_adds_lose_nothing(tmp_path: Path) -> None:
    with ProcessPoolExecutor(4) as pool:
        added = list(pool.map(_add_many, [(str(tmp_path), w) for w in range(4)]))
    assert added == [25, 25, 25, 25]
    entries = OptOutRegistry(tmp_path).entries()
    assert len(entries) == 100 and len({e.patient_id for e in entries}) == 100
    assert audit.verify(tmp_path / AUDIT_FILE) == (True, 100, "100 entries, chain intact")


def test_release_records(tmp_path: Path) -> None:
    record_release(
        tmp_path,
        "r1",
        "training",
        tmp_path / "out",
        12,
        date(2026, 1, 2),
        {"until": date(2028, 12, 31)},
    )
    record_release(tmp_path, "r2", "eval", tmp_path / "out2", 3)
    record_publication(tmp_path, "r1", date(2026, 6, 1))
    record_publication(tmp_path, "r1", date(2026, 3, 1))
    first, second = releases(tmp_path)
    assert (first.request_id, first.files, first.released_on) == ("r1", 12, date(2026, 1, 2))
    assert first.retention == {"until": "2028-12-31"}
    assert first.last_published_on == date(2026, 6, 1)
    assert first.destination == (tmp_path / "out").resolve()
    assert second.retention is None and second.last_published_on is None
    assert second.released_on == date.today()


def test_row_filter_keeps_other_records_byte_identical() -> None:
    text = 'AccessionNumber;PatientID;note\r\nA1;P1;"two\r\nlines; ""q"""\r\nA2;P2;x\r\nA3;P1;y'
    records, columns = clinical_rows.parse(text, "PatientID", "AccessionNumber")
    assert (columns.patient, columns.accession) == (1, 0)  # ';' found when ',' finds nothing
    out, removed = clinical_rows.without_rows(records, columns, lambda p, a: p == "P1")
    assert (out, removed) == ("AccessionNumber;PatientID;note\r\nA2;P2;x\r\n", 2)
    out, removed = clinical_rows.without_rows(records, columns, lambda p, a: a == "A2")
    assert out == text.replace("A2;P2;x\r\n", "") and removed == 1
    assert clinical_rows.parse("a,b\n1,2\n", "PatientID", "AccessionNumber") is None
