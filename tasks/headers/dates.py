"""Date and time shifting for DA, DT and TM values.

One offset per patient: ``days`` whole days plus ``seconds`` (0 <= seconds < 86400). With
``seconds`` = 0 (``keep_time_of_day: true``) only dates move and times of day are kept. With
``seconds`` > 0 the offset is not a whole number of days, so times of day move too:

- a date with its paired time in the same item (StudyDate + StudyTime, ContentDate +
  ContentTime, ...: ``PAIRS``) is shifted as one instant, so the date changes when the
  shifted time crosses midnight and intervals between paired values are kept exactly;
- a DT value is shifted as one instant (its UTC offset is kept), down to its own precision;
- a date alone (or a DT holding only a date) moves by ``days``;
- a time alone moves by ``seconds``, modulo 24 hours.

Values that cannot be parsed become empty: an unparsed value would keep its information.
Precision is kept: ``HHMM`` stays ``HHMM`` (the shifted value is truncated to it) and a
fraction of a second is kept as written.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache

from pydicom.datadict import DicomDictionary, keyword_dict

DT_DATE = re.compile(r"\d{4}(?:\d{2}(?:\d{2})?)?")
DT_FULL = re.compile(r"^(\d{4,14})(\.\d{1,6})?([+-]\d{4})?$")
TM_FULL = re.compile(r"^(\d{2}(?:\d{2}(?:\d{2})?)?)(\.\d{1,6})?$")
DUMMY = {"DA": "19000101", "DT": "19000101000000", "TM": "000000"}
DAY = 86400


@dataclass(frozen=True)
class Offset:
    """days * 86400 + seconds, with 0 <= seconds < 86400."""

    days: int
    seconds: int = 0

    @property
    def total(self) -> timedelta:
        return timedelta(days=self.days, seconds=self.seconds)


def _time_pairs() -> dict[int, int]:
    """Date tag -> time tag of the same event: XxxDate/XxxTime, DateOfXxx/TimeOfXxx."""
    pairs = {}
    for tag, entry in DicomDictionary.items():
        keyword = entry[4]
        if entry[0] != "TM" or not keyword:
            continue
        names = [keyword.replace("Time", "Date")]
        if keyword.endswith("Time"):
            names.insert(0, keyword[:-4] + "Date")
        for name in names:
            date_tag = keyword_dict.get(name)
            if date_tag is not None and DicomDictionary[date_tag][0] == "DA":
                pairs[date_tag] = tag
                break
    return pairs


PAIRS = _time_pairs()
PAIRED = {**PAIRS, **{time: day for day, time in PAIRS.items()}}  # either -> the other


def _shift_ymd(text: str, days: int) -> str:
    """Shift a YYYY, YYYYMM or YYYYMMDD string, keeping its precision; '' if not a date."""
    digits = text.replace(".", "").replace("-", "") if len(text) == 10 else text
    if not digits.isdigit() or len(digits) not in (4, 6, 8):
        return ""
    year = int(digits[:4])
    month = int(digits[4:6]) if len(digits) >= 6 else 1
    day = int(digits[6:8]) if len(digits) == 8 else 1
    try:
        shifted = date(year, month, day) + timedelta(days=days)
    except (ValueError, OverflowError):
        return ""
    return _ymd(shifted)[: len(digits)]


def _ymd(moment: date) -> str:
    return f"{moment.year:04d}{moment.month:02d}{moment.day:02d}"


def _parse_tm(text: str) -> tuple[int, int, str] | None:
    """(seconds since midnight, digits of precision, fraction as written) or None."""
    text = text.strip()
    if ":" in text:  # ACR-NEMA style HH:MM:SS
        text = text.replace(":", "")
    match = TM_FULL.match(text)
    if not match:
        return None
    digits = match.group(1)
    hours, minutes = int(digits[:2]), int(digits[2:4] or 0)
    seconds = min(int(digits[4:6] or 0), 59)  # a leap second 60 counts as 59
    if hours > 23 or minutes > 59:
        return None
    return hours * 3600 + minutes * 60 + seconds, len(digits), match.group(2) or ""


def _format_tm(seconds: int, precision: int, fraction: str) -> str:
    text = f"{seconds // 3600:02d}{seconds // 60 % 60:02d}{seconds % 60:02d}"[:precision]
    return text + fraction if precision == 6 else text


@lru_cache(maxsize=8192)
def shift_da(value: str, days: int) -> str:
    """Shift each value of a (possibly multi-valued) DA string; invalid values become ''."""
    return "\\".join(_shift_ymd(part.strip(), days) for part in value.split("\\"))


@lru_cache(maxsize=8192)
def shift_tm(value: str, seconds: int) -> str:
    """Shift each time of day of a TM string by ``seconds``, modulo 24 hours."""
    if seconds == 0:
        return value
    out = []
    for part in value.split("\\"):
        parsed = _parse_tm(part)
        if parsed is None:
            out.append("")
            continue
        moment, precision, fraction = parsed
        out.append(_format_tm((moment + seconds) % DAY, precision, fraction))
    return "\\".join(out)


def _shift_dt_one(part: str, offset: Offset) -> str:
    match = DT_FULL.match(part.strip())
    if not match or len(match.group(1)) % 2:
        return ""
    digits, fraction, zone = match.group(1), match.group(2) or "", match.group(3) or ""
    if len(digits) <= 8:
        shifted = _shift_ymd(digits, offset.days)
        return shifted + zone if shifted else ""
    try:
        moment = datetime.strptime(digits.ljust(14, "0"), "%Y%m%d%H%M%S") + offset.total
    except (ValueError, OverflowError):
        return ""
    text = moment.strftime("%Y%m%d%H%M%S")[: len(digits)]
    return text + (fraction if len(digits) == 14 else "") + zone


@lru_cache(maxsize=8192)
def shift_dt(value: str, days: int | Offset) -> str:
    """Shift each DT value as one instant (to its own precision); the UTC offset is kept."""
    offset = days if isinstance(days, Offset) else Offset(days)
    return "\\".join(_shift_dt_one(part, offset) for part in value.split("\\"))


@lru_cache(maxsize=8192)
def shift_pair(day: str, time: str, offset: Offset) -> tuple[str, str]:
    """A DA value and its paired TM value shifted as one instant. Multi-valued or
    unparsable pairs are shifted apart (date by days, time modulo 24 hours)."""
    parsed = _parse_tm(time) if "\\" not in time and "\\" not in day else None
    shifted_day = _shift_ymd(day.strip(), 0) if parsed else ""
    if parsed is None or len(shifted_day) != 8:
        return shift_da(day, offset.days), shift_tm(time, offset.seconds)
    moment, precision, fraction = parsed
    total = moment + offset.seconds
    try:
        day_moved = date(int(shifted_day[:4]), int(shifted_day[4:6]), int(shifted_day[6:]))
        day_moved += timedelta(days=offset.days + total // DAY)
    except (ValueError, OverflowError):
        return "", ""
    return _ymd(day_moved), _format_tm(total % DAY, precision, fraction)


def date_values(value: str, vr: str) -> list[str]:
    """The YYYYMMDD dates inside a DA/DT value (for the PHI record)."""
    out = []
    for part in value.split("\\"):
        part = part.strip().replace(".", "") if vr == "DA" else part.strip()
        if len(part) >= 8 and part[:8].isdigit():
            out.append(part[:8])
    return out
