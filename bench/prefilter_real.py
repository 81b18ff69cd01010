"""The proof of absence (tasks/pixels/prefilter.py) on real files and on text frames.

    .venv/bin/python bench/prefilter_real.py real FOLDER [FOLDER ...] [--list judged.txt]
    .venv/bin/python bench/prefilter_real.py text [--step 1]

``real`` reads every DICOM file under the folders (any name), decodes its middle frame,
skips frames whose pixels repeat one already seen, and prints per modality (and frame size:
under 200 px is "small") the greyscale frames judged, how many the proof clears, why the
others are refused (``levels``, ``ink``, ``quiet``, ``glyph``; ``not judged``: colour,
lossy, float, tiny) and the CPU seconds per frame of the proof. ``--list`` writes one
``cleared|refused path`` line per frame, to render and look at. The folders must hold
text-free images for "cleared" to be a saving; a cleared frame with text is a miss.

``text`` generates the text sets the proof must never clear and prints, per set, the
text-bearing greyscale frames cleared (must be 0): single lines (the test lines plus
single glyphs) at every font size 9-32 px and every contrast on CT, MR and CR at 384 and
512 px (seeds 71000-71599), bench/pixels.py's 512² (seeds 1000+) and 1024² (5000+) sets,
its hard classes (13000+) and its series slices with device text (15000+); then the
text-free series slices of the same seeds it clears (the saving on synthetic series).
"""

from __future__ import annotations

import argparse
import collections
import hashlib
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

SINGLE_LINES = ["GIRAUD^ELODIE", "IPP 55102837", "1961-07-30", "Hôpital Est", "R", "Dr ROUX"]
SINGLE_LINES += ["7", "Ab", "né le 04/11/1958", "M", "CHU Sud 3e"]


def _frame(path: Path):
    import pydicom

    from tasks.pixels.decode import decode

    try:
        ds = pydicom.dcmread(path, force=True)
        if "PixelData" not in ds:
            return None
        image = decode(ds)
    except Exception:  # noqa: BLE001 - not an image this bench can read: skipped
        return None
    return str(ds.get("Modality", "?")), image


def real(folders: list[Path], listing: Path | None) -> None:
    from tasks.pixels.prefilter import judged, refusal

    rows: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    cpu: dict[str, list[float]] = collections.defaultdict(list)
    seen: set[bytes] = set()
    lines = []
    for path in sorted(p for folder in folders for p in folder.rglob("*") if p.is_file()):
        found = _frame(path)
        if found is None:
            continue
        modality, image = found
        frame = image.frames[image.count // 2]
        digest = hashlib.blake2b(frame.tobytes(), digest_size=16).digest()
        if digest in seen:
            continue
        seen.add(digest)
        key = f"{modality}{' small' if max(frame.shape[:2]) < 200 else ''}"
        if image.is_float or not judged(frame, image.photometric, image.lossy_source):
            rows[key]["not judged"] += 1
            continue
        start = time.process_time()
        why = refusal(frame)
        cpu[key].append(time.process_time() - start)
        rows[key]["judged"] += 1
        rows[key][why or "cleared"] += 1
        lines.append(f"{'cleared' if why is None else 'refused'}|{path}")
    for key in sorted(rows):
        r = rows[key]
        ms = 1000 * float(np.mean(cpu[key])) if cpu[key] else 0.0
        reasons = ", ".join(f"{w} {r[w]}" for w in ("levels", "ink", "quiet", "glyph") if r[w])
        print(
            f"{key:<10} judged {r['judged']:>4}  cleared {r['cleared']:>4}  ({reasons})"
            f"  not judged {r['not judged']}  {ms:.1f} ms CPU/frame"
        )
    if listing:
        listing.write_text("\n".join(lines) + "\n")


def text(step: int) -> None:
    import pixels as bench

    from tasks.pixels.decode import decode
    from tasks.pixels.prefilter import text_free
    from tasks.synthetic import make_image
    from tests.pixels_support import HARD_CLASSES, make_hard_image, make_series_slice

    counts: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    misses = []

    def check(name: str, ds, planted) -> None:
        if not planted:
            return
        image = decode(ds)
        for index in range(image.count):
            if image.colour or image.is_float:
                counts[name]["not judged"] += 1
                continue
            cleared = text_free(image.frames[index], image.photometric, image.lossy_source)
            counts[name]["cleared" if cleared else "refused"] += 1
            if cleared:
                misses.append((name, [(p.text, p.font_px, p.contrast) for p in planted]))

    for modality in ("CT", "MR", "CR"):
        for size in (384, 512):
            for seed in range(71000, 71600, step):
                line = SINGLE_LINES[seed % len(SINGLE_LINES)]
                check(f"single {modality}", *make_image(modality, size, [line], seed=seed))
    for size, total, seed0 in ((512, 200, 1000), (1024, 40, 5000)):
        for i in range(0, total, step):
            rng = np.random.default_rng(seed0 + i)
            modality = ("CT", "MR", "CR", "SC", "US")[i % 5]
            lines = bench.random_lines(rng)
            check(f"{size}²", *make_image(modality, size, lines, seed=seed0 + i))
    for kind in HARD_CLASSES:
        for i in range(20):
            rng = np.random.default_rng(13000 + i)
            check(kind, *make_hard_image(kind, 512, bench.random_lines(rng), seed=13000 + i))
    for modality in ("CT", "MR"):
        for i in range(0, 60, step):
            rng = np.random.default_rng(15000 + i)
            lines = bench.random_lines(rng)[: int(rng.integers(1, 4))]
            check(f"series {modality}", *make_series_slice(modality, 512, lines, 15000 + i))
    for name in counts:
        c = counts[name]
        print(f"{name:<18} text frames {c['cleared'] + c['refused']:>4}  cleared {c['cleared']}")
    for modality in ("CT", "MR"):  # the saving on text-free series slices (no lines)
        cleared = 0
        for i in range(0, 60, step):
            image = decode(make_series_slice(modality, 512, [], 15000 + i)[0])
            cleared += text_free(image.frames[0], image.photometric, image.lossy_source)
        print(f"text-free series {modality} slices {len(range(0, 60, step)):>4}  cleared {cleared}")
    print(f"text-bearing frames cleared: {len(misses)}")
    for miss in misses[:40]:
        print("  MISS", miss)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    r = sub.add_parser("real")
    r.add_argument("folders", nargs="+", type=Path)
    r.add_argument("--list", type=Path)
    t = sub.add_parser("text")
    t.add_argument("--step", type=int, default=1)
    args = parser.parse_args()
    if args.command == "real":
        real(args.folders, args.list)
    else:
        text(args.step)


if __name__ == "__main__":
    main()
