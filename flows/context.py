"""Build a stage's context inside a task run, from the request path alone.

Tasks receive only the request path and batch names as parameters (what Prefect stores);
the key, profile and workspace are rebuilt here, cached per worker process.
"""

from __future__ import annotations

import multiprocessing
import os
from functools import lru_cache
from pathlib import Path

from tasks.config.errors import ClearanceError
from tasks.config.keys import key_from_env, validate_key
from tasks.config.profile import ReleaseProfile, load_profile
from tasks.config.pseudonym_domain import stage_key
from tasks.config.request import ReleaseRequest, load_request
from tasks.runtime.lifeline import exit_with_parent
from tasks.runtime.stage_contract import StageContext
from tasks.runtime.workspace import Workspace, keep_private


def workers() -> int:
    """Worker processes for the stages on this machine (CLEARANCE_WORKERS, default: cores)."""
    return int(os.environ.get("CLEARANCE_WORKERS", os.cpu_count() or 2))


def resolve_key(profile: ReleaseProfile) -> bytes:
    """The key from the profile's Prefect Secret block when named, else the environment."""
    source = profile.pseudonym_key
    if source.secret_block:
        from prefect.blocks.system import Secret

        # (prefect's sync/async dispatch: called from sync code, it returns the block)
        value = Secret.load(source.secret_block).get()  # type: ignore[union-attr]
        return validate_key(str(value), f"Prefect Secret block '{source.secret_block}'")
    return key_from_env(source.env)


@lru_cache(maxsize=8)
def _cached(request_path: str, mtime: float) -> StageContext:
    request: ReleaseRequest = load_request(request_path)
    profile = load_profile(request.profile)
    key = stage_key(resolve_key(profile), request)  # the request's pseudonym domain
    workspace = Workspace(request.workspace, request.request_id)
    return StageContext(workspace=workspace, profile=profile, key=key, request=request)


def stage_context(request_path: str) -> StageContext:
    keep_private()  # also on a Dask worker, whose process Clearance did not start
    if multiprocessing.parent_process() is not None:  # a task-pool worker (local or Dask)
        exit_with_parent()  # a killed flow run takes its workers with it
    path = Path(request_path)
    try:
        return _cached(str(path.resolve()), os.stat(path).st_mtime)
    except ClearanceError as error:  # safe message; the error it replaced may quote values
        error.__cause__ = error.__context__ = None
        raise
