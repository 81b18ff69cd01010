"""Environment the OCR runtime needs, set before onnxruntime / paddlex are imported.

onnxruntime 1.32 sends telemetry from native threads unless ``ORT_DISABLE_TELEMETRY=1`` is
in the environment *before* it is imported; paddlex needs a writable cache folder and must
never look for a model source. These values are forced, not defaulted: a tool handling
patient data must not phone home whatever the caller's environment says.
"""

from __future__ import annotations

import os
from pathlib import Path

FORCED = {
    "ORT_DISABLE_TELEMETRY": "1",
    "PADDLE_PDX_DISABLE_MODEL_SOURCE_CHECK": "True",
    "DISABLE_MODEL_SOURCE_CHECK": "True",
    "PADDLE_PDX_DISABLE_TELEMETRY": "1",
    "HF_HUB_OFFLINE": "1",
    "HF_HUB_DISABLE_TELEMETRY": "1",
}


def cache_dir() -> Path:
    """Writable folder for built model folders and paddlex locks ($CLEARANCE_CACHE)."""
    configured = os.environ.get("CLEARANCE_CACHE")
    base = Path(configured) if configured else Path.home() / ".cache" / "clearance"
    return base.expanduser()


def apply_runtime_environment() -> None:
    for name, value in FORCED.items():
        os.environ[name] = value
    os.environ.setdefault("PADDLE_PDX_CACHE_HOME", str(cache_dir() / "paddlex"))
