"""`clearance docs REQUEST`: the Great Expectations Data Docs of a release, in the DPO's browser.

The Data Docs are built in the secure zone (``<workspace>/evidence/data_docs``), out of reach of
a browser showing the Prefect UI. This serves that one folder read-only on the loopback
interface, under an unguessable path (a capability URL), for as long as the command runs. The
pages hold expectation names and counts only: the checks never render values."""

from __future__ import annotations

import functools
import secrets
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from tasks.checks.run import DATA_DOCS
from tasks.config.errors import ClearanceError
from tasks.runtime.workspace import Workspace


def data_docs_folder(workspace: Workspace) -> Path:
    """The Data Docs of the workspace's last checks run; refused when none were built."""
    folder = workspace.evidence / DATA_DOCS
    if not (folder / "index.html").is_file():
        raise ClearanceError(
            "no Data Docs in this workspace yet: they are built by the checks stage of a run"
        )
    return folder


class _DocsHandler(SimpleHTTPRequestHandler):
    """Files of one folder, only under the secret prefix; no directory listing, no log lines
    (a request path is not PHI, but the serving terminal is no place for a capability)."""

    def __init__(self, *args: Any, prefix: str, **kwargs: Any) -> None:
        self._prefix = prefix
        super().__init__(*args, **kwargs)

    def send_head(self) -> Any:
        if not self.path.startswith(self._prefix):
            self.send_error(404)
            return None
        return super().send_head()

    def translate_path(self, path: str) -> str:
        return super().translate_path("/" + path[len(self._prefix) :])

    def list_directory(self, path: Any) -> None:
        self.send_error(404)
        return None

    def log_message(self, format: str, *args: Any) -> None:
        return None


def serve(folder: Path, port: int = 0) -> tuple[ThreadingHTTPServer, str]:
    """Start serving ``folder`` on 127.0.0.1 in a background thread; returns the server and
    the index URL (port 0: any free port)."""
    prefix = f"/{secrets.token_urlsafe(16)}/"
    handler = functools.partial(_DocsHandler, directory=str(folder), prefix=prefix)
    server = ThreadingHTTPServer(("127.0.0.1", port), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    host, bound = str(server.server_address[0]), server.server_address[1]
    return server, f"http://{host}:{bound}{prefix}index.html"
