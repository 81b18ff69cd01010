"""Hostile input: >= 1 000 generated broken DICOM variants (tests/failsafe/mutations.py) run
through the real stages (ingest, headers, pixels, assemble) in a child process.

Every input must end released-and-clean or quarantined-with-a-reason; nothing is written
outside the workspace; no link is followed; no file takes minutes or gigabytes. The CI run
uses a stratified sample of ~300 variants; the full corpus runs under ``-m slow``. One run
per corpus feeds every test of this module.
"""

from __future__ import annotations

import csv
import json
import os
import random
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import write_request
from tests.failsafe.mutations import OUTSIDE_MARKER, Corpus, generate, quiet_pydicom
from tests.failsafe.scan import LeakScanner, decoded_text, snapshot

PROJECT = Path(__file__).resolve().parents[2]
SPECIAL_KINDS = {"symlink", "fifo", "empty", "unreadable", "long_name"}
SPECIAL_KINDS |= {"deflate_bomb", "element_bomb", "text_bomb"}
MAX_FILE_SECONDS = 60.0  # per file and stage; a 64 px image takes < 1 s, the first ~8 s
MAX_PEAK_RSS = 2 * 1024**3  # the whole run (OCR models ~0.7 GB included)
MAX_FILE_RSS_GROWTH = 600 * 1024**2  # what one file may add to the peak


@dataclass
class Run:
    root: Path
    inputs: Path
    ws_root: Path
    corpus: Corpus
    rows: list[dict[str, str]]
    report: dict
    outside_before: dict
    outside_after: dict

    def kind_of(self, row: dict[str, str]) -> str:
        return self.corpus.variants[str(Path(row["input_path"]).relative_to(self.inputs))]


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


