"""Push an approved release to a research PACS (C-STORE) or DICOMweb server (STOW-RS).

The destination is asked first (C-FIND / QIDO-RS, ``holdings``) which of the release's
instances it already holds: only the others are sent, so a push can be repeated or finished
without duplicates. Instances the destination did not acknowledge are retried (``retries``
more rounds, the delay doubling each round); a last query checks that it holds them all.
The outcome of every file is written to PUSH_MANIFEST.csv (release-relative path, SOP
Instance UID, status, attempts, detail) and its SHA-256 to PUSH_MANIFEST.sha256. A push with
failures after the last round is reported as incomplete (``PushReport.complete`` is False):
never silently half-done.
"""

from __future__ import annotations

import csv
import hashlib
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import pydicom
from pydicom.errors import InvalidDicomError
from pynetdicom.association import Association

from tasks.pacs import web
from tasks.pacs.dimse import WARNING_STATUSES, PacsError, associate, make_ae, status_code
from tasks.pacs.holdings import held_instances
from tasks.pacs.spec import PacsDestination

MANIFEST_NAME = "PUSH_MANIFEST.csv"
DIGEST_NAME = "PUSH_MANIFEST.sha256"
IMPLICIT_LE = "1.2.840.10008.1.2"
MAX_CONTEXTS = 128
STOW_BATCH = 16
FINAL = ("acknowledged", "present", "unreadable", "invalid")  # not retried
ON_TARGET = ("acknowledged", "present")


@dataclass
class _Item:
    path: Path
    relative: str
    sop_uid: str = ""
    sop_class: str = ""
    transfer_syntax: str = ""
    study_uid: str = ""
    status: str = "pending"  # pending | acknowledged | present | failed | unreadable | invalid
    detail: str = ""
    attempts: int = 0


@dataclass
class PushReport:
    destination: str  # method and AE/URL, no patient value
    files: int
    acknowledged: int  # sent by this push and acknowledged
    warnings: int  # acknowledged with a warning status (e.g. coercion of data elements)
    failed: int
    rounds: int
    manifest: Path
    failures: dict[str, int] = field(default_factory=dict)  # detail -> count
    already_present: int = 0  # held by the destination before this push: not sent again
    verified: bool = False  # a query of the destination after the push found every instance

    @property
    def on_destination(self) -> int:
        return self.acknowledged + self.already_present

    @property
    def complete(self) -> bool:
        return self.failed == 0 and self.on_destination == self.files

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["manifest"] = str(self.manifest)
        data["complete"] = self.complete
        return data


def push(
    release_dir: Path, destination: PacsDestination, manifest: Path | None = None
) -> PushReport:
    """Send every .dcm under ``release_dir``; write the manifest (default inside the release)."""
    release_dir = Path(release_dir)
    if not release_dir.is_dir():
        raise PacsError("release folder to push does not exist")
    items = [_describe(path, release_dir) for path in _dicom_files(release_dir)]
    studies = {item.study_uid for item in items if item.status == "pending" and item.study_uid}
    held = held_instances(destination, studies)
    for item in items:
        if item.status == "pending" and held is not None and item.sop_uid in held:
            item.status, item.detail = "present", "held-before-push"
    pending = [item for item in items if item.status == "pending"]
    rounds = 0
    delay = destination.retry_delay
    while pending and rounds <= destination.retries:
        if rounds:
            time.sleep(delay)
            delay *= 2
        rounds += 1
        for item in pending:
            item.attempts += 1
        if destination.method == "c-store":
            _store_round(pending, destination)
        else:
            _stow_round(pending, destination)
        pending = [item for item in items if item.status not in FINAL]
    for item in pending:
        item.status = "failed"
    verified = _verify(items, destination, studies)
    manifest = manifest or release_dir / MANIFEST_NAME
    _write_manifest(manifest, items)
    acknowledged = [item for item in items if item.status == "acknowledged"]
    failed = [item for item in items if item.status not in ON_TARGET]
    return PushReport(
        destination=destination.describe(),
        files=len(items),
        acknowledged=len(acknowledged),
        warnings=sum(1 for item in acknowledged if item.detail.startswith("warning")),
        failed=len(failed),
        rounds=rounds,
        manifest=manifest,
        failures=dict(Counter(item.detail or item.status for item in failed)),
        already_present=sum(1 for item in items if item.status == "present"),
        verified=verified,
    )


def _verify(items: list[_Item], destination: PacsDestination, studies: set[str]) -> bool:
    """Query the destination again: an instance acknowledged but not held is a failure.
    False when the destination cannot be queried (then acknowledgements are all we have)."""
    held = held_instances(destination, studies)
    if held is None:
        return False
    for item in items:
        if item.status in ON_TARGET and item.sop_uid not in held:
            item.status, item.detail = "failed", "not-held-after-push"
    return all(item.status in ON_TARGET for item in items)


def _dicom_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*.dcm") if p.is_file() and not p.is_symlink())


