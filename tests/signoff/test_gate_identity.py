"""The gate knows who answers: under `gate.identity: totp` a listed name is not enough. Through
a real local stack, an answer without a code, with a wrong, an expired or an already used code
is refused and audited with its reason, and the run keeps waiting; the approver's current code
releases. The secrets never reach Prefect's database or logs."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
import yaml

from tasks.runtime import audit
from tasks.signoff.approvers import check_code, hotp, key_of, step_at
from tasks.synthetic.demo_inputs import build_demo
from tests.conftest import DEMO_INPUTS, write_request
from tests.stack_support import (
    approvers_path,
    authenticator_code,
    clearance,
    local_stack,
)

pytestmark = pytest.mark.integration
APPROVER = "Mme Durand (DPO)"


def _request(root: Path) -> Path:
    profile = root / "totp.yaml"
    profile.write_text(yaml.safe_dump({"extends": "demo", "name": "totp-gate",
                                       "gate": {"identity": "totp"}}))  # fmt: skip
    return write_request(
        root,
        request_id="totp-gate",
        purpose="identity test",
        inputs=DEMO_INPUTS,
        profile=str(profile),
        destination="out/totp-gate",
    )


def test_only_the_approvers_current_unused_code_decides(tmp_path: Path) -> None:
    root = tmp_path / "inputs"
    build_demo(root / "in", patients=2, image_size=256)
    with local_stack(tmp_path / "home") as env:
        authenticator_code(env, APPROVER)  # the DPO enrolled beforehand
        secret = json.loads(approvers_path(env).read_text())[key_of(APPROVER)]["secret"]
        submitted = clearance(env, "submit", str(_request(root)), check=True)
        run_id = submitted.stdout.strip().splitlines()[-1]

        def approve(code: str) -> int:
            return clearance(env, "approve", run_id, "--dpo", APPROVER, "--code", code).returncode

        current = hotp(secret, step_at(time.time()))
        wrong = f"{(int(current) + 500_000) % 10**6:06d}"
        refused = [
            approve(""),
            approve(wrong),
            approve(hotp(secret, step_at(time.time()) - 10)),  # five minutes old
        ]
        spent = authenticator_code(env, APPROVER)
        assert check_code(APPROVER, spent, approvers_path(env)) is None  # used elsewhere
        refused.append(approve(spent))
        assert refused == [2, 2, 2, 2]
        assert "PAUSED" in clearance(env, "status", run_id).stdout.upper()
        assert not (root / "out" / "totp-gate").exists()

        approved = clearance(env, "approve", run_id, "--dpo", APPROVER)  # the current code
        assert approved.returncode == 0, approved.stdout + approved.stderr
        stack_files = [p for p in (tmp_path / "home").rglob("*") if p.is_file()]
        holding_secret = [  # the Prefect database, logs, stack state: all but the file itself
            p
            for p in stack_files
            if p.name != "approvers.json" and secret.encode() in p.read_bytes()
        ]

    assert (root / "out" / "totp-gate" / "MANIFEST.sha256").is_file()
    events = audit.read(root / "ws" / "totp-gate" / "audit" / "audit.jsonl")
    reasons = [e["reason"] for e in events if e["event"] == "approval_refused"]
    assert reasons == ["code_missing", "code_wrong", "code_expired", "code_reused"]
    assert [e["event"] for e in events].count("approved") == 1
    assert [e["identity"] for e in events if e["event"] == "answer_verified"] == ["totp"]
    assert holding_secret == []
