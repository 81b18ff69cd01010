"""The receiving end of a retrieve: files named by a counter, only instances that were asked
for, every write atomic. Used as pynetdicom's C-STORE handler (C-GET and C-MOVE) and by the
DICOMweb path."""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import cast

from pynetdicom.dimse_primitives import C_STORE
from pynetdicom.events import Event

SUCCESS = 0x0000
OUT_OF_RESOURCES = 0xA700
NOT_REQUESTED = 0xC001  # "cannot understand": refuse an instance nobody asked for


class Receiver:
    """Collects retrieved instances into ``target`` as 000001.dcm, 000002.dcm, ..."""

    def __init__(self, target: Path, expected: set[str]) -> None:
        self.target = target
        self.expected = expected
        self.received: dict[str, Path] = {}
        self.duplicates = 0
        self.unexpected = 0
        self.write_errors = 0
        self._lock = threading.Lock()
        self._counter = 0

    def _next_path(self) -> Path:
        self._counter += 1
        return self.target / f"{self._counter:06d}.dcm"

    def accept(self, sop_uid: str, data: bytes) -> int:
        """Store one encoded Part 10 file; returns the C-STORE status to answer."""
        with self._lock:
            if sop_uid not in self.expected:
                self.unexpected += 1
                return NOT_REQUESTED
            if sop_uid in self.received:
                self.duplicates += 1
                return SUCCESS
            path = self._next_path()
            try:
                write_atomic(path, data)
            except OSError:
                self.write_errors += 1
                return OUT_OF_RESOURCES
            self.received[sop_uid] = path
            return SUCCESS

    def handle_store(self, event: Event) -> int:
        """pynetdicom EVT_C_STORE handler: keep the bytes exactly as the PACS sent them."""
        request = cast(C_STORE, event.request)  # the handler of C-STORE requests only
        sop_uid = str(request.AffectedSOPInstanceUID)
        try:
            data = event.encoded_dataset(include_meta=True)
        except Exception:  # a malformed request: refuse it, never crash the association
            with self._lock:
                self.write_errors += 1
            return OUT_OF_RESOURCES
        return self.accept(sop_uid, data)


def write_atomic(path: Path, data: bytes) -> None:
    temp = path.with_name(f".{path.name}.part")
    with open(temp, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temp, path)
