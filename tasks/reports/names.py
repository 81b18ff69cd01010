"""Reading a person's name that starts at a given position (after a title or a label)."""

from __future__ import annotations

import re

from tasks.reports.vocab import is_report_word

UPPER = "A-ZÀ-ÖØ-Þ"
LOWER = "a-zà-öø-ÿß"
# one token of a name: Capitalised, UPPER, hyphenated / apostrophe forms, or an initial "J."
# (also "O'brien"; a word hyphen-wrapped across a line break, "Bru-\nneau", is one token)
NAME_TOKEN = re.compile(
    rf"(?:[{UPPER}]'(?:[{UPPER}][{LOWER}]+|[{UPPER}]{{2,}})|O'[{LOWER}]{{2,}}|[{UPPER}][{LOWER}]+"
    rf"|[{UPPER}]{{2,}}|[{UPPER}]\.(?:-[{UPPER}]\.)?|[{UPPER}]')"
    rf"(?:['’-](?:[{UPPER}][{LOWER}]+|[{UPPER}]{{2,}}|[{LOWER}]+))*"
    rf"(?:[{UPPER}][{LOWER}]+)?"
    rf"(?:-[ \t]*\n[ \t]*(?:[{LOWER}]+|[{UPPER}]{{2,}})(?![\w'’-]))?"
)
PARTICLE = re.compile(
    r"(?:(?:de\s+la|de|du|des|le|la|van\s+der|van\s+den|van|von|der|den|di|da|dos|del|ben|bin|"
    r"el|al|mac|épouse|ép\.|epouse|née|nee|veuve|dit|dite)(?=[ \t])|d'|l'|de\s+l')[ \t]*",
    re.IGNORECASE,
)
SPACE = re.compile(r"[ \t]+|(?<=')")
MAX_TOKENS = 6


def read_name(
    text: str,
    position: int,
    min_words: int = 1,
    after_title: bool = False,
    ordinary_surname: bool = False,
) -> tuple[int, int] | None:
    """(start, end) of the name beginning at ``position`` (after optional blanks), or None.

    Reads name tokens separated by blanks (never a line break), with particles between
    them ("de la", "van", "épouse") and one "LAST, First" comma. Stops at report vocabulary
    ("Radiologue", "Conclusion") and at anything else. ``after_title``: right after a title
    or a field label, a surname that is also a report word ("Dr MASSE", "Dr Petit Jean") is
    still read when it is upper-case or followed by another name word;
    ``ordinary_surname`` (after a title or a person label): also when it stands alone
    ("Dr Sein", "Patiente Gauche"), unless it is a section word ("Conclusion").
    """
    index = _skip_blanks(text, position)
    start = index
    end = None
    words = 0
    commas = 0
    while words < MAX_TOKENS:
        # after a title or a name word, a particle announces a surname even when it is a
        # report word: "Dr Le Coeur", "Conceição Le Coeur", "Violette Du Pont"
        index = _skip_particles(text, index, surname_follows=after_title or words > 0)
        token = _name_token_at(text, index)
        if token is None and index > start and (after_title or words > 0):
            token = _report_word_as_surname(text, index, alone=True)
        if token is None and words > 0:  # a capitalised particle ending a name: "Angela Le"
            token = CAPITALISED_PARTICLE_AT_END.match(text, index)
        if token is None and words > 0:  # a middle initial ending a name: "SMITH, JOHN A"
            token = INITIAL_AT_END.match(text, index)
        if token is None and after_title and words == 0:  # "Dr Sein", "Patiente Gauche"
            token = _report_word_as_surname(text, index, alone=ordinary_surname)
        # "G. Masse": after an initial
        if token is None and words > 0 and end is not None and text[end - 1] == ".":
            token = _report_word_as_surname(text, index, alone=True)
        if token is None and words > 0:  # "Camille Masse," : a surname ending the name
            token = _last_word_as_surname(text, index)
        if token is None:
            break
        words += 1
        end = token.end()
        index = end
        nxt = _skip_blanks(text, index)
        if nxt > index or text.startswith("'", index - 1):
            index = nxt
            continue
        if text.startswith(", ", index) and commas == 0 and words == 1:
            after = _name_token_at(text, index + 2)
            if after is not None and _ends_name(text, after.end()):
                commas += 1
                index += 2
                continue
        break
    if end is None or words < min_words:
        return None
    return start, end


def _name_token_at(text: str, index: int) -> re.Match[str] | None:
    token = NAME_TOKEN.match(text, index)
    if token is None or is_report_word(token.group()) or _glued_to_word(text, token.end()):
        return None
    if _function_word_in_capitals(token.group()):
        return None  # "MRS WEAVER WAS INFORMED": capitals say nothing, "WAS" is no name
    return token


