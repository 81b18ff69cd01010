"""Deterministic hostile-input generator: valid DICOMs in, >= 1 000 broken variants out.

Bases (all carry planted identifying values): the demo cohort
(tasks/synthetic/demo_inputs.py), synthetic images (tasks/synthetic/images.py) and
pydicom's *bundled* test files with PHI planted into their headers. Each mutation kind
below is seeded from one ``random.Random``, so the same seed always writes the same bytes
under the same names.

``generate(root, outside, seed)`` writes every variant under ``root`` (the input tree) and a
few link targets under ``outside`` (a folder that must never be read), and returns a
``Corpus``: the variants (relative path -> kind) and every planted value a leak scan must
look for (tests/leak_scanner.py searches them in every spelling and encoding).
"""

from __future__ import annotations

import gzip
import io
import logging
import os
import random
import struct
import warnings
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pydicom
from pydicom.data import get_testdata_file
from pydicom.dataset import Dataset
from pydicom.uid import (
    DeflatedExplicitVRLittleEndian,
    ExplicitVRBigEndian,
    ExplicitVRLittleEndian,
    ImplicitVRLittleEndian,
    JPEG2000Lossless,
    JPEGBaseline8Bit,
    JPEGLSLossless,
    RLELossless,
    generate_uid,
)

from tasks.synthetic.demo_inputs import build_demo
from tasks.synthetic.images import make_image, save

# pydicom test files that ship inside the wheel (never the optional pydicom-data download)
BUNDLED = (
    "CT_small.dcm",
    "MR_small.dcm",
    "MR_small_RLE.dcm",
    "MR_small_bigendian.dcm",
    "MR_small_implicit.dcm",
    "MR_small_expb.dcm",
    "MR_small_jp2klossless.dcm",
    "MR_small_jpeg_ls_lossless.dcm",
    "SC_rgb_rle.dcm",
    "SC_rgb_rle_2frame.dcm",
    "SC_rgb_jpeg_dcmtk.dcm",
    "SC_rgb_small_odd.dcm",
    "ExplVR_BigEnd.dcm",
    "JPEG2000.dcm",
    "rtplan.dcm",
    "rtdose_1frame.dcm",
    "test-SR.dcm",
)

# planted into every base we control; "SECRET" marks what lives outside the input root
PLANTED_NAME = ("KOWALSKA", "Agnieszka")
PLANTED_ID = "IPP55501234"
PLANTED_ACCESSION = "ACC7788123"
PLANTED_INSTITUTION = "Clinique Sainte-Odile"
OUTSIDE_MARKER = "SECRETOUTSIDE^Leaked"

# (SpecificCharacterSet, PatientName with its groups, name parts to look for)
CHARSETS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("ISO_IR 100", "MÜLLER^Jürgen", ("MÜLLER", "Jürgen")),
    ("ISO_IR 100", "LEFÈVRE^Hélène", ("LEFÈVRE", "Hélène")),
    ("ISO_IR 192", "Дмитриев^Олег=ДМИТРИЕВ^ОЛЕГ", ("Дмитриев", "Олег")),
    ("ISO_IR 192", "Yamada^Tarou=山田^太郎=やまだ^たろう", ("Yamada", "Tarou", "山田", "太郎")),
    ("\\ISO 2022 IR 87", "Yamada^Tarou=山田^太郎=やまだ^たろう", ("Yamada", "Tarou", "山田")),
    ("\\ISO 2022 IR 87", "Sato^Hanako=佐藤^花子=さとう^はなこ", ("Sato", "Hanako", "佐藤", "花子")),
    ("GB18030", "Wang^XiaoDong=王^小东=", ("XiaoDong", "王", "小东")),
    ("GB18030", "Zhang^Weiming=张^伟明=", ("Weiming", "张", "伟明")),
    ("\\ISO 2022 IR 149", "Hong^Gildong=洪^吉洞=홍^길동", ("Gildong", "洪", "吉洞", "홍", "길동")),
    ("ISO_IR 13", "ﾔﾏﾀﾞ^ﾀﾛｳ=山田^太郎", ("ﾔﾏﾀﾞ", "ﾀﾛｳ")),
)

LONG_VRS = {b"OB", b"OD", b"OF", b"OL", b"OV", b"OW", b"SQ", b"SV", b"UC", b"UN", b"UR"}
LONG_VRS |= {b"UT", b"UV"}


