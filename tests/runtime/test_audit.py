import json
from pathlib import Path

import pytest

from tasks.runtime import audit


def test_chain_detects_edit_and_deletion(tmp_path: Path) -> None:
    log = tmp_path / "audit.jsonl"
    for n in range(5):
        audit.append(log, "event", number=n)
    assert audit.verify(log) == (True, 5, "5 entries, chain intact")

    lines = log.read_text().splitlines()
    edited = json.loads(lines[2])
    edited["number"] = 99
    lines[2] = json.dumps(edited, sort_keys=True)
    log.write_text("\n".join(lines) + "\n")
    intact, _, message = audit.verify(log)
    assert not intact and "line 3 was changed" in message

    original = [json.dumps(json.loads(x), sort_keys=True) for x in lines]
    del original[1]
    log.write_text("\n".join(original) + "\n")
    assert audit.verify(log)[0] is False


def test_appends_keep_chain_valid(tmp_path: Path) -> None:
    log = tmp_path / "a.jsonl"
    first = audit.append(log, "one")
    second = audit.append(log, "two")
    assert first["prev"] == audit.GENESIS
    assert second["prev"] != audit.GENESIS
    assert [e["event"] for e in audit.read(log)] == ["one", "two"]


def _entries(log: Path, count: int) -> list[str]:
    for n in range(count):
        audit.append(log, "event", number=n)
    return log.read_text().splitlines()


def test_an_edit_of_the_last_entry_is_detected(tmp_path: Path) -> None:
    log = tmp_path / "audit.jsonl"
    lines = _entries(log, 4)
    last = json.loads(lines[-1])
    last["event"] = "approved"
    lines[-1] = json.dumps(last, sort_keys=True)
    log.write_text("\n".join(lines) + "\n")
    intact, _, message = audit.verify(log)
    assert not intact and "last entries" in message


def test_a_deletion_of_the_last_entries_is_detected(tmp_path: Path) -> None:
    log = tmp_path / "audit.jsonl"
    lines = _entries(log, 4)
    log.write_text("\n".join(lines[:-2]) + "\n")
    intact, count, _ = audit.verify(log)
    assert not intact and count == 2


def test_a_missing_head_anchor_is_not_called_intact(tmp_path: Path) -> None:
    log = tmp_path / "audit.jsonl"
    _entries(log, 2)
    audit.head_path(log).unlink()
    assert audit.verify(log)[0] is False


def test_verify_accepts_the_workspace_folder(tmp_path: Path) -> None:
    workspace = tmp_path / "ws" / "req-1"
    _entries(workspace / "audit" / "audit.jsonl", 3)
    assert audit.verify(workspace) == (True, 3, "3 entries, chain intact")
    assert audit.verify(workspace / "audit")[0] is True
    assert audit.verify(tmp_path / "nowhere")[0] is False


def test_every_truncation_to_a_prefix_is_detected(tmp_path: Path) -> None:
    log = tmp_path / "audit.jsonl"
    lines = _entries(log, 4)
    text = "".join(line + "\n" for line in lines)
    assert audit.verify(log) == (True, 4, "4 entries, chain intact")
    for kept in range(4):  # whole entries only: 0..3 of the 4
        log.write_text("".join(line + "\n" for line in lines[:kept]))
        intact, count, message = audit.verify(log)
        assert not intact and count == kept, message
    log.write_text(text[: len(text) - 10])  # cut inside the last entry
    assert audit.verify(log)[0] is False
    log.write_text(text)
    assert audit.verify(log)[0] is True  # the untouched log verifies again


def _rewrite_tail_and_head(log: Path, lines: list[str], keep: int, edit_last: bool) -> None:
    """What someone who can write the log's folder can do: change the tail, then rewrite
    the head beside the log to match (the hashes are not keyed)."""
    kept = lines[:keep]
    if edit_last:
        last = json.loads(kept[-1])
        last["event"] = "approved"
        kept[-1] = json.dumps(last, sort_keys=True)
    log.write_text("".join(line + "\n" for line in kept))
    head = audit._line_hash(kept[-1])
    audit.head_path(log).write_text(json.dumps({"entries": len(kept), "head": head}))


@pytest.mark.parametrize(("keep", "edit_last"), [(4, True), (3, False), (2, True)])
def test_a_copy_of_the_head_detects_a_tail_rewritten_with_its_head(
    tmp_path: Path, keep: int, edit_last: bool
) -> None:
    log = tmp_path / "audit.jsonl"
    lines = _entries(log, 4)
    copy = tmp_path / "elsewhere" / "head.json"
    copy.parent.mkdir()
    copy.write_bytes(audit.head_path(log).read_bytes())
    assert audit.verify(log, anchor=copy)[0] is True

    _rewrite_tail_and_head(log, lines, keep, edit_last)

    assert audit.verify(log)[0] is True  # the limit: the head beside the log was rewritten too
    intact, _, message = audit.verify(log, anchor=copy)
    assert not intact and "anchor" in message


def test_a_copy_of_the_head_accepts_entries_appended_after_it(tmp_path: Path) -> None:
    log = tmp_path / "audit.jsonl"
    _entries(log, 3)
    copy = tmp_path / "head-copy.json"
    copy.write_bytes(audit.head_path(log).read_bytes())
    audit.append(log, "later")
    intact, count, message = audit.verify(log, anchor=copy)
    assert intact and count == 4, message
    assert audit.verify(log, anchor=tmp_path / "missing.json")[0] is False
    copy.write_text("[1, 2]")
    assert audit.verify(log, anchor=copy)[0] is False


def test_cli_verify_takes_the_anchor(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    from flows.cli.main import cmd_audit_verify, parser

    log = tmp_path / "audit.jsonl"
    lines = _entries(log, 3)
    copy = tmp_path / "head-copy.json"
    copy.write_bytes(audit.head_path(log).read_bytes())
    args = parser().parse_args(["audit", "verify", str(log), "--anchor", str(copy)])
    assert cmd_audit_verify(args) == 0
    _rewrite_tail_and_head(log, lines, 3, edit_last=True)
    assert cmd_audit_verify(parser().parse_args(["audit", "verify", str(log)])) == 0
    assert cmd_audit_verify(args) == 1
    assert "anchor" in capsys.readouterr().out
