"""Synthetic DICOM images with known burned-in text (tests, benchmarks, demo)."""

from tasks.synthetic.images import MODALITIES, PlantedText, make_image, save

__all__ = ["MODALITIES", "PlantedText", "make_image", "save"]
