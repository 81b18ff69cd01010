"""Exceptions crossing a boundary keep their class, never their message: a stage that fails
on a value (pydicom quotes the values it chokes on) must leave a quarantine reason, a
reason.json and batch results without that value, and the Prefect-facing wrapper must
re-raise without it (message, traceback text and pickled form)."""

from __future__ import annotations

import pickle
import shutil
import traceback
from pathlib import Path

import pydicom
import pytest
from pydicom import config
from pydicom.data import get_testdata_file
from pydicom.valuerep import DSfloat

from tasks.runtime.stage_contract import Outcome, StageContext, run_file_stage
from tasks.runtime.workspace import Item, ItemResult, Workspace
from tests.conftest import write_request
from tests.failsafe.pipeline import build_context

PLANTED = "WISNIEWSKA^Zofia"
PLANTED_ID = "IPP99887766"


class StrangeError(Exception):
    """A library exception carrying values in its arguments and attributes."""

    def __init__(self, value: str) -> None:
        super().__init__(f"bad element value {value!r}", value.encode())
        self.value = value


def _pydicom_failure(src: Path, dst: Path, item_id: str, ctx: StageContext) -> Outcome:
    DSfloat(f"{PLANTED} {PLANTED_ID}", validation_mode=config.RAISE)  # a real library error
    return Outcome(True)


def _chained_failure(src: Path, dst: Path, item_id: str, ctx: StageContext) -> Outcome:
    try:
        raise KeyError(PLANTED_ID)
    except KeyError as error:
        raise StrangeError(PLANTED) from error


def _writes_then_fails(src: Path, dst: Path, item_id: str, ctx: StageContext) -> Outcome:
    dst.write_bytes(src.read_bytes())  # a partial output must not survive
    raise RuntimeError(f"failed after writing {PLANTED}")


def test_the_library_error_really_quotes_the_value() -> None:
    with pytest.raises(ValueError) as caught:
        _pydicom_failure(Path("a"), Path("b"), "x", None)  # type: ignore[arg-type]
    assert PLANTED_ID in str(caught.value)  # else the next test would prove nothing


def _workspace_with_three_inputs(tmp_path: Path) -> tuple[StageContext, list[str]]:
    ctx = build_context(write_request(tmp_path))
    ws: Workspace = ctx.workspace
    ws.create()
    source = Path(get_testdata_file("CT_small.dcm"))
    ids = ["d000000", "d000001", "d000002"]
    items = []
    for item_id in ids:
        path = tmp_path / "in" / f"{PLANTED} {item_id}.dcm"  # names in paths, as in real exports
        shutil.copy(source, path)
        items.append(Item(item_id, "dicom", str(path)))
    ws.write_index(items)
    ws.write_results("ingest", "dicom-0000", [ItemResult(i.item_id, True, i.source) for i in items])
    return ctx, ids


def test_stage_errors_leave_only_the_class(tmp_path: Path) -> None:
    ctx, ids = _workspace_with_three_inputs(tmp_path)
    ws = ctx.workspace
    stages = {
        "d000000": _pydicom_failure,
        "d000001": _chained_failure,
        "d000002": _writes_then_fails,
    }

    def dispatch(src: Path, dst: Path, item_id: str, ctx: StageContext) -> Outcome:
        return stages[item_id](src, dst, item_id, ctx)

    counts = run_file_stage(ctx, "headers", "dicom-0000", "ingest", dispatch)

    assert counts == {"ok": 0, "quarantined": 3}
    reasons = ws.quarantine_reasons()
    assert {i: reasons[i]["reason"] for i in ids} == {
        "d000000": "headers.error.ValueError",
        "d000001": "headers.error.StrangeError",
        "d000002": "headers.error.RuntimeError",
    }
    assert not list(ws.stage_dir("headers").glob("d*.dcm"))  # the partial output is gone
    texts = [p.read_text() for p in ws.quarantine_dir.glob("*.reason.json")]
    texts += [p.read_text() for p in ws.stage_dir("headers").glob("results/*.json")]
    texts += [repr(counts)]
    for text in texts:
        for value in (PLANTED, PLANTED.split("^")[0], PLANTED_ID):
            assert value not in text
    # quarantined copies are named by item id, not by the input's (identifying) name
    assert all(p.name.startswith("d0000") for p in ws.quarantine_dir.iterdir())


