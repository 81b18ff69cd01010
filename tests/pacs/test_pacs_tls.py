"""DICOM TLS with pynetdicom 3.0 against Orthanc's DicomTlsEnabled: C-GET and C-STORE over
mutual TLS, C-MOVE with Clearance's Storage SCP behind TLS, and a refused untrusted peer."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tasks.pacs import PacsDestination, PacsError, PacsSource, push, retrieve
from tests.pacs_support import (
    CLEARANCE_AE,
    Orthanc,
    build_pacs_demo,
    free_port,
    needs_orthanc,
    study_uids,
)

OPENSSL = shutil.which("openssl")
pytestmark = [
    needs_orthanc,
    pytest.mark.skipif(OPENSSL is None, reason="openssl CLI needed to make test certificates"),
]


def _openssl(*args: str, cwd: Path) -> None:
    subprocess.run([str(OPENSSL), *args], cwd=cwd, check=True, capture_output=True)


def make_pki(folder: Path) -> dict[str, Path]:
    """A throwaway CA, a certificate for Orthanc (127.0.0.1) and one for Clearance."""
    folder.mkdir(parents=True, exist_ok=True)
    _openssl(
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "ca.key",
        "-out",
        "ca.crt",
        "-days",
        "2",
        "-subj",
        "/CN=Clearance test CA",
        cwd=folder,
    )
    for name in ("orthanc", "clearance"):
        (folder / f"{name}.ext").write_text(
            "subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\n"
        )
        _openssl(
            "req",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            f"{name}.key",
            "-out",
            f"{name}.csr",
            "-subj",
            f"/CN={name}",
            cwd=folder,
        )
        _openssl(
            "x509",
            "-req",
            "-in",
            f"{name}.csr",
            "-CA",
            "ca.crt",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-out",
            f"{name}.crt",
            "-days",
            "2",
            "-extfile",
            f"{name}.ext",
            cwd=folder,
        )
    return {p.stem + p.suffix.replace(".", "_"): p for p in folder.iterdir()}


@pytest.fixture(scope="module")
def tls_setup(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    root = tmp_path_factory.mktemp("tls")
    pki = make_pki(root / "pki")
    files = build_pacs_demo(root / "demo")
    move_port = free_port()
    server = Orthanc(root / "orthanc", "SECURE", {})
    server.configure(
        DicomTlsEnabled=True,
        DicomTlsCertificate=str(pki["orthanc_crt"]),
        DicomTlsPrivateKey=str(pki["orthanc_key"]),
        DicomTlsTrustedCertificates=str(pki["ca_crt"]),
        DicomTlsRemoteCertificateRequired=True,
        DicomModalities={
            "clearance": {
                "AET": CLEARANCE_AE,
                "Host": "127.0.0.1",
                "Port": move_port,
                "UseDicomTls": True,
            }
        },
    )
    server.start()
    try:
        for path in files.values():
            server.upload(path)
        yield {"server": server, "pki": pki, "files": files, "move_port": move_port}
    finally:
        server.stop()


def node(setup: dict, with_client_cert: bool = True, ca: str = "ca_crt") -> dict:
    pki = setup["pki"]
    tls: dict = {"ca_file": str(pki[ca])}
    if with_client_cert:
        tls |= {"cert_file": str(pki["clearance_crt"]), "key_file": str(pki["clearance_key"])}
    return {
        "host": "127.0.0.1",
        "port": setup["server"].dicom_port,
        "ae_title": "SECURE",
        "tls": tls,
    }


def test_c_get_over_mutual_tls(tls_setup: dict, tmp_path: Path) -> None:
    studies = study_uids(tls_setup["files"])
    source = PacsSource.model_validate({"pacs": node(tls_setup), "studies": studies})
    report = retrieve(source, tmp_path / "in")
    assert report.complete and report.instances_received == 21


def test_c_move_to_tls_storage_scp(tls_setup: dict, tmp_path: Path) -> None:
    source = PacsSource.model_validate(
        {
            "pacs": node(tls_setup),
            "studies": study_uids(tls_setup["files"])[:1],
            "method": "c-move",
            "move_port": tls_setup["move_port"],
        }
    )
    report = retrieve(source, tmp_path / "in")
    assert report.complete and report.instances_received == 7


def test_c_store_over_tls(tls_setup: dict, tmp_path: Path) -> None:
    folder = tmp_path / "release"
    folder.mkdir()
    for n, path in enumerate(list(tls_setup["files"].values())[:3]):
        shutil.copyfile(path, folder / f"{n}.dcm")
    report = push(folder, PacsDestination.model_validate({"pacs": node(tls_setup)}))
    assert report.complete and report.on_destination == 3  # the PACS may hold them already


def test_untrusted_server_certificate_is_refused(tls_setup: dict, tmp_path: Path) -> None:
    other = make_pki(tmp_path / "other")  # a CA that did not sign Orthanc's certificate
    settings = node(tls_setup)
    settings["tls"]["ca_file"] = str(other["ca_crt"])
    source = PacsSource.model_validate({"pacs": settings, "studies": ["1.2.3"], "timeout": 10})
    with pytest.raises(PacsError, match="association"):
        retrieve(source, tmp_path / "in")


def test_plain_dicom_is_refused_by_tls_pacs(tls_setup: dict, tmp_path: Path) -> None:
    settings = node(tls_setup)
    del settings["tls"]
    source = PacsSource.model_validate({"pacs": settings, "studies": ["1.2.3"], "timeout": 10})
    with pytest.raises(PacsError, match="association"):
        retrieve(source, tmp_path / "in")
