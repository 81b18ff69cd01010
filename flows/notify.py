"""Notifications: tell the DPO when a release waits at the gate, and when a release run ends.

Prefect automations on the release deployment's flow-run events send a message through a
notification block the site configures (e-mail, Slack, Teams, a webhook... any Prefect
notification block), with the run's name, state and a link to it in the UI. The messages
carry no request path and no value: only run names, states and the DPO's recorded message.
`clearance notify --block NAME` installs them on the server PREFECT_API_URL points to
(`clearance up` does it too when CLEARANCE_NOTIFY_BLOCK names a block); installing again
replaces them.
"""

from __future__ import annotations

from dataclasses import dataclass

from flows.release import DEPLOYMENT_NAME, FLOW_NAME

PREFIX = "clearance-notify-"


@dataclass(frozen=True)
class Notice:
    name: str
    events: frozenset[str]
    subject: str
    body: str


LINK = "Open the run: {{ flow_run|ui_url }}"
NOTICES = (
    Notice(
        "gate-waiting",
        frozenset({"prefect.flow-run.Suspended", "prefect.flow-run.Paused"}),
        "Clearance: a release waits for DPO sign-off",
        "Flow run {{ flow_run.name }} is paused at the DPO gate. Review the release card and "
        "the evidence artifacts, then approve or reject. " + LINK,
    ),
    Notice(
        "released",
        frozenset({"prefect.flow-run.Completed"}),
        "Clearance: release published",
        "Flow run {{ flow_run.name }} published its release after the DPO's approval. " + LINK,
    ),
    Notice(
        "ended",
        frozenset({"prefect.flow-run.Failed", "prefect.flow-run.Crashed"}),
        "Clearance: release run ended without a release",
        "Flow run {{ flow_run.name }} ended {{ flow_run.state.name }}: "
        "{{ flow_run.state.message }}. " + LINK,
    ),
)


def install(block_name: str) -> list[str]:
    """Create (or replace) one automation per notice on the release deployment; returns
    the automations' names."""
    from prefect.automations import Automation
    from prefect.blocks.core import Block
    from prefect.client.orchestration import get_client
    from prefect.events.actions import SendNotification
    from prefect.events.schemas.automations import EventTrigger, Posture

    # (prefect's sync/async dispatch: called from sync code, it returns the block)
    block: Block = Block.load(block_name)  # type: ignore[assignment]
    block_id = block._block_document_id
    if block_id is None:  # (a block loaded from the server always has one)
        raise ValueError(f"notification block '{block_name}' has no document id")
    with get_client(sync_client=True) as client:
        deployment = client.read_deployment_by_name(f"{FLOW_NAME}/{DEPLOYMENT_NAME}")
    installed = []
    for notice in NOTICES:
        name = PREFIX + notice.name
        _delete_named(name)
        Automation(
            name=name,
            description="Clearance: " + notice.subject,
            trigger=EventTrigger(
                expect=set(notice.events),
                match_related={
                    "prefect.resource.id": f"prefect.deployment.{deployment.id}",
                    "prefect.resource.role": "deployment",
                },
                posture=Posture.Reactive,
                threshold=1,
            ),
            actions=[
                SendNotification(
                    block_document_id=block_id,
                    subject=notice.subject,
                    body=notice.body,
                )
            ],
        ).create()
        installed.append(name)
    return installed


def _delete_named(name: str) -> None:
    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as client:
        for automation in client.read_automations_by_name(name):
            client.delete_automation(automation.id)
