"""PACS source/destination settings are validated before anything connects."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from tasks.pacs.spec import PacsDestination, PacsNode, PacsSource

NODE = {"host": "127.0.0.1", "port": 4242, "ae_title": "CLINICAL"}


def test_node_defaults_and_label() -> None:
    node = PacsNode(**NODE)
    assert node.calling_ae == "CLEARANCE"
    assert node.describe() == "CLINICAL@127.0.0.1:4242"


@pytest.mark.parametrize(
    "fields",
    [
        {"ae_title": "X" * 17},
        {"ae_title": "BAD\\AE"},
        {"ae_title": "   "},
        {"port": 0},
        {"port": 70000},
        {"unknown": 1},
    ],
)
def test_node_rejects(fields: dict) -> None:
    with pytest.raises(ValidationError):
        PacsNode(**{**NODE, **fields})


def test_source_needs_exactly_one_selection() -> None:
    with pytest.raises(ValidationError, match="exactly one"):
        PacsSource(pacs=NODE)
    with pytest.raises(ValidationError, match="exactly one"):
        PacsSource(pacs=NODE, studies=["1.2.3"], query={"StudyDate": "2021"})
    assert PacsSource(pacs=NODE, studies=["1.2.3"]).method == "c-get"
    assert PacsSource(pacs=NODE, studies=["1.2.3", "1.2", "1.2.3"]).studies == ["1.2.3", "1.2"]


def test_tls_settings() -> None:
    tls = {"ca_file": "/etc/ca.pem"}
    assert PacsNode(**NODE, tls=tls).tls.check_hostname  # type: ignore[union-attr]
    with pytest.raises(ValidationError, match="both"):
        PacsNode(**NODE, tls={**tls, "cert_file": "/etc/c.crt"})
    with pytest.raises(ValidationError, match="C-MOVE over TLS"):
        PacsSource(pacs={**NODE, "tls": tls}, studies=["1.2"], method="c-move", move_port=1104)


@pytest.mark.parametrize(
    "fields, message",
    [
        ({"studies": ["1.2.03"]}, "pattern"),
        ({"studies": []}, "at least 1"),
        ({"query": {"NotAKeyword": "x"}}, "not a DICOM keyword"),
        ({"query": {"StudyInstanceUID": "1.2"}}, "set by Clearance"),
        ({"studies": ["1.2"], "method": "dicomweb"}, "dicomweb_url"),
        ({"studies": ["1.2"], "method": "c-move"}, "move_port"),
        ({"studies": ["1.2"], "method": "wado"}, "method"),
        ({"studies": ["1.2"], "dicomweb_url": "ftp://x"}, "pattern"),
    ],
)
def test_source_rejects(fields: dict, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        PacsSource(pacs=NODE, **fields)


def test_source_accepts_query_and_move() -> None:
    source = PacsSource(
        pacs=NODE,
        query={"ModalitiesInStudy": "CT", "StudyDate": "20210101-20211231"},
        method="c-move",
        move_port=11112,
    )
    assert source.move_bind == "127.0.0.1"


def test_destination_consistency() -> None:
    assert PacsDestination(pacs=NODE).retries == 3
    with pytest.raises(ValidationError, match="needs 'pacs'"):
        PacsDestination(dicomweb_url="http://127.0.0.1:8042/dicom-web")
    with pytest.raises(ValidationError, match="needs 'dicomweb_url'"):
        PacsDestination(pacs=NODE, method="stow-rs")
    with pytest.raises(ValidationError):
        PacsDestination(pacs=NODE, retries=-1)
    stow = PacsDestination(dicomweb_url="http://127.0.0.1:8042/dicom-web", method="stow-rs")
    assert stow.describe().startswith("stow-rs")
