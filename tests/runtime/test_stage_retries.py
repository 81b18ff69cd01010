"""Prefect retries: a stage that fails on a transient condition (connection reset, timeout,
busy resource) is attempted again after the configured delays; any other failure fails at
once, and what Prefect records is the error class only, in both cases."""

from __future__ import annotations

import errno
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from prefect import flow, task

from flows.stages import STAGE_TASK, is_transient, stage_retry_delays, values_stay_inside

pytestmark = pytest.mark.integration
SECRET = "DUPONT^Marie 1234567890"
ROOT = Path(__file__).resolve().parents[2]
DELAYS = "1,2"  # short, non-zero and distinct: each wait is checked against its own delay


def _attempt(counter: Path) -> int:
    """Record one attempt (its wall-clock time) and return how many there have been."""
    times = json.loads(counter.read_text()) if counter.exists() else []
    times.append(time.time())
    counter.write_text(json.dumps(times))
    return len(times)


@task(**STAGE_TASK)  # the stages' own options: delays from $CLEARANCE_RETRY_DELAYS
@values_stay_inside
def flaky_network(counter: str) -> int:
    attempts = _attempt(Path(counter))
    if attempts < 3:
        raise ConnectionResetError(errno.ECONNRESET, f"peer reset while sending {SECRET}")
    return attempts


@task(**STAGE_TASK)
@values_stay_inside
def bad_data(counter: str) -> int:
    _attempt(Path(counter))
    raise ValueError(f"cannot parse {SECRET}")


@flow
def run_both(folder: str) -> tuple[int, str]:
    network = flaky_network(str(Path(folder) / "network"))
    data_state = bad_data(str(Path(folder) / "data"), return_state=True)
    error = data_state.result(raise_on_failure=False)
    return network, f"{type(error).__name__}: {error}"


def _run_in_fresh_process(folder: Path) -> dict:
    """Run ``run_both`` where flows.stages is first imported with the delays set (its task
    options are fixed at import, as in a flow-run process or a Dask worker)."""
    script = (
        "import json, sys\n"
        "from prefect.testing.utilities import prefect_test_harness\n"
        "from tests.runtime.test_stage_retries import flaky_network, run_both\n"
        "with prefect_test_harness(server_startup_timeout=120):\n"
        "    attempts, error = run_both(sys.argv[1])\n"
        "print(json.dumps({'attempts': attempts, 'error': error,\n"
        "                  'delays': flaky_network.retry_delay_seconds}))\n"
    )
    env = {**os.environ, "CLEARANCE_RETRY_DELAYS": DELAYS, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", script, str(folder)],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_transient_failures_are_retried_after_the_delays_and_others_are_not(
    tmp_path: Path,
) -> None:
    result = _run_in_fresh_process(tmp_path)

    assert result["delays"] == [1.0, 2.0]
    assert result["attempts"] == 3  # two transient failures, then success
    times = json.loads((tmp_path / "network").read_text())
    waits = [later - earlier for earlier, later in zip(times, times[1:], strict=False)]
    assert len(waits) == 2
    assert waits[0] >= 1.0 and waits[1] >= 2.0, waits  # each retry waited its own delay
    assert len(json.loads((tmp_path / "data").read_text())) == 1  # bad data: no 2nd attempt
    assert result["error"] == "StageFailed: bad_data failed: ValueError"
    assert SECRET not in result["error"]


def test_retry_delays_default_and_reject_nonsense() -> None:
    assert stage_retry_delays("") == [5.0, 30.0]
    assert stage_retry_delays("0.5, 2,10") == [0.5, 2.0, 10.0]
    for bad in ("fast", "5,,30", "-1", "1e9", ",".join("1" * 11)):
        with pytest.raises(ValueError, match="CLEARANCE_RETRY_DELAYS"):
            stage_retry_delays(bad)


@pytest.mark.parametrize(
    ("error", "transient"),
    [
        (ConnectionRefusedError(), True),
        (TimeoutError(), True),
        (OSError(errno.EAGAIN, "try again"), True),
        (OSError(errno.ENOSPC, "disk full"), False),
        (PermissionError(errno.EACCES, "denied"), False),
        (ValueError("bad"), False),
        (KeyError("x"), False),
    ],
)
def test_what_counts_as_transient(error: Exception, transient: bool) -> None:
    assert is_transient(error) is transient
