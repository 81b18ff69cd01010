"""Cross-check of kept text against the identifying values of the same file.

Every identifying value the walker removed or replaced (names and their parts, IDs, station
names, serial numbers, institutions and departments, physicians, operators, dates in their
written forms) becomes a *needle*; every text value the file keeps is searched for them,
case-, accent- and separator-insensitively (LEFÈVRE = Lefevre = LEFEVRE; ``^``, spaces,
dots, hyphens are all one separator):

- a value of 5 or more letters and digits with at least one digit (a serial number, an ID,
  a station name such as CTLILLE07, a date) is found anywhere, even inside a longer word and
  with separators anywhere (``SN=L03-02246;`` holds ``L0302246``);
- any other value is found as whole words only (``DUPONT`` in ``TDM DUPONT`` but not in
  ``DUPONTEL``), its words separated by any separators;
- a single word shorter than 3 characters is not searched for (a name part ``LI`` or ``DE``
  would hit ordinary words), nor a value made only of words that identify no one
  (``not_identifying`` in ``data/text_attributes.yaml``: RADIOLOGY, NONE, HOSPITAL ...).

Matching runs on a folded copy of the text that keeps every character's position (one
character in, one out), so a hit maps back onto the original text. The yes/no answer is
remembered per text for each set of values (``Needles`` are shared by the files of a
patient, whose kept descriptors repeat from slice to slice).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from functools import cache, lru_cache
from pathlib import Path

import yaml

DATA_PATH = Path(__file__).resolve().parent / "data" / "text_attributes.yaml"
MIN_WORD = 3  # a single word shorter than this is never searched for
MIN_SERIAL = 5  # letters and digits of a value found anywhere (it must hold a digit)
# yes/no answers a Needles keeps (then it starts afresh), for texts up to this length: with
# the 256 Needles ``pattern`` keeps, memory stays within a few tens of MB
MAX_REMEMBERED = 256
MAX_REMEMBERED_LENGTH = 256
_WORD = re.compile(r"[^\W_]+")
_SEP = r"[\W_]*"
_SEPS = r"[\W_]+"
_BEFORE = r"(?<![^\W_])"
_AFTER = r"(?![^\W_])"


@cache
def text_attributes() -> dict[str, frozenset[str]]:
    """The lists of ``data/text_attributes.yaml`` (coded, device_identity, not_identifying)."""
    data = yaml.safe_load(DATA_PATH.read_text(encoding="utf-8"))
    return {name: frozenset(str(v) for v in data.get(name) or ()) for name in data}


@lru_cache(maxsize=8192)
def _fold_char(char: str) -> str:
    folded = unicodedata.normalize("NFKD", char)
    base = "".join(c for c in folded if not unicodedata.combining(c)).casefold()
    return base if len(base) == 1 else char.lower() if len(char.lower()) == 1 else char


def fold(text: str) -> str:
    """Lower case without accents, one character for one character (positions kept)."""
    if text.isascii():
        return text.lower()
    return "".join(_fold_char(c) for c in text)


class Needles:
    """The identifying values of one file, ready to search: as whole-word sequences and
    serial-like strings (for a quick yes/no) and as one expression (for positions)."""

    def __init__(self, values: tuple[str, ...]) -> None:
        generic = text_attributes()["not_identifying"]
        self.words: set[tuple[str, ...]] = set()
        self.serials: set[str] = set()
        for value in values:
            words = tuple(_WORD.findall(fold(value)))
            if not words or all(w in generic for w in words):
                continue
            compact = "".join(words)
            if len(compact) >= MIN_SERIAL and any(c.isdigit() for c in compact):
                self.serials.add(compact)  # anywhere, separators anywhere
            elif len(words) > 1 or len(compact) >= MIN_WORD:
                self.words.add(words)
        self.sizes = sorted({len(w) for w in self.words})
        parts = [_SEP.join(re.escape(c) for c in serial) for serial in self.serials]
        parts += [_BEFORE + _SEPS.join(map(re.escape, w)) + _AFTER for w in self.words]
        parts.sort(key=lambda n: (-len(n), n))  # longest first
        self.regex = re.compile("|".join(f"(?:{n})" for n in parts)) if parts else None
        self._answers: dict[str, bool] = {}

    def __bool__(self) -> bool:
        return self.regex is not None

    def held_by(self, text: str) -> bool:
        """Whether ``text`` holds one of the values (same rules as ``regex``, faster)."""
        if len(text) > MAX_REMEMBERED_LENGTH:
            return self._search(text)
        answer = self._answers.get(text)
        if answer is None:
            if len(self._answers) >= MAX_REMEMBERED:
                self._answers.clear()
            answer = self._answers[text] = self._search(text)
        return answer

    def _search(self, text: str) -> bool:
        words = _WORD.findall(fold(text))
        if not words:
            return False
        if self.serials:
            compact = "".join(words)
            if any(serial in compact for serial in self.serials):
                return True
        known, count = self.words, len(words)
        for size in self.sizes:
            if size > count:
                break
            if any(tuple(words[i : i + size]) in known for i in range(count - size + 1)):
                return True
        return False


@lru_cache(maxsize=256)
def pattern(values: tuple[str, ...]) -> Needles | None:
    """The file's identifying values, compiled once per set of values."""
    needles = Needles(values)
    return needles if needles else None


def spans(text: str, needles: Needles | None) -> list[tuple[int, int]]:
    """Where identifying values occur in ``text`` (positions in the original text)."""
    if needles is None or needles.regex is None or not text:
        return []
    return [m.span() for m in needles.regex.finditer(fold(text)) if m.end() > m.start()]


def holds_identifier(text: str, needles: Needles | None) -> bool:
    return needles is not None and bool(text) and needles.held_by(text)


def scrub(text: str, needles: Needles | None) -> str:
    """``text`` with every identifying value replaced by a space."""
    found = spans(text, needles)
    if not found:
        return text
    out, cursor = [], 0
    for start, end in found:
        out.append(text[cursor:start])
        out.append(" ")
        cursor = end
    out.append(text[cursor:])
    return "".join(out)


MIN_ACRONYM = 4  # shorter initials (CTA, MRI) are ordinary technical words


def institution_parts(values: Iterable[str]) -> list[str]:
    """The words of institution and department names and their initials, with and without
    the short words: a site's acronym alone is found (``Hospital General Universitario
    Gregorio Marañón`` -> HGUGM)."""
    out: list[str] = []
    for value in values:
        words = _WORD.findall(value)
        out.extend(w for w in words if len(w) >= MIN_WORD)
        for kept in (words, [w for w in words if len(w) >= MIN_WORD]):
            initials = "".join(w[0] for w in kept)
            if len(kept) > 1 and len(initials) >= MIN_ACRONYM:
                out.append(initials)
    return out
