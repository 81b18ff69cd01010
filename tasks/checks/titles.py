"""Title check for released report texts: a title or form of address followed by a
capitalised word is a name the report stage missed. Patterns live in data/report_titles.yaml."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

TITLES_FILE = Path(__file__).resolve().parent / "data" / "report_titles.yaml"


@dataclass(frozen=True)
class TitleRule:
    pattern: re.Pattern[str]
    ignored: frozenset[str]

    def count(self, text: str) -> int:
        """How many title + name mentions the text holds (a count, never the words)."""
        return sum(1 for hit in self.pattern.finditer(text) if hit.group(1) not in self.ignored)


@lru_cache(maxsize=4)
def load_title_rule(path: Path = TITLES_FILE) -> TitleRule:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise ValueError(f"{path}: cannot be read ({type(error).__name__})") from None
    if not isinstance(data, dict):
        raise ValueError(f"{path}: must be a mapping")
    titles = data.get("titles")
    if not isinstance(titles, list) or not titles or not all(isinstance(t, str) for t in titles):
        raise ValueError(f"{path}: field 'titles' must be a non-empty list of strings")
    name_word = data.get("name_word")
    if not isinstance(name_word, str):
        raise ValueError(f"{path}: field 'name_word' must be a string")
    ignored = data.get("ignored_words", [])
    if not isinstance(ignored, list) or not all(isinstance(w, str) for w in ignored):
        raise ValueError(f"{path}: field 'ignored_words' must be a list of strings")
    alternatives = "|".join(
        re.escape(t) if t.endswith(".") else re.escape(t) + r"\.?"
        for t in sorted(titles, key=len, reverse=True)
    )
    try:
        pattern = re.compile(rf"(?<![\w.])(?:{alternatives})[ \t\u00a0]+({name_word})")
    except re.error:
        raise ValueError(f"{path}: field 'name_word' is not a valid regular expression") from None
    bare_titles = {t.rstrip(".") for t in titles}
    return TitleRule(pattern, frozenset(ignored) | frozenset(titles) | frozenset(bare_titles))


def count_title_mentions(text: str) -> int:
    return load_title_rule().count(text)
