"""Medical vocabulary that must survive anonymisation: eponyms, drugs, contrast agents.

Lexicons in ``data/lexicon/`` (one term a line). Drug and contrast-agent names are
protected wherever they stand; a listed eponym when its context makes it one ("tumeur de X",
"selon X", "X sign", "X's disease") or when it is a hyphenated compound ("Budd-Chiari"); any
capitalised name after a strong head ("maladie de", "signe de") or before one ("disease",
"sign"): ``data/lexicon/eponym_heads.yaml``. A candidate overlapping a protected term keeps
only its parts outside the term, unless it rests on strong evidence (a title, a label, a
header value).
"""

from __future__ import annotations

import functools
import re
import unicodedata

from tasks.reports.config import DATA_DIR, read_lines, read_yaml
from tasks.reports.spans import Candidate, trim

LEXICON = DATA_DIR / "lexicon"
KINDS = {"eponym": "eponyms.txt", "drug": "drugs.txt", "contrast": "contrast_agents.txt"}
# labels a protected term may be mistaken for
SPARED_LABELS = frozenset({"PERSON", "CITY", "ESTABLISHMENT", "ADDRESS", "DEVICE"})
# words with a pathology's ending that name none ("à la suite de", "dose de")
NOT_PATHOLOGIES = (
    "suite suites limite limites droite droites petite petites visite visites dose doses "
    "chose choses pose cause causes rose roses prose hypnose diagnose glucose site sites "
    "cite elite élite rite rites fuite fuites ite vite conduite poursuite faillite"
).split()
# kinds spared even from strong candidates, and matched whatever their accents
ALWAYS_SPARED = frozenset({"drug", "contrast"})
# an unlisted eponym: "Westermark", "Budd-Chiari", "De Quervain"
CAPITALISED = r"(?:[A-ZÀ-ÖØ-Þ][a-zà-öø-ÿ]+(?:[ -][A-ZÀ-ÖØ-Þ][a-zà-öø-ÿ]+)?)"
ROMAN_NUMERAL = re.compile(r"[IVX]{1,5}[a-c]?")
NAME_LEFT = re.compile(r"[A-Za-zÀ-ÖØ-öø-ÿ]{2,}")


@functools.cache
def lexicon(kind: str) -> tuple[str, ...]:
    return tuple(read_lines(LEXICON / KINDS[kind]))


def _alternation(terms: list[str] | tuple[str, ...]) -> str:
    return "|".join(re.escape(t) for t in sorted(terms, key=len, reverse=True))


def _plain_alternation(kind: str) -> str:
    return _alternation(sorted({without_accents(term) for term in lexicon(kind)}))


@functools.cache
def _patterns() -> dict[str, re.Pattern[str]]:
    heads = read_yaml(LEXICON / "eponym_heads.yaml")
    eponyms = _alternation(lexicon("eponym"))
    before = _alternation(heads.get("before", []))
    direct = _alternation(heads.get("before_words", []))
    after = _alternation(heads.get("after", []))
    word = r"[\wÀ-ÿ'’-]+"
    return {
        # matched on the text without accents, so listed without accents too
        "drug": re.compile(rf"(?<![\w-])(?:{_plain_alternation('drug')})(?![\w-])", re.I),
        "contrast": re.compile(rf"(?<![\w-])(?:{_plain_alternation('contrast')})(?![\w-])", re.I),
        # the eponym itself is the named group; several eponyms may be joined by "et", "-"
        "eponym_before": re.compile(
            rf"(?<![\w])(?:(?:{before})(?:[ \t]+{word}){{0,2}}[ \t]+(?:de|du|des|d')[ \t]*"
            rf"|(?:{direct})[ \t]+)"
            rf"(?P<term>(?:{eponyms})(?:(?:[ \t]+(?:et|and|&)[ \t]+|-)(?:{eponyms}))*)(?![\w-])",
            re.I,
        ),
        "eponym_after": re.compile(
            rf"(?<![\w-])(?P<term>(?:{eponyms})(?:(?:[ \t]+(?:and|&)[ \t]+|-)(?:{eponyms}))*)"
            rf"(?:['’]s?)?[ \t]+(?:{after})(?![\w])",
            re.I,
        ),
        # any capitalised name after (French) or before (English) a strong head
        "eponym_context_before": re.compile(
            rf"(?<![\w])(?i:{_alternation(heads.get('before_any', []))})"
            rf"(?:[ \t]+{word}){{0,2}}?[ \t]+(?i:de|du|d')[ \t]*(?P<term>{CAPITALISED})",
        ),
        # a pathology named by its suffix ("névrome de Morton", "bursite de Haglund")
        "eponym_context_suffix": re.compile(
            rf"(?<![\w'’-])(?!(?i:{_alternation(NOT_PATHOLOGIES)})\b)"
            rf"(?i:[a-zà-ÿ]{{2,}}(?:omes?|ites?|oses?|pathies?|algies?|ectomies?|plasties?|"
            rf"cèles?|trophies?|plasies?))[ \t]+(?i:de|du|d')[ \t]*(?P<term>{CAPITALISED})",
        ),
        "eponym_context_after": re.compile(
            rf"(?<![\w'’-])(?P<term>{CAPITALISED})(?:['’]s?)?[ \t]+"
            rf"(?i:{_alternation(heads.get('after_any', []))})(?![\w])",
        ),
        # a listed eponym graded by its classification: "Weber B", "Bosniak IIF", "Garden 3"
        "eponym_graded": re.compile(
            rf"(?<![\w-])(?P<term>(?:{eponyms})[ \t]+(?:[A-D]|[IV]{{1,4}}[A-F]?|[0-5][a-c]?))"
            rf"(?![\w-])",
            re.I,
        ),
        # any capitalised name graded by a roman numeral before a description:
        # "Schatzker II tibial plateau fracture", "classification de Garden III du col"
        "eponym_roman_grade": re.compile(
            rf"(?<![\w'’-])(?P<term>{CAPITALISED}[ \t]+[IV]{{1,4}}[A-F]?)"
            r"(?=[ \t]+[a-zà-ÿ]|[ \t]*[.,;])"
        ),
        "eponym_compound": re.compile(
            rf"(?<![\w-])(?:{_alternation([e for e in lexicon('eponym') if '-' in e])})(?![\w-])",
            re.I,
        ),
    }


