"""Ingest accounting: every file of a messy tree is indexed, and each one is either
recognised for processing or quarantined with a reason — nothing is dropped."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from pydicom.data import get_testdata_file

from tasks.config.request import load_request
from tasks.ingest import indexing, recognition
from tasks.runtime.workspace import Workspace
from tests.conftest import write_request


def _messy_tree(root: Path, outside: Path) -> dict[str, str | None]:
    """Build a tree of good and bad inputs; return file name -> expected reason."""
    ct = Path(get_testdata_file("CT_small.dcm"))
    data = ct.read_bytes()
    expected: dict[str, str | None] = {}
    patient = root / "DUPONT Jean" / "scanner 12-03-2021"
    patient.mkdir(parents=True)
    shutil.copy(ct, patient / "IM0001")
    expected["IM0001"] = None
    (patient / "IM0002.dcm").write_bytes(data[128 + 4 :])  # no preamble, still DICOM
    expected["IM0002.dcm"] = None
    (patient / "IM0003").write_bytes(data[: len(data) - 500])  # truncated in pixel data
    expected["IM0003"] = "ingest.truncated"
    (patient / "notes.txt").write_text("Patient DUPONT Jean, see report")
    expected["notes.txt"] = "ingest.not_dicom"
    (patient / "empty.dcm").write_bytes(b"")
    expected["empty.dcm"] = "ingest.empty_file"
    (patient / "header_only.dcm").write_bytes(data[:200])
    expected["header_only.dcm"] = "ingest.truncated"
    shutil.copy(get_testdata_file("DICOMDIR"), root / "DICOMDIR")
    expected["DICOMDIR"] = "ingest.dicomdir"
    secret = outside / "secret.dcm"
    shutil.copy(ct, secret)
    os.symlink(secret, patient / "link_outside.dcm")
    expected["link_outside.dcm"] = "ingest.symlink"
    os.symlink(root, patient / "loop")
    expected["loop"] = "ingest.symlink"
    return expected


def test_every_input_is_accounted_for(tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    request_path = write_request(tmp_path)
    expected = _messy_tree(tmp_path / "in", outside)
    request = load_request(request_path)
    ws = Workspace(request.workspace, request.request_id)
    ws.create()

    counts = indexing.index_inputs(ws, request, batch_size=3)
    for batch in ws.batches("dicom"):
        recognition.classify_dicom_batch(ws, batch)

    items = list(ws.items())
    assert counts["inputs"] == len(items) == len(expected)
    reasons = ws.quarantine_reasons()
    ok_ids = {i for i, r in ws.all_results("ingest").items() if r.ok}
    for item in items:
        name = Path(item.source).name
        want = expected[name]
        if want is None:
            assert item.item_id in ok_ids, name
        else:
            assert reasons[item.item_id]["reason"] == want, name
        assert (item.item_id in ok_ids) != (item.item_id in reasons), name
    # quarantined copies are named by item id, never by the input's name
    for path in ws.quarantine_dir.iterdir():
        assert "DUPONT" not in path.name and path.name.startswith("d")
    # nothing followed the link outside the input tree
    assert not any("secret" in p.name for p in ws.root.rglob("*"))


def test_manifest_marks_unprocessed_inputs_as_lost(tmp_path: Path) -> None:
    request = load_request(write_request(tmp_path))
    shutil.copy(get_testdata_file("CT_small.dcm"), tmp_path / "in" / "a.dcm")
    ws = Workspace(request.workspace, request.request_id)
    ws.create()
    indexing.index_inputs(ws, request, batch_size=10)
    counts = ws.write_manifest(released={})
    assert counts == {"lost": 1}
    assert "not_accounted_for" in ws.manifest_path.read_text()


def test_second_run_of_the_same_request_is_refused(tmp_path: Path) -> None:
    import pytest

    from tasks.config.errors import ClearanceError

    ws = Workspace(tmp_path, "req-1")
    held = ws.hold_run_lock()
    with pytest.raises(ClearanceError, match="in progress"):
        Workspace(tmp_path, "req-1").hold_run_lock()
    held.close()
    Workspace(tmp_path, "req-1").hold_run_lock().close()


def test_opted_out_patients_are_quarantined_at_ingest(tmp_path: Path) -> None:
    import pydicom

    from tasks.rights.registry import OptOutRegistry

    request = load_request(write_request(tmp_path))
    for number, patient in enumerate(["IPP111", "IPP222"]):
        ds = pydicom.dcmread(get_testdata_file("CT_small.dcm"))
        ds.PatientID = patient
        ds.SOPInstanceUID = f"1.2.3.{number}"
        ds.save_as(tmp_path / "in" / f"{patient}.dcm")
    registry = OptOutRegistry(request.workspace)
    registry.add("IPP222", "")
    ws = Workspace(request.workspace, request.request_id)
    ws.create()
    indexing.index_inputs(ws, request, batch_size=10)
    counts = recognition.classify_dicom_batch(ws, "dicom-0000", registry.contains)
    assert counts == {"ok": 1, "quarantined": 1}
    reasons = {r["reason"] for r in ws.quarantine_reasons().values()}
    assert reasons == {"ingest.opted_out"}
