"""Header stage throughput on CT slices, against plain pydicom read+write and dicognito.

    .venv/bin/python bench/headers.py [--files 1000] [--rows 512] [--profile default]

Builds ``--files`` CT slices (pydicom's CT_small header — with its 179 private attributes —
and a rows x rows 16-bit image; 4 patients x N/4 slices) in a temporary folder, then times
in one run, each over every file:
  (a) plain pydicom: dcmread + save_as (the physical limit here),
  (b) this stage: tasks.headers.header_stage.anonymise_file (output + PHI sidecar),
  (b') the same stage as the flow runs it, each file in the watchdog's child process,
  (c) dicognito: Anonymizer().anonymize + save_as (needs the ``bench`` extra).
Passes are interleaved (--repeat, median); files live in RAM (--tmp). Prints files/s (wall
and CPU of the whole process tree, the watchdog's child included) and the ratios b/a
(target >= 0.7), b'/b (the watchdog's cost) and b/c (target >= 2).
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

import psutil
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
    from tasks.config.profile import load_profile
    from tasks.headers.header_stage import anonymise_file
    from tasks.runtime.stage_contract import StageContext
    from tasks.runtime.workspace import Workspace

    ws = Workspace(work, "bench")
    ws.create()
    ctx = StageContext(ws, load_profile(ROOT / "profiles" / f"{profile}.yaml"), BENCH_KEY, None)

    def run(src: Path, dst: Path) -> None:
        if not anonymise_file(src, dst, src.stem, ctx).ok:
            raise RuntimeError("stage refused a bench file")

    return run


def isolated_runner(profile: str, work: Path) -> Callable[[Path, Path], None]:
    """(b) as the flow runs it: each file in the watchdog's child process
    (tasks/runtime/watchdog.py)."""
    from tasks.config.profile import load_profile
    from tasks.headers.header_stage import anonymise_file
    from tasks.runtime.stage_contract import StageContext
    from tasks.runtime.watchdog import FileLimits, Watchdog
    from tasks.runtime.workspace import Workspace

    ws = Workspace(work, "bench-isolated")
    ws.create()
    ctx = StageContext(ws, load_profile(ROOT / "profiles" / f"{profile}.yaml"), BENCH_KEY, None)
    watchdog = Watchdog(ctx, FileLimits(seconds=600, memory_mb=4096))

    def run(src: Path, dst: Path) -> None:
        if not watchdog.run("headers", anonymise_file, src, dst, src.stem).ok:
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


def tree_cpu() -> float:
    """CPU seconds of this process and all its children, live (the watchdog's child) or
    ended: the watchdog's cost shows only when its child's CPU is counted."""
    me = psutil.Process()
    total = sum(me.cpu_times()[:4])  # user, system, and those of children already waited for
    for child in me.children(recursive=True):
        try:
            total += sum(child.cpu_times()[:2])
        except psutil.Error:
            continue
    return total


def timed(run: Callable[[Path, Path], None], files: list[Path], out: Path) -> tuple[float, float]:
    """(files/s of wall time, files/s of the process tree's CPU time) for one pass, after one
    warm-up file (lazy imports, models). CPU time is the steadier figure on a shared machine."""
    out.mkdir(parents=True, exist_ok=True)
    run(files[0], out / "warmup.dcm")
    wall, cpu = time.perf_counter(), tree_cpu()
    for src in files:
        run(src, out / src.name)
    wall, cpu = time.perf_counter() - wall, tree_cpu() - cpu
    shutil.rmtree(out)
    return len(files) / wall, len(files) / cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=1000)
    parser.add_argument("--rows", type=int, default=512)
    parser.add_argument("--profile", default="default")
    parser.add_argument("--repeat", type=int, default=3, help="passes; the median is printed")
    parser.add_argument(
        "--tmp",
        default="/dev/shm" if Path("/dev/shm").is_dir() else None,
        help="folder for the slices (default: RAM, so that disk contention does not dominate)",
    )
    args = parser.parse_args()
    os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")
    with tempfile.TemporaryDirectory(prefix="clearance-bench-", dir=args.tmp) as tmp:
        folder = Path(tmp)
        (folder / "in").mkdir()
        files = make_slices(folder / "in", args.files, args.rows)
        runners = {
            "plain": plain,
            "stage": stage_runner(args.profile, folder / "ws"),
            "isolated": isolated_runner(args.profile, folder / "ws"),
            "dicognito": dicognito_runner(),
        }
        if runners["dicognito"] is None:
            print("dicognito not installed (pip install -e '.[bench]'): compared with pydicom only")
            del runners["dicognito"]
        passes: dict[str, list[tuple[float, float]]] = {name: [] for name in runners}
        for _ in range(args.repeat):  # interleaved, so that load changes hit all alike
            for name, run in runners.items():
                passes[name].append(timed(run, files, folder / "out"))
    wall = {name: statistics.median(p[0] for p in runs) for name, runs in passes.items()}
    cpu = {name: statistics.median(p[1] for p in runs) for name, runs in passes.items()}
    print(
        f"{args.files} CT slices {args.rows}x{args.rows}, profile {args.profile}, "
        f"median of {args.repeat}"
    )
    labels = {
        "plain": "(a) plain pydicom read+write",
        "stage": "(b) clearance headers",
        "isolated": "(b') same, watchdog child",
        "dicognito": "(c) dicognito",
    }
    print(f"{'':32s} {'wall files/s':>13s} {'CPU files/s':>12s}")
    for name in runners:
        print(f"{labels[name]:32s} {wall[name]:13.1f} {cpu[name]:12.1f}")
    print(
        f"b/a = {wall['stage'] / wall['plain']:.2f} wall, {cpu['stage'] / cpu['plain']:.2f} CPU"
        "  (target >= 0.7)"
    )
    print(
        f"b'/b = {wall['isolated'] / wall['stage']:.2f} wall, "
        f"{cpu['isolated'] / cpu['stage']:.2f} CPU of the process tree  (the watchdog's cost)"
    )
    if "dicognito" in runners:
        print(
            f"b/c = {wall['stage'] / wall['dicognito']:.2f} wall, "
            f"{cpu['stage'] / cpu['dicognito']:.2f} CPU  (target >= 2)"
        )


if __name__ == "__main__":
    main()
