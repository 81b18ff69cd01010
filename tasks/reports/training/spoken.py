"""Numbers, dates, phones and identifiers as a speech-to-text transcript writes them
("le douze mars mille neuf cent soixante", "zéro six, douze, trente-quatre", "march twelfth
nineteen fifty four", "four four seven two"), for the dictation style of the generator."""

from __future__ import annotations

import random
import re

UNITS_FR = (
    "zéro un deux trois quatre cinq six sept huit neuf dix onze douze treize quatorze quinze seize"
).split()
TENS_FR = {2: "vingt", 3: "trente", 4: "quarante", 5: "cinquante", 6: "soixante"}
UNITS_EN = (
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
    "fifteen sixteen seventeen eighteen nineteen"
).split()
TENS_EN = "_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()
ORDINALS_EN = (
    "_ first second third fourth fifth sixth seventh eighth ninth tenth eleventh twelfth "
    "thirteenth fourteenth fifteenth sixteenth seventeenth eighteenth nineteenth twentieth"
).split()
MONTHS_FR = (
    "janvier février mars avril mai juin juillet août septembre octobre novembre décembre"
).split()
MONTHS_EN = (
    "january february march april may june july august september october november december"
).split()


def french(n: int) -> str:
    if n < 17:
        return UNITS_FR[n]
    if n < 20:
        return f"dix-{UNITS_FR[n - 10]}"
    tens, unit = divmod(n, 10)
    if tens in (7, 9):
        head = "soixante" if tens == 7 else "quatre-vingt"
        joiner = " et " if n == 71 else "-"
        return f"{head}{joiner}{french(10 + unit)}"
    if tens == 8:
        return "quatre-vingts" if unit == 0 else f"quatre-vingt-{UNITS_FR[unit]}"
    if unit == 0:
        return TENS_FR[tens]
    return f"{TENS_FR[tens]} et un" if unit == 1 else f"{TENS_FR[tens]}-{UNITS_FR[unit]}"


def english(n: int) -> str:
    if n < 20:
        return UNITS_EN[n]
    tens, unit = divmod(n, 10)
    if unit == 0:
        return TENS_EN[tens]
    joiner = " " if unit % 2 else "-"  # both spellings occur in transcripts
    return f"{TENS_EN[tens]}{joiner}{UNITS_EN[unit]}"


def english_ordinal(n: int) -> str:
    if n <= 20:
        return ORDINALS_EN[n]
    tens, unit = divmod(n, 10)
    return TENS_EN[tens] + "ieth" if unit == 0 else f"{TENS_EN[tens]} {ORDINALS_EN[unit]}"


def year(value: int, language: str, rng: random.Random) -> str:
    century, rest = divmod(value, 100)
    if language == "fr":
        if rng.random() < 0.2:
            return french(rest) if rest else "deux mille"  # "né en soixante-trois"
        head = "mille neuf cent" if century == 19 else "deux mille"
        rest = value - 1900 if century == 19 else value - 2000
        return head if rest == 0 else f"{head} {french(rest)}"
    if century == 20 and rest < 10:
        return f"two thousand and {english(rest)}" if rest else "two thousand"
    head = english(century)
    tail = f"oh {english(rest)}" if rest < 10 else english(rest)
    return f"{head} {tail}" if rest else f"{head} hundred"


def spoken(value: str, label: str, language: str, rng: random.Random) -> str:
    """``value`` (a date, phone, identifier or age as the generator writes it) dictated."""
    numbers = [int(n) for n in re.findall(r"[0-9]+", value)]
    if label == "DATE" and len(numbers) == 3 or label == "DATE" and len(numbers) == 2:
        if len(numbers) == 3:
            day, month, year_value = numbers
        else:
            day, year_value = numbers
            word = re.search(r"[^\W\d_]+", value)
            months = MONTHS_FR if language == "fr" else MONTHS_EN
            lower = word.group().lower() if word else ""
            month = months.index(lower) + 1 if lower in months else 1
        if language == "fr":
            day_words = "premier" if day == 1 else french(day)
            parts = [day_words, MONTHS_FR[month - 1]]
        elif rng.random() < 0.5:
            parts = [MONTHS_EN[month - 1], english_ordinal(day)]
        else:
            parts = ["the", english_ordinal(day), "of", MONTHS_EN[month - 1]]
        if rng.random() < 0.85:
            parts.append(year(year_value, language, rng))
        return " ".join(parts)
    digits = "".join(re.findall(r"[0-9]", value))
    if label == "PHONE" and language == "fr" and len(digits) == 10 and rng.random() < 0.7:
        pairs = [digits[i : i + 2] for i in range(0, 10, 2)]
        words = [f"zéro {UNITS_FR[int(p[1])]}" if p[0] == "0" else french(int(p)) for p in pairs]
        return (", " if rng.random() < 0.3 else " ").join(words)
    if label in ("PHONE", "ID") and digits:
        table = UNITS_FR if language == "fr" else UNITS_EN
        return " ".join(table[int(d)] for d in digits)
    if label == "AGE" and numbers:
        return french(numbers[0]) if language == "fr" else english(numbers[0])
    return value
