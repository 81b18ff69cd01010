"""A person who objected: their input is recorded as excluded, never copied into the
workspace (erasure would otherwise have an identifiable copy to find)."""

from __future__ import annotations

import json
from pathlib import Path

from tasks.runtime.workspace import Item, Workspace


def test_an_opted_out_input_is_recorded_but_not_copied(tmp_path: Path) -> None:
    source = tmp_path / "in" / "DUPONT^JEAN" / "IM0001"
    source.parent.mkdir(parents=True)
    source.write_bytes(b"DICM-like bytes of a person who objected")
    ws = Workspace(tmp_path / "ws", "req-1")
    ws.create()
    ws.quarantine(Item("d000001", "dicom", str(source)), "ingest", "ingest.opted_out")
    ws.quarantine(Item("d000002", "dicom", str(source)), "ingest", "ingest.not_dicom")
    reasons = {p.name: json.loads(p.read_text()) for p in ws.quarantine_dir.glob("*.reason.json")}
    assert reasons["d000001.reason.json"]["copied"] is False
    assert reasons["d000002.reason.json"]["copied"] is True  # other reasons keep the copy
    copies = [p for p in ws.quarantine_dir.iterdir() if not p.name.endswith(".reason.json")]
    assert [p.name for p in copies] == ["d000002"]
    assert source.read_bytes() == b"DICM-like bytes of a person who objected"
