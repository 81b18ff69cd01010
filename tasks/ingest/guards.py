"""Structural guards on a DICOM input before any stage decodes it: truncation, deflate and
pixel-geometry bombs, sequence depth and oversized text. Each returns a reason code or None.
"""

from __future__ import annotations

import zlib
from pathlib import Path

import pydicom
from pydicom.datadict import dictionary_VR
from pydicom.filereader import read_file_meta_info
from pydicom.uid import UID, DeflatedExplicitVRLittleEndian

from tasks.dicom.elements import meta_end
from tasks.dicom.layout import UNDEFINED_LENGTH

# Decoders allocate the declared Rows x Columns x Frames x Samples x BitsAllocated/8 before
# they look at the data: a 2 KB RLE file declaring 30000 x 30000 x 3 x 2 frames made the
# pixel stage allocate gigabytes. The pixel stage holds ~3 copies of the decoded frames.
MAX_DECODED_PIXEL_BYTES = 1024**3
# pydicom inflates a deflated dataset whole, in memory: a 3 MB file inflated to 600 MB
MAX_INFLATED_BYTES = 256 * 1024**2
PIXEL_DATA = 0x7FE00010
# Free text is cleaned with NER: one 1 MB UT descriptor took 26 s and 3 GB in the header
# stage. The standard caps LT at 10 240 characters; UT/UC have no cap but no descriptor
# or comment needs more than this.
MAX_TEXT_VALUE_BYTES = 64 * 1024
TEXT_VRS = {"LO", "LT", "PN", "SH", "ST", "UC", "UT"}
# the stages walk sequences recursively; real objects nest a handful of levels (SR content
# trees a few dozen). 200 levels exhausted the header stage's recursion.
MAX_SEQUENCE_DEPTH = 64


def is_truncated(dataset: pydicom.Dataset, size: int) -> bool:
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


def inflated_size(path: Path) -> int | None:
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
            handle.seek(meta_end(handle))
            while chunk := handle.read(1 << 16):
                while chunk:
                    total += len(inflater.decompress(chunk, 1 << 20))
                    if total > MAX_INFLATED_BYTES:
                        return total
                    chunk = inflater.unconsumed_tail
    except (OSError, zlib.error):
        return total  # a corrupt stream: what inflates is all there is
    return total


def pixel_size_problem(dataset: pydicom.Dataset) -> str | None:
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


def structure_problem(dataset: pydicom.Dataset, depth: int = 0) -> str | None:
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
                problem = structure_problem(item, depth + 1)
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