def _run_corpus(root: Path, sample: int | None, timeout: float) -> Run:
    inputs, outside = root / "in", root / "outside"
    with quiet_pydicom():  # pydicom warns about the charsets it is made to write
        corpus = generate(inputs, outside)
    assert len(corpus.variants) >= 1000
    if sample:
        _sample(inputs, corpus, sample)
    request = write_request(root)
    skip = {root / "ws", root / "report", root / "tmp"}
    before = snapshot(root, skip)
    (root / "report").mkdir()
    report_path = root / "report" / "report.json"
    (root / "tmp").mkdir()  # the child's TMPDIR: must stay empty
    child = subprocess.run(
        [sys.executable, "-m", "tests.failsafe.child", str(request), str(report_path)],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        timeout=timeout,  # a hang fails here instead of stalling CI
        env={**os.environ, "TMPDIR": str(root / "tmp")},
    )
    assert child.returncode == 0, "the stages crashed (see the child's stderr)"
    ws_root = root / "ws" / "test-001"
    with open(ws_root / "manifest.csv", newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    report = json.loads(report_path.read_text())
    return Run(root, inputs, ws_root, corpus, rows, report, before, snapshot(root, skip))


@pytest.fixture(
    scope="module",
    params=[300, pytest.param(None, marks=pytest.mark.slow)],
    ids=["sample300", "all"],
)
def run(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Run:
    root = tmp_path_factory.mktemp("hostile")
    result = _run_corpus(root, request.param, timeout=600 if request.param else 3000)
    _print_table(result)
    return result


def _print_table(run: Run) -> None:
    table: Counter[tuple[str, str]] = Counter(
        (run.kind_of(row), row["reason"] or row["outcome"]) for row in run.rows
    )
    report = run.report
    print(
        f"\n{len(run.rows)} inputs in {report['seconds']:.0f} s, "
        f"peak RSS {report['peak_rss'] / 1e6:.0f} MB; outcomes per kind:"
    )
    for (kind, reason), count in sorted(table.items()):
        print(f"  {kind:18} {reason:45} {count:5}")
    totals: Counter[str] = Counter(row["reason"] or row["outcome"] for row in run.rows)
    print("totals: " + ", ".join(f"{reason}={count}" for reason, count in sorted(totals.items())))


def test_every_input_is_released_or_quarantined_with_a_reason(run: Run) -> None:
    by_source = {row["input_path"]: row for row in run.rows}
    assert set(by_source) == {str(run.inputs / name) for name in run.corpus.variants}
    reasons = {
        data["item_id"]: data["reason"]
        for data in (json.loads(p.read_text()) for p in run.ws_root.glob("quarantine/*.json"))
    }
    for row in run.rows:
        assert row["outcome"] in ("released", "quarantined"), (row["item_id"], row["outcome"])
        if row["outcome"] == "quarantined":
            assert row["reason"] and reasons.get(row["item_id"]) == row["reason"], row["item_id"]
    assert any(row["outcome"] == "released" for row in run.rows), "no control was released"


def test_nothing_is_written_outside_the_workspace(run: Run) -> None:
    assert run.outside_after == run.outside_before  # inputs, link targets: untouched
    assert not list((run.root / "tmp").iterdir())  # no temporary file left behind


def test_no_link_is_followed_out_of_the_input_root(run: Run) -> None:
    marker = OUTSIDE_MARKER.split("^")[0].encode()
    for path in run.ws_root.rglob("*"):
        assert not path.is_symlink(), path.name
        if path.is_file():
            assert marker not in path.read_bytes(), f"{path.relative_to(run.ws_root)} read outside"


def test_no_file_takes_minutes_or_gigabytes(run: Run) -> None:
    report = run.report
    slowest = max(report["file_seconds"].items(), key=lambda pair: pair[1])
    assert slowest[1] < MAX_FILE_SECONDS, slowest
    assert report["peak_rss"] < MAX_PEAK_RSS, report["peak_rss"]
    greediest = max(report["rss_growth"].items(), key=lambda pair: pair[1])
    assert greediest[1] < MAX_FILE_RSS_GROWTH, greediest


def test_reasons_and_results_hold_no_values(run: Run) -> None:
    """Reason files, stage results and DPO evidence hold codes and counts. (Ingest results,
    like the index, hold input paths by design: they name patients and stay here.)"""
    scanner = LeakScanner(run.corpus.planted)
    paths = [*run.ws_root.glob("quarantine/*.reason.json"), *run.ws_root.glob("work/*/results/*")]
    paths = [p for p in paths if p.parent.parent.name != "ingest"]
    paths += [p for p in run.ws_root.glob("evidence/**/*") if p.suffix in (".json", ".md")]
    for path in paths:
        assert not scanner.leaks_in_text(path.read_text()), path.relative_to(run.ws_root)


def test_released_files_are_valid_dicom_without_planted_values(run: Run) -> None:
    """Re-read every released file (no force, every element converted) and search its bytes
    and decoded text for every planted value in every spelling and encoding."""
    scanner = LeakScanner(run.corpus.planted)
    problems: list[str] = []
    for row in run.rows:
        if row["outcome"] != "released":
            continue
        path = run.ws_root / "staging" / row["output"]
        kind = run.kind_of(row)
        try:
            decoded_text(path)
        except Exception as error:
            problems.append(f"{row['item_id']} ({kind}): undecodable {type(error).__name__}")
        found = scanner.leaks(path)
        if found:  # indexes into the sorted planted values, never the values themselves
            problems.append(f"{row['item_id']} ({kind}): planted values #{sorted(found)}")
    print("\n".join(["released-file problems:", *problems]))
    assert not problems


@pytest.mark.skipif(
    os.geteuid() == 0,
    reason="root reads files whatever their mode; as root, test_failsafe_ingest_guards.py::"
    "test_unreadable_inputs_are_quarantined_and_kept drops that privilege and checks this",
)
def test_unreadable_inputs_are_quarantined(run: Run) -> None:
    for row in run.rows:
        if run.kind_of(row) == "unreadable":
            assert row["reason"] == "ingest.unreadable", row["item_id"]


def test_the_generator_is_deterministic(tmp_path: Path) -> None:
    def digest(root: Path) -> dict[str, str]:
        return {
            key: value[2].replace(str(root.parent), "<base>")  # content hash or link target
            for key, value in (
                (str(Path(path).relative_to(root)), entry)
                for path, entry in snapshot(root, set()).items()
            )
        }

    with quiet_pydicom():
        first = generate(tmp_path / "a" / "in", tmp_path / "a" / "outside")
        second = generate(tmp_path / "b" / "in", tmp_path / "b" / "outside")
    assert first.variants == second.variants and first.planted == second.planted
    assert len(first.variants) >= 1000
    assert digest(tmp_path / "a" / "in") == digest(tmp_path / "b" / "in")
