"""`clearance down` stops the local stack cleanly: both processes gone, and the serving log
free of Prefect's unawaited-stop warning (SIGTERM's path in its runner)."""

from __future__ import annotations

import json
from pathlib import Path

import psutil
import pytest

from tests.stack_support import clearance, stack_env

pytestmark = pytest.mark.integration


def test_down_stops_both_processes_without_a_warning(tmp_path: Path) -> None:
    env = stack_env(tmp_path / "home")
    clearance(env, "up", check=True)
    state = json.loads((tmp_path / "home" / "stack.json").read_text())
    processes = [psutil.Process(state[name]) for name in ("serve_pid", "server_pid")]
    result = clearance(env, "down", check=True)
    assert "serve" in result.stdout + result.stderr or result.returncode == 0
    gone, alive = psutil.wait_procs(processes, timeout=30)
    assert alive == []
    log = (tmp_path / "home" / "logs" / "serve.log").read_text(errors="replace")
    assert "was never awaited" not in log
    assert "Traceback" not in log
