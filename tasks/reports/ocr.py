"""Letter/digit confusions of OCR'd faxes, undone for analysis only.

The text the recognizers read is rewritten character for character (same length, so spans
are the spans of the original): digits inside an upper- or lower-case word become the
letters they stand for ("BR0U1LLARD" -> "BROUILLARD"), letters inside a number become digits
("O1.42.15.23.35" -> "01.42.15.23.35"). The output keeps the original characters.
"""

from __future__ import annotations

import re

# a word of letters with one or two digits standing for letters, e.g. "GU1LLEMOT"
LETTERS_WITH_DIGITS = re.compile(r"(?<![\w'’-])[A-Za-zÀ-ÖØ-öø-ÿ0158]{4,}(?![\w'’-])")
DIGIT_AS_LETTER = str.maketrans({"0": "O", "1": "I", "5": "S", "8": "B"})
# a number (phone, date, identifier) with letters standing for digits, e.g. "O6.12.34.56.78"
DIGITS_WITH_LETTERS = re.compile(
    r"(?<![A-Za-zÀ-ÖØ-öø-ÿ0-9])[0-9OoIlB](?:[0-9OoIl]|[ ./-](?=[0-9OoIl])){5,}(?![A-Za-zÀ-ÿ0-9])"
)
LETTER_AS_DIGIT = str.maketrans({"O": "0", "o": "0", "I": "1", "l": "1", "B": "8"})


def undo_confusions(text: str) -> str:
    """``text`` with OCR letter/digit confusions undone (same length)."""
    if not any(c.isdigit() for c in text):
        return text
    return DIGITS_WITH_LETTERS.sub(_as_number, LETTERS_WITH_DIGITS.sub(_as_word, text))


def _as_word(match: re.Match[str]) -> str:
    word = match.group()
    digits = sum(c.isdigit() for c in word)
    letters = [c for c in word if c.isalpha()]
    if not 1 <= digits <= 2 or len(letters) < 4:
        return word
    same_case = all(c.isupper() for c in letters) or all(c.islower() for c in letters[1:])
    # each digit between two letters ("BRCA1", "T1W"-like codes keep their digits)
    inside = all(
        0 < i < len(word) - 1 and word[i - 1].isalpha() and word[i + 1].isalpha()
        for i, c in enumerate(word)
        if c.isdigit()
    )
    return word.translate(DIGIT_AS_LETTER) if same_case and inside else word


def _as_number(match: re.Match[str]) -> str:
    value = match.group()
    digits = sum(c.isdigit() for c in value)
    confused = sum(c in "OoIlB" for c in value)
    if confused == 0 or digits < 4 or digits < 3 * confused:
        return value
    return value.translate(LETTER_AS_DIGIT)
