"""Validate hooks for pattern recognizers: ``fn(text, start, end) -> bool`` (keep the match?).

Named in recognizers.yaml (field ``validator``); each looks only at the match and a few
characters around it.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from datetime import date

DIGITS = re.compile(r"[0-9]")
DURATION_BEFORE = re.compile(
    r"(?:depuis|dans|pendant|durant|il\s+y\s+a|tous\s+les|toutes\s+les|après|avant|sur|en|"
    r"de\s+plus\s+de|plus\s+de|moins\s+de|environ|à|au\s+bout\s+de|since|for|in|within|over|"
    r"past|last|every|after|before|about|ago|during|next|of)\s*$",
    re.IGNORECASE,
)
AGE_BEFORE = re.compile(
    r"(?:âgée?s?\s+de|agée?\s+de|patiente?\s+de|enfant\s+de|aged|age[d:]?)\s*$", re.IGNORECASE
)


def nir_key(text: str, start: int, end: int) -> bool:
    """French NIR: 13 digits (2A/2B for Corsica) + a key = 97 - (number mod 97)."""
    compact = re.sub(r"[\s|.-]", "", text[start:end]).upper()
    body = compact[:13].replace("2A", "19").replace("2B", "18")
    if not body.isdigit():
        return False
    if len(compact) == 13:
        return True  # no key written: a 13-digit social-security number is identifying anyway
    return (
        len(compact) == 15 and compact[13:].isdigit() and 97 - int(body) % 97 == int(compact[13:])
    )


def nir_shape(text: str, start: int, end: int) -> bool:
    """A 15-character social-security number whose key does not check (a typo, an OCR
    error): identifying all the same; the valid ones are NIRs."""
    compact = re.sub(r"[\s|.-]", "", text[start:end])
    return len(compact) == 15 and not nir_key(text, start, end)


def phone_number(text: str, start: int, end: int) -> bool:
    value = text[start:end]
    count = len(DIGITS.findall(value.split("x")[0].split("ext")[0].split("poste")[0]))
    if not 9 <= count <= 15:
        return False
    if re.fullmatch(r"[0-9]{8}", value.strip()):
        return False
    # a date-like shape (12.03.2021) is a date, not a phone
    return not re.fullmatch(r"\d{1,2}[./-]\d{1,2}[./-]\d{2,4}", value.strip())


def identifier_shape(text: str, start: int, end: int) -> bool:
    value = text[start:end]
    if value.isdigit() and value.startswith(("19", "20")) and len(value) == 8:
        return False  # a compact date (the date recognizer takes it)
    after = text[end : end + 6].lower()
    return not re.match(r"\s?(?:mm|cm|ml|mg|mbq|mgy|gy|kg|ms|hu|uh|%)\b", after)


def numeric_date(text: str, start: int, end: int) -> bool:
    parts = [int(p) for p in re.split(r"[/.|-]", text[start:end]) if p]
    if len(parts) == 1:  # compact YYYYMMDD
        value = text[start:end]
        return _valid(int(value[:4]), int(value[4:6]), int(value[6:8]))
    if len(parts) == 2:  # dd/mm
        return _valid(2000, parts[1], parts[0])
    a, b, c = parts
    if a > 31:  # year first
        return _valid(a, b, c)
    year = c if c > 99 else 2000 + c
    return _valid(year, b, a) or _valid(year, a, b)


def _valid(year: int, month: int, day: int) -> bool:
    try:
        date(year, month, day)
    except ValueError:
        return False
    return True


def not_a_duration(text: str, start: int, end: int) -> bool:
    """An age, unless the words before make it a duration ("depuis 2 ans", "for 3 years")."""
    before = text[max(0, start - 25) : start]
    if AGE_BEFORE.search(before):
        return True
    return not DURATION_BEFORE.search(before)


def name_words(text: str, start: int, end: int) -> bool:
    """Every word a possible name: none is report vocabulary, a device make or a word of
    practice names ("IMAGERIE MEDICALE")."""
    from tasks.reports.vocab import is_report_word

    words = re.split(r"[\s]+", text[start:end])
    return not any(is_report_word(w) or w.lower() in GENERIC_PLACE_HEADS for w in words)


# words every practice or clinic name may use: a name made only of them names nothing
GENERIC_PLACE_HEADS = frozenset(
    "cabinet centre groupe groupement institut pole pôle maison selarl selas scm gie clinique "
    "polyclinique hopital hôpital imagerie imageries medicale médicale medical médical "
    "radiologie radiologique sante santé chu chr ch hospitalier hospitaliere hospitalière "
    "universitaire regional régional".split()
)
GENERIC_PLACE_WORDS = GENERIC_PLACE_HEADS | frozenset("de du des la le les et sur en d l".split())


def names_a_place(text: str, start: int, end: int) -> bool:
    """An establishment name holds one word that is not generic ("CENTRE D'IMAGERIE
    MEDICALE" names nothing; "CENTRE D'IMAGERIE DU LITTORAL" does)."""
    words = re.findall(r"[^\W\d_]+", text[start:end])
    return any(w.lower() not in GENERIC_PLACE_WORDS for w in words)


def names_a_lower_case_place(text: str, start: int, end: int) -> bool:
    """A lower-case establishment name ("chu de brest", "clinique saint-hervé") holds a word
    outside the generic words, the French dictionary and the report vocabulary ("hôpital de
    jour", "clinique de la douleur" name nothing)."""
    from tasks.reports.lexicon import is_french_word, never_a_name

    words = re.findall(r"[^\W\d_]+(?:-[^\W\d_]+)*", text[start:end])
    if QUALIFIED_HOSPITAL.search(text[start:end]) and not never_a_name(words[-1]):
        return True  # "hôpital privé du val d'ombre": a qualified hospital is named by place
    return any(
        w.lower() not in GENERIC_PLACE_WORDS
        and not never_a_name(w)
        and (not is_french_word(w) or w.lower() in _city_names())  # "chu de quimper"
        for w in words
    )


QUALIFIED_HOSPITAL = re.compile(
    r"\b(?:priv[ée]e?|mutualiste|militaire|d'instruction(?: des arm[ée]es)?)\s+"
    r"(?:du|des|de(?!\s+(?:jour|nuit|semaine)\b)|d['’])"
)


@functools.cache
def _city_names() -> frozenset[str]:
    import csv

    from tasks.reports.config import DATA_DIR

    with open(DATA_DIR / "gazetteers" / "cities.csv", encoding="utf-8") as handle:
        rows = csv.DictReader(line for line in handle if not line.startswith("#"))
        return frozenset(row["name"].lower() for row in rows)


def a_place_word(text: str, start: int, end: int) -> bool:
    """After "domiciliée à", "né à": a known city, or a word outside the French dictionary
    and the report vocabulary ("né à terme" is no place)."""
    from tasks.reports.lexicon import is_french_word, never_a_name

    value = text[start:end].lower()
    if value in _city_names():
        return True
    first = re.split(r"[\s-]+", value)[0]
    return not never_a_name(first) and not is_french_word(first)


def a_user_name(text: str, start: int, end: int) -> bool:
    """A login built from a name ("pmasson", "j.vasseur", "BCOOPER"): a word outside the
    French and English dictionaries, the report vocabulary and the function words."""
    from tasks.reports.lexicon import is_english_word, is_french_word, never_a_name

    word = text[start:end].lower()
    parts = [p for p in word.split(".") if p]
    if not parts or never_a_name(word):
        return False
    longest = max(parts, key=len)
    return (
        not (is_french_word(longest) or is_english_word(longest))
        or len(parts) > 1
        and (len(parts[0]) == 1)
    )


# words an English practice name may use that name no place ("Interventional Radiology",
# "Diagnostic Imaging", "the Breast Clinic")
GENERIC_ENGLISH_PLACE_WORDS = frozenset(
    "the a an of and at our your his her their this that st saint royal general community "
    "university district memorial teaching women's children's family medical diagnostic "
    "diagnostics imaging radiology associates practice partnership group healthcare health "
    "partners clinic polyclinic surgery centre center infirmary hospital hospice nursing home "
    "care orthopedic orthopaedic specialty vascular spine sports breast cancer heart dental "
    "physician physicians interventional musculoskeletal paediatric pediatric neuro "
    "neuroradiology cardiac abdominal body thoracic emergency oncology oncologic nuclear "
    "medicine services service unit department outpatient inpatient main new old local".split()
)


def names_an_english_place(text: str, start: int, end: int) -> bool:
    """An English practice or hospital name holds a word that is not generic and not report
    vocabulary; in lower case, a word outside the English dictionary too ("nottingham
    general hospital"; "the general hospital" names nothing)."""
    from tasks.reports.lexicon import is_english_word, is_french_word
    from tasks.reports.vocab import is_report_word

    value = text[start:end]
    words = re.findall(r"[^\W\d_]+(?:['’][^\W\d_]+)?", value)
    lower_case = value == value.lower()
    for word in words:
        lowered = word.lower()
        if lowered in GENERIC_ENGLISH_PLACE_WORDS or is_report_word(lowered):
            continue
        if lower_case and lowered in _city_names():
            return True  # "derby diagnostic centre", "boston memorial hospital"
        if lower_case and (is_english_word(lowered) or is_french_word(lowered)):
            continue
        return True
    return False


def names_a_practice(text: str, start: int, end: int) -> bool:
    """A practice named after a place ("clinique du coteau") holds a word that is neither
    generic nor report vocabulary ("clinique de la douleur", "centre médical du sein" name
    no place)."""
    from tasks.reports.lexicon import is_french_word, never_a_name

    value = text[start:end]
    words = re.findall(r"[^\W\d_]+(?:-[^\W\d_]+)*", value)
    # "de la" + report vocabulary announces a specialty in lower case ("clinique de la
    # douleur", "de la main"): then only a word outside the dictionary names a place; "centre
    # d'irm de la vallée verte" names one
    after = re.search(r"\sde\s+(?:la\s+|l['’])([^\W\d_]+)", value)
    specialty = value == value.lower() and after and never_a_name(after.group(1))
    return any(
        w.lower() not in GENERIC_PLACE_WORDS
        and not never_a_name(w)
        and not (specialty and is_french_word(w))
        for w in words
    )


def a_known_city(text: str, start: int, end: int) -> bool:
    """A known town (the cities gazetteer), whatever its case."""
    return text[start:end].lower() in _city_names()


VALIDATORS: dict[str, Callable[[str, int, int], bool]] = {
    "a_known_city": a_known_city,
    "names_a_practice": names_a_practice,
    "names_an_english_place": names_an_english_place,
    "a_user_name": a_user_name,
    "a_place_word": a_place_word,
    "names_a_place": names_a_place,
    "names_a_lower_case_place": names_a_lower_case_place,
    "nir_key": nir_key,
    "nir_shape": nir_shape,
    "phone_number": phone_number,
    "identifier_shape": identifier_shape,
    "numeric_date": numeric_date,
    "not_a_duration": not_a_duration,
    "name_words": name_words,
}
