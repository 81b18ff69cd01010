"""Real-world regression corpus: public DICOM nobody here wrote, through the default profile.

    .venv/bin/python bench/realworld.py fetch CORPUS [--mirrors DIR] [--per-repo 300]
    .venv/bin/python bench/realworld.py run CORPUS [--profile default] [--pixels]
                                         [--limit N] [--show-values]

``fetch`` fills CORPUS (a folder outside the repository; the files are never committed)
with the DICOM files of the repositories in ``FETCH_LIST`` (``git clone --depth 1`` from
GitHub, or from bare mirrors named ``<owner>+<name>/repo`` under ``--mirrors``; at most
``--per-repo`` files each) and pydicom's bundled test files. Add any other folder of real
files (e.g. a site's test exports) to CORPUS by hand.

``run`` takes every file under CORPUS through ingest's recognition, the header stage, a pixel
decode (``--pixels``: the whole pixel stage, OCR included: slow), the assembly of a staging
area and the checks stage, all in-process (no Prefect), and prints:

- files in, released, quarantined per reason; each quarantined file that pydicom reads
  (``force=True``) with a SOP Class and Instance UID is listed as *valid but quarantined*;
- the checks that failed (blocking or not) with their counts;
- an attacker's count of identifying values of each input header (person names and each
  of their parts, patient and other IDs, station, serial numbers, institution and
  department, physicians and operators) found in the released header of that file: every
  text value at any depth, file meta and private elements included (case-, accent- and
  separator-insensitive; a whole value anywhere inside a released value, a name part as a
  whole word; binary values such as pixel data and waveforms are not text). Duplicates of
  an instance already released are counted apart (the same SOP Instance UID twice).
  Values are printed only with ``--show-values`` (this output is as sensitive as the corpus).
"""

from __future__ import annotations

import argparse
import collections
import re
import shutil
import subprocess
import sys
import tempfile
import traceback
import unicodedata
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import pydicom
from pydicom.dataset import Dataset

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

BENCH_KEY = b"realworld-bench-key-not-secret-0123"
# public repositories of real DICOM (vendor exports shared by their authors, toolkit test
# data); fo-dicom's and pydicom-data's files are kept out (held-out evaluation)
FETCH_LIST = (
    "neurolabusc/dcm_qa",
    "neurolabusc/dcm_qa_agfa",
    "neurolabusc/dcm_qa_canon_61",
    "neurolabusc/dcm_qa_deident",
    "neurolabusc/dcm_qa_enh",
    "neurolabusc/dcm_qa_ge",
    "neurolabusc/dcm_qa_philips",
    "neurolabusc/dcm_qa_toshiba",
    "neurolabusc/dcm_qa_ts",
    "neurolabusc/dcm_qa_nih",
    "neurolabusc/dcm_qa_philips_enh",
    "neurolabusc/dcm_qa_polar",
    "neurolabusc/dcm_qa_sag",
    "neurolabusc/dcm_qa_stc",
    "neurolabusc/dcm_qa_uih",
    "neurolabusc/dcm_qa_xa30",
    "malaterre/GDCM",
    "dcm4che/dcm4che",
)
NOT_DICOM_SUFFIXES = (
    ".nii", ".gz", ".json", ".bval", ".bvec", ".txt", ".md", ".sh", ".py", ".c", ".cxx",
    ".h", ".java", ".xml", ".cmake", ".png", ".jpg", ".html", ".yml", ".yaml", ".bat", ".m",
    ".csv", ".tsv", ".pdf", ".js", ".css", ".in", ".xsl", ".cpp", ".hxx", ".txx", ".svg",
    ".xsd", ".gif", ".bmp", ".zip", ".mat", ".rst",
)  # fmt: skip
MAX_FETCHED_BYTES = 30_000_000
# attributes whose values identify a person, a device or a place (PN values are all taken)
IDENTIFYING = frozenset(
    {
        "PatientID", "OtherPatientIDs", "IssuerOfPatientID", "AccessionNumber", "StudyID",
        "MedicalRecordLocator", "AdmissionID", "ServiceEpisodeID", "RequestedProcedureID",
        "ScheduledProcedureStepID", "PerformedProcedureStepID", "PatientAddress",
        "PatientTelephoneNumbers", "StationName", "PerformedStationName",
        "ScheduledStationName", "DeviceSerialNumber", "DetectorID", "GantryID", "PlateID",
        "CassetteID", "DeviceID", "RadiationMachineName", "InstitutionName",
        "InstitutionAddress", "InstitutionalDepartmentName", "PerformedLocation",
        "ScheduledProcedureStepLocation", "RequestingService", "PhysiciansOfRecord",
        "ReferringPhysicianName", "PerformingPhysicianName", "OperatorsName",
        "NameOfPhysiciansReadingStudy", "RequestingPhysician", "PatientName",
    }
)  # fmt: skip
MIN_NORMALISED = 4  # shorter values match by chance
# placeholder values of test files: not identifying, and common words of any header
GENERIC = frozenset(
    {"anonymous", "anonymized", "anonymised", "unknown", "none", "test", "patient", "dicom",
     "name", "text", "default", "overlay", "removed", "phantom"}
)  # fmt: skip


