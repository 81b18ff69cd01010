"""Times of day under the default date shift: one keyed per-patient offset that is not a whole
number of days moves dates and times together; intervals within a patient are kept exactly
(across midnight too); ``keep_time_of_day: true`` keeps the old whole-day behaviour."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pydicom
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence

from tasks.config.phi import read_record
from tasks.headers.dates import DUMMY, Offset, shift_dt, shift_pair, shift_tm
from tasks.headers.header_stage import anonymise_file
from tests.headers.test_headers_support import make_ctx, synthetic_ct, write

PAIRS = [
    ("StudyDate", "StudyTime"),
    ("SeriesDate", "SeriesTime"),
    ("AcquisitionDate", "AcquisitionTime"),
    ("ContentDate", "ContentTime"),
]
TIMES = {  # an acquisition after midnight, the study started the evening before
    "StudyDate": "20210312",
    "StudyTime": "235010",
    "SeriesDate": "20210312",
    "SeriesTime": "235500.250",
    "AcquisitionDate": "20210313",
    "AcquisitionTime": "000212",
    "ContentDate": "20210313",
    "ContentTime": "000530",
}


def _moment(day: str, time: str) -> datetime:
    whole, _, fraction = time.partition(".")
    moment = datetime.strptime(day + whole.ljust(6, "0"), "%Y%m%d%H%M%S")
    return moment + timedelta(microseconds=int(fraction.ljust(6, "0")) if fraction else 0)


def _dt(text: str) -> datetime:
    return _moment(text[:8], text[8:])


def _file(tmp_path: Path, name: str, patient: str = "PID778899", sop: str = "1") -> Path:
    ds = synthetic_ct(id=patient, sop=f"1.2.826.0.1.99.3.{sop}")
    for keyword, value in TIMES.items():
        setattr(ds, keyword, value)
    ds.AcquisitionDateTime = "20210313000212.000000+0100"
    ds.ContrastBolusStartTime = "235930"  # a time the table does not list, alone
    item = Dataset()  # a pair inside a sequence
    item.PerformedProcedureStepStartDate = "20210312"
    item.PerformedProcedureStepStartTime = "235010"
    ds.RequestAttributesSequence = Sequence([item])
    return write(ds, tmp_path / name)


def _run(tmp_path: Path, src: Path, profile: str | dict = "default") -> tuple[Dataset, object]:
    ctx = make_ctx(tmp_path / "run", profile)
    dst = tmp_path / "out" / src.name
    outcome = anonymise_file(src, dst, "item", ctx)
    assert outcome.ok, outcome.reason
    return pydicom.dcmread(dst), read_record(ctx.workspace, "item", ctx.key)


def test_times_move_with_dates_and_intervals_are_kept(tmp_path: Path) -> None:
    src = _file(tmp_path, "a.dcm")
    out, record = _run(tmp_path, src)
    before = {d: _moment(TIMES[d], TIMES[t]) for d, t in PAIRS}
    after = {d: _moment(out[d].value, out[t].value) for d, t in PAIRS}
    offsets = {after[d] - before[d] for d in before}
    assert len(offsets) == 1  # one offset for every pair, midnight crossed or not
    offset = offsets.pop()
    assert offset % timedelta(days=1) != timedelta(0)  # not a whole number of days
    assert timedelta(days=-730) <= offset < timedelta(0)
    for _, time in PAIRS:  # no time of day kept to the second
        assert out[time].value != TIMES[time]
    assert out.SeriesTime.endswith(".250")  # precision as written
    # the DT value is the same instant as its DA+TM pair, with its UTC offset kept
    assert out.AcquisitionDateTime.endswith("+0100")
    assert _dt(out.AcquisitionDateTime[:-5]) == after["AcquisitionDate"]
    item = out.RequestAttributesSequence[0]
    inner = _moment(item.PerformedProcedureStepStartDate, item.PerformedProcedureStepStartTime)
    assert inner == after["StudyDate"]
    # a time alone moves by the part of a day, modulo 24 hours
    alone = _moment("20000101", out.ContrastBolusStartTime)
    expected = _moment("20000101", "235930") + timedelta(seconds=offset.seconds)
    assert alone == expected - timedelta(days=(expected.date() - alone.date()).days)
    # the reports stage shifts whole days: the days part of the same offset
    assert record.date_shift_days == offset.days


def test_same_patient_same_offset_other_patient_other(tmp_path: Path) -> None:
    first, _ = _run(tmp_path / "1", _file(tmp_path, "a.dcm", sop="1"))
    second, _ = _run(tmp_path / "2", _file(tmp_path, "b.dcm", sop="2"))
    third, _ = _run(tmp_path / "3", _file(tmp_path, "c.dcm", patient="PID000111", sop="3"))
    assert (first.StudyDate, first.StudyTime) == (second.StudyDate, second.StudyTime)
    assert (first.StudyDate, first.StudyTime) != (third.StudyDate, third.StudyTime)


def test_keep_time_of_day_is_an_explicit_choice(tmp_path: Path) -> None:
    profile = {"extends": "default", "headers": {"dates": {"keep_time_of_day": True}}}
    out, record = _run(tmp_path, _file(tmp_path, "a.dcm"), profile)
    for date, time in PAIRS:
        assert out[time].value == TIMES[time]
        shifted = datetime.strptime(out[date].value, "%Y%m%d")
        assert shifted - datetime.strptime(TIMES[date], "%Y%m%d") == timedelta(
            days=record.date_shift_days
        )
    assert out.AcquisitionDateTime[8:] == "000212.000000+0100"


def test_times_removed_with_dates(tmp_path: Path) -> None:
    profile = {"extends": "default", "headers": {"dates": {"mode": "remove"}}}
    out, _ = _run(tmp_path, _file(tmp_path, "a.dcm"), profile)
    for keyword in [*TIMES, "ContrastBolusStartTime"]:
        assert out.get(keyword) in (None, "", DUMMY["DA"], DUMMY["TM"])  # removed, empty or dummy


def test_shift_functions() -> None:
    offset = Offset(-3, 5 * 3600 + 7)
    assert shift_pair("20210312", "221112", offset) == ("20210310", "031119")
    assert shift_pair("20210312", "1011", offset) == ("20210309", "1511")  # HHMM stays HHMM
    assert shift_pair("2021-03-12", "22:11:12", offset) == ("20210310", "031119")
    assert shift_tm("230000\\0100", offset.seconds) == "040007\\0600"
    assert shift_tm("not a time", offset.seconds) == ""
    assert shift_dt("20210312221112.5+0100", offset) == "20210310031119.5+0100"
    assert shift_dt("20210312", offset) == "20210309"  # a date alone: whole days
    assert shift_dt("2021031222", offset) == "2021031003"
