"""The header stage (a FileStage): one DICOM input -> its de-identified copy + PHI sidecar."""

from __future__ import annotations

from pathlib import Path
from typing import Final

from pydicom.dataelem import RawDataElement, convert_raw_data_element
from pydicom.dataset import Dataset, FileMetaDataset

from tasks.config.phi import PhiRecord, write_record
from tasks.dicom.pydicom_internals import character_set
from tasks.dicom.source import read_source
from tasks.headers.generalise import generalised_values
from tasks.headers.header_settings import HeaderProfile
from tasks.headers.marking import mark
from tasks.headers.pseudonyms import (
    accession_pseudonym,
    date_shift_days,
    patient_basis,
    patient_pseudonym,
    time_shift_seconds,
)
from tasks.headers.sop_classes import accepted, holds_document
from tasks.headers.study_link import complete_uids, text_of
from tasks.headers.table import compile_plan
from tasks.headers.unlisted_uids import remap_unlisted_uids
from tasks.headers.walker import FAST_CODECS, FileState, Walker
from tasks.runtime.stage_contract import Outcome, StageContext

STAGE: Final = "headers"  # Final: the literal picks the typed profile section


def anonymise_file(src: Path, dst: Path, item_id: str, ctx: StageContext) -> Outcome:
    """De-identify ``src`` into ``dst`` under the profile's ``headers`` section."""
    section: HeaderProfile = ctx.profile.section(STAGE)
    plan = compile_plan(section)
    ds = read_source(src)
    sop_class_uid = text_of(ds, "SOPClassUID")
    if not accepted(sop_class_uid):
        return Outcome(False, f"{STAGE}.unsupported_sop_class")
    generated = complete_uids(ds, ctx.key) if text_of(ds, "SOPInstanceUID") else None
    if generated is None:  # no instance UID, or nothing ties the instance to a study
        return Outcome(False, f"{STAGE}.missing_uid")

    original = {
        k: text_of(ds, k)
        for k in (
            "PatientID",
            "IssuerOfPatientID",
            "PatientName",
            "PatientBirthDate",
            "StudyInstanceUID",
            "AccessionNumber",
            "PatientAge",
            "StudyDate",
            "BodyPartExamined",
            "InstitutionName",
        )
    }
    key, pseudo = ctx.key, section.pseudonyms
    basis = patient_basis(
        original["PatientID"],
        original["PatientName"],
        original["PatientBirthDate"],
        original["StudyInstanceUID"],
    )
    pseudo_patient_id = patient_pseudonym(key, basis, pseudo.patient_prefix, pseudo.length)
    dates = section.dates
    shift = (
        date_shift_days(key, basis, dates.shift_min_days, dates.shift_max_days)
        if dates.mode == "shift"
        else 0
    )
    state = FileState(
        key=key,
        profile=section,
        plan=plan,
        pseudo_patient_id=pseudo_patient_id,
        date_shift_days=shift,
        time_shift_seconds=(
            time_shift_seconds(key, basis) if shift and not dates.keep_time_of_day else 0
        ),
        sop_class_uid=sop_class_uid,
        language=getattr(ctx.request, "language", None),
        generalised=generalised_values(
            section,
            original["PatientAge"],
            original["PatientBirthDate"],
            original["StudyDate"],
            original["BodyPartExamined"],
            original["InstitutionName"],
        ),
    )
    Walker(state).run(ds)
    if holds_document(ds):  # a PDF or CDA can hold anything: cannot be proven clean
        return Outcome(False, f"{STAGE}.encapsulated_document", state.counts)
    if "retain_uids" not in plan.options_used:
        remapped = remap_unlisted_uids(
            ds, key, section.uid_root, state.plan.actions_for(sop_class_uid)
        )
        if remapped:
            state.counts["unlisted_uids_remapped"] = remapped
    if section.pseudonyms.enabled:  # Type 2 in the Patient module: present, pseudonymous
        for keyword in ("PatientID", "PatientName"):
            if keyword not in ds:
                setattr(ds, keyword, pseudo_patient_id)
    mark(ds, section, plan, ctx.profile.name)
    _reset_file_meta(ds)
    if not _decodes(ds):
        return Outcome(False, "headers.output_undecodable", state.counts)
    _write(ds, Path(dst))

    accession = original["AccessionNumber"]
    record = PhiRecord(
        patient_id=original["PatientID"],
        issuer=original["IssuerOfPatientID"],
        pseudo_patient_id=pseudo_patient_id,
        accession=accession,
        pseudo_accession=(
            accession_pseudonym(key, accession, pseudo.accession_prefix, pseudo.length)
            if accession and pseudo.enabled
            else ""
        ),
        study_uid=original["StudyInstanceUID"],
        new_study_uid=str(ds.StudyInstanceUID),
        date_shift_days=shift,
        birth_date=original["PatientBirthDate"],
        study_date=original["StudyDate"],
        identifiers=state.identifiers.as_record(),
    )
    write_record(ctx.workspace, item_id, record, key, durable=False)  # dst is not fsynced either
    ctx.workspace.write_flags(item_id, [f"{STAGE}.{flag}" for flag in generated])
    for flag in generated:
        state.count(flag)
    release_name = (
        f"dicom/{pseudo_patient_id}/{ds.StudyInstanceUID}/{ds.SeriesInstanceUID}/"
        f"{ds.SOPInstanceUID}.dcm"
    )
    return Outcome(True, counts=state.counts, release_name=release_name)


