"""Erasure: remove one patient from every recorded release, every staging copy and the
workspaces' intermediate copies.

The patient is found by the keyed pseudonym (no clear-text map needed): their DICOM folder,
the reports of their pseudonymous accessions and their clinical rows are removed, each
affected release's MANIFEST.sha256 is rewritten, and every other file stays byte-identical.
The order (manifest first, then content) makes an interrupted erasure safe to run again.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tasks.config.keys import key_fingerprint
from tasks.rights.locate import (
    ClinicalColumns,
    PatientContent,
    Tree,
    find_content,
    scope_in,
    trees,
)
from tasks.rights.manifest import rewritten_manifest
from tasks.rights.pseudonym import pseudonym_of, request_key
from tasks.rights.store import audit_rights
from tasks.rights.workspace_records import person_in, scrub
from tasks.runtime import atomic
from tasks.runtime.workspace import Workspace

RUN_IN_PROGRESS = (
    "a run of this request is in progress; its checks predate the erasure: "
    "reject it at the gate and submit it again"
)


@dataclass(frozen=True)
class TreeChange:
    request_id: str
    location: str  # "release" | "staging" | "workspace" (intermediate copies)
    files_removed: int  # DICOM instances and reports
    rows_removed: int  # clinical rows
    files_rewritten: int  # clinical files (and the manifest, for a release)


@dataclass(frozen=True)
class ErasureNotice:
    """What changed, for the DPO and the recipients: release ids and counts only."""

    erased_at: str
    changes: tuple[TreeChange, ...]
    problems: tuple[str, ...] = ()  # files not checked, runs in progress (no identifiers)

    @property
    def releases_changed(self) -> list[str]:
        return [c.request_id for c in self.changes if c.location == "release"]

    @property
    def files_removed(self) -> dict[str, int]:
        return {c.request_id: c.files_removed for c in self.changes if c.location == "release"}

    def to_json(self) -> dict[str, Any]:
        return {
            "erased_at": self.erased_at,
            "changes": [c.__dict__ for c in self.changes],
            "problems": list(self.problems),
        }

    def text(self) -> str:
        lines = [f"Erasure of {self.erased_at}"]
        if not self.changes:
            lines.append("No release or staging copy held data of this person.")
        for c in self.changes:
            lines.append(
                f"  {c.location} {c.request_id}: {c.files_removed} files removed, "
                f"{c.rows_removed} clinical rows removed"
            )
        if self.releases_changed:
            lines.append(
                "Recipients of the releases above should replace their copy with the new one."
            )
        lines.extend(f"  attention: {p}" for p in self.problems)
        return "\n".join(lines)


def erase_patient(
    base: Path,
    key: bytes,
    patient_id: str,
    issuer: str,
    pseudonym_settings: Any,
    clinical_settings: Any = None,
) -> ErasureNotice:
    """``pseudonym_settings``: the profile's headers section (or its ``pseudonyms`` part);
    ``clinical_settings``: the reports section's ``clinical`` settings (defaults: PatientID,
    AccessionNumber, comma)."""
    base = Path(base)
    if not patient_id.strip():
        raise ValueError("patient_id must not be blank")
    columns = ClinicalColumns.of(clinical_settings)

    def pseudonym(tree_request_id: str, release_domain: str | None = None) -> tuple[str, bytes]:
        """The patient's pseudonym in a request, and the request's key (its sealed files)."""
        used = request_key(base, tree_request_id, key, release_domain)
        return pseudonym_of(used, patient_id, pseudonym_settings), used

    changes, problems = _erase_in_trees(base, pseudonym, issuer, columns)
    changes.extend(_erase_in_workspaces(base, pseudonym, patient_id, issuer, clinical_settings))
    notice = ErasureNotice(
        datetime.now(UTC).isoformat(timespec="seconds"), tuple(changes), tuple(problems)
    )
    audit_rights(
        base,
        "rights.erasure",
        releases={c.request_id: c.files_removed for c in changes if c.location == "release"},
        staging={c.request_id: c.files_removed for c in changes if c.location == "staging"},
        workspace={c.request_id: c.files_removed for c in changes if c.location == "workspace"},
        rows_removed=sum(c.rows_removed for c in changes),
        problems=len(problems),
        key_fingerprint=key_fingerprint(key),
    )
    return notice


def _erase_in_trees(
    base: Path,
    pseudonym_of_tree: Callable[..., tuple[str, bytes]],
    issuer: str,
    columns: ClinicalColumns,
) -> tuple[list[TreeChange], list[str]]:
    changes: list[TreeChange] = []
    problems: list[str] = []
    for tree in trees(base):
        domain = tree.record.pseudonym_domain if tree.record else None
        pseudonym, used = pseudonym_of_tree(tree.request_id, domain)
        scope = scope_in(base / tree.request_id, used, pseudonym, issuer)
        if scope is None:
            continue
        content = find_content(tree.root, scope, columns)
        problems.extend(f"{tree.location} {tree.request_id}: {p}" for p in content.problems)
        if content.empty():
            continue
        changes.append(_apply(tree, content, pseudonym))
        if tree.location == "staging" and run_in_progress(base / tree.request_id):
            problems.append(f"staging {tree.request_id}: {RUN_IN_PROGRESS}")
    return changes, problems


def _erase_in_workspaces(
    base: Path,
    pseudonym_of_tree: Callable[..., tuple[str, bytes]],
    patient_id: str,
    issuer: str,
    clinical_settings: Any,
) -> list[TreeChange]:
    """Every request's workspace: the person's copies, rows, paths and sidecars
    (tasks.rights.workspace_records), after the trees (whose erasure reads the sidecars)."""
    changes = []
    for workspace in sorted(p.parent for p in base.glob("*/work") if p.is_dir()):
        pseudonym, used = pseudonym_of_tree(workspace.name)
        person = person_in(workspace, used, patient_id, issuer, pseudonym)
        if person.empty():
            continue
        counts = scrub(workspace, person, used, clinical_settings)
        changes.append(
            TreeChange(
                workspace.name,
                "workspace",
                counts["files_removed"],
                counts["rows_removed"],
                counts["records_rewritten"] + counts["sidecars_removed"],
            )
        )
    return changes


def _apply(tree: Tree, content: PatientContent, pseudonym: str) -> TreeChange:
    root = tree.root
    removed = [*content.dicom, *content.reports]
    digests = {
        _name(root, path): hashlib.sha256(text.encode("utf-8")).hexdigest()
        for path, (text, _) in content.clinical.items()
    }
    manifest = rewritten_manifest(root, {_name(root, p) for p in removed}, digests)
    for path, (text, _) in content.clinical.items():
        atomic.write_text(path, text)
    for path in removed:
        path.unlink(missing_ok=True)
    _prune_empty(root / "dicom" / pseudonym, stop=root / "dicom")
    return TreeChange(
        tree.request_id,
        tree.location,
        len(removed),
        content.rows,
        len(content.clinical) + (1 if manifest else 0),
    )


def run_in_progress(workspace_root: Path) -> bool:
    """True while a run holds the request's run lock (tasks.runtime.workspace.hold_run_lock)."""
    return Workspace(workspace_root.parent, workspace_root.name).run_in_progress()


def _name(root: Path, path: Path) -> str:
    return path.relative_to(root).as_posix()


def _prune_empty(folder: Path, stop: Path) -> None:
    """Remove empty folders under ``folder`` (bottom-up) and ``folder`` itself if empty."""
    if not folder.is_dir() or folder.is_symlink():
        return
    for current, _, _ in sorted(os.walk(folder), key=lambda w: -len(w[0])):
        path = Path(current)
        if path != stop and not any(path.iterdir()):
            path.rmdir()
