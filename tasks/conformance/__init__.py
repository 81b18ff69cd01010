"""DICOM conformance of released files against their inputs (dciodvfy)."""
