"""Drop rows of a released CSV while keeping every other row byte-identical.

Each record is read with its exact source text (quoted fields may span lines), so the file
is rewritten by leaving records out, never by re-serialising the ones kept.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass

DELIMITERS = (",", ";", "\t")


@dataclass(frozen=True)
class CsvRecord:
    cells: list[str]
    raw: str  # the record's exact text, line ending included


@dataclass(frozen=True)
class Columns:
    patient: int | None
    accession: int | None


def split_records(text: str, delimiter: str) -> list[CsvRecord]:
    consumed: list[str] = []

    def lines() -> Iterator[str]:
        for line in io.StringIO(text, newline=""):
            consumed.append(line)
            yield line

    records = []
    for cells in csv.reader(lines(), delimiter=delimiter):
        records.append(CsvRecord(cells, "".join(consumed)))
        consumed.clear()
    if consumed:  # trailing text the reader did not turn into a record
        records.append(CsvRecord([], "".join(consumed)))
    return records


def parse(
    text: str, patient_column: str, accession_column: str, delimiter: str = ","
) -> tuple[list[CsvRecord], Columns] | None:
    """Records and the positions of the id columns; None when neither column is found."""
    for candidate in (delimiter, *[d for d in DELIMITERS if d != delimiter]):
        records = split_records(text, candidate)
        if not records:
            return None
        header = [cell.strip().lower() for cell in records[0].cells]
        columns = Columns(
            _index(header, patient_column.lower()), _index(header, accession_column.lower())
        )
        if columns.patient is not None or columns.accession is not None:
            return records, columns
    return None


def without_rows(
    records: list[CsvRecord], columns: Columns, drop: Callable[[str, str], bool]
) -> tuple[str, int]:
    """The text without the body records for which ``drop(patient, accession)`` is true."""
    kept, removed = [records[0].raw], 0
    for record in records[1:]:
        patient = cell(record.cells, columns.patient)
        accession = cell(record.cells, columns.accession)
        if record.cells and drop(patient, accession):
            removed += 1
        else:
            kept.append(record.raw)
    return "".join(kept), removed


def _index(header: list[str], name: str) -> int | None:
    return header.index(name) if name and name in header else None


def cell(cells: list[str], index: int | None) -> str:
    return cells[index].strip() if index is not None and index < len(cells) else ""
