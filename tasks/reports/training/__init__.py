"""Synthetic training data and configuration for the report NER (French first)."""
