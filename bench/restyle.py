"""Rewrite a labelled report corpus in another writing style, keeping its labels.

A report in lower case, in capitals, dictated (no punctuation, lower case), OCR'd (letter and
digit confusions, accents lost) or hard-wrapped holds the same identifiers as the original:
scoring a corpus restyled shows what the style alone costs, on text whose misses in its own
style are known. Only regression corpora are restyled (a blind set stays untouched).

Every character carries the tag of the span (or protected term) it came from, the style is
applied character by character, and spans are rebuilt from runs of one tag:

    .venv/bin/python bench/restyle.py bench/blind/reports-2026-12-07b/corpus.jsonl \\
        --style lower --out /tmp/b-lower.jsonl
    .venv/bin/python bench/reports.py --corpus /tmp/b-lower.jsonl
"""

from __future__ import annotations

import argparse
import json
import random
import unicodedata
from collections.abc import Callable
from pathlib import Path

Tagged = list[tuple[str, int]]  # (character, index of its span or protected term, or -1)

OCR_CONFUSIONS = {"0": "O", "O": "0", "1": "l", "l": "1", "I": "1", "5": "S", "S": "5", "8": "B"}
DICTATION_DROPPED = set('.,;:!?()«»"')


def tag(record: dict) -> Tagged:
    owners = [-1] * len(record["text"])
    marks = [*record["spans"], *record.get("protected", [])]
    for index, (start, end, _) in enumerate(marks):
        for position in range(start, end):
            owners[position] = index
    return list(zip(record["text"], owners, strict=True))


def untag(record: dict, chars: Tagged) -> dict:
    marks = [*record["spans"], *record.get("protected", [])]
    found: dict[int, list[int]] = {}
    for position, (_, owner) in enumerate(chars):
        if owner >= 0:
            found.setdefault(owner, [position, position + 1])[1] = position + 1
    text = "".join(c for c, _ in chars)
    spans, protected = [], []
    for owner, (start, end) in sorted(found.items(), key=lambda item: item[1][0]):
        while start < end and text[start].isspace():
            start += 1
        while end > start and text[end - 1].isspace():
            end -= 1
        if start < end:
            label = marks[owner][2]
            (spans if owner < len(record["spans"]) else protected).append([start, end, label])
    return {**record, "text": text, "spans": spans, "protected": protected}


def lower(chars: Tagged, _: random.Random) -> Tagged:
    return [(c.lower() if len(c.lower()) == 1 else c, o) for c, o in chars]


def upper(chars: Tagged, _: random.Random) -> Tagged:
    return [(c.upper() if len(c.upper()) == 1 else c, o) for c, o in chars]


def dictated(chars: Tagged, rng: random.Random) -> Tagged:
    out: Tagged = []
    for c, o in lower(chars, rng):
        if c in DICTATION_DROPPED and o < 0:
            continue
        if c == "\n" and o < 0:
            c = " "
        if c == " " and out and out[-1][0] == " " and o < 0:
            continue
        out.append((c, o))
    return out


def ocr(chars: Tagged, rng: random.Random) -> Tagged:
    out: Tagged = []
    for c, o in chars:
        plain = unicodedata.normalize("NFKD", c)[0] if c.isalpha() else c
        if c in OCR_CONFUSIONS and rng.random() < 0.12:
            plain = OCR_CONFUSIONS[c]
        out.append((plain, o))
    return out


def wrapped(chars: Tagged, rng: random.Random) -> Tagged:
    out: Tagged = []
    width, column = rng.randint(38, 64), 0
    for position, (c, o) in enumerate(chars):
        if c == "\n":
            column = -1
        elif column >= width and c == " ":
            c, column = "\n", -1
            width = rng.randint(38, 64)
        elif (
            column >= width + 6
            and c.isalpha()
            and position + 3 < len(chars)
            and all(x.isalpha() for x, _ in chars[position : position + 3])
            and out[-3:]
            and all(x.isalpha() for x, _ in out[-3:])
        ):
            out += [("-", o), ("\n", o)]
            column = 0
            width = rng.randint(38, 64)
        out.append((c, o))
        column += 1
    return out


STYLES: dict[str, Callable[[Tagged, random.Random], Tagged]] = {
    "lower": lower,
    "upper": upper,
    "dictated": dictated,
    "ocr": ocr,
    "wrapped": wrapped,
}


def restyle(record: dict, style: str, seed: int = 0) -> dict:
    rng = random.Random(f"{seed}-{record['id']}")
    chars = STYLES[style](tag(record), rng)
    return {**untag(record, chars), "id": f"{record['id']}~{style}", "style": style}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", type=Path)
    parser.add_argument("--style", choices=sorted(STYLES), required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    records = [json.loads(line) for line in args.corpus.read_text().splitlines() if line.strip()]
    with args.out.open("w", encoding="utf-8") as out:
        for record in records:
            out.write(json.dumps(restyle(record, args.style, args.seed), ensure_ascii=False))
            out.write("\n")
    print(f"{len(records)} reports restyled ({args.style}) -> {args.out}")


if __name__ == "__main__":
    main()
