"""The release-root UID check counts instance UIDs only, decided by the attribute's meaning:
real files (a vendor's private SOP class referenced, a toolkit's private coding scheme in SR
content) pass once de-identified; instance UIDs left outside the
root are still counted."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pydicom
import pydicom.data
import pytest
from pydicom.dataset import Dataset

from tasks.checks import header_facts, policy
from tasks.checks.check_settings import ChecksProfile
from tasks.checks.uid_meaning import identifies_instance
from tasks.headers.header_stage import anonymise_file
from tests.checks_support import make_instance, write_instance
from tests.headers.test_headers_support import make_ctx

LOCAL = Path(__file__).resolve().parents[1] / "data" / "headers"
PYDICOM_FILES = Path(pydicom.data.__file__).parent / "test_files"
ROOT = "2.25"
WANTED = frozenset({"SOPInstanceUID"})
RULES = policy.build_policy(ChecksProfile(uid_root=ROOT), None, today=date(2026, 1, 1))
# (file, attribute whose non-instance UID sits outside the root in the original)
REAL_FILES = [
    (LOCAL / "deid" / "ctbrain1.dcm", "ReferencedSOPClassUID"),  # 1.3.12.2.1107.5.9.1
    (PYDICOM_FILES / "reportsi.dcm", "CodingSchemeUID"),  # a toolkit's private scheme
]


def _outside(facts: header_facts.HeaderFacts, keyword: str) -> list[str]:
    tag = pydicom.datadict.tag_for_keyword(keyword)
    standard = ("2.25.", "1.2.840.10008.")
    return [uid for t, uid in facts.uids if t == tag and not uid.startswith(standard)]


@pytest.mark.parametrize("src,keyword", REAL_FILES, ids=lambda v: getattr(v, "name", v))
def test_real_vendor_files_pass_the_uid_check_once_deidentified(
    src: Path, keyword: str, tmp_path: Path
) -> None:
    ctx = make_ctx(tmp_path, "default")
    dst = tmp_path / "out.dcm"
    outcome = anonymise_file(src, dst, "item", ctx)
    assert outcome.ok, outcome.reason
    facts = header_facts.read_facts(dst, WANTED)
    assert facts.readable
    kept = _outside(facts, keyword)
    assert kept, "the file no longer holds the non-instance UID this test is about"
    assert not identifies_instance(pydicom.datadict.tag_for_keyword(keyword))
    root = ctx.profile.section("headers").uid_root.rstrip(".")
    rules = policy.build_policy(ChecksProfile(uid_root=root), None, today=date(2026, 1, 1))
    assert rules.uids_outside_root(facts.uids) == 0
    # the instance UIDs themselves were counted and are under the root
    assert any(t == 0x00080018 and uid.startswith(root + ".") for t, uid in facts.uids)


def test_class_uids_are_not_counted_instance_uids_are(tmp_path: Path) -> None:
    item = make_instance("p1", "s", "se", 1)
    ds = item.dataset
    reference = Dataset()
    reference.ReferencedSOPClassUID = "0"  # seen in a vendor's file
    reference.ReferencedSOPInstanceUID = "1.2.3.4.5"  # an instance outside the root: counted
    other = Dataset()
    other.ReferencedSOPClassUID = "1.3.12.2.1107.5.9.1"
    other.ReferencedSOPInstanceUID = ROOT + ".77"
    ds.ReferencedImageSequence = [reference, other]
    code = Dataset()
    code.CodeValue, code.CodingSchemeDesignator, code.CodeMeaning = "1", "99TK", "x"
    code.CodingSchemeUID = "1.2.826.0.1.3680043.2.1"
    content = Dataset()
    content.ConceptNameCodeSequence = [code]
    ds.ContentSequence = [content]
    ds.CreatorVersionUID = "1.3.46.670589.11.17.9"
    ds.ConcatenationUID = "1.2.3.9"  # instance: counted
    ds.DimensionOrganizationUID = "1.2.3.10"  # instance: counted
    ds.StorageMediaFileSetUID = "1.2.3.11"  # instance: counted
    ds.TransactionUID = "1.2.3.12"  # instance: counted
    path = write_instance(tmp_path, item)
    facts = header_facts.read_facts(path, WANTED)
    assert (0x00081150, "0") in facts.uids and (0x0008010C, "1.2.826.0.1.3680043.2.1") in facts.uids
    assert RULES.uids_outside_root(facts.uids) == 5
    reference_from_pydicom = header_facts.facts_from_dataset(pydicom.dcmread(path), WANTED)
    assert RULES.uids_outside_root(reference_from_pydicom.uids) == 5


@pytest.mark.parametrize(
    "keyword",
    ["SOPInstanceUID", "StudyInstanceUID", "SeriesInstanceUID", "FrameOfReferenceUID",
     "ReferencedSOPInstanceUID", "ConcatenationUID", "DimensionOrganizationUID",
     "StorageMediaFileSetUID", "TransactionUID", "MultiFrameSourceSOPInstanceUID",
     "ReferencedColorPaletteInstanceUID", "ManufacturerDeviceClassUID"],
)  # fmt: skip
def test_instance_uid_attributes_are_counted(keyword: str) -> None:
    assert identifies_instance(pydicom.datadict.tag_for_keyword(keyword))


@pytest.mark.parametrize(
    "keyword",
    ["SOPClassUID", "ReferencedSOPClassUID", "CodingSchemeUID", "ContextUID",
     "ContextGroupExtensionCreatorUID", "MappingResourceUID", "TransferSyntaxUID",
     "CreatorVersionUID", "RelatedGeneralSOPClassUID", "SOPClassesInStudy"],
)  # fmt: skip
def test_definition_uid_attributes_are_not_counted(keyword: str) -> None:
    assert not identifies_instance(pydicom.datadict.tag_for_keyword(keyword))


def test_unknown_ui_tags_are_counted() -> None:
    assert identifies_instance(0x00091234)  # outside the dictionary: fail closed
