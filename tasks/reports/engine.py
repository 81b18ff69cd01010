"""The analyzer: runs the configured recognizers over a text and merges their answers."""

from __future__ import annotations

import functools
import re
from pathlib import Path

from tasks.reports.config import DEFAULT_CONFIG, load_config
from tasks.reports.known_values import KnownValues, fold
from tasks.reports.names import read_name
from tasks.reports.pipeline import nlp_for
from tasks.reports.protected import spare_protected
from tasks.reports.recognizers import build
from tasks.reports.recognizers.base import Analysis, Recognizer
from tasks.reports.spans import Candidate, Span, merge
from tasks.reports.upper_case import without_capitalised_words
from tasks.reports.vocab import allowed_ranges, is_report_word
from tasks.reports.wrapped import crosses, joined, soft_breaks


class Engine:
    def __init__(self, config_path: Path = DEFAULT_CONFIG) -> None:
        config = load_config(Path(config_path))
        self.recognizers: list[Recognizer] = [
            build(spec, Path(config_path)) for spec in config.recognizers if spec.enabled
        ]

    def analyze(
        self,
        text: str,
        language: str,
        known: KnownValues | None = None,
        statistical_ner: bool = True,
    ) -> list[Span]:
        active = [
            r
            for r in self.recognizers
            if language in r.languages
            and (statistical_ner or (r.needs_doc != "ner" and not getattr(r, "statistical", False)))
        ]
        analysis = Analysis(text=text, language=language)
        # recognizers marked ``after_rules`` read what the rules left (the trained NER)
        later = [r for r in active if getattr(r, "after_rules", False)]
        rules = [r for r in active if r.needs_doc != "ner" and r not in later]
        statistical = [r for r in active if r.needs_doc == "ner"]
        if any(r.needs_doc for r in active):
            nlp = nlp_for(language)
            analysis.doc = nlp.make_doc(text)
            analysis.make_doc = nlp.make_doc
        candidates: list[Candidate] = []
        for recognizer in rules:
            candidates.extend(recognizer.find(analysis))
        breaks = soft_breaks(text)
        if breaks:  # hard-wrapped text: values cut by a line break
            candidates.extend(_across_breaks(rules, text, language, breaks))
        if later:
            analysis.covered = _covered(text, candidates)
            for recognizer in later:
                candidates.extend(recognizer.find(analysis))
        if statistical:
            # the statistical NER reads only the lines where it can add something: those
            # with a capitalised word that no rule explains (most report lines have none)
            pieces = suspicious_lines(text, candidates)
            if pieces:
                nlp = nlp_for(language)
                docs = nlp.pipe([text[start:end] for start, end in pieces])
                analysis.ner_docs = [
                    (start, doc) for (start, _), doc in zip(pieces, docs, strict=True)
                ]
                for recognizer in statistical:
                    candidates.extend(recognizer.find(analysis))
        if analysis.not_identifying:
            candidates = [
                c for c in candidates if c.strong or not _inside(c, analysis.not_identifying)
            ]
        candidates = without_capitalised_words(text, candidates, analysis.language)
        candidates = spare_protected(text, candidates)
        allowed = allowed_ranges(text)
        if allowed:
            candidates = [c for c in candidates if not (c.weak and _inside(c, allowed))]
        if known:
            candidates.extend(known.find(text, fold(text)))
        spans = join_names(text, merge(candidates))
        listed = listed_names(text, spans)
        if listed:
            candidates.extend(listed)
            spans = join_names(text, merge(candidates))
        return spans


def _across_breaks(
    rules: list[Recognizer], text: str, language: str, breaks: list[int]
) -> list[Candidate]:
    """The rules' answers on the text with its soft breaks joined, those crossing one."""
    view = Analysis(text=joined(text, breaks), language=language)
    if any(r.needs_doc for r in rules):
        nlp = nlp_for(language)
        view.doc = nlp.make_doc(view.text)
        view.make_doc = nlp.make_doc
    found = []
    for recognizer in rules:
        found += [c for c in recognizer.find(view) if crosses(c.start, c.end, breaks)]
    return found


