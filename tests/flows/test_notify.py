"""Notifications through a real local Prefect server: a webhook notification block on a
receiver on this machine gets a message when a release pauses at the gate, with a link to
the run, and another when the DPO's rejection ends it; no request path or value in them."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest
import yaml

from tasks.synthetic.demo_inputs import build_demo
from tests.stack_support import api_settings, clearance, free_port, local_stack

pytestmark = pytest.mark.integration
APPROVER = "Mme Durand (DPO)"


class Receiver:
    def __init__(self) -> None:
        self.messages: list[dict] = []
        received = self.messages

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                length = int(self.headers.get("Content-Length", 0))
                received.append(json.loads(self.rfile.read(length) or b"{}"))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.port = free_port()
        self.server = HTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def wait_for(self, words: str, seconds: float) -> dict:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            for message in self.messages:
                if words in message.get("subject", ""):
                    return message
            time.sleep(1)
        raise AssertionError(f"no '{words}' message; received {self.messages}")


def test_the_dpo_is_notified_when_a_release_waits_and_when_it_ends(tmp_path: Path) -> None:
    from prefect.blocks.notifications import CustomWebhookNotificationBlock
    from prefect.settings import temporary_settings

    receiver = Receiver()
    demo = build_demo(tmp_path / "in", patients=1, image_size=128, with_junk=False)
    request = tmp_path / "notify.yaml"
    request.write_text(
        yaml.safe_dump(
            {
                "request_id": "notify-001",
                "purpose": "notification test",
                "requester": "Lab X",
                "approvers": [APPROVER],
                "inputs": {"dicom": "in/dicom", "reports": "in/reports"},
                "profile": "demo",
                "workspace": "ws",
                "destination": "out/notify-001",
            }
        )
    )
    home = tmp_path / "home"
    with local_stack(home) as env:
        with temporary_settings(api_settings(home)):
            CustomWebhookNotificationBlock(
                name="dpo-hook",
                url=f"http://127.0.0.1:{receiver.port}/hook",
                json_data={"subject": "{{subject}}", "body": "{{body}}"},
            ).save("clearance-test-dpo", overwrite=True)
        installed = clearance(env, "notify", "--block", "custom-webhook/clearance-test-dpo")
        assert installed.returncode == 0, installed.stdout + installed.stderr
        submitted = clearance(env, "submit", str(request), check=True)
        run_id = submitted.stdout.strip().splitlines()[-1]
        waiting = receiver.wait_for("waits for DPO sign-off", 120)
        assert run_id in waiting["body"]  # the link to the run
        clearance(env, "reject", run_id, "--dpo", APPROVER, "--reason", "not this cohort")
        ended = receiver.wait_for("ended without a release", 120)
        assert "not this cohort" in ended["body"]
    text = json.dumps(receiver.messages)
    assert str(tmp_path) not in text
    assert not [v for v in demo.planted_values() if v in text]
