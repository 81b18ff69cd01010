"""File stage: anonymise one radiology report (``<AccessionNumber>.txt``).

Fail-closed checks, each a quarantine reason:
  reports.no_matching_study    no DICOM study has this accession number
  reports.no_pseudonym         the study has no pseudonymous accession number
  reports.known_value_remaining  a value of the study's header is still in the output
  reports.title_remaining      FIDAC gate: a title is still followed by a capitalised word
  reports.unreadable           the file cannot be decoded
"""

from __future__ import annotations

from pathlib import Path

from tasks.config.phi import PhiRecord
from tasks.reports.api import analyze
from tasks.reports.known_values import KnownValues
from tasks.reports.language import detect_language
from tasks.reports.replace import Rewrite, rewrite
from tasks.reports.report_settings import ReportProfile
from tasks.reports.studies import known_groups, studies
from tasks.reports.text_io import read_text
from tasks.reports.title_gate import title_remaining
from tasks.rights.opted_out_studies import opted_out_accessions
from tasks.runtime import atomic
from tasks.runtime.stage_contract import Outcome, StageContext


def settings(ctx: StageContext) -> ReportProfile:
    return ctx.profile.section("reports")


def report_language(text: str, ctx: StageContext, profile: ReportProfile) -> str:
    requested = getattr(ctx.request, "language", None)
    if requested in ("fr", "en"):
        return requested
    if profile.language != "auto":
        return profile.language
    return detect_language(text, default=profile.default_language)


def find_study(index: dict[str, PhiRecord], accession: str) -> PhiRecord | None:
    """The study of an accession number written in a file name: exact, else ignoring case
    and surrounding blanks (file systems and exports change both)."""
    record = index.get(accession)
    if record is not None:
        return record
    wanted = accession.strip().casefold()
    matches = [r for key, r in index.items() if key.strip().casefold() == wanted]
    return matches[0] if len(matches) == 1 else None


def clean_text(
    text: str,
    ctx: StageContext,
    profile: ReportProfile,
    record: PhiRecord,
    groups: dict[str, list[str]],
) -> Rewrite:
    """Find identifiers (rules, gazetteers, NER, the study's own values) and replace them."""
    language = report_language(text, ctx, profile)
    spans = analyze(
        text,
        language=language,
        config_path=profile.recognizers_path(),
        groups=groups,
        default_language=profile.default_language,
        statistical_ner=profile.statistical_ner,
    )
    return rewrite(
        text, spans, language, profile, ctx.key, record.date_shift_days, record.study_date
    )


def anonymise_report(src: Path, dst: Path, item_id: str, ctx: StageContext) -> Outcome:
    profile = settings(ctx)
    record = find_study(studies(ctx.workspace, ctx.key), Path(src).stem)
    if record is None:
        if Path(src).stem.strip() in opted_out_accessions(ctx.workspace):
            return Outcome(False, "reports.opted_out")  # recorded, never copied
        return Outcome(False, "reports.no_matching_study")
    if not record.pseudo_accession:
        return Outcome(False, "reports.no_pseudonym")
    try:
        text = read_text(Path(src))
    except (OSError, UnicodeDecodeError):
        return Outcome(False, "reports.unreadable")
    groups = known_groups(record)
    result = clean_text(text, ctx, profile, record, groups)
    counts = dict(result.counts)
    if KnownValues(groups).find(result.text):
        return Outcome(False, "reports.known_value_remaining", counts)
    if profile.title_gate and title_remaining(result.masked):
        return Outcome(False, "reports.title_remaining", counts)
    atomic.write_text(Path(dst), result.text)
    return Outcome(True, counts=counts, release_name=f"reports/{record.pseudo_accession}.txt")
