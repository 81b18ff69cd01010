from pathlib import Path

import pytest
from pydantic import ValidationError

from flows.dpo_gate import (
    DPODecision,
    gate_description,
    listed_approver,
    refusal_reason,
    release_card,
)
from tasks.config.profile import load_profile
from tasks.config.request import load_request
from tests.conftest import write_request

PROFILES = Path(__file__).resolve().parents[2] / "profiles"


def test_listed_approver_ignores_case_and_spacing_and_returns_the_listed_spelling() -> None:
    approvers = ["Mme Durand (DPO)", "Dr Weiss"]
    assert listed_approver("mme  durand (dpo)", approvers) == "Mme Durand (DPO)"
    assert listed_approver("Someone Else", approvers) is None
    assert listed_approver("", approvers) is None


def test_gate_description_shows_counts_per_reason_and_no_paths() -> None:
    text = gate_description(
        "req-1",
        "training",
        {"released": 10, "quarantined:ingest.not_dicom": 2, "quarantined:ingest.truncated": 1},
        {"headers": {"ok": 10, "quarantined": 0}},
        "### checks\\nall passed",
        ["Mme Durand (DPO)"],
    )
    assert "**Released: 10 inputs**" in text and "**Quarantined: 3**" in text
    assert "| `ingest.not_dicom` | 2 |" in text
    assert "Mme Durand (DPO)" in text and "all passed" in text
    assert "/" not in text  # no path of any kind


def test_the_form_cannot_be_submitted_without_a_decision() -> None:
    schema = DPODecision.model_json_schema()
    assert set(schema["required"]) == {"decision", "dpo_name"}
    assert set(schema["properties"]["decision"]["enum"]) == {"approve", "reject"}
    with pytest.raises(ValidationError):
        DPODecision(dpo_name="Mme Durand (DPO)")


def test_an_answer_decides_only_from_a_listed_approver_and_a_rejection_needs_a_reason() -> None:
    approvers = ["Mme Durand (DPO)"]

    def reason(decision: str, name: str, comment: str = "") -> str | None:
        answer = DPODecision(decision=decision, dpo_name=name, comment=comment)
        return refusal_reason(answer, approvers, identity="name-only")

    assert reason("approve", "mme durand (dpo)") is None
    assert reason("reject", "Mme Durand (DPO)", "too few patients") is None
    assert reason("approve", "Someone Else") == "not_a_listed_approver"
    assert reason("reject", "Mme Durand (DPO)", "  ") == "rejection_without_reason"


def test_the_description_starts_with_the_instruction_and_names_the_sealed_candidate() -> None:
    text = gate_description(
        "req-1", "training", {"released": 1}, {}, "", ["Mme Durand (DPO)"],
        gate_id="0123abcd", sealed_digest="f" * 64,
    )  # fmt: skip
    first_paragraph = text.split("\n\n")[1]
    assert "decision" in first_paragraph and "Mme Durand (DPO)" in first_paragraph
    assert "**code**" in first_paragraph  # the default identity asks for the one-time code
    named_only = gate_description("req-1", "t", {}, {}, "", ["X"], identity="name-only")
    assert "**code**" not in named_only.split("\n\n")[1]
    assert "0123abcd" in text and "f" * 64 in text


def test_the_release_card_says_what_is_released_and_at_which_granularity(tmp_path) -> None:
    request = load_request(write_request(tmp_path, purpose="COVID triage", requester="Lab X"))
    fidac = load_profile(PROFILES / "fidac.yaml")
    card = release_card(request, fidac, {"instances": 84, "patients": 12}, {"CT": 4, "MR": 2})
    assert "| modalities | CT 4 series, MR 2 series |" in card
    assert "COVID triage" in card and "Lab X" in card and "Mme Durand (DPO)" in card
    assert "84 instances, 12 patients" in card
    assert "bands 18, 30" in card and "regions" in card and "birth dates → age band" in card
    assert "one-time code" in card  # how the gate knows who answers
    assert "/" not in card.replace("→", "")  # no path: the destination's folder name only
    default = load_profile(PROFILES / "default.yaml")
    assert "default" in release_card(request, default, {})


def test_each_quarantined_input_is_counted_once_at_the_stage_that_set_it_aside() -> None:
    text = gate_description(
        "req-1",
        "training",
        {"released": 10, "quarantined:ingest.not_dicom": 2, "quarantined:pixels.unreadable": 1},
        {
            "ingest": {"ok": 11, "quarantined": 2},
            "headers": {"ok": 11, "quarantined": 2},
            "pixels": {"ok": 10, "quarantined": 3},
        },
        "",
        ["Mme Durand (DPO)"],
    )
    assert "| ingest | ok=11, quarantined_here=2 |" in text
    assert "| headers | ok=11, quarantined_here=0 |" in text
    assert "| pixels | ok=10, quarantined_here=1 |" in text
    assert "quarantined=" not in text
