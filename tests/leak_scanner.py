"""One attacker's leak scanner for every privacy test.

What an attacker searches for is collected from the INPUT, independently of the product's
own tables and vocabularies (nothing here is imported from ``tasks/``):

* every person name (PN) at any depth: the whole value, each component group, each
  component and each word, first names included;
* the values of a fixed list of attributes, chosen by what they mean (identifiers, dates,
  addresses and telephone numbers, institutions and departments, devices and stations,
  free-text comments), at any depth; every date (DA, the date of a DT) in the written forms
  people use; instance UIDs; the text of private attributes.

Each value is searched in every spelling: case, accents stripped, separators (``^``, space,
hyphen, none), encoded as UTF-8, UTF-16-LE, Latin-1 and the Asian character sets the
failsafe corpus plants, and escaped as JSON; over the raw bytes of every file, the decoded
value of every element at any depth (file meta and private elements included), and the
names of files and folders.

Matching rules (named so that nothing is subtracted silently):

* ``SHORT``: a value shorter than 5 characters is matched as a whole token (no letter or
  digit on either side), so the family name 'LI' does not match 'LIVER'; values made of
  digits only are matched where no digit touches them (an ID is not found inside a longer
  number), dates and UIDs included. Scripts written without spaces between words (Chinese,
  Japanese, Korean) have no word boundary: their short values are matched as substrings.
  In a DICOM file tokens are searched in the decoded value of every element (private and
  unknown ones read as Latin-1), not in its raw bytes, where VR codes ('OB') and lengths
  form two-letter tokens by chance, nor in pixel data; in other files, in their bytes.
  Byte spellings shorter than 6 bytes are not searched in pixel data either.
* ``SINGLE_CHARACTER``: one character names nobody (sex 'M', an initial 'J'): not searched.
* ``SHORT_NUMBERS``: a value of digits and separators with fewer than 4 digits (a station
  '1,0', a bed '52') is found by chance in every output's numbers (code values, UIDs,
  sizes): a search cannot tell it from them, so it is not searched.
* ``HONORIFICS``: the prefix and suffix of a person name ('Dr', 'Mme', 'Jr') are searched as
  part of the whole name only, not alone.
* ``PLACEHOLDERS``: values that de-identifiers and test files write instead of a value
  ('ANONYMOUS', 'REMOVED', ...) name nobody, and the output's own dummy is one of them.
* ``CODE_WORDS``: a value equal (separators aside) to a code of the same data set, or to
  one word of it, is a code the output may legitimately keep, not a value that identifies:
  a code string (CS: 'CT', 'S R' = 'SR') or a code written with underscores
  (PatientName 'OB' and ProcessingFunction 'OB_GENERAL').
* ``CLEANED_DESCRIPTORS``: see ``identifying_values``'s ``cleaned``.
* ``PRIVATE_SHORT``: a private value shorter than 5 characters is a vendor flag or code
  ('YES', '1.0'): the meaning of a private attribute is unknown, so it cannot be told apart.
* ``PRIVATE_COPY``: a private value equal to the value of a public attribute this scanner
  does not hold identifying (a copy of ImageType, of the model name) tells nothing more.
* ``PRIVATE_CREATORS``: private creator values name a vendor's dictionary, not a person.
* Times (TM, the time of a DT) are not searched: six digits match pixel bytes by chance; the
  header tests check times on their own.

Findings name the file, the *index* of the value and the attribute it was read from, never
the value itself; in a tree scan, a file or folder name holding a value is shown as the
indexes of the values it holds.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import re
import unicodedata
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import pydicom
from pydicom.dataset import Dataset
from pydicom.multival import MultiValue

SHORT = 5
SEPARATORS = re.compile(r"[\^\s\-_,./]+")
SEPARATOR_SPELLINGS = ("^", " ", "-", "")
# UTF-8, UTF-16-LE, Latin-1 and cp1252; the single-byte sets DICOM names (Cyrillic, Arabic,
# Greek, Hebrew, Thai); the Asian sets (the runs between ISO 2022 escapes too)
ENCODINGS = ("utf-8", "utf-16-le", "latin-1", "cp1252", "iso8859_5", "iso8859_6", "iso8859_7")
ENCODINGS += ("iso8859_8", "tis_620", "gb18030", "shift_jis", "euc_jp", "euc_kr")
ENCODINGS += ("iso2022_jp", "iso2022_kr")
PIXEL_DATA = 0x7FE00010

# attributes whose values identify, by what they mean (searched at any depth)
IDENTIFIERS = {
    "PatientID",
    "OtherPatientIDs",
    "IssuerOfPatientID",
    "AccessionNumber",
    "StudyID",
    "RequestedProcedureID",
    "ScheduledProcedureStepID",
    "PerformedProcedureStepID",
    "PlacerOrderNumberImagingServiceRequest",
    "FillerOrderNumberImagingServiceRequest",
    "PlacerOrderNumberProcedure",
    "FillerOrderNumberProcedure",
    "AdmissionID",
    "ServiceEpisodeID",
    "MedicalRecordLocator",
    "LocalNamespaceEntityID",
    "UniversalEntityID",
    "InsurancePlanIdentification",
    "ClinicalTrialSubjectID",
    "ClinicalTrialSubjectReadingID",
    "ClinicalTrialSiteID",
    "ClinicalTrialSiteName",
    "ClinicalTrialSponsorName",
    "ClinicalTrialProtocolID",
    "PlateID",
    "CassetteID",
    "ContainerIdentifier",
    "SpecimenIdentifier",
    "StudyIDIssuer",
}
PLACES = {
    "PatientAddress",
    "PatientTelephoneNumbers",
    "PatientTelecomInformation",
    "CountryOfResidence",
    "RegionOfResidence",
    "InstitutionName",
    "InstitutionAddress",
    "InstitutionalDepartmentName",
    "ReferringPhysicianAddress",
    "ReferringPhysicianTelephoneNumbers",
    "PersonAddress",
    "PersonTelephoneNumbers",
    "PersonTelecomInformation",
    "ResponsibleOrganization",
    "RequestingService",
    "CurrentPatientLocation",
    "PatientInstitutionResidence",
    "ScheduledProcedureStepLocation",
    "PerformedLocation",
}
DEVICES = {
    "StationName",
    "DeviceSerialNumber",
    "RadiationMachineName",
    "TreatmentMachineName",
    "DetectorID",
    "GantryID",
    "DeviceID",
    "SourceSerialNumber",
    "SourceApplicationEntityTitle",
    "SendingApplicationEntityTitle",
    "ReceivingApplicationEntityTitle",
    "ScheduledStationAETitle",
    "PerformedStationAETitle",
    "StationAETitle",
    "RetrieveAETitle",
}
FREE_TEXT = {
    "PatientComments",
    "AdditionalPatientHistory",
    "StudyComments",
    "VisitComments",
    "RequestedProcedureComments",
    "ImagingServiceRequestComments",
    "InterpretationText",
    "MedicalAlerts",
    "Allergies",
    "Occupation",
    "MilitaryRank",
    "BranchOfService",
    "PatientReligiousPreference",
    "PatientTransportArrangements",
    "SpecialNeeds",
    "PatientState",
    "ReasonForTheRequestedProcedure",
    "ReasonForStudy",
}
IDENTIFYING = IDENTIFIERS | PLACES | DEVICES | FREE_TEXT
CLEANED_DESCRIPTORS = frozenset(FREE_TEXT)
# UIDs that name one object (never a class, a syntax or a coding scheme)
INSTANCE_UID = re.compile(
    r"(InstanceUID|FrameOfReferenceUID|IrradiationEventUID|Concatenation"
    r"UID|DeviceUID|StorageMediaFileSetUID|TransactionUID)$"
)
STANDARD_UID_ROOT = "1.2.840.10008."
PLACEHOLDERS = {
    "ANONYMOUS",
    "ANONYMIZED",
    "ANONYMISED",
    "ANON",
    "REMOVED",
    "UNKNOWN",
    "NONE",
    "NULL",
    "N/A",
    "NA",
    "XXX",
    "XXXX",
    # words pydicom's and public test files write as dummy person names ('Last Name^First
    # Name', 'Test^Phantom'): as words they occur in code meanings and descriptors
    "NAME",
    "FIRST",
    "LAST",
    "TEST",
    "PHANTOM",
    "PATIENT",
}
TEXT_VRS = {"AE", "AS", "CS", "DA", "DS", "DT", "IS", "LO", "LT", "PN", "SH", "ST", "TM", "UC"}
TEXT_VRS |= {"UI", "UR", "UT"}
PRIVATE_TEXT_VRS = {"LO", "SH", "LT", "ST", "UT", "UC", "PN", "UN", "OB"}


# --- spellings ------------------------------------------------------------------------------
def fold(text: str) -> str:
    """Case- and accent-insensitive form."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def normalise(text: str) -> str:
    """Folded, every run of separators one space: how decoded text and values are compared."""
    return SEPARATORS.sub(" ", fold(text)).strip()


