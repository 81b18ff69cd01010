"""The title rule: after anonymisation no title or form of address may still be followed by
a word that may be a name ("Dr Martin", "vu par monsieur dupont", "Mme de la Tour").

Used by the FIDAC report gate (on the placeholder text, before a report is written) and by the
released-report check ``reports_free_of_title_and_name``. Titles are matched in any case,
particles are skipped, and the word after them counts unless it is a placeholder, a function
word, report vocabulary ("DR THORAX": digital radiography; "PR interval") or listed in
data/title_gate.yaml. Abbreviations that are also units ("3 m.", "20 ms") are not titles after
a number. Data: data/title_gate.yaml.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from tasks.reports.config import DATA_DIR, InvalidRecognizerConfig, read_yaml

RULE_FILE = DATA_DIR / "title_gate.yaml"
WORD = re.compile(r"[^\W\d_](?:[^\W\d_]|['-](?=[^\W\d_]))*")
BLANKS = re.compile(r"[ \t\u00a0\u202f]+")
NUMBER_BEFORE = re.compile(r"\d[ \t\u00a0\u202f]*$")


@dataclass(frozen=True)
class TitleRule:
    title: re.Pattern[str]
    article: re.Pattern[str]
    particle: re.Pattern[str]
    units: frozenset[str]
    not_names: frozenset[str]
    technical: frozenset[str]

    def mentions(self, text: str) -> int:
        """How many title + name mentions the text holds (a count, never the words)."""
        count, position = 0, 0
        while (match := self.title.search(text, position)) is not None:
            position = match.end()
            if match.group().lower() in self.units and self._after_number(text, match.start()):
                continue
            name_end = self._name_after(text, match.end(), match.group())
            if name_end is not None:
                count += 1
                position = name_end
        return count

    @staticmethod
    def _after_number(text: str, start: int) -> bool:
        return NUMBER_BEFORE.search(text, max(0, start - 16), start) is not None

    def _name_after(self, text: str, index: int, title: str) -> int | None:
        """End of the word that may be a name after the title ending at ``index``, else None."""
        index = self._more_titles(text, index)
        blank = BLANKS.match(text, index)
        if blank is None:
            return None  # punctuation, placeholder or end of line right after the title
        index = blank.end()
        while (particle := self.particle.match(text, index)) is not None:
            index = particle.end()
        word = WORD.match(text, index)
        if word is None:
            return None
        if self._not_a_name(word.group(), title):
            return None
        return word.end()

    def _more_titles(self, text: str, index: int) -> int:
        """Skip "le Professeur" in "Monsieur le Professeur Dupont"."""
        while True:
            blank = BLANKS.match(text, index)
            if blank is None:
                return index
            at = blank.end()
            article = self.article.match(text, at)
            if article is not None:
                at = article.end()
            title = self.title.match(text, at)
            if title is None:
                return index
            index = title.end()

    def _not_a_name(self, word: str, title: str) -> bool:
        """A capitalised word after a title in mixed-case text is a name ("Dr Conclusion"),
        unless the title is an imaging abbreviation in capitals ("MR Brain", "MR Neuro": a
        protocol's name); in lower case or all capitals ("DR THORAX", "MR DUPONT") case says
        nothing: vocabulary decides."""
        from tasks.reports.lexicon import never_a_name

        lowered = word.lower()
        if lowered in self.not_names or self.title.fullmatch(word) is not None:
            return True
        capitalised = word[0].isupper() and not word.isupper()
        if capitalised and title in self.technical:
            return True
        return not capitalised and never_a_name(lowered)


def _strings(data: dict, key: str, path: object) -> list[str]:
    values = data.get(key, [])
    if not isinstance(values, list) or not all(isinstance(v, str) and v for v in values):
        raise InvalidRecognizerConfig(f"title rule {path}: '{key}' must be a list of strings")
    return values


def _alternatives(values: list[str]) -> str:
    return "|".join(
        re.escape(v) if v.endswith(".") else re.escape(v) + r"\.?"
        for v in sorted(values, key=len, reverse=True)
    )


@functools.cache
def title_rule() -> TitleRule:
    data = read_yaml(RULE_FILE)
    titles = _strings(data, "titles", RULE_FILE)
    if not titles:
        raise InvalidRecognizerConfig(f"title rule {RULE_FILE}: 'titles' is empty")
    exact = _strings(data, "case_sensitive", RULE_FILE)
    title = re.compile(
        rf"(?<![\w.'-])(?:(?i:{_alternatives(titles)})|{_alternatives(exact)})(?![\w'-])"
    )
    articles = "|".join(re.escape(a) for a in _strings(data, "articles", RULE_FILE))
    particles = sorted(_strings(data, "particles", RULE_FILE), key=len, reverse=True)
    particle_body = "|".join(
        re.escape(p).replace(r"\ ", r"[ \t]+") + ("" if p.endswith("'") else r"[ \t]+")
        for p in particles
    )
    return TitleRule(
        title=title,
        article=re.compile(rf"(?i:{articles})(?:[ \t]+|(?<='))"),
        particle=re.compile(rf"(?i:{particle_body})"),
        units=frozenset(u.lower() for u in _strings(data, "units", RULE_FILE)),
        not_names=frozenset(w.lower() for w in _strings(data, "not_names", RULE_FILE)),
        technical=frozenset(_strings(data, "technical_capitals", RULE_FILE)),
    )


def title_mentions(text: str) -> int:
    """How many titles in ``text`` are still followed by a word that may be a name."""
    from tasks.reports.api import same_length_normalised

    return title_rule().mentions(same_length_normalised(text))


def title_remaining(masked_text: str) -> bool:
    """True when a title is still followed by a word that may be a name (FIDAC gate)."""
    return title_mentions(masked_text) > 0
