import hashlib
from pathlib import Path

import pytest

from tasks.publish.publication import (
    CandidateChanged,
    DestinationNotEmpty,
    candidate_digest,
    publish,
    verify_release,
)


def _staging(tmp_path: Path) -> Path:
    staging = tmp_path / "staging"
    (staging / "dicom" / "P1").mkdir(parents=True)
    (staging / "dicom" / "P1" / "a.dcm").write_bytes(b"abc")
    (staging / "reports").mkdir()
    (staging / "reports" / "A1.txt").write_text("texte")
    return staging


def test_publish_is_complete_and_checksummed(tmp_path: Path) -> None:
    destination = tmp_path / "release"
    counts = publish(_staging(tmp_path), destination)
    assert counts["files"] == 2
    manifest = (destination / "MANIFEST.sha256").read_text()
    assert "dicom/P1/a.dcm" in manifest and str(tmp_path) not in manifest
    assert verify_release(destination) == (True, 2)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".release")]


def test_publish_never_overwrites(tmp_path: Path) -> None:
    destination = tmp_path / "release"
    destination.mkdir()
    (destination / "keep.txt").write_text("x")
    with pytest.raises(DestinationNotEmpty):
        publish(_staging(tmp_path), destination)
    assert [p.name for p in destination.iterdir()] == ["keep.txt"]


def test_failed_publish_leaves_no_destination(tmp_path: Path, monkeypatch) -> None:
    """A crash at the final rename (disk full, power loss) leaves no partial release."""
    staging = _staging(tmp_path)
    destination = tmp_path / "release"

    def fail(*_args: object) -> None:
        raise OSError("simulated failure at the final rename")

    monkeypatch.setattr("tasks.publish.publication.os.rename", fail)
    with pytest.raises(OSError):
        publish(staging, destination)
    assert not destination.exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".release")]


def test_the_released_manifest_hashes_to_the_sealed_digest(tmp_path: Path) -> None:
    staging = _staging(tmp_path)
    sealed = candidate_digest(staging)
    destination = tmp_path / "release"
    publish(staging, destination, sealed)
    manifest = (destination / "MANIFEST.sha256").read_bytes()
    assert hashlib.sha256(manifest).hexdigest() == sealed


@pytest.mark.parametrize("change", ["byte", "added", "removed", "renamed"])
def test_a_candidate_changed_after_sealing_is_not_published(tmp_path: Path, change: str) -> None:
    staging = _staging(tmp_path)
    sealed = candidate_digest(staging)
    image = staging / "dicom" / "P1" / "a.dcm"
    if change == "byte":
        image.write_bytes(b"abd")
    elif change == "added":
        (staging / "reports" / "A2.txt").write_text("texte")
    elif change == "removed":
        image.unlink()
    else:
        image.rename(image.with_name("b.dcm"))
    destination = tmp_path / "release"
    with pytest.raises(CandidateChanged):
        publish(staging, destination, sealed)
    assert not destination.exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".release")]
