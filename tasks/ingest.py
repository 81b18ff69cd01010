"""Ingest: index every input file, then recognise DICOM. Nothing is skipped silently.

``index_inputs`` lists the request's inputs (DICOM tree, reports folder, clinical CSV) into
the workspace index and splits them into batches. ``classify_dicom`` is a file-stage-like
pass over one batch that decides, per file, whether it is a DICOM instance the pipeline can
take further; everything else goes to quarantine with a reason code.
"""

from __future__ import annotations

import errno
import mmap
import os
import stat
import struct
import warnings
import zlib
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

import pydicom
from pydicom.datadict import dictionary_VR
from pydicom.errors import InvalidDicomError
from pydicom.filereader import read_file_meta_info
from pydicom.uid import UID, DeflatedExplicitVRLittleEndian

from tasks.headers.source import HEAD_BYTES, RawEncoding, raw_encoding
from tasks.request import ReleaseRequest
from tasks.stage import Outcome, StageContext
from tasks.workspace import Item, ItemResult, Workspace

if TYPE_CHECKING:
    from tasks.rights.registry import OptOutRegistry
    from tasks.watchdog import Watchdog

OptOutCheck = Callable[[str, str], bool]  # (patient_id, issuer) -> objected?
DICOMDIR_SOP_CLASS = "1.2.840.10008.1.3.10"
INGEST = "ingest"
NO_OUTPUT = Path(os.devnull)  # recognition writes nothing
MAX_FILE_BYTES = 4 * 1024**3  # larger than any sane instance: refuse before reading
# Decoders allocate the declared Rows x Columns x Frames x Samples x BitsAllocated/8 before
# they look at the data: a 2 KB RLE file declaring 30000 x 30000 x 3 x 2 frames made the
# pixel stage allocate gigabytes. The pixel stage holds ~3 copies of the decoded frames.
MAX_DECODED_PIXEL_BYTES = 1024**3
# pydicom inflates a deflated dataset whole, in memory: a 3 MB file inflated to 600 MB
MAX_INFLATED_BYTES = 256 * 1024**2
PIXEL_DATA = 0x7FE00010
UNDEFINED_LENGTH = 0xFFFFFFFF
# Free text is cleaned with NER: one 1 MB UT descriptor took 26 s and 3 GB in the header
# stage. The standard caps LT at 10 240 characters; UT/UC have no cap but no descriptor
# or comment needs more than this.
MAX_TEXT_VALUE_BYTES = 64 * 1024
TEXT_VRS = {"LO", "LT", "PN", "SH", "ST", "UC", "UT"}
# the stages walk sequences recursively; real objects nest a handful of levels (SR content
# trees a few dozen). 200 levels exhausted the header stage's recursion.
MAX_SEQUENCE_DEPTH = 64
# pydicom holds ~300 bytes per element: a 12 MB file of 1 000 000 empty elements took 10 s
# and 330 MB to read, once per stage. Real headers hold thousands (large RT structure sets
# a few hundred thousand).
MAX_ELEMENTS = 500_000
ITEM_GROUP = 0xFFFE
LONG_VRS = {b"OB", b"OD", b"OF", b"OL", b"OV", b"OW", b"SQ", b"UC", b"UN", b"UR", b"UT"}


def walk_files(root: Path) -> list[tuple[Path, str | None]]:
    """Every entry under ``root`` that is not a directory, sorted, with a pre-check reason.

    Symbolic links are never followed (a link may point outside the input tree or loop);
    they are accounted for as quarantined inputs, and so is a folder that cannot be listed.
    """
    found: list[tuple[Path, str | None]] = []

    def unlistable(error: OSError) -> None:
        # a folder that cannot be listed (permissions, I/O error) would hide its files from
        # the manifest: it is accounted for as one quarantined input
        if error.filename and Path(error.filename) != root:
            found.append((Path(error.filename), "ingest.unreadable_folder"))

    for folder, dirs, files in os.walk(root, followlinks=False, onerror=unlistable):
        base = Path(folder)
        for name in list(dirs):
            if (base / name).is_symlink():
                found.append((base / name, "ingest.symlink"))
        dirs[:] = sorted(d for d in dirs if not (base / d).is_symlink())
        for name in sorted(files):
            path = base / name
            found.append((path, _precheck(path)))
    found.sort(key=lambda pair: str(pair[0]))
    return found


