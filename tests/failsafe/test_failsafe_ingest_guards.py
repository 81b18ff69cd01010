"""Ingest refuses what would make a later stage allocate gigabytes or block forever, before
any decoder sees it, and refuses nothing a decoder handles."""

from __future__ import annotations

import io
import os
import resource
import shutil
import struct
import threading
import time
import warnings
from pathlib import Path

import pydicom
import pytest
from pydicom.data import get_testdata_file
from pydicom.uid import RLELossless

from tasks.config.request import load_request
from tasks.ingest import indexing, recognition
from tasks.runtime.workspace import Workspace
from tasks.synthetic.images import make_image, save
from tests.conftest import write_request
from tests.failsafe.mutations import (
    Base,
    deflate_bomb,
    insert_in_order,
    nested_sequences,
    raw_elements,
)

GUARD_REASONS = (
    "ingest.pixel_size_mismatch",
    "ingest.pixels_too_large",
    "ingest.truncated",
    "ingest.too_many_elements",
    "ingest.deflate_too_large",
    "ingest.text_too_long",
    "ingest.sequence_too_deep",
)
BUNDLED_DIR = Path(get_testdata_file("CT_small.dcm")).parent


def _peak_rss() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def test_compressed_pixels_declaring_gigabytes_are_refused(tmp_path: Path) -> None:
    # 2 KB of RLE declaring 30000 x 30000 x RGB x 2 frames: the pixel stage's decoder
    # allocated the 5.4 GB output array before reading the data (measured: +2.7 GB RSS)
    ds, _ = make_image("SC", 64, [], seed=1)
    ds.compress(RLELossless, generate_instance_uid=False)
    ds.Rows = ds.Columns = 30000
    ds.NumberOfFrames = 2
    path = tmp_path / "bomb.dcm"
    save(ds, path)
    before = _peak_rss()
    assert recognition.recognise_dicom(path) == "ingest.pixels_too_large"
    assert _peak_rss() - before < 50 * 1024**2


def test_native_pixels_shorter_than_declared_are_refused(tmp_path: Path) -> None:
    ds, _ = make_image("CT", 64, [], seed=2)
    ds.NumberOfFrames = 1000  # 8 MB declared, 8 KB present
    path = tmp_path / "short.dcm"
    save(ds, path)
    assert recognition.recognise_dicom(path) == "ingest.pixel_size_mismatch"


def test_deflate_bomb_is_refused_without_inflating_it(tmp_path: Path) -> None:
    import random

    ds, _ = make_image("MR", 64, [], seed=3)
    buffer = io.BytesIO()
    ds.save_as(buffer, enforce_file_format=True)
    base = Base("mr", buffer.getvalue(), explicit_le=True, native=True)
    data = deflate_bomb(random.Random(0), base, tmp_path, None)  # type: ignore[arg-type]
    assert data is not None and len(data) < 5 * 1024**2
    path = tmp_path / "bomb.dcm"
    path.write_bytes(data)
    before = _peak_rss()
    assert recognition.recognise_dicom(path) == "ingest.deflate_too_large"
    assert _peak_rss() - before < 50 * 1024**2
    # a genuine deflated file still goes through
    assert recognition.recognise_dicom(Path(get_testdata_file("image_dfl.dcm"))) is None


