"""Benchmark of the burned-in text stage on synthetic images with known text.

Prints, per image set (512², 1024², US multi-frame): line recall (a planted line counts as
redacted when every pixel of its ink box is uniform in every frame of the output), box
precision (filled boxes at least a tenth covered by planted ink boxes / all filled boxes),
PHI recall (the same over names, IDs, dates, places: not L/R, kV, scale labels),
quarantined files (their lines count as found: nothing of them is released), images/s and
frames/s of ``redact_file`` end to end (read, decode, detect, redact, verify, encode,
re-decode check, write) once the engine is warm, and CPU seconds per image.

    .venv/bin/python bench/pixels.py                 # 200 x 512², 40 x 1024², 20 US x 8 frames
    .venv/bin/python bench/pixels.py --quick         # a few images per set
    .venv/bin/python bench/pixels.py --processes 2 --threads 1
    .venv/bin/python bench/pixels.py --tesseract     # also Tesseract (apt tesseract-ocr)
    .venv/bin/python bench/pixels.py --no-second-look  # large frames scanned as before
    .venv/bin/python bench/pixels.py --seed-offset 20000  # a held-out set, same generator
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402
import pydicom  # noqa: E402
import yaml  # noqa: E402

FIRST = ["JEAN", "MARIE", "PIERRE", "SOPHIE", "LUC", "ANNE", "PAUL", "CLAIRE", "MOHAMED", "LEA"]
LAST = ["DUPONT", "MARTIN", "LEFEBVRE", "NGUYEN", "BERNARD", "PETIT", "DURAND", "MOREAU"]
PLACES = ["CHU de Lille", "Hopital Nord", "CH Roubaix", "Clinique St Jean", "Radiologie B"]
TECH = ["L", "R", "kV 120", "mA 250", "5 cm", "AX T2", "HFS", "W 400 L 40", "Se 3 Im 12", "TIS 0.4"]


@dataclass
class Case:
    name: str
    path: Path
    planted: list  # [(box, frames)]
    frames: int
    lines: list  # PlantedText
    modality: str


def random_lines(rng: np.random.Generator) -> list[str]:
    def name() -> str:
        first, last = rng.choice(FIRST), rng.choice(LAST)
        return str(rng.choice([f"{last}^{first}", f"{last} {first}", f"{first} {last}"]))

    def date() -> str:
        y, m, d = rng.integers(1930, 2024), rng.integers(1, 13), rng.integers(1, 29)
        return str(
            rng.choice([f"{d:02d}/{m:02d}/{y}", f"{y}-{m:02d}-{d:02d}", f"{d:02d}.{m:02d}.{y}"])
        )

    makers = [
        name,
        lambda: f"ID {rng.integers(10**7, 10**10)}",
        lambda: f"DOB {date()}",
        date,
        lambda: str(rng.choice(PLACES)),
        lambda: f"Acc A{rng.integers(10**5, 10**7)}",
        lambda: str(rng.choice(TECH)),
        lambda: f"Dr {rng.choice(LAST)}",
    ]
    count = int(rng.integers(5, 9))
    return [makers[int(i)]() for i in rng.choice(len(makers), size=count, replace=True)]


def build_cases(
    folder: Path, count: int, size: int, frames: int, modalities, seed0: int, jpeg_quality: int = 0
):
    from tasks.synthetic import make_image

    cases = []
    for i in range(count):
        rng = np.random.default_rng(seed0 + i)
        modality = modalities[i % len(modalities)]
        ds, planted = make_image(modality, size, random_lines(rng), frames=frames, seed=seed0 + i)
        if jpeg_quality:
            through_jpeg(ds, jpeg_quality)
        path = folder / f"{size}-{frames}-{i:04d}.dcm"
        cases.append(save_case(path, ds, planted, frames, modality))
    return cases


def build_hard_cases(folder: Path, count: int, size: int, seed0: int) -> list[Case]:
    """``count`` images of each class of ``tests.pixels_support.HARD_CLASSES`` (text
    invisible under the file's own VOI LUT, dark ink over texture, small text over bright
    tissue), each with a block of ``random_lines``."""
    from tests.pixels_support import HARD_CLASSES, make_hard_image

    cases = []
    for kind in HARD_CLASSES:
        for i in range(count):
            rng = np.random.default_rng(seed0 + i)
            ds, planted = make_hard_image(kind, size, random_lines(rng), seed=seed0 + i)
            path = folder / f"{kind}-{size}-{i:04d}.dcm"
            cases.append(save_case(path, ds, planted, 1, kind))
    return cases


def build_study_cases(folder: Path, slices: int, size: int, seed0: int) -> list[Case]:
    """Realistic series: a CT and an MR series of ``slices`` slices each, one slice in 25
    carrying 1-3 device lines (a corner block in one exact ink), and a CT series of
    ``slices // 4`` slices that all carry a 3-line banner. Case.modality names the series;
    text-free slices have no planted lines."""
    from tests.pixels_support import make_series_slice

    cases = []
    series = [("CT series", "CT", slices, 25), ("MR series", "MR", slices, 25)]
    series.append(("CT banner", "CT", max(1, slices // 4), 1))
    for name, modality, count, every in series:
        for i in range(count):
            seed = seed0 + i
            rng = np.random.default_rng(seed)
            lines = random_lines(rng)[: int(rng.integers(1, 4))] if i % every == every // 2 else []
            ds, planted = make_series_slice(modality, size, lines, seed)
            path = folder / f"{name.replace(' ', '_')}-{i:04d}.dcm"
            cases.append(save_case(path, ds, planted, 1, name))
        seed0 += count
    return cases


def print_paths(cases: list[Case], results, workspace: Path) -> None:
    """CPU s per frame by path: frames the proof of absence cleared (no detection) and frames
    detected, split by whether they carry planted text; a text-bearing frame cleared is a
    miss of the proof (its lines also count as missed in the recall above)."""
    cpu = {name: seconds for name, _, _, seconds in results}
    paths: dict[tuple[str, str], list[float]] = {}
    for case in cases:
        entry = json.loads(
            (workspace / "bench" / "evidence" / "pixels" / f"{case.name}.json").read_text()
        )
        counts = entry.get("counts", {})
        cleared = int(counts.get("frames_prefiltered", 0)) == case.frames
        key = ("proven text-free" if cleared else "detected", "text" if case.planted else "no text")
        paths.setdefault(key, []).append(cpu[case.name] / case.frames)
    for (path, text), values in sorted(paths.items()):
        print(
            f"  {path:<17} {text:<8} {len(values):>5} frames"
            f"  {float(np.mean(values)):.4f} CPU s/frame (median {float(np.median(values)):.4f})"
        )


def through_jpeg(ds, quality: int) -> None:
    """8-bit colour frames passed through JPEG at ``quality`` and stored back uncompressed:
    the pixel values of a lossy ultrasound export (glyph values scatter by a few levels)."""
    import io

    from PIL import Image

    if int(ds.BitsAllocated) != 8 or int(ds.SamplesPerPixel) != 3:
        return
    frames = ds.pixel_array.reshape(-1, int(ds.Rows), int(ds.Columns), 3)
    out = np.empty_like(frames)
    for index, frame in enumerate(frames):
        buffer = io.BytesIO()
        Image.fromarray(frame).save(buffer, "JPEG", quality=quality)
        out[index] = np.asarray(Image.open(io.BytesIO(buffer.getvalue())).convert("RGB"))
    ds.PixelData = out.tobytes()
    ds.LossyImageCompression = "01"  # as a device sets it on a lossy export


def save_case(path: Path, ds, planted: list, frames: int, modality: str) -> Case:
    """Write a generated image and return it as a bench case."""
    from tasks.synthetic import save

    save(ds, path)
    return Case(path.stem, path, [(p.box, p.frames) for p in planted], frames, planted, modality)


_CTX = None
MISSED: list[tuple[str, str, int, int]] = []
PASSES: list[int] = []


def _init(threads: int, workspace: str, overrides: dict | None = None) -> None:
    global _CTX
    os.environ["CLEARANCE_OCR_THREADS"] = str(threads)
    if os.environ.get("BENCH_NO_SECOND_LOOK"):  # the scan as it was before the second look
        import functools

        import tasks.pixels.pixel_stage as stage

        stage.ScanRules = functools.partial(stage.ScanRules, second_look_min_side=0)
    from tasks.config.profile import ReleaseProfile
    from tasks.pixels.ocr import get_engine
    from tasks.pixels.pixel_settings import PixelProfile
    from tasks.pixels.pixel_stage import detector_settings
    from tasks.runtime.stage_contract import StageContext
    from tasks.runtime.workspace import Workspace

    settings = PixelProfile(threads=threads, evidence_thumbnails=0, **(overrides or {}))
    ws = Workspace(workspace, "bench")
    ws.create()
    _CTX = StageContext(
        ws, ReleaseProfile(name="bench", sections={"pixels": settings}), b"k" * 32, None
    )
    engine = get_engine(detector_settings(settings))
    engine.detect(np.zeros((256, 256), np.uint8))  # warm up


def _warm(_: int) -> int:
    return os.getpid()


def _run(path_text: str) -> tuple[str, bool, str | None, float]:
    from tasks.pixels.pixel_stage import redact_file

    path = Path(path_text)
    cpu = time.process_time()
    outcome = redact_file(path, path.with_suffix(".out.dcm"), path.stem, _CTX)
    return path.stem, outcome.ok, outcome.reason, time.process_time() - cpu


def run_stage(cases: list[Case], processes: int, threads: int, workspace: Path, overrides: dict):
    paths = [str(c.path) for c in cases]
    if processes <= 1:
        _init(threads, str(workspace), overrides)
        start = time.perf_counter()
        results = [_run(p) for p in paths]
        return results, time.perf_counter() - start
    context = multiprocessing.get_context("spawn")
    with context.Pool(
        processes, initializer=_init, initargs=(threads, str(workspace), overrides)
    ) as pool:
        pool.map(_warm, range(processes * 4))
        start = time.perf_counter()
        results = pool.map(_run, paths, chunksize=2)
        return results, time.perf_counter() - start


def score(cases: list[Case], results, workspace: Path) -> dict[str, float]:
    outcome = {name: ok for name, ok, _, _ in results}
    lines = found = boxes = true_boxes = quarantined = phi_lines = phi_found = 0
    for case in cases:
        lines += len(case.planted)
        if not outcome[case.name]:
            quarantined += 1  # a quarantined file releases nothing: its lines count as found
            found += len(case.planted)
            phi = sum(line.text not in TECH for line in case.lines)
            phi_lines += phi
            phi_found += phi
            continue
        ds = pydicom.dcmread(case.path.with_suffix(".out.dcm"))
        array = ds.pixel_array
        samples = int(ds.SamplesPerPixel)
        array = array.reshape(
            (case.frames, ds.Rows, ds.Columns) + ((samples,) if samples > 1 else ())
        )
        for ((x0, y0, x1, y1), frames), line in zip(case.planted, case.lines, strict=True):
            ok = True
            for frame in frames:
                region = array[frame, y0:y1, x0:x1].reshape(-1, samples)
                ok &= bool((region == region[0]).all())
            found += ok
            if line.text not in TECH:
                phi_lines += 1
                phi_found += ok
            if not ok:
                MISSED.append((case.modality, line.contrast, line.font_px, len(line.text)))
        entry = json.loads(
            (workspace / "bench" / "evidence" / "pixels" / f"{case.name}.json").read_text()
        )
        PASSES.append(int(entry["counts"].get("verify_passes", 0)))
        for frame, bx0, by0, bx1, by1 in entry["boxes"]:
            if frame:
                continue
            boxes += 1
            # a filled box is a true positive when planted ink boxes cover a tenth of it
            inked = ink_overlap((bx0, by0, bx1, by1), case.planted)
            true_boxes += inked >= 0.1 * (bx1 - bx0) * (by1 - by0)
    return {
        "lines": lines,
        "recall": found / max(lines, 1),
        "phi_recall": phi_found / max(phi_lines, 1),
        "precision": true_boxes / max(boxes, 1),
        "quarantined": quarantined,
    }


def ink_overlap(box: tuple[int, int, int, int], planted) -> int:
    """Pixels of ``box`` (x0, y0, x1, y1) covered by the planted lines' ink boxes."""
    bx0, by0, bx1, by1 = box
    return sum(
        max(0, min(bx1, x1) - max(bx0, x0)) * max(0, min(by1, y1) - max(by0, y0))
        for (x0, y0, x1, y1), _ in planted
    )


