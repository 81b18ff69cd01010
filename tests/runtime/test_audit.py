import json
from pathlib import Path

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