def strip_accents(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def text_spellings(value: str) -> set[str]:
    """The ways a value is written: separators (^, space, hyphen, none), case, accents."""
    value = value.strip()
    words = [w for w in SEPARATORS.split(value) if w]
    forms = {value}
    if len(words) > 1 and not is_uid(value):
        forms |= {sep.join(words) for sep in SEPARATOR_SPELLINGS}
    out: set[str] = set()
    for form in forms:
        for cased in (form, form.upper(), form.lower(), form.title()):
            out |= {cased, strip_accents(cased)}
    return {s for s in out if s}


def byte_spellings(value: str) -> dict[bytes, str]:
    """Every byte spelling of ``value`` (ASCII lowered, as the scanned bytes are) -> the
    encoding that makes it."""
    out: dict[bytes, str] = {}
    for text in sorted(text_spellings(value)):
        for codec in ENCODINGS:
            try:
                encoded = text.encode(codec)
            except (UnicodeEncodeError, LookupError):
                continue
            if codec.startswith("iso2022") and b"\x1b" in encoded:  # the run between escapes
                encoded = encoded.split(b"\x1b")[1][2:]
            if encoded:
                out.setdefault(encoded.lower(), codec)
        escaped = json.dumps(text)[1:-1].encode("ascii")  # "H\u00f4pital" in JSON files
        out.setdefault(escaped.lower(), "json")
    return out


def is_uid(value: str) -> bool:
    return re.fullmatch(r"[0-9]+(\.[0-9]+)+", value) is not None


def _is_number(value: str) -> bool:
    """Digits and separators only: a date, an ID number, a UID."""
    return any(c.isdigit() for c in value) and not any(c.isalpha() for c in value)


def _squeezed(value: str) -> str:
    return normalise(value).replace(" ", "")


# --- identifying values of an input ---------------------------------------------------------
def identifying_values(ds: Dataset, cleaned: frozenset[str] = frozenset()) -> dict[str, str]:
    """value -> the attribute it was read from (keyword or private tag), for an INPUT data
    set: every value an attacker would look for in the output (see the module's rules).

    ``cleaned``: free-text attributes the profile under test keeps once cleaned (PS3.15's
    Clean Descriptors Option, ``CLEANED_DESCRIPTORS``): their whole value is not searched,
    since a comment with nothing identifying ('Lawyer') stays whole; the names, IDs and
    dates inside it are searched all the same."""
    found: dict[str, str] = {}
    private: dict[str, str] = {}
    public_other: set[str] = set()  # values of public attributes not held identifying
    codes: set[str] = set()  # CS values

    def add(target: dict[str, str], text: str, source: str) -> None:
        text = text.strip(" \x00")
        if len(text) < 2 or text.upper() in PLACEHOLDERS:  # SINGLE_CHARACTER, PLACEHOLDERS
            return
        if _is_number(text) and sum(c.isdigit() for c in text) < 4:  # SHORT_NUMBERS
            return
        target.setdefault(text, source)

    for elem in _elements(ds, with_meta=True):
        name = elem.keyword or str(elem.tag)
        if elem.tag.is_private:
            if elem.tag.element < 0x100:  # PRIVATE_CREATORS
                continue
            if elem.VR in PRIVATE_TEXT_VRS:
                for text in _texts(elem):
                    if len(text.strip(" \x00")) >= SHORT and text.isprintable():
                        add(private, text, f"private {elem.tag}")
            continue
        texts = _texts(elem)
        if elem.VR == "PN":
            for text in texts:
                for piece in name_pieces(text):
                    add(found, piece, name)
        elif elem.VR in ("DA", "DT"):
            for text in texts:
                if re.fullmatch(r"\d{8}", text.strip()[:8]):
                    for form in date_forms(text.strip()[:8]):
                        add(found, form, name)
        elif elem.VR == "UI":
            for text in texts:
                if INSTANCE_UID.search(name) and not text.startswith(STANDARD_UID_ROOT):
                    add(found, text, name)
        elif elem.keyword in IDENTIFYING and elem.keyword not in cleaned:
            for text in texts:
                add(found, text, name)
        else:
            public_other.update(t.strip(" \x00").upper() for t in texts)
            for text in texts:
                if elem.VR == "CS" or re.fullmatch(r"[A-Z0-9]+(_[A-Z0-9]+)+", text.strip()):
                    codes.add(_squeezed(text))
                    codes.update(normalise(text).split())
    values = {v: s for v, s in found.items() if _squeezed(v) not in codes}  # CODE_WORDS
    for text, source in private.items():
        if text.upper() not in public_other:  # PRIVATE_COPY
            values.setdefault(text, source)
    return values


def name_pieces(value: str) -> list[str]:
    """A person name: each component group whole, family-given in both orders, each
    component and each word (first names included; HONORIFICS only inside the whole)."""
    out: list[str] = []
    for group in value.split("="):
        components = [c.strip() for c in group.split("^")]
        names = [c for c in components[:3] if c]
        if not names:
            continue
        out.append(group.strip().rstrip("^"))
        if len(names) > 1:
            out += [" ".join(names), " ".join(names[1:] + names[:1])]
        for component in names:
            out.append(component)
            out += [w for w in SEPARATORS.split(component) if w]
    return list(dict.fromkeys(out))


def date_forms(ymd: str) -> list[str]:
    """A date as people write it: YYYYMMDD, DD/MM/YYYY, YYYY-MM-DD, DD.MM.YYYY and kin."""
    y, m, d = ymd[:4], ymd[4:6], ymd[6:8]
    return [
        ymd,
        f"{d}/{m}/{y}",
        f"{y}-{m}-{d}",
        f"{d}.{m}.{y}",
        f"{y}/{m}/{d}",
        f"{y}.{m}.{d}",
        f"{d}-{m}-{y}",
        f"{m}/{d}/{y}",
        f"{d}/{m}/{y[2:]}",
        f"{m}/{d}/{y[2:]}",
    ]


def _elements(ds: Dataset, with_meta: bool = False) -> Iterator[pydicom.DataElement]:
    if with_meta and getattr(ds, "file_meta", None) is not None:
        yield from ds.file_meta
    for elem in ds:
        if elem.VR == "SQ":
            yield elem
            for item in elem.value or []:
                yield from _elements(item)
        else:
            yield elem


def _texts(elem: pydicom.DataElement) -> list[str]:
    """The text values of an element (bytes read as Latin-1); none for binary data."""
    value = elem.value
    if value is None or elem.tag == PIXEL_DATA or elem.VR == "SQ":
        return []
    if isinstance(value, bytes):
        if len(value) > 1 << 16:
            return []
        return [value.decode("latin-1").strip(" \x00")]
    if elem.VR not in TEXT_VRS and not elem.tag.is_private:
        return []
    items = value if isinstance(value, MultiValue | list | tuple) else [value]
    return [str(item) for item in items if item is not None and str(item).strip()]


# --- the scanner ----------------------------------------------------------------------------
@dataclass(frozen=True)
class Finding:
    path: str
    index: int  # into LeakScanner.values: the value itself is never printed
    source: str  # the attribute the value was read from
    where: str  # "bytes (utf-16-le)", "element (0008,1030) StudyDescription", "path name"

    def __str__(self) -> str:
        return f"{self.path}: value #{self.index} (from {self.source}) in {self.where}"


@dataclass
class _Needle:
    index: int
    token: bool
    texts: list[str]  # normalised forms searched in decoded text and names
    text_patterns: list[re.Pattern[str]]
    raw: dict[bytes, str]  # byte spelling -> encoding
    raw_patterns: list[tuple[re.Pattern[bytes], str]]


class LeakScanner:
    """Every identifying value in every spelling, over bytes, decoded elements and names.

    ``values`` maps each value to the attribute it came from (``identifying_values``), or
    is a plain collection of planted values."""

    def __init__(self, values: Mapping[str, str] | Iterable[str]) -> None:
        sources = dict(values) if isinstance(values, Mapping) else dict.fromkeys(values, "")
        sources = {v.strip(): s for v, s in sources.items() if len(v.strip()) >= 2}
        self.values = sorted(sources)
        self.sources = [sources[v] or "planted" for v in self.values]
        self._needles = [self._needle(i, v) for i, v in enumerate(self.values)]

    def __len__(self) -> int:
        return len(self.values)

    @staticmethod
    def _needle(index: int, value: str) -> _Needle:
        uid = is_uid(value)
        digits = _is_number(value)
        token = digits or (len(value) < SHORT and not any(ord(c) >= 0x2E80 for c in value))
        texts = sorted({normalise(value), normalise(value).replace(" ", "")} - {""})
        if uid:
            texts = [normalise(value)]
        raw = byte_spellings(value)
        text_patterns: list[re.Pattern[str]] = []
        raw_patterns: list[tuple[re.Pattern[bytes], str]] = []
        if token:
            edge = r"[0-9]" if digits else r"[^\W_]"
            text_patterns = [re.compile(rf"(?<!{edge}){re.escape(t)}(?!{edge})") for t in texts]
            byte_edge = "0-9." if uid else "0-9" if digits else "0-9a-z"
            for spelling, codec in raw.items():
                raw_patterns.append((_token_pattern(spelling, codec, byte_edge), codec))
        return _Needle(index, token, texts, text_patterns, raw, raw_patterns)

    # -- single pieces of evidence
    def in_text(self, text: str) -> set[int]:
        """Indexes of the values found in ``text`` (normalised: case, accents, separators)."""
        folded = normalise(text)
        found = set()
        for needle in self._needles:
            if needle.token:
                hit = any(
                    t in folded and p.search(folded)
                    for t, p in zip(needle.texts, needle.text_patterns, strict=True)
                )
            else:
                hit = any(t in folded for t in needle.texts)
            if hit:
                found.add(needle.index)
        return found

    def in_bytes(self, data: bytes, header: bytes, tokens: bool = True) -> dict[int, str]:
        """Index -> encoding of the values found in ``data``. ``header``: its bytes outside
        pixel data, where spellings shorter than 6 bytes and tokens (if ``tokens``) are
        searched: in pixel data they match by chance."""
        hay, head = data.lower(), header.lower()
        found: dict[int, str] = {}
        for needle in self._needles:
            if needle.token:
                if not tokens:
                    continue
                for spelling, (pattern, codec) in zip(needle.raw, needle.raw_patterns, strict=True):
                    if spelling in head and _outside_uuids(pattern, head):  # the fast test first
                        found[needle.index] = codec
                        break
            else:
                for spelling, codec in needle.raw.items():
                    if spelling in (hay if len(spelling) >= 6 else head):
                        found[needle.index] = codec
                        break
        return found

    # -- files and trees
    def scan_file(
        self, path: Path, label: str | None = None, skip: frozenset[str] = frozenset()
    ) -> list[Finding]:
        """Raw bytes of the whole file; if it is DICOM, every decoded element at any depth;
        otherwise also the base64 runs inside it (Prefect persists pickles that way).
        ``skip``: keywords of elements a test excludes by a named rule (the output's own
        marking): their values are neither decoded nor left in the scanned bytes."""
        label = label or str(path)
        data = path.read_bytes()
        ds = _read_dicom(path)
        if ds is not None:
            for elem in _elements(ds, with_meta=True):
                if elem.keyword in skip:
                    for text in _texts(elem):
                        data = data.replace(text.encode("utf-8", "replace"), b"")
        header = _before_pixel_data(data)
        findings = [
            self._finding(label, index, f"bytes ({codec})")
            for index, codec in self.in_bytes(data, header, tokens=ds is None).items()
        ]
        if ds is not None:
            seen = {f.index for f in findings}
            for elem in _elements(ds, with_meta=True):
                if elem.keyword in skip:
                    continue
                for text in _texts(elem):
                    for index in self.in_text(text) - seen:
                        seen.add(index)
                        where = f"element {elem.tag} {elem.keyword or 'private'}".strip()
                        findings.append(self._finding(label, index, where))
        else:
            seen = {f.index for f in findings}
            for blob in _base64_runs(data):
                for index, codec in self.in_bytes(blob, blob).items():
                    if index not in seen:
                        seen.add(index)
                        findings.append(self._finding(label, index, f"base64 ({codec})"))
        return findings

    def scan_tree(self, root: Path) -> list[Finding]:
        """Every file under ``root`` (links not followed) and every file and folder name."""
        findings: list[Finding] = []
        paths = [root] if root.is_file() else _walk(root)
        for path in paths:
            parts = (path.name,) if path == root else path.relative_to(root).parts
            label = str(root / self._masked(parts)) if path != root else self._masked(parts)
            for index in sorted(self.in_text(" / ".join(parts))):
                findings.append(self._finding(label, index, "path name"))
            if path.is_file() and not path.is_symlink():
                findings += self.scan_file(path, label)
        return findings

    def _masked(self, parts: tuple[str, ...]) -> str:
        """A path to print: each file or folder name that holds a value becomes its value
        indexes (the names of real exports are patients' names)."""
        shown = []
        for part in parts:
            found = sorted(self.in_text(part))
            shown.append(f"<name with value #{','.join(map(str, found))}>" if found else part)
        return os.sep.join(shown)

    def _finding(self, path: str, index: int, where: str) -> Finding:
        return Finding(path, index, self.sources[index], where)

    # -- the failsafe tests' interface
    def leaks(self, path: Path) -> set[int]:
        """Indexes of the values found in ``path`` (raw bytes or decoded text)."""
        try:
            return {f.index for f in self.scan_file(path)}
        except Exception:  # an element pydicom cannot convert: scan the raw bytes alone
            data = path.read_bytes()
            return set(self.in_bytes(data, _before_pixel_data(data)))

    def leaks_in_text(self, text: str) -> set[int]:
        return self.in_text(text)


# a random UUID (Prefect's run, task and artifact ids): a short number found inside one
# matched by chance ("5279fba1-7175-..." holds a StudyID "5279"); it derives from no input
UUID = re.compile(rb"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def _outside_uuids(pattern: re.Pattern[bytes], data: bytes) -> bool:
    """``pattern`` matches ``data`` somewhere that is not inside a UUID."""
    for match in pattern.finditer(data):
        window_start = max(0, match.start() - 36)
        window = data[window_start : match.end() + 36]
        if not any(
            u.start() + window_start <= match.start() and match.end() <= u.end() + window_start
            for u in UUID.finditer(window)
        ):
            return True
    return False


def _token_pattern(spelling: bytes, codec: str, edge: str) -> re.Pattern[bytes]:
    escaped = re.escape(spelling)
    if codec == "utf-16-le":
        before, after = rf"(?<![{edge}]\x00)", rf"(?![{edge}]\x00)"
    else:
        before, after = rf"(?<![{edge}])", rf"(?![{edge}])"
    return re.compile(before.encode() + escaped + after.encode())


def _read_dicom(path: Path) -> Dataset | None:
    try:
        ds = pydicom.dcmread(path, defer_size=1 << 20)
        for _ in ds.iterall():  # convert every element now: undecodable files are bytes only
            pass
        return ds
    except Exception:
        return None


def _before_pixel_data(data: bytes) -> bytes:
    """If the file looks like DICOM, its bytes before the last Pixel Data tag (where short
    spellings match by chance); any other file whole."""
    if data[128:132] != b"DICM":
        return data
    for tag in (b"\xe0\x7f\x10\x00", b"\x7f\xe0\x00\x10"):  # little and big endian
        end = data.rfind(tag)
        if end > 0:
            return data[:end]
    return data


def _base64_runs(data: bytes) -> Iterator[bytes]:
    for run in re.finditer(rb"[A-Za-z0-9+/]{24,}={0,2}", data):
        chunk = run.group()
        try:
            yield base64.b64decode(chunk + b"=" * (-len(chunk) % 4), validate=True)
        except (binascii.Error, ValueError):
            continue


def _walk(root: Path) -> list[Path]:
    out: list[Path] = []
    for folder, dirs, files in os.walk(root, followlinks=False):
        base = Path(folder)
        out += [base / name for name in sorted(dirs) + sorted(files)]
    return out


def input_values(paths: Iterable[Path]) -> dict[str, str]:
    """The identifying values of every readable DICOM input under ``paths``."""
    values: dict[str, str] = {}
    for path in paths:
        for file in [path] if path.is_file() else _walk(path):
            ds = _read_dicom(file) if file.is_file() else None
            if ds is not None:
                for value, source in identifying_values(ds).items():
                    values.setdefault(value, source)
    return values