CAPITALISED = re.compile(r"(?<![\w'’-])[A-ZÀ-ÖØ-Þ][\wÀ-ÿ'’-]*")
LINE = re.compile(r"[^\n]+")
SENTENCE_START = re.compile(r"(?:^|[.!?:;]\s+|[-–•*>]\s*)$")


def suspicious_lines(text: str, candidates: list[Candidate]) -> list[tuple[int, int]]:
    """(start, end) of lines holding a capitalised word that is not report vocabulary, not
    inside a rule's span, and not merely the first word of a sentence (short lines, such as
    a signature, always count)."""
    covered = _covered(text, candidates)
    pieces = []
    for line in LINE.finditer(text):
        start, end = line.span()
        words = line.group().split()
        short = len(words) <= 3
        for word in CAPITALISED.finditer(text, start, end):
            if covered[word.start()] or is_report_word(word.group()):
                continue
            if not short and SENTENCE_START.search(text, start, word.start()):
                continue
            pieces.append((start, end))
            break
    return pieces


LIST_JOINER = re.compile(r"[ \t]*(?:,|;|/|\bet\b|\band\b|&)[ \t]*(?:(?:le|la|the)[ \t]+)?")
LIST_TITLE = re.compile(r"(?:Dr\.?|Pr\.?|Mme|M\.|Mr\.?|Mrs\.?|Ms\.?|Docteur|Professeur)[ \t]+")


def listed_names(text: str, spans: list[Span]) -> list[Candidate]:
    """Names listed after a found one: "par Rossi et FOUCHER", "Dr A, Dr B and C"."""
    found: list[Candidate] = []
    starts = {span.start for span in spans}
    for span in spans:
        if span.label != "PERSON":
            continue
        end = span.end
        for _ in range(4):
            joiner = LIST_JOINER.match(text, end)
            if joiner is None or joiner.end() == end:
                break
            position = joiner.end()
            title = LIST_TITLE.match(text, position)
            if title is not None:
                position = title.end()
            if position in starts:
                break
            name = read_name(text, position, after_title=title is not None)
            if name is None:
                break
            value = text[name[0] : name[1]]
            if title is None and value.isupper() and len(value) <= 3:
                break  # "Dr Pettigrew, GP": a role's abbreviation
            found.append(Candidate(name[0], name[1], "PERSON", 30))
            end = name[1]
    return found


# what may separate two parts of one person's name
NAME_GAP = re.compile(
    r"[ \t]+(?:(?:née|né|nee|épouse|epouse|ép\.|ep\.|veuve|vve|dit|dite|alias)[ \t]+)?"
)


def join_names(text: str, spans: list[Span]) -> list[Span]:
    """One span for "Thérèse Schneider née Lacroix" when its parts were found separately."""
    out: list[Span] = []
    for span in spans:
        previous = out[-1] if out else None
        if (
            previous is not None
            and previous.label == span.label == "PERSON"
            and NAME_GAP.fullmatch(text, previous.end, span.start)
        ):
            out[-1] = Span(previous.start, span.end, "PERSON")
        else:
            out.append(span)
    return out


def _covered(text: str, candidates: list[Candidate]) -> bytearray:
    covered = bytearray(len(text))
    for candidate in candidates:
        covered[candidate.start : candidate.end] = b"\x01" * (candidate.end - candidate.start)
    return covered


def _inside(candidate: Candidate, ranges: list[tuple[int, int]]) -> bool:
    return any(start <= candidate.start and candidate.end <= end for start, end in ranges)


@functools.cache
def engine_for(config_path: Path = DEFAULT_CONFIG) -> Engine:
    """One engine per configuration file per process."""
    return Engine(Path(config_path))
