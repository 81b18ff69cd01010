"""Per-file time and memory limits: file stages run in a watched child process.

A hostile file can hang a codec, allocate without bound or crash the interpreter inside a C
extension. None of that may stall a release or take its batch down with it. The watchdog
keeps one child process (``tasks.runtime.watchdog_child``) per worker process, sends it
one file at a time and waits for the answer while it checks the child's clock and resident
memory. A file that overruns its limit or kills the child is quarantined with a reason
(``<stage>.watchdog.timeout`` / ``.memory`` / ``.crashed``); the child is killed and a fresh
one takes the next file. The child loads the stage's models once and keeps them.

Messages are length-prefixed pickles over the child's stdin/stdout (a private pipe between
two processes of this program). The child's stderr goes to /dev/null: libraries print the
values they choke on.
"""

from __future__ import annotations

import os
import pickle
import select
import signal
import struct
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tasks.runtime.stage_types import FileStage, Outcome, StageContext

HEADER = struct.Struct("!Q")
POLL_SECONDS = 0.05
PAGE_KB = os.sysconf("SC_PAGE_SIZE") // 1024


@dataclass(frozen=True)
class FileLimits:
    seconds: float
    memory_mb: int


class ChildGone(Exception):
    """The child process exited or closed its pipe."""


class Watchdog:
    """Runs file stages one file at a time in a child process it may kill."""

    def __init__(self, ctx: StageContext, limits: FileLimits) -> None:
        self.ctx = ctx
        self.limits = limits
        self._child: subprocess.Popen[bytes] | None = None
        self.children_started = 0

    # --- one file ------------------------------------------------------------------------
    def run(self, stage: str, process: FileStage, src: Path, dst: Path, item_id: str) -> Outcome:
        child = self._running_child()
        try:
            _send(child, ("file", process, src, dst, item_id))
        except (BrokenPipeError, ChildGone):
            self._kill()
            return Outcome(False, f"{stage}.watchdog.crashed")
        verdict, reply = self._wait(child)
        if verdict != "ok":
            self._kill()
            return Outcome(False, f"{stage}.watchdog.{verdict}")
        kind, value = reply
        if kind == "error":  # the stage raised: only the class name came back
            return Outcome(False, f"{stage}.error.{value}")
        outcome: Outcome = value
        return outcome

    def _wait(self, child: subprocess.Popen[bytes]) -> tuple[str, Any]:
        deadline = time.monotonic() + self.limits.seconds
        fd = child.stdout.fileno()  # type: ignore[union-attr]
        while True:
            ready, _, _ = select.select([fd], [], [], POLL_SECONDS)
            if ready:
                try:
                    return "ok", _receive(fd)
                except ChildGone:
                    return "crashed", None
            if child.poll() is not None:
                return "crashed", None
            if resident_mb(child.pid) > self.limits.memory_mb:
                return "memory", None
            if time.monotonic() > deadline:
                return "timeout", None

    # --- the child -----------------------------------------------------------------------
    def _running_child(self) -> subprocess.Popen[bytes]:
        if self._child is not None and self._child.poll() is None:
            return self._child
        child = subprocess.Popen(
            [sys.executable, "-m", "tasks.runtime.watchdog_child"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            cwd=str(Path(__file__).resolve().parents[2]),
            env=_child_environment(self.limits),
        )
        self.children_started += 1
        _send(child, ("init", list(sys.path), self.ctx))
        self._child = child
        return child

    def _kill(self) -> None:
        child, self._child = self._child, None
        if child is None:
            return
        if child.poll() is None:
            child.send_signal(signal.SIGKILL)
        child.wait()
        _close_pipes(child)

    def close(self) -> None:
        """Let the child finish and exit (end of input), or kill it if it will not."""
        child, self._child = self._child, None
        if child is None:
            return
        _close_pipes(child)
        try:
            child.wait(timeout=5)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()


def resident_mb(pid: int) -> float:
    """Resident memory of ``pid`` in MiB (0 once it is gone)."""
    try:
        with open(f"/proc/{pid}/statm", "rb") as statm:
            return int(statm.read().split()[1]) * PAGE_KB / 1024
    except (OSError, IndexError, ValueError):
        return 0.0


def _child_environment(limits: FileLimits) -> dict[str, str]:
    env = dict(os.environ)
    # a backstop against an allocation burst faster than the parent's polling
    env["CLEARANCE_CHILD_DATA_LIMIT_MB"] = str(limits.memory_mb * 2)
    return env


def _send(child: subprocess.Popen[bytes], message: Any) -> None:
    body = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    pipe = child.stdin
    if pipe is None or pipe.closed:
        raise ChildGone
    pipe.write(HEADER.pack(len(body)) + body)
    pipe.flush()


def _receive(fd: int) -> Any:
    (size,) = HEADER.unpack(read_exactly(fd, HEADER.size))
    return pickle.loads(read_exactly(fd, size))


def read_exactly(fd: int, size: int) -> bytes:
    chunks: list[bytes] = []
    while size:
        chunk = os.read(fd, min(size, 1 << 20))
        if not chunk:
            raise ChildGone
        chunks.append(chunk)
        size -= len(chunk)
    return b"".join(chunks)


def _close_pipes(child: subprocess.Popen[bytes]) -> None:
    for pipe in (child.stdin, child.stdout):
        if pipe is not None:
            try:
                pipe.close()
            except OSError:
                pass