def tesseract_run(cases: list[Case]) -> tuple[float, float, float] | None:
    """Presidio's OCR (Tesseract, default page segmentation) on the same images, all text.

    Presidio's redactor only redacts text its analyzer calls PII on the first frame: the
    all-text recall of its OCR is an upper bound of its recall. The real
    DicomImageRedactorEngine runs in its own venv: bench/pixels_presidio.py, bench/PRESIDIO.md.
    Returns (seconds, line recall on frame 0, PHI line recall).
    """
    try:
        import pytesseract
    except ImportError:
        return None
    from tasks.pixels.decode import decode
    from tasks.pixels.render import Renderer

    lines = found = phi_lines = phi_found = 0
    elapsed = 0.0
    for case in cases:
        ds = pydicom.dcmread(case.path)
        image = decode(ds)
        rendering = Renderer.for_dataset(ds, image.photometric, False).renderings(image.frames[0])
        start = time.perf_counter()
        data = pytesseract.image_to_data(rendering[0], output_type=pytesseract.Output.DICT)
        elapsed += time.perf_counter() - start
        covered = np.zeros(rendering[0].shape[:2], dtype=bool)
        for text, x, y, w, h in zip(
            data["text"], data["left"], data["top"], data["width"], data["height"], strict=True
        ):
            if text.strip():  # word boxes are tight: grant them this stage's 3 px padding
                covered[max(0, y - 3) : y + h + 3, max(0, x - 3) : x + w + 3] = True
        for (x0, y0, x1, y1), line in zip((p[0] for p in case.planted), case.lines, strict=True):
            ok = bool(covered[y0:y1, x0:x1].all())
            lines += 1
            found += ok
            if line.text not in TECH:
                phi_lines += 1
                phi_found += ok
    return elapsed, found / max(lines, 1), phi_found / max(phi_lines, 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n512", type=int, default=200)
    parser.add_argument("--n1024", type=int, default=40)
    parser.add_argument("--nus", type=int, default=20)
    parser.add_argument(
        "--hard", type=int, default=10, help="images per hard class (tests.pixels_support)"
    )
    parser.add_argument(
        "--study-slices", type=int, default=200, help="slices per realistic CT / MR series"
    )
    parser.add_argument("--us-frames", type=int, default=8)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument(
        "--tesseract", action="store_true", help="also Tesseract (Presidio's OCR), all text"
    )
    parser.add_argument("--verbose", action="store_true", help="list the missed lines")
    parser.add_argument(
        "--seed-offset",
        type=int,
        default=0,
        help="added to every set's seed: a held-out set drawn by the same generator",
    )
    parser.add_argument(
        "--no-second-look",
        action="store_true",
        help="scan without the large-frame second look and coarse view (for comparison)",
    )
    parser.add_argument(
        "--jpeg-quality",
        type=int,
        default=0,
        help="pass 8-bit colour images (US, SC) through JPEG at this quality (lossy exports)",
    )
    parser.add_argument(
        "--set", action="append", default=[], help="pixels profile field=value (YAML value)"
    )
    args = parser.parse_args()
    overrides = {k: yaml.safe_load(v) for k, v in (item.split("=", 1) for item in args.set)}
    if args.no_second_look:
        os.environ["BENCH_NO_SECOND_LOOK"] = "1"  # read by _init, in every worker process
    if args.quick:
        args.n512, args.n1024, args.nus, args.hard, args.study_slices = 20, 4, 2, 3, 50
    sets = [
        ("512²", args.n512, 512, 1, ["CT", "MR", "CR", "SC", "US"], 1000),
        ("hard 512²", args.hard, 512, 1, None, 13000),
        ("study 512²", args.study_slices, 512, 1, "study", 15000),
        ("1024²", args.n1024, 1024, 1, ["CT", "MR", "CR", "SC", "US"], 5000),
        (f"US 512² x{args.us_frames}", args.nus, 512, args.us_frames, ["US"], 9000),
    ]
    print(f"processes={args.processes} threads/process={args.threads} cpu={os.cpu_count()}")
    print(f"profile overrides: {overrides or 'none'}; load average {os.getloadavg()[0]:.1f}")
    print(f"second look on large frames: {'off' if args.no_second_look else 'on'}")
    print("cpu s/img: CPU seconds per image summed over threads (2 / it = img/s on 2 idle cores)")
    header = f"{'set':<14}{'images':>7}{'frames':>7}{'lines':>7}{'recall':>8}{'PHI rec.':>9}"
    header += f"{'precis.':>8}"
    print(header + f"{'quar.':>6}{'img/s':>8}{'frames/s':>9}{'cpu s/img':>10}")
    with tempfile.TemporaryDirectory(prefix="clearance-bench-") as tmp:
        root = Path(tmp)
        for label, count, size, frames, modalities, seed in sets:
            if count <= 0:
                continue
            folder = root / label.replace(" ", "_").replace("²", "")
            folder.mkdir()
            if modalities is None:
                cases = build_hard_cases(folder, count, size, seed + args.seed_offset)
            elif modalities == "study":
                cases = build_study_cases(folder, count, size, seed + args.seed_offset)
            else:
                cases = build_cases(
                    folder,
                    count,
                    size,
                    frames,
                    modalities,
                    seed + args.seed_offset,
                    args.jpeg_quality,
                )
            workspace = folder / "ws"
            results, elapsed = run_stage(cases, args.processes, args.threads, workspace, overrides)
            groups = {label: cases}
            if modalities is None or modalities == "study":  # one row per class / series
                groups = {c.modality: [k for k in cases if k.modality == c.modality] for c in cases}
            for name, group in groups.items():
                mine = [r for r in results if r[0] in {c.name for c in group}]
                s = score(group, mine, workspace)
                n = len(group)
                rate = len(cases) / elapsed  # the set's rate: its classes ran together
                print(
                    f"{name:<14}{n:>7}{n * frames:>7}{s['lines']:>7}{s['recall']:>8.3f}"
                    f"{s['phi_recall']:>9.3f}"
                    f"{s['precision']:>8.3f}{s['quarantined']:>6}{rate:>8.2f}"
                    f"{rate * frames:>9.2f}{sum(r[3] for r in mine) / n:>10.3f}",
                    flush=True,
                )
            if modalities == "study" or args.verbose:
                print_paths(cases, results, workspace)
            reasons = sorted({r[2] for r in results if not r[1]})
            if reasons and args.verbose:
                print("  quarantine reasons:", reasons)
            if MISSED and args.verbose:
                print("  missed (modality, contrast, font px, chars):", sorted(MISSED))
            if args.verbose:
                print("  detection passes per image:", np.bincount(PASSES).tolist())
            MISSED.clear()
            PASSES.clear()
            if args.tesseract:
                other = tesseract_run(cases)
                if other is None:
                    print("  tesseract: pytesseract not installed (pip install .[bench])")
                else:
                    seconds, recall, phi = other
                    print(
                        f"  tesseract (frame 0, 1 process): recall {recall:.3f}  PHI recall "
                        f"{phi:.3f}  img/s {count / seconds:.2f}  s/img {seconds / count:.3f}"
                    )


if __name__ == "__main__":
    main()
