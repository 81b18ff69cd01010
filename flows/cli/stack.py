"""The embedded local stack: a Prefect server (SQLite under PREFECT_HOME) and a process that
serves the release deployment. Plain subprocess management; no Prefect import here so the
CLI can set PREFECT_* variables before Prefect reads its settings."""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import TypeGuard


def clearance_home() -> Path:
    return Path(os.environ.get("CLEARANCE_HOME", Path.home() / ".clearance")).expanduser()


def state_path() -> Path:
    return clearance_home() / "stack.json"


def default_api_url() -> str:
    port = int(os.environ.get("CLEARANCE_PORT", "4200"))
    return f"http://127.0.0.1:{port}/api"


def read_state() -> dict:
    path = state_path()
    return json.loads(path.read_text()) if path.exists() else {}


AUTH_FILE = "api-auth"
AUTH_USER = "clearance"


def auth_path() -> Path:
    return clearance_home() / AUTH_FILE


def api_auth_string(create: bool = False) -> str | None:
    """The local server's credentials (``user:password``), kept in a 0600 file under
    CLEARANCE_HOME; generated once, on the first `clearance up`."""
    path = auth_path()
    if not path.exists():
        if not create:
            return None
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(f"{AUTH_USER}:{secrets.token_urlsafe(24)}\n")
    return path.read_text(encoding="utf-8").strip()


def configure_environment() -> str:
    """Point this process (and its children) at the stack's API; returns the API URL.

    Precedence: PREFECT_API_URL already set > a running local stack > the default address.
    The local stack's credentials are added unless PREFECT_API_AUTH_STRING is set (a site's
    own server: its operators give their credentials that way).
    """
    if not os.environ.get("PREFECT_API_URL"):
        os.environ["PREFECT_API_URL"] = read_state().get("api_url", default_api_url())
    local = os.environ["PREFECT_API_URL"] in (read_state().get("api_url"), default_api_url())
    if local and not os.environ.get("PREFECT_API_AUTH_STRING"):
        auth = api_auth_string()
        if auth:
            os.environ["PREFECT_API_AUTH_STRING"] = auth
    os.environ.setdefault("PREFECT_HOME", str(clearance_home() / "prefect"))
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "INFO")
    os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")
    return os.environ["PREFECT_API_URL"]


CODE_FOLDERS = ("flows", "tasks")


def code_fingerprint() -> str:
    """A digest of the program's code and data files: the serving process runs the code it
    imported when it started, so a changed fingerprint means it runs an older version."""
    root = Path(__file__).resolve().parents[2]
    digest = hashlib.sha256()
    for folder in CODE_FOLDERS:
        for path in sorted((root / folder).rglob("*")):
            if path.suffix in {".py", ".yaml", ".yml", ".json", ".csv"} and path.is_file():
                digest.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


def stale_serving_code() -> bool:
    """True when the serving process started from code that has changed since."""
    state = read_state()
    started_with = state.get("serve_code")
    return (
        bool(started_with)
        and _alive(state.get("serve_pid"))
        and (started_with != code_fingerprint())
    )


STALE_WARNING = (
    "warning: the serving process runs an older version of Clearance's code; new runs use "
    "it until `clearance down && clearance up` (do that when no run is paused at the gate)"
)


def healthy(api_url: str, timeout: float = 2.0) -> bool:
    try:
        with urllib.request.urlopen(f"{api_url}/health", timeout=timeout) as response:
            return response.status == 200
    except OSError:
        return False


def _alive(pid: int | None) -> TypeGuard[int]:
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    return True


def _spawn(command: list[str], log_name: str, env: dict[str, str]) -> subprocess.Popen:
    logs = clearance_home() / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    with open(logs / log_name, "ab") as log:
        process = subprocess.Popen(
            command,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=env,
            start_new_session=True,  # survives the CLI; stopped by `clearance down`
        )
    return process


