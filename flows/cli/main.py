"""clearance up | down | submit | approve | reject | status | push | demo | audit verify"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import threading
import time
from pathlib import Path

from flows.cli import push, rights, stack

FINAL_STATES = {"COMPLETED", "FAILED", "CANCELLED", "CRASHED"}


def _client():
    from prefect.client.orchestration import get_client

    return get_client(sync_client=True)


def _read_run(run_id: str):
    from uuid import UUID

    with _client() as client:
        return client.read_flow_run(UUID(run_id))


def _stage_progress(run_id: str) -> str:
    """'headers 3/5 · pixels 1/5': batches done / started, per stage."""
    from flows.progress import stage_summary

    return " · ".join(
        f"{name} {numbers['done']}/{numbers['total']}"
        for name, numbers in stage_summary(run_id).items()
    )


def _wait_for(run_id: str, stop, timeout: float, progress: bool = True):
    deadline = time.monotonic() + timeout
    last = None
    shown = ""
    while True:
        run = _read_run(run_id)
        state = run.state
        if progress and state and state.name != last:
            print(f"  {time.strftime('%H:%M:%S')} {state.name}", file=sys.stderr)
            last = state.name
        if progress and state and state.is_running():
            line = _stage_progress(run_id)
            if line != shown:
                print(f"  {time.strftime('%H:%M:%S')} {line}", file=sys.stderr)
                shown = line
        if state and stop(state):
            return run
        if time.monotonic() > deadline:
            raise SystemExit(f"timed out waiting for flow run {run_id} (state {last})")
        time.sleep(1.0)


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


def submit(request_path: Path, timeout: float) -> tuple[str, str]:
    """Create a run of the deployment; wait until it pauses at the gate or ends."""
    from prefect.deployments import run_deployment

    from flows.release import DEPLOYMENT_NAME, FLOW_NAME
    from tasks.config.request import load_request

    load_request(request_path)  # clear errors before anything runs
    run = run_deployment(
        f"{FLOW_NAME}/{DEPLOYMENT_NAME}",
        parameters={"request_path": str(request_path.resolve())},
        timeout=0,
    )
    run_id = str(run.id)
    print(f"submitted flow run {run_id}", file=sys.stderr)
    run = _wait_for(run_id, lambda s: s.is_paused() or s.type.value in FINAL_STATES, timeout)
    return run_id, run.state.type.value if not run.state.is_paused() else "PAUSED"


def self_command() -> str:
    """The command that runs this CLI as the user can type it: `clearance` when that is on
    PATH, else the entry point beside this Python (a venv's bin folder often is not)."""
    beside = Path(sys.executable).parent / "clearance"
    on_path = shutil.which("clearance")
    if on_path and (not beside.exists() or Path(on_path).resolve() == beside.resolve()):
        return "clearance"
    if not beside.exists():
        return f"{sys.executable} -m flows.cli.main"
    try:
        return str(beside.relative_to(Path.cwd()))
    except ValueError:
        return str(beside)


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
        run = _read_run(run_id)
        print(f"run ended {outcome}: {run.state.message or ''}", file=sys.stderr)
    print(run_id)
    return 0 if outcome == "PAUSED" else 1


def resume(
    run_id: str,
    approved: bool,
    dpo: str,
    comment: str,
    timeout: float,
    progress: bool = True,
    code: str = "",
) -> str:
    from prefect.flow_runs import resume_flow_run

    before = _read_run(run_id).state
    if not before or not before.is_paused():
        raise SystemExit(
            f"flow run {run_id} is not waiting for approval ({before and before.name})"
        )
    decision = "approve" if approved else "reject"
    answer = {"decision": decision, "dpo_name": dpo, "code": code, "comment": comment}
    resume_flow_run(run_id, run_input=answer)
    run = _wait_for(
        run_id,
        lambda s: s.type.value in FINAL_STATES or (s.is_paused() and s.id != before.id),
        timeout,
        progress,
    )
    return "PAUSED" if run.state.is_paused() else run.state.type.value


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
    pushed = push.summary_for_run(_read_run(args.run_id)) if outcome != "PAUSED" else None
    if outcome == "COMPLETED":
        print("approved: release written" + (f"; {pushed}" if pushed else ""))
        return 0
    if outcome == "PAUSED":
        print(REFUSED)
        return 2
    print(f"run ended {outcome}: {_read_run(args.run_id).state.message or ''}")
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
    run = _read_run(args.run_id)
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
