"""Push a release to a real Orthanc (the "research" PACS): C-STORE or STOW-RS, acknowledged
instances recorded in PUSH_MANIFEST.csv, failures retried and reported."""

from __future__ import annotations

import csv
import shutil
from collections.abc import Iterator
from pathlib import Path

import pydicom
import pytest

from tasks.pacs import PacsDestination, PacsError, push
from tests.pacs_support import Orthanc, build_pacs_demo, needs_dicomweb, needs_orthanc

pytestmark = needs_orthanc


@pytest.fixture(scope="module")
def release(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A release-shaped folder: pseudonymous paths, .dcm files, a manifest that is not sent."""
    root = tmp_path_factory.mktemp("release")
    files = build_pacs_demo(root / "demo")
    release = root / "release"
    for n, path in enumerate(files.values()):
        target = release / "dicom" / f"P{n % 3:03d}" / f"{n:04d}.dcm"
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)
    (release / "MANIFEST.sha256").write_text("not dicom\n")
    shutil.rmtree(root / "demo")
    return release


@pytest.fixture(scope="module")
def research(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Orthanc]:
    server = Orthanc(tmp_path_factory.mktemp("research"), "RESEARCH", {}, dicomweb=True)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def empty_research(research: Orthanc) -> Orthanc:
    if research.process is None:
        research.start()
    research.clear()
    assert not research.sop_instance_uids()
    return research


def copy_release(release: Path, tmp_path: Path) -> Path:
    target = tmp_path / "release"
    shutil.copytree(release, target)
    return target


def release_uids(release: Path) -> set[str]:
    return {
        str(pydicom.dcmread(p, stop_before_pixels=True).SOPInstanceUID)
        for p in release.rglob("*.dcm")
    }


def manifest_rows(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def c_store(server: Orthanc, **fields: object) -> PacsDestination:
    node = {"host": "127.0.0.1", "port": server.dicom_port, "ae_title": server.ae_title}
    return PacsDestination.model_validate({"pacs": node, **fields})


def test_c_store_push_lands_exactly_the_release(
    release: Path, empty_research: Orthanc, tmp_path: Path
) -> None:
    folder = copy_release(release, tmp_path)
    report = push(folder, c_store(empty_research))
    assert (report.files, report.acknowledged, report.failed, report.rounds) == (21, 21, 0, 1)
    assert report.complete and report.failures == {}
    assert empty_research.sop_instance_uids() == release_uids(folder)
    rows = manifest_rows(folder / "PUSH_MANIFEST.csv")
    assert report.manifest == folder / "PUSH_MANIFEST.csv"
    assert len(rows) == 21
    assert {r["status"] for r in rows} == {"acknowledged"}
    assert {r["attempts"] for r in rows} == {"1"}
    assert {r["sop_instance_uid"] for r in rows} == release_uids(folder)
    assert all(r["path"].startswith("dicom/P") and r["path"].endswith(".dcm") for r in rows)
    # pushing again is idempotent at the destination (same SOP instances)
    again = push(folder, c_store(empty_research), manifest=tmp_path / "second.csv")
    assert again.complete and empty_research.sop_instance_uids() == release_uids(folder)


def test_push_to_stopped_pacs_is_retried_and_reported(
    release: Path, empty_research: Orthanc, tmp_path: Path
) -> None:
    folder = copy_release(release, tmp_path)
    empty_research.stop()
    try:
        destination = c_store(empty_research, retries=2, retry_delay=0.05, timeout=5)
        report = push(folder, destination)
    finally:
        empty_research.start()
    assert (report.files, report.acknowledged, report.failed, report.rounds) == (21, 0, 21, 3)
    assert not report.complete
    assert sum(report.failures.values()) == 21
    assert all(reason.startswith("association-") for reason in report.failures)
    rows = manifest_rows(report.manifest)
    assert {r["status"] for r in rows} == {"failed"} and {r["attempts"] for r in rows} == {"3"}
    assert not empty_research.sop_instance_uids()


def test_push_recovers_when_pacs_comes_back(
    release: Path, empty_research: Orthanc, tmp_path: Path
) -> None:
    folder = copy_release(release, tmp_path)
    empty_research.stop()
    empty_research.start(delay=1.5)  # comes back while push is retrying
    try:
        report = push(folder, c_store(empty_research, retries=6, retry_delay=0.5, timeout=5))
    finally:
        empty_research.wait_ready()
    assert report.complete and report.acknowledged == 21 and report.rounds >= 2
    assert empty_research.sop_instance_uids() == release_uids(folder)
    attempts = {r["attempts"] for r in manifest_rows(report.manifest)}
    assert attempts == {str(report.rounds)}


def test_unreadable_file_is_reported_not_skipped(
    release: Path, empty_research: Orthanc, tmp_path: Path
) -> None:
    folder = copy_release(release, tmp_path)
    (folder / "dicom" / "broken.dcm").write_bytes(b"not a dicom file at all")
    report = push(folder, c_store(empty_research, retries=1, retry_delay=0))
    assert (report.files, report.acknowledged, report.failed) == (22, 21, 1)
    assert not report.complete and report.failures == {"not a readable DICOM file": 1}
    rows = {r["path"]: r for r in manifest_rows(report.manifest)}
    assert rows["dicom/broken.dcm"]["status"] == "unreadable"


def test_odd_length_dataset_is_refused_before_sending(
    release: Path, empty_research: Orthanc, tmp_path: Path
) -> None:
    folder = copy_release(release, tmp_path)
    victim = sorted(folder.rglob("*.dcm"))[0]
    ds = pydicom.dcmread(victim)
    ds.add_new(0x00291011, "UN", b"odd")  # private block from the demo; 3 bytes
    ds.save_as(victim, enforce_file_format=True)
    report = push(folder, c_store(empty_research, retries=3, retry_delay=0, timeout=10))
    assert (report.acknowledged, report.failed, report.rounds) == (20, 1, 1)
    assert report.failures == {"odd-length dataset (not valid DICOM)": 1}
    assert len(empty_research.sop_instance_uids()) == 20


def test_missing_release_folder(tmp_path: Path, empty_research: Orthanc) -> None:
    with pytest.raises(PacsError):
        push(tmp_path / "nope", c_store(empty_research))


@needs_dicomweb
def test_stow_rs_push(release: Path, empty_research: Orthanc, tmp_path: Path) -> None:
    folder = copy_release(release, tmp_path)
    destination = PacsDestination(dicomweb_url=empty_research.dicomweb_url, method="stow-rs")
    report = push(folder, destination)
    assert (report.files, report.acknowledged, report.failed) == (21, 21, 0) and report.complete
    assert empty_research.sop_instance_uids() == release_uids(folder)
    assert {r["status"] for r in manifest_rows(report.manifest)} == {"acknowledged"}


@needs_dicomweb
def test_stow_rs_to_stopped_server_is_reported(
    release: Path, empty_research: Orthanc, tmp_path: Path
) -> None:
    folder = copy_release(release, tmp_path)
    empty_research.stop()
    try:
        destination = PacsDestination(
            dicomweb_url=empty_research.dicomweb_url,
            method="stow-rs",
            retries=1,
            retry_delay=0,
            timeout=5,
        )
        report = push(folder, destination)
    finally:
        empty_research.start()
    assert (report.acknowledged, report.failed, report.rounds) == (0, 21, 2)
    assert report.failures == {"ConnectionError": 21}