PIXEL_DATA = 0x7FE00010


# Kept raw elements whose conversion cannot fail are not converted (conversion costs
# ~30 us a value, most of this check): text whose bytes decode strictly in a single-byte
# Latin or UTF-8 set (pydicom only decodes it; invalid DS/IS/AS values only warn), binary
# numbers whose length is a multiple of their size (the one thing their conversion
# checks), and byte strings (kept as bytes).
DECODED_TEXT_VRS = frozenset({"AE", "CS", "LO", "LT", "SH", "ST", "UC", "UT", "UR", "UI"})
DECODED_TEXT_VRS |= {"DA", "DT", "TM", "DS", "IS", "AS"}
NUMBER_SIZES = {"US": 2, "SS": 2, "UL": 4, "SL": 4, "FL": 4, "AT": 4, "FD": 8, "SV": 8, "UV": 8}
BYTES_VRS = frozenset({"OB", "OD", "OF", "OL", "OV", "OW", "UN"})


def _decodes(ds: Dataset) -> bool:
    """Every kept element decodes: one with a corrupted VR or value would otherwise reach
    the release as an unreadable file. The walker leaves kept elements raw (speed); they
    are converted here into throw-away copies. Pixel data are the pixel stage's job."""
    try:
        charset = character_set(ds)
        codec = FAST_CODECS.get(str(charset))
        for tag, element in ds.items():
            if int(tag) == PIXEL_DATA:
                continue
            if not isinstance(element, RawDataElement):
                pass  # decoded already (read or written by the walker)
            elif element.VR != "SQ" and element.value:
                if _cannot_fail(element, codec):
                    continue
                element = convert_raw_data_element(element, encoding=charset, ds=ds)
            else:
                element = ds[tag]
            if element.VR == "SQ" and not all(_decodes(item) for item in element.value):
                return False
    except Exception:
        return False
    return True


def _cannot_fail(element: RawDataElement, codec: str | None) -> bool:
    """Whether converting this raw element can only succeed (see ``DECODED_TEXT_VRS``)."""
    vr, value = element.VR, element.value
    if not isinstance(value, bytes):
        return False
    if vr in BYTES_VRS:
        return True
    if vr in NUMBER_SIZES:
        return len(value) % NUMBER_SIZES[vr] == 0
    if vr in DECODED_TEXT_VRS and codec is not None:
        try:
            value.decode(codec)
        except UnicodeDecodeError:
            return False
        return True
    return False


def _reset_file_meta(ds: Dataset) -> None:
    """A fresh file meta group: no source/sending AE titles or private information; the
    media storage UIDs follow the (new) SOP Class/Instance UIDs."""
    old = ds.file_meta
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = ds.SOPClassUID
    meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    meta.TransferSyntaxUID = old.TransferSyntaxUID
    ds.file_meta = meta
    ds.preamble = None


def _write(ds: Dataset, dst: Path) -> None:
    """Written in place: on any failure the runner deletes ``dst`` and quarantines the input,
    and a batch is only done once its results file is written."""
    dst.parent.mkdir(parents=True, exist_ok=True)
    syntax = ds.file_meta.TransferSyntaxUID
    if syntax.is_transfer_syntax:
        implicit = syntax.is_implicit_VR
        if ds.original_encoding != (implicit, syntax.is_little_endian) or any(
            isinstance(e, RawDataElement) and e.is_implicit_VR != implicit for e in ds.values()
        ):
            for _ in ds.iterall():  # encoded unlike its transfer syntax says: decode it all
                pass
    ds.save_as(dst, enforce_file_format=True)
