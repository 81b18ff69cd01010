"""Burned-in text stage: decode every frame, find text with PP-OCR, redact, verify.

Importing this package sets the environment that must exist before onnxruntime or paddlex
are imported (telemetry off, no model source checks): see ``tasks.pixels.runtime_env``.
"""

from tasks.pixels.runtime_env import apply_runtime_environment

apply_runtime_environment()
