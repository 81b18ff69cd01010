"""Ingest, second pass: decide per DICOM input whether the pipeline can take it further.

``classify_dicom_batch`` is a file-stage-like pass over one batch: a file is recognised when
it is a readable DICOM instance (Part 10, or a bare data set whose encoding its first
elements show) that passes the structural guards and whose patient has not objected;
everything else goes to quarantine with a reason code.
"""

from __future__ import annotations

import errno
import os
import stat
import warnings
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

import pydicom
from pydicom.errors import InvalidDicomError

from tasks.dicom.elements import more_elements_than
from tasks.dicom.source import HEAD_BYTES, raw_encoding
from tasks.ingest.guards import (
    MAX_INFLATED_BYTES,
    inflated_size,
    is_truncated,
    pixel_size_problem,
    structure_problem,
)
from tasks.ingest.indexing import INGEST
from tasks.runtime.stage_contract import Outcome, StageContext
from tasks.runtime.workspace import ItemResult, Workspace

if TYPE_CHECKING:
    from tasks.rights.registry import OptOutRegistry
    from tasks.runtime.watchdog import Watchdog

OptOutCheck = Callable[[str, str], bool]  # (patient_id, issuer) -> objected?
DICOMDIR_SOP_CLASS = "1.2.840.10008.1.3.10"
NO_OUTPUT = Path(os.devnull)  # recognition writes nothing
# pydicom holds ~300 bytes per element: a 12 MB file of 1 000 000 empty elements took 10 s
# and 330 MB to read, once per stage. Real headers hold thousands (large RT structure sets
# a few hundred thousand).
MAX_ELEMENTS = 500_000


def recognise_dicom(path: Path, is_opted_out: OptOutCheck | None = None) -> str | None:
    """None when ``path`` is a DICOM instance worth processing, else a reason code.

    ``is_opted_out(patient_id, issuer)`` excludes patients who objected (opt-out registry).
    """
    head = _read_head(path)
    if isinstance(head, str):
        return head
    has_preamble = len(head) >= 132 and head[128:132] == b"DICM"
    raw = None if has_preamble else raw_encoding(head, path.stat().st_size)
    if not has_preamble and raw is None:
        return "ingest.not_dicom"
    inflated = inflated_size(path) if has_preamble else None
    if inflated is not None and inflated > MAX_INFLATED_BYTES:
        return "ingest.deflate_too_large"
    if inflated is None and more_elements_than(MAX_ELEMENTS, path, has_preamble, raw):
        return "ingest.too_many_elements"
    try:
        # defer_size keeps large values (pixels) on disk: we only need the structure
        dataset = pydicom.dcmread(path, defer_size=1024, force=not has_preamble)
    except (InvalidDicomError, EOFError, OSError):
        return "ingest.unreadable_dicom"
    except Exception:  # pydicom raises many types on corrupt input; none may escape
        return "ingest.unreadable_dicom"
    # offsets in a deflated dataset count from the start of the inflated stream
    size = inflated if inflated is not None else path.stat().st_size
    if is_truncated(dataset, size):
        return "ingest.truncated"
    pixel_problem = pixel_size_problem(dataset)
    if pixel_problem:
        return pixel_problem
    try:
        problem = structure_problem(dataset)
    except Exception:  # an element of the tree cannot be decoded (RecursionError included)
        return "ingest.unreadable_dicom"
    if problem:
        return problem
    media_class = str(getattr(dataset.get("file_meta", None), "MediaStorageSOPClassUID", ""))
    if media_class == DICOMDIR_SOP_CLASS or "DirectoryRecordSequence" in dataset:
        return "ingest.dicomdir"
    if not str(dataset.get("SOPClassUID", "")):
        return "ingest.no_sop_class"
    if not str(dataset.get("SOPInstanceUID", "")):
        return "ingest.no_sop_instance"
    if is_opted_out is not None:
        patient_id = str(dataset.get("PatientID", "") or "")
        issuer = str(dataset.get("IssuerOfPatientID", "") or "")
        if patient_id.strip() and is_opted_out(patient_id, issuer):
            return "ingest.opted_out"
    return None


def _recognise_here(path: Path, is_opted_out: OptOutCheck | None) -> str | None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # pydicom's warnings quote values
            return recognise_dicom(path, is_opted_out)
    except Exception:
        return "ingest.unreadable"


def recognise_file(src: Path, dst: Path, item_id: str, ctx: StageContext) -> Outcome:
    """``recognise_dicom`` shaped as a file stage, for the watchdog's child (no output)."""
    reason = _recognise_here(src, _opt_out_registry(Path(ctx.release_request.workspace)).contains)
    return Outcome(reason is None, reason)


@lru_cache(maxsize=4)
def _opt_out_registry(base: Path) -> OptOutRegistry:
    from tasks.rights.registry import OptOutRegistry

    return OptOutRegistry(base)  # re-reads its file when it changes


def _read_head(path: Path) -> bytes | str:
    """The first bytes (preamble and prefix, or a bare data set's first elements), or a
    reason code when ``path`` is no longer a readable regular file: inputs were checked with
    lstat when indexed, but may have been swapped since for a link (never followed:
    O_NOFOLLOW) or a FIFO (opening it would block: O_NONBLOCK)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError as error:
        return "ingest.symlink" if error.errno == errno.ELOOP else "ingest.unreadable"
    with os.fdopen(fd, "rb") as handle:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return "ingest.not_a_regular_file"
        return handle.read(HEAD_BYTES)


def classify_dicom_batch(
    ws: Workspace,
    batch: str,
    is_opted_out: OptOutCheck | None = None,
    watchdog: Watchdog | None = None,
) -> dict[str, int]:
    """Recognise each DICOM input of ``batch``; quarantine the rest. Idempotent.

    With a ``watchdog`` each file is read in its watched child (per-file time and memory
    limits; the opt-out check is then the registry of the request's workspace)."""
    done = ws.read_results(INGEST, batch)
    if done is None:
        items = ws.items_by_id()
        results = []
        for item_id in ws.batch_ids(batch):
            item = items[item_id]
            if watchdog is not None:
                outcome = watchdog.run(INGEST, recognise_file, Path(item.source), NO_OUTPUT, "")
                reason = None if outcome.ok else (outcome.reason or "ingest.unreadable")
            else:
                reason = _recognise_here(Path(item.source), is_opted_out)
            if reason:
                ws.quarantine(item, INGEST, reason)
                results.append(ItemResult(item_id, False, reason=reason))
            else:
                results.append(ItemResult(item_id, True, item.source))
        ws.write_results(INGEST, batch, results)
        done = results
    ok = sum(1 for r in done if r.ok)
    return {"ok": ok, "quarantined": len(done) - ok}
