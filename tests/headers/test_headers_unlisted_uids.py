"""Instance UIDs in attributes the PS3.15 table does not list are remapped like listed ones
(a retired trial SR's Findings Group UID reached the release unchanged and failed the
release-root check); class UIDs stay."""

from __future__ import annotations

from pathlib import Path

import pydicom
from pydicom.dataset import Dataset

from tasks.checks import header_facts
from tasks.checks.uid_meaning import identifies_instance
from tasks.headers.header_stage import anonymise_file
from tasks.headers.pseudonyms import map_uid
from tests.headers.test_headers_support import KEY, make_ctx, synthetic_ct, write


def _outside_root(path: Path, root: str) -> list[tuple[int, str]]:
    facts = header_facts.read_facts(path, frozenset())
    return [
        (tag, uid)
        for tag, uid in facts.uids
        if identifies_instance(tag) and not uid.startswith((root + ".", "1.2.840.10008."))
    ]


def test_unlisted_instance_uids_are_remapped_consistently(tmp_path: Path) -> None:
    ds = synthetic_ct()
    ds.MultiFrameSourceSOPInstanceUID = "1.2.826.0.1.99.7.1"  # not in the table
    ds.VolumeFrameOfReferenceUID = "1.2.840.10008.1.4.1.1"  # Talairach: DICOM-defined, kept
    palette = Dataset()
    palette.ReferencedColorPaletteInstanceUID = "1.2.826.0.1.99.7.2"
    palette.ReferencedSOPClassUID = "1.3.12.2.1107.5.9.1"  # a class: kept
    ds.ReferencedImageSequence = [palette]
    src = write(ds, tmp_path / "in.dcm")
    ctx = make_ctx(tmp_path, "default")
    outcome = anonymise_file(src, tmp_path / "out.dcm", "i", ctx)
    assert outcome.ok, outcome.reason
    assert outcome.counts["unlisted_uids_remapped"] == 2
    out = pydicom.dcmread(tmp_path / "out.dcm")
    root = ctx.profile.section("headers").uid_root
    assert out.MultiFrameSourceSOPInstanceUID == map_uid(KEY, root, "1.2.826.0.1.99.7.1")
    item = out.ReferencedImageSequence[0]
    assert item.ReferencedColorPaletteInstanceUID == map_uid(KEY, root, "1.2.826.0.1.99.7.2")
    assert item.ReferencedSOPClassUID == "1.3.12.2.1107.5.9.1"
    assert out.VolumeFrameOfReferenceUID == "1.2.840.10008.1.4.1.1"
    assert _outside_root(tmp_path / "out.dcm", root.rstrip(".")) == []


def test_retain_uids_keeps_unlisted_ones_too(tmp_path: Path) -> None:
    ds = synthetic_ct()
    ds.MultiFrameSourceSOPInstanceUID = "1.2.826.0.1.99.7.1"
    src = write(ds, tmp_path / "in.dcm")
    ctx = make_ctx(tmp_path, {"headers": {"retain_uids": True}})
    assert anonymise_file(src, tmp_path / "out.dcm", "i", ctx).ok
    assert pydicom.dcmread(tmp_path / "out.dcm").MultiFrameSourceSOPInstanceUID == (
        "1.2.826.0.1.99.7.1"
    )


def test_a_uid_under_a_tag_defined_with_another_vr_is_remapped(tmp_path: Path) -> None:
    """A bit flipped in a tag: Series Instance UID (0020,000E) read as Degree of Dilation
    (0022,000E, an FL in the dictionary), still written with VR UI."""
    ds = synthetic_ct()
    original = "1.3.6.1.4.1.5962.1.3.4.1.20040826185059.5457"
    ds.add_new(0x0022000E, "UI", original)
    src = write(ds, tmp_path / "in.dcm")
    dst = tmp_path / "out.dcm"
    assert anonymise_file(src, dst, "d1", make_ctx(tmp_path / "ctx")).ok
    assert original.encode() not in dst.read_bytes()
    kept = pydicom.dcmread(dst)[0x0022000E]
    assert kept.VR == "UI" and kept.value != original
