"""Hard-wrapped text: a value cut by a line break ("Tél. +33 5 84 20⏎63 61", "Centre d'IRM⏎de
la Vallée Verte") escapes rules that read one line. The rules read the text a second time
with its soft breaks joined (each replaced by a space: same length, same offsets), and only
answers that cross a joined break are kept from that reading.

A soft break ends a long line (a wrapped paragraph's width) without closing punctuation and
is followed by more of the same sentence: a next line opening in lower case or with a digit,
or a line ending on a lower-case word. Short lines (a label, a name on its own line, an
address block) and a line followed by a capitalised field ("Nîmes⏎Tél : …") keep their
breaks, so structure is not merged into prose.
"""

from __future__ import annotations

import re

MIN_WRAPPED_LINE = 30  # a line shorter than this is structure, not a wrapped paragraph
CLOSING = '.:;!?»"|'
LINE = re.compile(r"[^\n]*\n")
LAST_WORD_LOWER = re.compile(r"(?<![\w'’-])[a-zà-öø-ÿ][\w'’-]*$")


def soft_breaks(text: str) -> list[int]:
    """Offsets of the line breaks that a hard wrap inserted into running text."""
    breaks = []
    for line in LINE.finditer(text):
        body = line.group()[:-1].rstrip()
        after = line.end()
        if len(body) < MIN_WRAPPED_LINE or body[-1] in CLOSING or body.endswith("-"):
            continue
        if after >= len(text) or not text[after].strip():
            continue  # a paragraph's last line
        continues = text[after].islower() or text[after].isdigit() or text[after] in "(+"
        if continues or LAST_WORD_LOWER.search(body):
            breaks.append(line.end() - 1)
    return breaks


def joined(text: str, breaks: list[int]) -> str:
    """The text with the given breaks replaced by spaces (offsets unchanged)."""
    characters = list(text)
    for position in breaks:
        characters[position] = " "
    return "".join(characters)


def crosses(start: int, end: int, breaks: list[int]) -> bool:
    return any(start < position < end - 1 for position in breaks)
