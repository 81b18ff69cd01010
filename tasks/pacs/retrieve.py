"""Retrieve studies from a PACS into a folder of the secure zone.

C-FIND lists the instances each study should have, then C-GET (or C-MOVE to a Storage SCP
Clearance runs for the duration, or DICOMweb WADO-RS) brings them into ``target`` as
000001.dcm, 000002.dcm, ... (never named after patient values), byte for byte as the PACS sent
them. The report counts what was expected and received; the UIDs of studies not found and of
instances the PACS did not send go to a CSV next to ``target`` (same secure zone), never to a
log.
"""

from __future__ import annotations

import csv
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from pydicom.dataset import Dataset
from pynetdicom import ALL_TRANSFER_SYNTAXES, AllStoragePresentationContexts, evt
from pynetdicom.association import Association
from pynetdicom.events import EventHandlerType
from pynetdicom.presentation import build_role
from pynetdicom.sop_class import (  # type: ignore[attr-defined]  # made at import time
    StudyRootQueryRetrieveInformationModelFind as FIND_MODEL,
)
from pynetdicom.sop_class import (  # type: ignore[attr-defined]  # made at import time
    StudyRootQueryRetrieveInformationModelGet as GET_MODEL,
)
from pynetdicom.sop_class import (  # type: ignore[attr-defined]  # made at import time
    StudyRootQueryRetrieveInformationModelMove as MOVE_MODEL,
)

from tasks.pacs import dimse, web
from tasks.pacs.dimse import ExpectedInstance, PacsError, associate, make_ae, server_tls
from tasks.pacs.receive import Receiver
from tasks.pacs.spec import PacsSource

# Explicit VR Little Endian first: a PACS that must choose keeps uncompressed data as stored.
UNCOMPRESSED = ["1.2.840.10008.1.2.1", "1.2.840.10008.1.2"]
TRANSFER_SYNTAXES = UNCOMPRESSED + [ts for ts in ALL_TRANSFER_SYNTAXES if ts not in UNCOMPRESSED]
# C-GET: the requestor proposes the storage contexts and the PACS accepts ONE transfer syntax
# per context, so compressed data travels untouched only if a context offers exactly its
# syntax: deflate, JPEG baseline/extended/lossless/SV1, JPEG-LS, JPEG 2000, HTJ2K, RLE.
COMPRESSED = [
    "1.2.840.10008.1.2.1.99",
    "1.2.840.10008.1.2.4.50",
    "1.2.840.10008.1.2.4.51",
    "1.2.840.10008.1.2.4.57",
    "1.2.840.10008.1.2.4.70",
    "1.2.840.10008.1.2.4.80",
    "1.2.840.10008.1.2.4.81",
    "1.2.840.10008.1.2.4.90",
    "1.2.840.10008.1.2.4.91",
    "1.2.840.10008.1.2.4.201",
    "1.2.840.10008.1.2.4.202",
    "1.2.840.10008.1.2.4.203",
    "1.2.840.10008.1.2.5",
]
STORAGE_CLASSES = [str(c.abstract_syntax) for c in AllStoragePresentationContexts]
MAX_GET_CONTEXTS = 127  # 128 presentation contexts per association, one is the C-GET model


@dataclass
class RetrieveReport:
    method: str
    studies_requested: int  # UIDs given; 0 for a query
    studies_found: int
    instances_expected: int
    instances_received: int
    missing: int  # expected but not received (UIDs in missing_list)
    unexpected: int  # sent by the PACS without being listed by C-FIND: refused, not stored
    duplicates: int
    missing_list: Path | None  # CSV (level, uid) in the secure zone; None when nothing missing

    @property
    def studies_not_found(self) -> int:
        return max(0, self.studies_requested - self.studies_found)

    @property
    def complete(self) -> bool:
        return self.missing == 0 and self.studies_not_found == 0

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["missing_list"] = str(self.missing_list) if self.missing_list else None
        data["studies_not_found"] = self.studies_not_found
        data["complete"] = self.complete
        return data


def retrieve(source: PacsSource, target: Path, missing_list: Path | None = None) -> RetrieveReport:
    """Retrieve ``source``'s studies into ``target`` (created; must be empty)."""
    target = Path(target)
    if target.exists() and any(target.iterdir()):
        raise PacsError("retrieve target folder is not empty")
    target.mkdir(parents=True, exist_ok=True)
    if source.method == "dicomweb":
        studies, expected, receiver = _retrieve_web(source, target)
    else:
        studies, expected, receiver = _retrieve_dimse(source, target)
    requested = source.studies or []
    not_found = sorted(set(requested) - set(studies))
    missing = sorted({e.sop_uid for e in expected} - set(receiver.received))
    listing = missing_list or target.parent / f"{target.name}-missing.csv"
    if not_found or missing:
        _write_missing(listing, not_found, missing)
    elif listing.exists():
        listing.unlink()
    return RetrieveReport(
        method=source.method,
        studies_requested=len(requested),
        studies_found=len(studies),
        instances_expected=len({e.sop_uid for e in expected}),
        instances_received=len(receiver.received),
        missing=len(missing),
        unexpected=receiver.unexpected,
        duplicates=receiver.duplicates,
        missing_list=listing if (not_found or missing) else None,
    )


