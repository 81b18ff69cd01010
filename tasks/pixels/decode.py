"""Decode every frame of a DICOM image into stored values, whatever its transfer syntax.

pydicom's pixel handlers (with the pylibjpeg, libjpeg, openjpeg and RLE plugins) cover
uncompressed (little/big endian, deflated), RLE, JPEG baseline/extended/lossless, JPEG-LS and
JPEG 2000. Colour in YBR is converted to RGB (the stored values the redacted file will
carry); palette colour stays as indices. Values above BitsStored are masked by pydicom, which
also drops overlays embedded in unused high bits. Float and Double Float Pixel Data
(parametric maps) decode to float32 / float64 frames, NaN and infinities kept as stored.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from pydicom.dataset import Dataset
from pydicom.pixels import pixel_array
from pydicom.uid import UID

PIXEL_KEYWORDS = ("PixelData", "FloatPixelData", "DoubleFloatPixelData")


class DecodeError(Exception):
    """Pixel data that cannot be decoded into the expected frames (message holds no values)."""


@dataclass
class DecodedImage:
    frames: np.ndarray  # (frames, rows, columns) or (frames, rows, columns, samples)
    photometric: str  # interpretation of ``frames`` (YBR_* decoded to RGB)
    source_syntax: UID
    lossy_source: bool  # the source was lossy-compressed (now or before)
    element: str = "PixelData"  # or FloatPixelData / DoubleFloatPixelData

    @property
    def is_float(self) -> bool:
        return self.element != "PixelData"

    @property
    def colour(self) -> bool:
        return self.frames.ndim == 4

    @property
    def count(self) -> int:
        return int(self.frames.shape[0])


# Plugins tried first for a syntax. JPEG-LS: pyjpegls (CharLS) decodes 4-8x faster here than
# pylibjpeg-libjpeg, which pydicom would pick first, with identical output (checked on
# pydicom's JPEG-LS test files).
PREFERRED_DECODERS = {
    "1.2.840.10008.1.2.4.80": "pyjpegls",  # JPEG-LS Lossless
    "1.2.840.10008.1.2.4.81": "pyjpegls",  # JPEG-LS Near-Lossless
}


def _pixel_array(ds: Dataset, syntax: UID) -> np.ndarray:
    plugin = PREFERRED_DECODERS.get(str(syntax))
    if plugin:
        try:
            return pixel_array(ds, decoding_plugin=plugin)
        except Exception:  # plugin missing or refusing this stream: pydicom's own order
            pass
    return ds.pixel_array


def has_pixels(ds: Dataset) -> bool:
    return any(keyword in ds for keyword in PIXEL_KEYWORDS)


def decode(ds: Dataset) -> DecodedImage:
    element = next((keyword for keyword in PIXEL_KEYWORDS if keyword in ds), None)
    if element is None:
        raise DecodeError("no pixel data")
    if sum(keyword in ds for keyword in PIXEL_KEYWORDS) > 1:
        raise DecodeError("more than one pixel data element")
    syntax = ds.file_meta.get("TransferSyntaxUID") if hasattr(ds, "file_meta") else None
    if syntax is None:
        raise DecodeError("no transfer syntax")
    try:
        array = _pixel_array(ds, syntax)
    except Exception as error:  # any decoder failure is a decode failure
        raise DecodeError(f"pixel data cannot be decoded ({type(error).__name__})") from None
    samples = int(ds.get("SamplesPerPixel", 1) or 1)
    frames_expected = int(ds.get("NumberOfFrames", 1) or 1)
    rows, columns = int(ds.Rows), int(ds.Columns)
    array = np.asarray(array)
    frames: np.ndarray | None
    if samples == 1:
        frames = array.reshape((-1, rows, columns)) if array.ndim in (2, 3) else None
    else:
        frames = array.reshape((-1, rows, columns, samples)) if array.ndim in (3, 4) else None
    if frames is None or frames.shape[0] != frames_expected:
        raise DecodeError("decoded pixel data does not match Rows/Columns/NumberOfFrames")
    photometric = str(ds.get("PhotometricInterpretation", "")).strip().upper()
    if samples == 3 and photometric.startswith("YBR"):
        photometric = "RGB"  # pydicom converts YBR to RGB by default
    if samples not in (1, 3) or (element != "PixelData" and samples != 1):
        raise DecodeError("unsupported SamplesPerPixel")
    lossy = bool(syntax.is_compressed and not _is_lossless(syntax)) or (
        str(ds.get("LossyImageCompression", "00")) == "01"
    )
    native = frames.astype(frames.dtype.newbyteorder("="), copy=False)  # big endian sources
    return DecodedImage(np.ascontiguousarray(native), photometric, UID(syntax), lossy, element)


LOSSLESS_SYNTAXES = {
    "1.2.840.10008.1.2.5",  # RLE Lossless
    "1.2.840.10008.1.2.4.57",  # JPEG Lossless P14
    "1.2.840.10008.1.2.4.70",  # JPEG Lossless P14 SV1
    "1.2.840.10008.1.2.4.80",  # JPEG-LS Lossless
    "1.2.840.10008.1.2.4.90",  # JPEG 2000 Lossless Only
    "1.2.840.10008.1.2.4.201",  # HTJ2K Lossless
    "1.2.840.10008.1.2.4.202",  # HTJ2K Lossless RPCL
}


def _is_lossless(syntax: UID) -> bool:
    return str(syntax) in LOSSLESS_SYNTAXES
