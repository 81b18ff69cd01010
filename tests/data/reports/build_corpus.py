"""Build the labelled synthetic report corpora — run once, the outputs are committed.

Each template is a string with ``{LABEL:kind}`` fields; the filler for ``kind`` is drawn at
random and its position is recorded as a gold span. Templates are grouped: ``dev`` ones were
visible while the rules were written, ``holdout`` ones (written first, looked at only through
the score) check that the rules generalise.

Two corpora from the same templates:

* ``corpus.jsonl`` (regression corpus): names, streets, e-mails, NIRs and some phones and
  cities from Faker (seeded), establishments and cities from the hand-written lists below.
  The first-name gazetteer (`tasks/reports/data/build_first_names.py`) is built from
  Faker's lists, so every given name of this corpus is in it by construction: its person
  recall is not evidence that unlisted names are found.
* ``corpus_independent.jsonl`` (independent-names corpus, ``--names mimesis``): person names,
  streets, cities, postcodes, e-mails and phones from `mimesis` (its own datasets, MIT), a
  package neither the recognizers' lists nor the NER's training data (`names-dataset`) come
  from; NIRs generated here; establishments formed from those names and cities; other seeds.
  Faker is not imported. Common real names are in several lists at once, so some of its
  given names are in the gazetteer too: `bench/reports.py` gives person recall for names
  with and without a gazetteer word.

    .venv/bin/python tests/data/reports/build_corpus.py                  # corpus.jsonl (faker)
    .venv/bin/python tests/data/reports/build_corpus.py --names mimesis  # corpus_independent
"""

from __future__ import annotations

import argparse
import json
import random
import re
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
FIELD = re.compile(r"\{([A-Z_]+):([a-z_]+)\}")

MOIS = "janvier février mars avril mai juin juillet août septembre octobre novembre décembre"
MOIS = MOIS.split()
MONTHS = "January February March April May June July August September October November December"
MONTHS = MONTHS.split()

