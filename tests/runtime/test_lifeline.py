"""A pool worker ends with the process that started it, even when its watch starts only after
that process died (a task's long imports run before the watch)."""

from __future__ import annotations

import multiprocessing
import os
import time
from pathlib import Path

import psutil

from tasks.runtime.lifeline import exit_with_parent


def _late_watcher(ready: str) -> None:
    """Grandchild: wait until the parent is gone, then start the watch, then linger."""
    started_by = os.getppid()
    Path(ready).write_text(str(os.getpid()))
    while psutil.pid_exists(started_by) and psutil.Process(started_by).status() != "zombie":
        time.sleep(0.05)
    exit_with_parent(poll_seconds=0.1)
    time.sleep(60)  # what a worker busy with a task would do


def _short_lived_parent(ready: str) -> None:
    """Child: start the grandchild, then die without waiting for it."""
    spawn = multiprocessing.get_context("spawn")
    spawn.Process(target=_late_watcher, args=(ready,)).start()
    deadline = time.monotonic() + 60
    while not Path(ready).exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    os._exit(0)


def test_a_watch_started_after_the_parent_died_still_ends_the_worker(tmp_path: Path) -> None:
    ready = tmp_path / "grandchild.pid"
    parent = multiprocessing.get_context("spawn").Process(
        target=_short_lived_parent, args=(str(ready),)
    )
    parent.start()
    parent.join(60)
    worker = psutil.Process(int(ready.read_text()))
    try:
        gone, alive = psutil.wait_procs([worker], timeout=15)
        assert alive == [], "the worker outlived its parent"
    finally:
        if worker.is_running():
            worker.kill()
