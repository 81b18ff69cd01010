"""Identifying values met while walking a dataset, grouped as the PHI record wants them:
names (every spelling), ids, dates (YYYYMMDD), institutions and other free text."""

from __future__ import annotations

from dataclasses import dataclass, field

from pydicom.multival import MultiValue

from tasks.headers.crosscheck import institution_parts
from tasks.headers.dates import date_values

GROUPS = ("names", "ids", "dates", "institutions", "other")
TEXT_VRS = frozenset({"LO", "SH", "ST", "LT", "UT", "UC", "AE"})
MIN_LENGTH = 2  # name parts
MIN_VALUE_LENGTH = 3  # ids and other values: shorter ones are too common to match safely


def name_spellings(value: str) -> list[str]:
    """'DOE^JOHN' -> DOE^JOHN, DOE JOHN, JOHN DOE, John Doe, Doe John, DOE, JOHN (each part).
    Each component group (alphabetic=ideographic=phonetic) is spelt separately."""
    out: list[str] = []
    for group in value.split("="):
        group = group.strip().rstrip("^")
        if not group:
            continue
        parts = [p.strip() for p in group.split("^") if p.strip()]
        family = parts[0]
        out.append(group)
        out.append(" ".join(parts))
        givens = {" ".join(parts[1:3]), *parts[1:2]} - {""}  # given (+ middle), first given
        for given in givens:
            for text in (f"{given} {family}", f"{family}, {given}", f"{family} {given}"):
                out.append(text)
                out.append(text.title())
                out.append(text.upper())
        for part in parts:
            for piece in {part, *part.replace("-", " ").split()}:
                out.append(piece)
                out.append(piece.upper())
                out.append(piece.title())
    return _unique(out)


def _unique(values: list[str]) -> list[str]:
    seen: dict[str, None] = {}
    for value in values:
        value = value.strip()
        if len(value) >= MIN_LENGTH and any(ch.isalnum() for ch in value):
            seen.setdefault(value, None)
    return list(seen)


@dataclass
class Identifiers:
    """Accumulates identifying values of one dataset (never leaves the stage's function
    except inside the PHI sidecar)."""

    groups: dict[str, list[str]] = field(default_factory=lambda: {g: [] for g in GROUPS})

    def add(self, group: str, values: list[str]) -> None:
        bucket = self.groups[group]
        shortest = MIN_LENGTH if group == "names" else MIN_VALUE_LENGTH
        for value in values:
            value = value.strip()
            if len(value) >= shortest and value not in bucket:
                bucket.append(value)

    def add_element(self, keyword: str, vr: str, value: object) -> None:
        """Record an element's value in its group, by VR and keyword."""
        if value is None or value == "":
            return
        items = value if isinstance(value, list | tuple | MultiValue) else [value]
        texts = [str(item) for item in items if item is not None and str(item).strip()]
        if not texts:
            return
        if vr == "PN":
            for text in texts:
                self.add("names", name_spellings(text))
        elif vr in ("DA", "DT"):
            for text in texts:
                self.add("dates", date_values(text, vr))
        elif vr in TEXT_VRS:
            if "Institution" in keyword or keyword.endswith("OrganizationName"):
                self.add("institutions", texts)
            elif keyword.endswith(("ID", "IDs", "Number", "Numbers", "Identifier")):
                self.add("ids", texts)
            else:
                self.add("other", texts)

    def needles(self) -> tuple[str, ...]:
        """Every value to remove from free text (dates in their usual written forms too),
        longest first so that 'JOHN DOE' goes before 'DOE'."""
        values: set[str] = set()
        for group in ("names", "ids", "institutions", "other"):
            values.update(self.groups[group])
        values.update(institution_parts(self.groups["institutions"]))
        for ymd in self.groups["dates"]:
            values.update(date_spellings(ymd))
        return tuple(sorted(values, key=lambda v: (-len(v), v)))

    def as_record(self) -> dict[str, list[str]]:
        return {group: list(values) for group, values in self.groups.items() if values}


def date_spellings(ymd: str) -> list[str]:
    y, m, d = ymd[:4], ymd[4:6], ymd[6:8]
    return [
        ymd,
        f"{y}-{m}-{d}",
        f"{y}/{m}/{d}",
        f"{y}.{m}.{d}",
        f"{d}/{m}/{y}",
        f"{d}-{m}-{y}",
        f"{d}.{m}.{y}",
        f"{m}/{d}/{y}",
        f"{d}/{m}/{y[2:]}",
        f"{m}/{d}/{y[2:]}",
    ]
