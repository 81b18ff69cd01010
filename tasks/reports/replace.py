"""Turn found spans into replacements: typed placeholders or consistent surrogates, shifted
dates, age bands."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from tasks.config.keys import keyed_digest
from tasks.reports import dates
from tasks.reports.config import DATA_DIR, InvalidRecognizerConfig, read_yaml
from tasks.reports.known_values import fold
from tasks.reports.report_settings import ReportProfile
from tasks.reports.spans import LABELS, Span

AGE_NUMBER = re.compile(r"(\d{1,3})")
AGE_MONTHS = re.compile(r"mois|month", re.IGNORECASE)


@dataclass(frozen=True)
class Replacements:
    placeholders: dict[str, dict[str, str]]
    age_units: dict[str, dict[str, str]]
    surrogates: dict[str, list[str]]
    birth_context: re.Pattern[str]


@functools.cache
def replacements() -> Replacements:
    path = DATA_DIR / "replacements.yaml"
    data = read_yaml(path)
    placeholders = data.get("placeholders", {})
    for language in ("fr", "en"):
        missing = [label for label in LABELS if label not in placeholders.get(language, {})]
        if missing:
            raise InvalidRecognizerConfig(
                f"{path}: placeholders.{language} lacks {', '.join(missing)}"
            )
    words = "|".join(f"(?:{word})" for word in data.get("birth_context", [])) or "(?!)"
    return Replacements(
        placeholders,
        data.get("age_units", {}),
        data.get("surrogates", {}),
        re.compile(rf"(?:{words})\W{{0,6}}$", re.IGNORECASE),
    )


@dataclass
class Rewrite:
    text: str  # what is released
    masked: str  # the same with typed placeholders everywhere (what the gate checks)
    counts: dict[str, int]


def rewrite(
    text: str,
    spans: list[Span],
    language: str,
    profile: ReportProfile,
    key: bytes,
    shift_days: int,
    study_date: str = "",
) -> Rewrite:
    """``study_date``: the study's original date (YYYYMMDD), the reference of the age a
    birth date becomes under ``birth_dates: age_band``."""
    table = replacements()
    placeholders = table.placeholders["en" if language == "en" else "fr"]
    released: list[str] = []
    masked: list[str] = []
    counts = {"spans_replaced": 0, "dates_shifted": 0}
    cursor = 0
    for span in sorted(spans, key=lambda s: s.start):
        value = text[span.start : span.end]
        placeholder = placeholders[span.label]
        released.append(text[cursor : span.start])
        masked.append(text[cursor : span.start])
        if span.label == "DATE" and is_birth_date(text, span.start):
            replacement = _birth_date(value, language, profile, shift_days, study_date, placeholder)
        else:
            replacement = _replacement(
                value, span.label, language, profile, key, shift_days, placeholder, text
            )
        if span.label == "DATE" and replacement != placeholder:
            counts["dates_shifted"] += 1
        released.append(replacement)
        masked.append(placeholder)
        counts["spans_replaced"] += 1
        cursor = span.end
    released.append(text[cursor:])
    masked.append(text[cursor:])
    return Rewrite("".join(released), "".join(masked), counts)


def _replacement(
    value: str,
    label: str,
    language: str,
    profile: ReportProfile,
    key: bytes,
    shift_days: int,
    placeholder: str,
    text: str = "",
) -> str:
    if label == "DATE":
        if profile.dates == "shift" and shift_days != 0:
            return dates.shift(value, shift_days, language) or placeholder
        if profile.dates == "year":
            return dates.year_only(value, language) or placeholder
        return placeholder
    if label == "AGE":
        if profile.ages == "band":
            return age_band(value, language, profile.age_bands) or placeholder
        return placeholder
    if profile.strategy == "surrogate":
        return surrogate(value, label, key, avoid=text) or placeholder
    return placeholder


def is_birth_date(text: str, start: int) -> bool:
    """Whether the date starting at ``start`` is introduced as a birth date."""
    return bool(replacements().birth_context.search(text[max(0, start - 40) : start]))


def _birth_date(
    value: str,
    language: str,
    profile: ReportProfile,
    shift_days: int,
    study_date: str,
    placeholder: str,
) -> str:
    """A birth date under the profile's ``birth_dates`` policy: the age band at the study
    date (the headers' policy for PatientBirthDate), shifted like other dates, or removed."""
    if profile.birth_dates == "shift":
        return _replacement(value, "DATE", language, profile, b"", shift_days, placeholder)
    if profile.birth_dates == "age_band":
        years = _age_at(value, study_date, language)
        if years is not None:
            return band_of(years, language, profile.age_bands)
    return placeholder


def _age_at(birth: str, study_date: str, language: str) -> int | None:
    parsed = dates.parse(birth, language)
    seen = dates.parse(study_date, language) if study_date else None
    if parsed is None or seen is None or not parsed.has_year or parsed.value > seen.value:
        return None
    born, on = parsed.value, seen.value
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def age_band(value: str, language: str, bands: list[int]) -> str | None:
    number = AGE_NUMBER.search(value)
    if number is None:
        return None
    years = int(number.group(1))
    if AGE_MONTHS.search(value):
        years = years // 12
    return band_of(years, language, bands)


def band_of(years: int, language: str, bands: list[int]) -> str:
    units = replacements().age_units["en" if language == "en" else "fr"]
    for low, high in zip(bands, bands[1:], strict=False):
        if low <= years < high:
            return units["band"].format(low=low, high=high - 1)
    return units["top"].format(low=bands[-1])


def surrogate(value: str, label: str, key: bytes, avoid: str = "") -> str | None:
    """The same fake value for the same original (keyed hash), shaped like the original.

    A surrogate whose words already appear in ``avoid`` (the original text) is skipped for
    the next one, so a fake name never coincides with a real name of the same report.
    """
    normalised = fold(" ".join(value.replace(",", " ").split()))
    if label == "PERSON":  # "DUPONT Jean" and "Jean Dupont" are one person
        normalised = " ".join(sorted(normalised.split()))
    digest = keyed_digest(key, f"report-surrogate-{label}", normalised)
    number = int.from_bytes(digest[:8], "big")
    if label in ("ID", "PHONE", "NIR", "POSTCODE"):
        return _same_shape(value, digest)
    pool = replacements().surrogates.get(label)
    if not pool:
        return None
    folded_avoid = fold(avoid)
    for attempt in range(len(pool)):
        candidate = _pick(pool, number + attempt * 7919, label, value)
        words = re.findall(r"[\w'-]{3,}", fold(candidate))
        if not any(re.search(rf"(?<!\w){re.escape(w)}(?!\w)", folded_avoid) for w in words):
            return candidate
    return None


def _pick(pool: list[str], number: int, label: str, value: str) -> str:
    first = pool[number % len(pool)]
    if label == "PERSON" and len(value.split()) >= 2:
        second = pool[(number // len(pool)) % len(pool)]
        return f"{first[0]}. {second.upper()}"
    return first


def _same_shape(value: str, digest: bytes) -> str:
    out = []
    index = 0
    for char in value:
        if char.isdigit():
            out.append(str(digest[index % len(digest)] % 10))
            index += 1
        elif char.isalpha():
            out.append(chr(ord("A") + digest[index % len(digest)] % 26))
            index += 1
        else:
            out.append(char)
    return "".join(out)
