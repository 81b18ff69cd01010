"""The title rule in any case, with particles, shared by the FIDAC report gate and the
released-report check reports_free_of_title_and_name; and the words it must not take for names."""

from __future__ import annotations

import pytest

from tasks.checks.run import run_checks
from tasks.config.phi import write_record
from tasks.reports.report_stage import anonymise_report
from tasks.reports.title_gate import title_mentions, title_remaining
from tests.checks.test_checks_run import failed, profile, workspace
from tests.checks_support import clean_release
from tests.reports.test_reports_stage import context, make_record, write_report

# invented names (in no list the code reads), written as a hurried typist would
MISSED = [
    "Vu par monsieur quilleboeuf.",
    "Adressé par le Dr. o'Feeney.",
    "Mme de la Varenne a été prévenue.",
    "Copie au professeur du quesnoy-brilot.",
    "Monsieur le Professeur Zabrowitz",
    "Madame le docteur van der grift",
    "Seen by mrs pennywhistle.",
    "Prof. Okonkwo-Bale signed.",
    "Miss Threlkeld",
    "Me Garrigou-Lafont, avocat",
    "CT THORAX DR VANDERKLOOT",
    "Dr d'Arbonnay",
    "IRM CEREBRALE MR VANDEWALLE-QUIST",  # capitals after MR: vocabulary decides
]
# medical text with titles' look-alikes, and titles followed by what is not a name
ORDINARY = [
    "DR THORAX face et profil.",  # DR: digital radiography
    "PR interval normal, réponse PR selon RECIST.",  # ECG interval, partial response
    "Hydrocéphalie. Adresse du patient. Drainage.",  # "dr"/"pr" inside words
    "Lésion de 3 m. Pas d'épanchement.",  # metres
    "TR 20 ms Echo 2 ms Flip 90.",  # milliseconds
    "Le docteur de garde a été prévenu.",  # a role, not a name
    "Madame présente une toux depuis huit jours.",
    "The doctor said no follow-up was needed.",
    "Small lesions we may miss on this sequence.",
    "Cher Confrère, merci. Dr [NOM] a vu Mme [NOM] et Monsieur <NOM>.",
    "Examen demandé par le docteur traitant.",
    "DR CHEST PA.",  # all capitals: vocabulary decides
    "Monsieur,",
    # verbatim from public scanner exports (procedure code meanings, private creators)
    "MR  Brain Contrast",
    "MR Brain Contrast",
    "Philips MR Imaging DD 001",
    "MR Neuro routine",
]


@pytest.mark.parametrize("text", MISSED)
def test_title_then_name_in_any_case_is_found(text):
    assert title_mentions(text) == 1
    assert title_remaining(text)


@pytest.mark.parametrize("text", ORDINARY)
def test_ordinary_medical_words_are_no_alarm(text):
    assert title_mentions(text) == 0


def test_report_stage_quarantines_a_lower_case_name_the_recognizers_missed(tmp_path):
    ctx = context(tmp_path, title_gate=True)
    write_record(ctx.workspace, "dcm-1", make_record(), ctx.key)
    text = "Scanner thoracique normal.\nCopie à maître du quesnoy.\n"
    outcome = anonymise_report(write_report(tmp_path, text), tmp_path / "out.txt", "rep-1", ctx)
    assert (outcome.ok, outcome.reason) == (False, "reports.title_remaining")
    assert not (tmp_path / "out.txt").exists()
    fine = context(tmp_path / "fine", title_gate=True)
    write_record(fine.workspace, "dcm-1", make_record(), fine.key)
    clean = "DR THORAX face.\nLe docteur de garde a été prévenu. PR interval normal.\n"
    assert anonymise_report(write_report(tmp_path, clean), tmp_path / "ok.txt", "rep-1", fine).ok


def test_released_report_check_counts_lower_case_titles_and_particles(tmp_path):
    ws = workspace(tmp_path)
    clean_release(ws.staging)
    (ws.staging / "reports").mkdir()
    for index, text in enumerate(MISSED[:3]):
        (ws.staging / "reports" / f"r{index}.txt").write_text(text)
    (ws.staging / "reports" / "fine.txt").write_text(" ".join(ORDINARY))
    summary = run_checks(ws, profile())
    assert "residual_identifiers.reports_free_of_title_and_name" in failed(summary)
    counts = {r["name"]: r["unexpected_count"] for r in summary.results}
    assert counts["residual_identifiers.reports_free_of_title_and_name"] == 3
    evidence = b"".join(p.read_bytes() for p in ws.evidence.rglob("*") if p.is_file())
    for name in (b"quilleboeuf", b"Feeney", b"Varenne"):
        assert name.lower() not in (summary.markdown.encode() + evidence).lower()
