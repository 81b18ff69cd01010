"""Header stage throughput on CT slices, against plain pydicom read+write and dicognito.

    .venv/bin/python bench/headers.py [--files 1000] [--rows 512] [--profile default]

Builds ``--files`` CT slices (pydicom's CT_small header — with its 179 private attributes —
and a rows x rows 16-bit image; 4 patients x N/4 slices) in a temporary folder, then times
in one run, each over every file:
  (a) plain pydicom: dcmread + save_as (the physical limit here),
  (b) this stage: tasks.headers.stage.anonymise_file (output + PHI sidecar),
  (c) dicognito: Anonymizer().anonymize + save_as (needs the ``bench`` extra).
Prints files/s and the ratios b/a (target >= 0.7) and b/c (target >= 2).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import pydicom
from pydicom.data import get_testdata_file

ROOT = Path(__file__).resolve().parent.parent
BENCH_KEY = b"bench-key-not-secret-0123456789"


def make_slices(folder: Path, count: int, rows: int) -> list[Path]:
    template = pydicom.dcmread(get_testdata_file("CT_small.dcm"))
    template.Rows = template.Columns = rows
    pixels = (bytes(range(256)) * (rows * rows * 2 // 256 + 1))[: rows * rows * 2]
    template.PixelData = pixels
    paths = []
    for index in range(count):
        patient = index % 4
        template.PatientID = f"BENCH{patient:04d}"
        template.PatientName = f"PATIENT^NUMBER{patient}"
        template.StudyInstanceUID = f"1.2.826.0.1.3680043.99.{patient}"
        template.SeriesInstanceUID = f"1.2.826.0.1.3680043.99.{patient}.1"
        template.SOPInstanceUID = f"1.2.826.0.1.3680043.99.{patient}.1.{index}"
        template.file_meta.MediaStorageSOPInstanceUID = template.SOPInstanceUID
        template.InstanceNumber = index // 4 + 1
        path = folder / f"slice{index:05d}.dcm"
        template.save_as(path, enforce_file_format=True)
        paths.append(path)
    return paths


def plain(src: Path, dst: Path) -> None:
    pydicom.dcmread(src).save_as(dst)


def stage_runner(profile: str, work: Path) -> Callable[[Path, Path], None]:
    from tasks.headers.stage import anonymise_file
    from tasks.profile import load_profile
    from tasks.stage import StageContext
    from tasks.workspace import Workspace

    ws = Workspace(work, "bench")
    ws.create()
    ctx = StageContext(ws, load_profile(ROOT / "profiles" / f"{profile}.yaml"), BENCH_KEY, None)

    def run(src: Path, dst: Path) -> None:
        if not anonymise_file(src, dst, src.stem, ctx).ok:
            raise RuntimeError("stage refused a bench file")

    return run


def dicognito_runner() -> Callable[[Path, Path], None] | None:
    try:
        from dicognito.anonymizer import Anonymizer
    except ImportError:
        return None
    anonymizer = Anonymizer()

    def run(src: Path, dst: Path) -> None:
        ds = pydicom.dcmread(src)
        anonymizer.anonymize(ds)
        ds.save_as(dst)

    return run


def timed(run: Callable[[Path, Path], None], files: list[Path], out: Path) -> float:
    """Files per second for one pass (after one warm-up file: lazy imports, models)."""
    out.mkdir(parents=True, exist_ok=True)
    run(files[0], out / "warmup.dcm")
    start = time.perf_counter()
    for src in files:
        run(src, out / src.name)
    elapsed = time.perf_counter() - start
    shutil.rmtree(out)
    return len(files) / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=1000)
    parser.add_argument("--rows", type=int, default=512)
    parser.add_argument("--profile", default="default")
    parser.add_argument("--repeat", type=int, default=1, help="passes; the median is printed")
    args = parser.parse_args()
    os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")
    with tempfile.TemporaryDirectory(prefix="clearance-bench-") as tmp:
        folder = Path(tmp)
        (folder / "in").mkdir()
        files = make_slices(folder / "in", args.files, args.rows)
        for path in files:  # same page-cache state for every contender
            path.read_bytes()
        runners: dict[str, Callable[[Path, Path], None] | None] = {
            "plain pydicom read+write": plain,
            f"clearance headers ({args.profile})": stage_runner(args.profile, folder / "ws"),
            "dicognito": dicognito_runner(),
        }
        rates: dict[str, float] = {}
        for name, run in runners.items():
            if run is None:
                print(f"{name:34s} not installed (pip install -e '.[bench]')")
                continue
            passes = [timed(run, files, folder / "out") for _ in range(args.repeat)]
            rates[name] = statistics.median(passes)
            print(f"{name:34s} {rates[name]:8.1f} files/s")
    names = list(rates)
    ours, base = rates.get(names[1]) if len(names) > 1 else None, rates.get(names[0])
    print(f"\n{args.files} CT slices {args.rows}x{args.rows}, profile {args.profile}")
    if ours and base:
        print(f"stage / plain pydicom = {ours / base:.2f}  (target >= 0.7)")
    if ours and "dicognito" in rates:
        print(f"stage / dicognito     = {ours / rates['dicognito']:.2f}  (target >= 2)")


if __name__ == "__main__":
    main()
