"""Builders shared by the header-stage tests (no tests here): a stage context on a fresh
workspace, a synthetic CT full of identifying values, and the header tests' leak search."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

import pydicom
import yaml
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.sequence import Sequence
from pydicom.uid import CTImageStorage, ExplicitVRLittleEndian

from tasks.config.profile import load_profile
from tasks.headers.identifiers import date_spellings, name_spellings
from tasks.headers.table import load_table
from tasks.runtime.stage_contract import StageContext
from tasks.runtime.workspace import Workspace
from tests.leak_scanner import CLEANED_DESCRIPTORS, PLACEHOLDERS, Finding, LeakScanner
from tests.leak_scanner import identifying_values as scanner_values

ROOT = Path(__file__).resolve().parents[2]
KEY = b"header-test-key-0123456789abcdef"
PIXELS = bytes(range(256)) * 32  # 8192 bytes = 64 x 64 x 16 bits
PATIENT = {
    "name": "DUPONT^JEAN^MARIE",
    "id": "PID778899",
    "birth": "19520314",
    "accession": "ACC556677",
    "study_date": "20210312",
    "institution": "CHU de Lille",
    "referrer": "MARTIN^CLAIRE",
}


def make_ctx(tmp_path: Path, profile: str | dict = "default", key: bytes = KEY) -> StageContext:
    """A StageContext on a fresh workspace; ``profile`` is a shipped name or a YAML mapping."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    if isinstance(profile, dict):
        path = tmp_path / "profile.yaml"
        path.write_text(yaml.safe_dump({"name": "test", **profile}), encoding="utf-8")
    else:
        path = ROOT / "profiles" / f"{profile}.yaml"
    ws = Workspace(tmp_path / "ws", "t")
    ws.create()
    return StageContext(ws, load_profile(path), key, None)


def synthetic_ct(**changes: str) -> Dataset:
    """A small valid CT image whose header holds identifying values everywhere the
    standard puts them, nested sequences three deep and private attributes."""
    p = {**PATIENT, **changes}
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.MediaStorageSOPClassUID = CTImageStorage
    ds.file_meta.MediaStorageSOPInstanceUID = "1.2.826.0.1.99.3.1"
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.file_meta.SourceApplicationEntityTitle = "HOSPITAL_PACS"
    ds.SpecificCharacterSet = "ISO_IR 100"
    ds.ImageType = ["ORIGINAL", "PRIMARY", "AXIAL"]
    ds.SOPClassUID = CTImageStorage
    ds.SOPInstanceUID = changes.get("sop", "1.2.826.0.1.99.3.1")
    ds.StudyDate = p["study_date"]
    ds.SeriesDate = p["study_date"]
    ds.ContentDate = p["study_date"]
    ds.StudyTime = "101112"
    ds.AcquisitionDateTime = p["study_date"] + "101500.000000"
    ds.AccessionNumber = p["accession"]
    ds.Modality = "CT"
    ds.Manufacturer = "ACME MEDICAL"
    ds.ManufacturerModelName = "SCANMASTER 9000"
    ds.InstitutionName = p["institution"]
    ds.InstitutionAddress = "2 avenue Oscar Lambret, 59000 Lille"
    ds.ReferringPhysicianName = p["referrer"]
    ds.StationName = "CTLILLE07"
    ds.StudyDescription = f"TDM THORAX {p['name'].split('^')[0]} du {p['study_date']}"
    ds.SeriesDescription = "THORAX SANS INJECTION"
    ds.OperatorsName = "LEROY^PAUL"
    ds.PatientName = p["name"]
    ds.PatientID = p["id"]
    ds.IssuerOfPatientID = "CHULILLE"
    ds.PatientBirthDate = p["birth"]
    ds.PatientSex = "M"
    ds.PatientAge = "069Y"
    ds.PatientWeight = "71.5"
    ds.PatientAddress = "12 rue des Lilas, Roubaix"
    ds.OtherPatientIDs = "OLD-4455"
    ds.AdditionalPatientHistory = f"Patient {p['name'].replace('^', ' ')} ne le 14/03/1952"
    ds.BodyPartExamined = "CHEST"
    ds.DeviceSerialNumber = "SN-99812"
    ds.SoftwareVersions = "VX.1"
    ds.ProtocolName = "THORAX STANDARD"
    ds.StudyInstanceUID = changes.get("study_uid", "1.2.826.0.1.99.1")
    ds.SeriesInstanceUID = changes.get("series_uid", "1.2.826.0.1.99.2")
    ds.StudyID = "ST4412"
    ds.SeriesNumber = 3
    ds.InstanceNumber = 1
    ds.FrameOfReferenceUID = "1.2.826.0.1.99.4"
    ds.ImageComments = f"Controle {p['id']}"
    # nested sequences: level 1 -> 2 -> 3
    level3 = Dataset()
    level3.ReferencedSOPClassUID = CTImageStorage
    level3.ReferencedSOPInstanceUID = "1.2.826.0.1.99.3.7"
    level3.PersonName = "NESTED^DEEP"
    level3.ContentDate = p["study_date"]
    level2 = Dataset()
    level2.ReferencedImageSequence = Sequence([level3])
    level2.ReferencedSOPInstanceUID = "1.2.826.0.1.99.3.6"
    level2.ScheduledPerformingPhysicianName = "DEEPER^DOC"
    level1 = Dataset()
    level1.SourceImageSequence = Sequence([level2])
    level1.ReferencedSOPClassUID = CTImageStorage
    level1.ReferencedSOPInstanceUID = "1.2.826.0.1.99.3.5"
    ds.DerivationCodeSequence = Sequence([_code("113040", "DCM", "Lossy Compression")])
    ds.ReferencedStudySequence = Sequence([level1])
    # private attributes: LO and UN VR, and a private sequence
    block = ds.private_block(0x0009, "ACME PRIVATE", create=True)
    block.add_new(0x01, "LO", p["name"])
    block.add_new(0x02, "UN", p["id"].encode("ascii"))
    block.add_new(0x03, "LO", "SAFE SETTING")
    inner = Dataset()
    inner.PatientID = p["id"]
    block.add_new(0x04, "SQ", Sequence([inner]))
    ds.add_new(0x50000010, "US", 1)  # curve group
    ds.add_new(0x60003000, "OW", b"\x00" * 8)  # overlay data
    ds.add_new(0x60004000, "LT", f"overlay {p['name']}")
    ds.Rows, ds.Columns = 64, 64
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 16, 15, 0
    ds.PixelData = PIXELS
    return ds


