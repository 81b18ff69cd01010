"""pynetdicom plumbing shared by retrieve and push: quiet logging, AEs, associations, C-FIND.

pynetdicom logs C-FIND/C-GET/C-MOVE identifiers by default; Clearance turns that off on import
so no patient value reaches a log.
"""

from __future__ import annotations

import socket
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from pydicom.dataset import Dataset
from pynetdicom import AE, _config, evt
from pynetdicom.association import Association

from tasks.config.errors import ClearanceError
from tasks.pacs.spec import PacsNode

_config.LOG_RESPONSE_IDENTIFIERS = False
_config.LOG_REQUEST_IDENTIFIERS = False

SUCCESS = 0x0000
WARNING_STATUSES = {0x0001, 0xB000, 0xB006, 0xB007}
PENDING_STATUSES = {0xFF00, 0xFF01}


class PacsError(ClearanceError):
    """The PACS could not be reached or refused an operation (message holds no patient value).
    ``kind``: refused (nothing listening), timeout, rejected, aborted, failed."""

    transient = False

    def __init__(self, message: str, kind: str = "failed") -> None:
        super().__init__(message)
        self.kind = kind


class PacsUnreachable(PacsError):
    """No TCP connection (refused, timed out, no route): worth another attempt later."""

    transient = True


def make_ae(node: PacsNode, timeout: float) -> AE:
    ae = AE(ae_title=node.calling_ae)
    ae.acse_timeout = timeout
    ae.dimse_timeout = timeout
    ae.network_timeout = timeout
    ae.connection_timeout = min(timeout, 15.0)
    return ae


def client_tls(node: PacsNode) -> tuple[ssl.SSLContext, str] | None:
    """pynetdicom ``tls_args`` for calling ``node`` (None without TLS)."""
    tls = node.tls
    if tls is None:
        return None
    context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=str(tls.ca_file))
    context.check_hostname = tls.check_hostname
    if tls.cert_file and tls.key_file:
        context.load_cert_chain(str(tls.cert_file), str(tls.key_file))
    return context, tls.server_hostname or node.host


def server_tls(node: PacsNode) -> ssl.SSLContext | None:
    """``ssl_context`` for Clearance's Storage SCP (C-MOVE): our certificate, and the PACS
    must present one signed by ``ca_file``."""
    tls = node.tls
    if tls is None:
        return None
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH, cafile=str(tls.ca_file))
    context.verify_mode = ssl.CERT_REQUIRED
    context.load_cert_chain(str(tls.cert_file), str(tls.key_file))
    return context


@contextmanager
def associate(ae: AE, node: PacsNode, **kwargs: Any) -> Iterator[Association]:
    """An established association to ``node``, released on exit; PacsError if refused."""
    try:
        tls_args = client_tls(node)
    except (OSError, ssl.SSLError) as error:
        raise PacsError(
            f"TLS settings for {node.describe()} unusable ({type(error).__name__})"
        ) from None
    answers: list[Any] = []  # the A-ASSOCIATE response, for the rejection's reason
    handlers = [
        *kwargs.pop("evt_handlers", []),
        (evt.EVT_ACSE_RECV, lambda e: answers.append(e.primitive)),
    ]
    assoc = ae.associate(
        node.host,
        node.port,
        ae_title=node.ae_title,
        tls_args=tls_args,
        evt_handlers=handlers,
        **kwargs,
    )
    if not assoc.is_established:
        raise _not_established(assoc, node, answers)
    try:
        yield assoc
    finally:
        if assoc.is_established:
            assoc.release()