FR_CITIES = [
    "Lille",
    "Paris",
    "Lyon",
    "Marseille",
    "Toulouse",
    "Bordeaux",
    "Nantes",
    "Strasbourg",
    "Rennes",
    "Montpellier",
    "Grenoble",
    "Dijon",
    "Angers",
    "Reims",
    "Saint-Étienne",
    "Brest",
    "Amiens",
    "Limoges",
    "Clermont-Ferrand",
    "Besançon",
    "Metz",
    "Nancy",
    "Rouen",
    "Caen",
    "Orléans",
    "Poitiers",
    "Valenciennes",
    "Roubaix",
    "Tourcoing",
    "Dunkerque",
    "Arras",
    "Aix-en-Provence",
    "Boulogne-Billancourt",
    "Villeneuve-d'Ascq",
    "Perpignan",
    "Nîmes",
    "La Rochelle",
    "Le Mans",
    "Chambéry",
    "Annecy",
    "Bayonne",
    "Pau",
    "Quimper",
    "Lorient",
]
EN_CITIES = [
    "London",
    "Manchester",
    "Birmingham",
    "Leeds",
    "Bristol",
    "Sheffield",
    "Liverpool",
    "Newcastle",
    "Nottingham",
    "Cardiff",
    "Edinburgh",
    "Glasgow",
    "Boston",
    "Chicago",
    "Seattle",
    "Houston",
    "Denver",
    "Baltimore",
    "Cleveland",
    "Oxford",
    "Cambridge",
]
FR_ESTABLISHMENTS = [
    "CHU de {c}",
    "Centre Hospitalier de {c}",
    "CH de {c}",
    "CHRU de {c}",
    "Hôpital Saint-Louis",
    "Hôpital Européen Georges Pompidou",
    "Clinique du Parc",
    "Clinique Saint-Jean",
    "Polyclinique de la Louvière",
    "Hôpital privé Jacques Cartier",
    "Institut Gustave Roussy",
    "Centre d'imagerie médicale du Lac",
    "Cabinet de radiologie des Lilas",
    "Groupe Hospitalier Pitié-Salpêtrière",
    "Hospices Civils de {c}",
    "Hôpital Claude Huriez",
    "Centre Oscar Lambret",
    "Clinique des Cèdres",
    "Hôpital Roger Salengro",
    "Centre Hospitalier Universitaire de {c}",
    "Hôpital de la Croix-Rousse",
    "Clinique Pasteur",
    "Centre de radiologie Vauban",
    "Hôpital d'instruction des armées Percy",
    "Institut Paoli-Calmettes",
    "Centre Léon Bérard",
    "Clinique mutualiste de {c}",
]
EN_ESTABLISHMENTS = [
    "St Thomas' Hospital",
    "Royal Free Hospital",
    "Massachusetts General Hospital",
    "{c} General Hospital",
    "{c} Royal Infirmary",
    "Mayo Clinic",
    "Guy's Hospital",
    "Johns Hopkins Hospital",
    "Cedars-Sinai Medical Center",
    "{c} Imaging Centre",
    "University Hospitals of {c} NHS Foundation Trust",
    "St Mary's Hospital",
    "Addenbrooke's Hospital",
    "Mount Sinai Hospital",
    "{c} Children's Hospital",
    "Northwick Park Hospital",
    "Memorial Sloan Kettering Cancer Center",
]
DEVICES = [
    "Siemens SOMATOM Definition Edge",
    "Siemens SOMATOM Force",
    "SOMATOM go.Top",
    "GE Revolution CT",
    "GE LightSpeed VCT",
    "GE Optima CT660",
    "Philips Ingenuity CT",
    "Philips IQon Spectral CT",
    "Canon Aquilion ONE",
    "Toshiba Aquilion Prime",
    "Siemens MAGNETOM Vida",
    "Siemens MAGNETOM Aera",
    "GE Signa Premier",
    "GE SIGNA Explorer",
    "Philips Ingenia",
    "Philips Achieva",
    "Canon Vantage Galan",
    "Hologic Selenia Dimensions",
    "GE Senographe Pristina",
    "Fujifilm Amulet Innovality",
    "Carestream DRX-Evolution",
    "Samsung GC85A",
    "Agfa DX-D 600",
    "Siemens Ysio Max",
    "Philips DigitalDiagnost",
    "GE Discovery MR750",
    "Siemens Biograph Vision",
    "Aquilion Lightning",
    "Esaote MyLab",
    "Siemens ACUSON Sequoia",
    "GE LOGIQ E10",
    "Philips EPIQ 7",
    "Canon Aplio i800",
]
FR_PARTICLE = re.compile(r"\b(?:De|Du|Des|La|Le|Les|Au|Aux|Et|D)\b(?= )")
# independent-names corpus: establishments formed from the source's cities (c), given
# names (f) and surnames (l), in the forms real establishments take
FR_ESTABLISHMENT_FORMS = [
    "CHU de {c}",
    "Centre Hospitalier de {c}",
    "CH de {c}",
    "Hôpital {f} {l}",
    "Clinique {l}",
    "Clinique Saint-{f}",
    "Polyclinique de {c}",
    "Centre d'imagerie {l}",
    "Cabinet de radiologie {l}",
    "Institut {f} {l}",
]
EN_ESTABLISHMENT_FORMS = [
    "{c} General Hospital",
    "{c} Royal Infirmary",
    "St {f}'s Hospital",
    "{l} Memorial Hospital",
    "{c} Imaging Centre",
    "{l} Medical Center",
    "University Hospitals of {c} NHS Foundation Trust",
    "{c} Children's Hospital",
    "{l} Clinic",
]
FR_TITLES_DOC = ["Dr", "Dr.", "Docteur", "Pr", "Pr.", "Professeur"]
EN_TITLES_DOC = ["Dr", "Dr.", "Doctor", "Prof.", "Professor"]


def nir_key(number: str) -> str:
    digits = number.replace("2A", "19").replace("2B", "18")
    return f"{97 - int(digits) % 97:02d}"


class MimesisValues:
    """The values Fillers takes from Faker, from mimesis instead (same method names)."""

    def __init__(self, seed: int, locale: str) -> None:
        from mimesis import Address, Locale, Person

        self.rng = random.Random(seed)
        self.locale = locale
        self.person = Person(Locale(locale), seed=seed)
        self.address = Address(Locale(locale), seed=seed)

    def first_name(self) -> str:
        return self.person.first_name()

    def last_name(self) -> str:
        return self.person.last_name()

    def email(self) -> str:
        return self.person.email()

    def phone_number(self) -> str:
        return self.person.telephone()

    def street_address(self) -> str:
        if self.locale != "fr":
            return self.address.address()
        # mimesis writes French street names title-cased ("Alfred De Vigny", "D Argenson")
        # and lists "Saint" among the street types: particles as French writes them, and
        # "Saint" left to the names that hold it
        kind = self.address.street_suffix()
        while kind == "Saint":
            kind = self.address.street_suffix()
        name = FR_PARTICLE.sub(lambda m: m.group().lower(), self.address.street_name())
        name = re.sub(r"\bd (?=\w)", "d'", name)
        return f"{self.address.street_number()} {kind} {name}"

    def postcode(self) -> str:
        code = self.address.postal_code()
        while self.locale == "fr" and code[:2] in ("00", "96", "99"):  # no such French codes
            code = self.address.postal_code()
        return code

    def city(self) -> str:
        return self.address.city()

    def ssn(self) -> str:
        """A French NIR: sex, birth year and month, department, commune, order, key."""
        r = self.rng
        department = r.choice([d for d in range(1, 96) if d != 20])
        body = (
            f"{r.choice('12')}{r.randrange(100):02d}{r.randrange(1, 13):02d}"
            f"{department:02d}{r.randrange(1, 1000):03d}{r.randrange(1, 1000):03d}"
        )
        return body + nir_key(body)


