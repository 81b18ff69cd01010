"""Score the engine on a labelled corpus (JSONL: text, spans [[start, end, label]], language).

Recall per gold category: a gold span counts as found when every character of it is inside
some predicted span (whatever the predicted label: what matters is that it is removed).
Precision per predicted label: a predicted span is right when it overlaps a gold span.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from tasks.reports.spans import STRONG_LABELS, Span


@dataclass
class Score:
    gold: dict[str, int] = field(default_factory=dict)
    found: dict[str, int] = field(default_factory=dict)
    predicted: dict[str, int] = field(default_factory=dict)
    correct: dict[str, int] = field(default_factory=dict)
    misses: list[tuple[str, str, str]] = field(default_factory=list)  # (report id, label, text)
    false_positives: list[tuple[str, str, str]] = field(default_factory=list)

    def recall(self, labels: Iterable[str] | None = None) -> float:
        keys = list(labels) if labels is not None else list(self.gold)
        gold = sum(self.gold.get(k, 0) for k in keys)
        return sum(self.found.get(k, 0) for k in keys) / gold if gold else 1.0

    def strong_recall(self) -> float:
        return self.recall([k for k in self.gold if k in STRONG_LABELS])

    def precision(self, labels: Iterable[str] | None = None) -> float:
        keys = list(labels) if labels is not None else list(self.predicted)
        predicted = sum(self.predicted.get(k, 0) for k in keys)
        return sum(self.correct.get(k, 0) for k in keys) / predicted if predicted else 1.0


def load_corpus(path: Path) -> list[dict]:
    with open(path, encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def score(records: list[dict], analyze: Callable[[dict], list[Span]]) -> Score:
    result = Score()
    for record in records:
        text = record["text"]
        predicted = analyze(record)
        covered = bytearray(len(text))
        for span in predicted:
            covered[span.start : span.end] = b"\x01" * (span.end - span.start)
        gold_spans = record["spans"]
        for start, end, label in gold_spans:
            result.gold[label] = result.gold.get(label, 0) + 1
            if all(covered[start:end]):
                result.found[label] = result.found.get(label, 0) + 1
            else:
                result.misses.append((record["id"], label, text[start:end]))
        for span in predicted:
            result.predicted[span.label] = result.predicted.get(span.label, 0) + 1
            if any(start < span.end and span.start < end for start, end, _ in gold_spans):
                result.correct[span.label] = result.correct.get(span.label, 0) + 1
            else:
                result.false_positives.append(
                    (record["id"], span.label, text[span.start : span.end])
                )
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
    return "\n".join(lines)
