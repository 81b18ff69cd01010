"""Letter/digit confusions of OCR'd faxes, undone for analysis only.

The text the recognizers read is rewritten character for character (same length, so spans
are the spans of the original): digits inside an upper- or lower-case word become the
letters they stand for ("BR0U1LLARD" -> "BROUILLARD"), letters inside a number become digits
("O1.42.15.23.35" -> "01.42.15.23.35", "l7/O9/l952" -> "17/09/1952": a number that takes
the shape of a date or a phone once read back needs only half of its characters to be
digits), a lower-case "l" inside an upper-case word is an "I" ("D'lMAGERIE"). The output
keeps the original characters.
"""

from __future__ import annotations

import re

# a word of letters with one or two digits standing for letters, e.g. "GU1LLEMOT"
LETTERS_WITH_DIGITS = re.compile(
    r"(?:(?<![\w'’-])|(?<=\b[dlDL]['’]))[A-Za-zÀ-ÖØ-öø-ÿ0158]{4,}(?![\w'’])"
)
DIGIT_AS_LETTER = str.maketrans({"0": "O", "1": "I", "5": "S", "8": "B"})
# in a lower-case word a "1" is an "l" and a "0" an "o": "Consu1tant", "Hospita1", "Wi11iam"
DIGIT_AS_LOWER_LETTER = str.maketrans({"0": "o", "1": "l", "5": "s", "8": "b"})
# a number (phone, date, identifier) with letters standing for digits, e.g. "O6.12.34.56.78"
DIGITS_WITH_LETTERS = re.compile(
    r"(?<![A-Za-zÀ-ÖØ-öø-ÿ0-9])[0-9OoIlBS](?:[0-9OoIlBS]|[ ./-](?=[0-9OoIlBS])){5,}"
    r"(?![A-Za-zÀ-ÿ0-9])"
)
LETTER_AS_DIGIT = str.maketrans({"O": "0", "o": "0", "I": "1", "l": "1", "B": "8", "S": "5"})
# what a number read back may be: a date (12/03/1958) or a phone in groups (02 98 41 67 20)
NUMBER_SHAPE = re.compile(
    r"[0-9]{1,2}([/.-])[0-9]{1,2}\1[0-9]{2,4}|[0-9]{4}([/.-])[0-9]{2}\2[0-9]{2}"
    r"|0[0-9](?:([ .-]?)[0-9]{2})(?:\3[0-9]{2}){3}"
    r"|0[0-9]{2,4} ?[0-9]{3,4} ?[0-9]{3,4}"  # a British number: 020 7946 0123
)
# an upper-case word with a lower-case "l" read for an "I": "D'lMAGERIE", "CLlNIQUE"
UPPER_WITH_L = re.compile(r"(?<![A-Za-zÀ-ÖØ-öø-ÿ0-9])[A-ZÀ-ÖØ-Þl]{3,}(?![A-Za-zÀ-ÖØ-öø-ÿ0-9])")


# a French postcode with letters read for digits, before a town: "2900O QUIMPER"
POSTCODE_WITH_LETTERS = re.compile(
    r"(?<![\w])(?=[0-9OoIlSB]{5}[ \t\n]+[A-ZÀ-ÖØ-Þ])[0-9OoIlSB]{5}(?![\w])"
)
# small confusions with a fixed reading: "(O)" in an international phone number, "1RM" for
# IRM, "HTTP5://", an age unit "AN5"; ages written "O34Y", "4la"
FIXED_READINGS = (
    (re.compile(r"\([Oo]\)(?=[ \t]?[0-9])"), "(0)"),
    (re.compile(r"(?<![\w])[1l]RM(?![\w])"), "IRM"),
    (re.compile(r"(?i:http)5(?=://)"), "HTTPS"),
    (re.compile(r"(?<=[0-9][ \t])AN5(?![\w])"), "ANS"),
)
AGE_WITH_LETTERS = re.compile(r"(?<![\w])(?=[0-9OoIl]*[0-9])[0-9OoIl]{2,3}(?=[YMWDymwd]\b|a\b)")


def _as_postcode(match: re.Match[str]) -> str:
    value = match.group()
    if sum(c.isdigit() for c in value) < 2:
        return value
    return value.translate(LETTER_AS_DIGIT)


def undo_confusions(text: str) -> str:
    """``text`` with OCR letter/digit confusions undone (same length)."""
    if "l" in text:
        text = UPPER_WITH_L.sub(_upper_l, text)
    if not any(c.isdigit() for c in text):
        return text
    for pattern, reading in FIXED_READINGS:  # each reading as long as what it replaces
        text = pattern.sub(reading, text)
    text = DIGITS_WITH_LETTERS.sub(_as_number, LETTERS_WITH_DIGITS.sub(_as_word, text))
    text = AGE_WITH_LETTERS.sub(lambda m: m.group().translate(LETTER_AS_DIGIT), text)
    return POSTCODE_WITH_LETTERS.sub(_as_postcode, text)


def _upper_l(match: re.Match[str]) -> str:
    word = match.group()
    ells = word.count("l")
    if ells == 0 or len(word) - ells < 2 * ells or len(word) - ells < 3:
        return word
    return word.replace("l", "I")


def _as_word(match: re.Match[str]) -> str:
    word = match.group()
    digits = sum(c.isdigit() for c in word)
    letters = [c for c in word if c.isalpha()]
    if not 1 <= digits <= 2 or len(letters) < 4:
        return word
    same_case = all(c.isupper() for c in letters) or all(c.islower() for c in letters[1:])
    # each digit between two letters ("BRCA1", "T1W"-like codes keep their digits), or a
    # final 0 of an upper-case word read for an O ("GUILLOUZ0")
    upper = all(c.isupper() for c in letters)
    lower = all(c.islower() for c in letters[1:]) and not upper
    inside = all(
        _between_letters(word, i)
        or (upper and c == "0" and i == len(word) - 1 and word[i - 1].isalpha())
        or (lower and c == "1" and i == len(word) - 1 and word[i - 3 : i].isalpha())
        or (i == 0 and len(word) >= 5 and word[1:5].isalpha() and word[1:5].islower())
        or (i == 0 and len(word) >= 5 and word[1:5].isalpha() and word[1:5].isupper())
        for i, c in enumerate(word)
        if c.isdigit()
    )
    if not (same_case and inside):
        return word
    if lower and word[0].isalpha():
        return word.translate(DIGIT_AS_LOWER_LETTER)
    return word.translate(DIGIT_AS_LETTER)


def _between_letters(word: str, index: int) -> bool:
    """The digit at ``index`` is in a run of digits with a letter on each side."""
    start = end = index
    while start > 0 and word[start - 1].isdigit():
        start -= 1
    while end < len(word) - 1 and word[end + 1].isdigit():
        end += 1
    return (
        0 < start and end < len(word) - 1 and word[start - 1].isalpha() and word[end + 1].isalpha()
    )


def _as_number(match: re.Match[str]) -> str:
    value = match.group()
    digits = sum(c.isdigit() for c in value)
    confused = sum(c in "OoIlBS" for c in value)
    if confused == 0 or digits < 4:
        return value
    number = value.translate(LETTER_AS_DIGIT)
    if digits >= 3 * confused or (digits >= confused and NUMBER_SHAPE.fullmatch(number)):
        return number
    return value
