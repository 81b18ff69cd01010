"""Retrieve from a real Orthanc (the "clinical" PACS): C-FIND then C-GET, C-MOVE or WADO-RS,
every instance accounted for, pixel data byte-equal to what was loaded."""

from __future__ import annotations

import csv
import logging
from collections.abc import Iterator
from pathlib import Path

import pydicom
import pytest

from tasks.pacs import PacsError, PacsSource, retrieve
from tasks.pacs import receive as receive_module
from tests.pacs_support import (
    CLEARANCE_AE,
    Orthanc,
    build_pacs_demo,
    free_port,
    needs_dicomweb,
    needs_orthanc,
    pixel_bytes,
    study_uids,
)


def transfer_syntax(path: Path) -> str:
    return str(pydicom.dcmread(path, stop_before_pixels=True).file_meta.TransferSyntaxUID)


pytestmark = needs_orthanc


class Clinical:
    def __init__(self, server: Orthanc, move_port: int, files: dict[str, Path]) -> None:
        self.server = server
        self.move_port = move_port
        self.files = files
        self.studies = study_uids(files)

    def source(self, **fields: object) -> PacsSource:
        node = {"host": "127.0.0.1", "port": self.server.dicom_port, "ae_title": "CLINICAL"}
        return PacsSource.model_validate({"pacs": node, **fields})

    def instances_of(self, studies: list[str]) -> set[str]:
        return {
            uid
            for uid, path in self.files.items()
            if str(pydicom.dcmread(path, stop_before_pixels=True).StudyInstanceUID) in studies
        }


@pytest.fixture(scope="module")
def clinical(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Clinical]:
    root = tmp_path_factory.mktemp("clinical")
    files = build_pacs_demo(root / "demo")
    move_port = free_port()
    server = Orthanc(
        root / "orthanc", "CLINICAL", {"clearance": (CLEARANCE_AE, move_port)}, dicomweb=True
    )
    server.start()
    try:
        for path in files.values():
            server.upload(path)
        assert len(server.sop_instance_uids()) == len(files) == 21
        yield Clinical(server, move_port, files)
    finally:
        server.stop()


def assert_arrived(target: Path, clinical: Clinical, expected: set[str]) -> None:
    names = sorted(p.name for p in target.iterdir())
    assert names == [f"{n:06d}.dcm" for n in range(1, len(expected) + 1)]
    received = {}
    for path in target.iterdir():
        received[str(pydicom.dcmread(path, stop_before_pixels=True).SOPInstanceUID)] = path
    assert set(received) == expected
    for uid, path in received.items():
        assert pixel_bytes(path) == pixel_bytes(clinical.files[uid])
        assert transfer_syntax(path) == transfer_syntax(clinical.files[uid])  # not transcoded


def test_c_get_by_study_uids(clinical: Clinical, tmp_path: Path) -> None:
    wanted = clinical.studies[:2]
    report = retrieve(clinical.source(studies=wanted), tmp_path / "in")
    expected = clinical.instances_of(wanted)
    assert (report.studies_requested, report.studies_found) == (2, 2)
    assert report.instances_expected == report.instances_received == len(expected) == 14
    assert (report.missing, report.unexpected, report.duplicates) == (0, 0, 0)
    assert report.complete and report.missing_list is None
    assert_arrived(tmp_path / "in", clinical, expected)


