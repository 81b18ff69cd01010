from flows.gate import gate_description, listed_approver


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
