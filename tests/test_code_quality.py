"""The code passes the project's linters and type checker, as CI runs them.

``ruff check`` and ``ruff format --check`` over the repository; ``mypy`` over ``tasks`` and
``flows`` with the configuration in pyproject.toml (strict on ``tasks.runtime`` and
``tasks.config``). Each runs as the installed module of this interpreter, so the test sees
what a developer's ``.venv/bin/ruff`` / ``mypy`` would say.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _run(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", *command],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
    )


@pytest.mark.parametrize(
    "command",
    [("ruff", "check", "."), ("ruff", "format", "--check", "."), ("mypy",)],
    ids=["ruff-check", "ruff-format", "mypy"],
)
def test_the_code_passes(command: tuple[str, ...]) -> None:
    result = _run(*command)
    assert result.returncode == 0, (
        f"`{' '.join(command)}` failed (exit {result.returncode}):\n"
        f"{result.stdout[-20000:]}{result.stderr[-5000:]}"
    )


def test_mypy_is_strict_on_runtime_and_config_and_wants_hints_everywhere(
    tmp_path: Path,
) -> None:
    """A bare ``dict`` annotation is an error in tasks.runtime and tasks.config only (the
    strict settings reach exactly the packages they name); a function without type hints
    is an error in every package."""
    loose = "def keys(mapping: dict) -> list:\n    return list(mapping)\n"
    untyped = "def double(value):\n    return value * 2\n"
    packages = ("runtime", "config", "pixels")
    for package in packages:
        folder = tmp_path / "tasks" / package
        folder.mkdir(parents=True)
        (folder / "__init__.py").write_text("")
        (folder / "probe.py").write_text(loose + "\n\n" + untyped)
    (tmp_path / "tasks" / "__init__.py").write_text("")
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--config-file", str(ROOT / "pyproject.toml")]
        + ["--no-incremental", "tasks"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    lines = result.stdout.splitlines()
    loose_flagged = {line.split(":")[0] for line in lines if "[type-arg]" in line}
    untyped_flagged = {line.split(":")[0] for line in lines if "[no-untyped-def]" in line}
    assert loose_flagged == {"tasks/runtime/probe.py", "tasks/config/probe.py"}, result.stdout
    assert untyped_flagged == {f"tasks/{name}/probe.py" for name in packages}, result.stdout