def _precheck(path: Path) -> str | None:
    try:
        info = path.lstat()
    except OSError:
        return "ingest.unreadable"
    if stat.S_ISLNK(info.st_mode):
        return "ingest.symlink"
    if not stat.S_ISREG(info.st_mode):
        return "ingest.not_a_regular_file"
    if info.st_size == 0:
        return "ingest.empty_file"
    if info.st_size > MAX_FILE_BYTES:
        return "ingest.too_large"
    if not os.access(path, os.R_OK):
        return "ingest.unreadable"
    return None


def dicom_root(ws: Workspace, request: ReleaseRequest) -> Path:
    """The DICOM tree to ingest: the request's folder, or what was retrieved from its PACS."""
    source = request.inputs.dicom
    return source if isinstance(source, Path) else ws.root / "retrieved"


def index_inputs(
    ws: Workspace, request: ReleaseRequest, batch_size: int, parallelism: int = 1
) -> dict[str, int]:
    """Index all inputs; quarantine what fails the pre-checks; write batches. Counts only."""
    items: list[Item] = []
    prechecked: dict[str, str] = {}

    def add(kind: str, prefix: str, path: Path, reason: str | None) -> None:
        item = Item(f"{prefix}{len(items):06d}", kind, str(path))
        items.append(item)
        if reason:
            prechecked[item.item_id] = reason

    for path, reason in walk_files(dicom_root(ws, request)):
        add("dicom", "d", path, reason)
    if request.inputs.reports:
        for path, reason in walk_files(request.inputs.reports):
            if reason is None and path.suffix.lower() != ".txt":
                reason = "ingest.not_a_report"
            add("report", "r", path, reason)
    if request.inputs.clinical:
        add("clinical", "c", request.inputs.clinical, _precheck(request.inputs.clinical))

    ws.write_index(items)
    counts: dict[str, int] = {"inputs": len(items)}
    for kind in ("dicom", "report", "clinical"):
        kind_items = [i for i in items if i.kind == kind]
        counts[f"{kind}_inputs"] = len(kind_items)
        for item in kind_items:
            if item.item_id in prechecked:
                ws.quarantine(item, INGEST, prechecked[item.item_id])
        alive = [i.item_id for i in kind_items if i.item_id not in prechecked]
        batches = ws.write_batches(kind, alive, _batch_size(len(alive), batch_size, parallelism))
        by_id = {i.item_id: i for i in kind_items}
        for batch in batches:
            if kind != "dicom":  # reports and clinical files need no recognition pass
                ids = ws.batch_ids(batch)
                ws.write_results(INGEST, batch, [ItemResult(i, True, by_id[i].source) for i in ids])
        counts[f"{kind}_batches"] = len(batches)
    counts["quarantined"] = len(prechecked)
    return counts