def _with_empty_private_elements(data: bytes, count: int) -> bytes:
    """``count`` empty private elements (8 bytes each) inserted before the pixel data."""
    pixels = next(e for e in raw_elements(data) if e.tag == 0x7FE00010)
    blob = bytearray()
    for index in range(count):
        group, element = 0x0009 + 2 * (index // 0xF000), 0x1000 + index % 0xF000
        blob += struct.pack("<HHccHI", group, element, b"U", b"N", 0, 0)
    return data[: pixels.start] + bytes(blob) + data[pixels.start :]


def test_element_count_bomb_is_refused_before_pydicom_builds_it(tmp_path: Path) -> None:
    # 12 MB, 1 000 000 empty elements: pydicom took 10 s and 330 MB per read, every stage
    ds, _ = make_image("MR", 64, [], seed=4)
    buffer = io.BytesIO()
    ds.save_as(buffer, enforce_file_format=True)
    path = tmp_path / "many.dcm"
    path.write_bytes(_with_empty_private_elements(buffer.getvalue(), 1_000_000))
    before, start = _peak_rss(), time.monotonic()
    assert recognition.recognise_dicom(path) == "ingest.too_many_elements"
    assert time.monotonic() - start < 10
    assert _peak_rss() - before < 50 * 1024**2
    # a few thousand private elements are fine
    path.write_bytes(_with_empty_private_elements(buffer.getvalue(), 5_000))
    assert recognition.recognise_dicom(path) is None


@pytest.mark.parametrize("nested", [False, True])
def test_overlong_free_text_is_refused_before_ner_sees_it(tmp_path: Path, nested: bool) -> None:
    # one 0.95 MB UT descriptor: the header stage's NER cleaning took 26 s and 3.1 GB
    from pydicom.dataset import Dataset
    from pydicom.sequence import Sequence

    ds, _ = make_image("MR", 64, [], seed=6)
    text = "poumon droit examen normal " * 40_000  # ~1 MB
    if nested:
        item = Dataset()
        item.MultienergyAcquisitionDescription = text
        ds.RequestAttributesSequence = Sequence([item])
    else:
        ds.MultienergyAcquisitionDescription = text
    path = tmp_path / "text.dcm"
    save(ds, path)
    assert recognition.recognise_dicom(path) == "ingest.text_too_long"
    ds.ImageComments = "poumon droit " * 700  # a long but plausible comment (9 KB)
    if nested:
        del ds.RequestAttributesSequence
    else:
        del ds.MultienergyAcquisitionDescription
    save(ds, path)
    assert recognition.recognise_dicom(path) is None


@pytest.mark.parametrize("defined", [True, False])
@pytest.mark.parametrize(("depth", "expected"), [(200, "ingest.sequence_too_deep"), (12, None)])
def test_sequences_nested_too_deep_are_refused(
    tmp_path: Path, depth: int, expected: str | None, defined: bool
) -> None:
    # 200 levels of defined length: pydicom reads them lazily, then the header stage's
    # walker hit RecursionError. (Undefined lengths already fail pydicom's own read.)
    ds, _ = make_image("MR", 64, [], seed=7)
    buffer = io.BytesIO()
    ds.save_as(buffer, enforce_file_format=True)
    nested = nested_sequences(depth, "NOBODY^Deep", defined=defined)
    path = tmp_path / "deep.dcm"
    path.write_bytes(insert_in_order(buffer.getvalue(), 0x0040A730, nested))
    reason = recognition.recognise_dicom(path)
    if expected and not defined:
        assert reason in (expected, "ingest.unreadable_dicom")
    else:
        assert reason == expected


def _decodes(path: Path) -> bool:
    try:
        ds = pydicom.dcmread(path)
        if "PixelData" not in ds:
            return False
        ds.pixel_array  # noqa: B018 - decoding is the point
        return True
    except Exception:
        return False


def test_no_bundled_file_that_decodes_is_refused_by_the_size_guard() -> None:
    """No false positives: every bundled pydicom file whose pixels decode passes the guard
    (palette, YBR 4:2:2, 1-bit, multi-frame, big endian, deflated, every codec)."""
    checked = 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for path in sorted(BUNDLED_DIR.glob("*.dcm")):
            if path.stat().st_size > 5 * 1024**2 or not _decodes(path):
                continue
            checked += 1
            reason = recognition.recognise_dicom(path)
            assert reason not in ("ingest.pixel_size_mismatch", "ingest.pixels_too_large"), (
                path.name
            )
    assert checked >= 30


def _classify_in_thread(ws: Workspace) -> threading.Thread:
    def run() -> None:
        for batch in ws.batches("dicom"):
            recognition.classify_dicom_batch(ws, batch)

    worker = threading.Thread(target=run, daemon=True)  # a hang must not keep pytest alive
    worker.start()
    worker.join(timeout=20)
    return worker


@pytest.mark.parametrize("swap", ["fifo", "link_outside"])
def test_input_swapped_after_indexing_is_not_followed_or_opened(tmp_path: Path, swap: str) -> None:
    request = load_request(write_request(tmp_path))
    victim = tmp_path / "in" / "IM0001.dcm"
    shutil.copy(get_testdata_file("CT_small.dcm"), victim)
    outside = tmp_path / "outside.dcm"
    shutil.copy(get_testdata_file("MR_small.dcm"), outside)
    ws = Workspace(request.workspace, request.request_id)
    ws.create()
    indexing.index_inputs(ws, request, batch_size=10)
    victim.unlink()  # swapped between indexing and recognition
    if swap == "fifo":
        os.mkfifo(victim)  # opening it for reading would block forever
    else:
        os.symlink(outside, victim)
    worker = _classify_in_thread(ws)
    assert not worker.is_alive(), "recognition blocked on the swapped input"
    expected = "ingest.not_a_regular_file" if swap == "fifo" else "ingest.symlink"
    reasons = ws.quarantine_reasons()
    assert [r["reason"] for r in reasons.values()] == [expected]
    assert not any(r.ok for r in ws.all_results("ingest").values())


def test_input_swapped_after_recognition_is_not_followed(tmp_path: Path) -> None:
    from tasks.headers.header_stage import anonymise_file
    from tasks.runtime.stage_contract import run_file_stage
    from tests.failsafe.pipeline import build_context

    ctx = build_context(write_request(tmp_path))
    ws = ctx.workspace
    ws.create()
    victim = tmp_path / "in" / "IM0001.dcm"
    shutil.copy(get_testdata_file("CT_small.dcm"), victim)
    secret, _ = make_image("MR", 64, [], seed=8)
    secret.PatientName = "SECRETOUTSIDE^Leaked"
    save(secret, tmp_path / "outside" / "secret.dcm")
    indexing.index_inputs(ws, ctx.request, batch_size=10)
    for batch in ws.batches("dicom"):
        recognition.classify_dicom_batch(ws, batch)
    victim.unlink()  # swapped between recognition and the header stage
    os.symlink(tmp_path / "outside" / "secret.dcm", victim)
    for batch in ws.batches("dicom"):
        run_file_stage(ctx, "headers", batch, "ingest", anonymise_file)
    read_outside = any(r.ok for r in ws.all_results("headers").values())
    assert not read_outside, "the header stage de-identified a file outside the input root"


def test_an_oversized_input_is_refused_and_not_copied_into_quarantine(tmp_path: Path) -> None:
    """A 5 GB input (sparse: no disk used) is refused by its size alone, never read, and
    its quarantine record says it stayed where it was instead of filling the disk."""
    request = load_request(write_request(tmp_path))
    huge = tmp_path / "in" / "huge.dcm"
    with open(huge, "wb") as handle:
        handle.truncate(5 * 1024**3)
    ws = Workspace(request.workspace, request.request_id)
    ws.create()
    indexing.index_inputs(ws, request, batch_size=10)  # refused while indexing, by size
    ws.write_manifest({})
    [record] = ws.quarantine_reasons().values()
    assert record["reason"] == "ingest.too_large"
    assert record["copied"] is False and record["source_bytes"] == 5 * 1024**3
    assert not list(ws.quarantine_dir.glob("*.dcm"))
    assert "quarantined" in ws.manifest_path.read_text()


def _without_read_override(command: list[str]) -> list[str]:
    """As root, run ``command`` without the capabilities that let root read any file
    (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, dropped from the bounding set before exec):
    the kernel then applies mode bits to it as to any user. The uid stays 0, so the
    interpreter (which may live under a private /root) and the workspace stay reachable."""
    if os.geteuid() != 0:
        return command
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("running as root without setpriv (util-linux): cannot drop privileges")
    return [setpriv, "--bounding-set=-dac_override,-dac_read_search", *command]


def _run_stages_unprivileged(tmp_path: Path, locked: Path) -> list[dict[str, str]]:
    """Run every DICOM stage of ``tmp_path``'s request in a child process that cannot read
    ``locked`` (skip if that cannot be arranged); return the manifest rows."""
    import csv
    import subprocess
    import sys

    python = [sys.executable, "-W", "ignore"]
    probe = f"import os; os.listdir({str(locked)!r}) if os.path.isdir({str(locked)!r}) "
    probe += f"else open({str(locked)!r}, 'rb')"
    if subprocess.run(_without_read_override([*python, "-c", probe])).returncode == 0:
        pytest.skip("the child process can still read a chmod 000 input: privileges not dropped")
    (tmp_path / "tmp").mkdir()
    child = subprocess.run(
        _without_read_override(
            [
                *python,
                "-m",
                "tests.failsafe.child",
                str(tmp_path / "request.yaml"),
                str(tmp_path / "report.json"),
            ]
        ),
        cwd=Path(__file__).resolve().parents[2],
        env={**os.environ, "TMPDIR": str(tmp_path / "tmp")},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert child.returncode == 0, child.stderr[-2000:]
    assert not list((tmp_path / "tmp").iterdir())
    with open(tmp_path / "ws" / "test-001" / "manifest.csv", newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def test_unreadable_inputs_are_quarantined_and_kept(tmp_path: Path) -> None:
    """chmod 000 inputs, read by an ingest that cannot override permissions (root runs it
    with its read override dropped): each is quarantined with a reason, none is lost, the
    originals stay untouched, the readable ones are released."""
    import hashlib

    write_request(tmp_path)
    inputs = tmp_path / "in"
    for index in range(2):
        ds, _ = make_image("MR", 64, [], seed=40 + index)
        save(ds, inputs / "readable" / f"IM{index}.dcm")
    locked = []
    for index in range(3):
        ds, _ = make_image("CT", 64, [], seed=50 + index)
        ds.PatientName = "KOWALSKA^Agnieszka"
        path = inputs / "locked" / f"IM{index}.dcm"
        save(ds, path)
        locked.append((path, hashlib.sha256(path.read_bytes()).hexdigest()))
        path.chmod(0)
    rows = {row["input_path"]: row for row in _run_stages_unprivileged(tmp_path, locked[0][0])}

    assert len(rows) == 5  # every input accounted for: none lost
    reasons = Workspace(tmp_path / "ws", "test-001").quarantine_reasons()
    for path, digest in locked:
        row = rows[str(path)]
        assert (row["outcome"], row["reason"]) == ("quarantined", "ingest.unreadable")
        assert reasons[row["item_id"]]["reason"] == "ingest.unreadable"
        assert reasons[row["item_id"]]["copied"] is False  # it could not be read, so not copied
        assert (path.stat().st_mode & 0o777) == 0  # the original is kept as it was
        path.chmod(0o600)
        assert hashlib.sha256(path.read_bytes()).hexdigest() == digest
    released = [row for row in rows.values() if row["outcome"] == "released"]
    assert len(released) == 2 and all("readable" in row["input_path"] for row in released)


def test_an_unreadable_folder_is_accounted_for(tmp_path: Path) -> None:
    write_request(tmp_path)
    ds, _ = make_image("MR", 64, [], seed=60)
    save(ds, tmp_path / "in" / "readable" / "IM0.dcm")
    folder = tmp_path / "in" / "locked"
    for index in range(2):
        ds, _ = make_image("CT", 64, [], seed=61 + index)
        save(ds, folder / f"IM{index}.dcm")
    folder.chmod(0)
    try:
        rows = _run_stages_unprivileged(tmp_path, folder)
    finally:
        folder.chmod(0o700)
    unaccounted = [
        row
        for row in rows
        if row["input_path"].startswith(str(folder))
        and not (row["outcome"] == "quarantined" and row["reason"])
    ]
    assert any(row["input_path"].startswith(str(folder)) for row in rows) and not unaccounted