def _function_word_in_capitals(word: str) -> bool:
    from tasks.reports.lexicon import function_words

    return word.isupper() and len(word) > 1 and word.lower() in function_words()


CAPITALISED_PARTICLE_AT_END = re.compile(
    r"(?:Le|La|Da|Di|Du|De|Van|Von|El|Al)(?=[ \t]*(?:[,;)]|$))", re.MULTILINE
)


INITIAL_AT_END = re.compile(rf"[{UPPER}](?=[ \t]*(?:[,;)]|$))", re.MULTILINE)

SECTION_WORDS = frozenset(
    "conclusion conclusions impression indication technique résultat résultats findings "
    "history comparaison comparison examen exam".split()
)
# words that name a form's field ("Patient Name:", "Patient ID :"), never a surname
FIELD_WORDS = frozenset(
    "name names nom noms prénom prénoms id ipp mrn date dob ddn age âge sex sexe address "
    "adresse tel tél phone number numéro no code".split()
)


def _last_word_as_surname(text: str, index: int) -> re.Match[str] | None:
    token = NAME_TOKEN.match(text, index)
    if token is None or _glued_to_word(text, token.end()) or token.group().endswith("."):
        return None
    if len(token.group()) < 3 or token.group().lower() in SECTION_WORDS:
        return None
    if _function_word_in_capitals(token.group()):
        return None
    return token if _ends_name(text, token.end()) else None


def _skip_particles(text: str, index: int, surname_follows: bool = False) -> int:
    """Past "de la", "née De" ... when a name word follows them (``surname_follows``: also
    a capitalised report word, "Le Coeur" after a title or a given name)."""
    position = index
    for _ in range(3):
        particle = PARTICLE.match(text, position)
        if particle is None:
            break
        position = particle.end()
        if _name_token_at(text, position) is not None:
            return position
        if surname_follows and _report_word_as_surname(text, position, alone=True):
            return position
    return index


def _report_word_as_surname(text: str, index: int, alone: bool = False) -> re.Match[str] | None:
    token = NAME_TOKEN.match(text, index)
    if token is None or _glued_to_word(text, token.end()) or token.group().endswith("."):
        return None
    word = token.group()
    if word.lower() in SECTION_WORDS or word.lower() in FIELD_WORDS:
        return None  # "Conclusion", "Patient Name:"
    if _function_word_in_capitals(word):
        return None
    if (alone and len(word) >= 3) or (len(word) >= 3 and word.isupper()):
        return token
    following = _skip_blanks(text, token.end())
    if following > token.end() and _name_token_at(text, following) is not None:
        return token
    return None


def _skip_blanks(text: str, index: int) -> int:
    while index < len(text) and text[index] in " \t":
        index += 1
    return index


def _glued_to_word(text: str, end: int) -> bool:
    return end < len(text) and (text[end].isalnum() or text[end] == "_")


def _ends_name(text: str, end: int) -> bool:
    rest = text[end : end + 3]
    if INITIAL_AT_END.match(text, end + 1) and text.startswith(" ", end):
        return True  # "SMITH, JOHN A"
    return rest == "" or rest[0] in "\n\r\t;)(" or rest.startswith((" - ", " (", ", ", " –", "  "))


LOWER_PARTICLE = re.compile(
    r"(?:(?:de[ \t]+la|de|du|des|le|la|van[ \t]+der|van[ \t]+den|van|von|der|di|da|del|mac|ben"
    r"|el|al)[ \t]+|d'|l')"
)
LOWER_INITIAL = re.compile(rf"[{LOWER}]\.(?:-[{LOWER}]\.)?[ \t]?(?=[{LOWER}])")
LOWER_WORD = re.compile(rf"[{LOWER}][{LOWER}'’]*(?:-[{LOWER}]+)*(?![\w])")


