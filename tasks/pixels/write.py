"""Fill boxes in stored pixel values and write the frames back losslessly.

Output transfer syntax: uncompressed inputs stay uncompressed (big endian and deflated
become Explicit VR Little Endian). Lossless inputs are re-encoded in their own syntax when an
encoder is installed: RLE, JPEG-LS lossless (pyjpegls) and JPEG 2000 lossless
(pylibjpeg-openjpeg). JPEG lossless (process 14, .57/.70) and HTJ2K lossless have no Python
encoder: they become RLE Lossless, counted as ``syntax_changed``. A lossy input (JPEG
baseline/extended, JPEG-LS near-lossless, JPEG 2000 lossy) is never re-compressed lossily: it
becomes RLE Lossless and keeps LossyImageCompression = 01. Each encoding is decoded again and
compared with the frames it must hold; an encoder that refuses or does not round-trip makes
way for the next choice, ending with Explicit VR Little Endian.
"""

from __future__ import annotations

from collections.abc import Sequence
from io import BytesIO

import numpy as np
import pydicom
from pydicom.dataset import Dataset
from pydicom.uid import (
    UID,
    ExplicitVRLittleEndian,
    ImplicitVRLittleEndian,
    JPEG2000Lossless,
    JPEGLSLossless,
    RLELossless,
)

from tasks.pixels.boxes import Box
from tasks.pixels.decode import LOSSLESS_SYNTAXES, DecodedImage, decode

# Lossless syntaxes with an encoder (pydicom + pylibjpeg-rle / pyjpegls / pylibjpeg-openjpeg)
REENCODABLE = {str(RLELossless), str(JPEGLSLossless), str(JPEG2000Lossless)}
KEEP_UNCOMPRESSED = {str(ExplicitVRLittleEndian), str(ImplicitVRLittleEndian)}


def fill_value(image: DecodedImage) -> np.ndarray | int:
    """Stored value that renders as black: min (MONOCHROME2), max (MONOCHROME1), 0 colour."""
    frames = image.frames
    if image.colour:
        return np.zeros(frames.shape[-1], dtype=frames.dtype)
    if image.is_float and np.isnan(frames).any():  # NaN: no colour at all
        finite = frames[np.isfinite(frames)]
        return finite.min() if finite.size else frames.dtype.type(0)
    if image.photometric == "MONOCHROME1":
        return frames.max()
    return frames.min()


def fill_boxes(frame: np.ndarray, boxes: Sequence[Box], value: np.ndarray | int | None) -> int:
    """Fill each box in place; return the number of boxes that covered any pixel.

    With ``value`` None each box takes the median of its own pixels (glyphs cover a minority
    of a padded box, so this is its background): a uniform patch the colour of its
    surroundings, which a detector does not mistake for a glyph the way a black block on a
    bright background (or a dark one bridging two dark organs) can be.
    """
    height, width = frame.shape[:2]
    filled = 0
    for box in boxes:
        clipped = box.clipped(width, height)
        if clipped.area:
            fill = _interior_median(frame, clipped) if value is None else value
            frame[clipped.y0 : clipped.y1, clipped.x0 : clipped.x1] = fill
            filled += 1
    return filled


def _interior_median(frame: np.ndarray, box: Box) -> np.ndarray:
    patch = frame[box.y0 : box.y1, box.x0 : box.x1]
    return np.median(patch.reshape(-1, *patch.shape[2:]), axis=0).astype(frame.dtype)


def output_syntaxes(source: UID) -> list[UID]:
    """Transfer syntaxes to try in order; the last one is always uncompressed.

    Only the source syntax decides: a lossless syntax with an encoder is kept even when the
    image was lossy-compressed earlier (LossyImageCompression = 01 stays set, nothing new is
    lost); lossy syntaxes are never chosen.
    """
    if str(source) in KEEP_UNCOMPRESSED:
        return [UID(source)]
    if not source.is_compressed:
        return [ExplicitVRLittleEndian]  # big endian, deflated
    if str(source) in REENCODABLE and str(source) in LOSSLESS_SYNTAXES:
        return [UID(source), RLELossless, ExplicitVRLittleEndian]
    return [RLELossless, ExplicitVRLittleEndian]


