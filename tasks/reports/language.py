"""Guess a report's language from the function words it uses (French or English)."""

from __future__ import annotations

import functools
import re

from tasks.reports.config import DATA_DIR, InvalidRecognizerConfig, read_yaml

WORD = re.compile(r"[a-zà-öø-ÿ']+")
LANGUAGES = ("fr", "en")


@functools.cache
def _words() -> dict[str, frozenset[str]]:
    path = DATA_DIR / "gazetteers" / "language_words.yaml"
    data = read_yaml(path)
    out = {}
    for language in LANGUAGES:
        values = data.get(language)
        if not isinstance(values, list):
            raise InvalidRecognizerConfig(f"{path}: '{language}' must be a list of words")
        out[language] = frozenset(str(v).lower() for v in values)
    return out


def detect_language(text: str, default: str = "fr") -> str:
    words = _words()
    scores = dict.fromkeys(LANGUAGES, 0)
    for word in WORD.findall(text.lower()):
        for language in LANGUAGES:
            if word in words[language]:
                scores[language] += 1
    best = max(LANGUAGES, key=lambda lang: scores[lang])
    if scores[best] == 0 or list(scores.values()).count(scores[best]) > 1:
        return default
    return best
