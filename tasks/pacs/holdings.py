"""What a destination already holds: the SOP Instance UIDs of given studies, by query.

C-FIND (Study Root, study -> series -> images) on a PACS, QIDO-RS on a DICOMweb server. Push
sends only what the destination lacks and checks afterwards that it holds everything.
None means the destination could not be queried (e.g. it refuses C-FIND from Clearance's
calling AE): the caller then falls back on what the destination acknowledged.
"""

from __future__ import annotations

from pynetdicom.sop_class import (  # type: ignore[attr-defined]  # made at import time
    StudyRootQueryRetrieveInformationModelFind as FIND_MODEL,
)

from tasks.pacs import dimse, web
from tasks.pacs.dimse import PacsError, associate, make_ae
from tasks.pacs.spec import PacsDestination


def held_instances(destination: PacsDestination, study_uids: set[str]) -> set[str] | None:
    """SOP Instance UIDs the destination holds in ``study_uids``; None if it cannot say."""
    if not study_uids:
        return set()
    try:
        if destination.method == "c-store":
            return _held_dimse(destination, study_uids)
        return _held_web(destination, study_uids)
    except PacsError:
        return None


def _held_dimse(destination: PacsDestination, study_uids: set[str]) -> set[str]:
    node = destination.pacs
    assert node is not None  # validated by PacsDestination
    ae = make_ae(node, destination.timeout)
    ae.add_requested_context(FIND_MODEL)
    held: set[str] = set()
    with associate(ae, node) as assoc:
        for study_uid in sorted(study_uids):
            held.update(e.sop_uid for e in dimse.list_instances(assoc, FIND_MODEL, study_uid))
    return held


def _held_web(destination: PacsDestination, study_uids: set[str]) -> set[str]:
    client = web.make_client(destination.dicomweb_url or "", destination.timeout)
    held: set[str] = set()
    for study_uid in sorted(study_uids):
        held.update(e.sop_uid for e in web.list_instances(client, study_uid))
    return held
