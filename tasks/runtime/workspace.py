"""The secure workspace of one release request.

Layout under ``<workspace>/<request_id>/``::

    staging/                 the candidate release (only pseudonymous names inside)
    quarantine/              <item_id><suffix> copies of rejected inputs + <item_id>.reason.json
    audit/audit.jsonl        hash-chained audit log
    audit/pseudonyms.csv     pseudonym <-> original map (for data subjects' rights), sealed
    work/index.jsonl         every input: item_id, kind, source path (input paths hold names)
    work/batches/            <kind>-NNNN.json lists of item ids: what tasks receive
    work/<stage>/            intermediate files named <item_id>.<ext>
    work/<stage>/results/    per-batch outcomes (<batch>.json), written atomically
    work/phi/<item_id>.json  identifying values of one input, for later stages' matching, sealed
    evidence/                Data Docs, thumbnails and other DPO evidence (no PHI)
    manifest.csv             every input -> outcome (stays here: input paths hold names)

This module is the only place that moves files into quarantine or staging.
"""

from __future__ import annotations

import csv
import fcntl
import json
import os
import shutil
import stat
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from tasks.config.errors import ClearanceError
from tasks.runtime import atomic, audit

PRIVATE_UMASK = 0o077  # folders 0700, files 0600: the secure zone holds clear identifying values


def keep_private() -> None:
    """Create every file and folder of this process (and the processes it starts) readable
    by its owner only: set once where a process starts, not chmod-ed afterwards."""
    os.umask(PRIVATE_UMASK)


def open_to_others(path: Path) -> bool:
    """Whether users other than the owner and its group can enter or read ``path``."""
    return path.exists() and bool(stat.S_IMODE(path.stat().st_mode) & 0o007)


MAX_QUARANTINE_COPY_BYTES = 4 * 1024**3  # ingest refuses larger inputs (ingest.too_large)
# the data of a person who objected is not copied anywhere: the exclusion is recorded, the
# input stays untouched where it was
NEVER_COPIED_REASONS = frozenset({"ingest.opted_out", "reports.opted_out"})
RELEASED = "released"
QUARANTINED = "quarantined"


@dataclass(frozen=True)
class Item:
    """One input file. ``source`` is the original path: it may hold names, keep it here."""

    item_id: str
    kind: str  # dicom | report | clinical
    source: str


@dataclass(frozen=True)
class ItemResult:
    item_id: str
    ok: bool
    path: str | None = None  # output path relative to the workspace root, when ok
    reason: str | None = None  # reason code, when quarantined (no PHI)
    release_name: str | None = None  # pseudonymous path under staging/, once a stage knows it

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.item_id,
            "ok": self.ok,
            "path": self.path,
            "reason": self.reason,
            "release_name": self.release_name,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ItemResult:
        return cls(
            data["id"], data["ok"], data.get("path"), data.get("reason"), data.get("release_name")
        )


