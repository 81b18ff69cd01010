"""Title check for released report texts and header free texts: a title or form of address
(any case, particles skipped) followed by a word that may be a name is a name the report or
header stage missed. One rule with the FIDAC report gate: tasks/reports/title_gate.py and its data
tasks/reports/data/title_gate.yaml."""

from __future__ import annotations

from tasks.reports.title_gate import title_mentions


def count_title_mentions(text: str) -> int:
    """How many title + name mentions the text holds (a count, never the words)."""
    return title_mentions(text)
