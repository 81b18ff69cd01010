"""Known-region templates: every shipped template matches the header it was written for and
fills its regions; headers it was not written for get nothing; the file is validated."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pydicom
import pytest
from pydicom.dataset import Dataset

from tasks.config.errors import InvalidProfile
from tasks.pixels.pixel_settings import PixelProfile
from tasks.pixels.pixel_stage import redact_file
from tasks.pixels.templates import Template, load_templates, matching_templates, template_boxes
from tasks.synthetic import make_image, save
from tests.pixels_support import context, filled_boxes, frames_of, outside_mask, uniform

SHIPPED = load_templates(PixelProfile().templates_path())
DEFAULT_SIZE = (768, 1024)  # rows, columns when neither the template nor its example says


def _example_dataset(template: Template) -> Dataset:
    """A header with exactly the attributes the template's example lists."""
    ds = Dataset()
    ds.SOPClassUID = (
        template.sop_classes[0] if template.sop_classes else "1.2.840.10008.5.1.4.1.1.7"
    )
    ds.Rows = template.rows or DEFAULT_SIZE[0]
    ds.Columns = template.columns or DEFAULT_SIZE[1]
    for keyword, value in template.example.items():
        setattr(ds, keyword, value)
    return ds


def test_shipped_file_has_a_library_of_templates() -> None:
    assert len(SHIPPED) >= 12
    assert len({t.name for t in SHIPPED}) == len(SHIPPED)
    assert all(t.example for t in SHIPPED), "every template documents the header it is for"
    kinds = " ".join(t.name for t in SHIPPED)
    assert "us" in kinds and "dose" in kinds and "scanned-document" in kinds


@pytest.mark.parametrize("template", SHIPPED, ids=lambda t: t.name)
def test_each_template_matches_its_example(template: Template) -> None:
    ds = _example_dataset(template)
    assert template.matches(ds)
    assert template.name in [t.name for t in matching_templates(SHIPPED, ds)]
    width, height = int(ds.Columns), int(ds.Rows)
    boxes = template.boxes(width, height)
    assert len(boxes) == len(template.regions)
    for box in boxes:
        assert 0 <= box.x0 < box.x1 <= width and 0 <= box.y0 < box.y1 <= height
    assert all(box in template_boxes(SHIPPED, ds) for box in boxes)


@pytest.mark.parametrize("template", SHIPPED, ids=lambda t: t.name)
def test_each_template_needs_all_its_conditions(template: Template) -> None:
    """Break one condition at a time: the template no longer applies."""
    broken: list[Dataset] = []
    if template.manufacturer is not None:
        ds = _example_dataset(template)
        ds.Manufacturer = "Acme Imaging"
        broken.append(ds)
    if template.model is not None:
        ds = _example_dataset(template)
        ds.ManufacturerModelName = "Model Z"
        broken.append(ds)
    if template.sop_classes:
        ds = _example_dataset(template)
        ds.SOPClassUID = "1.2.840.10008.5.1.4.1.1.4"  # MR Image Storage
        broken.append(ds)
    if template.rows is not None:
        ds = _example_dataset(template)
        ds.Rows = template.rows + 1
        broken.append(ds)
    if template.columns is not None:
        ds = _example_dataset(template)
        ds.Columns = template.columns + 1
        broken.append(ds)
    for keyword in template.header:
        ds = _example_dataset(template)
        if keyword in ds:
            delattr(ds, keyword)
        broken.append(ds)
    assert broken, "a template without conditions would apply to every image"
    for ds in broken:
        assert not template.matches(ds)


def test_unmatched_headers_get_no_regions() -> None:
    headers = [
        ("SIEMENS", "SOMATOM Force", "1.2.840.10008.5.1.4.1.1.2", 512, 512, "Thorax 1.0"),
        ("GE MEDICAL SYSTEMS", "Discovery MR750", "1.2.840.10008.5.1.4.1.1.4", 256, 256, "T2"),
        ("Acme", "Sono 1", "1.2.840.10008.5.1.4.1.1.6.1", 768, 1024, "Abdomen"),
        ("GE Healthcare", "Revolution CT", "1.2.840.10008.5.1.4.1.1.2", 512, 512, "low dose"),
        ("Philips", "iCT 256", "1.2.840.10008.5.1.4.1.1.7", 512, 512, "Screen capture"),
        ("Gendex", "LOGIQ-like", "1.2.840.10008.5.1.4.1.1.6.1", 720, 960, "US"),  # not GE
    ]
    for manufacturer, model, sop_class, rows, columns, series in headers:
        ds = Dataset()
        ds.Manufacturer, ds.ManufacturerModelName, ds.SOPClassUID = manufacturer, model, sop_class
        ds.Rows, ds.Columns, ds.SeriesDescription = rows, columns, series
        assert matching_templates(SHIPPED, ds) == [], model
        assert template_boxes(SHIPPED, ds) == []
    secondary_capture = Dataset()
    secondary_capture.SOPClassUID = "1.2.840.10008.5.1.4.1.1.7"
    secondary_capture.Rows, secondary_capture.Columns = 1100, 850
    secondary_capture.ConversionType = "WSD"  # a workstation capture, not a scanned page
    assert template_boxes(SHIPPED, secondary_capture) == []


