"""clearance up | down | submit | approve | reject | status | push | demo | audit verify"""

from __future__ import annotations

import argparse
import os
import sys
import threading
from pathlib import Path

from flows.cli import push, rights, stack
from flows.cli.runs import (
    FINAL_STATES,
    read_run,
    resume,
    self_command,
    state_message,
    submit,
)


def cmd_up(args: argparse.Namespace) -> int:
    state = stack.up()
    if stack.stale_serving_code():
        print(stack.STALE_WARNING, file=sys.stderr)
    ui = state["api_url"].removesuffix("/api")
    if block := os.environ.get("CLEARANCE_NOTIFY_BLOCK"):
        from flows.notify import install

        install(block)
        print(f"notifications through block '{block}' installed", file=sys.stderr)
    print(f"Clearance is up. Prefect UI: {ui}  (stop with: {self_command()} down)")
    if not os.environ.get("CLEARANCE_PSEUDONYM_KEY"):
        print(
            "warning: CLEARANCE_PSEUDONYM_KEY is not set in this environment, so the serving "
            "process started now has no key: a release fails at its first step unless its "
            "profile names a Prefect Secret block. Export the key, then "
            f"`{self_command()} down && {self_command()} up`.",
            file=sys.stderr,
        )
    return 0


def cmd_down(args: argparse.Namespace) -> int:
    stopped = stack.down()
    print("stopped: " + (", ".join(stopped) if stopped else "nothing was running"))
    return 0


def submit_blockers(request_path: Path) -> list[str]:
    """Why a request cannot be submitted now (before any run is created)."""
    from tasks.config.request import load_request, release_blockers
    from tasks.runtime.workspace import Workspace
    from tasks.signoff import gate_opening

    request = load_request(request_path)
    problems = release_blockers(request)
    workspace = Workspace(request.workspace, request.request_id)
    if workspace.run_in_progress():
        problems.append("a run of this request is in progress")
    elif (opening := gate_opening.waiting(workspace)) is not None:
        problems.append(
            f"a run of this request waits at the DPO gate (flow run {opening.flow_run_id})"
        )
    return problems


def cmd_submit(args: argparse.Namespace) -> int:
    problems = submit_blockers(Path(args.request))
    if problems:
        print(f"{args.request}: not submitted:", file=sys.stderr)
        for problem in problems:
            print(f"  - {problem}", file=sys.stderr)
        return 2
    api_url = stack.configure_environment()
    if stack.stale_serving_code():
        print(stack.STALE_WARNING, file=sys.stderr)
    run_id, outcome = submit(Path(args.request), args.timeout)
    ui = os.environ.get("PREFECT_UI_URL") or api_url.removesuffix("/").removesuffix("/api")
    if outcome == "PAUSED":
        print(f"Paused at the DPO gate. Review: {ui}/runs/flow-run/{run_id}", file=sys.stderr)
        print(f"Approve: {self_command()} approve {run_id} --dpo 'NAME'", file=sys.stderr)
        print(f"Data Docs: {self_command()} docs {args.request}", file=sys.stderr)
    else:
        print(f"run ended {outcome}: {state_message(run_id)}", file=sys.stderr)
    print(run_id)
    return 0 if outcome == "PAUSED" else 1


REFUSED = (
    "refused: not one of the request's approvers, or the one-time code was missing, wrong, "
    "expired or already used (the reason is in the workspace's audit log); the run stays paused"
)


def _one_time_code(args: argparse.Namespace) -> str:
    """--code, or asked for on a terminal (not echoed); empty when neither."""
    if args.code is not None:
        return args.code
    if sys.stdin.isatty():
        import getpass

        return getpass.getpass("one-time code from your authenticator (empty if none): ")
    return ""


def cmd_approver(args: argparse.Namespace) -> int:
    from tasks.signoff.approvers import approvers_file, enrol

    uri = enrol(args.name)
    print(f"enrolled {' '.join(args.name.split())} in {approvers_file()}")
    print("Add this to the approver's authenticator app (scan it as a QR code or type it in),")
    print("then give it to them over a trusted channel; it is not shown again:")
    print(uri)
    return 0


def cmd_approve(args: argparse.Namespace) -> int:
    stack.configure_environment()
    outcome = resume(
        args.run_id, True, args.dpo, args.comment, args.timeout, code=_one_time_code(args)
    )
    pushed = push.summary_for_run(read_run(args.run_id)) if outcome != "PAUSED" else None
    if outcome == "COMPLETED":
        print("approved: release written" + (f"; {pushed}" if pushed else ""))
        return 0
    if outcome == "PAUSED":
        print(REFUSED)
        return 2
    print(f"run ended {outcome}: {state_message(args.run_id)}")
    if pushed:
        print(f"{pushed}; finish with: clearance push {args.run_id}")
    return 1


def cmd_reject(args: argparse.Namespace) -> int:
    stack.configure_environment()
    outcome = resume(
        args.run_id, False, args.dpo, args.reason, args.timeout, False, _one_time_code(args)
    )
    if outcome == "PAUSED":
        print(REFUSED)
        return 2
    print(f"rejected: nothing released (run {outcome})")
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    """The run's state; exit 0 while it runs, waits or has released, 1 once it failed."""
    stack.configure_environment()
    run = read_run(args.run_id)
    state = run.state
    if state is None:
        print(f"{run.name}: unknown")
        return 1
    if state.is_paused():  # the release flow's only pause is the DPO gate (a suspension)
        print(f"{run.name}: Paused at the DPO gate ({state.name}: no process waits)")
    else:
        print(f"{run.name}: {state.name}")
    if state.message:
        print(state.message)
    pushed = push.summary_for_run(run)  # "released, push incomplete: ..." with counts
    if pushed:
        print(pushed)
    return 1 if state.type.value in FINAL_STATES - {"COMPLETED"} else 0


