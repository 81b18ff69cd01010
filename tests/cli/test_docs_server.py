"""`clearance docs`: the Data Docs of a release reach the DPO's browser on this machine only,
under an unguessable path, and nothing else of the secure zone does."""

from __future__ import annotations

import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from flows.cli.docs_server import data_docs_folder, serve
from tasks.config.errors import ClearanceError
from tasks.runtime.workspace import Workspace
from tests.conftest import write_request

PROJECT = Path(__file__).resolve().parents[2]


def _status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=10) as answer:
            return answer.status
    except urllib.error.HTTPError as error:
        return error.code


def _workspace_with_docs(tmp_path: Path) -> Workspace:
    ws = Workspace(tmp_path / "ws", "test-001")
    docs = ws.evidence / "data_docs"
    (docs / "validations").mkdir(parents=True)
    (docs / "index.html").write_text("<html>expectations: 54</html>")
    (docs / "validations" / "run.html").write_text("<html>one validation</html>")
    (ws.root / "quarantine").mkdir()
    (ws.root / "quarantine" / "original.dcm").write_bytes(b"DICM original bytes")
    return ws


def test_only_the_data_docs_are_served_and_only_under_the_secret_path(tmp_path: Path) -> None:
    ws = _workspace_with_docs(tmp_path)
    server, url = serve(data_docs_folder(ws))
    try:
        assert url.startswith("http://127.0.0.1:") and url.endswith("/index.html")
        with urllib.request.urlopen(url, timeout=10) as answer:
            assert b"expectations: 54" in answer.read()
        prefix = url.removesuffix("index.html")
        assert _status(prefix + "validations/run.html") == 200
        origin = url.split("/", 3)[:3]
        assert _status("/".join(origin) + "/index.html") == 404  # no secret, nothing
        assert _status(prefix + "validations/") == 404  # no directory listing
        assert _status(prefix + "../../quarantine/original.dcm") == 404
        assert _status(prefix + "%2e%2e/%2e%2e/quarantine/original.dcm") == 404
    finally:
        server.shutdown()


def test_a_workspace_without_data_docs_is_refused_with_a_reason(tmp_path: Path) -> None:
    with pytest.raises(ClearanceError, match="no Data Docs"):
        data_docs_folder(Workspace(tmp_path / "ws", "test-001"))


def test_the_command_prints_a_link_that_opens_the_docs(tmp_path: Path) -> None:
    _workspace_with_docs(tmp_path)
    request = write_request(tmp_path)
    command = [sys.executable, "-m", "flows.cli.main", "docs", str(request)]
    with subprocess.Popen(
        command, cwd=PROJECT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    ) as process:
        try:
            line = process.stdout.readline()
            url = line.rsplit(" ", 1)[-1].strip()
            assert "Data Docs" in line and _status(url) == 200
        finally:
            process.terminate()