def _code(value: str, scheme: str, meaning: str) -> Dataset:
    item = Dataset()
    item.CodeValue, item.CodingSchemeDesignator, item.CodeMeaning = value, scheme, meaning
    return item


def write(ds: Dataset, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    ds.save_as(path, enforce_file_format=True)
    return path


def identifying_values(path: Path, profile: object = "default") -> dict[str, str]:
    """What an attacker searches the output for (value -> the attribute it came from): the
    input's identifying values collected independently of the product
    (tests/leak_scanner.py), and, stricter where it adds, every value the product's own
    PS3.15 table says it removes or replaces (``table_values``). The basic profile removes
    free-text comments; the others keep them cleaned (CLEANED_DESCRIPTORS)."""
    cleaned = frozenset() if profile == "basic" else CLEANED_DESCRIPTORS
    values = scanner_values(pydicom.dcmread(path), cleaned)
    for value in sorted(table_values(path)):
        if value.upper() not in PLACEHOLDERS:  # the output's own dummy, ANONYMOUS
            values.setdefault(value, "table")
    return values


def table_values(path: Path) -> set[str]:
    """Every value (all spellings) of every attribute the PS3.15 table does not simply keep or
    remap, at any depth, plus private values. Short values (< 5 characters) are left out
    here (the scanner matches them as whole tokens); so are times (six digits match pixel
    bytes by chance; tests/headers/test_headers_times.py checks them). A value the table
    removes is searched for even where an attribute the table does not list repeats it
    (RadiationMachineName = StationName)."""
    rows = {
        int(r.tag, 16): r
        for r in load_table()
        if len(r.tag) == 8 and "X" not in r.tag and r.basic not in ("K", "U")
    }
    ds = pydicom.dcmread(path)
    found: set[str] = set()
    private: set[str] = set()
    public: set[str] = set()  # values of cleaned attributes (their other words may stay)
    unlisted: set[str] = set()  # values of attributes the table does not list

    def visit(dataset: Dataset) -> None:
        for elem in dataset:
            if elem.VR == "SQ":
                for item in elem.value:
                    visit(item)
                continue
            if elem.tag.is_private and elem.VR in ("LO", "SH", "LT", "ST", "UT", "UN"):
                value = elem.value
                text = value.decode("latin-1") if isinstance(value, bytes) else str(value)
                if len(text.strip(" \x00")) >= 5:
                    private.add(text.strip(" \x00"))
                continue
            options = rows[elem.tag].options if elem.tag in rows else {}
            texts = {str(v).strip() for v in (elem.value if elem.VM > 1 else [elem.value])}
            if "clean_descriptors" in options:  # cleaned: non-identifying words may stay
                public.update(texts)
                continue
            if elem.tag not in rows and elem.VR not in ("PN", "DA", "DT"):
                unlisted.update(texts)
                continue  # not identifying itself (and cross-checked when kept)
            if "retain_modified_dates" in options and elem.VR not in ("DA", "DT"):
                continue  # times and UTC offsets: kept when dates are shifted by whole days
            if elem.VR in ("SQ", "UI", "TM", "OB", "OW", "UN", "US", "SS", "DS", "IS", "FL", "FD"):
                continue
            values = elem.value if elem.VM > 1 else [elem.value]
            for value in values:
                text = str(value).strip()
                if elem.VR == "PN":
                    found.update(s for s in name_spellings(text) if len(s) >= 5)
                elif elem.VR in ("DA", "DT") and len(text) >= 8:
                    found.update(date_spellings(text[:8]))
                elif len(text) >= 5:
                    found.add(text)

    visit(ds)
    # a private value equal to a kept public one (ImageType WHOLE BODY) tells nothing more;
    # a value the table removes is searched for even where an unlisted attribute repeats it
    return (found - public) | (private - public - unlisted)


# the output's own de-identification marking names the profile ('default', 'test'): not a
# value of the input even when an input value is spelt the same (a department 'DEFAULT')
MARKING = frozenset({"DeidentificationMethod"})


def leaks(output: Path, values: Mapping[str, str] | Iterable[str]) -> list[Finding]:
    """Where the values are found in the output (tests/leak_scanner.py: every spelling and
    encoding, raw bytes and decoded elements): findings name the value's index and the
    attribute it came from, never the value."""
    return LeakScanner(values).scan_file(output, skip=MARKING)