def test_prefect_boundary_drops_message_context_and_arguments() -> None:
    from flows.stages import StageFailed, values_stay_inside

    @values_stay_inside
    def headers_task() -> None:
        try:
            raise KeyError(PLANTED_ID)
        except KeyError as error:
            raise StrangeError(PLANTED) from error

    with pytest.raises(StageFailed) as caught:
        headers_task()
    error = caught.value
    assert "StrangeError" in str(error)
    assert error.__cause__ is None and error.__context__ is None
    rendered = "".join(traceback.format_exception(error))
    # Dask installs tblib's pickling, which keeps the traceback and the __context__ chain
    from tblib import pickling_support

    pickling_support.install(error)
    pickled = pickle.dumps(error)
    surname = PLANTED.split("^")[0]
    for value in (surname, PLANTED_ID):
        assert value not in str(error)
        assert value not in repr(error.args)
        assert value not in rendered  # what a log handler prints
        assert value.encode() not in pickled  # what a result store would persist


def test_our_own_errors_cross_without_what_they_were_raised_from() -> None:
    """A ClearanceError's message is written to be safe, but it is often raised while
    handling a library error that quotes values (``from None`` only hides that one)."""
    from tblib import pickling_support

    from flows.stages import values_stay_inside
    from tasks.config.errors import InvalidRequest

    @values_stay_inside
    def prepare_task() -> None:
        try:
            raise StrangeError(PLANTED)
        except StrangeError:
            raise InvalidRequest("request.yaml: inputs.dicom.studies[0] is invalid") from None

    with pytest.raises(InvalidRequest) as caught:
        prepare_task()
    error = caught.value
    assert error.__context__ is None and error.__cause__ is None
    pickling_support.install(error)
    assert PLANTED.split("^")[0].encode() not in pickle.dumps(error)


def test_library_warnings_and_logs_quote_no_value(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A malformed birth date and an unclosed sequence in a folder named after the patient:
    pydicom warns, quoting the value and the file path. Whatever the stages let through to
    warnings or log records would reach the worker's logs."""
    import warnings

    from tasks.headers.header_stage import anonymise_file
    from tasks.ingest import indexing, recognition
    from tasks.synthetic.images import make_image, save

    ctx = build_context(write_request(tmp_path))
    folder = tmp_path / "in" / f"{PLANTED.replace('^', ' ')}"
    ds, _ = make_image("MR", 64, [], seed=5)
    ds.PatientName = PLANTED
    ds.PatientBirthDate = "1961-04-17"  # not a DA: pydicom quotes it when it validates
    save(ds, folder / "IM0001")
    data = (folder / "IM0001").read_bytes()
    (folder / "IM0002").write_bytes(data + b"\x08\x00\x10\x11SQ\x00\x00\xff\xff\xff\xff")
    ws = ctx.workspace
    ws.create()
    with warnings.catch_warnings(record=True) as caught, caplog.at_level("DEBUG"):
        warnings.simplefilter("always")
        indexing.index_inputs(ws, ctx.request, batch_size=10)
        for batch in ws.batches("dicom"):
            recognition.classify_dicom_batch(ws, batch)
            run_file_stage(ctx, "headers", batch, "ingest", anonymise_file)
    said = [str(w.message) for w in caught] + [r.getMessage() for r in caplog.records]
    # the premise: read directly, pydicom does quote the value
    with warnings.catch_warnings(record=True) as direct:
        warnings.simplefilter("always")
        pydicom.dataelem.DataElement(
            0x00100030, "DA", "1961-04-17", validation_mode=pydicom.config.WARN
        )
    assert any("1961-04-17" in str(w.message) for w in direct), "the test lost its point"
    for message in said:
        for value in (PLANTED.split("^")[0], "1961-04-17"):
            assert value not in message