# --- fetch --------------------------------------------------------------------------------------
def looks_like_dicom(data: bytes) -> bool:
    """A Part 10 preamble, or a first element of group 0002/0008 in either byte order."""
    return data[128:132] == b"DICM" or data[:2] in (b"\x02\x00", b"\x08\x00", b"\x00\x08")


def fetch(dest: Path, mirrors: Path | None, per_repo: int) -> None:
    dest.mkdir(parents=True, exist_ok=True)
    for repo in FETCH_LIST:
        target = dest / repo.replace("/", "+")
        mirror = mirrors / repo.replace("/", "+") / "repo" if mirrors else None
        with tempfile.TemporaryDirectory() as tmp:
            if mirror is not None and mirror.is_dir():
                git_dir = mirror
            else:
                git_dir = Path(tmp) / "repo"
                url = f"https://github.com/{repo}.git"
                done = subprocess.run(
                    ["git", "clone", "--bare", "--depth", "1", "--filter=blob:limit=30m", url,
                     str(git_dir)],
                    capture_output=True,
                )  # fmt: skip
                if done.returncode:
                    print(f"{repo}: not fetched", file=sys.stderr)
                    continue
            count = _extract(git_dir, target, per_repo)
        print(f"{repo}: {count} files")
    data = Path(pydicom.data.__file__).parent  # bundled with pydicom (never downloaded)
    for folder in ("test_files", "palettes"):
        shutil.copytree(data / folder, dest / "pydicom" / folder, dirs_exist_ok=True)
        print(f"pydicom {folder}: {sum(1 for p in (data / folder).rglob('*') if p.is_file())}")


def _extract(git_dir: Path, target: Path, limit: int) -> int:
    git = ["git", f"--git-dir={git_dir}"]
    listing = subprocess.run([*git, "ls-tree", "-r", "-l", "HEAD"], capture_output=True, text=True)
    count = 0
    for row in _spread(listing.stdout.splitlines()):
        meta, path = row.split("\t", 1)
        _, kind, sha, size = meta.split()
        if kind != "blob" or not size.isdigit() or not 256 <= int(size) <= MAX_FETCHED_BYTES:
            continue
        if path.lower().endswith(NOT_DICOM_SUFFIXES):
            continue
        blob = subprocess.run([*git, "cat-file", "blob", sha], capture_output=True)
        if blob.returncode or not looks_like_dicom(blob.stdout):
            continue  # absent from a partial mirror, or not DICOM
        out = target / path
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(blob.stdout)
        count += 1
        if count >= limit:
            break
    return count


def _spread(rows: list[str]) -> list[str]:
    """Tree rows ordered so that every folder (often one series each) gives its first file
    before any folder gives its second: a per-repository limit then samples every series."""
    rank: collections.Counter = collections.Counter()
    keyed = []
    for row in rows:
        folder = row.split("\t", 1)[-1].rpartition("/")[0]
        keyed.append((rank[folder], row))
        rank[folder] += 1
    return [row for _, row in sorted(keyed, key=lambda pair: pair[0])]


