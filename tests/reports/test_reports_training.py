"""The synthetic training corpus: exact gold offsets in every style, spaCy training files."""

from __future__ import annotations

from tasks.reports.training.generate import STYLES, Names, build, to_docbin

NAMES = Names(
    first={c: ["Ondine", "Gaspard", "Maëlle"] for c in ("FR", "BE", "GB", "US", "IE")},
    last={c: ["Kervarec", "Le Bihan", "Fitzwilliam"] for c in ("FR", "BE", "GB", "US", "IE")},
    ordinary=["Sein", "Blanc"],
)


def test_gold_offsets_hold_the_values_in_every_style():
    records = build(300, seed=5, names=NAMES)
    assert {r["style"] for r in records} == set(STYLES)
    assert {r["language"] for r in records} == {"fr", "en"}
    people = 0
    for record in records:
        for start, end, label in record["spans"]:
            value = record["text"][start:end]
            assert value.strip() == value and value, (record["id"], value)
            if label == "PERSON":
                people += 1
                letters = value.replace("-\n", "").lower()
                assert any(
                    n.lower() in letters
                    for n in (
                        "ondine",
                        "gaspard",
                        "maëlle",
                        "kervarec",
                        "bihan",
                        "fitzwilliam",
                        "sein",
                        "blanc",
                    )
                ) or any(c.isdigit() for c in letters), value
    assert people > 300


def test_training_files_carry_person_entities(tmp_path):
    records = build(40, seed=9, names=NAMES)
    to_docbin(records, tmp_path / "train.spacy")
    import spacy
    from spacy.tokens import DocBin

    docs = list(DocBin().from_disk(tmp_path / "train.spacy").get_docs(spacy.blank("fr").vocab))
    assert len(docs) == 40
    assert sum(len(doc.ents) for doc in docs) >= 40
    assert {ent.label_ for doc in docs for ent in doc.ents} == {"PERSON"}
