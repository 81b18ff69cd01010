"""Regenerate the header stage's data files (run by hand when the standard is updated).

    python -m tasks.headers.build_data [path/to/confidentiality_profile_attributes.json]

Writes ``tasks/headers/data/ps3.15_table_e1-1.json`` from Innolitics' machine-readable
PS3.15 Table E.1-1 (MIT licence, see data/LICENSE-innolitics.txt; the copy the shipped
table was built from is ``data/source/confidentiality_profile_attributes.json``, the
default source: a newer standard's file is given as the argument) and
``tasks/headers/data/supported_sop_classes.json`` from pydicom's UID registry (retired classes
included, which its public ``pydicom.uid`` constants leave out).
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

from pydicom.datadict import dictionary_keyword

from tasks.dicom.pydicom_internals import uid_registry

DATA = Path(__file__).resolve().parent / "data"
TABLE_FILE = DATA / "ps3.15_table_e1-1.json"
SOP_FILE = DATA / "supported_sop_classes.json"
SOURCE_FILE = DATA / "source" / "confidentiality_profile_attributes.json"

# innolitics column -> option name used in this package (tasks.headers.table.OPTIONS)
OPTION_COLUMNS = {
    "rtnSafePrivOpt": "retain_safe_private",
    "rtnUIDsOpt": "retain_uids",
    "rtnDevIdOpt": "retain_device_identity",
    "rtnInstIdOpt": "retain_institution_identity",
    "rtnPatCharsOpt": "retain_patient_characteristics",
    "rtnLongFullDatesOpt": "retain_full_dates",
    "rtnLongModifDatesOpt": "retain_modified_dates",
    "cleanDescOpt": "clean_descriptors",
    "cleanStructContOpt": "clean_structured_content",
    "cleanGraphOpt": "clean_graphics",
}

# SOP classes whose instances this stage can de-identify: images, presentation states,
# structured reports (text handled by the walker), segmentations and core RT objects.
SUPPORTED_NAME = re.compile(
    r"Image Storage|Presentation State Storage| SR Storage$|Key Object Selection Document"
    r"|^Segmentation Storage$|^Parametric Map Storage$"
    r"|^RT (Dose|Structure Set|Plan|Ion Plan) Storage$"
)
EXCLUDED_NAME = re.compile(r"Trial|Encapsulated|Waveform|Raw Data")


def build_table(source: Path) -> list[dict]:
    rows = json.loads(source.read_text(encoding="utf-8"))
    out = []
    for row in rows:
        raw_tag = row["tag"].upper()
        if raw_tag.startswith("(GGGG,EEEE)"):
            tag = "private"
        else:
            tag = raw_tag.strip("()").replace(",", "")
        keyword = ""
        if re.fullmatch(r"[0-9A-F]{8}", tag):
            keyword = dictionary_keyword(int(tag, 16)) if _known(int(tag, 16)) else ""
        options = {name: row[col] for col, name in OPTION_COLUMNS.items() if row.get(col)}
        out.append(
            {
                "tag": tag,
                "keyword": keyword,
                "name": row["name"],
                "basic": row["basicProfile"],
                "in_std_iod": row.get("stdCompIOD") == "Y",
                "options": options,
            }
        )
    out.sort(key=lambda r: r["tag"])
    return out


def _known(tag: int) -> bool:
    try:
        dictionary_keyword(tag)
        return True
    except KeyError:
        return False


def build_sop_classes() -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for uid, (name, kind, _info, retired, _kw) in uid_registry().items():
        if kind != "SOP Class" or not SUPPORTED_NAME.search(name) or EXCLUDED_NAME.search(name):
            continue
        out.append({"uid": uid, "name": name, "retired": bool(retired)})
    out.sort(key=lambda r: [int(p) for p in r["uid"].split(".")])
    return out


def main(argv: list[str]) -> int:
    if len(argv) > 1:
        print(__doc__)
        return 2
    source = Path(argv[0]) if argv else SOURCE_FILE
    table = {
        "source": "DICOM PS3.15 2024b Table E.1-1 via innolitics/dicom-standard",
        "attribution": "Copyright NEMA (DICOM standard); machine-readable form (c) 2017 "
        "Innolitics, LLC, MIT licence: see LICENSE-innolitics.txt",
        "rows": build_table(source),
    }
    TABLE_FILE.write_text(json.dumps(table, indent=1) + "\n", encoding="utf-8")
    SOP_FILE.write_text(json.dumps(build_sop_classes(), indent=1) + "\n", encoding="utf-8")
    print(f"{len(table['rows'])} rows -> {TABLE_FILE.name}; SOP classes -> {SOP_FILE.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
