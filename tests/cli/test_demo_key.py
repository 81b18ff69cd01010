"""The demo's generated key is created owner-only, and a key file others can read is refused."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from flows.cli.demo import _demo_key
from tasks.config.errors import ClearanceError


def test_the_demo_key_is_created_owner_only(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv("CLEARANCE_PSEUDONYM_KEY")
    _demo_key(tmp_path)
    key_file = tmp_path / "demo-pseudonym.key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert len(key_file.read_text()) == 64


def test_a_key_file_readable_by_others_is_refused(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv("CLEARANCE_PSEUDONYM_KEY")
    key_file = tmp_path / "demo-pseudonym.key"
    key_file.write_text("k" * 64)
    key_file.chmod(0o644)
    with pytest.raises(ClearanceError, match="chmod 600"):
        _demo_key(tmp_path)