class Workspace:
    def __init__(self, base: Path | str, request_id: str) -> None:
        self.root = Path(base).resolve() / request_id
        self.request_id = request_id

    # --- folders -------------------------------------------------------------------------
    @property
    def staging(self) -> Path:
        return self.root / "staging"

    @property
    def quarantine_dir(self) -> Path:
        return self.root / "quarantine"

    @property
    def audit_dir(self) -> Path:
        return self.root / "audit"

    @property
    def audit_log(self) -> Path:
        return self.audit_dir / "audit.jsonl"

    @property
    def work(self) -> Path:
        return self.root / "work"

    @property
    def evidence(self) -> Path:
        return self.root / "evidence"

    @property
    def manifest_path(self) -> Path:
        return self.root / "manifest.csv"

    @property
    def index_path(self) -> Path:
        return self.work / "index.jsonl"

    def stage_dir(self, stage: str) -> Path:
        return self.work / stage

    def phi_path(self, item_id: str) -> Path:
        return self.work / "phi" / f"{item_id}.json"

    def flags_path(self, item_id: str) -> Path:
        return self.work / "flags" / f"{item_id}.json"

    def write_flags(self, item_id: str, flags: list[str]) -> None:
        """Flag codes of a released input (e.g. ``headers.generated_study_uid``: what a stage
        had to supply); listed in the manifest's ``flags`` column. Codes only, no values."""
        path = self.flags_path(item_id)
        if not flags:
            path.unlink(missing_ok=True)
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic.write_json(path, sorted(set(flags)))

    def read_flags(self) -> dict[str, list[str]]:
        folder = self.work / "flags"
        paths = sorted(folder.glob("*.json")) if folder.exists() else []
        return {path.stem: json.loads(path.read_text(encoding="utf-8")) for path in paths}

    def create(self) -> None:
        for folder in (self.staging, self.quarantine_dir, self.audit_dir, self.work, self.evidence):
            folder.mkdir(parents=True, exist_ok=True)

    def relative(self, path: Path) -> str:
        return str(Path(path).resolve().relative_to(self.root))

    def absolute(self, relative: str) -> Path:
        return self.root / relative

    def hold_run_lock(self) -> IO[str]:
        """One run per request at a time: an exclusive lock held while the returned handle
        stays open (released by the OS when the process ends, even on kill -9)."""
        self.root.mkdir(parents=True, exist_ok=True)
        handle = open(self.root / "run.lock", "a+")  # noqa: SIM115 - held for the run
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            raise ClearanceError(
                f"another run of request '{self.request_id}' is in progress"
            ) from None
        return handle

    def run_in_progress(self) -> bool:
        """Whether a run of this request holds its lock now (checked without keeping it)."""
        if not (self.root / "run.lock").exists():
            return False
        with open(self.root / "run.lock", "a+") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return True
            fcntl.flock(handle, fcntl.LOCK_UN)
        return False

    # --- audit ---------------------------------------------------------------------------
    def audit(self, event: str, **fields: Any) -> None:
        audit.append(self.audit_log, event, request_id=self.request_id, **fields)

    # --- index ---------------------------------------------------------------------------
    def write_index(self, items: Iterable[Item]) -> int:
        lines = [json.dumps({"id": i.item_id, "kind": i.kind, "source": i.source}) for i in items]
        atomic.write_text(self.index_path, "\n".join(lines) + ("\n" if lines else ""))
        return len(lines)

    def items(self) -> Iterator[Item]:
        if not self.index_path.exists():
            return
        with open(self.index_path, encoding="utf-8") as handle:
            for line in handle:
                if line.strip():
                    data = json.loads(line)
                    yield Item(data["id"], data["kind"], data["source"])

    def items_by_id(self) -> dict[str, Item]:
        return {item.item_id: item for item in self.items()}

    # --- batches -------------------------------------------------------------------------
    def write_batches(self, kind: str, item_ids: list[str], size: int) -> list[str]:
        """Split item ids into batch files; return batch names (what tasks receive)."""
        names = []
        for start in range(0, len(item_ids), size):
            name = f"{kind}-{start // size:04d}"
            atomic.write_json(
                self.work / "batches" / f"{name}.json", item_ids[start : start + size]
            )
            names.append(name)
        return names

    def batch_ids(self, batch: str) -> list[str]:
        ids: list[str] = json.loads((self.work / "batches" / f"{batch}.json").read_text())
        return ids

    def batches(self, kind: str) -> list[str]:
        return sorted(p.stem for p in (self.work / "batches").glob(f"{kind}-*.json"))

    # --- stage results -------------------------------------------------------------------
    def results_path(self, stage: str, batch: str) -> Path:
        return self.stage_dir(stage) / "results" / f"{batch}.json"

    def write_results(self, stage: str, batch: str, results: list[ItemResult]) -> None:
        atomic.write_json(self.results_path(stage, batch), [r.to_json() for r in results])

    def read_results(self, stage: str, batch: str) -> list[ItemResult] | None:
        path = self.results_path(stage, batch)
        if not path.exists():
            return None
        return [ItemResult.from_json(d) for d in json.loads(path.read_text())]

    def all_results(self, stage: str) -> dict[str, ItemResult]:
        out: dict[str, ItemResult] = {}
        for path in sorted((self.stage_dir(stage) / "results").glob("*.json")):
            for data in json.loads(path.read_text()):
                out[data["id"]] = ItemResult.from_json(data)
        return out

    # --- quarantine ----------------------------------------------------------------------
    def quarantine(
        self, item: Item, stage: str, reason: str, detail: dict[str, int] | None = None
    ) -> None:
        """Copy the original input into quarantine with a reason file beside it."""
        self.quarantine_dir.mkdir(parents=True, exist_ok=True)
        source = Path(item.source)
        target = self.quarantine_dir / f"{item.item_id}{_safe_suffix(source)}"
        size = None
        try:
            if source.is_file() and not source.is_symlink():
                size = source.stat().st_size
                # the input stays where it is; a multi-gigabyte copy could fill the disk
                copied = size <= MAX_QUARANTINE_COPY_BYTES and reason not in NEVER_COPIED_REASONS
                if copied:
                    atomic_copy(source, target)
            else:
                copied = False
        except OSError:
            copied = False
        atomic.write_json(
            self.quarantine_dir / f"{item.item_id}.reason.json",
            {
                "item_id": item.item_id,
                "kind": item.kind,
                "stage": stage,
                "reason": reason,
                "copied": copied,
                "source_bytes": size,
                "detail": detail or {},
            },
        )

    def quarantine_rows(
        self, item_id: str, header: list[str], rows: list[list[str]], reason: str
    ) -> None:
        """Keep rows of a tabular input that cannot be released (e.g. matching no study)."""
        tmp = atomic.temp_path_for(self.quarantine_dir / f"{item_id}.{reason}.rows.csv")
        with open(tmp, "w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(header)
            writer.writerows(rows)
        tmp.replace(self.quarantine_dir / f"{item_id}.{reason}.rows.csv")

    def clear_quarantine(self, item_id: str) -> None:
        """Forget a quarantine record left by an earlier, interrupted attempt at an item
        that has now gone through (the manifest would otherwise call it quarantined)."""
        if not (self.quarantine_dir / f"{item_id}.reason.json").exists():
            return  # the common case: nothing to forget, no directory scan
        for path in self.quarantine_dir.glob(f"{item_id}.*"):
            if path.name.startswith(f"{item_id}.") and not path.name.endswith(".rows.csv"):
                path.unlink(missing_ok=True)
        for path in self.quarantine_dir.glob(item_id):
            path.unlink(missing_ok=True)

    def quarantine_reasons(self) -> dict[str, dict[str, Any]]:
        out = {}
        for path in self.quarantine_dir.glob("*.reason.json"):
            data = json.loads(path.read_text())
            out[data["item_id"]] = data
        return out

    # --- manifest ------------------------------------------------------------------------
    def write_manifest(self, released: dict[str, str]) -> dict[str, int]:
        """Write manifest.csv: every indexed input -> released (staging path) or quarantined.

        An input that is neither released nor quarantined is reported as ``lost`` — the
        flow treats any lost input as a failure, so it can never pass silently.
        """
        reasons = self.quarantine_reasons()
        flags = self.read_flags()
        counts: dict[str, int] = {}
        rows = []
        for item in self.items():
            if item.item_id in reasons:
                outcome, reason, output = QUARANTINED, reasons[item.item_id]["reason"], ""
            elif item.item_id in released:
                outcome, reason, output = RELEASED, "", released[item.item_id]
            else:
                outcome, reason, output = "lost", "not_accounted_for", ""
            key = outcome if outcome != QUARANTINED else f"{outcome}:{reason}"
            counts[key] = counts.get(key, 0) + 1
            noted = ";".join(flags.get(item.item_id, [])) if outcome == RELEASED else ""
            rows.append([item.item_id, item.kind, item.source, outcome, reason, output, noted])
        tmp = atomic.temp_path_for(self.manifest_path)
        with open(tmp, "w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(
                ["item_id", "kind", "input_path", "outcome", "reason", "output", "flags"]
            )
            writer.writerows(rows)
        tmp.replace(self.manifest_path)
        return counts


def _safe_suffix(path: Path) -> str:
    suffix = path.suffix.lower()
    return suffix if suffix.isascii() and suffix[1:].isalnum() and len(suffix) <= 8 else ""


def atomic_copy(source: Path, target: Path) -> None:
    tmp = atomic.temp_path_for(target)
    shutil.copyfile(source, tmp)
    tmp.replace(target)