def read_lower_name(
    text: str, position: int, after_title: bool, language: str = "fr"
) -> tuple[int, int] | None:
    """(start, end) of a name written in lower case ("dr lebeau", "patiente émilie petit").

    Right after a title the first word is a surname unless it is a function word or report
    vocabulary; a second word follows when the first is a given name or when the second is
    outside the report language's dictionary ("docteur aubriac lestriguen"). Elsewhere
    (after "patiente", "par", "wife") two words are needed: a given name then a surname,
    one of them outside the dictionary ("claire coopérante" is not a name), or two words
    outside the dictionary.
    """
    from tasks.reports.lexicon import is_dictionary_word, is_given_name, never_a_name

    index = start = _skip_blanks(text, position)
    initial = LOWER_INITIAL.match(text, index)
    if initial is not None:  # "k. fox", "m.-c. le goff"
        surname = LOWER_WORD.match(text, initial.end())
        if surname is not None and len(surname.group()) >= 2 and not never_a_name(surname.group()):
            return start, surname.end()
    if after_title:  # "pr le goff", "dr van der merwe", "docteur d'arvor"
        particle = LOWER_PARTICLE.match(text, index)
        if particle is not None and LOWER_WORD.match(text, particle.end()):
            index = particle.end()
    first = LOWER_WORD.match(text, index)
    if first is not None and after_title and _report_word_closing(text, first):
        return start, first.end()  # "dicté par docteur foie point", "dr le coeur⏎"
    if first is None or len(first.group()) < 2 or never_a_name(first.group()):
        return None
    second = None
    gap = _skip_blanks(text, first.end())
    following = LOWER_WORD.match(text, gap) if gap > first.end() else None
    if (
        after_title
        and following is not None
        and is_given_name(first.group())
        and _report_word_closing(text, following, function_word_after=True)
    ):
        return start, following.end()  # "doctor emma hand by phone", "dr léa genou⏎"
    if following is not None and (len(following.group()) < 2 or never_a_name(following.group())):
        following = None
    if following is not None and is_given_name(first.group()):
        second = following
    elif following is not None and after_title:
        if (
            not is_dictionary_word(following.group(), language)
            or is_given_name(following.group())  # "m. dupont hugo": surname, given name
            or _ends_name(text, following.end())  # "dr thanh blanc⏎", "dr. rose david, chu"
        ):
            second = following
    if after_title:
        return start, _with_given_name_after_comma(text, (second or first).end())
    if second is None and is_given_name(first.group()):
        if not is_dictionary_word(first.group(), language):
            return first.span()  # "daughter agnes at ...": a known given name alone
    if second is None:
        return read_lower_pair(text, position, language)
    if is_dictionary_word(first.group(), language) and is_dictionary_word(second.group(), language):
        return None
    return first.start(), second.end()


# what closes a lower-case name: a line end, punctuation, or dictated punctuation
CLOSES_LOWER_NAME = re.compile(
    r"[ \t]*(?:$|[\n.,;:)]|(?:point|virgule|full[ \t]+stop|period|comma|new[ \t]+line)\b)"
)


def _report_word_closing(text: str, word: re.Match[str], function_word_after: bool = False) -> bool:
    """Right after a title, a report word standing alone is a surname ("docteur foie",
    "dr le coeur"): nobody writes a title before an organ otherwise. Not a function word,
    a section or a field word, and nothing but punctuation or a line end after it."""
    from tasks.reports.lexicon import function_words, never_a_name

    lowered = word.group()
    if len(lowered) < 3 or lowered in function_words() or not never_a_name(lowered):
        return False  # (a word that may be a name goes the usual way)
    if lowered in SECTION_WORDS or lowered in FIELD_WORDS:
        return False
    if CLOSES_LOWER_NAME.match(text, word.end()) is not None:
        return True
    after = LOWER_WORD.match(text, _skip_blanks(text, word.end()))
    return function_word_after and after is not None and after.group() in function_words()


def _with_given_name_after_comma(text: str, end: int) -> int:
    """ "winter, grace" closing a field: a surname, a comma and a given name, one name."""
    from tasks.reports.lexicon import never_a_name

    if not text.startswith(", ", end):
        return end
    given = LOWER_WORD.match(text, end + 2)
    if given is not None and not never_a_name(given.group()) and _ends_name(text, given.end()):
        return given.end()
    return end


def read_lower_pair(text: str, position: int, language: str = "fr") -> tuple[int, int] | None:
    """Two lower-case words that may be a given name and a surname, none of them a function
    word or report vocabulary, both outside the dictionary ("gaëtan roussillon"), a word
    outside the dictionary, a particle and a surname ("annaïck le roux"), or any possible
    surname and a given name ("street anjali")."""
    from tasks.reports.lexicon import is_dictionary_word, is_given_name, never_a_name

    first = LOWER_WORD.match(text, _skip_blanks(text, position))
    if first is None:
        return None
    gap = _skip_blanks(text, first.end())
    particle = LOWER_PARTICLE.match(text, gap) if gap > first.end() else None
    if particle is not None:  # "annaïck le roux": a particle makes the second word a surname
        second = LOWER_WORD.match(text, particle.end())
        words = (first.group(), second.group() if second is not None else "")
        if second is not None and len(words[1]) >= 2 and not never_a_name(words[1]):
            if not never_a_name(words[0]) and not is_dictionary_word(words[0], language):
                return first.start(), second.end()
    second = LOWER_WORD.match(text, gap) if gap > first.end() else None
    if second is None:
        return None
    if (
        is_given_name(second.group())  # "patient street anjali": surname first, given name
        and not is_dictionary_word(second.group(), language)
        and len(first.group()) >= 2
        and not never_a_name(first.group())
    ):
        return first.start(), second.end()
    for word in (first.group(), second.group()):
        if len(word) < 2 or never_a_name(word) or is_dictionary_word(word, language):
            return None
    return first.start(), second.end()
