"""Build styles.jsonl (regression set of report styles) from styles.txt.

Markup: ``[[LABEL|value]]`` is a gold identifying span, ``{{kind|term}}`` a protected
medical term; a block starts with a line ``=== id language style``.

    .venv/bin/python tests/data/reports/build_styles.py
"""

from __future__ import annotations

import json
import re
from pathlib import Path

HERE = Path(__file__).resolve().parent
MARK = re.compile(r"\[\[([A-Z]+)\|(.*?)\]\]|\{\{([a-z_ ]+)\|(.*?)\}\}", re.DOTALL)


def parse(body: str) -> tuple[str, list[list], list[list]]:
    text, spans, protected, position = [], [], [], 0
    length = 0
    for match in MARK.finditer(body):
        plain = body[position : match.start()]
        text.append(plain)
        length += len(plain)
        value = match.group(2) if match.group(1) else match.group(4)
        target = spans if match.group(1) else protected
        target.append([length, length + len(value), match.group(1) or match.group(3)])
        text.append(value)
        length += len(value)
        position = match.end()
    text.append(body[position:])
    return "".join(text), spans, protected


def records(source: Path = HERE / "styles.txt") -> list[dict]:
    lines = [line for line in source.read_text(encoding="utf-8").split("\n")]
    blocks: list[tuple[str, list[str]]] = []
    for line in lines:
        if line.startswith("=== "):
            blocks.append((line[4:], []))
        elif blocks:
            blocks[-1][1].append(line)
    out = []
    for header, body in blocks:
        identifier, language, style = header.split()
        text, spans, protected = parse("\n".join(body).strip("\n") + "\n")
        out.append(
            {
                "id": identifier,
                "language": language,
                "style": style,
                "group": "styles",
                "text": text,
                "spans": spans,
                "protected": protected,
            }
        )
    return out


def main() -> None:
    with open(HERE / "styles.jsonl", "w", encoding="utf-8") as handle:
        for record in records():
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