def test_c_get_by_query(
    clinical: Clinical, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    one = pydicom.dcmread(next(iter(clinical.files.values())), stop_before_pixels=True)
    report = retrieve(clinical.source(query={"PatientID": str(one.PatientID)}), tmp_path / "in")
    expected = clinical.instances_of([str(one.StudyInstanceUID)])
    assert (report.studies_requested, report.studies_found) == (0, 1)
    assert report.instances_received == report.instances_expected == len(expected) == 7
    assert report.complete
    assert_arrived(tmp_path / "in", clinical, expected)
    for value in (str(one.PatientID), str(one.PatientName), str(one.StudyInstanceUID)):
        assert value not in caplog.text  # pynetdicom's identifier logging is off


def test_c_get_by_query_matching_several(clinical: Clinical, tmp_path: Path) -> None:
    report = retrieve(clinical.source(query={"ModalitiesInStudy": "CT"}), tmp_path / "in")
    assert report.studies_found == 3 and report.instances_received == 21 and report.complete


def test_c_move_to_clearance_storage_scp(clinical: Clinical, tmp_path: Path) -> None:
    source = clinical.source(
        studies=clinical.studies, method="c-move", move_port=clinical.move_port
    )
    report = retrieve(source, tmp_path / "in")
    assert report.instances_expected == report.instances_received == 21
    assert report.complete
    assert_arrived(tmp_path / "in", clinical, set(clinical.files))
    rle = [
        p
        for p in (tmp_path / "in").iterdir()
        if pydicom.dcmread(p, stop_before_pixels=True).file_meta.TransferSyntaxUID
        == "1.2.840.10008.1.2.5"
    ]
    assert len(rle) == 1  # compressed instance arrived as stored, not transcoded


def test_unknown_study_is_reported_not_logged(
    clinical: Clinical, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    unknown = "1.2.826.0.1.3680043.8.498.1"
    report = retrieve(clinical.source(studies=[clinical.studies[0], unknown]), tmp_path / "in")
    assert (report.studies_requested, report.studies_found, report.studies_not_found) == (2, 1, 1)
    assert report.missing == 0 and not report.complete
    assert report.missing_list == tmp_path / "in-missing.csv"
    rows = list(csv.reader(report.missing_list.open()))
    assert rows == [["level", "uid"], ["study", unknown]]
    assert unknown not in caplog.text and clinical.studies[0] not in caplog.text


def test_instance_not_stored_is_missing(
    clinical: Clinical, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_write = receive_module.write_atomic
    calls = {"n": 0}

    def failing_once(path: Path, data: bytes) -> None:
        calls["n"] += 1
        if calls["n"] == 2:
            raise OSError("disk full")
        real_write(path, data)

    monkeypatch.setattr(receive_module, "write_atomic", failing_once)
    report = retrieve(clinical.source(studies=clinical.studies[:1]), tmp_path / "in")
    assert report.instances_expected == 7 and report.instances_received == 6
    assert report.missing == 1 and not report.complete
    rows = list(csv.reader(report.missing_list.open()))  # type: ignore[union-attr]
    assert len(rows) == 2 and rows[1][0] == "instance" and rows[1][1] in clinical.files
    assert len(list((tmp_path / "in").glob("*.dcm"))) == 6


def test_target_must_be_empty(clinical: Clinical, tmp_path: Path) -> None:
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "x").write_text("x")
    with pytest.raises(PacsError, match="not empty"):
        retrieve(clinical.source(studies=clinical.studies[:1]), tmp_path / "in")


def test_unreachable_pacs_raises(tmp_path: Path) -> None:
    source = PacsSource.model_validate(
        {
            "pacs": {"host": "127.0.0.1", "port": free_port(), "ae_title": "NOBODY"},
            "studies": ["1.2.3"],
            "timeout": 5,
        }
    )
    with pytest.raises(PacsError, match="refused"):
        retrieve(source, tmp_path / "in")


@needs_dicomweb
def test_dicomweb_wado_rs(clinical: Clinical, tmp_path: Path) -> None:
    source = clinical.source(
        studies=clinical.studies, method="dicomweb", dicomweb_url=clinical.server.dicomweb_url
    )
    report = retrieve(source, tmp_path / "in")
    assert report.instances_expected == report.instances_received == 21
    assert report.complete
    assert_arrived(tmp_path / "in", clinical, set(clinical.files))


@needs_dicomweb
def test_dicomweb_query(clinical: Clinical, tmp_path: Path) -> None:
    one = pydicom.dcmread(next(iter(clinical.files.values())), stop_before_pixels=True)
    source = clinical.source(
        query={"PatientID": str(one.PatientID)},
        method="dicomweb",
        dicomweb_url=clinical.server.dicomweb_url,
    )
    report = retrieve(source, tmp_path / "in")
    assert report.studies_found == 1 and report.instances_received == 7 and report.complete
