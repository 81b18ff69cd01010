"""Score the engine on a labelled corpus (JSONL: text, spans [[start, end, label]], language;
optional "style" and "protected" [[start, end, kind]]).

Recall per gold category (and per style): a gold span counts as found when every character
of it is inside the predicted spans (whatever their labels: what matters is that it is
removed). Strict on boundaries: "Jean DUPONT" found as "Jean" and "DUPONT" is a miss, since
the space between them is not removed.

Precision (per predicted label and over all labels), intersection over union in characters:
a predicted span P is right when, G being the characters of the gold spans it overlaps,
|P ∩ G| / |P ∪ G| >= 0.5. With one gold span this is the usual overlap ratio; taking the
union of the gold spans it touches keeps "75018 Paris" right when postcode and city are two
gold spans. A span over a whole document, or more than twice as wide as the value it holds,
is wrong. Character precision: predicted characters inside gold spans / predicted characters.

The older, lenient rules are counted for comparison only: "any overlap" (right when it
touches a gold span: a span over the whole document was right) and "half inside" (right
when half of its characters are inside gold spans). Protected terms: one is destroyed when
any of its characters is inside a predicted span.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from tasks.reports.spans import STRONG_LABELS, Span

FIRST_NAMES = Path(__file__).resolve().parent / "data" / "gazetteers" / "first_names.txt"
NAME_WORD = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)*")


@dataclass
class Score:
    gold: dict[str, int] = field(default_factory=dict)
    found: dict[str, int] = field(default_factory=dict)
    predicted: dict[str, int] = field(default_factory=dict)
    correct: dict[str, int] = field(default_factory=dict)
    misses: list[tuple[str, str, str]] = field(default_factory=list)  # (report id, label, text)
    false_positives: list[tuple[str, str, str]] = field(default_factory=list)
    style_gold: dict[str, int] = field(default_factory=dict)
    style_found: dict[str, int] = field(default_factory=dict)
    subgroup_gold: dict[str, int] = field(default_factory=dict)  # see score(subgroup=...)
    subgroup_found: dict[str, int] = field(default_factory=dict)
    spans_predicted: int = 0
    spans_touching: int = 0  # lenient, for comparison: predicted spans touching a gold span
    spans_half_inside: int = 0  # lenient: predicted spans with >= 50 % of their characters in gold
    chars_predicted: int = 0
    chars_inside: int = 0
    protected: dict[str, int] = field(default_factory=dict)  # kind -> terms
    destroyed: dict[str, int] = field(default_factory=dict)  # kind -> terms touched
    destroyed_terms: list[tuple[str, str, str]] = field(default_factory=list)

    def recall(self, labels: Iterable[str] | None = None) -> float:
        keys = list(labels) if labels is not None else list(self.gold)
        gold = sum(self.gold.get(k, 0) for k in keys)
        return sum(self.found.get(k, 0) for k in keys) / gold if gold else 1.0

    def strong_recall(self) -> float:
        return self.recall([k for k in self.gold if k in STRONG_LABELS])

    def style_recall(self, style: str) -> float:
        gold = self.style_gold.get(style, 0)
        return self.style_found.get(style, 0) / gold if gold else 1.0

    def subgroup_recall(self, subgroup: str) -> float:
        gold = self.subgroup_gold.get(subgroup, 0)
        return self.subgroup_found.get(subgroup, 0) / gold if gold else 1.0

    def span_precision(self) -> float:
        """Precision over all labels with the intersection-over-union rule."""
        return self.precision()

    def touch_precision(self) -> float:
        """Lenient (any overlap with a gold span), for comparison with older figures only."""
        return self.spans_touching / self.spans_predicted if self.spans_predicted else 1.0

    def half_inside_precision(self) -> float:
        """Lenient (half of the span inside gold spans), for comparison only."""
        return self.spans_half_inside / self.spans_predicted if self.spans_predicted else 1.0

    def char_precision(self) -> float:
        return self.chars_inside / self.chars_predicted if self.chars_predicted else 1.0

    def survival(self, kind: str | None = None) -> float:
        kinds = [kind] if kind is not None else list(self.protected)
        total = sum(self.protected.get(k, 0) for k in kinds)
        lost = sum(self.destroyed.get(k, 0) for k in kinds)
        return 1 - lost / total if total else 1.0

    def precision(self, labels: Iterable[str] | None = None) -> float:
        keys = list(labels) if labels is not None else list(self.predicted)
        predicted = sum(self.predicted.get(k, 0) for k in keys)
        return sum(self.correct.get(k, 0) for k in keys) / predicted if predicted else 1.0


def load_corpus(path: Path) -> list[dict]:
    with open(path, encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def gazetteer_words(path: Path = FIRST_NAMES) -> frozenset[str]:
    """The lower-case entries of a gazetteer file (the first-name list by default)."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return frozenset(x.strip().lower() for x in lines if x.strip() and not x.startswith("#"))


def has_listed_word(value: str, listed: frozenset[str]) -> bool:
    """Whether a word of ``value`` (or a part of a hyphenated one) is in ``listed``."""
    words = {w.lower() for w in NAME_WORD.findall(value)}
    return bool(listed & (words | {part for w in words for part in w.split("-")}))


