"""Cross-check at study level: a file's kept text against every identifying value of its study.

The header stage cross-checks each file against its own identifying values (the walker,
``crosscheck.py``). A value written only in *another* file of the same study escapes that
check: the radiographer's name in one series' operators, a referring physician only on the
report object, a station name in one modality's header and in another's free-text comment.
Files of one study are spread over batches that run in parallel, so the study's values are
only all known once every file has been through the header stage: this pass runs on the
assembled candidate, before the release-wide rules, conformance and the checks.

Needles of a study are the union of its files' identifying values (the PHI records the
header stage wrote); each staged file is searched only for the values that are not its own
(its own were handled by the walker). A hit is treated as the walker treats it: the
attribute is removed, emptied or its value replaced by a dummy, as the table's basic action
says. Files are rewritten only when something is found (atomically; pixel data untouched).
Counts only leave this module.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Iterator
from pathlib import Path

import pydicom
from pydicom.dataelem import DataElement
from pydicom.dataset import Dataset

from tasks.config.phi import PhiRecord, read_record
from tasks.headers.crosscheck import Needles, holds_identifier, pattern
from tasks.headers.identifiers import GROUPS, Identifiers
from tasks.headers.table import CHECKED_VRS, Plan
from tasks.headers.walker import DUMMY_BY_VR, DUMMY_TEXT
from tasks.runtime import atomic
from tasks.runtime.workspace import Workspace

SEARCHED_VRS = CHECKED_VRS | {"PN"}


def own_needles(record: PhiRecord) -> frozenset[str]:
    """The identifying values of one file as the walker searched them."""
    groups = {group: list(record.identifiers.get(group, [])) for group in GROUPS}
    return frozenset(Identifiers(groups=groups).needles())


def study_key(record: PhiRecord) -> str:
    """What ties a file to its study: the original Study Instance UID, else the accession
    number, else the patient (a file with none of them stands alone)."""
    for prefix, value in (("uid", record.study_uid), ("acc", record.accession)):
        if value.strip():
            return f"{prefix}:{value.strip()}"
    return f"pid:{record.patient_id.strip()}" if record.patient_id.strip() else ""


def foreign_needles(records: dict[str, PhiRecord]) -> dict[str, frozenset[str]]:
    """For each item, the identifying values of its study that are not its own."""
    own = {item_id: own_needles(record) for item_id, record in records.items()}
    members: dict[str, list[str]] = {}
    for item_id, record in records.items():
        key = study_key(record)
        if key:
            members.setdefault(key, []).append(item_id)
    out: dict[str, frozenset[str]] = {}
    for items in members.values():
        if len(items) < 2:
            continue
        union = frozenset().union(*(own[i] for i in items))
        for item_id in items:
            extra = union - own[item_id]
            if extra:
                out[item_id] = extra
    return out


def _text_elements(ds: Dataset) -> Iterator[tuple[Dataset, DataElement]]:
    """Every element of a text VR at any depth, with the data set that holds it."""
    for element in list(ds):
        if element.VR == "SQ":
            for item in element.value or []:
                yield from _text_elements(item)
        elif element.VR in SEARCHED_VRS:
            yield ds, element


def recheck(ds: Dataset, needles: Needles, on_hit: dict[int, str]) -> int:
    """Apply the walker's action to every kept text value holding one of ``needles``;
    the number of attributes changed."""
    hits = 0
    for holder, element in list(_text_elements(ds)):
        value = element.value
        if value is None or value == "":
            continue
        values = [value] if isinstance(value, str) else [str(v) for v in value]
        if not any(holds_identifier(str(v), needles) for v in values):
            continue
        hits += 1
        action = on_hit.get(int(element.tag), "D")
        if action == "X":
            del holder[element.tag]
        elif action == "Z":
            element.value = ""
        else:
            dummy = DUMMY_BY_VR.get(element.VR, DUMMY_TEXT)
            new = [dummy if holds_identifier(str(v), needles) else v for v in values]
            element.value = new[0] if len(new) == 1 else new
    return hits


def released_dicom(ws: Workspace) -> dict[str, Path]:
    """item_id -> staged path of every released DICOM input (from the manifest)."""
    out: dict[str, Path] = {}
    with open(ws.manifest_path, newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            if row["kind"] == "dicom" and row["outcome"] == "released" and row["output"]:
                out[row["item_id"]] = ws.staging / row["output"]
    return out


def crosscheck_studies(ws: Workspace, plan: Plan, key: bytes) -> dict[str, int]:
    """The study-level pass over the staged candidate. Counts: files_in_shared_studies
    (files whose study holds values they do not), study_files_rewritten,
    study_crosscheck_hits. ``key``: the request's pseudonymisation key (sealed sidecars)."""
    staged = released_dicom(ws)
    records = {i: r for i in staged if (r := read_record(ws, i, key)) is not None}
    extra = foreign_needles(records)
    counts = {"files_in_shared_studies": len(extra), "study_files_rewritten": 0}
    counts["study_crosscheck_hits"] = 0
    for item_id, values in sorted(extra.items()):
        needles = pattern(tuple(sorted(values)))
        path = staged[item_id]
        if needles is None or not path.exists():
            continue
        ds = pydicom.dcmread(path)
        hits = recheck(ds, needles, plan.on_hit)
        if hits:
            tmp = atomic.temp_path_for(path)
            ds.save_as(tmp, enforce_file_format=True)
            os.replace(tmp, path)
            counts["study_files_rewritten"] += 1
            counts["study_crosscheck_hits"] += hits
    return counts