def _batch_size(files: int, largest: int, parallelism: int) -> int:
    """Enough batches to keep every worker busy, none larger than ``largest`` files, and
    none so small that per-task overhead dominates."""
    smallest = 10
    return max(1, min(largest, max(smallest, -(-files // max(1, 2 * parallelism)))))


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
    inflated = _inflated_size(path) if has_preamble else None
    if inflated is not None and inflated > MAX_INFLATED_BYTES:
        return "ingest.deflate_too_large"
    if inflated is None and _too_many_elements(path, has_preamble, raw):
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
    if _is_truncated(dataset, size):
        return "ingest.truncated"
    pixel_problem = _pixel_size_problem(dataset)
    if pixel_problem:
        return pixel_problem
    try:
        structure_problem = _structure_problem(dataset)
    except Exception:  # an element of the tree cannot be decoded (RecursionError included)
        return "ingest.unreadable_dicom"
    if structure_problem:
        return structure_problem
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
    reason = _recognise_here(src, _opt_out_registry(Path(ctx.request.workspace)).contains)
    return Outcome(reason is None, reason)


@lru_cache(maxsize=4)
def _opt_out_registry(base: Path) -> OptOutRegistry:
    from tasks.rights.registry import OptOutRegistry

    return OptOutRegistry(base)  # re-reads its file when it changes


def _is_truncated(dataset: pydicom.Dataset, size: int) -> bool:
    """pydicom reads a truncated file without error: compare the last element's declared
    end with the file size."""
    tags = list(dataset.keys())
    if not tags:
        return True
    last = dataset.get_item(tags[-1], keep_deferred=True)
    tell, length = getattr(last, "value_tell", None), getattr(last, "length", None)
    if tell is None or length is None or length == 0xFFFFFFFF:
        return False
    return tell + length > size


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


def _inflated_size(path: Path) -> int | None:
    """For a Deflated Explicit VR Little Endian file, the size of its inflated dataset
    (counted by streaming, never holding more than a chunk; counting stops just past
    ``MAX_INFLATED_BYTES``); None for any other file."""
    try:
        meta = read_file_meta_info(path)
    except Exception:
        return None  # not ours to judge here: the full read decides
    if meta.get("TransferSyntaxUID") != DeflatedExplicitVRLittleEndian:
        return None
    inflater = zlib.decompressobj(-zlib.MAX_WBITS)
    total = 0
    try:
        with open(path, "rb") as handle:
            handle.seek(_meta_end(handle))
            while chunk := handle.read(1 << 16):
                while chunk:
                    total += len(inflater.decompress(chunk, 1 << 20))
                    if total > MAX_INFLATED_BYTES:
                        return total
                    chunk = inflater.unconsumed_tail
    except (OSError, zlib.error):
        return total  # a corrupt stream: what inflates is all there is
    return total


def _too_many_elements(path: Path, has_preamble: bool, raw: RawEncoding | None = None) -> bool:
    """Count element headers (nested ones included) without building anything, up to
    ``MAX_ELEMENTS``: an element-count bomb costs pydicom gigabytes before any check."""
    try:
        with open(path, "rb") as handle:
            start = _meta_end(handle) if has_preamble else 0
            meta = read_file_meta_info(path) if has_preamble else None
            with mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as data:
                syntax = meta.get("TransferSyntaxUID") if meta is not None else None
                if raw is not None:
                    explicit, little = not raw.implicit_vr, raw.little_endian
                else:
                    explicit, little = _encoding(syntax, data, start)
                return _count_elements(data, start, explicit, little) > MAX_ELEMENTS
    except Exception:  # unreadable structure: pydicom's read decides
        return False


def _encoding(syntax: UID | None, data: mmap.mmap, start: int) -> tuple[bool, bool]:
    """(explicit VR, little endian) of the dataset: from the syntax, else guessed."""
    if syntax is not None and syntax.is_transfer_syntax:
        return not syntax.is_implicit_VR, syntax.is_little_endian
    return data[start + 4 : start + 6].isalpha(), True


def _count_elements(data: mmap.mmap, pos: int, explicit: bool, little: bool) -> int:
    """Walk element headers linearly, stepping into sequences and items (their content is
    more elements) and over values (pixel data fragments included)."""
    order = "<" if little else ">"
    u16, u32 = struct.Struct(order + "H"), struct.Struct(order + "I")
    size, count, in_pixels = len(data), 0, False
    while pos + 8 <= size and count <= MAX_ELEMENTS:
        group, element = u16.unpack_from(data, pos)[0], u16.unpack_from(data, pos + 2)[0]
        count += 1
        if group == ITEM_GROUP:  # item or delimiter: always implicit, 4-byte length
            length = u32.unpack_from(data, pos + 4)[0]
            if element == 0xE0DD:
                in_pixels = False
            skip = in_pixels and element == 0xE000 and length != UNDEFINED_LENGTH
            pos += 8 + (length if skip else 0)
            continue
        vr = bytes(data[pos + 4 : pos + 6]) if explicit else b""
        if explicit and vr in LONG_VRS:
            header, length = 12, u32.unpack_from(data, pos + 8)[0]
        elif explicit:
            header, length = 8, u16.unpack_from(data, pos + 6)[0]
        else:
            header, length = 8, u32.unpack_from(data, pos + 4)[0]
        if (group << 16 | element) == PIXEL_DATA and length == UNDEFINED_LENGTH:
            in_pixels = True
            pos += header
        elif vr == b"SQ" or length == UNDEFINED_LENGTH:
            pos += header  # step into the sequence: its items and elements count
        else:
            pos += header + length
    return count


def _meta_end(handle: BinaryIO) -> int:
    """Offset of the first dataset byte after the file meta group (preamble present; the
    group is always Explicit VR Little Endian)."""
    offset = 132
    while True:
        handle.seek(offset)
        header = handle.read(8)
        if len(header) < 8 or int.from_bytes(header[0:2], "little") != 0x0002:
            return offset
        if header[4:6] in LONG_VRS:
            offset += 12 + int.from_bytes(handle.read(4), "little")
        else:
            offset += 8 + int.from_bytes(header[6:8], "little")


def _pixel_size_problem(dataset: pydicom.Dataset) -> str | None:
    """Refuse pixel data whose declared geometry is absurd before any decoder allocates it:
    beyond ``MAX_DECODED_PIXEL_BYTES`` whatever the syntax, or (native syntaxes) more bytes
    declared than the Pixel Data element holds."""
    if PIXEL_DATA not in dataset:
        return None
    try:
        rows = int(dataset.get("Rows") or 0)
        columns = int(dataset.get("Columns") or 0)
        samples = int(dataset.get("SamplesPerPixel") or 1)
        bits = int(dataset.get("BitsAllocated") or 0)
        frames = int(str(dataset.get("NumberOfFrames") or 1).strip() or 1)
        photometric = str(dataset.get("PhotometricInterpretation", "")).strip().upper()
    except Exception:  # a corrupt or unknown VR in one of these: no geometry to trust
        return "ingest.pixel_size_mismatch"
    if min(rows, columns, samples, bits, frames) <= 0:
        return "ingest.pixel_size_mismatch"
    declared = (rows * columns * frames * samples * bits + 7) // 8
    if declared > MAX_DECODED_PIXEL_BYTES:
        return "ingest.pixels_too_large"
    if not _is_native(dataset):
        return None
    if photometric == "YBR_FULL_422":  # native 4:2:2 stores two samples per pixel
        declared = declared * 2 // 3
    element = dataset.get_item(PIXEL_DATA, keep_deferred=True)
    length = getattr(element, "length", None)
    if length is None:
        value = getattr(element, "value", None)
        length = len(value) if isinstance(value, bytes | bytearray) else None
    if length is None or length == UNDEFINED_LENGTH or declared > length:
        return "ingest.pixel_size_mismatch"
    return None


def _structure_problem(dataset: pydicom.Dataset, depth: int = 0) -> str | None:
    """Sequences nested beyond ``MAX_SEQUENCE_DEPTH`` (every stage walks them recursively)
    or a text value longer than ``MAX_TEXT_VALUE_BYTES``, at any depth (lengths as stored:
    deferred values stay on disk)."""
    if depth > MAX_SEQUENCE_DEPTH:
        return "ingest.sequence_too_deep"
    for tag in list(dataset.keys()):
        element = dataset.get_item(tag, keep_deferred=True)
        vr = getattr(element, "VR", None) or _dictionary_vr(tag)  # implicit VR: None
        if vr in TEXT_VRS:
            length = getattr(element, "length", None)
            if length is None:
                value = getattr(element, "value", None)
                length = len(value) if isinstance(value, bytes | str) else 0
            if length != UNDEFINED_LENGTH and length > MAX_TEXT_VALUE_BYTES:
                return "ingest.text_too_long"
        elif vr == "SQ":
            for item in dataset[tag].value or []:
                problem = _structure_problem(item, depth + 1)
                if problem:
                    return problem
    return None


def _dictionary_vr(tag: int) -> str | None:
    try:
        return dictionary_VR(tag)
    except KeyError:
        return None


def _is_native(dataset: pydicom.Dataset) -> bool:
    """Pixel data stored uncompressed (a file without a known syntax is read as native)."""
    meta = getattr(dataset, "file_meta", None)
    syntax = meta.get("TransferSyntaxUID") if meta is not None else None
    if syntax is None:
        return True
    syntax = UID(str(syntax))
    return syntax.is_transfer_syntax and not syntax.is_compressed


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