# --- identifying values -------------------------------------------------------------------------
def fold(text: str) -> str:
    """Case- and accent-insensitive form."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def normalise(text: str) -> str:
    """Case-, accent- and separator-insensitive form: letters and digits only."""
    return "".join(c for c in fold(text) if c.isalnum())


def identifying_values(ds: Dataset) -> dict[str, set[tuple[str, bool]]]:
    """keyword -> (normalised identifying value, is a single word); person names give the
    whole name and each part."""
    found: dict[str, set[tuple[str, bool]]] = collections.defaultdict(set)
    for elem in _elements(ds):
        keyword = elem.keyword or ""
        if elem.VR != "PN" and keyword not in IDENTIFYING:
            continue
        for value in (
            elem.value
            if isinstance(elem.value, list | tuple | pydicom.multival.MultiValue)
            else [elem.value]
        ):
            text = str(value or "")
            pieces = {(text, False)}
            if elem.VR == "PN":
                pieces |= {(part, True) for part in re.split(r"[\^=\s,.\-]+", text)}
            for piece, single in pieces:
                norm = normalise(piece)
                if len(norm) >= MIN_NORMALISED and norm not in GENERIC and len(set(norm)) > 1:
                    found[keyword or "private"].add((norm, single))
    return found


def _elements(ds: Dataset):  # noqa: ANN202 - a generator of DataElements
    for elem in ds:
        if elem.tag.is_private:
            continue
        if elem.VR == "SQ":
            for item in elem.value or []:
                yield from _elements(item)
        else:
            yield elem


TEXT_VRS = frozenset(
    "AE AS CS DA DS DT IS LO LT PN SH ST TM UC UI UR UT UN".split()
)  # UN: may be text of an unknown attribute; binary values (pixels, waveforms) left out


@dataclass
class ReleasedText:
    joined: str  # every text value, normalised and concatenated (whole values are sought here)
    words: set[str]  # each value's words, normalised (name parts must be one of them)
    separated: str  # every value folded, separators kept as "|" (numbers are sought here)

    def holds(self, value: str, single: bool) -> bool:
        if single:
            return value in self.words
        if value.isdigit():  # a number: not inside a longer one, nor across a decimal point
            return re.search(rf"(?<![0-9]){value}(?![0-9])", self.separated) is not None
        return value in self.joined


def released_text(path: Path) -> ReleasedText:
    """What an attacker reads in the released header: every text value at any depth, file
    meta and private elements included."""
    ds = pydicom.dcmread(path, defer_size=1 << 20)
    values: list[str] = []
    elements = list(ds.file_meta) + list(ds.iterall())
    for elem in elements:
        if elem.VR not in TEXT_VRS or elem.value is None:
            continue
        value = elem.value
        if isinstance(value, bytes):
            value = value.decode("latin-1")
        multi = isinstance(value, list | tuple | pydicom.multival.MultiValue)
        values.extend(str(item) for item in (value if multi else [value]))
    words = {normalise(w) for v in values for w in re.split(r"[^\w]+|_", v) if w}
    separated = "|".join(re.sub(r"[^0-9a-z]+", "|", fold(v)) for v in values)
    return ReleasedText("|".join(normalise(v) for v in values), words, separated)


# --- run ----------------------------------------------------------------------------------------
@dataclass
class Tally:
    files: int = 0
    released: int = 0
    quarantined: collections.Counter = field(default_factory=collections.Counter)
    valid_quarantined: list[tuple[str, str]] = field(default_factory=list)
    duplicates: int = 0  # the same instance as a released file (same SOP Instance UID)
    leaks: collections.Counter = field(default_factory=collections.Counter)
    leak_lines: list[str] = field(default_factory=list)
    # released item -> (its input, its staged file, its input's Study Instance UID, the
    # identifying values of its input header)
    staged: dict[str, tuple[Path, Path, str, set[tuple[str, bool]]]] = field(default_factory=dict)
    study_leaks: dict[str, int] = field(default_factory=dict)  # "before"/"after" the pass
    study_pass: dict[str, int] = field(default_factory=dict)


def is_valid_dicom(path: Path) -> bool:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ds = pydicom.dcmread(path, force=True, stop_before_pixels=True)
        return bool(ds.get("SOPClassUID")) and bool(ds.get("SOPInstanceUID"))
    except Exception:
        return False


def run(corpus: Path, profile_name: str, pixels: bool, limit: int | None, show: bool) -> int:
    from tasks.checks.run import run_checks
    from tasks.config.profile import load_profile
    from tasks.headers.header_stage import anonymise_file
    from tasks.ingest.recognition import recognise_dicom
    from tasks.pixels.decode import DecodeError, decode, has_pixels
    from tasks.runtime.stage_contract import StageContext
    from tasks.runtime.workspace import Workspace

    files = sorted(p for p in corpus.rglob("*") if p.is_file() and not p.is_symlink())
    files = [p for p in files if p.name not in ("LICENSE", "README.md")][:limit]
    profile = load_profile(ROOT / "profiles" / f"{profile_name}.yaml")
    tally = Tally(files=len(files))
    with tempfile.TemporaryDirectory() as tmp:
        ws = Workspace(Path(tmp), "realworld")
        ws.create()
        ctx = StageContext(ws, profile, BENCH_KEY, None)
        work = Path(tmp) / "out"
        work.mkdir()
        names: set[str] = set()
        for index, src in enumerate(files):
            item_id = f"d{index:06d}"
            dst = work / f"{item_id}.dcm"
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                reason = recognise_dicom(src)
                outcome = None
                if reason is None:
                    try:
                        outcome = anonymise_file(src, dst, item_id, ctx)
                        reason = None if outcome.ok else outcome.reason
                    except Exception as error:
                        reason = f"headers.exception.{type(error).__name__}"
                        if show:
                            traceback.print_exc()
                if reason is None:
                    reason = _pixel_reason(
                        dst, item_id, ctx, pixels, decode, DecodeError, has_pixels
                    )
            name = outcome.release_name if outcome is not None else None
            if reason is None and name in names:
                reason = "assemble.duplicate_instance"
            if reason is not None:
                tally.quarantined[reason] += 1
                if reason == "assemble.duplicate_instance":
                    tally.duplicates += 1
                elif is_valid_dicom(src):
                    tally.valid_quarantined.append((str(src.relative_to(corpus)), reason))
                continue
            names.add(name)
            target = ws.staging / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(dst, target)
            tally.released += 1
            study, values = _count_leaks(src, target, corpus, tally, show)
            tally.staged[item_id] = (src, target, study, values)
        _study_level(ws, profile, tally)
        summary = run_checks(ws, profile)
    _print(tally, summary, pixels)
    return 0


def _study_level(ws, profile, tally: Tally) -> None:  # noqa: ANN001
    """Values of other files of the same study found in a released file, before and after
    the study-level cross-check (tasks/headers/study_crosscheck.py) the flow runs."""
    from tasks.headers.study_crosscheck import crosscheck_studies
    from tasks.headers.table import compile_plan
    from tasks.runtime.workspace import Item

    ws.write_index([Item(i, "dicom", str(entry[0])) for i, entry in tally.staged.items()])
    ws.write_manifest({i: str(e[1].relative_to(ws.staging)) for i, e in tally.staged.items()})
    values = {item_id: entry[3] for item_id, entry in tally.staged.items()}
    studies: dict[str, list[str]] = collections.defaultdict(list)
    for item_id, (_, _, study, _) in tally.staged.items():
        if study:
            studies[study].append(item_id)

    def count() -> int:
        total = 0
        for members in studies.values():
            union = set().union(*(values[i] for i in members))
            for item_id in members:
                foreign = union - values[item_id]
                if foreign:
                    text = released_text(tally.staged[item_id][1])
                    total += sum(1 for value, single in foreign if text.holds(value, single))
        return total

    tally.study_leaks["before"] = count()
    section = profile.section("headers")
    tally.study_pass = crosscheck_studies(ws, compile_plan(section), BENCH_KEY)
    tally.study_leaks["after"] = count()


def _pixel_reason(dst, item_id, ctx, full, decode, decode_error, has_pixels) -> str | None:  # noqa: ANN001
    if full:
        from tasks.pixels.pixel_stage import redact_file

        redacted = dst.with_suffix(".px.dcm")
        try:
            outcome = redact_file(dst, redacted, item_id, ctx)
        except Exception as error:
            return f"pixels.exception.{type(error).__name__}"
        if outcome.ok and redacted.exists():
            redacted.replace(dst)
        return None if outcome.ok else outcome.reason
    try:
        ds = pydicom.dcmread(dst)
        if has_pixels(ds):
            decode(ds)
    except decode_error:
        return "pixels.decode_error"
    except Exception:
        return "pixels.unreadable"
    return None


def _count_leaks(
    src: Path, released: Path, corpus: Path, tally: Tally, show: bool
) -> tuple[str, set[tuple[str, bool]]]:
    """Count the input's identifying values found in its released header; returns the
    input's Study Instance UID and those values (for the study-level count)."""
    try:
        original = pydicom.dcmread(src, force=True, stop_before_pixels=True)
        values = identifying_values(original)
        study = str(original.get("StudyInstanceUID", "") or "")
    except Exception:
        return "", set()
    text = released_text(released)
    for keyword, found in values.items():
        for value, single in found:
            if text.holds(value, single):
                tally.leaks[keyword] += 1
                shown = f" {value!r}" if show else ""
                tally.leak_lines.append(f"  {src.relative_to(corpus)}: {keyword}{shown}")
    return study, set().union(*values.values()) if values else set()


