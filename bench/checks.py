"""Benchmark of the checks stage: validation time for N staged instances (default 100 000).

Generates a staging folder of small header-only DICOM files (once; reused when it exists),
then times: table build from the staged headers (read without pixel data), the suites
through Great Expectations (+ Data Docs), and the total. Target: total < 10 s for 100 000.

    .venv/bin/python bench/checks.py [--instances 100000] [--folder /tmp/clearance-bench-checks]
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from pathlib import Path

from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tasks.checks.check_settings import ChecksProfile  # noqa: E402
from tasks.checks.policy import build_policy  # noqa: E402
from tasks.checks.run import check_tables  # noqa: E402
from tasks.checks.tables import build_tables, default_workers  # noqa: E402

UID_DIGITS = 38
SERIES_PER_STUDY = 5


def template() -> bytes:
    """One header-only CT instance whose variable fields are fixed-width placeholders."""
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.file_meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.2"
    ds.file_meta.MediaStorageSOPInstanceUID = "2.25." + "9" * UID_DIGITS
    ds.SOPClassUID = "1.2.840.10008.5.1.4.1.1.2"
    ds.SOPInstanceUID = "2.25." + "9" * UID_DIGITS
    ds.StudyDate = "20200314"
    ds.Modality = "CT"
    ds.Manufacturer = "MMMMMMMM"
    ds.InstitutionName = "RRRRRRRR"
    ds.PatientName = "PNNNNNNNNNNNN"
    ds.PatientID = "PNNNNNNNNNNNN"
    ds.PatientSex = "S"
    ds.PatientAge = "AAAY"
    ds.PatientIdentityRemoved = "YES"
    ds.BodyPartExamined = "BBBBBB"
    ds.SliceThickness = "1.25"
    ds.StudyInstanceUID = "2.25." + "7" * UID_DIGITS
    ds.SeriesInstanceUID = "2.25." + "8" * UID_DIGITS
    ds.InstanceNumber = "54321"
    ds.Rows = 512
    ds.Columns = 512
    ds.PixelSpacing = [0.7, 0.7]
    ds.BurnedInAnnotation = "NO"
    from io import BytesIO

    buffer = BytesIO()
    ds.save_as(buffer, enforce_file_format=True)
    return buffer.getvalue()


def code(number: int) -> str:
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
    out = ""
    for _ in range(12):
        number, digit = divmod(number, 32)
        out += alphabet[digit]
    return "P" + out


def generate(folder: Path, instances: int, seed: int = 7) -> None:
    raw = template()
    rng = random.Random(seed)
    per_study = SERIES_PER_STUDY * 10
    patients = max(1, instances // per_study)
    regions = ["NORD0001", "SUD00002", "EST00003", "OUEST004"]
    parts = ["CHEST0", "HEAD00", "ABDOM0"]
    written = 0
    for p in range(patients):
        patient = code(p * 7919 + 13)
        sex = rng.choice("FM")
        age = f"{rng.choice([20, 30, 40, 50, 60, 70, 80]):03d}"
        region = rng.choice(regions)
        study = f"{p:0{UID_DIGITS}d}"
        for s in range(SERIES_PER_STUDY):
            series = f"{p * SERIES_PER_STUDY + s:0{UID_DIGITS}d}"
            target = folder / "dicom" / patient / f"2.25.{study}" / f"2.25.{series}"
            target.mkdir(parents=True, exist_ok=True)
            body = rng.choice(parts)
            for n in range(1, 11):
                if written >= instances:
                    return
                sop = f"{written + 1:0{UID_DIGITS}d}"
                data = raw.replace(b"54321", f"{n:05d}".encode())  # first: UIDs hold digits
                for before, after in (
                    (f"2.25.{'9' * UID_DIGITS}", f"2.25.{sop}"),
                    (f"2.25.{'7' * UID_DIGITS}", f"2.25.{study}"),
                    (f"2.25.{'8' * UID_DIGITS}", f"2.25.{series}"),
                    ("PNNNNNNNNNNNN", patient),
                    ("MMMMMMMM", "ACME0000"),
                    ("RRRRRRRR", region),
                    ("AAAY", f"{age}Y"),
                    ("BBBBBB", body),
                    ("\x10\x00\x40\x00CS\x02\x00S ", f"\x10\x00\x40\x00CS\x02\x00{sex} "),
                ):
                    data = data.replace(before.encode("latin-1"), after.encode("latin-1"))
                (target / f"2.25.{sop}.dcm").write_bytes(data)
                written += 1


def _cpu() -> float:
    """CPU seconds of this process and its finished children (load-independent)."""
    times = os.times()
    return times.user + times.system + times.children_user + times.children_system


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--instances", type=int, default=100_000)
    parser.add_argument("--folder", type=Path, default=Path("/tmp/clearance-bench-checks"))
    parser.add_argument("--workers", type=int, default=None, help="header-reading processes")
    args = parser.parse_args()
    staging = args.folder / f"staging-{args.instances}"
    if not (staging / "dicom").is_dir():
        start = time.perf_counter()
        generate(staging, args.instances)
        print(f"generated {args.instances} files in {time.perf_counter() - start:.1f} s")

    start = time.perf_counter()
    from tasks.checks.gx_runner import gx_context

    gx_context()
    print(
        f"great_expectations import + context (once per process): "
        f"{time.perf_counter() - start:.2f} s"
    )

    checks = ChecksProfile(
        quasi_identifiers=["PatientSex", "age_band", "region", "BodyPartExamined"], k=5, m=5
    )
    policy = build_policy(checks, None)
    workers = args.workers or default_workers(args.instances)
    print(
        f"load average before timing: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs; "
        f"header-reading processes: {workers}"
    )
    start, cpu = time.perf_counter(), _cpu()
    tables = build_tables(staging, checks, policy, workers=workers)
    built, built_cpu = time.perf_counter() - start, _cpu() - cpu
    docs = args.folder / "data_docs"
    start, cpu = time.perf_counter(), _cpu()
    summary = check_tables(tables, checks, policy, docs)
    validated, validated_cpu = time.perf_counter() - start, _cpu() - cpu
    total = built + validated
    print(
        f"instances: {len(tables.instances)}  series: {len(tables.series)}  "
        f"patients: {len(tables.patients)}  expectations: {len(summary.results)}"
    )
    print(
        f"table build (headers read, stop before pixels): {built:.2f} s wall, "
        f"{built_cpu:.2f} s CPU ({built / max(1, len(tables.instances)) * 1e6:.0f} us/instance)"
    )
    print(
        f"validation + Data Docs (GE checkpoints): {validated:.2f} s wall, "
        f"{validated_cpu:.2f} s CPU"
    )
    if workers > 1:
        print("(CPU excludes the header-reading processes; --workers 1 gives the full CPU)")
    print(
        f"total: {total:.2f} s  (target < 10 s)  passed: {summary.passed}  "
        f"failed: {[r['name'] for r in summary.results if not r['success']]}"
    )


if __name__ == "__main__":
    main()
