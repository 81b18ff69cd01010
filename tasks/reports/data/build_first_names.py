"""Rebuild gazetteers/first_names.txt from the first-name lists of the Faker package
(MIT licence; `dev` extra): French, British and American given names.

Names that are also report vocabulary (not_names.txt) or ordinary words
(ambiguous_words.txt, first_names_excluded.txt) are left out.

    .venv/bin/python tasks/reports/data/build_first_names.py
"""

from __future__ import annotations

from pathlib import Path

from faker import Faker

HERE = Path(__file__).resolve().parent / "gazetteers"
LOCALES = ["fr_FR", "fr_CH", "fr_CA", "en_GB", "en_US", "en_IE"]


def words(name: str) -> set[str]:
    path = HERE / name
    lines = path.read_text(encoding="utf-8").splitlines()
    return {line.strip().lower() for line in lines if line.strip() and not line.startswith("#")}


def main() -> None:
    excluded = words("not_names.txt") | words("ambiguous_words.txt")
    excluded |= words("first_names_excluded.txt")
    names: set[str] = set()
    for locale in LOCALES:
        provider = Faker(locale)
        for attribute in ("first_names", "first_names_male", "first_names_female"):
            values = getattr(provider.provider("faker.providers.person"), attribute, ())
            names.update(str(v).strip() for v in values)
    kept = sorted(
        n for n in names if len(n) >= 3 and n.lower() not in excluded and (n.isalpha() or "-" in n)
    )
    header = "# Given names (Faker's person providers, MIT licence); see build_first_names.py\n"
    (HERE / "first_names.txt").write_text(header + "\n".join(kept) + "\n", encoding="utf-8")
    print(len(kept), "first names")


if __name__ == "__main__":
    main()
