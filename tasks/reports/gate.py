"""The FIDAC submission check: after anonymisation, no title may still be followed by a
capitalised word ("Dr Martin", "Mme Durand")."""

from __future__ import annotations

import functools
import re

from tasks.reports.config import DATA_DIR
from tasks.reports.recognizers.title_name import title_pattern
from tasks.reports.vocab import is_report_word


@functools.cache
def _title_then_capital() -> re.Pattern[str]:
    titles = title_pattern(DATA_DIR / "gazetteers" / "titles.yaml").pattern
    return re.compile(rf"(?:{titles})[ \t]+([A-ZÀ-ÖØ-Þ][\wÀ-ÿ'’-]*)")


def title_remaining(masked_text: str) -> bool:
    """True when a title is followed by a capitalised word in the (placeholder) text.

    Upper-case abbreviations that are also imaging terms ("DR THORAX": digital radiography,
    "PR": partial response) count only when the next word is not report vocabulary.
    """
    from tasks.reports.api import same_length_normalised

    for match in _title_then_capital().finditer(same_length_normalised(masked_text)):
        title = match.group(0)[: match.start(1) - match.start()].strip()
        if title.isupper() and len(title) <= 3 and is_report_word(match.group(1)):
            continue
        return True
    return False