def test_fraction_and_pixel_regions() -> None:
    band = Template(name="band", model="x", units="fraction", regions=[(0, 0, 1, 0.08)])
    boxes = band.boxes(960, 720)
    assert [(b.x0, b.y0, b.x1, b.y1) for b in boxes] == [(0, 0, 960, 58)]  # 57.6 rounded out
    edge = Template(name="edge", model="x", regions=[(0, -40, -1, -1), (10, 0, 20, 5)])
    assert [(b.x0, b.y0, b.x1, b.y1) for b in edge.boxes(100, 200)] == [
        (0, 160, 100, 200),
        (10, 0, 20, 5),
    ]
    ds = Dataset()
    ds.ImageType = ["DERIVED", "SECONDARY", "SCREEN SAVE"]
    assert Template(
        name="h", header={"ImageType": r"secondary\\screen"}, regions=[(0, 0, 1, 1)]
    ).matches(ds)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ("header: {NotAKeyword: 'x'}\n    regions: [[0, 0, 10, 10]]", "header"),
        ("header: {SeriesDescription: '('}\n    regions: [[0, 0, 10, 10]]", "header"),
        ("units: fraction\n    regions: [[0, 0, 1.5, 0.1]]", "regions"),
        ("units: fraction\n    regions: [[0.5, 0, 0.2, 0.1]]", "regions"),
        ("regions: [[0, 0, 10.5, 10]]", "regions"),
        ("regions: [[20, 0, 10, 10]]", "regions"),
        ("units: inches\n    regions: [[0, 0, 1, 1]]", "units"),
        ("example: {Nope: 1}\n    regions: [[0, 0, 1, 1]]", "example"),
    ],
)
def test_invalid_templates_name_file_and_field(tmp_path: Path, body: str, field: str) -> None:
    path = tmp_path / "bad-templates.yaml"
    path.write_text(f"templates:\n  - name: t\n    model: m\n    {body}\n")
    with pytest.raises(InvalidProfile, match=rf"bad-templates\.yaml[\s\S]*{field}"):
        load_templates(path)


def test_duplicate_names_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "dup.yaml"
    entry = "  - name: same\n    model: m\n    regions: [[0, 0, 1, 1]]\n"
    path.write_text("templates:\n" + entry + entry)
    with pytest.raises(InvalidProfile, match="unique"):
        load_templates(path)


def test_template_band_is_filled_in_every_frame(tmp_path: Path) -> None:
    """A GE LOGIQ cine: the top 8 % is filled in every frame on top of what OCR finds."""
    ds, planted = make_image("US", 256, ["DOE^JOHN", "ID 5566778899"], frames=3, seed=4)
    ds.Manufacturer, ds.ManufacturerModelName = "GE Healthcare", "LOGIQ E10"
    src, dst = tmp_path / "in.dcm", tmp_path / "out.dcm"
    save(ds, src)
    ctx = context(tmp_path)
    outcome = redact_file(src, dst, "tpl", ctx)
    assert outcome.ok, outcome.reason
    assert outcome.counts["template_boxes"] == 1
    before, after = frames_of(src), frames_of(dst)
    band = int(np.ceil(0.08 * 256))
    boxes = filled_boxes(ctx, "tpl")
    for frame in range(3):
        assert uniform(after[frame, :band, :])
        assert [frame, 0, 0, 256, band] in boxes
        keep = outside_mask(after.shape[1:3], boxes, frame)
        assert np.array_equal(before[frame][keep], after[frame][keep])
    for line in planted:
        x0, y0, x1, y1 = line.box
        assert all(uniform(after[f, y0:y1, x0:x1]) for f in line.frames)
    assert pydicom.dcmread(dst).BurnedInAnnotation == "NO"


def test_scanned_document_page_is_filled_whole(tmp_path: Path) -> None:
    ds, _ = make_image("SC", 256, ["REQUEST FORM", "DOE^JANE 12/03/1976"], seed=6)
    ds.ConversionType = "SD"
    src, dst = tmp_path / "in.dcm", tmp_path / "out.dcm"
    save(ds, src)
    outcome = redact_file(src, dst, "doc", context(tmp_path))
    assert outcome.ok, outcome.reason
    assert outcome.counts["template_boxes"] == 1
    after = frames_of(dst)
    assert uniform(after[0])  # nothing of the page is left
