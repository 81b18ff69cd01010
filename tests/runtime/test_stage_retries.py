"""Prefect retries: a stage that fails on a transient condition (connection reset, timeout,
busy resource) is attempted again; any other failure fails at once, and what Prefect
records is the error class only, in both cases."""

from __future__ import annotations

import errno
from pathlib import Path

import pytest
from prefect import flow, task

from flows.stages import STAGE_TASK, is_transient, values_stay_inside

pytestmark = pytest.mark.integration
SECRET = "DUPONT^Marie 1234567890"
FAST_RETRIES = {**STAGE_TASK, "retry_delay_seconds": 0}


def _attempt(counter: Path) -> int:
    attempts = int(counter.read_text()) + 1 if counter.exists() else 1
    counter.write_text(str(attempts))
    return attempts


@task(**FAST_RETRIES)
@values_stay_inside
def flaky_network(counter: str) -> int:
    attempts = _attempt(Path(counter))
    if attempts < 3:
        raise ConnectionResetError(errno.ECONNRESET, f"peer reset while sending {SECRET}")
    return attempts


@task(**FAST_RETRIES)
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


def test_transient_failures_are_retried_and_others_are_not(tmp_path: Path) -> None:
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        network_attempts, data_error = run_both(str(tmp_path))
    assert network_attempts == 3  # two transient failures, then success
    assert (tmp_path / "data").read_text() == "1"  # bad data: no second attempt
    assert data_error == "StageFailed: bad_data failed: ValueError"
    assert SECRET not in data_error


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
