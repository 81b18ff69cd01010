"""Flow hook: a failed or crashed release run removes the raw studies it retrieved from a
PACS (a run that builds its candidate removes them itself, tasks/pacs/retrieved.py)."""

from __future__ import annotations

from typing import Any


def drop_retrieved(flow: Any, flow_run: Any, state: Any) -> None:
    from tasks.config.errors import ClearanceError
    from tasks.config.request import load_request
    from tasks.pacs.retrieved import remove_for_request

    path = (getattr(flow_run, "parameters", None) or {}).get("request_path")
    if not path:
        return
    try:
        remove_for_request(load_request(path))
    except (ClearanceError, OSError):
        return  # a request that cannot be read retrieved nothing
