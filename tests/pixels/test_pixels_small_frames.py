"""Small frames (256 px CT/MR slices) carry the smallest burned-in text: a legible 9 px name
over soft tissue gives the detector nothing at the frame's own size. The frame is also
detected enlarged (``enlarged_side``), its boxes confirmed by the second look.

Measured on the demo generator (regression data, 256 px, lines in every contrast): seed 7,
2 patients, 14 images: 1 line missed without the enlarged view, 0 with it; seed 11, 4 patients,
109 lines: 3 missed without, 2 with (a 10 px line in a range the viewer's window hides and
a low-contrast 10 px line over a dark organ), for +60 % pixel-stage CPU on such frames."""

from __future__ import annotations

from pathlib import Path

from tasks.config.profile import ReleaseProfile
from tasks.pixels.pixel_settings import PixelProfile
from tasks.pixels.pixel_stage import redact_file
from tasks.runtime.stage_contract import StageContext
from tasks.runtime.workspace import Workspace
from tasks.synthetic.demo_inputs import build_demo
from tests.pixels_support import frames_of, uniform


def _missed_lines(tmp_path: Path, enlarged_side: int) -> list[str]:
    demo = build_demo(tmp_path / "in", patients=2, image_size=256)
    ws = Workspace(tmp_path / "ws", "t")
    ws.create()
    pixels = PixelProfile(enlarged_side=enlarged_side)
    ctx = StageContext(ws, ReleaseProfile(name="t", sections={"pixels": pixels}), b"k" * 32, None)
    missed = []
    for index, (src, lines) in enumerate(sorted(demo.planted_text.items())):
        dst = tmp_path / f"{index}.dcm"
        outcome = redact_file(src, dst, f"d{index:06d}", ctx)
        assert outcome.ok, outcome.reason
        frames = frames_of(dst)
        for line in lines:
            x0, y0, x1, y1 = line.box
            if not all(uniform(frames[f, y0:y1, x0:x1]) for f in line.frames):
                missed.append(f"{src.parent.name}/{src.name}: {line.font_px} px {line.contrast}")
    return missed


def test_every_burned_in_line_of_256_px_slices_is_filled(tmp_path: Path) -> None:
    assert _missed_lines(tmp_path, enlarged_side=512) == []


def test_without_the_enlarged_view_a_small_faint_name_is_missed(tmp_path: Path) -> None:
    assert _missed_lines(tmp_path, enlarged_side=0) == ["20210703 CT/IM0003: 9 px low"]
