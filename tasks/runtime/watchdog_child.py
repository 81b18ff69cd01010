"""The child side of ``tasks.runtime.watchdog``: process files one at a time, as told.

Reads length-prefixed pickles on stdin: first ``("init", sys_path, StageContext)``, then
``("file", process, src, dst, item_id)`` for each file; answers each file with
``("outcome", Outcome)`` or ``("error", exception class name)``. Exits at end of input, or
when its parent is gone (a killed worker must not leave a child running).
"""

from __future__ import annotations

import os
import pickle
import resource
import sys
import warnings
from typing import Any

from tasks.runtime.lifeline import exit_with_parent
from tasks.runtime.watchdog import HEADER, ChildGone, read_exactly


def main() -> None:
    replies = os.fdopen(os.dup(1), "wb")
    # anything a library prints would otherwise corrupt the answers (and may quote values)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    _limit_data_segment()
    exit_with_parent()
    try:
        _, sys_path, ctx = _read()
    except ChildGone:
        return
    for entry in reversed(sys_path):  # the parent's imports (stage functions by reference)
        if entry not in sys.path:
            sys.path.insert(0, entry)
    while True:
        try:
            _, process, src, dst, item_id = _read()
        except ChildGone:
            return
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # library warnings quote values
                reply: tuple[str, Any] = ("outcome", process(src, dst, item_id, ctx))
        except Exception as error:  # the message may hold values: only the class leaves
            reply = ("error", type(error).__name__)
        body = pickle.dumps(reply, protocol=pickle.HIGHEST_PROTOCOL)
        replies.write(HEADER.pack(len(body)) + body)
        replies.flush()


def _read() -> Any:
    (size,) = HEADER.unpack(read_exactly(0, HEADER.size))
    return pickle.loads(read_exactly(0, size))


def _limit_data_segment() -> None:
    limit_mb = int(os.environ.get("CLEARANCE_CHILD_DATA_LIMIT_MB", "0"))
    if limit_mb > 0:
        limit = limit_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_DATA, (limit, limit))


if __name__ == "__main__":
    main()
