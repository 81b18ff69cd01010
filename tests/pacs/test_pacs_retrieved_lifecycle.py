"""Raw studies retrieved from a PACS: gone from the workspace once the candidate is built or
the run fails (searched like an attacker would); a re-submission queries the source again and
says, in counts, what changed. Connection refused, rejection and an unknown calling AE are
told apart, and a refused connection is worth a retry."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pydicom
import pytest

from flows.retrieved_hook import drop_retrieved
from flows.stages import retry_transient_only
from tasks.pacs import PacsSource, retrieve
from tasks.pacs.dimse import PacsError, PacsUnreachable
from tasks.pacs.retrieved import fetch, remove
from tasks.runtime import audit
from tasks.runtime.workspace import Workspace
from tests.conftest import write_request
from tests.pacs_support import CLEARANCE_AE, Orthanc, build_pacs_demo, free_port, needs_orthanc

pytestmark = needs_orthanc


def _source(port: int, **extra: object) -> PacsSource:
    return PacsSource.model_validate(
        {
            "pacs": {"host": "127.0.0.1", "port": port, "ae_title": "CLINICAL"},
            "query": {"StudyDate": "20000101-20301231"},
            "method": "c-get",
            "timeout": 10,
            **extra,
        }
    )


def _identifying(files: dict[str, Path]) -> set[bytes]:
    needles = set()
    for path in files.values():
        ds = pydicom.dcmread(path, stop_before_pixels=True)
        needles |= {str(ds.PatientID).encode(), str(ds.SOPInstanceUID).encode()}
        needles |= {part.encode() for part in str(ds.PatientName).split("^") if len(part) > 3}
    return needles


def _found_under(root: Path, needles: set[bytes]) -> list[str]:
    hits = []
    for path in (p for p in root.rglob("*") if p.is_file()):
        data = path.read_bytes()
        hits += [f"{path.relative_to(root)}" for n in needles if n in data]
    return hits


def test_retrieved_studies_removed_and_resubmission_says_what_changed(tmp_path: Path) -> None:
    files = build_pacs_demo(tmp_path / "demo")
    clinical = Orthanc(
        tmp_path / "clinical", "CLINICAL", {"clearance": (CLEARANCE_AE, free_port())}
    )
    clinical.start()
    try:
        by_study: dict[str, list[Path]] = {}
        for path in files.values():
            study = str(pydicom.dcmread(path, stop_before_pixels=True).StudyInstanceUID)
            by_study.setdefault(study, []).append(path)
        first, *rest = sorted(by_study)
        for study in rest:
            for path in by_study[study]:
                clinical.upload(path)
        ws = Workspace(tmp_path / "ws", "pacs-lifecycle")
        ws.create()
        counts = fetch(ws, _source(clinical.dicom_port))
        held = sum(len(by_study[s]) for s in rest)
        assert counts["instances_received"] == held and "instances_added" not in counts
        assert len(list((ws.root / "retrieved").glob("*.dcm"))) == held

        # the candidate is built: the raw studies go, nothing identifying stays behind
        assert remove(ws) == held
        assert _found_under(ws.root.parent, _identifying(files)) == []

        # the PACS has a new study: a re-submission queries again and says what changed
        for path in by_study[first]:
            clinical.upload(path)
        again = fetch(ws, _source(clinical.dicom_port))
        assert again["instances_added"] == len(by_study[first])
        assert again["instances_unchanged"] == held and again["instances_removed"] == 0
        assert again["instances_received"] == len(files)
        events = [e for e in audit.read(ws.audit_log) if e["event"] == "source_requeried"]
        assert events[-1]["instances_added"] == len(by_study[first])

        # a failed run (the flow's failure hook) removes them too
        request = write_request(
            tmp_path,
            request_id="pacs-lifecycle",
            inputs={"dicom": _source(clinical.dicom_port).model_dump(mode="json")},
        )
        drop_retrieved(None, SimpleNamespace(parameters={"request_path": str(request)}), None)
        assert not (ws.root / "retrieved").exists()
        assert _found_under(ws.root.parent, _identifying(files)) == []
    finally:
        clinical.stop()


def test_refused_rejected_and_unknown_calling_ae_are_told_apart(tmp_path: Path) -> None:
    with pytest.raises(PacsUnreachable, match="refused") as refused:
        retrieve(_source(free_port()), tmp_path / "a")
    assert retry_transient_only(None, None, SimpleNamespace(data=refused.value))

    stranger = Orthanc(tmp_path / "stranger", "CLINICAL", {})  # knows no CLEARANCE modality
    stranger.start()
    try:
        with pytest.raises(PacsError, match="calling AE 'CLEARANCE'") as unknown:
            retrieve(_source(stranger.dicom_port), tmp_path / "b")
        assert not retry_transient_only(None, None, SimpleNamespace(data=unknown.value))
    finally:
        stranger.stop()

    strict = Orthanc(tmp_path / "strict", "CLINICAL", {"clearance": (CLEARANCE_AE, free_port())})
    strict.configure(DicomCheckCalledAet=True)
    strict.start()
    try:
        source = _source(strict.dicom_port)
        source.pacs.ae_title = "WRONG"
        # Orthanc answers A-ASSOCIATE-RJ and closes at once; under load pynetdicom may see
        # the close first and report an abort. Either way: a configuration error that names
        # the wrong called AE title and is not retried.
        with pytest.raises(PacsError, match="(rejected|aborted).*") as wrong_called:
            retrieve(source, tmp_path / "c")
        assert not isinstance(wrong_called.value, PacsUnreachable)
        assert "WRONG" in str(wrong_called.value)
        assert not retry_transient_only(None, None, SimpleNamespace(data=wrong_called.value))
    finally:
        strict.stop()