def _not_established(assoc: Association, node: PacsNode, answers: list[Any]) -> PacsError:
    """Say why: nothing listening, no answer, rejected (with the PACS's reason: an unknown
    calling AE title is named as such), or aborted."""
    where = node.describe()
    if assoc.is_rejected:
        reason = next((str(a.reason_str) for a in answers if hasattr(a, "reason_str")), "")
        if "calling ae" in reason.lower():
            return PacsError(
                f"association with {where} rejected: calling AE title '{node.calling_ae}' "
                "not recognised (register it on the PACS)",
                "rejected",
            )
        return PacsError(f"association with {where} rejected ({reason or 'no reason'})", "rejected")
    problem = _tcp_problem(node)
    if problem == "refused":
        return PacsUnreachable(f"connection to {where} refused (nothing listening)", "refused")
    if problem is not None:
        return PacsUnreachable(f"no connection to {where} ({problem})", "timeout")
    if assoc.is_aborted and not assoc.accepted_contexts:
        return PacsError(
            f"association with {where} aborted: no presentation context accepted "
            f"(is calling AE '{node.calling_ae}' allowed this service, and is "
            f"'{node.ae_title}' the PACS's own AE title?)",
            "aborted",
        )
    return PacsError(
        f"association with {where} {'aborted' if assoc.is_aborted else 'failed'}",
        "aborted" if assoc.is_aborted else "failed",
    )


def _tcp_problem(node: PacsNode) -> str | None:
    """None when a TCP connection opens; else refused / timeout / unreachable."""
    try:
        with socket.create_connection((node.host, node.port), timeout=5):
            return None
    except ConnectionRefusedError:
        return "refused"
    except TimeoutError:
        return "timeout"
    except OSError:
        return "unreachable"


def status_code(status: Dataset | None) -> int | None:
    """The DIMSE status of a response, or None when the peer sent none (timeout, abort)."""
    if status is None or "Status" not in status:
        return None
    return int(status.Status)


@dataclass(frozen=True)
class ExpectedInstance:
    study_uid: str
    series_uid: str
    sop_uid: str
    sop_class: str


def find(assoc: Association, identifier: Dataset, model: str) -> list[Dataset]:
    """Run one C-FIND and return its matches; PacsError on a failure status."""
    matches = []
    for status, match in assoc.send_c_find(identifier, model):
        code = status_code(status)
        if code is None:  # Orthanc, for one, drops a C-FIND from a caller it does not know
            calling = assoc.requestor.ae_title
            raise PacsError(
                f"the PACS did not answer the C-FIND: is calling AE '{calling}' registered "
                "on it with C-FIND allowed? (else it timed out)",
                "aborted" if assoc.is_aborted or not assoc.is_established else "timeout",
            )
        if code in PENDING_STATUSES:
            if match is not None:
                matches.append(match)
        elif code != SUCCESS:
            raise PacsError(f"C-FIND failed with status 0x{code:04X}")
    return matches


def _query(level: str, **keys: str) -> Dataset:
    ds = Dataset()
    ds.QueryRetrieveLevel = level
    for keyword, value in keys.items():
        setattr(ds, keyword, value)
    return ds


def find_studies(assoc: Association, model: str, query: dict[str, str]) -> list[str]:
    """StudyInstanceUIDs matching a study-level query."""
    matches = find(assoc, _query("STUDY", StudyInstanceUID="", **query), model)
    return sorted({str(m.StudyInstanceUID) for m in matches if m.get("StudyInstanceUID")})


def study_exists(assoc: Association, model: str, study_uid: str) -> bool:
    return bool(find(assoc, _query("STUDY", StudyInstanceUID=study_uid), model))


def list_instances(assoc: Association, model: str, study_uid: str) -> list[ExpectedInstance]:
    """Every instance of a study, found level by level (series, then images per series) so
    strict PACS that only allow hierarchical queries answer too."""
    expected = []
    series = find(assoc, _query("SERIES", StudyInstanceUID=study_uid, SeriesInstanceUID=""), model)
    series_uids = sorted({str(s.SeriesInstanceUID) for s in series if s.get("SeriesInstanceUID")})
    for series_uid in series_uids:
        images = find(
            assoc,
            _query(
                "IMAGE",
                StudyInstanceUID=study_uid,
                SeriesInstanceUID=series_uid,
                SOPInstanceUID="",
                SOPClassUID="",
            ),
            model,
        )
        for image in images:
            if image.get("SOPInstanceUID"):
                expected.append(
                    ExpectedInstance(
                        study_uid,
                        series_uid,
                        str(image.SOPInstanceUID),
                        str(image.get("SOPClassUID", "")),
                    )
                )
    return expected