def _describe(path: Path, root: Path) -> _Item:
    item = _Item(path, path.relative_to(root).as_posix())
    try:
        ds = pydicom.dcmread(path, stop_before_pixels=True)
        item.sop_uid = str(ds.SOPInstanceUID)
        item.sop_class = str(ds.SOPClassUID)
        item.study_uid = str(ds.get("StudyInstanceUID", "") or "")
        item.transfer_syntax = str(ds.file_meta.TransferSyntaxUID)
    except (InvalidDicomError, AttributeError, OSError, ValueError, KeyError):
        item.status, item.detail = "unreadable", "not a readable DICOM file"
        return item
    if path.stat().st_size % 2:
        # An odd-length dataset is not valid DICOM; DCMTK-based PACS drop it without answering,
        # which would stall the association until the DIMSE timeout. Not sent, reported.
        item.status, item.detail = "invalid", "odd-length dataset (not valid DICOM)"
    return item


def _context_groups(items: list[_Item]) -> list[list[tuple[str, str]]]:
    """(SOP class, transfer syntax) contexts, grouped so that each association proposes at
    most 128 and every class also offers Implicit VR Little Endian (which every SCP accepts,
    and to which pynetdicom converts other uncompressed encodings)."""
    by_class: dict[str, set[str]] = {}
    for item in items:
        by_class.setdefault(item.sop_class, set()).update({item.transfer_syntax, IMPLICIT_LE})
    groups: list[list[tuple[str, str]]] = [[]]
    for sop_class in sorted(by_class):
        contexts = [(sop_class, ts) for ts in sorted(by_class[sop_class])]
        if len(groups[-1]) + len(contexts) > MAX_CONTEXTS:
            groups.append([])
        groups[-1].extend(contexts)
    return [group for group in groups if group]


def _store_round(items: list[_Item], destination: PacsDestination) -> None:
    node = destination.pacs
    assert node is not None  # validated by PacsDestination
    for group in _context_groups(items):
        classes = {sop_class for sop_class, _ in group}
        members = [item for item in items if item.sop_class in classes]
        ae = make_ae(node, destination.timeout)
        for sop_class, ts in group:
            ae.add_requested_context(sop_class, ts)
        try:
            with associate(ae, node) as assoc:
                _store_all(assoc, members)
        except PacsError as error:
            for item in members:
                if item.status != "acknowledged":
                    item.status = "failed"
                    item.detail = "association-" + error.kind


def _store_all(assoc: Association, items: list[_Item]) -> None:
    for item in items:
        if item.status == "acknowledged":
            continue
        if not assoc.is_established:
            item.status, item.detail = "failed", "association-lost"
            continue
        try:
            status = assoc.send_c_store(item.path)
        except (ValueError, AttributeError, OSError) as error:  # e.g. no accepted context
            item.status, item.detail = "failed", f"not-sent-{type(error).__name__}"
            continue
        code = status_code(status)
        if code == 0x0000:
            item.status, item.detail = "acknowledged", ""
        elif code in WARNING_STATUSES:
            item.status, item.detail = "acknowledged", f"warning-0x{code:04X}"
        else:
            detail = "no-response" if code is None else f"0x{code:04X}"
            item.status, item.detail = "failed", detail


def _stow_round(items: list[_Item], destination: PacsDestination) -> None:
    client = web.make_client(destination.dicomweb_url or "", destination.timeout)
    for start in range(0, len(items), STOW_BATCH):
        batch = items[start : start + STOW_BATCH]
        results = web.store(client, [item.path for item in batch])
        for item in batch:
            item.status, item.detail = results[item.path]


def _write_manifest(path: Path, items: list[_Item]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(f".{path.name}.part")
    with open(temp, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["path", "sop_instance_uid", "status", "attempts", "detail"])
        for item in items:
            writer.writerow([item.relative, item.sop_uid, item.status, item.attempts, item.detail])
    temp.replace(path)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    digest_path = digest_path_for(path)
    digest_temp = digest_path.with_name(f".{digest_path.name}.part")
    digest_temp.write_text(f"{digest}  {path.name}\n", encoding="utf-8")
    digest_temp.replace(digest_path)


def digest_path_for(manifest: Path) -> Path:
    """PUSH_MANIFEST.sha256 next to PUSH_MANIFEST.csv (else ``<name>.sha256``)."""
    name = DIGEST_NAME if manifest.name == MANIFEST_NAME else manifest.name + ".sha256"
    return manifest.with_name(name)


def verify_push_manifest(path: Path) -> bool:
    """True when PUSH_MANIFEST.csv still hashes to its PUSH_MANIFEST.sha256 line."""
    path = Path(path)
    digest_path = digest_path_for(path)
    if not path.is_file() or not digest_path.is_file():
        return False
    recorded, _, name = digest_path.read_text(encoding="utf-8").strip().partition("  ")
    return name == path.name and hashlib.sha256(path.read_bytes()).hexdigest() == recorded
