"""File stages that misbehave the way a codec can on a hostile file: they hang, allocate
without bound, kill the interpreter or raise with a value in the message. Module-level so
the watchdog's child process can import them by reference."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

from tasks.runtime.stage_contract import Outcome, StageContext

PLANTED = "KOWALCZYK^Bartholomew"


def copy_through(src: Path, dst: Path, item_id: str, ctx: StageContext) -> Outcome:
    shutil.copyfile(src, dst)
    return Outcome(True, counts={"copied": 1})


def misbehave_by_name(src: Path, dst: Path, item_id: str, ctx: StageContext) -> Outcome:
    """The input's first line says how to fail (the file name would say it in real life)."""
    action = src.read_text().split("\n", 1)[0]
    if action == "hang":
        while True:  # a codec stuck in a loop: no exception, no progress
            time.sleep(0.01)
    if action == "spin":
        while True:
            pass
    if action == "grow":
        hoard = []
        while True:  # 64 MiB at a time, touched so it is resident
            hoard.append(bytearray(os.urandom(1)) * (64 << 20))
    if action == "abort":
        os.abort()  # a segfault-like death inside a C extension
    if action == "raise":
        raise ValueError(f"cannot decode {PLANTED}")
    if action == "print":
        print(f"decoder says: {PLANTED}")  # libraries print what they choke on
        os.write(2, f"stderr: {PLANTED}\n".encode())
    return copy_through(src, dst, item_id, ctx)
