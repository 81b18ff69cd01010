"""What a file stage receives and returns: ``StageContext`` in, ``Outcome`` out.

Kept apart from ``stage_contract`` (which runs a stage over a batch): the watchdog, which runs
one file of a stage in a child process, needs these types, and the contract needs the
watchdog.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from tasks.runtime.workspace import Workspace

if TYPE_CHECKING:
    # Annotations only: the request and profile modules take ~1.2 s to import (the PACS
    # client, pydicom's dictionary; measured on 2 busy cores), paid by every module that
    # only needs ``Outcome``. The import-graph test counts these imports like any other.
    from tasks.config.profile import ReleaseProfile
    from tasks.config.request import ReleaseRequest


# pydicom's warnings and log records quote the values and file paths they choke on; in a
# worker (or the watchdog's child) they would reach the orchestrator's logs. Stages report
# through reason codes.
logging.getLogger("pydicom").setLevel(logging.CRITICAL)
logging.getLogger("pydicom").propagate = False


@dataclass
class Outcome:
    ok: bool
    reason: str | None = None  # e.g. "pixels.text_remaining" (no PHI, ever)
    counts: dict[str, int] = field(default_factory=dict)  # e.g. {"boxes_redacted": 3}
    # pseudonymous path under staging/ (e.g. "dicom/<patient>/<study uid>/<series uid>/<sop>.dcm");
    # None keeps the name an earlier stage chose
    release_name: str | None = None


@dataclass
class StageContext:
    """Everything a stage needs besides the file: built inside a task, never a parameter."""

    workspace: Workspace
    profile: ReleaseProfile
    key: bytes  # pseudonymisation key (HMAC); never logged, never written
    request: ReleaseRequest | None  # None: a stage run on its own (benchmarks, tests)

    @property
    def release_request(self) -> ReleaseRequest:
        """The request, for the steps that exist only inside a release run."""
        if self.request is None:
            raise RuntimeError("this step runs only in a release, with its request")
        return self.request


FileStage = Callable[[Path, Path, str, StageContext], Outcome]
