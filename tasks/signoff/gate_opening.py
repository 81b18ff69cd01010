"""One opening of the DPO gate, kept in the workspace so that a waiting release holds no
process.

The release flow suspends at the gate: its process exits, and the flow re-enters from the
top when the DPO answers, or after a worker, server or machine restart. The opening written
here lets that re-entry go straight back to the same gate, over the same sealed candidate,
without rebuilding it and without asking the DPO twice. An opening is reused only by the
flow run that opened it, before its deadline, while no decision was recorded for it and
while staging still hashes to the sealed digest; anything else opens a new gate (a retried
run after an approval waits for a new decision).
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field
from typing import Any

from tasks.publish.publication import candidate_digest
from tasks.runtime import atomic, audit
from tasks.runtime.workspace import Workspace

FILE_NAME = "gate.json"
DECISIONS = frozenset({"approved", "rejected", "gate_timeout"})


@dataclass
class GateOpening:
    gate_id: str
    flow_run_id: str
    digest: str  # the sealed candidate (tasks.publish.publication.candidate_digest)
    deadline: float  # epoch seconds
    description: str  # the Resume form's text (counts and reason codes only)
    candidate: dict[str, Any] = field(default_factory=dict)  # counts, stage counts, checks

    def pause_key(self, attempt: int) -> str:
        """The input key of the ``attempt``-th question of this opening (a refused name
        asks again under the next key)."""
        return f"{self.gate_id}-{attempt}"

    def seconds_left(self) -> int:
        return int(self.deadline - time.time())


def save(ws: Workspace, opening: GateOpening) -> None:
    atomic.write_text(ws.work / FILE_NAME, json.dumps(asdict(opening), sort_keys=True))


def waiting(ws: Workspace) -> GateOpening | None:
    """The opening of this request that still waits for a decision (before its deadline)."""
    path = ws.work / FILE_NAME
    if not path.exists():
        return None
    try:
        opening = GateOpening(**json.loads(path.read_text(encoding="utf-8")))
    except (ValueError, TypeError):
        return None
    if opening.seconds_left() <= 0 or decided(ws, opening.gate_id):
        return None
    return opening


def open_for(ws: Workspace, flow_run_id: str) -> GateOpening | None:
    """The opening this flow run left waiting, if it is still the one to answer."""
    opening = waiting(ws)
    if opening is None or opening.flow_run_id != flow_run_id:
        return None
    if candidate_digest(ws.staging) != opening.digest:
        return None
    return opening


def decided(ws: Workspace, gate_id: str) -> bool:
    return any(
        entry.get("gate") == gate_id and entry.get("event") in DECISIONS for entry in _entries(ws)
    )


def already_audited(ws: Workspace, event: str, pause_key: str) -> bool:
    """Whether ``event`` was recorded for this question (a re-entry replays the answers of
    earlier questions of the opening: audit each once)."""
    return any(
        entry.get("event") == event and entry.get("pause") == pause_key for entry in _entries(ws)
    )


def _entries(ws: Workspace) -> list[dict[str, Any]]:
    return audit.read(ws.audit_log) if ws.audit_log.exists() else []
