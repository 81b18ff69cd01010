"""PP-OCR model folders built from the files shipped in the rapidocr wheel (never downloaded).

paddleocr 3.x wants a folder per model holding ``inference.onnx`` and an ``inference.yml``
whose ``Global.model_name`` matches the model name passed in. The wheel ships bare ONNX files,
so the folders are assembled once per machine in a writable cache (``$CLEARANCE_CACHE`` or
``~/.cache/clearance``); the ONNX file is hard-linked or copied, the YAML generated. The
recogniser's character list comes from the ONNX file's own metadata.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
from dataclasses import dataclass
from pathlib import Path

import yaml

from tasks.pixels.runtime_env import cache_dir

DET_MODEL = "PP-OCRv6_small_det"
REC_MODEL = "PP-OCRv6_small_rec"
_WHEEL_FILES = {DET_MODEL: "PP-OCRv6_det_small.onnx", REC_MODEL: "PP-OCRv6_rec_small.onnx"}

IMAGENET_MEAN = [0.485, 0.456, 0.406]
IMAGENET_STD = [0.229, 0.224, 0.225]
REC_SHAPE = [3, 48, 320]


class ModelFilesMissing(RuntimeError):
    """The PP-OCR ONNX files are not installed (rapidocr wheel missing)."""


@dataclass(frozen=True)
class ModelFolders:
    det: Path
    rec: Path
    characters: tuple[str, ...]


def wheel_model_file(model_name: str) -> Path:
    spec = importlib.util.find_spec("rapidocr")
    if spec is None or not spec.submodule_search_locations:
        raise ModelFilesMissing("package rapidocr (which ships the PP-OCRv6 ONNX files) is missing")
    path = Path(next(iter(spec.submodule_search_locations))) / "models" / _WHEEL_FILES[model_name]
    if not path.is_file():
        raise ModelFilesMissing(f"model file {path.name} is not in the installed rapidocr wheel")
    return path


def read_characters(onnx_file: Path) -> tuple[str, ...]:
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.log_severity_level = 3
    session = onnxruntime.InferenceSession(
        str(onnx_file), options, providers=["CPUExecutionProvider"]
    )
    text = session.get_modelmeta().custom_metadata_map.get("character", "")
    characters = tuple(text.splitlines())
    if not characters:
        raise ModelFilesMissing(f"{onnx_file.name} has no character list in its metadata")
    return characters


def det_config() -> dict:
    return {
        "Global": {"model_name": DET_MODEL},
        "PreProcess": {
            "transform_ops": [
                {"DecodeImage": {"channel_first": False, "img_mode": "BGR"}},
                {"DetResizeForTest": {"resize_long": 960}},
                {
                    "NormalizeImage": {
                        "mean": IMAGENET_MEAN,
                        "std": IMAGENET_STD,
                        "scale": 1.0 / 255.0,
                        "order": "hwc",
                    }
                },
                {"ToCHWImage": None},
            ]
        },
        "PostProcess": {
            "name": "DBPostProcess",
            "thresh": 0.3,
            "box_thresh": 0.6,
            "max_candidates": 1000,
            "unclip_ratio": 1.5,
        },
    }


def rec_config(characters: tuple[str, ...]) -> dict:
    return {
        "Global": {"model_name": REC_MODEL},
        "PreProcess": {
            "transform_ops": [
                {"DecodeImage": {"channel_first": False, "img_mode": "BGR"}},
                {"RecResizeImg": {"image_shape": REC_SHAPE}},
            ]
        },
        "PostProcess": {"name": "CTCLabelDecode", "character_dict": list(characters)},
    }


def _place(source: Path, folder: Path, config: dict) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / "inference.onnx"
    if not target.exists():
        tmp = folder / f".inference.onnx.{os.getpid()}"
        try:
            os.link(source, tmp)
        except OSError:
            tmp.write_bytes(source.read_bytes())
        tmp.replace(target)
    text = yaml.safe_dump(config, allow_unicode=True, sort_keys=False)
    yml = folder / "inference.yml"
    if not yml.exists() or yml.read_text(encoding="utf-8") != text:
        tmp = folder / f".inference.yml.{os.getpid()}"
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(yml)


def build_model_folders(base: Path | None = None) -> ModelFolders:
    """Assemble (idempotently, atomically) the det and rec folders; return their paths."""
    det_file = wheel_model_file(DET_MODEL)
    rec_file = wheel_model_file(REC_MODEL)
    stamp = hashlib.sha256(
        f"{det_file.stat().st_size}:{rec_file.stat().st_size}".encode()
    ).hexdigest()[:10]
    root = (base or cache_dir()) / "models" / stamp
    characters = read_characters(rec_file)
    det_folder = root / DET_MODEL
    rec_folder = root / REC_MODEL
    _place(det_file, det_folder, det_config())
    _place(rec_file, rec_folder, rec_config(characters))
    return ModelFolders(det_folder, rec_folder, characters)
