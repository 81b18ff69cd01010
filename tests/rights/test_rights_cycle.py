"""The MR-004 cycle through the real flow, under a FIDAC-like profile: release, opt-out,
re-release, access, erasure, retention purge. An attacker-style search (every identifying value
of the person in every spelling) finds nothing of the erased person under the secure zone and
the destinations, and the other patients' released files are byte-identical."""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import unicodedata
from pathlib import Path

import pytest
import yaml

from tasks.config.phi import sidecars
from tasks.rights.pseudonym import request_key
from tasks.runtime import audit
from tasks.runtime.workspace import Workspace
from tasks.synthetic.demo_inputs import SITES, DemoPatient, build_demo
from tests.conftest import TEST_KEY
from tests.stack_support import clearance, local_stack, tree_digests

pytestmark = pytest.mark.integration
APPROVER = "Mme Durand (DPO)"
ISSUER = "CHU-IPP"  # the demo data's IssuerOfPatientID
FRENCH_MONTHS = (
    "janvier février mars avril mai juin juillet août septembre octobre novembre décembre"
).split()
# values every demo patient shares (operator, station, devices): not the person's
SHARED = ["BERNARD^Lucie", "CT-LILLE-02", "SN-884213", "SIEMENS", "SOMATOM Force"]


def _folded(data: str) -> str:
    """Lower case without accents: how an attacker normalises before searching."""
    decomposed = unicodedata.normalize("NFKD", data.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _date_spellings(value: str) -> list[str]:
    year, month, day = value[:4], value[4:6], value[6:]
    spelled = [f"{int(day)} {FRENCH_MONTHS[int(month) - 1]} {year}"]
    numeric = [
        value,
        f"{year}-{month}-{day}",
        f"{day}/{month}/{year}",
        f"{day}-{month}-{year}",
        f"{day}.{month}.{year}",
        f"{day}{month}{year}",
    ]
    return numeric + spelled


def _name_spellings(last: str, first: str) -> list[str]:
    combos = []
    for a, b in ((last, first), (first, last)):
        combos += [f"{a}{sep}{b}" for sep in ("^", " ", "_", "-", ", ", ",")]
    return [*combos, last]


def person_needles(person: DemoPatient, others: list[DemoPatient]) -> list[str]:
    """Every identifying value of ``person`` (folded), minus what the others share."""
    values = _name_spellings(person.last, person.first)
    values += [person.patient_id, person.patient_id.replace("IPP", "NIP"), person.accession]
    values += _date_spellings(person.birth_date) + _date_spellings(person.study_date)
    shared = [v for p in others for v in p.spellings()] + [p.physician for p in others]
    shared += [person.physician, *SHARED] + [part for site in SITES for part in site]
    shared_text = _folded(" | ".join(shared))
    return sorted({_folded(v) for v in values if _folded(v) not in shared_text})


def _decoded(data: bytes) -> bytes:
    try:
        return base64.b64decode(b"".join(data.split()), validate=True)
    except (binascii.Error, ValueError):
        return b""


def attacker_search(roots: list[Path], needles: list[str], first_name: str) -> list[str]:
    """Files (or file names) under ``roots`` holding any needle in any case or accent form;
    the given name alone only as written or in capitals (in lower case it is a French word)."""
    hits = []
    exact = [first_name.encode(), first_name.upper().encode()]
    for root in roots:
        for path in sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []:
            raw = path.read_bytes()
            raw += b"\n" + _decoded(raw)
            text = _folded(raw.decode("utf-8", "replace") + " " + str(path.relative_to(root)))
            found = [n for n in needles if n in text] + [n.decode() for n in exact if n in raw]
            hits += [f"{path.relative_to(root.parent)}: {n}" for n in found]
    return hits


def _request(root: Path, request_id: str, profile: Path) -> Path:
    data = {
        "request_id": request_id,
        "purpose": "rights cycle",
        "requester": "Lab X",
        "approvers": [APPROVER],
        "inputs": {"dicom": "in/dicom", "reports": "in/reports", "clinical": "in/clinical.csv"},
        "profile": str(profile),
        "workspace": "ws",
        "destination": f"out/{request_id}",
        "retention": {"until": "2030-12-31"},
    }
    path = root / f"{request_id}.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def _release(env: dict[str, str], request: Path) -> None:
    run_id = clearance(env, "submit", str(request), check=True).stdout.strip().splitlines()[-1]
    approved = clearance(env, "approve", run_id, "--dpo", APPROVER, "--comment", "ok")
    assert approved.returncode == 0, approved.stdout + approved.stderr


def _fidac_like(root: Path) -> Path:
    """The FIDAC profile with thresholds a small synthetic cohort can meet (3 patients)."""
    path = root / "fidac-small.yaml"
    profile = {
        "extends": "fidac",
        "name": "fidac-small",
        "checks": {"k": 1, "k_by_column": {"region": 1}, "m": 1, "dpo_may_override": True},
        "gate": {"identity": "name-only"},  # as the demo: no authenticator enrolled here
    }
    path.write_text(yaml.safe_dump(profile), encoding="utf-8")
    return path


def _digests(folder: Path, release_id: bytes, as_id: bytes) -> dict[str, str]:
    """``tree_digests`` of a release read as if it carried another release id."""
    return {
        str(p.relative_to(folder)): hashlib.sha256(
            p.read_bytes().replace(release_id, as_id)
        ).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def _others(tree: dict[str, str], gone: str, gone_accessions: set[str]) -> dict[str, str]:
    """Released DICOM and reports of everyone but the pseudonym ``gone``."""
    theirs = {f"reports/{accession}.txt" for accession in gone_accessions}
    return {
        name: digest
        for name, digest in tree.items()
        if name.startswith(("dicom/", "reports/"))
        and not name.startswith(f"dicom/{gone}/")
        and name not in theirs
    }


def _pseudonyms(workspace: Path, patient_id: str) -> tuple[str, set[str]]:
    """The person's pseudonymous ID and accessions, read from the (sealed) PHI sidecars."""
    key = request_key(workspace.parent, workspace.name, TEST_KEY.encode())
    ws = Workspace(workspace.parent, workspace.name)
    records = [fields for _, fields in sidecars(ws, key)]
    mine = [r for r in records if r.get("patient_id") == patient_id]
    assert mine, "the release recorded the person"
    return mine[0]["pseudo_patient_id"], {r["pseudo_accession"] for r in mine}


def test_the_mr004_cycle_leaves_nothing_of_the_person(tmp_path_factory) -> None:
    home = tmp_path_factory.mktemp("clearance-home")
    root = tmp_path_factory.mktemp("cycle")
    demo = build_demo(root / "in", patients=3, image_size=160)
    gone, *kept = demo.patients
    needles = person_needles(gone, kept)
    assert len(needles) >= 20 and _folded(gone.patient_id) in needles
    profile = _fidac_like(root)
    first, second = _request(root, "cycle-1", profile), _request(root, "cycle-2", profile)
    ws, out = root / "ws", root / "out"
    with local_stack(home) as env:
        _release(env, first)
        pseudo_id, pseudo_accessions = _pseudonyms(ws / "cycle-1", gone.patient_id)
        released_first = tree_digests(out / "cycle-1")
        assert any(name.startswith(f"dicom/{pseudo_id}/") for name in released_first)

        def rights(*args: str):
            return clearance(env, *args, "--request", str(first))

        person = ("--patient-id", gone.patient_id, "--issuer", ISSUER)
        assert rights("optout", "add", *person).returncode == 0
        _release(env, second)
        released_second = tree_digests(out / "cycle-2")
        assert not any(pseudo_id in name for name in released_second)
        assert attacker_search([out / "cycle-2"], needles, gone.first) == []
        # the others' released files do not change with the opt-out of someone else: the one
        # rule that differs is the release id (ClinicalTrialProtocolID), of the same length
        others_first = _others(released_first, pseudo_id, pseudo_accessions)
        as_first = _digests(out / "cycle-2", b"cycle-2", b"cycle-1")
        assert _others(as_first, pseudo_id, pseudo_accessions) == others_first

        access = rights("access", *person)
        assert access.returncode == 0, access.stdout + access.stderr
        assert "cycle-1" in access.stdout and "cycle-2" not in access.stdout
        assert gone.patient_id not in access.stdout
        entries = json.loads(access.stdout)
        assert [(e["request_id"], e["pseudonym"]) for e in entries] == [("cycle-1", pseudo_id)]
        assert set(entries[0]["accessions"]) == pseudo_accessions

        erased = rights("erase", *person)
        assert erased.returncode == 0, erased.stdout + erased.stderr
        assert gone.patient_id not in erased.stdout + erased.stderr
        # the release-level checks ran again on the release the erasure changed
        assert "Release-level checks after the erasure" in erased.stdout
        assert "release cycle-1: every release-level check still passes" in erased.stdout
        after = tree_digests(out / "cycle-1")
        assert _others(after, pseudo_id, set()) == others_first
        assert not any(pseudo_id in name for name in after)
        assert not any(f"reports/{a}.txt" in after for a in pseudo_accessions)

        hits = attacker_search([ws, out], needles, gone.first)
        # the objection itself is the one record kept: without it the next release of the
        # same source data would include the person again
        assert hits == ["ws/optout-registry.csv: " + _folded(gone.patient_id)], hits
        assert attacker_search([ws, out], [_folded(pseudo_id)], gone.first) == []
        kept_hits = attacker_search([out], [_folded(kept[0].patient_id)], kept[0].first)
        assert kept_hits == []  # the others stay pseudonymous too
        events = [e["event"] for e in audit.read(ws / "rights-audit.jsonl")]
        assert events.count("rights.erasure") == 1 and events.count("rights.recheck") == 1
        assert audit.verify(ws / "rights-audit.jsonl")[0]
        for request_id in ("cycle-1", "cycle-2"):  # one entry in each workspace touched
            log = ws / request_id / "audit" / "audit.jsonl"
            assert [e["event"] for e in audit.read(log)].count("rights_erased") == 1
            assert audit.verify(log)[0]
        again = rights("erase", *person)
        assert again.returncode == 0 and "nothing of this person is left" in again.stdout

        purged = rights("purge", "--today", "2035-01-01", "--apply")
        assert purged.returncode == 0, purged.stdout + purged.stderr
        assert not (out / "cycle-1").exists() and not (out / "cycle-2").exists()
        assert not (ws / "cycle-1").exists() and not (ws / "cycle-2").exists()
        hits = attacker_search([ws, out], needles, gone.first)
        assert hits == ["ws/optout-registry.csv: " + _folded(gone.patient_id)], hits
