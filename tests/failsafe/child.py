"""Run the DICOM stages of one request in this process and write a JSON report:
``python -m tests.failsafe.child <request.yaml> <report.json>``.

The parent test runs this in a subprocess so that a hang is a timeout, not a stuck test,
and so that the peak memory of the run is the child's own (``ru_maxrss``)."""

from __future__ import annotations

import json
import os
import resource
import sys
import time
from pathlib import Path

from tasks.runtime.stage_contract import FileStage, Outcome, StageContext
from tests.failsafe.pipeline import Timings, run_dicom_stages


def peak_rss_bytes() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


class Guarded(Timings):
    """Timings plus the peak-RSS growth each file caused."""

    def __init__(self) -> None:
        super().__init__()
        self.rss_growth: dict[str, int] = {}

    def wrap(self, stage: str, process: FileStage) -> FileStage:
        timed = super().wrap(stage, process)

        def measured(src: Path, dst: Path, item_id: str, ctx: StageContext) -> Outcome:
            before = peak_rss_bytes()
            try:
                return timed(src, dst, item_id, ctx)
            finally:
                self.rss_growth[f"{stage}:{item_id}"] = peak_rss_bytes() - before

        return measured


def main(request_path: str, report_path: str) -> None:
    os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")
    guard = Guarded()
    start = time.monotonic()
    counts = run_dicom_stages(Path(request_path), guard)
    report = {
        "counts": counts,
        "seconds": time.monotonic() - start,
        "peak_rss": peak_rss_bytes(),
        "file_seconds": {f"{s}:{i}": t for (s, i), t in guard.seconds.items()},
        "rss_growth": guard.rss_growth,
    }
    Path(report_path).write_text(json.dumps(report))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
