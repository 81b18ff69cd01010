"""Clinical PACS -> Clearance folder -> research PACS: the research Orthanc ends up holding
exactly the instances Clearance retrieved, no more, no fewer."""

from __future__ import annotations

from pathlib import Path

import pydicom

from tasks.pacs import PacsDestination, PacsSource, push, retrieve
from tests.pacs_support import CLEARANCE_AE, Orthanc, build_pacs_demo, free_port, needs_orthanc

pytestmark = needs_orthanc


def test_clinical_to_research_round_trip(tmp_path: Path) -> None:
    files = build_pacs_demo(tmp_path / "demo")
    move_port = free_port()
    clinical = Orthanc(tmp_path / "clinical", "CLINICAL", {"clearance": (CLEARANCE_AE, move_port)})
    research = Orthanc(tmp_path / "research", "RESEARCH", {})
    clinical.start()
    research.start()
    try:
        for path in files.values():
            clinical.upload(path)
        source = PacsSource.model_validate(
            {
                "pacs": {"host": "127.0.0.1", "port": clinical.dicom_port, "ae_title": "CLINICAL"},
                "query": {"StudyDate": "20210101-20211231"},
                "method": "c-move",
                "move_port": move_port,
            }
        )
        staged = tmp_path / "workspace" / "retrieved"
        got = retrieve(source, staged)
        assert got.complete and got.studies_found == 3 and got.instances_received == 21

        destination = PacsDestination.model_validate(
            {"pacs": {"host": "127.0.0.1", "port": research.dicom_port, "ae_title": "RESEARCH"}}
        )
        sent = push(staged, destination, manifest=tmp_path / "PUSH_MANIFEST.csv")
        assert sent.complete and sent.acknowledged == 21

        retrieved = {
            str(pydicom.dcmread(p, stop_before_pixels=True).SOPInstanceUID)
            for p in staged.glob("*.dcm")
        }
        assert retrieved == set(files)
        assert research.sop_instance_uids() == retrieved
        assert clinical.sop_instance_uids() == set(files)  # the source is left as it was
    finally:
        clinical.stop()
        research.stop()
