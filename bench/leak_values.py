"""How many identifying values the header tests search for in the real files, before and
after the attacker's scanner (tests/leak_scanner.py).

Data: the inputs of tests/headers/test_headers_files.py, i.e. tests/data/headers and the test
files bundled with pydicom (test_files and charset_files). "table" is the search derived
from the product's own PS3.15 table (``table_values``, the header tests' only search
before); "scanner" is the independent collection; "header tests" is what they search now
(the union). Values are counted once per file after folding case, accents and separators
(the table search listed each name in several spellings). Prints counts only, never values.

    .venv/bin/python bench/leak_values.py
"""

from __future__ import annotations

import logging
import sys
import warnings
from pathlib import Path

import pydicom

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.headers.test_headers_files import CHARSET_FILES, LOCAL_FILES, PYDICOM_FILES  # noqa: E402
from tests.headers.test_headers_support import table_values  # noqa: E402
from tests.leak_scanner import (  # noqa: E402
    CLEANED_DESCRIPTORS,
    SHORT,
    identifying_values,
    is_uid,
    normalise,
)

PERSON_NAMES = {
    keyword
    for keyword in pydicom.datadict.keyword_dict
    if pydicom.datadict.dictionary_VR(pydicom.datadict.keyword_dict[keyword]) == "PN"
}


def _key(value: str) -> str:
    return normalise(value).replace(" ", "")


def main() -> None:
    logging.getLogger("pydicom").setLevel(logging.ERROR)
    warnings.simplefilter("ignore")
    totals = dict.fromkeys(
        (
            "files",
            "table",
            "scanner",
            "union",
            "only_scanner",
            "short",
            "only_uids",
            "only_names",
            "only_short",
        ),
        0,
    )
    for path in LOCAL_FILES + PYDICOM_FILES + CHARSET_FILES:
        try:
            ds = pydicom.dcmread(path, force=True)
            old = {_key(v) for v in table_values(path)} - {""}
        except Exception:  # unreadable or truncated samples: the header tests refuse them
            continue
        values = identifying_values(ds, CLEANED_DESCRIPTORS)  # the default profile
        new = {_key(v) for v in values} - {""}
        totals["files"] += 1
        totals["table"] += len(old)
        totals["scanner"] += len(new)
        totals["union"] += len(old | new)
        totals["only_scanner"] += len(new - old)
        totals["short"] += sum(1 for v in values if len(v) < SHORT)
        only = {v for v in values if _key(v) in new - old}
        totals["only_uids"] += sum(1 for v in only if is_uid(v))
        totals["only_names"] += sum(1 for v in only if values[v] in PERSON_NAMES)
        totals["only_short"] += sum(1 for v in only if len(v) < SHORT)
    print(f"files read: {totals['files']} (tests/data/headers + pydicom test and charset files)")
    print(f"values searched by the table-derived search (before): {totals['table']}")
    print(f"values collected by the independent scanner:          {totals['scanner']}")
    print(f"values the header tests search now (union):           {totals['union']}")
    print(f"  of which only the scanner collects:                 {totals['only_scanner']}")
    print(f"  of which instance UIDs:                             {totals['only_uids']}")
    print(f"  of which person names and name words (PN):          {totals['only_names']}")
    print(f"  of which shorter than {SHORT} characters (tokens):        {totals['only_short']}")
    print(f"scanner values shorter than {SHORT} characters (tokens):    {totals['short']}")


if __name__ == "__main__":
    main()
