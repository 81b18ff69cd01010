"""What a released header may contain, as per-instance violation counts (never values).

Built once per run from the ``checks:`` section (and the header stage's settings for the
defaults it decides: pseudonym format, UID root)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

from tasks.checks.check_settings import ChecksProfile
from tasks.checks.header_facts import tag_name
from tasks.checks.titles import count_title_mentions
from tasks.checks.uid_meaning import identifies_instance

DICOM_DEFINED_UID_ROOT = "1.2.840.10008."
FALLBACK_PSEUDONYM = r"^[A-Z0-9]{0,8}[A-Z2-7]{8,12}$"
DATE_TEXT = re.compile(r"^(\d{4})(\d{2})?(\d{2})?")


@dataclass(frozen=True)
class ReleasePolicy:
    allowed_attributes: frozenset[str] | None  # None: any public attribute
    allowed_private_creators: frozenset[str]
    uid_root: str | None
    date_attributes: frozenset[str] | None  # None: any attribute may hold a date
    forbidden_date_attributes: frozenset[str]
    dummy_dates: frozenset[str]
    earliest: str  # YYYYMMDD
    latest: str
    precision: str
    pseudonym_pattern: str
    dummy_values: frozenset[str]

    def attributes_outside_allow_list(self, tags: list[int]) -> int:
        if self.allowed_attributes is None:
            return 0
        return sum(1 for tag in tags if not _is_private(tag) and not self._allowed(tag))

    def _allowed(self, tag: int) -> bool:
        return _allowed_cached(self.allowed_attributes, tag)

    def private_elements_not_allowed(self, creators: list[str | None]) -> int:
        return sum(1 for creator in creators if creator not in self.allowed_private_creators)

    def uids_outside_root(self, uids: list[tuple[int, str]]) -> int:
        """Instance UIDs (by their attribute's meaning: ``uid_meaning``) neither under the
        release root nor defined by DICOM; class, coding-scheme, transfer-syntax... UIDs
        identify no one and are not counted."""
        if self.uid_root is None:
            return 0
        prefix = self.uid_root + "."
        return sum(
            1
            for tag, uid in uids
            if identifies_instance(tag)
            and not (uid.startswith(prefix) or uid.startswith(DICOM_DEFINED_UID_ROOT))
        )

    def other_person_names(self, names: list[str]) -> int:
        """Person names other than the patient's pseudonym (physicians, operators...)."""
        if not names:
            return 0
        pseudonym = _compiled(self.pseudonym_pattern)
        return sum(
            1 for name in names if name not in self.dummy_values and not pseudonym.match(name)
        )

    def text_title_mentions(self, texts: list[str]) -> int:
        """'Title + capitalised word' in released free-text attributes (descriptions...)."""
        return count_title_mentions("\n".join(texts)) if texts else 0  # no match spans lines

    def is_dummy_date(self, value: str) -> bool:
        """A dummy date, or a dummy date-time: the dummy date then zeros ("19000101000000")."""
        if value in self.dummy_dates:
            return True
        rest = value[8:]
        return bool(rest) and value[:8] in self.dummy_dates and not rest.strip("0.")

    def dates_outside_policy(self, dates: list[tuple[str, str]]) -> int:
        return sum(1 for name, value in dates if not self.date_allowed(name, value))

    def date_allowed(self, name: str, value: str) -> bool:
        if self.is_dummy_date(value):
            return True
        if name in self.forbidden_date_attributes:
            return False
        if self.date_attributes is not None and name not in self.date_attributes:
            return False
        match = DATE_TEXT.match(value)
        if not match:
            return False  # unparseable: cannot prove it within policy
        year, month, day = match.group(1), match.group(2) or "01", match.group(3) or "01"
        if self.precision == "year" and (month, day) != ("01", "01"):
            return False
        if self.precision == "month" and day != "01":
            return False
        return self.earliest <= f"{year}{month}{day}" <= self.latest


def _is_private(tag: int) -> bool:
    return bool((tag >> 16) & 1)


@lru_cache(maxsize=16)
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


@lru_cache(maxsize=4096)
def _allowed_cached(allowed: frozenset[str], tag: int) -> bool:
    return tag_name(tag) in allowed


def build_policy(
    checks: ChecksProfile, headers: object | None, today: date | None = None
) -> ReleasePolicy:
    """``headers``: the profile's header settings
    (tasks.headers.header_settings.HeaderProfile) or None."""
    dates = checks.dates
    latest = dates.latest or today or date.today()
    return ReleasePolicy(
        allowed_attributes=None
        if checks.released_attributes == "any"
        else frozenset(checks.released_attributes),
        allowed_private_creators=frozenset(checks.allowed_private_creators),
        uid_root=resolve_uid_root(checks, headers),
        date_attributes=None
        if dates.allowed_attributes == "any"
        else frozenset(dates.allowed_attributes),
        forbidden_date_attributes=frozenset(dates.forbidden_attributes),
        dummy_dates=frozenset(dates.dummy_values),
        earliest=dates.earliest.strftime("%Y%m%d"),
        latest=latest.strftime("%Y%m%d"),
        precision=dates.precision,
        pseudonym_pattern=resolve_pseudonym_pattern(checks, headers),
        dummy_values=frozenset(checks.dummy_values),
    )


def resolve_pseudonym_pattern(checks: ChecksProfile, headers: object | None) -> str:
    """The profile's pattern, else the header stage's format: prefix + base32 code."""
    if checks.pseudonym_pattern is not None:
        return checks.pseudonym_pattern
    settings = getattr(headers, "pseudonyms", None)
    prefix = getattr(settings, "patient_prefix", None)
    length = getattr(settings, "length", None)
    if isinstance(prefix, str) and isinstance(length, int):
        return rf"^{re.escape(prefix)}[A-Z2-7]{{{length}}}$"
    return FALLBACK_PSEUDONYM


def resolve_uid_root(checks: ChecksProfile, headers: object | None) -> str | None:
    if not checks.check_uid_root:
        return None
    if checks.uid_root is not None:
        return checks.uid_root
    root = getattr(headers, "uid_root", None)
    return root.rstrip(".") if isinstance(root, str) else "2.25"