def protected_ranges(text: str) -> list[tuple[int, int, str]]:
    """(start, end, kind) of every protected term in ``text``."""
    found = []
    plain = without_accents(text)  # "Lévothyrox" is the listed "Levothyrox"
    for name, pattern in _patterns().items():
        kind = "eponym" if name.startswith("eponym") else name
        for match in pattern.finditer(plain if kind in ALWAYS_SPARED else text):
            start, end = match.span("term") if "term" in pattern.groupindex else match.span()
            found.append((start, end, kind))
    return found


def without_accents(text: str) -> str:
    """The text with accents removed, one character for one (offsets kept)."""
    return "".join(
        unicodedata.normalize("NFD", c)[0] if ord(c) > 127 and c.isalpha() else c for c in text
    )


def spare_protected(text: str, candidates: list[Candidate]) -> list[Candidate]:
    """Candidates with protected terms cut out of them. Strong ones (a title, a label, a
    header value) are left whole, except over a drug or a contrast agent: "IDE : EXTRAVASATION
    OMNIPAQUE" names a product, not a nurse."""
    found = protected_ranges(text)
    if not found:
        return candidates
    out = []
    for candidate in candidates:
        hits = [
            (s, e)
            for s, e, kind in found
            if s < candidate.end
            and candidate.start < e
            and (not candidate.strong or kind in ALWAYS_SPARED)
        ]
        if not hits or candidate.label not in SPARED_LABELS:
            out.append(candidate)
            continue
        position = candidate.start
        for start, end in sorted(hits) + [(candidate.end, candidate.end)]:
            piece = trim(text, position, min(start, candidate.end))
            if piece[0] < piece[1] and _still_a_name(text[piece[0] : piece[1]]):
                out.append(
                    Candidate(
                        piece[0],
                        piece[1],
                        candidate.label,
                        candidate.priority,
                        weak=candidate.weak,
                    )
                )
            position = max(position, end)
    return out


@functools.cache
def _head_words() -> frozenset[str]:
    heads = read_yaml(LEXICON / "eponym_heads.yaml")
    keys = ("before", "before_words", "after", "before_any", "after_any")
    return frozenset(w.lower() for key in keys for w in heads.get(key, []))


def _still_a_name(value: str) -> bool:
    """What is left of a candidate is worth removing when it holds a capitalised word that is
    not report vocabulary nor an eponym's head ("Triangle de")."""
    from tasks.reports.lexicon import is_english_word, is_french_word
    from tasks.reports.vocab import is_report_word

    for word in NAME_LEFT.findall(value):
        if ROMAN_NUMERAL.fullmatch(word):
            continue  # "Garden III": a grade
        if not word[0].isupper() or is_report_word(word) or word.lower() in _head_words():
            continue
        if word.isupper() and (is_french_word(word.lower()) or is_english_word(word.lower())):
            continue  # upper-case text: "EXTRAVASATION" left of "OMNIPAQUE" is a word
        return True
    return False
