"""Retention: dry-run changes nothing; apply deletes only what is past its date, audited."""

from __future__ import annotations

from datetime import date
from functools import partial
from pathlib import Path

import pytest

from tasks.config.request import Retention as RequestRetention
from tasks.rights.releases import record_release, releases
from tasks.rights.retention import UNRELEASED_WORKSPACE_DAYS, Retention, parse_retention, purge
from tasks.rights.store import AUDIT_FILE
from tasks.runtime import audit
from tests.rights.test_rights_support import build_cohort, snapshot


def test_parse_retention() -> None:
    assert parse_retention({"until": "2028-12-31"}) == Retention(until=date(2028, 12, 31))
    assert parse_retention({"until": date(2028, 12, 31)}) == Retention(until=date(2028, 12, 31))
    assert parse_retention({"years_after_last_publication": 2}) == Retention(
        years_after_last_publication=2
    )
    for unknown in (
        None,
        {},
        {"until": "soon"},
        {"years": 2},
        {"until": "2028-01-01", "x": 1},
        {"years_after_last_publication": -1},
        {"years_after_last_publication": True},
    ):
        assert parse_retention(unknown) is None


def test_purge_dry_run_then_apply(tmp_path: Path) -> None:
    cohort = build_cohort(tmp_path)
    # rel-a: until 2027-01-31; rel-b: 2 years after its publication of 2026-03-01
    # rel-c, rel-d: staging only, no release recorded -> never purged
    before = snapshot([tmp_path])

    # workspaces that never released have their own rule (test below): out of the way here
    purge_released = partial(purge, unreleased_days=100_000)
    assert purge_released(cohort.base, date(2027, 1, 31)) == []  # the last day is still kept
    planned = purge_released(cohort.base, date(2030, 1, 1))
    assert {(a.request_id, a.target) for a in planned} == {
        ("rel-a", "release"),
        ("rel-a", "workspace"),
        ("rel-b", "release"),
        ("rel-b", "workspace"),
    }
    assert not any(a.applied for a in planned)
    assert {a.request_id: a.expired_on for a in planned} == {
        "rel-a": date(2027, 1, 31),
        "rel-b": date(2028, 3, 1),
    }
    assert snapshot([tmp_path]) == before  # dry run: nothing changed, not even the audit log

    done = purge_released(cohort.base, date(2027, 6, 1), apply=True)
    assert {(a.request_id, a.target, a.applied) for a in done} == {
        ("rel-a", "release", True),
        ("rel-a", "workspace", True),
    }
    assert not cohort.destination("rel-a").exists() and not (cohort.base / "rel-a").exists()
    after = snapshot([tmp_path])
    for path, data in before.items():
        inside_a = (
            cohort.destination("rel-a") in path.parents or cohort.base / "rel-a" in path.parents
        )
        assert (path not in after) if inside_a else after[path] == data
    entry = audit.read(cohort.base / AUDIT_FILE)[-1]
    assert entry["event"] == "rights.purge"
    assert entry["deleted"] == [["rel-a", "release"], ["rel-a", "workspace"]]
    assert purge_released(cohort.base, date(2027, 6, 1), apply=True) == []  # already gone


def test_unknown_or_unpublished_retention_is_never_purged(tmp_path: Path) -> None:
    base, out = tmp_path / "secure", tmp_path / "out"
    for request_id, retention in (
        ("no-retention", None),
        ("odd", {"until": "whenever"}),
        ("unpublished", {"years_after_last_publication": 0}),
    ):
        destination = out / request_id
        destination.mkdir(parents=True)
        (destination / "MANIFEST.sha256").write_text("")
        (base / request_id / "staging").mkdir(parents=True)
        record_release(base, request_id, "p", destination, 0, date(2000, 1, 1), retention)
    assert len(releases(base)) == 3
    assert purge(base, date(2100, 1, 1), apply=True) == []
    assert all((out / r.request_id).exists() for r in releases(base))


def test_purge_refuses_a_destination_that_is_not_a_release(tmp_path: Path) -> None:
    base, destination = tmp_path / "secure", tmp_path / "not-a-release"
    destination.mkdir()
    (destination / "keep.txt").write_text("x")
    record_release(base, "r1", "p", destination, 1, date(2020, 1, 1), {"until": "2020-12-31"})
    actions = purge(base, date(2021, 1, 1), apply=True)
    assert [(a.target, a.applied, a.skipped) for a in actions] == [
        ("release", False, "purge.not_a_release")
    ]
    assert (destination / "keep.txt").exists()


@pytest.mark.parametrize("stated", [{"until": "2028-12-31"}, {"years_after_last_publication": 2}])
def test_a_request_retention_as_the_flow_stores_it_is_understood(stated: dict) -> None:
    """The flow records ``request.retention`` serialised by its model, null fields included."""
    stored = RequestRetention.model_validate(stated).model_dump(mode="json")
    assert parse_retention(stored) == parse_retention(stated) is not None


def test_a_workspace_that_never_released_expires_after_its_last_activity(tmp_path: Path) -> None:
    base = tmp_path / "secure"
    failed = base / "failed-run"
    audit.append(failed / "audit" / "audit.jsonl", "run_started")
    (failed / "quarantine").mkdir()
    (failed / "quarantine" / "original.dcm").write_bytes(b"clear values")
    (base / "not-a-workspace").mkdir()  # no audit log: never touched
    released = tmp_path / "out" / "rel"
    released.mkdir(parents=True)
    (released / "MANIFEST.sha256").write_text("")
    audit.append(base / "rel" / "audit" / "audit.jsonl", "released")
    record_release(base, "rel", "p", released, 0, date.today(), {"until": "2999-01-01"})

    soon = date.fromordinal(date.today().toordinal() + UNRELEASED_WORKSPACE_DAYS)
    assert purge(base, soon) == []  # the last day is still kept
    later = date.fromordinal(soon.toordinal() + 1)
    planned = purge(base, later)
    assert [(a.request_id, a.target, a.expired_on) for a in planned] == [
        ("failed-run", "workspace", soon)
    ]
    assert purge(base, date.today(), unreleased_days=0) == []  # today is still kept
    done = purge(base, later, apply=True)
    assert [(a.request_id, a.applied) for a in done] == [("failed-run", True)]
    assert not failed.exists()
    assert (base / "not-a-workspace").is_dir() and (base / "rel").is_dir()
    assert audit.read(base / AUDIT_FILE)[-1]["deleted"] == [["failed-run", "workspace"]]
