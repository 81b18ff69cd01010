"""The patient pseudonym, recomputed from the key exactly as the header stage computes it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tasks.config.pseudonym_domain import recorded
from tasks.headers.pseudonyms import domain_key, patient_basis, patient_pseudonym


def pseudonym_of(key: bytes, patient_id: str, pseudonym_settings: Any) -> str:
    """``pseudonym_settings``: the profile's ``headers`` section (HeaderProfile) or its
    ``pseudonyms`` part (patient_prefix, length). The basis is the Patient ID alone (the
    header stage's ``patient_basis``): the issuer is not part of it."""
    settings = getattr(pseudonym_settings, "pseudonyms", pseudonym_settings)
    if not patient_id.strip():
        raise ValueError("patient_id must not be blank")
    basis = patient_basis(patient_id, "", "", "")
    return patient_pseudonym(key, basis, settings.patient_prefix, settings.length)


def request_key(
    base: Path, request_id: str, key: bytes, release_domain: str | None = None
) -> bytes:
    """The key a request's stages used: the site key narrowed to the domain the request's
    workspace (or else its release record) names; a request from before domains used the site
    key itself. Its workspace's sealed files open with it."""
    domain = recorded(Path(base) / request_id) or release_domain
    return domain_key(key, domain) if domain else key


def issuers_compatible(recorded: str, requested: str) -> bool:
    """Same issuer, or either one unknown (cannot be proven to be another patient)."""
    recorded, requested = recorded.strip(), requested.strip()
    return not recorded or not requested or recorded == requested
