"""The ``pixels:`` section of a release profile (validated by pydantic, unknown keys rejected)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

PACKAGE_DIR = Path(__file__).resolve().parent
DEFAULT_TEMPLATES = PACKAGE_DIR / "templates.yaml"


class PixelProfile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # all_text: every detected text box is redacted (safest). identifying_text: a box is
    # redacted when its recognised text matches the dataset's identifying values (any
    # spelling), looks like a date or an identifier, or cannot be read confidently.
    redact: Literal["all_text", "identifying_text"] = "all_text"
    # padding around each detected box: max(padding_px, ratio * line height) above and
    # below, twice that at both ends of the line
    padding_px: int = Field(default=3, ge=0, le=64)
    padding_ratio: float = Field(default=0.25, ge=0, le=2)
    # fill of a redacted box: black for the photometry (min / max stored value, RGB 0) or
    # its local background (median of the box)
    fill: Literal["black", "background"] = "black"
    # detection runs on the frame scaled so its longer side is at most this (no upscaling);
    # 9-10 px text needs the frame near its native size
    detection_max_side: int = Field(default=1280, ge=256, le=4096)
    # frames larger than 1.25 x this are detected on overlapping tiles of this size (0: off);
    # the detector weighs text against its whole input, so faint small text on a big
    # frame scores higher on a tile of its own neighbourhood
    detection_tile_px: int = Field(default=0, ge=0, le=4096)
    # second look (frames whose longer side is at least second_look_min_side; 0: never):
    # each small line and each candidate (a box scoring from candidate_threshold up to
    # box_threshold, or found on the frame scaled down to coarse_side; 0: no coarse view)
    # is detected again on an enlarged strip around it; only what the strip confirms is
    # redacted. Completes lines found in part and faint 9-12 px text. Every frame of 256 px
    # or more by default: on held-out 512² sets it took PHI-line recall from 0.981-0.995 to
    # 0.991-0.998, for about twice the CPU (768 = large frames only, as before)
    second_look_min_side: int = Field(default=256, ge=0, le=8192)
    # found lines up to this tall (box px) get a strip of their own; taller lines have their
    # strip only as candidates. Lines up to 40 px: PHI-line recall the same or +0.002 on six
    # held-out 512² sets, for +35 % CPU; 0 (candidates only): 10-11 images/s, -0.002 to
    # -0.004 (tasks/pixels/README.md, "Which lines get a strip")
    second_look_max_line_px: int = Field(default=18, ge=0, le=40)
    coarse_side: int = Field(default=640, ge=0, le=4096)
    # ... and candidates from a view enlarged to this longer side for frames under 0.8 x it
    # (at most 3x; 0: none): a 9 px name on a 256 px slice is found only there
    enlarged_side: int = Field(default=512, ge=0, le=4096)
    # widen each found line over the pixels on its rows that carry its exact ink value
    # (the detector stops where faint text crosses from a flat background onto anatomy)
    follow_ink: bool = True
    # ... on a lossy-compressed source, a pixel carries the ink when each channel is within
    # this many levels of it (lossless sources: exact values)
    ink_tolerance: int = Field(default=6, ge=0, le=64)
    candidate_threshold: float = Field(default=0.3, gt=0, lt=1)
    # DB detector thresholds (pixel probability, box mean score, box expansion)
    det_threshold: float = Field(default=0.3, gt=0, lt=1)
    box_threshold: float = Field(default=0.5, gt=0, lt=1)
    unclip_ratio: float = Field(default=1.6, ge=1, le=4)
    # identifying_text policy: recognition confidence under which a box is redacted anyway
    min_recognition_score: float = Field(default=0.8, ge=0, le=1)
    # also detect on a full-range (min-max) rendering of >8-bit greyscale frames, where text
    # hidden by the viewer's window shows
    full_range_rendering: bool = True
    # proof of absence before detection (tasks/pixels/prefilter.py): a greyscale frame of a
    # lossless source whose stored values hold no stroke-like cluster above its own noise
    # is not detected on (counted frames_prefiltered); off: every frame is detected
    prefilter: Literal["off", "on"] = "on"
    # verification: re-detect on the redacted frames; text found again is redacted and
    # verified again, up to max_rounds passes in all; still text -> quarantine
    max_rounds: int = Field(default=5, ge=2, le=8)
    # a detection taller than max(px, ratio * frame height) is not a text line (a head or an
    # organ can look like a giant "O"): the stage looks inside it again with strict
    # thresholds and redacts the line-sized text found there; a region still huge is read
    # by the recogniser and redacted when it holds 3 characters or more, else left alone
    max_text_height_px: int = Field(default=64, ge=8)
    # detections smaller than this both ways (a 9 px glyph's box is ~15 px) are ticks or
    # dots, not legible text: counted, not redacted
    min_text_box_px: int = Field(default=10, ge=0, le=32)
    max_text_height_ratio: float = Field(default=0.15, gt=0, le=1)
    # verification: a detection away from every fill (the frame there is what pass 1
    # scanned) must score at least this to count; next to a fill the normal threshold holds
    verify_far_threshold: float = Field(default=0.7, ge=0, le=1)
    # fixed regions per manufacturer/model/SOP class, applied in addition to OCR
    templates: Path = DEFAULT_TEMPLATES
    # onnxruntime intra-op threads per process; 0 = $CLEARANCE_OCR_THREADS, else
    # cores // $CLEARANCE_WORKERS (1 when the flow runs one process per core)
    threads: int = Field(default=0, ge=0, le=64)
    # up to this many before/after thumbnail pairs are kept as evidence for the DPO
    evidence_thumbnails: int = Field(default=12, ge=0, le=500)
    thumbnail_px: int = Field(default=256, ge=64, le=1024)
    # where the DPO sees them: "ui" (in the gate's pixels artifact, so in the Prefect
    # database) or "workspace" (a shared site server: the artifact names them, the pictures
    # stay in the secure zone under evidence/pixels/thumbnails)
    thumbnails_shown_in: Literal["ui", "workspace"] = "ui"
    # overlays (60xx) are removed; graphic annotations removed too (Clean Graphics)
    remove_overlays: bool = True

    @field_validator("prefilter", mode="before")
    @classmethod
    def _on_off(cls, value: object) -> object:
        """YAML 1.1 reads an unquoted ``on`` / ``off`` as a boolean: take it as meant."""
        return {True: "on", False: "off"}.get(value, value) if isinstance(value, bool) else value

    def templates_path(self) -> Path:
        path = self.templates
        return path if path.is_absolute() else (PACKAGE_DIR.parent.parent / path)