class Fillers:
    """Random surface forms per (label, kind); ``names`` is the source of names, streets and
    cities: "faker" (regression corpus) or "mimesis" (independent-names corpus)."""

    def __init__(self, seed: int, language: str, names: str = "faker") -> None:
        self.rng = random.Random(seed)
        self.language = language
        self.independent = names == "mimesis"
        if self.independent:
            locale = {"fr": "fr", "en": self.rng.choice(["en-gb", "en"])}[language]
            self.fake = MimesisValues(seed, locale)
        elif names == "faker":
            from faker import Faker

            self.fake = Faker({"fr": "fr_FR", "en": self.rng.choice(["en_GB", "en_US"])}[language])
            self.fake.seed_instance(seed)
        else:
            raise ValueError(f"unknown names source {names!r}")

    def pick(self, values: list[str]) -> str:
        return self.rng.choice(values)

    # --- people ------------------------------------------------------------------------
    def person(self, kind: str) -> str:
        first, last = self.fake.first_name(), self.fake.last_name()
        while first.startswith("M"):  # "M. Dupont" would read as Monsieur: gold ambiguous
            first = self.fake.first_name()
        if kind == "last":
            return self.pick([last, last.upper()])
        if kind == "doc":
            return self.pick(
                [
                    last,
                    last.upper(),
                    f"{first[0]}. {last}",
                    f"{first} {last}",
                    f"{first} {last.upper()}",
                    f"{last.upper()} {first}",
                ]
            )
        if kind == "patient":
            forms = [
                f"{last.upper()} {first}",
                f"{first} {last}",
                f"{last.upper()} {first.upper()}",
                f"{first} {last.upper()}",
                f"{last}, {first}",
            ]
            if self.language == "fr" and self.rng.random() < 0.25:
                other = self.fake.last_name()
                forms = [
                    f"{last.upper()} épouse {other.upper()} {first}",
                    f"{first} {last} née {other}",
                ]
            return self.pick(forms)
        if kind == "first":
            return first
        raise KeyError(kind)

    # --- dates -------------------------------------------------------------------------
    def a_date(self) -> date:
        return date(2015, 1, 1) + timedelta(days=self.rng.randrange(0, 3650))

    def birth(self) -> date:
        return date(1930, 1, 1) + timedelta(days=self.rng.randrange(0, 30000))

    def date(self, kind: str) -> str:
        d = self.birth() if kind == "birth" else self.a_date()
        if self.language == "fr":
            day = "1er" if d.day == 1 else str(d.day)
            forms = [
                f"{d:%d/%m/%Y}",
                f"{d.day}/{d.month}/{d:%y}",
                f"{d:%d.%m.%Y}",
                f"{d:%Y-%m-%d}",
                f"{day} {MOIS[d.month - 1]} {d.year}",
                f"{d.day} {MOIS[d.month - 1].upper()} {d.year}",
                f"{d:%d-%m-%Y}",
                f"{d:%d/%m/%y}",
            ]
            if kind == "loose":
                forms += [
                    f"{MOIS[d.month - 1]} {d.year}",
                    f"{d:%d/%m}",
                    f"{d.day} {MOIS[d.month - 1]}",
                ]
        else:
            m = MONTHS[d.month - 1]
            suffix = {1: "st", 2: "nd", 3: "rd"}.get(
                d.day % 10 if d.day not in (11, 12, 13) else 0, "th"
            )
            forms = [
                f"{m} {d.day}, {d.year}",
                f"{d.day} {m} {d.year}",
                f"{d.day}{suffix} {m} {d.year}",
                f"{d:%m/%d/%Y}",
                f"{d:%d/%m/%Y}",
                f"{d:%Y-%m-%d}",
                f"{m[:3]} {d.day} {d.year}",
                f"{d.day:02d}-{m[:3]}-{d.year}",
                f"{d.day} {m[:3]}. {d.year}",
            ]
            if kind == "loose":
                forms += [f"{m} {d.year}", f"{m} {d.day}", f"{m[:3]} {d.year}"]
        return self.pick(forms)

    # --- other identifiers -------------------------------------------------------------
    def age(self, kind: str) -> str:
        years = self.rng.randrange(18, 97)
        if self.language == "fr":
            return self.pick([f"{years} ans", f"{years}ans", f"{years} ans", f"{years} ANS"])
        if kind == "adj":
            return self.pick(
                [f"{years}-year-old", f"{years} year old", f"{years}-yr-old", f"{years}yo"]
            )
        return self.pick([f"{years} years", f"{years} years old", f"{years} yrs"])

    def nir(self, kind: str) -> str:
        n = self.fake.ssn() if self.rng.random() < 0.8 else self.corsican_nir()
        return self.pick(
            [
                n,
                f"{n[0]} {n[1:3]} {n[3:5]} {n[5:7]} {n[7:10]} {n[10:13]} {n[13:]}",
                f"{n[:13]} {n[13:]}",
                f"{n[0]} {n[1:3]} {n[3:5]} {n[5:7]} {n[7:10]} {n[10:13]} - {n[13:]}",
            ]
        )

    def corsican_nir(self) -> str:
        rng = self.rng
        body = f"{rng.choice('12')}{rng.randrange(30, 99):02d}{rng.randrange(1, 13):02d}"
        body += (
            self.rng.choice(["2A", "2B"])
            + f"{self.rng.randrange(1, 999):03d}{self.rng.randrange(1, 999):03d}"
        )
        return body + nir_key(body)

    def ident(self, kind: str) -> str:
        r = self.rng
        if kind == "ipp":
            return self.pick(
                [
                    f"{r.randrange(10**7, 10**8)}",
                    f"{r.randrange(10**8, 10**9)}",
                    f"{r.randrange(2000, 2025)}-{r.randrange(10**5, 10**6)}",
                    f"P{r.randrange(10**6, 10**7)}",
                ]
            )
        if kind == "acc":
            return self.pick(
                [
                    f"ACC{r.randrange(10**6, 10**7)}",
                    f"{r.randrange(15, 25)}R{r.randrange(10**5, 10**6)}",
                    f"RX-{r.randrange(10**5, 10**6)}",
                    f"{r.randrange(10**9, 10**10)}",
                    f"E{r.randrange(10**7, 10**8)}",
                ]
            )
        if kind == "nhs":
            digits = [r.randrange(10) for _ in range(9)]
            total = sum(d * (10 - i) for i, d in enumerate(digits))
            check = 11 - total % 11
            if check == 10:
                digits[0] = (digits[0] + 1) % 10
                total = sum(d * (10 - i) for i, d in enumerate(digits))
                check = 11 - total % 11
            check = 0 if check == 11 else check
            s = "".join(map(str, digits)) + str(check)
            return self.pick([s, f"{s[:3]} {s[3:6]} {s[6:]}"])
        if kind == "serial":
            return self.pick([f"SN{r.randrange(10**4, 10**6)}", f"{r.randrange(10**5, 10**7)}"])
        raise KeyError(kind)

    def phone(self, kind: str) -> str:
        if self.language == "fr":
            d = [self.rng.randrange(10) for _ in range(8)]
            pre = self.pick(["01", "02", "03", "04", "05", "06", "07", "09"])
            pairs = [pre] + [f"{d[i]}{d[i + 1]}" for i in range(0, 8, 2)]
            return self.pick(
                [
                    " ".join(pairs),
                    ".".join(pairs),
                    "".join(pairs),
                    self.fake.phone_number(),
                    "+33 " + pre[1] + " " + " ".join(pairs[1:]),
                    "-".join(pairs),
                ]
            )
        return self.fake.phone_number()

    def email(self, kind: str) -> str:
        if kind == "pro":
            first, last = self.fake.first_name().lower(), self.fake.last_name().lower()
            first = first.replace(" ", "").replace("é", "e").replace("è", "e").replace("ç", "c")
            last = last.replace(" ", "").replace("é", "e").replace("è", "e").replace("ç", "c")
            dom = self.pick(
                [
                    "chu-lille.fr",
                    "aphp.fr",
                    "chru-strasbourg.fr",
                    "nhs.net",
                    "mgh.harvard.edu",
                    "clinique-du-parc.fr",
                    "imagerie-lac.com",
                ]
            )
            return f"{first}.{last}@{dom}"
        return self.fake.email()

    def address(self, kind: str) -> str:
        street = self.fake.street_address().replace("\n", ", ")
        if self.language == "fr" and self.rng.random() < 0.3:
            street = self.pick(
                [
                    f"{self.rng.randrange(1, 200)} bis, rue {self.fake.last_name()}",
                    f"{self.rng.randrange(1, 80)} boulevard de la Liberté",
                    f"{self.rng.randrange(1, 80)} avenue du Général de Gaulle",
                    f"{self.rng.randrange(1, 300)} place {self.fake.last_name()}",
                    f"{self.rng.randrange(1, 40)} allée des "
                    + self.pick(["Tilleuls", "Roses", "Peupliers"]),
                    f"{self.rng.randrange(1, 40)} impasse {self.fake.last_name()}",
                ]
            )
        return street

    def postcode(self, kind: str) -> str:
        return self.fake.postcode()

    def city(self, kind: str) -> str:
        if kind == "fake" or self.independent:
            return self.fake.city()
        return self.pick(FR_CITIES if self.language == "fr" else EN_CITIES)

    def establishment(self, kind: str) -> str:
        if self.independent:
            forms = FR_ESTABLISHMENT_FORMS if self.language == "fr" else EN_ESTABLISHMENT_FORMS
            return self.pick(forms).format(
                c=self.fake.city(), f=self.fake.first_name(), l=self.fake.last_name()
            )
        pool = FR_ESTABLISHMENTS if self.language == "fr" else EN_ESTABLISHMENTS
        return self.pick(pool).format(
            c=self.pick(FR_CITIES if self.language == "fr" else EN_CITIES)
        )

    def device(self, kind: str) -> str:
        return self.pick(DEVICES)

    def fill(self, label: str, kind: str) -> str:
        method: Callable[[str], str] = {
            "PERSON": self.person,
            "DATE": self.date,
            "AGE": self.age,
            "NIR": self.nir,
            "ID": self.ident,
            "PHONE": self.phone,
            "EMAIL": self.email,
            "ADDRESS": self.address,
            "POSTCODE": self.postcode,
            "CITY": self.city,
            "ESTABLISHMENT": self.establishment,
            "DEVICE": self.device,
        }[label]
        return method(kind)


