"""A value written in one file of a study and kept in another file of the same study: the
per-file cross-check cannot know it, the study-level pass over the candidate must."""

from __future__ import annotations

from pathlib import Path

import pydicom
from pydicom.dataset import Dataset

from tasks.headers.crosscheck import fold
from tasks.headers.header_stage import anonymise_file
from tasks.headers.study_crosscheck import crosscheck_studies, foreign_needles, study_key
from tasks.headers.table import compile_plan
from tasks.runtime.stage_contract import StageContext
from tasks.runtime.workspace import Item
from tests.headers.test_headers_support import make_ctx, synthetic_ct, write

PROFILE = {"extends": "default", "headers": {"descriptor_recognisers": False}}
# what the first file's operator and station fields hold, written by the second file's
# technologist into its own descriptors (a habit seen in real exports)
OPERATOR_SURNAME = "Leroy"
STATION = "CTLILLE07"


def _texts(ds: Dataset) -> str:
    out: list[str] = []
    for element in ds.iterall():
        if element.VR in {"LO", "SH", "ST", "LT", "UT", "UC", "PN", "CS", "AE"}:
            out.append(str(element.value))
    return fold(" ".join(out))


def _release(ctx: StageContext, tmp_path: Path, inputs: dict[str, Dataset]) -> dict[str, Path]:
    """Run the header stage on each input into staging and write the manifest."""
    ws = ctx.workspace
    staged: dict[str, Path] = {}
    items = []
    for item_id, ds in inputs.items():
        src = write(ds, tmp_path / "in" / f"{item_id}.dcm")
        dst = ws.staging / "dicom" / f"{item_id}.dcm"
        dst.parent.mkdir(parents=True, exist_ok=True)
        outcome = anonymise_file(src, dst, item_id, ctx)
        assert outcome.ok, outcome.reason
        items.append(Item(item_id, "dicom", str(src)))
        staged[item_id] = dst
    ws.write_index(items)
    ws.write_manifest({i: str(p.relative_to(ws.staging)) for i, p in staged.items()})
    return staged


def _second_file(study_uid: str = "1.2.826.0.1.99.1", **changes: str) -> Dataset:
    ds = synthetic_ct(sop="1.2.826.0.1.99.3.2", study_uid=study_uid, **changes)
    del ds.OperatorsName
    del ds.StationName
    ds.SeriesDescription = f"THORAX {OPERATOR_SURNAME.upper()} {STATION}"
    ds.ConvolutionKernel = f"{STATION}-B"  # a coded attribute: kept, only cross-checked
    return ds


def test_a_value_of_another_file_of_the_study_is_removed_from_the_candidate(
    tmp_path: Path,
) -> None:
    ctx = make_ctx(tmp_path, PROFILE)
    first = synthetic_ct(sop="1.2.826.0.1.99.3.1")
    assert str(first.OperatorsName).startswith(OPERATOR_SURNAME.upper())
    assert first.StationName == STATION
    staged = _release(ctx, tmp_path, {"d000001": first, "d000002": _second_file()})
    first_bytes = staged["d000001"].read_bytes()
    before = _texts(pydicom.dcmread(staged["d000002"]))
    # the per-file cross-check does not know the other file's values: they are still there
    assert fold(OPERATOR_SURNAME) in before and fold(STATION) in before

    plan = compile_plan(ctx.profile.section("headers"))
    counts = crosscheck_studies(ctx.workspace, plan, ctx.key)

    after = _texts(pydicom.dcmread(staged["d000002"]))
    assert fold(OPERATOR_SURNAME) not in after
    assert fold(STATION) not in after
    assert counts["study_files_rewritten"] == 1
    assert counts["study_crosscheck_hits"] >= 2
    assert staged["d000001"].read_bytes() == first_bytes  # nothing foreign to it was kept


def test_values_of_another_study_are_not_searched_for(tmp_path: Path) -> None:
    ctx = make_ctx(tmp_path, PROFILE)
    other_patient = _second_file(
        study_uid="1.2.826.0.1.77.1", id="PID000111", accession="ACC000222"
    )
    staged = _release(
        ctx, tmp_path, {"d000001": synthetic_ct(sop="1.2.826.0.1.99.3.1"), "d000002": other_patient}
    )
    before = staged["d000002"].read_bytes()
    plan = compile_plan(ctx.profile.section("headers"))
    counts = crosscheck_studies(ctx.workspace, plan, ctx.key)
    assert counts["study_files_rewritten"] == 0
    assert staged["d000002"].read_bytes() == before


def test_files_are_grouped_by_study_uid_then_accession_then_patient() -> None:
    from tasks.config.phi import PhiRecord

    by_uid = PhiRecord(study_uid="1.2.3", accession="A1", patient_id="P1")
    by_accession = PhiRecord(accession="A1", patient_id="P1")
    by_patient = PhiRecord(patient_id="P1")
    assert len({study_key(by_uid), study_key(by_accession), study_key(by_patient)}) == 3
    assert study_key(PhiRecord()) == ""  # nothing ties it to a study: it stands alone
    alone = PhiRecord(identifiers={"names": ["LEROY^PAUL"]})
    assert foreign_needles({"a": alone, "b": PhiRecord()}) == {}