def _write_missing(path: Path, studies: list[str], instances: list[str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(f".{path.name}.part")
    with open(temp, "w", newline="", encoding="ascii") as handle:
        writer = csv.writer(handle)
        writer.writerow(["level", "uid"])
        writer.writerows(("study", uid) for uid in studies)
        writer.writerows(("instance", uid) for uid in instances)
    temp.replace(path)


def query(source: PacsSource) -> tuple[list[str], list[ExpectedInstance]]:
    """The studies found and every instance the source lists for them (nothing fetched)."""
    if source.method == "dicomweb":
        return _find_web(web.make_client(source.dicomweb_url or "", source.timeout), source)
    return _find_dimse(source)


def _find_dimse(source: PacsSource) -> tuple[list[str], list[ExpectedInstance]]:
    ae = make_ae(source.pacs, source.timeout)
    ae.add_requested_context(FIND_MODEL)
    with associate(ae, source.pacs) as assoc:
        if source.query is not None:
            studies = dimse.find_studies(assoc, FIND_MODEL, source.query)
        else:
            studies = [u for u in source.studies or [] if dimse.study_exists(assoc, FIND_MODEL, u)]
        expected = [e for u in studies for e in dimse.list_instances(assoc, FIND_MODEL, u)]
    return studies, expected


def _find_web(client: Any, source: PacsSource) -> tuple[list[str], list[ExpectedInstance]]:
    if source.query is not None:
        studies = web.find_studies(client, source.query)
    else:
        studies = [u for u in source.studies or [] if web.study_exists(client, u)]
    return studies, [e for u in studies for e in web.list_instances(client, u)]


def _retrieve_dimse(
    source: PacsSource, target: Path
) -> tuple[list[str], list[ExpectedInstance], Receiver]:
    studies, expected = _find_dimse(source)
    receiver = Receiver(target, {e.sop_uid for e in expected})
    by_study: dict[str, set[str]] = {}
    for item in expected:
        by_study.setdefault(item.study_uid, set()).add(item.sop_class)
    if source.method == "c-get":
        for study_uid, classes in by_study.items():
            _get_study(source, study_uid, classes, receiver)
    else:
        _move_studies(source, by_study, receiver)
    return studies, expected, receiver


def _study_identifier(study_uid: str) -> Dataset:
    ds = Dataset()
    ds.QueryRetrieveLevel = "STUDY"
    ds.StudyInstanceUID = study_uid
    return ds


def _drain(responses: Any) -> None:
    """Consume C-GET/C-MOVE responses. Sub-operation failures need no handling here: the
    instances they concern are missing from the receiver and reported as such."""
    for status, _identifier in responses:
        if dimse.status_code(status) is None:
            return  # aborted or timed out: what arrived is kept, the rest is missing


def _get_study(source: PacsSource, study_uid: str, classes: set[str], receiver: Receiver) -> None:
    ae = make_ae(source.pacs, source.timeout)
    ae.add_requested_context(GET_MODEL)
    known = sorted(c for c in classes if c)
    if len(known) < len(classes):  # the PACS did not say: offer the common storage classes
        known = sorted(set(known) | set(STORAGE_CLASSES))
    known = known[:MAX_GET_CONTEXTS]
    for sop_class, syntaxes in get_contexts(known):
        ae.add_requested_context(sop_class, syntaxes)
    roles = [build_role(sop_class, scp_role=True) for sop_class in known]
    handlers: list[EventHandlerType] = [(evt.EVT_C_STORE, receiver.handle_store)]
    with associate(ae, source.pacs, ext_neg=roles, evt_handlers=handlers) as assoc:
        _drain(assoc.send_c_get(_study_identifier(study_uid), GET_MODEL))


def get_contexts(classes: list[str]) -> list[tuple[str, list[str]]]:
    """Storage contexts for a C-GET, as fine-grained as the 127 free contexts allow: one per
    compressed syntax when possible, else uncompressed + all compressed, else one per class."""
    rich = [(c, UNCOMPRESSED) for c in classes] + [(c, [ts]) for c in classes for ts in COMPRESSED]
    if len(rich) <= MAX_GET_CONTEXTS:
        return rich
    rest = [ts for ts in TRANSFER_SYNTAXES if ts not in UNCOMPRESSED]
    pairs = [(c, UNCOMPRESSED) for c in classes] + [(c, rest) for c in classes]
    if len(pairs) <= MAX_GET_CONTEXTS:
        return pairs
    return [(c, TRANSFER_SYNTAXES) for c in classes]


def _move_studies(source: PacsSource, by_study: dict[str, set[str]], receiver: Receiver) -> None:
    ae = make_ae(source.pacs, source.timeout)
    classes = {c for found in by_study.values() for c in found if c} | set(STORAGE_CLASSES)
    for sop_class in sorted(classes):
        ae.add_supported_context(sop_class, TRANSFER_SYNTAXES)
    ae.add_requested_context(MOVE_MODEL)
    handlers: list[EventHandlerType] = [(evt.EVT_C_STORE, receiver.handle_store)]
    try:
        server = ae.start_server(
            (source.move_bind, source.move_port or 0),
            block=False,
            evt_handlers=handlers,
            ssl_context=server_tls(source.pacs),
        )
    except OSError as error:
        raise PacsError(
            f"cannot listen for C-MOVE on {source.move_bind}:{source.move_port} "
            f"({type(error).__name__})"
        ) from None
    try:
        with associate(ae, source.pacs) as assoc:
            for study_uid in by_study:
                _move_one(assoc, source.pacs.calling_ae, study_uid)
    finally:
        if server is not None:  # (always: a non-blocking start returns its server)
            server.shutdown()


def _move_one(assoc: Association, destination_ae: str, study_uid: str) -> None:
    responses = assoc.send_c_move(_study_identifier(study_uid), destination_ae, MOVE_MODEL)
    _drain(responses)


def _retrieve_web(
    source: PacsSource, target: Path
) -> tuple[list[str], list[ExpectedInstance], Receiver]:
    client = web.make_client(source.dicomweb_url or "", source.timeout)
    studies, expected = _find_web(client, source)
    receiver = Receiver(target, {e.sop_uid for e in expected})
    for study_uid in studies:
        web.retrieve_study(client, study_uid, receiver)
    return studies, expected, receiver
