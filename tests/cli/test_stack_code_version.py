"""The serving process keeps the code it imported at start: `clearance up` / `submit` warn
when the code on disk has changed since, instead of silently running the old version."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from flows.cli import stack


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("CLEARANCE_HOME", str(tmp_path))
    return tmp_path


def _state(home: Path, **fields) -> None:
    (home / "stack.json").write_text(json.dumps(fields))


def test_fingerprint_is_stable_and_follows_the_code() -> None:
    assert stack.code_fingerprint() == stack.code_fingerprint()
    assert len(stack.code_fingerprint()) == 16


def test_a_serving_process_started_from_other_code_is_stale(home: Path) -> None:
    _state(home, serve_pid=os.getpid(), serve_code="0" * 16)
    assert stack.stale_serving_code()


def test_a_serving_process_started_from_this_code_is_not(home: Path) -> None:
    _state(home, serve_pid=os.getpid(), serve_code=stack.code_fingerprint())
    assert not stack.stale_serving_code()


def test_no_serving_process_no_warning(home: Path) -> None:
    _state(home, serve_pid=2**22 + 12345, serve_code="0" * 16)  # no such process
    assert not stack.stale_serving_code()
    (home / "stack.json").unlink()
    assert not stack.stale_serving_code()
