"""Policy identifying_text, identifier spellings, profile section, templates, evidence."""

from __future__ import annotations

import base64
import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tasks.config.errors import InvalidProfile
from tasks.config.phi import PhiRecord, write_record
from tasks.config.profile import load_profile
from tasks.pixels.evidence import evidence_markdown
from tasks.pixels.matching import IdentifierIndex, looks_identifying
from tasks.pixels.pixel_settings import PixelProfile
from tasks.pixels.pixel_stage import redact_file
from tasks.pixels.templates import load_templates, template_boxes
from tasks.synthetic import make_image, save
from tests.pixels_support import DATA, context, frames_of, redacted_sample, uniform

INDEX = IdentifierIndex.build(
    {
        "names": ["DUPONT^JEAN-PIERRE", "Lefèbvre"],
        "ids": ["PAT-0012345", "ACC998877"],
        "dates": ["19760312"],
    }
)


@pytest.mark.parametrize(
    "text",
    [
        "DUPONT JEAN PIERRE",
        "dupont, jean",
        "Jean-Pierre Dupond",  # one letter off, 6 letters
        "LEFEBVRE",
        "PAT0012345",
        "ID: pat 0012345",
        "acc 998877",
        "12/03/1976",
        "03/12/1976",
        "1976-03-12",
        "12.03.76",
        "12 MAR 1976",
        "12 mars 1976",
        "19760312",
    ],
)
def test_identifying_spellings_match(text: str) -> None:
    assert INDEX.matches(text)


@pytest.mark.parametrize("text", ["L", "R", "kV 120", "mA 250", "5 cm", "TIS0.0 MI 0.6", "AX T2"])
def test_technical_labels_do_not_match(text: str) -> None:
    assert not INDEX.matches(text)
    assert not looks_identifying(text)


def test_unknown_dates_and_long_ids_look_identifying() -> None:
    assert looks_identifying("DOB 01/02/1950")
    assert looks_identifying("MRN 8877665544")


def test_identifying_text_keeps_markers_and_redacts_identifiers(tmp_path: Path) -> None:
    lines = ["DUPONT JEAN", "R", "kV 120", "12/03/1976", "ID PAT0012345", "AXIAL"]
    ds, planted = make_image("SC", 384, lines, seed=21)
    src, dst = tmp_path / "in.dcm", tmp_path / "out.dcm"
    save(ds, src)
    ctx = context(tmp_path, redact="identifying_text")
    record = PhiRecord(
        patient_id="PAT-0012345",
        birth_date="19760312",
        identifiers={"names": ["DUPONT^JEAN"], "dates": ["19760312"]},
    )
    write_record(ctx.workspace, "pol", record, ctx.key)
    outcome = redact_file(src, dst, "pol", ctx)
    assert outcome.ok, outcome.reason
    assert outcome.counts["kept_boxes"] >= 1
    before, after = frames_of(src)[0], frames_of(dst)[0]
    by_text = {p.text: p for p in planted}
    for text in ("DUPONT JEAN", "12/03/1976", "ID PAT0012345"):  # every contrast
        x0, y0, x1, y1 = by_text[text].box  # each identifying line was planted
        assert uniform(after[y0:y1, x0:x1]), f"{text} ({by_text[text].contrast}) survived"
    kept = [by_text[t] for t in ("kV 120", "AXIAL") if t in by_text]
    assert any(
        np.array_equal(
            before[p.box[1] : p.box[3], p.box[0] : p.box[2]],
            after[p.box[1] : p.box[3], p.box[0] : p.box[2]],
        )
        for p in kept
    )


def test_identifying_text_without_a_phi_record_redacts_everything(tmp_path: Path) -> None:
    ds, planted = make_image("SC", 256, ["kV 120", "AXIAL"], seed=2)
    save(ds, tmp_path / "in.dcm")
    ctx = context(tmp_path, redact="identifying_text")
    outcome = redact_file(tmp_path / "in.dcm", tmp_path / "out.dcm", "none", ctx)
    assert outcome.ok
    assert outcome.counts["kept_boxes"] == 0


def test_profile_section_is_validated(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text("name: t\npixels:\n  redact: identifying_text\n  padding_px: 5\n")
    section = load_profile(path).section("pixels")
    assert isinstance(section, PixelProfile)
    assert section.redact == "identifying_text" and section.padding_px == 5
    path.write_text("name: t\npixels:\n  redact: some_text\n")
    with pytest.raises(InvalidProfile, match=r"(?s)pixels.*redact"):
        load_profile(path)
    path.write_text("name: t\npixels:\n  unknown_knob: 1\n")
    with pytest.raises(InvalidProfile, match="unknown_knob"):
        load_profile(path)


def test_shipped_profiles_load() -> None:
    for path in sorted((Path(__file__).resolve().parents[2] / "profiles").glob("*.yaml")):
        assert isinstance(load_profile(path).section("pixels"), PixelProfile)


def test_templates_file_errors_name_the_file_and_field(tmp_path: Path) -> None:
    bad = tmp_path / "templates.yaml"
    bad.write_text("templates:\n  - name: x\n    model: '('\n    regions: [[0, 0, 10, 10]]\n")
    with pytest.raises(InvalidProfile, match=r"templates\.yaml[\s\S]*model"):
        load_templates(bad)
    bad.write_text("templates:\n  - name: y\n    regions: []\n")
    with pytest.raises(InvalidProfile, match="regions"):
        load_templates(bad)


def test_shipped_template_matches_the_philips_banner() -> None:
    import pydicom

    templates = load_templates(PixelProfile().templates_path())
    ds = pydicom.dcmread(DATA / "deid" / "GREYSCALE_IMAGE.dcm", stop_before_pixels=True)
    boxes = template_boxes(templates, ds)
    assert boxes and boxes[0].y0 == 0 and boxes[0].x1 == 1024


def test_evidence_shows_where_not_what(tmp_path: Path) -> None:
    ctx = redacted_sample(tmp_path)
    markdown = evidence_markdown(ctx.workspace)
    assert "| OT |" in markdown and "data:image/png;base64," in markdown
    assert "SECRET" not in markdown
    before_uri = markdown.split("![before](")[1].split(")")[0]
    before = np.asarray(Image.open(io.BytesIO(base64.b64decode(before_uri.split(",")[1]))))
    orange = (before[..., 0] > 200) & (before[..., 1] > 100) & (before[..., 1] < 180)
    assert orange.mean() > 0.01  # the text areas are painted over in the "before"