def cmd_demo(args: argparse.Namespace) -> int:
    from flows.cli.demo import run_demo

    return run_demo(args)


def cmd_notify(args: argparse.Namespace) -> int:
    from flows.notify import install

    stack.configure_environment()
    for name in install(args.block):
        print(f"installed automation {name} (notification block '{args.block}')")
    return 0


def cmd_doctor(args: argparse.Namespace) -> int:
    from flows.cli.doctor import diagnose

    findings = diagnose(args.request)
    for finding in findings:
        print(finding.line())
    return 0 if all(finding.ok for finding in findings) else 1


def cmd_docs(args: argparse.Namespace) -> int:
    from flows.cli.docs_server import data_docs_folder, serve
    from tasks.config.request import load_request
    from tasks.runtime.workspace import Workspace

    request = load_request(Path(args.request))
    folder = data_docs_folder(Workspace(request.workspace, request.request_id))
    server, url = serve(folder, args.port)
    print(f"Data Docs of this release (this machine only; Ctrl-C stops): {url}", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.shutdown()
    return 0


def cmd_audit_verify(args: argparse.Namespace) -> int:
    from tasks.runtime import audit

    anchor = Path(args.anchor) if args.anchor else None
    intact, count, message = audit.verify(Path(args.log), anchor=anchor)
    print(message)
    return 0 if intact else 1


def parser() -> argparse.ArgumentParser:
    main = argparse.ArgumentParser(prog="clearance", description=__doc__)
    sub = main.add_subparsers(dest="command", required=True)
    sub.add_parser("up", help="start the local Prefect server and the release deployment")
    sub.add_parser("down", help="stop them")
    p = sub.add_parser("submit", help="run a release request up to the DPO gate")
    p.add_argument("request")
    p.add_argument("--timeout", type=float, default=3600)
    for name, text in (("approve", "--comment"), ("reject", "--reason")):
        p = sub.add_parser(name, help=f"{name} a paused release as the DPO")
        p.add_argument("run_id")
        p.add_argument("--dpo", required=True, help="your name, as listed in the request")
        p.add_argument(text, dest=text[2:], required=name == "reject", default="")
        p.add_argument(
            "--code", default=None, help="your authenticator's current code (asked if omitted)"
        )
        p.add_argument("--timeout", type=float, default=3600)
    p = sub.add_parser("approver", help="approver identities for the DPO gate")
    approver_sub = p.add_subparsers(dest="approver_command", required=True)
    e = approver_sub.add_parser(
        "enrol", help="give an approver a new authenticator secret (replaces an earlier one)"
    )
    e.add_argument("name", help="as listed in release requests' approvers")
    p = sub.add_parser("status", help="state of a flow run")
    p.add_argument("run_id")
    p = sub.add_parser("demo", help="generate demo data, start the stack, submit it")
    p.add_argument("--patients", type=int, default=12)
    p.add_argument("--dir", default=None, help="where demo data goes (default: CLEARANCE_HOME)")
    p = sub.add_parser(
        "notify", help="notify through a Prefect notification block when a release waits or ends"
    )
    p.add_argument(
        "--block",
        required=True,
        help="the site's notification block, as TYPE-SLUG/NAME (e.g. slack-webhook/dpo)",
    )
    p = sub.add_parser(
        "doctor", help="check this process, the API and the Dask cluster before a release"
    )
    p.add_argument("--request", default=None, help="also check this request's folders")
    p = sub.add_parser("docs", help="serve a release's Data Docs to this machine's browser")
    p.add_argument("request")
    p.add_argument("--port", type=int, default=0, help="loopback port (default: any free one)")
    p = sub.add_parser("audit", help="audit log tools")
    audit_sub = p.add_subparsers(dest="audit_command", required=True)
    v = audit_sub.add_parser("verify", help="check the hash chain of an audit log")
    v.add_argument("log")
    v.add_argument(
        "--anchor",
        help="a copy of an earlier audit.jsonl.head kept where the log's writers cannot write: "
        "the entries it counts must still be there, unchanged",
    )
    push.add_parser(sub)
    rights.add_parsers(sub)
    return main


COMMANDS = {
    "up": cmd_up,
    "down": cmd_down,
    "submit": cmd_submit,
    "approve": cmd_approve,
    "reject": cmd_reject,
    "status": cmd_status,
    "push": push.run,
    "demo": cmd_demo,
    "audit": cmd_audit_verify,
    "doctor": cmd_doctor,
    "approver": cmd_approver,
    "docs": cmd_docs,
    "notify": cmd_notify,
    **dict.fromkeys(rights.COMMANDS, rights.run),
}


def main(argv: list[str] | None = None) -> int:
    from tasks.config.errors import ClearanceError

    args = parser().parse_args(argv)
    os.umask(0o077)  # what the CLI writes (stack state, Prefect files, rights records): owner only
    try:
        return COMMANDS[args.command](args)
    except ClearanceError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
