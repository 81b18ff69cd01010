"""`clearance optout | erase | access | purge | published`: data subjects' rights, for the DPO.

Each command works on a secure zone (a request's `workspace:` folder), given directly with
--workspace or through a request file (--request, which also names the profile whose
pseudonym settings apply). The key comes from CLEARANCE_PSEUDONYM_KEY (or the profile's
Prefect Secret block), as for releases. Output holds release ids and counts only.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the CLI imports what a command needs when it runs
    from tasks.config.profile import ReleaseProfile


def add_parsers(sub: argparse._SubParsersAction) -> None:
    def target(parser: argparse.ArgumentParser) -> None:
        group = parser.add_mutually_exclusive_group(required=True)
        group.add_argument("--workspace", help="the secure zone (a request's workspace: folder)")
        group.add_argument("--request", help="a release request file (workspace + profile)")
        parser.add_argument("--profile", default="default", help="with --workspace")

    def patient(parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--patient-id", required=True, type=_identifier)
        parser.add_argument("--issuer", default="", type=str.strip)

    optout = sub.add_parser("optout", help="opt-out registry (patients who objected)")
    optout_sub = optout.add_subparsers(dest="optout_command", required=True)
    add = optout_sub.add_parser("add", help="record an objection")
    patient(add)
    target(add)
    remove = optout_sub.add_parser("remove", help="withdraw an objection (audited)")
    patient(remove)
    target(remove)
    listing = optout_sub.add_parser("list", help="list objections")
    target(listing)
    for name, text in (
        ("erase", "erase a patient from every release and staging copy (and opt them out)"),
        ("access", "which releases included a patient (subject access)"),
    ):
        parser = sub.add_parser(name, help=text)
        patient(parser)
        target(parser)
    purge = sub.add_parser("purge", help="delete releases/workspaces past their retention")
    target(purge)
    purge.add_argument("--apply", action="store_true", help="delete (default: dry run)")
    purge.add_argument("--today", type=date.fromisoformat, default=None)
    purge.add_argument(
        "--unreleased-days",
        type=int,
        default=None,
        help="a workspace that never released goes this many days after its last activity "
        "(default 90)",
    )
    published = sub.add_parser("published", help="record a publication that used a release")
    published.add_argument("request_id")
    published.add_argument("--on", type=date.fromisoformat, default=None)
    target(published)


def _identifier(value: str) -> str:
    if not value.strip():
        raise argparse.ArgumentTypeError("must not be blank")
    return value.strip()


NOT_FOUND = (
    "no such person in any release or staging copy of this secure zone "
    "(check --patient-id and --issuer)"
)


ALREADY_ERASED = (
    "nothing of this person is left in any release, staging copy or workspace "
    "(their objection is recorded)"
)


def _resolve(args: argparse.Namespace) -> tuple[Path, ReleaseProfile, Callable[[], bytes]]:
    from flows.context import resolve_key
    from tasks.config.profile import load_profile
    from tasks.config.request import load_request, resolve_profile_path

    if args.request:
        request = load_request(args.request)
        base, profile_path = request.workspace, request.profile
    else:
        base = Path(args.workspace).resolve()
        if not base.is_dir():
            raise SystemExit(f"--workspace {args.workspace}: no such folder")
        profile_path = resolve_profile_path(Path.cwd(), Path(args.profile))
    profile = load_profile(profile_path)
    return base, profile, (lambda: resolve_key(profile))


def run(args: argparse.Namespace) -> int:
    base, profile, key = _resolve(args)
    if args.command == "optout":
        from tasks.rights.registry import OptOutRegistry

        registry = OptOutRegistry(base)
        if args.optout_command == "add":
            added = registry.add(args.patient_id, args.issuer)
            print("recorded" if added else "already recorded")
        elif args.optout_command == "remove":
            if not registry.remove(args.patient_id, args.issuer):
                print("no such objection recorded (check --patient-id and --issuer)")
                return 1
            print("withdrawn")
        else:
            for entry in registry.entries():
                print(f"{entry.patient_id}\t{entry.issuer or '*'}\t{entry.objected_on or ''}")
        return 0
    if args.command == "erase":
        from tasks.rights.erase import erase_patient
        from tasks.rights.registry import OptOutRegistry

        notice = erase_patient(
            base,
            key(),
            args.patient_id,
            args.issuer,
            profile.section("headers"),
            profile.section("reports").clinical,
        )
        if not notice.changes and not notice.problems:
            if OptOutRegistry(base).contains(args.patient_id, args.issuer):
                print(ALREADY_ERASED)
                return 0
            print(NOT_FOUND)  # a typo must not pass for an erasure, nor enter the registry
            return 1
        OptOutRegistry(base).add(args.patient_id, args.issuer)  # no later release includes them
        print(notice.text())
        _recheck(base, profile, notice.releases_changed)
        return 0 if not notice.problems else 1
    if args.command == "access":
        from tasks.rights.access import access_report

        entries = access_report(
            base,
            key(),
            args.patient_id,
            args.issuer,
            profile.section("headers"),
            profile.section("reports").clinical,
        )
        if not entries:
            print(NOT_FOUND)
            return 1
        print(json.dumps(entries, indent=1, default=str))
        return 0
    if args.command == "purge":
        from tasks.rights.retention import UNRELEASED_WORKSPACE_DAYS, purge

        days = UNRELEASED_WORKSPACE_DAYS if args.unreleased_days is None else args.unreleased_days
        actions = purge(base, args.today or date.today(), args.apply, days)
        for action in actions:
            state = "deleted" if action.applied else (action.skipped or "would delete")
            print(f"{action.target}\t{action.request_id}\texpired {action.expired_on}\t{state}")
        if not actions:
            print("nothing past its retention")
        return 0
    if args.command == "published":
        from tasks.rights.releases import record_publication, releases

        on = args.on or date.today()
        if args.request_id not in {record.request_id for record in releases(base)}:
            print(f"no release '{args.request_id}' is recorded in this secure zone")
            return 1
        if on > date.today():
            print(f"--on {on}: a publication date cannot be in the future")
            return 1
        record_publication(base, args.request_id, on)
        print("publication recorded")
        return 0
    raise ValueError(args.command)


def _recheck(base: Path, profile: ReleaseProfile, request_ids: list[str]) -> None:
    """The release-level checks again on each release the erasure changed (printed, audited:
    expectation names and counts only)."""
    from tasks.rights.recheck import recheck_release
    from tasks.rights.releases import releases
    from tasks.rights.store import audit_rights

    if not request_ids:
        return
    roots = {record.request_id: record.destination for record in releases(base)}
    print("Release-level checks after the erasure:")
    results = [recheck_release(r, roots[r], profile) for r in request_ids if r in roots]
    for result in results:
        print(result.text())
    audit_rights(
        base,
        "rights.recheck",
        failed={r.request_id: list(r.failed) for r in results},
        errors={r.request_id: r.error for r in results if r.error},
    )


COMMANDS = ("optout", "erase", "access", "purge", "published")