@contextmanager
def quiet_pydicom() -> Iterator[None]:
    """pydicom warns (and logs) about the odd values it is asked to write: not findings."""
    logger = logging.getLogger("pydicom")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        logger.setLevel(level)


@dataclass
class Corpus:
    variants: dict[str, str] = field(default_factory=dict)  # path relative to root -> kind
    planted: set[str] = field(default_factory=set)  # every identifying value (text)

    def add(self, root: Path, path: Path, kind: str) -> None:
        self.variants[str(path.relative_to(root))] = kind

    def kinds(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for kind in self.variants.values():
            counts[kind] = counts.get(kind, 0) + 1
        return counts


@dataclass
class Base:
    name: str
    data: bytes
    explicit_le: bool  # the dataset is Explicit VR Little Endian (raw edits are possible)
    native: bool  # uncompressed pixel data (or none)


# --- bases ----------------------------------------------------------------------------------
def _plant(ds: Dataset, corpus: Corpus, suffix: str) -> None:
    last, first = PLANTED_NAME
    ds.PatientName = f"{last}{suffix}^{first}"
    ds.PatientID = f"{PLANTED_ID}{suffix}"
    ds.AccessionNumber = f"{PLANTED_ACCESSION}{suffix}"
    ds.InstitutionName = PLANTED_INSTITUTION
    ds.PatientBirthDate = "19610417"
    ds.StudyDescription = f"Bilan {last}{suffix} {first}"
    ds.ImageComments = f"vu {first} {last}{suffix} IPP {PLANTED_ID}{suffix}"
    ds.ReferringPhysicianName = "WOJCIK^Tadeusz^^Dr"
    ds.OperatorsName = "ZIELINSKA^Irena"
    corpus.planted |= {
        f"{last}{suffix}",
        f"{PLANTED_ID}{suffix}",
        f"{PLANTED_ACCESSION}{suffix}",
        PLANTED_INSTITUTION,
        "19610417",
        "WOJCIK",
        "ZIELINSKA",
        first,
    }


def _uids(ds: Dataset) -> set[str]:
    return {
        str(ds.get(k, ""))
        for k in ("SOPInstanceUID", "StudyInstanceUID", "SeriesInstanceUID")
        if len(str(ds.get(k, ""))) >= 10
    }


def _to_bytes(ds: Dataset) -> bytes:
    buffer = io.BytesIO()
    ds.save_as(buffer, enforce_file_format=True)
    return buffer.getvalue()


def _is_explicit_le(ds: Dataset) -> bool:
    syntax = ds.file_meta.get("TransferSyntaxUID") if hasattr(ds, "file_meta") else None
    return (
        syntax is not None
        and syntax.is_transfer_syntax
        and (not syntax.is_implicit_VR and syntax.is_little_endian and not syntax.is_deflated)
    )


def _base(name: str, ds: Dataset) -> Base:
    syntax = ds.file_meta.get("TransferSyntaxUID")
    native = syntax is not None and not syntax.is_compressed
    return Base(name, _to_bytes(ds), _is_explicit_le(ds), native)


def build_bases(scratch: Path, corpus: Corpus) -> list[Base]:
    """Valid inputs with planted PHI: demo cohort, synthetic images, bundled pydicom files."""
    bases: list[Base] = []
    demo = build_demo(scratch / "demo", patients=2, seed=11, image_size=64, with_junk=False)
    corpus.planted |= {v for v in demo.planted_values() if len(v) >= 5}
    for path in sorted(demo.dicom.rglob("IM*")):
        ds = pydicom.dcmread(path)
        bases.append(_base(f"demo-{len(bases)}", ds))
    for index, modality in enumerate(("CT", "MR", "CR", "US", "SC")):
        ds, _ = make_image(modality, 64, [f"{PLANTED_NAME[0]}S{index}"], seed=500 + index)
        _plant(ds, corpus, f"S{index}")
        corpus.planted |= _uids(ds)
        bases.append(_base(f"synthetic-{modality}", ds))
    for index, name in enumerate(BUNDLED):
        path = get_testdata_file(name)
        if path is None:  # not bundled in this pydicom: never download
            continue
        ds = pydicom.dcmread(path)
        for keyword in ("PatientName", "PatientID", "OtherPatientIDs"):
            if len(str(ds.get(keyword, ""))) >= 5:
                corpus.planted.add(str(ds.get(keyword)))
        corpus.planted |= _uids(ds)
        _plant(ds, corpus, f"P{index}")
        try:
            bases.append(_base(f"pydicom-{name}", ds))
        except Exception:  # a file pydicom cannot re-encode: keep its own bytes
            bases.append(Base(f"pydicom-{name}", Path(path).read_bytes(), False, False))
    return bases


# --- raw element access (Explicit VR Little Endian) ------------------------------------------
@dataclass(frozen=True)
class RawElement:
    tag: int
    vr: bytes
    start: int  # offset of the tag
    length_at: int  # offset of the length field
    length_size: int  # 2 or 4
    value_at: int
    length: int


def raw_elements(data: bytes) -> list[RawElement]:
    """Top-level elements (file meta + dataset) of an Explicit VR LE file, up to the first
    undefined-length element (included)."""
    out: list[RawElement] = []
    pos = 132 if data[128:132] == b"DICM" else 0
    while pos + 8 <= len(data):
        group, elem = struct.unpack_from("<HH", data, pos)
        vr = data[pos + 4 : pos + 6]
        if vr in LONG_VRS:
            length = struct.unpack_from("<I", data, pos + 8)[0]
            element = RawElement((group << 16) | elem, vr, pos, pos + 8, 4, pos + 12, length)
        else:
            length = struct.unpack_from("<H", data, pos + 6)[0]
            element = RawElement((group << 16) | elem, vr, pos, pos + 6, 2, pos + 8, length)
        out.append(element)
        if length == 0xFFFFFFFF:
            break
        pos = element.value_at + length
    return out


def _element_bytes(tag: int, vr: bytes, value: bytes) -> bytes:
    if len(value) % 2:
        value += b" " if vr not in (b"OB", b"UN", b"SQ") else b"\x00"
    head = struct.pack("<HH", tag >> 16, tag & 0xFFFF) + vr
    if vr in LONG_VRS:
        return head + b"\x00\x00" + struct.pack("<I", len(value)) + value
    return head + struct.pack("<H", len(value)) + value


def insert_in_order(data: bytes, tag: int, blob: bytes) -> bytes:
    """Insert ``blob`` (encoded elements) before the first top-level element after ``tag``."""
    for element in raw_elements(data):
        if element.tag > tag and element.tag >> 16 != 0x0002:
            return data[: element.start] + blob + data[element.start :]
    return data + blob


ITEM = struct.pack("<HH", 0xFFFE, 0xE000)
ITEM_END = struct.pack("<HHI", 0xFFFE, 0xE00D, 0)
SEQ_END = struct.pack("<HHI", 0xFFFE, 0xE0DD, 0)
UNDEFINED = struct.pack("<I", 0xFFFFFFFF)


def _sq_open(tag: int) -> bytes:
    return struct.pack("<HH", tag >> 16, tag & 0xFFFF) + b"SQ\x00\x00" + UNDEFINED


def _name_element(name: str) -> bytes:
    return _element_bytes(0x0040A123, b"PN", name.encode("ascii"))  # Person Name


def nested_sequences(depth: int, name: str, defined: bool) -> bytes:
    """A ContentSequence nested ``depth`` deep, a name at every 10th level and the bottom."""
    inner = _name_element(name)
    for level in range(depth):
        item_body = inner + (_name_element(name) if level % 10 == 0 else b"")
        if defined:
            item = ITEM + struct.pack("<I", len(item_body)) + item_body
            inner = _element_bytes(0x0040A730, b"SQ", item)
        else:
            inner = _sq_open(0x0040A730) + ITEM + UNDEFINED + item_body + ITEM_END + SEQ_END
    return inner


def replace_meta_syntax(data: bytes, uid: str) -> bytes:
    """Declare another transfer syntax in the file meta, leaving the dataset bytes alone."""
    elements = raw_elements(data)
    meta = [e for e in elements if e.tag >> 16 == 0x0002]
    if not meta:
        return data
    end = meta[-1].value_at + meta[-1].length
    blob = b""
    for element in meta:
        if element.tag == 0x00020000:
            continue
        value = data[element.value_at : element.value_at + element.length]
        if element.tag == 0x00020010:
            value = uid.encode("ascii") + (b"\x00" if len(uid) % 2 else b"")
        blob += _element_bytes(element.tag, element.vr, value)
    group_length = _element_bytes(0x00020000, b"UL", struct.pack("<I", len(blob)))
    return data[: meta[0].start] + group_length + blob + data[end:]


# --- mutation kinds ------------------------------------------------------------------------
Writer = Callable[[random.Random, Base, Path, Corpus], bytes | None]


def truncate(rng: random.Random, base: Base, scratch: Path, corpus: Corpus) -> bytes:
    return base.data[: rng.randrange(1, len(base.data))]


def bitflip_header(rng: random.Random, base: Base, scratch: Path, corpus: Corpus) -> bytes | None:
    """Flip bits in the structure of the header: tags, VRs and lengths of top-level elements
    and the file meta group. (Flips inside text values only misspell them: a misspelt name
    is a different value, which no de-identifier can be asked to recognise.)"""
    if not base.explicit_le:
        return None
    spans: list[tuple[int, int]] = [(128, 132)]
    for element in raw_elements(base.data):
        if element.tag == 0x7FE00010:
            spans.append((element.start, element.value_at))
            break
        spans.append((element.start, element.value_at))
        if element.tag >> 16 == 0x0002:
            spans.append((element.value_at, element.value_at + element.length))
    data = bytearray(base.data)
    for _ in range(rng.randint(1, 4)):
        start, end = rng.choice(spans)
        offset = rng.randrange(start, end)
        data[offset] ^= 1 << rng.randrange(8)
    return bytes(data)


def wrong_vr_length(rng: random.Random, base: Base, scratch: Path, corpus: Corpus) -> bytes | None:
    if not base.explicit_le:
        return None
    elements = [e for e in raw_elements(base.data) if e.length != 0xFFFFFFFF]
    element = rng.choice(elements)
    limit = 0xFFFF if element.length_size == 2 else 0xFFFFFFFF
    choice = rng.choice(
        [
            element.length + 1,
            element.length + 2,
            max(0, element.length - 1),
            max(0, element.length - 2),
            0,
            limit,
            limit - 1,
            len(base.data) * 3,
            rng.randrange(0, limit),
        ]
    )
    data = bytearray(base.data)
    fmt = "<H" if element.length_size == 2 else "<I"
    struct.pack_into(fmt, data, element.length_at, min(choice, limit))
    return bytes(data)


def unclosed_item(rng: random.Random, base: Base, scratch: Path, corpus: Corpus) -> bytes | None:
    if not base.explicit_le:
        return None
    name = f"{PLANTED_NAME[0]}^Unclosed"
    body = _name_element(name)
    style = rng.randrange(4)
    if style == 0:  # neither item nor sequence delimiter: the rest of the file is "inside"
        blob = _sq_open(0x00081110) + ITEM + UNDEFINED + body
    elif style == 1:  # item closed, sequence never
        blob = _sq_open(0x00081110) + ITEM + UNDEFINED + body + ITEM_END
    elif style == 2:  # defined-length item longer than the file
        blob = _sq_open(0x00081110) + ITEM + struct.pack("<I", 0x7FFFFFF0) + body
    else:  # the file ends inside the item
        return base.data + _sq_open(0x7FE10010) + ITEM + UNDEFINED + body
    return insert_in_order(base.data, 0x00081110, blob)


def deep_sequence(rng: random.Random, base: Base, scratch: Path, corpus: Corpus) -> bytes | None:
    if not base.explicit_le:
        return None
    depth = rng.choice([200, 200, 200, 500, 3000])
    name = f"{PLANTED_NAME[0]}^Deep"
    blob = nested_sequences(depth, name, defined=rng.random() < 0.4)
    return insert_in_order(base.data, 0x0040A730, blob)


def oversized_pixels(rng: random.Random, base: Base, scratch: Path, corpus: Corpus) -> bytes | None:
    ds = pydicom.dcmread(io.BytesIO(base.data))
    if "PixelData" not in ds:
        return None
    style = rng.randrange(5)
    if style == 0:
        ds.Rows = ds.Columns = 65535
    elif style == 1:
        ds.NumberOfFrames = rng.choice([1000, 100000, 2147483647])
    elif style == 2:
        ds.Rows, ds.Columns = 65535, 65535
        ds.NumberOfFrames = 100000
    elif style == 3:
        ds.SamplesPerPixel = 3
        ds.PhotometricInterpretation = "RGB"
        ds.PlanarConfiguration = 0
        ds.Rows = ds.Columns = 30000
    else:
        ds.BitsAllocated, ds.BitsStored, ds.HighBit = 32, 32, 31
        ds.Rows = ds.Columns = 40000
    return _to_bytes_loose(ds)


def _to_bytes_loose(ds: Dataset) -> bytes | None:
    try:
        return _to_bytes(ds)
    except Exception:
        return None


MISMATCHES = (
    JPEGBaseline8Bit,
    RLELossless,
    JPEG2000Lossless,
    JPEGLSLossless,
    DeflatedExplicitVRLittleEndian,
    ImplicitVRLittleEndian,
    ExplicitVRBigEndian,
    ExplicitVRLittleEndian,
    "1.2.840.10008.1.2.4.201",  # HTJ2K lossless
    "1.2.3.4.5.6",  # not a transfer syntax at all
)


def syntax_mismatch(rng: random.Random, base: Base, scratch: Path, corpus: Corpus) -> bytes | None:
    """Declare a transfer syntax the dataset and pixel data are not encoded in (native data
    declared JPEG/RLE/J2K, compressed data declared native, endianness or VR switched)."""
    if b"DICM" != base.data[128:132]:
        return None
    ds = pydicom.dcmread(io.BytesIO(base.data))
    if "PixelData" not in ds:
        return None
    current = str(ds.file_meta.TransferSyntaxUID)
    choices = [str(uid) for uid in MISMATCHES if str(uid) != current]
    if not base.explicit_le:  # compressed/implicit/big endian data declared Explicit VR LE
        choices.append(str(ExplicitVRLittleEndian))
    return replace_meta_syntax(base.data, rng.choice(choices))


def odd_charset(rng: random.Random, base: Base, scratch: Path, corpus: Corpus) -> bytes | None:
    """A patient named in another script: PatientName with its ideographic/phonetic groups,
    the same name in free text, the former name kept as OtherPatientNames."""
    if not base.native or not base.explicit_le:
        return None
    ds = pydicom.dcmread(io.BytesIO(base.data))
    charset, name, parts = rng.choice(CHARSETS)
    corpus.planted |= set(parts)
    former = str(ds.get("PatientName", "")).strip()
    ds.SpecificCharacterSet = charset.split("\\") if "\\" in charset else charset
    ds.PatientName = name
    if former:
        ds.OtherPatientNames = former
    groups = [group for group in name.split("=") if group]
    ds.StudyDescription = f"Examen de {rng.choice(groups).replace('^', ' ')}"
    ds.ImageComments = f"Patient {groups[-1].replace('^', ' ')} vu ce jour"
    ds.ReferringPhysicianName = name
    try:
        data = _to_bytes(ds)
    except Exception:
        return None
    if rng.random() < 0.3:  # declare a character set the bytes do not use
        for old, new in ((b"ISO_IR 192", b"ISO_IR 100"), (b"ISO_IR 100", b"ISO_IR 192")):
            if old in data[:4096]:
                return data.replace(old, new, 1)
        return data.replace(b"GB18030 ", b"ISO_IR 6", 1)
    return data


def not_dicom(rng: random.Random, base: Base, scratch: Path, corpus: Corpus) -> bytes:
    style = rng.randrange(8)
    name = f"{PLANTED_NAME[0]} {PLANTED_NAME[1]} IPP {PLANTED_ID}"
    if style == 0:
        return rng.randbytes(rng.randrange(1, 5000))
    if style == 1:
        return f"Compte rendu: {name}\n".encode() * rng.randint(1, 50)
    if style == 2:  # preamble + magic, then garbage
        return b"\x00" * 128 + b"DICM" + rng.randbytes(rng.randrange(0, 3000))
    if style == 3:  # looks like preamble-less DICOM (group 0008) then garbage
        return struct.pack("<HH", 0x0008, 0x0016) + b"UI" + rng.randbytes(rng.randrange(4, 800))
    if style == 4:
        return gzip.compress(base.data, mtime=0)
    if style == 5:
        return b"\x89PNG\r\n\x1a\n" + rng.randbytes(400)
    if style == 6:
        return f'{{"PatientName": "{name}"}}'.encode()
    return b"DICM" * rng.randint(1, 300)


def deflate_bomb(rng: random.Random, base: Base, scratch: Path, corpus: Corpus) -> bytes | None:
    """Deflated Explicit VR LE whose dataset inflates to hundreds of megabytes."""
    if not base.explicit_le or b"DICM" != base.data[128:132]:
        return None
    elements = raw_elements(base.data)
    meta = [e for e in elements if e.tag >> 16 == 0x0002]
    body_at = meta[-1].value_at + meta[-1].length
    head = replace_meta_syntax(base.data[:body_at], str(DeflatedExplicitVRLittleEndian))
    size = rng.choice([300, 600]) * 1024 * 1024
    squeeze = zlib.compressobj(1, zlib.DEFLATED, -zlib.MAX_WBITS)
    parts = [squeeze.compress(base.data[body_at:])]
    filler = struct.pack("<HH", 0x0009, 0x1010) + b"OB\x00\x00" + struct.pack("<I", size)
    parts.append(squeeze.compress(filler))
    zeros = bytes(1 << 20)
    for _ in range(size >> 20):
        parts.append(squeeze.compress(zeros))
    parts.append(squeeze.flush())
    return head + b"".join(parts)


def element_bomb(rng: random.Random, base: Base, scratch: Path, corpus: Corpus) -> bytes | None:
    """Hundreds of thousands of empty private elements: a few MB that pydicom turns into
    hundreds of MB of element objects, at every read."""
    if not base.explicit_le:
        return None
    pixels = [e for e in raw_elements(base.data) if e.tag == 0x7FE00010]
    if not pixels:
        return None
    count = rng.choice([600_000, 800_000])
    entry = struct.Struct("<HHccHI")
    blob = bytearray(entry.size * count)
    for index in range(count):
        group, element = 0x0009 + 2 * (index // 0xF000), 0x1000 + index % 0xF000
        entry.pack_into(blob, index * entry.size, group, element, b"U", b"N", 0, 0)
    return base.data[: pixels[0].start] + bytes(blob) + base.data[pixels[0].start :]


def text_bomb(rng: random.Random, base: Base, scratch: Path, corpus: Corpus) -> bytes | None:
    """A free-text descriptor of ~1 MB (UT has no length cap): cleaning it with NER costs
    seconds and gigabytes."""
    if not base.native:
        return None
    ds = pydicom.dcmread(io.BytesIO(base.data))
    words = ("poumon", "droit", "examen", "normal", PLANTED_NAME[0], "le", "de")
    text = " ".join(rng.choice(words) for _ in range(rng.randint(150_000, 200_000)))
    ds.MultienergyAcquisitionDescription = text
    return _to_bytes_loose(ds)


KINDS: dict[str, tuple[Writer, int]] = {
    "truncated": (truncate, 230),
    "bitflip_header": (bitflip_header, 280),
    "wrong_vr_length": (wrong_vr_length, 150),
    "unclosed_item": (unclosed_item, 40),
    "deep_sequence": (deep_sequence, 25),
    "oversized_pixels": (oversized_pixels, 60),
    "syntax_mismatch": (syntax_mismatch, 50),
    "odd_charset": (odd_charset, 60),
    "not_dicom": (not_dicom, 40),
    "deflate_bomb": (deflate_bomb, 3),
    "element_bomb": (element_bomb, 2),
    "text_bomb": (text_bomb, 2),
}


def _candidates(rng: random.Random, bases: list[Base], kind: str) -> Iterator[Base]:
    """Random bases, each with a fresh SOP Instance UID: variants of one base would otherwise
    be duplicates of one instance, and assembly releases only the first of those."""
    count = 0
    while True:
        base = rng.choice(bases)
        count += 1
        yield fresh_instance(base, f"{kind}-{count}")


def fresh_instance(base: Base, label: str) -> Base:
    try:
        ds = pydicom.dcmread(io.BytesIO(base.data))
        uid = generate_uid(entropy_srcs=["clearance-failsafe", base.name, label])
        ds.SOPInstanceUID = uid
        if hasattr(ds, "file_meta"):
            ds.file_meta.MediaStorageSOPInstanceUID = uid
        return Base(base.name, _to_bytes(ds), base.explicit_le, base.native)
    except Exception:
        return base


def generate(root: Path, outside: Path, seed: int = 20261127) -> Corpus:
    """Write >= 1 000 variants under ``root`` (created) and link targets under ``outside``."""
    rng = random.Random(seed)
    corpus = Corpus()
    scratch = outside / "scratch"
    bases = build_bases(scratch, corpus)
    root.mkdir(parents=True, exist_ok=True)
    for index, base in enumerate(bases):  # the valid originals: controls
        path = root / "valid" / f"{index:03d}.dcm"
        _write(path, base.data)
        corpus.add(root, path, "valid")
    for kind, (writer, count) in KINDS.items():
        made = attempts = 0
        picks = _candidates(rng, bases, kind)
        while made < count and attempts < count * 20:
            attempts += 1
            data = writer(rng, next(picks), scratch, corpus)
            if data is None:
                continue
            path = root / kind / f"{made:04d}.dcm"
            _write(path, data)
            corpus.add(root, path, kind)
            made += 1
    _special_files(rng, root, outside, bases, corpus)
    return corpus


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def _special_files(
    rng: random.Random, root: Path, outside: Path, bases: list[Base], corpus: Corpus
) -> None:
    """Zero-byte files, symlinks, a FIFO, unreadable files and very long names."""
    folder = root / "special"
    folder.mkdir(parents=True, exist_ok=True)
    for index in range(10):
        path = folder / f"empty{index}.dcm"
        path.write_bytes(b"")
        corpus.add(root, path, "empty")
    # link targets outside the input root, carrying a marker that must never be read
    ds, _ = make_image("MR", 64, [], seed=99)
    ds.PatientName = OUTSIDE_MARKER
    ds.PatientID = "SECRETOUTSIDE-ID"
    outside.mkdir(parents=True, exist_ok=True)
    secret = outside / "secret.dcm"
    save(ds, secret)
    (outside / "tree").mkdir(exist_ok=True)
    save(ds, outside / "tree" / "secret2.dcm")
    corpus.planted |= {"SECRETOUTSIDE"}
    links = folder / "links"
    links.mkdir(exist_ok=True)
    targets: list[tuple[str, str | Path]] = [
        ("outside_file.dcm", secret),
        ("outside_dir", outside / "tree"),
        ("outside_relative.dcm", os.path.relpath(secret, links)),
        ("loop_parent", ".."),
        ("loop_root", root),
        ("self_loop.dcm", "self_loop.dcm"),
        ("dangling.dcm", "does/not/exist.dcm"),
        ("etc_passwd", "/etc/passwd"),
        ("dev_zero.dcm", "/dev/zero"),
        ("proc_self", "/proc/self/root"),
    ]
    for name, target in targets:
        path = links / name
        os.symlink(target, path)
        corpus.add(root, path, "symlink")
    inside = folder / "valid_target.dcm"
    _write(inside, fresh_instance(bases[0], "link-target").data)
    corpus.add(root, inside, "valid")
    os.symlink("valid_target.dcm", folder / "link_inside.dcm")  # inside, still never followed
    corpus.add(root, folder / "link_inside.dcm", "symlink")
    fifo = folder / "pipe.dcm"
    os.mkfifo(fifo)  # opening it for reading would block forever
    corpus.add(root, fifo, "fifo")
    for index in range(6):
        path = folder / f"noread{index}.dcm"
        _write(path, fresh_instance(rng.choice(bases), f"noread-{index}").data)
        path.chmod(0)
        corpus.add(root, path, "unreadable")
    long_dir = root / "long"
    deep = long_dir
    for level in range(12):  # a path of ~2 600 bytes
        deep = deep / (f"{PLANTED_NAME[0]} {PLANTED_NAME[1]} niveau {level} " + "x" * 180)
    names = [
        "I" * 255,
        "é" * 127,  # 254 bytes in UTF-8
        f"{PLANTED_NAME[0]} 山田 太郎 " + "y" * 200 + ".dcm",
        "line\nbreak.dcm",
        "-rf.dcm",
        " leading space.dcm",
        "back\\slash.dcm",
        "z" * 200 + ".DCM.dcm.tar.gz.bak",
    ]
    for index, name in enumerate(names):
        for parent in (long_dir, deep):
            path = parent / name
            base = bases[(index * 3) % len(bases)]
            _write(path, fresh_instance(base, f"long-{index}-{len(str(parent))}").data)
            corpus.add(root, path, "long_name")
