"""Approver identity by one-time codes (RFC 6238): the gate accepts the enrolled approver's
current code once, says why it refuses any other answer, and keeps the secrets owner-only."""

from __future__ import annotations

import base64
import json
import os
import stat
from pathlib import Path

import pytest

from flows.dpo_gate import DPODecision, refusal_reason
from tasks.config.errors import ClearanceError
from tasks.signoff.approvers import check_code, enrol, hotp, key_of, otpauth_uri

RFC_SECRET = base64.b32encode(b"12345678901234567890").decode()
APPROVER = "Mme Durand (DPO)"


@pytest.mark.parametrize(
    ("moment", "eight_digits"),
    [
        (59, "94287082"),
        (1111111109, "07081804"),
        (1234567890, "89005924"),
        (2000000000, "69279037"),
    ],
)
def test_codes_are_those_of_rfc_6238(moment: int, eight_digits: str) -> None:
    assert hotp(RFC_SECRET, moment // 30, digits=8) == eight_digits
    assert hotp(RFC_SECRET, moment // 30) == eight_digits[-6:]


def _secret(path: Path, name: str = APPROVER) -> str:
    return json.loads(path.read_text())[key_of(name)]["secret"]


def test_the_current_code_decides_once_and_every_other_answer_says_why(tmp_path: Path) -> None:
    path = tmp_path / "home" / "approvers.json"
    uri = enrol(APPROVER, path)
    secret = _secret(path)
    assert uri == otpauth_uri(APPROVER, secret) and f"secret={secret}" in uri
    now = 1_800_000_000.0
    step = int(now // 30)

    assert check_code(APPROVER, "", path, now) == "code_missing"
    assert check_code("Someone Else", hotp(secret, step), path, now) == "not_enrolled"
    wrong = f"{(int(hotp(secret, step)) + 1) % 10**6:06d}"
    assert check_code(APPROVER, wrong, path, now) == "code_wrong"
    assert check_code(APPROVER, hotp(secret, step - 10), path, now) == "code_expired"
    assert check_code(" mme  DURAND (dpo) ", hotp(secret, step), path, now) is None
    assert check_code(APPROVER, hotp(secret, step), path, now) == "code_reused"
    assert check_code(APPROVER, hotp(secret, step - 1), path, now) == "code_reused"  # older
    assert check_code(APPROVER, hotp(secret, step + 1), path, now + 5) is None  # next one
    code = hotp(secret, step + 3)
    assert check_code(APPROVER, code[:3] + " " + code[3:], path, now + 90) is None  # spaces


def test_the_secrets_are_owner_only_and_refused_when_others_can_read_them(
    tmp_path: Path,
) -> None:
    path = tmp_path / "home" / "approvers.json"
    enrol(APPROVER, path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) & 0o077 == 0
    os.chmod(path, 0o640)
    with pytest.raises(ClearanceError, match="readable by other users"):
        check_code(APPROVER, "123456", path)


def test_enrolling_again_replaces_the_secret(tmp_path: Path) -> None:
    path = tmp_path / "approvers.json"
    enrol(APPROVER, path)
    first = _secret(path)
    enrol(APPROVER, path)
    assert _secret(path) != first
    with pytest.raises(ClearanceError):
        enrol("  ", path)


def test_the_gate_checks_the_code_only_where_the_profile_asks_for_it(tmp_path: Path) -> None:
    path = tmp_path / "approvers.json"
    enrol(APPROVER, path)
    now = 1_800_000_000.0
    code = hotp(_secret(path), int(now // 30))

    def answer(decision: str = "approve", code: str = "", comment: str = "") -> DPODecision:
        return DPODecision(decision=decision, dpo_name=APPROVER, code=code, comment=comment)

    approvers = [APPROVER]
    assert refusal_reason(answer(), approvers, "totp", path, now) == "code_missing"
    assert refusal_reason(answer(), approvers, "name-only", path, now) is None
    assert refusal_reason(answer(), approvers, "sso-header", path, now) is None
    # a rejection is a decision too: it needs the code, and its reason first
    assert refusal_reason(answer("reject", code), approvers, "totp", path, now) == (
        "rejection_without_reason"
    )
    assert refusal_reason(answer("approve", code), approvers, "totp", path, now) is None
    assert refusal_reason(answer("approve", code), approvers, "totp", path, now) == ("code_reused")
