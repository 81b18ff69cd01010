"""Scanning one frame for text: detection on each rendering, then the rules that keep it
about text lines (specks, huge blobs, patch artifacts) and the redaction policy.

See tasks/pixels/README.md ("What the verifier looks at") for why each rule cannot hide a
legible line.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from tasks.pixels.boxes import Box, unique
from tasks.pixels.matching import IdentifierIndex, looks_identifying
from tasks.pixels.ocr import TextEngine
from tasks.pixels.render import Renderer
from tasks.pixels.seamless import seamless


@dataclass
class Policy:
    """Which detected boxes must go: all of them, or those whose text is identifying."""

    engine: TextEngine
    identifying_only: bool
    index: IdentifierIndex | None
    min_score: float

    def select(self, image: np.ndarray, boxes: list[Box]) -> tuple[list[Box], int]:
        """Boxes to redact among ``boxes`` (found on ``image``), and how many are kept."""
        if not self.identifying_only or self.index is None or not boxes:
            return boxes, 0
        readings = self.engine.recognise(image, boxes)
        doomed = [
            box
            for box, reading in zip(boxes, readings, strict=True)
            if reading.score < self.min_score
            or looks_identifying(reading.text)
            or self.index.matches(reading.text)
        ]
        return doomed, len(boxes) - len(doomed)


@dataclass
class FrameScan:
    """Text boxes to redact on one frame, found on all of its renderings."""

    redact: list[Box]
    detected: int
    kept: int
    blobs: int = 0  # huge detections that read as at most two characters: not text lines
    artifacts: int = 0  # detections on a redacted frame with nothing but flat pixels outside fills
    specks: int = 0  # detections smaller than min_side both ways (ticks, dots)
    faint: int = 0  # verification: detections away from fills, under the confident score
    textures: int = 0  # faint detections read as at most one unsure character: tissue


# a detection scoring under MAX_DETECTION_OF_TEXTURE is tissue texture, not text, when the
# recogniser reads at most MAX_CHARACTERS_OF_TEXTURE characters in it with a score under
# MAX_SCORE_OF_TEXTURE: on text-free CT slices the detector takes organ edges for glyphs
# ("", "2" at 0.37, "V" at 0.45); of 3 579 true boxes on three 512² sets none was read so
# (the lowest one-character reading: "A" at 0.76). README, "Texture read as text".
MAX_DETECTION_OF_TEXTURE = 0.7
MAX_CHARACTERS_OF_TEXTURE = 1
MAX_SCORE_OF_TEXTURE = 0.5

MIN_CHARACTERS_IN_HUGE_TEXT = 3
# a huge region is text only when read this confidently: the recogniser reads a CT body as
# "COELLL" (0.40) or "COS" (0.72) and a whole slice would be filled; real 90-140 px text
# reads at 0.80-1.00 (tests/pixels/test_pixels_huge_regions.py)
MIN_SCORE_OF_HUGE_TEXT = 0.75


@dataclass(frozen=True)
class ScanRules:
    """Sizes and scores that decide what counts as a text line (see the profile fields)."""

    max_text_height: int | None = None  # taller: a huge region, not a line
    min_side: int = 0  # smaller both ways: a speck
    tile: int = 0  # detect on overlapping tiles of this size (0: whole frame)
    confident: float = 0.0  # verification, away from the fills: minimum detector score
    # second look: on frames whose longer side is at least this (0: never), each small line
    # and each candidate is looked at again on a local enlarged strip (see second_look)
    second_look_min_side: int = 256
    # ... around found lines up to this tall (taller ones are seeds only as candidates)
    second_look_max_line: int = 18
    # ... where the whole frame is also detected scaled down to this longer side (0: not),
    # its boxes taken as candidates for the second look
    coarse_side: int = 640
    # ... and a frame whose longer side is under 0.8 x this is also detected enlarged to
    # it (0: not): on a 256 px slice a 9 px line is below what the detector sees at all
    enlarged_side: int = 512


def scan_frame(
    frame: np.ndarray,
    renderer: Renderer,
    engine: TextEngine,
    policy: Policy,
    rules: ScanRules = ScanRules(),
    filled: list[Box] | None = None,
    first_look: bool = False,
) -> FrameScan:
    """Detect on every rendering of ``frame``; ``filled`` areas are shown seamlessly patched.

    Pass 1 (no ``filled``): every line-sized detection counts; huge ones go through
    ``_resolve_huge``. Verification (``filled`` given) looks for what the redaction left:
    residue of a line sits next to a fill, so detections touching the fills (grown by a
    line height) count at the normal threshold; elsewhere the frame is exactly what pass 1
    scanned, and once its text is gone the detector starts reading organs as glyphs, so a
    detection there must score ``rules.confident`` or more. Huge regions are never redacted in
    verification (a residue or a missed line is line-sized; the strict second look inside
    them still finds line-sized text). A frame pass 1 did not look at (another frame of a
    cine) gets pass-1 rules away from the fills on its ``first_look``.

    On large frames (``rules.second_look_min_side``), pass 1 and first looks also detect on
    a coarse view of the frame and take a second look (``second_look``) around every small
    line and every candidate: faint small text is found whole. Verification does not: what
    it must prove is that the fills left nothing, at the scale pass 1 found the text.

    Pass 1 and first looks drop faint detections the recogniser reads as nothing
    (``without_texture``): tissue texture, not text.
    """
    redact: list[Box] = []
    detected = kept = blobs = artifacts = specks = faint = textures = 0
    verifying = bool(filled)
    mask = filled_mask(frame.shape[:2], filled or [])
    big = rules.second_look_min_side > 0 and max(frame.shape[:2]) >= rules.second_look_min_side
    completing = big and (first_look or not verifying)
    for rendering in renderer.renderings(seamless(frame, filled or [])):
        lines: list[Box] = []
        huge: list[Box] = []
        found_boxes, candidates = detect_tiled(engine, rendering, rules.tile)
        if completing and rules.coarse_side:  # seeds only: a strip must confirm them
            candidates = unique(candidates + detect_coarse(engine, rendering, rules.coarse_side))
        if completing and rules.enlarged_side:  # seeds only, likewise
            candidates = unique(
                candidates + detect_enlarged(engine, rendering, rules.enlarged_side)
            )
        for box in found_boxes:
            if box.width < rules.min_side and box.height < rules.min_side:
                specks += 1  # smaller than the box of any legible glyph
                continue
            tallest = rules.max_text_height
            (lines if tallest is None or box.height <= tallest else huge).append(box)
        if huge:
            found, ignored = _resolve_huge(
                rendering,
                huge,
                engine,
                rules.max_text_height or 0,
                read_huge=first_look or not verifying,
            )
            lines += found
            blobs += ignored
        if completing:
            lines = second_look(
                engine, rendering, lines, candidates, rules.min_side, rules.second_look_max_line
            )
        if first_look or not verifying:
            lines, tissue = without_texture(engine, rendering, lines)
            textures += tissue
        if verifying and mask is not None:
            real = [box for box in lines if not _patch_artifact(rendering, mask, box)]
            artifacts += len(lines) - len(real)
            near = [box for box in real if _near_fill(box, filled or [])]
            threshold = 0.0 if first_look else rules.confident
            sure = [box for box in real if box not in near and box.score >= threshold]
            faint += len(real) - len(near) - len(sure)
            lines = near + sure
        detected += len(lines)
        chosen, skipped = policy.select(rendering, lines)
        kept += skipped
        redact.extend(chosen)
    return FrameScan(unique(redact), detected, kept, blobs, artifacts, specks, faint, textures)


def without_texture(
    engine: TextEngine, rendering: np.ndarray, lines: list[Box]
) -> tuple[list[Box], int]:
    """``lines`` less those that are tissue texture, and how many there were.

    Only faint detections (under ``MAX_DETECTION_OF_TEXTURE``) are judged, by what the
    recogniser reads in them: at most ``MAX_CHARACTERS_OF_TEXTURE`` characters read with a
    score under ``MAX_SCORE_OF_TEXTURE`` is texture. A box the recogniser cannot read even
    one character of with some confidence carries nothing identifying; a real line found
    in part reads as its glyphs.
    """
    faint = [box for box in lines if box.score < MAX_DETECTION_OF_TEXTURE]
    if not faint:
        return lines, 0
    tissue = [
        box
        for box, reading in zip(faint, engine.recognise(rendering, faint), strict=True)
        if sum(c.isalnum() for c in reading.text) <= MAX_CHARACTERS_OF_TEXTURE
        and reading.score < MAX_SCORE_OF_TEXTURE
    ]
    return [box for box in lines if box not in tissue], len(tissue)


def _near_fill(box: Box, filled: list[Box]) -> bool:
    reach = max(8, box.height)
    grown = Box(box.x0 - reach, box.y0 - reach, box.x1 + reach, box.y1 + reach)
    return any(grown.intersects(f) for f in filled)


def detect_tiled(engine: TextEngine, image: np.ndarray, tile: int) -> tuple[list[Box], list[Box]]:
    """Detection (boxes, candidates) on overlapping tiles of about ``tile`` px (0: whole image).

    The detector weighs text against the rest of its input: on a large frame, faint small
    text next to a big bright body scores lower than on a tile of its own neighbourhood.
    Tiles overlap by a quarter so a line cut by one tile edge is whole in the next.
    """
    height, width = image.shape[:2]
    if tile <= 0 or max(height, width) <= tile * 5 // 4:
        return engine.detect_with_candidates(image)
    boxes: list[Box] = []
    candidates: list[Box] = []
    for y0 in _starts(height, tile):
        for x0 in _starts(width, tile):
            sure, faint = engine.detect_with_candidates(image[y0 : y0 + tile, x0 : x0 + tile])
            boxes += [b.shifted(x0, y0) for b in sure]
            candidates += [b.shifted(x0, y0) for b in faint]
    return unique(boxes), unique(candidates)


def detect_coarse(engine: TextEngine, image: np.ndarray, side: int) -> list[Box]:
    """Detection on ``image`` scaled down so its longer side is ``side`` (frame coordinates).

    On some large frames the detector misses even plain, bright 20 px lines that it finds
    on the same frame scaled down (measured: a 1024 px secondary capture whose three
    header lines only the 640 px view found): a second, coarse view costs 40 % of a
    full-size detection at 1024 px.
    """
    factor = side / max(image.shape[:2])
    if factor >= 1:
        return []
    return _detect_scaled(engine, image, factor, cv2.INTER_AREA)


MAX_ENLARGEMENT = 3  # a smaller frame is enlarged at most this much


def detect_enlarged(engine: TextEngine, image: np.ndarray, side: int) -> list[Box]:
    """Detection on ``image`` enlarged so its longer side is ``side``, at most
    ``MAX_ENLARGEMENT`` times (frame coordinates); nothing for a frame already near that.

    The detector does not see text a few pixels tall: on a 256 px CT slice a legible 9 px
    name over soft tissue gave no box at all, and the same frame enlarged twice gave it at
    0.78. Small frames are the ones whose burned-in text is smallest (256 px MR and CT),
    and one enlarged view costs what a detection of a ``side`` px frame does.
    """
    factor = min(side / max(image.shape[:2]), MAX_ENLARGEMENT)
    if factor < 1.25:
        return []
    return _detect_scaled(engine, image, factor, cv2.INTER_CUBIC)


def _detect_scaled(engine: TextEngine, image: np.ndarray, factor: float, how: int) -> list[Box]:
    """Detection on ``image`` resized by ``factor``, boxes mapped back to its coordinates."""
    height, width = image.shape[:2]
    resized = cv2.resize(image, None, fx=factor, fy=factor, interpolation=how)
    return [
        Box(
            int(box.x0 / factor),
            int(box.y0 / factor),
            int(np.ceil(box.x1 / factor)),
            int(np.ceil(box.y1 / factor)),
            box.score,
        ).clipped(width, height)
        for box in engine.detect(resized)
    ]


SECOND_LOOK_REACH = 3  # line heights searched beyond each end of a line
SECOND_LOOK_MIN_REACH = 48  # px, at least
SECOND_LOOK_ROUNDS = 2  # what a strip adds to a line is looked beyond once more
SECOND_LOOK_MAX_CANDIDATES = 48  # best-scoring candidates looked at, per rendering (cost cap)
SECOND_LOOK_SLACK = 12  # px: a box on a strip is on the seed's line up to 2 x its height + this
SECOND_LOOK_MARGIN = 1  # line heights above and below it
SECOND_LOOK_SCALE = 2  # strips are enlarged this much (a 9 px font reads as 18 px)
SECOND_LOOK_MAX_HEIGHT = 40  # px: taller lines (fonts over ~28 px) are found whole
# a line on another row of a strip counts when the strip scores it this high (else only
# boxes on the seed's own row are taken) and it is at least this long
SECOND_LOOK_NEIGHBOUR_SCORE = 0.7
SECOND_LOOK_NEIGHBOUR_MIN_PX = 10
SECOND_LOOK_NEW_PX = 12  # px: a later round's strip must reach past the strips looked at


def second_look(
    engine: TextEngine,
    image: np.ndarray,
    lines: list[Box],
    candidates: list[Box],
    min_side: int = 0,
    max_line: int = SECOND_LOOK_MAX_HEIGHT,
) -> list[Box]:
    """``lines`` completed, plus the candidates confirmed, by detection on enlarged strips.

    On a large frame the detector finds only part of some faint small lines (it stops at a
    space, or before glyphs over brighter anatomy) and scores others under its threshold.
    Around each line up to ``max_line`` px tall (the small faint text this is for; a taller
    line's strip rarely adds anything since lines found in part are followed along their
    ink, see ink.py), and each candidate (a detection scoring under the threshold that no
    line covers), a strip reaching ``SECOND_LOOK_REACH`` line heights (at least
    ``SECOND_LOOK_MIN_REACH`` px) beyond both ends is detected again, enlarged
    ``SECOND_LOOK_SCALE`` times, at the normal thresholds: a 9 px font read at 18 px,
    against its own neighbourhood, is found whole. Boxes found there on the seed's line
    (rows overlapping by half the smaller height, at most twice as tall plus
    ``SECOND_LOOK_SLACK``: the enlarged detection's boxes are looser) are added, and looked
    beyond once more when they reach past what was known. At most
    ``SECOND_LOOK_MAX_CANDIDATES`` candidates are looked at, the best-scoring first (a noisy
    frame must not cost hundreds of strips; the bench sets and the public samples have
    under 30). A candidate itself is never added, only what a strip confirms; boxes of a
    strip on other rows are added only when whole inside it and scored at least
    ``SECOND_LOOK_NEIGHBOUR_SCORE`` (faint lines stacked next to a found one). A box of the
    second round whose strip lies within a strip of the first round, give or take
    ``SECOND_LOOK_NEW_PX`` on each side, is not looked at again: most are the first round's
    line found again with a box a few pixels looser, and their strip would show nothing new.
    """
    seeds = [b for b in lines if b.height <= min(max_line, SECOND_LOOK_MAX_HEIGHT)]
    faint = [
        b
        for b in candidates
        if b.height <= SECOND_LOOK_MAX_HEIGHT
        and (b.width >= min_side or b.height >= min_side)
        and not any(line.intersects(b) for line in lines)
    ]
    seeds += sorted(faint, key=lambda b: -b.score)[:SECOND_LOOK_MAX_CANDIDATES]
    height, width = image.shape[:2]
    found: list[Box] = []
    looked: list[Box] = []  # strips detected on in earlier rounds
    for _ in range(SECOND_LOOK_ROUNDS):
        strips = [strip_around(seed, width, height) for seed in seeds]
        fresh = [i for i, strip in enumerate(strips) if not looked_at(strip, looked)]
        looked += [strips[i] for i in fresh]
        extra = [
            box for i in fresh for box in _same_line_in_strip(engine, image, seeds[i], strips[i])
        ]
        known = unique(lines + found)
        new = [box for box in unique(extra) if not any(k.contains(box) for k in known)]
        found += new
        seeds = [box for box in new if box.height <= SECOND_LOOK_MAX_HEIGHT]
        if not seeds:
            break
    return unique(lines + found) if found else lines


def _same_line_in_strip(engine: TextEngine, image: np.ndarray, seed: Box, around: Box) -> list[Box]:
    """Boxes on ``seed``'s line (or whole confident neighbour lines) found on the enlarged
    strip ``around`` it (``strip_around``), in frame coordinates."""
    height, width = image.shape[:2]
    size = seed.height
    x0, y0, x1, y1 = around.x0, around.y0, around.x1, around.y1
    scale = SECOND_LOOK_SCALE
    strip = cv2.resize(image[y0:y1, x0:x1], None, fx=scale, fy=scale, interpolation=cv2.INTER_CUBIC)
    same_line = []
    for found in engine.detect(strip):
        box = Box(
            x0 + found.x0 // scale,
            y0 + found.y0 // scale,
            x0 + -(-found.x1 // scale),
            y0 + -(-found.y1 // scale),
            found.score,
        ).clipped(width, height)
        overlap = min(box.y1, seed.y1) - max(box.y0, seed.y0)
        on_seed_row = overlap * 2 >= min(box.height, size)
        if (on_seed_row and box.height <= 2 * size + SECOND_LOOK_SLACK) or (
            _neighbour_line(box, found.score, y0, y1, height)
        ):
            same_line.append(box)
    return same_line


def _neighbour_line(box: Box, score: float, top: int, bottom: int, height: int) -> bool:
    """A confident line on another row of the strip, whole inside it (not cut by its top or
    bottom edge unless that is the frame's): faint text stacked next to a found line (a
    10 px grey "Acc" line between two bright US banner lines scores 0.83 on the strip and
    nothing on the whole frame)."""
    return (
        score >= SECOND_LOOK_NEIGHBOUR_SCORE
        and (box.y0 > top or top == 0)
        and (box.y1 < bottom or bottom == height)
        and box.height <= SECOND_LOOK_MAX_HEIGHT
        and max(box.width, box.height) >= SECOND_LOOK_NEIGHBOUR_MIN_PX
    )


def strip_around(seed: Box, width: int, height: int) -> Box:
    """The strip looked at around ``seed`` (in a ``width`` x ``height`` frame):
    ``SECOND_LOOK_REACH`` line heights (at least ``SECOND_LOOK_MIN_REACH`` px) beyond both
    ends, ``SECOND_LOOK_MARGIN`` line heights above and below."""
    size = seed.height  # horizontal lines: a vertical one is taller than seeds may be
    reach = max(SECOND_LOOK_REACH * size, SECOND_LOOK_MIN_REACH)
    margin = SECOND_LOOK_MARGIN * size
    around = Box(seed.x0 - reach, seed.y0 - margin, seed.x1 + reach, seed.y1 + margin)
    return around.clipped(width, height)


def looked_at(strip: Box, looked: list[Box], slack: int = SECOND_LOOK_NEW_PX) -> bool:
    """``strip``, less ``slack`` px on each side, lies inside one of the ``looked`` strips."""
    inner = Box(strip.x0 + slack, strip.y0 + slack, strip.x1 - slack, strip.y1 - slack)
    return any(other.contains(inner) for other in looked)


def _starts(size: int, tile: int) -> list[int]:
    if size <= tile:
        return [0]
    step = tile * 3 // 4
    starts = list(range(0, size - tile, step))
    return starts + [size - tile]


FLAT_LEVELS = 16  # 8-bit levels: less spread than this outside the fills holds no glyph


def filled_mask(shape: tuple[int, ...], filled: list[Box]) -> np.ndarray | None:
    if not filled:
        return None
    mask = np.zeros(shape[:2], dtype=bool)
    height, width = mask.shape
    for box in filled:
        b = box.clipped(width, height)
        mask[b.y0 : b.y1, b.x0 : b.x1] = True
    return mask


def _patch_artifact(rendering: np.ndarray, mask: np.ndarray, box: Box) -> bool:
    """A detection on a redacted frame whose pixels outside the fills are flat.

    Outside the fills the output equals the original; inside them it is one value. If the
    outside part of the box is flat (spread under FLAT_LEVELS in the rendering), the box
    holds no glyph in the output: what the detector saw is the patch shown to it.
    """
    outside = ~mask[box.y0 : box.y1, box.x0 : box.x1]
    values = rendering[box.y0 : box.y1, box.x0 : box.x1][outside]
    if values.size == 0:
        return True
    values = values.reshape(values.shape[0], -1).astype(np.int16)
    spread = np.percentile(values, 99, axis=0) - np.percentile(values, 1, axis=0)
    return bool(spread.max() < FLAT_LEVELS)


def _resolve_huge(
    rendering: np.ndarray,
    huge: list[Box],
    engine: TextEngine,
    max_text_height: int,
    read_huge: bool = True,
) -> tuple[list[Box], int]:
    """Text lines inside huge detections, and how many huge regions are not text.

    The detector reads a head, an organ or a blob on a plain background as one giant glyph
    (an "O", a "0"), mostly when no real text competes. Inside each huge box the detector
    looks again with strict thresholds: line-sized boxes found there are text. What stays
    huge is, with ``read_huge``, read by the recogniser: three characters or more, read
    with ``MIN_SCORE_OF_HUGE_TEXT`` confidence, is (huge) text and is redacted; anything
    else is a shape, not an identifier, and is left alone (counted).
    """
    lines: list[Box] = []
    candidates: list[Box] = []
    for box in huge:
        crop = rendering[box.y0 : box.y1, box.x0 : box.x1]
        inner = [b.shifted(box.x0, box.y0) for b in engine.detect(crop, strict=True)]
        lines += [b for b in inner if b.height <= max_text_height]
        still_huge = [b for b in inner if b.height > max_text_height]
        candidates += still_huge if inner else [box]
    if not read_huge or not candidates:
        return lines, len(candidates)
    blobs = 0
    for box, reading in zip(candidates, engine.recognise(rendering, candidates), strict=True):
        characters = sum(c.isalnum() for c in reading.text)
        if characters >= MIN_CHARACTERS_IN_HUGE_TEXT and reading.score >= MIN_SCORE_OF_HUGE_TEXT:
            lines.append(box)
        else:
            blobs += 1
    return lines, blobs
