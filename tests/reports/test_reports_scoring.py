"""The report scorer (tasks/reports/evaluation.py): precision needs a predicted span to
match the gold value (intersection over union >= 0.5), not merely touch it; recall needs
every character of a gold span removed."""

from __future__ import annotations

from tasks.reports.evaluation import matches_gold, score
from tasks.reports.spans import Span

TEXT = (
    "Compte rendu du scanner thoracique réalisé chez Jean DUPONT, domicilié à Lille. "
    "Pas de nodule suspect. Conclusion : examen normal, contrôle dans un an.\n"
)
NAME = TEXT.index("Jean DUPONT")
CITY = TEXT.index("Lille")
RECORD = {
    "id": "r1",
    "language": "fr",
    "text": TEXT,
    "spans": [[NAME, NAME + 11, "PERSON"], [CITY, CITY + 5, "CITY"]],
    "protected": [[TEXT.index("nodule"), TEXT.index("nodule") + 6, "anatomy"]],
}


def scored(*spans: tuple[int, int, str]):
    return score([RECORD], lambda _record: [Span(*span) for span in spans])


def test_one_span_over_the_whole_document_has_precision_zero():
    result = scored((0, len(TEXT), "PERSON"))
    assert result.recall() == 1.0  # everything is removed...
    assert result.precision() == 0.0  # ...but the one span is not a match of any value
    assert result.span_precision() == 0.0
    assert result.char_precision() < 0.2
    assert result.survival() == 0.0
    assert result.touch_precision() == 1.0  # the older rule counted it right


def test_too_wide_span_fails_the_ratio_and_exact_spans_pass():
    exact = scored((NAME, NAME + 11, "PERSON"), (CITY, CITY + 5, "CITY"))
    assert exact.precision() == 1.0 and exact.recall() == 1.0
    sentence_end = TEXT.index(".") + 1  # "… chez Jean DUPONT, domicilié à Lille."
    wide = scored((NAME - 5, sentence_end, "PERSON"))  # "chez Jean DUPONT, domicilié à Lille."
    assert wide.recall() == 1.0
    assert wide.precision() == 0.0, "16 gold characters in a 36-character span"
    assert wide.half_inside_precision() == 0.0
    assert wide.touch_precision() == 1.0
    # the boundary: twice the value's width is a ratio of exactly 0.5, one more character fails
    assert matches_gold(NAME, NAME + 22, RECORD["spans"])
    assert not matches_gold(NAME, NAME + 23, RECORD["spans"])
    assert not matches_gold(NAME - 12, NAME + 11, RECORD["spans"])


def test_a_span_over_two_adjacent_values_matches_their_union():
    text = "Adresse : 12 rue des Lilas, 59000 Lille\n"
    post = text.index("59000")
    record = {
        "id": "r2",
        "language": "fr",
        "text": text,
        "spans": [[post, post + 5, "POSTCODE"], [post + 6, post + 11, "CITY"]],
    }
    result = score([record], lambda _record: [Span(post, post + 11, "POSTCODE")])
    assert result.precision() == 1.0 and result.recall() == 1.0


def test_recall_needs_every_character_and_each_fragment_is_judged_for_precision():
    first, last = (NAME, NAME + 4, "PERSON"), (NAME + 5, NAME + 11, "PERSON")
    result = scored(first, last)
    assert result.recall(["PERSON"]) == 0.0  # the space of "Jean DUPONT" is not removed
    assert scored((NAME, NAME + 11, "PERSON")).recall(["PERSON"]) == 1.0
    assert result.correct["PERSON"] == 1  # "DUPONT" (6/11) matches, "Jean" (4/11) does not
    assert [fp[2] for fp in result.false_positives] == ["Jean"]
    missed = scored(last)
    assert missed.recall(["PERSON"]) == 0.0 and missed.misses[0][2] == "Jean DUPONT"


def test_a_span_touching_no_value_is_wrong_and_subgroups_count_recall():
    stray = TEXT.index("Conclusion")
    result = score(
        [RECORD],
        lambda _record: [Span(NAME, NAME + 11, "PERSON"), Span(stray, stray + 10, "PERSON")],
        subgroup=lambda label, value: "listed" if label == "PERSON" else None,
    )
    assert result.precision() == 0.5
    assert result.subgroup_gold == {"listed": 1} and result.subgroup_recall("listed") == 1.0
