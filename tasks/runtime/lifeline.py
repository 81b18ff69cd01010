"""Helper processes end with the process that started them.

A worker killed with SIGKILL cannot clean up after itself: its own children (task-pool
workers, the watchdog's child) would go on working on a workspace a re-submitted run is
now using. A daemon thread in each child watches its parent's pid and ends the child when
the parent is gone. (PR_SET_PDEATHSIG is not used: it fires when the *thread* that started
the child exits, which in a thread pool happens while the parent lives on.)
"""

from __future__ import annotations

import multiprocessing
import os
import threading
import time

_started = threading.Event()


def exit_with_parent(poll_seconds: float = 1.0) -> None:
    """Start (once per process) the thread that ends this process when its parent dies.

    The parent is the one multiprocessing recorded when it started this process, not
    ``getppid()`` now: started late (after a long import, say), the watch would otherwise
    adopt whoever inherited an orphan and never fire."""
    if _started.is_set():
        return
    _started.set()
    started_by = multiprocessing.parent_process()
    parent = started_by.pid if started_by is not None and started_by.pid else os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(poll_seconds)
        os._exit(70)  # EX_SOFTWARE: nothing to flush; the run that needed us is gone

    threading.Thread(target=watch, daemon=True, name="exit-with-parent").start()
