"""The FIDAC submission check: after anonymisation, no title may still be followed by a
capitalised word ("Dr Martin", "Mme Durand")."""

from __future__ import annotations

import functools
import re

from tasks.reports.config import DATA_DIR
from tasks.reports.recognizers.title_name import title_pattern


@functools.cache
def _title_then_capital() -> re.Pattern[str]:
    titles = title_pattern(DATA_DIR / "gazetteers" / "titles.yaml").pattern
    return re.compile(rf"(?:{titles})[ \t]+[A-ZÀ-ÖØ-Þ]")


def title_remaining(masked_text: str) -> bool:
    """True when a title is followed by a capitalised word in the (placeholder) text."""
    return _title_then_capital().search(masked_text) is not None
