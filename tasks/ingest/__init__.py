"""Ingest: every input indexed, every DICOM input recognised or quarantined with a reason."""
