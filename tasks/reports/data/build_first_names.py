"""Rebuild gazetteers/first_names.txt from the first-name lists of the Faker package
(MIT licence; `dev` extra): French, British and American given names; and from the most
frequent given names of the countries patients of French, British and American hospitals
come from, by the names-dataset package (Apache 2.0; `train` extra, ships its data).

Names that are also report vocabulary (not_names.txt) or ordinary words
(ambiguous_words.txt, first_names_excluded.txt) are left out; so are, for names-dataset's,
words of the French or English dictionaries ("Rose", "Mai", "Long" stay out: the lists of
ordinary words decide for Faker's names, which were reviewed one by one).

    .venv/bin/pip install -e '.[train]'
    .venv/bin/python tasks/reports/data/build_first_names.py
"""

from __future__ import annotations

from pathlib import Path

from faker import Faker

HERE = Path(__file__).resolve().parent / "gazetteers"
LOCALES = ["fr_FR", "fr_CH", "fr_CA", "en_GB", "en_US", "en_IE"]
# countries (ISO 3166 alpha-2) whose most frequent given names are listed, and how many
# per gender: France and its neighbours, the Maghreb, West and Central Africa, the
# Indian Ocean, the Caribbean, the British Isles and North America, and the largest
# communities living there
COUNTRIES = (
    "FR BE CH LU MC CA US GB IE MA DZ TN EG SN ML CI CM BF NE GN CD CG GA MG KM MU HT PT ES IT "
    "DE NL PL RO TR AL RS GR AM RU UA VN CN IN PK BD LK NG GH SY LB IR IL AU"
).split()
PER_GENDER = 250


def words(name: str) -> set[str]:
    path = HERE / name
    lines = path.read_text(encoding="utf-8").splitlines()
    return {line.strip().lower() for line in lines if line.strip() and not line.startswith("#")}


def frequent_names(excluded: set[str]) -> set[str]:
    """The most frequent given names of COUNTRIES, minus dictionary words."""
    import sys

    sys.path.insert(0, str(HERE.parents[3]))
    from names_dataset import NameDataset

    from tasks.reports.lexicon import is_english_word, is_french_word

    eponyms = (HERE.parent / "lexicon" / "eponyms.txt").read_text(encoding="utf-8").lower()
    excluded = excluded | set(eponyms.split())  # "Douglas", "Gilbert", "Conn"
    dataset = NameDataset()
    found: set[str] = set()
    for country in COUNTRIES:
        top = dataset.get_top_names(n=PER_GENDER, country_alpha2=country) or {}
        for by_gender in top.values():
            for names in by_gender.values():
                found.update(str(n).strip() for n in names)
    return {
        n
        for n in found
        if n.lower() not in excluded
        and n.isalpha()
        and n[0].isupper()
        and not is_french_word(n.lower())
        and not is_english_word(n.lower())
    }


def main() -> None:
    excluded = words("not_names.txt") | words("ambiguous_words.txt")
    excluded |= words("first_names_excluded.txt")
    names: set[str] = set()
    for locale in LOCALES:
        provider = Faker(locale)
        for attribute in ("first_names", "first_names_male", "first_names_female"):
            values = getattr(provider.provider("faker.providers.person"), attribute, ())
            names.update(str(v).strip() for v in values)
    names |= frequent_names(excluded)
    kept = sorted(
        n for n in names if len(n) >= 3 and n.lower() not in excluded and (n.isalpha() or "-" in n)
    )
    header = (
        "# Given names (Faker's person providers, MIT licence; names-dataset's most frequent"
        " names per country, Apache 2.0); see build_first_names.py\n"
    )
    (HERE / "first_names.txt").write_text(header + "\n".join(kept) + "\n", encoding="utf-8")
    print(len(kept), "first names")


if __name__ == "__main__":
    main()