def _print(tally: Tally, summary, pixels: bool) -> None:  # noqa: ANN001
    print(f"files in: {tally.files}")
    print(f"released: {tally.released}")
    print(f"quarantined: {sum(tally.quarantined.values())}")
    for reason, count in tally.quarantined.most_common():
        print(f"  {reason}: {count}")
    print(f"duplicates of a released instance: {tally.duplicates}")
    print(f"valid but quarantined (duplicates aside): {len(tally.valid_quarantined)}")
    for name, reason in tally.valid_quarantined:
        print(f"  {name}: {reason}")
    failed = [r for r in summary.results if not r["success"]]
    print(
        f"checks: {len(summary.results)} run, {len(failed)} failed, passed={summary.passed}, "
        f"DPO may override={summary.override_allowed}"
    )
    for result in failed:
        kind = "blocking" if result["blocking"] else "warning"
        note = ""
        if result["name"].endswith("burned_in_annotation_no_on_images") and not pixels:
            note = " (expected without --pixels: the pixel stage sets it)"
        print(f"  {result['name']} ({kind}): {result['unexpected_count']}{note}")
    print(f"identifying input values found in released headers: {sum(tally.leaks.values())}")
    for keyword, count in tally.leaks.most_common():
        print(f"  {keyword}: {count}")
    for line in tally.leak_lines:
        print(line)
    print(
        "identifying values of another file of the same study found in released headers: "
        f"{tally.study_leaks.get('before', 0)} without the study-level cross-check, "
        f"{tally.study_leaks.get('after', 0)} with it"
    )
    print(f"study-level cross-check: {tally.study_pass}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    get = commands.add_parser("fetch", help="fill a corpus folder from the fetch list")
    get.add_argument("corpus", type=Path)
    get.add_argument("--mirrors", type=Path, help="folder of bare mirrors <owner>+<name>/repo")
    get.add_argument("--per-repo", type=int, default=300)
    go = commands.add_parser("run", help="run the default profile over a corpus folder")
    go.add_argument("corpus", type=Path)
    go.add_argument("--profile", default="default")
    go.add_argument("--pixels", action="store_true", help="the whole pixel stage (OCR)")
    go.add_argument("--limit", type=int)
    go.add_argument("--show-values", action="store_true")
    args = parser.parse_args()
    if args.command == "fetch":
        fetch(args.corpus, args.mirrors, args.per_repo)
        return 0
    return run(args.corpus, args.profile, args.pixels, args.limit, args.show_values)


if __name__ == "__main__":
    sys.exit(main())
