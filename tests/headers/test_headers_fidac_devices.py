"""The FIDAC profile says, attribute by attribute, which device attributes are removed and which
replaced by a dummy value, and the header stage does what it says."""

from __future__ import annotations

from pathlib import Path

import pydicom
import yaml

from tasks.headers.header_stage import anonymise_file
from tasks.synthetic.demo_inputs import build_demo
from tests.headers.test_headers_support import ROOT, make_ctx

DEVICE = ["Manufacturer", "ManufacturerModelName", "SoftwareVersions", "StationName",
          "DeviceSerialNumber"]  # fmt: skip


def test_fidac_device_attributes_are_removed_or_emptied_as_the_profile_says(
    tmp_path: Path,
) -> None:
    profile = yaml.safe_load((ROOT / "profiles" / "fidac.yaml").read_text(encoding="utf-8"))
    said = {name: profile["headers"]["overrides"][name]["action"] for name in DEVICE}
    assert set(said.values()) <= {"X", "Z", "D"}  # each one declared: removed, emptied, replaced
    assert said["StationName"] == said["DeviceSerialNumber"] == "X"
    demo = build_demo(tmp_path / "in", patients=1, image_size=64, with_junk=False)
    ctx = make_ctx(tmp_path, "fidac")
    sources = sorted(p for p in demo.dicom.rglob("*") if p.is_file())
    for index, src in enumerate(sources):
        before = pydicom.dcmread(src, stop_before_pixels=True)
        assert all(before.get(name) for name in DEVICE)  # the inputs do carry them
        dst = tmp_path / "out" / f"{index}.dcm"
        assert anonymise_file(src, dst, f"i{index}", ctx).ok
        after = pydicom.dcmread(dst, stop_before_pixels=True)
        for name, action in said.items():
            if action == "X":
                assert name not in after, name
            elif action == "Z":
                assert name in after and after[name].value in ("", None), name
            else:
                assert after[name].value == "ANONYMOUS", name
