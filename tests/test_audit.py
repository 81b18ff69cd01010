import json
from pathlib import Path

from tasks import audit


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
    assert not intact and "line 4" in message

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
