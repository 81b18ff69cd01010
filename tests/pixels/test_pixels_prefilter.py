"""The proof of absence (tasks/pixels/prefilter.py): frames it clears skip detection, and
no frame carrying text is ever cleared."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pydicom
import pytest

from tasks.pixels.decode import decode
from tasks.pixels.prefilter import text_free
from tasks.synthetic import make_image
from tests.pixels_support import (
    DATA,
    HARD_CLASSES,
    frames_of,
    make_hard_image,
    make_series_slice,
    redact_dataset,
    uniform,
)

# one line each, drawn by a generator the proof was not tuned on: every contrast, small fonts
SINGLE_LINES = ["GIRAUD^ELODIE", "IPP 55102837", "1961-07-30", "Hôpital Est", "R", "Dr ROUX"]


def _clears(ds: pydicom.Dataset) -> bool:
    image = decode(ds)
    return all(text_free(f, image.photometric, image.lossy_source) for f in image.frames)


@pytest.mark.parametrize("modality", ["CT", "MR", "CR"])
def test_no_single_line_frame_is_cleared(modality: str) -> None:
    seen = 0
    for seed in range(71000, 71036):
        text = SINGLE_LINES[seed % len(SINGLE_LINES)]
        ds, planted = make_image(modality, 384, [text], seed=seed)
        if not planted:
            continue
        seen += 1
        assert not _clears(ds), f"{modality} seed {seed}: a {planted[0].contrast} line cleared"
    assert seen >= 30


@pytest.mark.parametrize("kind", HARD_CLASSES)
def test_no_hard_class_frame_is_cleared(kind: str) -> None:
    for seed in range(72000, 72006):
        ds, planted = make_hard_image(kind, 384, [SINGLE_LINES[seed % 6]], seed=seed)
        assert planted
        assert not _clears(ds), f"{kind} seed {seed} cleared"


def test_a_binary_frame_is_not_judged() -> None:
    frame = np.zeros((128, 128), np.uint8)
    frame[40:52, 20:90:3] = 1  # strokes in a 0/1 image: the threshold cannot sit under them
    assert not text_free(frame, "MONOCHROME2", lossy=False)
    assert not text_free(np.zeros((128, 128), np.uint16), "MONOCHROME2", lossy=False)


@pytest.mark.parametrize(
    "path",
    [
        DATA / "deid" / "GREYSCALE_IMAGE.dcm",
        DATA / "presidio" / "2_ORIGINAL.dcm",
    ],
)
def test_real_images_with_burned_in_text_are_not_cleared(path: Path) -> None:
    if not path.is_file():
        pytest.skip(f"{path.name} not shipped")
    assert not _clears(pydicom.dcmread(path))


def test_text_free_slice_skips_detection_and_is_written_unchanged(tmp_path: Path) -> None:
    ds, _ = make_series_slice("MR", 384, [], seed=73001)
    assert _clears(ds)
    outcome, src, dst, _ = redact_dataset(tmp_path, ds, "free")
    assert outcome.ok, outcome.reason
    assert outcome.counts["frames_prefiltered"] == 1
    assert outcome.counts["frames_detected"] == 0
    assert np.array_equal(frames_of(src), frames_of(dst))
    assert pydicom.dcmread(dst).BurnedInAnnotation == "NO"

    off, _, _, _ = redact_dataset(tmp_path, ds, "off", prefilter="off")
    assert off.ok and off.counts["frames_prefiltered"] == 0
    assert off.counts["frames_detected"] == 1


def test_device_text_on_a_series_slice_is_detected_and_redacted(tmp_path: Path) -> None:
    ds, planted = make_series_slice("MR", 384, ["MERCIER^LOUIS", "PID 4410927"], seed=73002)
    assert not _clears(ds)
    outcome, _, dst, _ = redact_dataset(tmp_path, ds, "text")
    assert outcome.ok, outcome.reason
    assert outcome.counts["frames_detected"] == 1
    after = frames_of(dst)
    for line in planted:
        x0, y0, x1, y1 = line.box
        assert uniform(after[0, y0:y1, x0:x1])


def test_the_profile_switch_reads_unquoted_yaml_on_and_off() -> None:
    import yaml

    from tasks.pixels.pixel_settings import PixelProfile

    for text, expected in (("prefilter: off", "off"), ("prefilter: on", "on"), ("{}", "on")):
        assert PixelProfile(**yaml.safe_load(text)).prefilter == expected
    with pytest.raises(ValueError):
        PixelProfile(prefilter="sometimes")
