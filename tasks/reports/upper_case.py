"""Names in text written all in capitals, where a capital says nothing.

On an upper-case line every word looks like a name to the rules and the statistical
models ("RENSEIGNEMENTS CLINIQUES", "DOULEUR DU DOS IRRADIANT AU PIED GAUCHE", "VOTRE
DISPOSITION"). There a weak person or place answer is kept only when one of its words could
be a name: a known given name, or a word that is neither report vocabulary, a function word,
a medical term by its ending nor a word of the report language's dictionary. Surnames that
are ordinary words ("ROUGE", "BOULANGER") are found after a title or a label, or beside a
given name: answers resting on a title, a label or a header value (strong ones) are kept as
they are.
"""

from __future__ import annotations

import re

from tasks.reports.spans import Candidate

WORD = re.compile(r"[^\W\d_]+")
INITIAL = re.compile(r"(?<![\w])[A-Z]\.(?:-[A-Z]\.)?[ \t]")
CHECKED_LABELS = frozenset({"PERSON", "CITY"})
# endings of medical words, never of names written in capitals
MEDICAL_ENDING = re.compile(
    r"(?:algies?|ites?|omes?|oses?|pathies?|ectomies?|plasties?|graphies?|scopies?|"
    r"émies?|uries?|mégalies?|cèles?|trophies?|plasies?|isthésis|ïdes?|aires?)$"
)
# beginnings of medical words of 8 letters or more ("ÉCHOSTRUCTURE", "PERIVENTRICULAR")
MEDICAL_BEGINNING = re.compile(
    r"^(?:[ée]cho|hyper|hypo|p[ée]ri|intra|extra|para|micro|macro|multi|poly|angio|cardio|"
    r"neuro|gastro|h[ée]pato|n[ée]phro|ost[ée]o|arthro|spl[ée]no|pancr[ée]at|pyélo|uré|"
    r"cortico|sous-|supra|infra|trans|post[ée]ro|ant[ée]ro|m[ée]dio|latéro)\w{4,}$"
)
# words a name may hold besides its names ("DE LA TOUR", "VAN DER BERG")
PARTICLES = frozenset(
    "de du des la le les d l van von der den da di del mac mc o ben el al".split()
)


def _line_is_upper_case(text: str, start: int, end: int) -> bool:
    line_start = text.rfind("\n", 0, start) + 1
    line_end = text.find("\n", end)
    line = text[line_start : len(text) if line_end < 0 else line_end]
    letters = [c for c in line if c.isalpha()]
    return len(letters) >= 12 and all(c.isupper() for c in letters)


def _could_be_a_name(word: str, language: str) -> bool:
    from tasks.reports.lexicon import function_words, is_dictionary_word, is_given_name
    from tasks.reports.vocab import is_report_word

    lowered = word.lower()
    if is_given_name(lowered):
        return True
    if MEDICAL_ENDING.search(lowered) or MEDICAL_BEGINNING.search(lowered):
        return False  # "LOMBALGIES", "SYNDESMOSE", "HÉPATOMÉGALIE", "ÉCHOSTRUCTURE"
    forms = {lowered, lowered[:-1]} if lowered.endswith(("s", "x")) else {lowered}
    return not any(
        is_report_word(form) or form in function_words() or is_dictionary_word(form, language)
        for form in forms
    )


def _names_someone(value: str, label: str, language: str) -> bool:
    from tasks.reports.validators import a_known_city

    if INITIAL.search(value):  # "J. ROUGE"
        return True
    if label == "CITY" and a_known_city(value, 0, len(value)):  # "ARRAS", "VIENNE"
        return True
    words = [w for w in WORD.findall(value) if len(w) > 1 and w.lower() not in PARTICLES]
    could = [_could_be_a_name(word, language) for word in words]
    # a name holds one possible name and at most one ordinary word ("MARIE BOULANGER"):
    # "LA RATE MESURE", "M'AVOIR ADRESSÉ VOTRE PATIENTE" are sentences
    return any(could) and could.count(False) <= 1


def without_capitalised_words(
    text: str, candidates: list[Candidate], language: str = "fr"
) -> list[Candidate]:
    """The candidates minus weak person and place answers made of ordinary words on an
    upper-case line."""
    kept = []
    for candidate in candidates:
        if (
            candidate.strong
            or candidate.label not in CHECKED_LABELS
            or not _line_is_upper_case(text, candidate.start, candidate.end)
            or _names_someone(text[candidate.start : candidate.end], candidate.label, language)
        ):
            kept.append(candidate)
    return kept
