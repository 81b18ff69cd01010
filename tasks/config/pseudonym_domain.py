"""Which pseudonym domain a request's identifiers belong to, and where that is recorded.

A request names its recipient or project in ``pseudonym_domain`` (default: ``requester``).
The stages derive every identifier from the site key and that domain
(``tasks.headers.pseudonyms.domain_key``). The domain is recorded in the request's workspace
(``pseudonym_domain.json``) and in the release record, so data subjects' rights can
recompute a patient's pseudonym in each release from the key alone.
"""

from __future__ import annotations

import json
from pathlib import Path

from tasks.config.request import ReleaseRequest
from tasks.headers.pseudonyms import domain_key, normalise_domain
from tasks.runtime import atomic

RECORD_FILE = "pseudonym_domain.json"


def domain_of(request: ReleaseRequest) -> str:
    """The request's domain, normalised: ``pseudonym_domain`` or else the requester."""
    return normalise_domain(getattr(request, "pseudonym_domain", None) or request.requester)


def stage_key(site_key: bytes, request: ReleaseRequest) -> bytes:
    """The key every stage of this request pseudonymises with."""
    return domain_key(site_key, domain_of(request))


def record(workspace_root: Path, domain: str) -> None:
    """Write ``<workspace>/<request_id>/pseudonym_domain.json`` (unchanged when equal)."""
    path = Path(workspace_root) / RECORD_FILE
    data = {"pseudonym_domain": normalise_domain(domain)}
    if path.is_file() and json.loads(path.read_text(encoding="utf-8")) == data:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic.write_json(path, data)


def recorded(workspace_root: Path) -> str | None:
    """The domain a request's workspace recorded, or None (a workspace from before domains)."""
    path = Path(workspace_root) / RECORD_FILE
    if not path.is_file():
        return None
    value = json.loads(path.read_text(encoding="utf-8")).get("pseudonym_domain")
    return str(value) if value else None
