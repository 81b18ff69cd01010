"""DICOMweb (QIDO-RS, WADO-RS, STOW-RS) with dicomweb-client.

dicomweb-client logs request URLs (which hold study UIDs) at DEBUG/INFO; its logger is capped
at WARNING on import so identifiers stay out of logs.
"""

from __future__ import annotations

import logging
from io import BytesIO
from pathlib import Path

import pydicom
import requests
from dicomweb_client.api import DICOMwebClient
from pydicom.dataset import Dataset

from tasks.pacs.dimse import ExpectedInstance, PacsError
from tasks.pacs.receive import Receiver

logging.getLogger("dicomweb_client").setLevel(logging.WARNING)

ANY_TRANSFER_SYNTAX = (("application/dicom", "*"),)
WEB_ERRORS = (requests.RequestException, OSError, ValueError)


def make_client(url: str, timeout: float) -> DICOMwebClient:
    client = DICOMwebClient(url=url.rstrip("/"), timeout=timeout)
    client.set_http_retry_params(retry=False)  # push() retries whole rounds itself
    return client


def _value(item: dict, tag: str) -> str | None:
    values = item.get(tag, {}).get("Value") or [None]
    return None if values[0] is None else str(values[0])


def find_studies(client: DICOMwebClient, query: dict[str, str]) -> list[str]:
    try:
        found = client.search_for_studies(
            search_filters=dict(query), fields=["StudyInstanceUID"], get_remaining=True
        )
    except WEB_ERRORS as error:
        raise PacsError(f"QIDO-RS study search failed ({type(error).__name__})") from None
    return sorted({uid for item in found if (uid := _value(item, "0020000D"))})


def study_exists(client: DICOMwebClient, study_uid: str) -> bool:
    return bool(find_studies(client, {"StudyInstanceUID": study_uid}))


def list_instances(client: DICOMwebClient, study_uid: str) -> list[ExpectedInstance]:
    try:
        found = client.search_for_instances(
            study_instance_uid=study_uid,
            fields=["SeriesInstanceUID", "SOPInstanceUID", "SOPClassUID"],
            get_remaining=True,
        )
    except WEB_ERRORS as error:
        raise PacsError(f"QIDO-RS instance search failed ({type(error).__name__})") from None
    instances = []
    for item in found:
        sop_uid = _value(item, "00080018")
        if sop_uid:
            instances.append(
                ExpectedInstance(
                    study_uid,
                    _value(item, "0020000E") or "",
                    sop_uid,
                    _value(item, "00080016") or "",
                )
            )
    return instances


def encode(dataset: Dataset) -> bytes:
    buffer = BytesIO()
    pydicom.dcmwrite(buffer, dataset, enforce_file_format=True)
    return buffer.getvalue()


def retrieve_study(client: DICOMwebClient, study_uid: str, receiver: Receiver) -> None:
    """WADO-RS the study in its stored transfer syntax; instances go to ``receiver``."""
    try:
        for dataset in client.iter_study(study_uid, media_types=ANY_TRANSFER_SYNTAX):
            receiver.accept(str(dataset.SOPInstanceUID), encode(dataset))
    except WEB_ERRORS as error:  # instances not received are counted as missing
        name = type(error).__name__
        logging.getLogger(__name__).warning("WADO-RS retrieve interrupted (%s)", name)


def store(client: DICOMwebClient, paths: list[Path]) -> dict[Path, tuple[str, str]]:
    """STOW-RS a batch; returns path -> (status, detail) from the server's response."""
    uids: dict[str, Path] = {}
    datasets = []
    for path in paths:
        dataset = pydicom.dcmread(path)
        uids[str(dataset.SOPInstanceUID)] = path
        datasets.append(dataset)
    try:
        response = client.store_instances(datasets=datasets)
    except WEB_ERRORS as error:
        detail = type(error).__name__
        if isinstance(error, requests.HTTPError) and error.response is not None:
            detail = f"http-{error.response.status_code}"
        return {path: ("failed", detail) for path in paths}
    results = {path: ("failed", "not-in-response") for path in paths}
    for item in response.get("ReferencedSOPSequence", []):
        sent = uids.get(str(item.get("ReferencedSOPInstanceUID", "")))
        if sent is not None:
            warning = item.get("WarningReason")
            results[sent] = ("acknowledged", f"warning-0x{int(warning):04X}" if warning else "")
    for item in response.get("FailedSOPSequence", []):
        sent = uids.get(str(item.get("ReferencedSOPInstanceUID", "")))
        if sent is not None:
            reason = item.get("FailureReason")
            results[sent] = ("failed", f"0x{int(reason):04X}" if reason is not None else "failed")
    return results
