from pathlib import Path

import pytest
import yaml

from tasks.config.errors import InvalidProfile, InvalidRequest
from tasks.config.profile import load_profile
from tasks.config.request import load_request, release_blockers
from tests.conftest import write_request


def test_valid_request_resolves_paths_against_its_folder(tmp_path: Path) -> None:
    request = load_request(write_request(tmp_path))
    assert request.request_id == "test-001"
    assert request.inputs.dicom == (tmp_path / "in").resolve()
    assert request.workspace == (tmp_path / "ws").resolve()
    assert request.profile.name == "default.yaml"
    assert request.profile.is_file()


@pytest.mark.parametrize(
    ("override", "field"),
    [
        ({"request_id": "Bad ID!"}, "request_id"),
        ({"approvers": []}, "approvers"),
        ({"inputs": {"dicom": "in", "pacs": "x"}}, "inputs.pacs"),
        ({"unexpected": 1}, "unexpected"),
        ({"inputs": {"dicom": "missing"}}, "inputs.dicom"),
        ({"destination": "in/out"}, "destination"),
        ({"profile": "no-such-profile"}, "profile"),
    ],
)
def test_invalid_request_names_the_field(tmp_path: Path, override: dict, field: str) -> None:
    with pytest.raises(InvalidRequest) as error:
        load_request(write_request(tmp_path, **override))
    assert field in str(error.value)


def test_missing_required_field_is_named(tmp_path: Path) -> None:
    path = write_request(tmp_path)
    data = yaml.safe_load(path.read_text())
    del data["purpose"]
    path.write_text(yaml.safe_dump(data))
    with pytest.raises(InvalidRequest, match="purpose"):
        load_request(path)


def test_shipped_profiles_validate() -> None:
    root = Path(__file__).resolve().parents[2] / "profiles"
    names = sorted(p.stem for p in root.glob("*.yaml"))
    assert {"basic", "default", "fidac"} <= set(names)
    for name in names:
        assert load_profile(root / f"{name}.yaml").name == name


def test_profile_with_unknown_section_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text("name: x\nheaderz: {}\n")
    with pytest.raises(InvalidProfile, match="headerz"):
        load_profile(path)


def test_profile_extends_another_and_overrides_one_key(tmp_path: Path) -> None:
    child = tmp_path / "child.yaml"
    child.write_text("extends: default\nname: child\ngate:\n  timeout_minutes: 5\n")
    profile = load_profile(child)
    base = load_profile(Path(__file__).resolve().parents[2] / "profiles" / "default.yaml")
    assert profile.name == "child" and profile.gate.timeout_minutes == 5
    assert profile.batch_size == base.batch_size
    assert profile.section("headers") == base.section("headers")


def test_profile_extends_cycle_is_rejected(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("extends: b.yaml\nname: a\n")
    (tmp_path / "b.yaml").write_text("extends: a.yaml\nname: b\n")
    with pytest.raises(InvalidProfile, match="cycle"):
        load_profile(tmp_path / "a.yaml")


def test_an_empty_dicom_folder_is_refused_before_anything_runs(tmp_path: Path) -> None:
    (tmp_path / "in" / "empty-subfolder").mkdir(parents=True)
    request = load_request(write_request(tmp_path))
    assert release_blockers(request) == ["inputs.dicom: folder holds no file"]
    (tmp_path / "in" / "empty-subfolder" / "IM0001").write_bytes(b"not checked here")
    assert release_blockers(request) == []


def test_a_used_destination_is_refused_before_anything_runs(tmp_path: Path) -> None:
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "IM0001").write_bytes(b"x")
    request = load_request(write_request(tmp_path))
    (tmp_path / "out").mkdir()
    assert release_blockers(request) == []  # an empty destination folder is fine
    (tmp_path / "out" / "MANIFEST.sha256").write_text("")
    assert release_blockers(request) == ["destination: already holds a release (or other files)"]
