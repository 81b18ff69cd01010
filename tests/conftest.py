"""Shared fixtures: a pseudonymisation key in the environment, small request builders."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml

TEST_KEY = "clearance-test-key-0123456789abcdef"
os.environ.setdefault("CLEARANCE_PSEUDONYM_KEY", TEST_KEY)
os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")


# the inputs `tasks.synthetic.demo_inputs.build_demo(folder / "in")` writes, as a request names them
DEMO_INPUTS = {"dicom": "in/dicom", "reports": "in/reports", "clinical": "in/clinical.csv"}


def write_request(folder: Path, **overrides) -> Path:
    """Write a valid release request YAML under ``folder``; overrides replace fields."""
    (folder / "in").mkdir(exist_ok=True)
    data = {
        "request_id": "test-001",
        "purpose": "unit test release",
        "requester": "Lab X",
        "approvers": ["Mme Durand (DPO)"],
        "inputs": {"dicom": "in"},
        "profile": "default",
        "workspace": "ws",
        "destination": "out",
    }
    data.update(overrides)
    path = folder / "request.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


@pytest.fixture
def request_file(tmp_path: Path) -> Path:
    return write_request(tmp_path)
