"""A real Orthanc for the PACS tests: started on free loopback ports with a configuration
written into the test's tmp folder, stopped (and restartable) by the test."""

from __future__ import annotations

import json
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ORTHANC = shutil.which("Orthanc") or (
    "/usr/sbin/Orthanc" if Path("/usr/sbin/Orthanc").exists() else None
)
DICOMWEB_PLUGIN = next(
    (
        p
        for p in (
            Path("/usr/share/orthanc/plugins/libOrthancDicomWeb.so"),
            Path("/usr/lib/orthanc/libOrthancDicomWeb.so"),
        )
        if p.exists()
    ),
    None,
)
SKIP_REASON = "Orthanc is not installed (run .ci/install-orthanc.sh or apt-get install orthanc)"
needs_orthanc = pytest.mark.skipif(ORTHANC is None, reason=SKIP_REASON)
needs_dicomweb = pytest.mark.skipif(
    DICOMWEB_PLUGIN is None, reason="orthanc-dicomweb plugin is not installed"
)

CLEARANCE_AE = "CLEARANCE"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Orthanc:
    """One Orthanc process; ``modalities`` maps name -> (AE title, port) on 127.0.0.1."""

    def __init__(
        self,
        root: Path,
        ae_title: str,
        modalities: dict[str, tuple[str, int]],
        dicomweb: bool = False,
    ) -> None:
        assert ORTHANC is not None, SKIP_REASON
        self.root = root
        self.ae_title = ae_title
        self.dicom_port = free_port()
        self.http_port = free_port()
        self.process: subprocess.Popen[bytes] | None = None
        storage = root / "storage"
        storage.mkdir(parents=True, exist_ok=True)
        config = {
            "Name": ae_title,
            "StorageDirectory": str(storage),
            "IndexDirectory": str(storage),
            "TemporaryDirectory": str(root / "tmp"),
            "DicomAet": ae_title,
            "DicomPort": self.dicom_port,
            "HttpPort": self.http_port,
            "RemoteAccessAllowed": False,
            "AuthenticationEnabled": False,
            "SslEnabled": False,
            "DicomTlsEnabled": False,
            "DicomCheckCalledAet": False,
            "DicomAlwaysAllowEcho": True,
            "DicomAlwaysAllowStore": True,
            "DicomModalities": {
                name: {"AET": aet, "Host": "127.0.0.1", "Port": port}
                for name, (aet, port) in modalities.items()
            },
            "DicomScuTimeout": 10,
            "SynchronousCMove": True,
            "StorageAccessOnFind": "Always",
            "OrthancExplorerEnabled": False,
            "WebDavEnabled": False,
            "HttpsVerifyPeers": False,
            "SaveJobs": False,
            "Plugins": [str(DICOMWEB_PLUGIN)] if dicomweb and DICOMWEB_PLUGIN else [],
            "DicomWeb": {"Enable": True, "Root": "/dicom-web/", "Host": "127.0.0.1"},
        }
        (root / "tmp").mkdir(exist_ok=True)
        self.config = root / "orthanc.json"
        self.config.write_text(json.dumps(config, indent=2), encoding="utf-8")

    def configure(self, **options: object) -> None:
        """Change configuration options (before ``start``)."""
        config = json.loads(self.config.read_text(encoding="utf-8"))
        config.update(options)
        self.config.write_text(json.dumps(config, indent=2), encoding="utf-8")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    @property
    def dicomweb_url(self) -> str:
        return f"{self.url}/dicom-web"

    def start(self, timeout: float = 30.0, delay: float = 0.0) -> None:
        """Start Orthanc; with ``delay`` it starts that many seconds later and this returns at
        once (call ``wait_ready``). The process is always a child of the calling thread."""
        command = [str(ORTHANC), f"--logdir={self.root}", str(self.config)]
        if delay:
            command = ["sh", "-c", 'sleep "$0" && exec "$@"', str(delay), *command]
        log = open(self.root / "orthanc.log", "ab")  # noqa: SIM115 - owned by the process
        self.process = subprocess.Popen(
            command,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=self.root,
            preexec_fn=_die_with_parent,
        )
        log.close()
        if not delay:
            self.wait_ready(timeout)

    def wait_ready(self, timeout: float = 30.0) -> None:
        assert self.process is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"Orthanc exited early; see {self.root / 'orthanc.log'}")
            try:
                self.get("/system")
                if _port_open(self.dicom_port):
                    return
            except (urllib.error.URLError, ConnectionError, OSError):
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"Orthanc did not start; see {self.root / 'orthanc.log'}")

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)
        self.process = None

    # REST helpers (loopback only)
    def _request(self, method: str, path: str, body: bytes | None = None) -> object:
        request = urllib.request.Request(self.url + path, data=body, method=method)
        if body is not None:
            request.add_header("Content-Type", "application/dicom")
        with urllib.request.urlopen(request, timeout=30) as response:
            data = response.read()
        return json.loads(data) if data else None

    def get(self, path: str) -> object:
        return self._request("GET", path)

    def upload(self, path: Path) -> None:
        self._request("POST", "/instances", path.read_bytes())

    def sop_instance_uids(self) -> set[str]:
        uids = set()
        for instance in self.get("/instances?expand") or []:  # type: ignore[union-attr]
            uids.add(instance["MainDicomTags"]["SOPInstanceUID"])
        return uids

    def clear(self) -> None:
        for patient in self.get("/patients") or []:  # type: ignore[union-attr]
            self._request("DELETE", f"/patients/{patient}")


def _die_with_parent() -> None:
    """Linux: Orthanc gets SIGTERM if the test process dies, so no server outlives a run."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _port_open(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def build_pacs_demo(root: Path) -> dict[str, Path]:
    """Three synthetic patients (21 instances); one CR instance re-encoded RLE Lossless so a
    compressed transfer syntax travels too. Returns SOP Instance UID -> file."""
    import pydicom
    from pydicom.uid import RLELossless

    from tasks.synthetic.demo_inputs import build_demo

    demo = build_demo(root, patients=3, image_size=128, with_junk=False)
    files: dict[str, Path] = {}
    for path in sorted(p for p in demo.dicom.rglob("*") if p.is_file()):
        ds = pydicom.dcmread(path)
        make_even(ds)
        ds.save_as(path, enforce_file_format=True)
        files[str(ds.SOPInstanceUID)] = path
    compressed = next(p for p in files.values() if "CR" in p.parent.name)
    ds = pydicom.dcmread(compressed)
    ds.compress(RLELossless, generate_instance_uid=False)
    ds.save_as(compressed, enforce_file_format=True)
    return files


def make_even(ds: object) -> None:
    """The demo writes an odd-length UN value (not valid DICOM: DCMTK-based PACS reject it
    over DIMSE); pad such values so the test data is conformant."""
    for element in ds.iterall():  # type: ignore[attr-defined]
        if element.VR in ("UN", "OB") and isinstance(element.value, bytes):
            if len(element.value) % 2:
                element.value += b"\x00"


def pixel_bytes(path: Path) -> bytes:
    import pydicom

    return bytes(pydicom.dcmread(path).PixelData)


def study_uids(files: dict[str, Path]) -> list[str]:
    import pydicom

    return sorted(
        {str(pydicom.dcmread(p, stop_before_pixels=True).StudyInstanceUID) for p in files.values()}
    )