def up(wait_seconds: float = 180) -> dict:
    """Start (or reuse) the server and the serving process; return the stack state."""
    os.umask(0o077)  # the server's database, the logs and every run's files: owner only
    external = bool(os.environ.get("PREFECT_API_URL")) and not read_state().get("server_pid")
    api_url = configure_environment()
    home = clearance_home()
    home.mkdir(parents=True, exist_ok=True)
    Path(os.environ["PREFECT_HOME"]).mkdir(parents=True, exist_ok=True)
    state = read_state()
    if not external:  # the embedded server answers only with the generated credentials
        auth = api_auth_string(create=True) or ""
        os.environ["PREFECT_API_AUTH_STRING"] = auth
        os.environ["PREFECT_SERVER_API_AUTH_STRING"] = auth
    env = dict(os.environ)
    if not healthy(api_url):
        if external:
            raise RuntimeError(f"PREFECT_API_URL={api_url} does not answer /health")
        port = api_url.rsplit(":", 1)[1].split("/")[0]
        server = _spawn(
            [
                sys.executable,
                "-m",
                "prefect",
                "server",
                "start",
                "--host",
                "127.0.0.1",
                "--port",
                port,
            ],
            "server.log",
            env,
        )
        state["server_pid"] = server.pid
        _wait(
            lambda: healthy(api_url) or server.poll() is not None and _died("server"),
            wait_seconds,
            "the Prefect server",
            "server.log",
        )
    state["api_url"] = api_url
    if not _alive(state.get("serve_pid")):
        state["serve_code"] = code_fingerprint()
        serve = _spawn([sys.executable, "-m", "flows.cli.serve"], "serve.log", env)
        state["serve_pid"] = serve.pid
    else:
        serve = None
    state_path().write_text(json.dumps(state))
    _wait(
        lambda: (
            _deployment_ready(env)
            or serve is not None
            and serve.poll() is not None
            and _died("serve")
        ),
        wait_seconds,
        "the release deployment",
        "serve.log",
    )
    return state


def _died(name: str) -> bool:
    log = clearance_home() / "logs" / f"{name}.log"
    raise RuntimeError(f"the {name} process exited during start-up (see {log})")


def _deployment_ready(env: dict[str, str]) -> bool:
    probe = (
        "from prefect.client.orchestration import get_client\n"
        "with get_client(sync_client=True) as c:\n"
        "    c.read_deployment_by_name('clearance-release/release')\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, timeout=60)
    return result.returncode == 0


def _wait(check: Callable[[], bool], seconds: float, what: str, log_name: str) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(1.0)
    log = clearance_home() / "logs" / log_name
    raise RuntimeError(f"{what} did not become ready in {seconds:.0f} s (see {log})")


# The serving process is stopped first, with SIGINT: Prefect's runner answers SIGTERM by
# calling its async stop from a signal handler without awaiting it ("coroutine
# 'Runner.astop' was never awaited"), while an interrupt takes flow.serve's own shutdown path,
# which still talks to the API: the server (uvicorn, SIGTERM) is stopped only once the serving
# process is gone. Whatever is left of either process group afterwards gets SIGTERM.
SERVE_SECONDS, SERVER_SECONDS = 45, 20


def down() -> list[str]:
    state = read_state()
    stopped = []
    serve, server = state.get("serve_pid"), state.get("server_pid")
    if _alive(serve):
        os.kill(serve, signal.SIGINT)  # the leader only: it stops its own children
        stopped.append("serve")
        _wait_gone([serve], SERVE_SECONDS)
    if _alive(server):
        _signal_group(server, signal.SIGTERM)
        stopped.append("server")
        _wait_gone([server], SERVER_SECONDS)
    for pid in (serve, server):
        if pid:
            _signal_group(pid, signal.SIGTERM)  # leftovers of the group, if any
    _wait_gone([serve, server], 5)
    state_path().unlink(missing_ok=True)
    return stopped


def _signal_group(pid: int, stop_signal: signal.Signals) -> None:
    try:
        os.killpg(pid, stop_signal)
    except ProcessLookupError:
        return
    except OSError:
        try:
            os.kill(pid, stop_signal)
        except OSError:
            return


def _wait_gone(pids: list[int | None], seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and any(_alive(pid) for pid in pids):
        time.sleep(0.5)