def render(template: str, fillers: Fillers) -> tuple[str, list[list]]:
    out: list[str] = []
    spans: list[list] = []
    position = 0
    cursor = 0
    for match in FIELD.finditer(template):
        literal = template[cursor : match.start()]
        out.append(literal)
        position += len(literal)
        value = fillers.fill(match.group(1), match.group(2))
        spans.append([position, position + len(value), match.group(1)])
        out.append(value)
        position += len(value)
        cursor = match.end()
    out.append(template[cursor:])
    return "".join(out), spans


def load_templates() -> list[dict]:
    templates = []
    for path in sorted(HERE.glob("templates_*.txt")):
        language = path.stem.split("_")[1]
        for block in re.split(r"(?m)^===== ", path.read_text(encoding="utf-8")):
            if not block.strip():
                continue
            header, _, body = block.partition("\n")
            meta = dict(part.split("=", 1) for part in header.split())
            keep = [k.strip() for k in meta.get("keep", "").split("|") if k.strip()]
            templates.append(
                {
                    "language": language,
                    "name": meta["name"],
                    "group": meta.get("group", "dev"),
                    "body": body.strip("\n") + "\n",
                    "keep": [k.replace("_", " ") for k in keep],
                }
            )
    return templates


OUTPUTS = {"faker": ("corpus.jsonl", 0), "mimesis": ("corpus_independent.jsonl", 500_000)}


def build(names: str) -> list[dict]:
    """The records of the corpus whose values come from ``names`` (see OUTPUTS)."""
    offset = OUTPUTS[names][1]
    records = []
    for t_index, template in enumerate(load_templates()):
        copies = 4 if template["language"] == "fr" else 3
        for copy in range(copies):
            seed = offset + 1000 * t_index + copy
            fillers = Fillers(seed=seed, language=template["language"], names=names)
            text, spans = render(template["body"], fillers)
            for phrase in template["keep"]:
                assert phrase in text, (template["name"], phrase)
            records.append(
                {
                    "id": f"{template['name']}-{copy}",
                    "language": template["language"],
                    "group": template["group"],
                    "text": text,
                    "spans": spans,
                    "keep": template["keep"],
                }
            )
    return records


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--names", choices=sorted(OUTPUTS), default="faker")
    args = parser.parse_args()
    records = build(args.names)
    with open(HERE / OUTPUTS[args.names][0], "w", encoding="utf-8") as handle:
        for record in records:
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
    by_language: dict[str, int] = {}
    for record in records:
        by_language[record["language"]] = by_language.get(record["language"], 0) + 1
    print(len(records), by_language)


if __name__ == "__main__":
    main()
