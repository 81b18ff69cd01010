"""Hostile input: >= 1 000 generated broken DICOM variants (tests/failsafe/mutations.py) run
through the real stages (ingest, headers, pixels, assemble) in a child process.

Every input must end released-and-clean or quarantined-with-a-reason; nothing is written
outside the workspace; no link is followed; no file takes minutes or gigabytes. The CI test
runs a stratified sample of ~300 variants; the full corpus runs under ``-m slow``.
"""

from __future__ import annotations

import csv
import json
import os
import random
import subprocess
import sys
import warnings
from collections import Counter
from pathlib import Path

import pytest

from tests.conftest import write_request
from tests.failsafe.mutations import OUTSIDE_MARKER, Corpus, generate
from tests.failsafe.scan import LeakScanner, decoded_text, snapshot

PROJECT = Path(__file__).resolve().parent.parent
SPECIAL_KINDS = {"symlink", "fifo", "empty", "unreadable", "long_name", "deflate_bomb"}
MAX_FILE_SECONDS = 60.0  # per file and stage; a 64 px image takes < 1 s, the first ~8 s
MAX_PEAK_RSS = 2 * 1024**3  # the whole run (OCR models ~0.7 GB included)
MAX_FILE_RSS_GROWTH = 600 * 1024**2  # what one file may add to the peak


def _sample(root: Path, corpus: Corpus, size: int, seed: int = 7) -> None:
    """Keep every special file and a stratified sample of the rest (delete the others)."""
    rng = random.Random(seed)
    by_kind: dict[str, list[str]] = {}
    for relative, kind in sorted(corpus.variants.items()):
        by_kind.setdefault(kind, []).append(relative)
    plain = sum(len(v) for k, v in by_kind.items() if k not in SPECIAL_KINDS)
    special = sum(len(v) for k, v in by_kind.items() if k in SPECIAL_KINDS)
    keep_ratio = max(0.0, (size - special) / plain)
    for kind, names in by_kind.items():
        if kind in SPECIAL_KINDS:
            continue
        keep = set(rng.sample(names, max(min(6, len(names)), round(len(names) * keep_ratio))))
        for name in names:
            if name not in keep:
                (root / name).unlink()
                del corpus.variants[name]


def _read_manifest(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def run_corpus(tmp_path: Path, sample: int | None, timeout: float) -> None:
    inputs, outside = tmp_path / "in", tmp_path / "outside"
    with warnings.catch_warnings():  # pydicom warns about the charsets it is made to write
        warnings.simplefilter("ignore")
        corpus = generate(inputs, outside)
    assert len(corpus.variants) >= 1000
    if sample:
        _sample(inputs, corpus, sample)
    request = write_request(tmp_path)
    workspace = tmp_path / "ws"
    skip = {workspace, tmp_path / "report"}
    before = snapshot(tmp_path, skip)
    (tmp_path / "report").mkdir()
    report_path = tmp_path / "report" / "report.json"
    child = subprocess.run(
        [
            sys.executable,
            "-W",
            "ignore",
            "-m",
            "tests.failsafe.child",
            str(request),
            str(report_path),
        ],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        timeout=timeout,  # a hang fails here instead of stalling CI
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
    )
    assert child.returncode == 0, f"the stages crashed: {child.stderr[-3000:]}"
    report = json.loads(report_path.read_text())
    ws_root = workspace / "test-001"

    # every input accounted for: released or quarantined with a reason, never lost
    rows = _read_manifest(ws_root / "manifest.csv")
    by_source = {row["input_path"]: row for row in rows}
    expected = {str(inputs / relative) for relative in corpus.variants}
    assert set(by_source) == expected, "manifest and input tree differ"
    reasons = {
        json.loads(p.read_text())["item_id"]: json.loads(p.read_text())["reason"]
        for p in (ws_root / "quarantine").glob("*.reason.json")
    }
    table: Counter[tuple[str, str]] = Counter()
    for relative, kind in corpus.variants.items():
        row = by_source[str(inputs / relative)]
        assert row["outcome"] in ("released", "quarantined"), (row["item_id"], row["outcome"])
        if row["outcome"] == "quarantined":
            assert row["reason"] and reasons.get(row["item_id"]) == row["reason"], row["item_id"]
        table[(kind, row["reason"] or "released")] += 1
    _print_table(table, report)

    # nothing outside the workspace was written, moved or deleted (inputs, link targets)
    assert snapshot(tmp_path, skip) == before
    # nothing under the workspace is a link, and nothing came from outside the input root
    scanner = LeakScanner(corpus.planted)
    marker = OUTSIDE_MARKER.split("^")[0].encode()
    for path in ws_root.rglob("*"):
        assert not path.is_symlink(), path.name
        if path.is_file():
            assert marker not in path.read_bytes(), f"{path.relative_to(ws_root)} read outside"

    # every released file reads back as DICOM, every element decodes, no planted value
    released = [r for r in rows if r["outcome"] == "released"]
    assert released, "no variant was released: the corpus lost its controls"
    problems: list[str] = []
    for row in released:
        path = ws_root / "staging" / row["output"]
        kind = corpus.variants[str(Path(row["input_path"]).relative_to(inputs))]
        try:
            decoded_text(path)  # no force, and every element converted
        except Exception as error:
            problems.append(f"{row['item_id']} ({kind}): undecodable {type(error).__name__}")
        found = scanner.leaks(path)
        if found:
            problems.append(f"{row['item_id']} ({kind}): leaks planted values #{sorted(found)}")
    print("\n".join(["released-file problems:", *problems]) if problems else "")
    assert not problems, problems
    # reason files and stage results hold codes and counts, never values
    for path in [*ws_root.glob("quarantine/*.reason.json"), *ws_root.glob("work/*/results/*")]:
        assert not scanner.leaks_in_text(path.read_text()), path.relative_to(ws_root)

    # per-file guards: no file hangs a stage or costs gigabytes
    slowest = max(report["file_seconds"].items(), key=lambda pair: pair[1])
    assert slowest[1] < MAX_FILE_SECONDS, slowest
    assert report["peak_rss"] < MAX_PEAK_RSS, report["peak_rss"]
    greediest = max(report["rss_growth"].items(), key=lambda pair: pair[1])
    assert greediest[1] < MAX_FILE_RSS_GROWTH, greediest


def _print_table(table: Counter[tuple[str, str]], report: dict) -> None:
    print(
        f"\n{sum(table.values())} inputs in {report['seconds']:.0f} s, "
        f"peak RSS {report['peak_rss'] / 1e6:.0f} MB; outcomes per kind:"
    )
    for (kind, reason), count in sorted(table.items()):
        print(f"  {kind:18} {reason:45} {count:5}")
    totals: Counter[str] = Counter()
    for (_, reason), count in table.items():
        totals[reason] += count
    print("totals: " + ", ".join(f"{reason}={count}" for reason, count in sorted(totals.items())))


def test_sample_of_hostile_variants_is_released_clean_or_quarantined(tmp_path: Path) -> None:
    run_corpus(tmp_path, sample=300, timeout=600)


@pytest.mark.slow
def test_all_hostile_variants_are_released_clean_or_quarantined(tmp_path: Path) -> None:
    run_corpus(tmp_path, sample=None, timeout=3000)