def store_frames(ds: Dataset, image: DecodedImage, frames: np.ndarray) -> UID:
    """Put ``frames`` into ``ds`` (in place) in the first syntax that round-trips; return it."""
    targets = output_syntaxes(image.source_syntax)
    if image.lossy_source and str(ds.get("LossyImageCompression", "")) != "01":
        ds.LossyImageCompression = "01"
    implicit = str(targets[0]) == str(ImplicitVRLittleEndian)
    _store_native(ds, image, frames, implicit)
    for target in targets:
        if not target.is_compressed:
            break
        try:
            ds.compress(target, generate_instance_uid=False)
            if _holds(ds, frames):
                break
        except Exception:  # encoder missing or refusing these parameters: next choice
            pass
        _store_native(ds, image, frames, implicit)  # undo a partial or wrong encoding
    return UID(ds.file_meta.TransferSyntaxUID)


def output_counts(image: DecodedImage, written: UID) -> dict[str, int]:
    """How the output syntax relates to the input's, as stage counts (no values).

    ``syntax_kept``: written in the input's own syntax (uncompressed stays uncompressed);
    ``lossless_syntax_changed``: a lossless compressed input written in another lossless
    syntax (JPEG lossless and HTJ2K -> RLE: no encoder; or a fallback after an encoder
    failed); ``lossy_source``: the input was lossy (syntax or LossyImageCompression = 01), the
    output is lossless and flagged LossyImageCompression = 01.
    """
    source = image.source_syntax
    counts = {"lossy_source": 1} if image.lossy_source else {}
    if str(written) == str(source) or not source.is_compressed:
        counts["syntax_kept"] = 1
    elif str(source) in LOSSLESS_SYNTAXES:
        counts["lossless_syntax_changed"] = 1
    return counts


def _store_native(ds: Dataset, image: DecodedImage, frames: np.ndarray, implicit: bool) -> None:
    """Uncompressed pixel data holding ``frames`` (the state every encoding starts from)."""
    bits_stored = int(ds.get("BitsStored", frames.dtype.itemsize * 8))
    data = frames[0] if image.count == 1 else frames
    if image.is_float:
        _store_float(ds, data, image)
    elif image.photometric == "PALETTE COLOR" or frames.dtype.itemsize > 2:
        _store_raw(ds, data, bits_stored, image)
    else:
        ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian  # big endian, deflated, encoded
        ds.set_pixel_data(
            data,
            photometric_interpretation=image.photometric,
            bits_stored=bits_stored,
            generate_instance_uid=False,
        )
    if image.count > 1 or "NumberOfFrames" in ds:
        ds.NumberOfFrames = image.count
    ds.file_meta.TransferSyntaxUID = ImplicitVRLittleEndian if implicit else ExplicitVRLittleEndian


def _holds(ds: Dataset, frames: np.ndarray) -> bool:
    """The encoded pixel data decodes to exactly ``frames``."""
    try:
        return same_values(decode(ds).frames, frames)
    except Exception:
        return False


def same_values(a: np.ndarray, b: np.ndarray) -> bool:
    """Equal shapes and values (NaN equal to NaN in float frames)."""
    if a.shape != b.shape or a.dtype.kind != b.dtype.kind:
        return False
    return bool(np.array_equal(a, b, equal_nan=a.dtype.kind == "f"))


def _store_float(ds: Dataset, data: np.ndarray, image: DecodedImage) -> None:
    """Float (OF) or Double Float (OD) Pixel Data, little endian, as decoded."""
    little = data.astype(data.dtype.newbyteorder("<"), copy=False)
    setattr(ds, image.element, np.ascontiguousarray(little).tobytes())
    ds[image.element].VR = "OF" if image.element == "FloatPixelData" else "OD"
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian


def _store_raw(ds: Dataset, data: np.ndarray, bits_stored: int, image: DecodedImage) -> None:
    """Palette indices and 32-bit values (which set_pixel_data refuses), native order."""
    ds.PixelData = np.ascontiguousarray(data).tobytes()
    ds["PixelData"].VR = "OB" if data.dtype.itemsize == 1 else "OW"
    ds["PixelData"].is_undefined_length = False
    ds.BitsStored = bits_stored
    ds.PhotometricInterpretation = image.photometric
    if image.colour:
        ds.PlanarConfiguration = 0  # decoded frames are colour-by-pixel


def to_bytes(ds: Dataset) -> bytes:
    buffer = BytesIO()
    pydicom.dcmwrite(buffer, ds, enforce_file_format=True)
    return buffer.getvalue()


def check_roundtrip(data: bytes, expected: np.ndarray) -> bool:
    """Decode the written bytes again: the frames must equal what was meant to be written."""
    try:
        written = decode(pydicom.dcmread(BytesIO(data)))
    except Exception:
        return False
    return same_values(written.frames, expected)