def gazetteer_subgroup(path: Path = FIRST_NAMES) -> Callable[[str, str], str | None]:
    """For score(subgroup=...): person gold spans split by whether a word of theirs is in
    the first-name gazetteer (found by the gazetteer's recognizer) or not."""
    listed = gazetteer_words(path)

    def subgroup(label: str, value: str) -> str | None:
        if label != "PERSON":
            return None
        if has_listed_word(value, listed):
            return "PERSON with a gazetteer first name"
        return "PERSON with no gazetteer first name"

    return subgroup


def matches_gold(start: int, end: int, gold_spans: list) -> bool:
    """The precision rule: intersection over union, in characters, of the predicted span
    and the gold spans it overlaps, at least 0.5."""
    touched = [(s, e) for s, e, *_ in gold_spans if s < end and start < e]
    if not touched:
        return False
    gold: set[int] = set()
    for s, e in touched:
        gold.update(range(s, e))
    predicted = set(range(start, end))
    return 2 * len(predicted & gold) >= len(predicted | gold)


def score(
    records: list[dict],
    analyze: Callable[[dict], list[Span]],
    subgroup: Callable[[str, str], str | None] | None = None,
) -> Score:
    """Score ``analyze`` on labelled records. ``subgroup(label, gold text)`` may name a
    subgroup a gold span also counts in (recall per subgroup), or None."""
    result = Score()
    for record in records:
        text = record["text"]
        predicted = analyze(record)
        covered = bytearray(len(text))
        for span in predicted:
            covered[span.start : span.end] = b"\x01" * (span.end - span.start)
        gold_spans = record["spans"]
        gold_chars = bytearray(len(text))
        style = record.get("style") or record.get("group") or "-"
        for start, end, label in gold_spans:
            gold_chars[start:end] = b"\x01" * (end - start)
            found = all(covered[start:end])
            result.gold[label] = result.gold.get(label, 0) + 1
            result.style_gold[style] = result.style_gold.get(style, 0) + 1
            group = subgroup(label, text[start:end]) if subgroup is not None else None
            if group is not None:
                result.subgroup_gold[group] = result.subgroup_gold.get(group, 0) + 1
            if found:
                result.found[label] = result.found.get(label, 0) + 1
                result.style_found[style] = result.style_found.get(style, 0) + 1
                if group is not None:
                    result.subgroup_found[group] = result.subgroup_found.get(group, 0) + 1
            else:
                result.misses.append((record["id"], label, text[start:end]))
        for span in predicted:
            inside = sum(gold_chars[span.start : span.end])
            result.spans_predicted += 1
            result.chars_predicted += span.end - span.start
            result.chars_inside += inside
            if 2 * inside >= span.end - span.start:
                result.spans_half_inside += 1
            if inside:
                result.spans_touching += 1
            result.predicted[span.label] = result.predicted.get(span.label, 0) + 1
            if matches_gold(span.start, span.end, gold_spans):
                result.correct[span.label] = result.correct.get(span.label, 0) + 1
            else:
                result.false_positives.append(
                    (record["id"], span.label, text[span.start : span.end])
                )
        for start, end, kind in record.get("protected", []):
            result.protected[kind] = result.protected.get(kind, 0) + 1
            if any(covered[start:end]):
                result.destroyed[kind] = result.destroyed.get(kind, 0) + 1
                result.destroyed_terms.append((record["id"], kind, text[start:end]))
    return result


def table(result: Score) -> str:
    lines = [f"{'category':<14} {'gold':>5} {'recall':>8}   {'predicted':>9} {'precision':>9}"]
    labels = sorted(set(result.gold) | set(result.predicted))
    for label in labels:
        gold = result.gold.get(label, 0)
        predicted = result.predicted.get(label, 0)
        recall = f"{result.recall([label]):8.2%}" if gold else f"{'-':>8}"
        precision = f"{result.precision([label]):9.2%}" if predicted else f"{'-':>9}"
        lines.append(f"{label:<14} {gold:>5} {recall}   {predicted:>9} {precision}")
    lines.append(
        f"{'ALL':<14} {sum(result.gold.values()):>5} {result.recall():8.2%}   "
        f"{sum(result.predicted.values()):>9} {result.precision():9.2%}"
    )
    lines.append(f"strong identifiers recall: {result.strong_recall():.2%}")
    lines.append(
        f"precision (intersection over union >= 0.5): {result.precision():.2%}, "
        f"character precision: {result.char_precision():.2%}"
    )
    lines.append(
        f"  older lenient rules, for comparison only: any overlap {result.touch_precision():.2%}, "
        f"half inside {result.half_inside_precision():.2%}"
    )
    for group in sorted(result.subgroup_gold):
        lines.append(
            f"recall, {group}: {result.subgroup_recall(group):.2%} "
            f"({result.subgroup_found.get(group, 0)}/{result.subgroup_gold[group]})"
        )
    return "\n".join(lines)


def styles_table(result: Score) -> str:
    lines = [f"{'style':<22} {'gold':>5} {'recall':>8}"]
    for style in sorted(result.style_gold):
        lines.append(f"{style:<22} {result.style_gold[style]:>5} {result.style_recall(style):8.2%}")
    return "\n".join(lines)


def protected_table(result: Score) -> str:
    if not result.protected:
        return "protected terms: none in this corpus"
    lines = [f"{'protected kind':<22} {'terms':>5} {'survived':>9}"]
    for kind in sorted(result.protected):
        lines.append(f"{kind:<22} {result.protected[kind]:>5} {result.survival(kind):9.2%}")
    lines.append(f"{'ALL':<22} {sum(result.protected.values()):>5} {result.survival():9.2%}")
    return "\n".join(lines)
