"""Date shifting for DA and DT values (times are kept: whole-day shifts leave them valid)."""

from __future__ import annotations

import re
from datetime import date, timedelta

DT_DATE = re.compile(r"\d{4}(?:\d{2}(?:\d{2})?)?")
DUMMY = {"DA": "19000101", "DT": "19000101000000", "TM": "000000"}


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
    return shifted.strftime("%Y%m%d")[: len(digits)]


def shift_da(value: str, days: int) -> str:
    """Shift each value of a (possibly multi-valued) DA string; invalid values become ''."""
    return "\\".join(_shift_ymd(part.strip(), days) for part in value.split("\\"))


def shift_dt(value: str, days: int) -> str:
    """Shift the date part of each DT value; time and UTC offset are kept."""
    out = []
    for part in value.split("\\"):
        part = part.strip()
        match = DT_DATE.match(part)
        shifted = _shift_ymd(match.group(0), days) if match else ""
        out.append(shifted + part[match.end() :] if shifted and match else "")
    return "\\".join(out)


def date_values(value: str, vr: str) -> list[str]:
    """The YYYYMMDD dates inside a DA/DT value (for the PHI record)."""
    out = []
    for part in value.split("\\"):
        part = part.strip().replace(".", "") if vr == "DA" else part.strip()
        if len(part) >= 8 and part[:8].isdigit():
            out.append(part[:8])
    return out
