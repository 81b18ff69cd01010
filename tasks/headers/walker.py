"""The one dataset walker: applies a compiled plan to every element, at any sequence depth.

Speed: elements the plan keeps are never decoded (pydicom writes raw elements back as read,
so pixel data and untouched values stay byte-identical); removals do not decode either. Only
elements whose value is needed (identifying values, UIDs, dates, text to clean) are decoded.
Elements are read and replaced by tag in the data set's own dict
(``tasks.dicom.pydicom_internals.elements``): pydicom's public accessors cost 10-30x per call.
"""

from __future__ import annotations

from collections.abc import MutableSequence
from dataclasses import dataclass, field
from typing import Any

from pydicom import config
from pydicom.datadict import DicomDictionary, dictionary_has_tag
from pydicom.dataelem import DataElement, RawDataElement, convert_raw_data_element
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence
from pydicom.tag import BaseTag

from tasks.dicom.pydicom_internals import character_set, elements
from tasks.headers.clean import clean_text
from tasks.headers.crosscheck import Needles, holds_identifier, pattern
from tasks.headers.dates import DUMMY as DUMMY_DATES
from tasks.headers.dates import PAIRED, Offset, shift_da, shift_dt, shift_pair, shift_tm
from tasks.headers.header_settings import HeaderProfile
from tasks.headers.identifiers import TEXT_VRS, Identifiers
from tasks.headers.pseudonyms import (
    accession_pseudonym,
    map_uid,
    patient_basis,
    patient_pseudonym,
    study_id_pseudonym,
)
from tasks.headers.table import CHECKED_VRS, FREE_TEXT_VRS, SQ_TAGS, Plan

VR_OF = {tag: entry[0] for tag, entry in DicomDictionary.items()}
KEYWORD_OF = {tag: entry[4] for tag, entry in DicomDictionary.items()}
TEXT_VALUE, PATIENT_NAME, PATIENT_ID, CHARSET = 0x0040A160, 0x00100010, 0x00100020, 0x00080005
COLLECTED_VRS = TEXT_VRS | {"PN", "DA", "DT"}
DUMMY_TEXT = "ANONYMOUS"
# fast path of Walker._value: text VRs whose raw bytes are the value in these charsets
FAST_VRS = frozenset({"LO", "SH", "PN", "DA", "DT", "TM", "UI", "CS", "AE", "LT", "ST", "UT"})
SINGLE_VALUED_VRS = frozenset({"LT", "ST", "UT"})
FAST_CODECS = {
    "iso8859": "latin-1",
    "['iso8859']": "latin-1",
    "latin_1": "latin-1",
    "['latin_1']": "latin-1",
    "UTF8": "utf-8",
    "['UTF8']": "utf-8",
}
DUMMY_BY_VR: dict[str, object] = {
    **{vr: DUMMY_TEXT for vr in ("PN", "LO", "SH", "ST", "LT", "UT", "UC", "CS", "AE", "UR")},
    **DUMMY_DATES,
    "AS": "000Y",
    "DS": "0",
    "IS": "0",
    **{vr: 0 for vr in ("US", "SS", "UL", "SL", "UV", "SV", "AT")},
    **{vr: 0.0 for vr in ("FL", "FD")},
    **{vr: b"\x00\x00" for vr in ("OB", "OW", "OD", "OF", "OL", "OV", "UN")},
}


@dataclass
class FileState:
    """Per-file values the walker needs: the key, the patient's pseudonym and date shift,
    generalised values, and what it collects on the way."""

    key: bytes
    profile: HeaderProfile
    plan: Plan
    pseudo_patient_id: str
    date_shift_days: int
    time_shift_seconds: int = 0  # 0: times of day kept (whole-day shifts only)
    sop_class_uid: str = ""
    language: str | None = None
    generalised: dict[int, str | None] = field(default_factory=dict)
    identifiers: Identifiers = field(default_factory=Identifiers)
    to_clean: list[tuple[Dataset, BaseTag]] = field(default_factory=list)
    to_check: list[tuple[Dataset, BaseTag]] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)

    def count(self, name: str) -> None:
        self.counts[name] = self.counts.get(name, 0) + 1


class Walker:
    def __init__(self, state: FileState) -> None:
        self.state = state
        self.actions = state.plan.actions_for(state.sop_class_uid)
        self.identifying = state.plan.identifying
        self.safe_private = state.plan.keep_safe_private
        self.uid_root = state.profile.uid_root
        self.pseudo = state.profile.pseudonyms
        self._charsets: dict[int, str | MutableSequence[str]] = {}
        self.offset = Offset(state.date_shift_days, state.time_shift_seconds)
        self._shifted: set[tuple[int, int]] = set()  # (id(dataset), tag) of paired values

    # --- entry ---------------------------------------------------------------------------
    def run(self, ds: Dataset) -> None:
        self.walk(ds, None, top=True)
        state = self.state
        if not (state.to_clean or state.to_check):
            return
        needles = state.identifiers.needles()
        if state.to_clean:
            words = tuple(state.identifiers.groups["names"])
            for dataset, tag in state.to_clean:
                self._clean(dataset, tag, needles, words)
        compiled = pattern(needles)
        if compiled is not None:
            for dataset, tag in state.to_check:
                self._check(dataset, tag, compiled)

    # --- the walk ------------------------------------------------------------------------
    def walk(self, ds: Dataset, mode: str | None, top: bool = False) -> None:
        """mode: None, "dummy" (inside a D sequence) or "clean" (inside a C sequence): what
        to do with free text the table does not list (e.g. SR TextValue).

        ``tag`` below is the dataset's own key object (fast dict access); ``number`` the
        plain int used for look-ups (BaseTag's Python-level __eq__ is slow in dicts)."""
        actions = self.actions
        raw = elements(ds)
        unlisted = self.state.plan.unlisted_text
        for tag in list(ds.keys()):
            number = int(tag)
            action = actions.get(number)
            if action is None or (mode is not None and number in unlisted):
                group = number >> 16
                if group & 1:
                    if self.safe_private:
                        self._private(ds, tag)
                    else:
                        del ds[tag]
                elif 0x5000 <= group <= 0x50FF or 0x6000 <= group <= 0x601F:
                    # curves and overlays (X; overlay bitmaps cannot be text-cleaned here)
                    del ds[tag]
                elif number & 0xFFFF == 0 or not dictionary_has_tag(number):
                    # a group length (recomputed on write) or no DICOM attribute at all: a
                    # corrupted tag proves nothing harmless, and one flipped bit turns
                    # PatientName (0010,0010) into (0010,0000). Its value still counts as
                    # identifying, so free text elsewhere is cleaned of it.
                    self._collect_stray(ds, tag)
                    del ds[tag]
                elif number in SQ_TAGS or raw[tag].VR == "SQ":
                    self._recurse(ds, tag, mode)
                elif mode is not None:
                    self._text_in_mode(ds, tag, number, mode)
                continue
            if action == "T":
                self.state.to_check.append((ds, tag))
            elif action == "K":
                if number in SQ_TAGS:
                    self._recurse(ds, tag, mode)
            elif action == "X":
                self._collect(ds, tag)
                del ds[tag]
            elif action == "U":
                self._uid(ds, tag, mode)
            elif action == "Z":
                self._collect(ds, tag)
                vr = self._vr(ds, tag)
                if vr == "SQ":
                    ds[tag] = DataElement(tag, "SQ", Sequence())
                else:
                    self._put(ds, tag, vr, "")
            elif action == "D":
                self._dummy(ds, tag)
            elif action == "C":
                self._clean_action(ds, tag)
            elif action in "PAS":
                self._pseudonym(ds, tag, action, top)
            elif action == "G":
                self._collect(ds, tag)
                value = self.state.generalised.get(number) if top else None
                if value is None:
                    del ds[tag]
                else:
                    self._put(ds, tag, self._vr(ds, tag), value)

    # --- element access without pydicom's per-access overhead (tasks.dicom.pydicom_internals)
    def _vr(self, ds: Dataset, tag: BaseTag) -> str:
        vr = elements(ds)[tag].VR
        if vr is None or vr == "UN" or len(vr) != 2:
            vr = VR_OF.get(int(tag), "UN")
            if len(vr) != 2:  # ambiguous dictionary VR ("US or SS"): decode to resolve it
                vr = ds[tag].VR
        return vr

    def _element(self, ds: Dataset, tag: BaseTag) -> DataElement:
        """The decoded element (decoded once, kept in the dataset like pydicom does)."""
        elem = elements(ds)[tag]
        if not isinstance(elem, RawDataElement):
            return elem
        if elem.VR == "SQ" or elem.value is None or int(tag) in SQ_TAGS or int(tag) == CHARSET:
            return ds[tag]  # sequences, deferred values, the charset: pydicom's own path
        converted = convert_raw_data_element(elem, encoding=self._charset(ds), ds=ds)
        elements(ds)[tag] = converted
        return converted

    def _value(self, ds: Dataset, tag: BaseTag) -> Any:
        """The value, read straight from the raw bytes for plain text in a single-byte
        Latin or UTF-8 character set (what most files use); else decoded by pydicom."""
        elem = elements(ds)[tag]
        if isinstance(elem, RawDataElement) and isinstance(elem.value, bytes):
            vr = self._vr(ds, tag)
            codec = FAST_CODECS.get(str(self._charset(ds))) if vr in FAST_VRS else None
            if codec is not None and (elem.is_little_endian or vr != "UI"):
                text = elem.value.decode(codec, "replace").strip(" \x00")
                if vr in SINGLE_VALUED_VRS or "\\" not in text:
                    return text
                return [part.strip(" \x00") for part in text.split("\\")]
        return self._element(ds, tag).value

    def _charset(self, ds: Dataset) -> str | MutableSequence[str]:
        charset = self._charsets.get(id(ds))
        if charset is None:
            charset = ds.original_character_set or character_set(ds)
            self._charsets[id(ds)] = charset
        return charset

    def _put(self, ds: Dataset, tag: BaseTag, vr: str, value: object) -> None:
        """Replace a (non-sequence) value; values built here are valid for their VR."""
        elements(ds)[tag] = DataElement(tag, vr, value, validation_mode=config.IGNORE)

    def _recurse(self, ds: Dataset, tag: BaseTag, mode: str | None) -> None:
        value = ds[tag].value
        if isinstance(value, Sequence):
            for item in value:
                self.walk(item, mode)

    # --- actions -------------------------------------------------------------------------
    def _collect(self, ds: Dataset, tag: BaseTag) -> None:
        """Remember an identifying value (for the PHI record and for cleaning free text)."""
        number = int(tag)
        if number not in self.identifying:
            return
        vr = self._vr(ds, tag)
        if vr == "SQ":
            value = ds[tag].value
            for item in value if isinstance(value, Sequence) else ():
                self._collect_all(item)
        elif vr in COLLECTED_VRS:
            value = self._value(ds, tag)
            self.state.identifiers.add_element(KEYWORD_OF.get(number, ""), vr, value)

    def _collect_stray(self, ds: Dataset, tag: BaseTag) -> None:
        """Remember the text of an element dropped for its unknown tag."""
        try:
            vr = elements(ds)[tag].VR
            if vr in COLLECTED_VRS:
                self.state.identifiers.add_element("", vr, self._value(ds, tag))
        except Exception:  # an undecodable stray value: it is dropped all the same
            return

    def _collect_all(self, ds: Dataset) -> None:
        """Collect inside a sequence being removed: values the table would not keep."""
        for tag, elem in list(ds.items()):
            number = int(tag)
            if number >> 16 & 1:
                continue
            action = self.actions.get(number)
            if number in SQ_TAGS or elem.VR == "SQ":
                value = ds[tag].value
                for item in value if isinstance(value, Sequence) else ():
                    self._collect_all(item)
            elif action not in (None, "K", "U"):
                self._collect(ds, tag)

    def _dummy(self, ds: Dataset, tag: BaseTag) -> None:
        vr = self._vr(ds, tag)
        if vr == "SQ":
            self._recurse(ds, tag, "dummy")
            return
        self._collect(ds, tag)
        if vr == "UI":
            self._uid(ds, tag, None)
            return
        if self._element(ds, tag).is_empty:
            return
        value = DUMMY_BY_VR.get(vr, DUMMY_TEXT)
        if int(tag) in (PATIENT_NAME, PATIENT_ID):
            value = self.state.pseudo_patient_id  # a consistent dummy
        self._put(ds, tag, vr, value)

    def _uid(self, ds: Dataset, tag: BaseTag, mode: str | None) -> None:
        vr = self._vr(ds, tag)
        if vr == "SQ":
            self._recurse(ds, tag, mode)
            return
        if vr != "UI":
            self._dummy(ds, tag)
            return
        value = self._value(ds, tag)
        if not value:
            return
        key, root = self.state.key, self.uid_root
        if isinstance(value, str):
            new: object = map_uid(key, root, value)
        else:
            new = [map_uid(key, root, str(v)) for v in value]
        self._put(ds, tag, vr, new)

    def _clean_action(self, ds: Dataset, tag: BaseTag) -> None:
        vr = self._vr(ds, tag)
        if vr == "SQ":
            self._recurse(ds, tag, "clean")
        elif vr in ("DA", "DT", "TM"):
            self._temporal(ds, tag, vr)
        elif vr in TEXT_VRS or vr == "PN":
            self.state.to_clean.append((ds, tag))  # once every identifier is known
        # other VRs (CS, numbers): nothing to clean, kept

    def _temporal(self, ds: Dataset, tag: BaseTag, vr: str) -> None:
        """A date, date-time or time under action C: shifted (see ``dates``), emptied when
        dates are removed, kept when they are kept."""
        number = int(tag)
        if (id(ds), number) in self._shifted:
            return  # already shifted with its pair
        if vr != "TM":
            self._collect(ds, tag)
        mode = self.state.plan.date_mode
        if mode == "keep" or (vr == "TM" and mode == "shift" and not self.offset.seconds):
            return
        value = self._text(ds, tag)
        if not value:
            return
        if mode == "remove":  # C named by an override while dates are removed
            self._put(ds, tag, vr, "")
            return
        offset = self.offset
        other = PAIRED.get(number) if offset.seconds and vr != "DT" else None
        if other is not None and other in ds and self.actions.get(other) == "C":
            other_tag = BaseTag(other)
            other_value = self._text(ds, other_tag)
            if other_value:
                if vr == "TM":
                    self._collect(ds, other_tag)
                    day, time = shift_pair(other_value, value, offset)
                    self._put(ds, other_tag, "DA", day)
                    self._put(ds, tag, vr, time)
                else:
                    day, time = shift_pair(value, other_value, offset)
                    self._put(ds, tag, vr, day)
                    self._put(ds, other_tag, "TM", time)
                self._shifted.add((id(ds), other))
                return
        if vr == "DA":
            new = shift_da(value, offset.days)
        elif vr == "DT":
            new = shift_dt(value, offset)
        else:
            new = shift_tm(value, offset.seconds)
        self._put(ds, tag, vr, new)

    def _text(self, ds: Dataset, tag: BaseTag) -> str:
        value = self._value(ds, tag)
        if value is None:
            return ""
        return value if isinstance(value, str) else "\\".join(str(v) for v in value)

    def _text_in_mode(self, ds: Dataset, tag: BaseTag, number: int, mode: str) -> None:
        """Text the table does not list, inside a D or C sequence. D: long free text gets a
        dummy (codes and labels stay, cross-checked, the items remain usable). C: every text
        value is cleaned (a CodeMeaning may hold a name as well as a description), coded
        strings are cross-checked."""
        vr = self._vr(ds, tag)
        if mode == "dummy":
            if number == TEXT_VALUE or vr in FREE_TEXT_VRS:
                if not self._element(ds, tag).is_empty:
                    self._put(ds, tag, vr, DUMMY_TEXT)
            elif vr in CHECKED_VRS:
                self.state.to_check.append((ds, tag))
        elif vr in TEXT_VRS or vr == "PN":
            self.state.to_clean.append((ds, tag))
        elif vr in CHECKED_VRS:
            self.state.to_check.append((ds, tag))

    def _check(self, ds: Dataset, tag: BaseTag, compiled: Needles) -> None:
        """A kept text value holding one of the file's identifying values: removed, emptied
        or replaced by a dummy (the table's basic action for the attribute; a dummy for an
        attribute the table does not list)."""
        elem = elements(ds).get(tag)
        if elem is None or elem.VR == "SQ":
            return  # a sequence where the dictionary has text: kept as K keeps it
        value = self._value(ds, tag)
        if value is None or value == "":
            return
        values = [value] if isinstance(value, str) else [str(v) for v in value]
        if not any(holds_identifier(v, compiled) for v in values):
            return
        self.state.count("crosscheck_hits")
        action = self.state.plan.on_hit.get(int(tag), "D")
        if action == "X":
            del ds[tag]
            return
        vr = self._vr(ds, tag)
        if action == "Z":
            self._put(ds, tag, vr, "")
            return
        dummy = DUMMY_BY_VR.get(vr, DUMMY_TEXT)
        new = [dummy if holds_identifier(v, compiled) else v for v in values]
        self._put(ds, tag, vr, new[0] if len(new) == 1 else new)

    def _clean(
        self, ds: Dataset, tag: BaseTag, needles: tuple[str, ...], words: tuple[str, ...]
    ) -> None:
        elem = self._element(ds, tag)
        if elem.is_empty:
            return
        language, recognise = self.state.language, self.state.profile.descriptor_recognisers
        if elem.VR == "PN":
            cleaned: object = DUMMY_TEXT
        elif isinstance(elem.value, str):
            cleaned = clean_text(elem.value, needles, language, recognise, words)
        else:
            cleaned = [clean_text(str(v), needles, language, recognise, words) for v in elem.value]
        if cleaned != elem.value:
            self.state.count("descriptors_cleaned")
            if cleaned == "" and int(tag) in self.state.plan.unlisted_text:
                cleaned = DUMMY_TEXT  # may be Type 1 in its IOD: a value stays
            self._put(ds, tag, elem.VR, cleaned)

    def _pseudonym(self, ds: Dataset, tag: BaseTag, action: str, top: bool) -> None:
        self._collect(ds, tag)
        value = self._value(ds, tag)
        text = str(value).strip() if value is not None else ""
        key, p, number = self.state.key, self.pseudo, int(tag)
        if action == "P" and top:  # the patient's own ID and name: always the pseudonym
            self._put(ds, tag, self._vr(ds, tag), self.state.pseudo_patient_id)
            return
        if not text:
            return
        if action == "P":
            if top:
                new = self.state.pseudo_patient_id
            elif number == PATIENT_NAME:
                new = DUMMY_TEXT  # a name elsewhere than the patient's own
            else:  # another patient's ID: its own pseudonym, same derivation
                basis = patient_basis(text, "", "", "")
                new = patient_pseudonym(key, basis, p.patient_prefix, p.length)
        elif action == "A":
            new = accession_pseudonym(key, text, p.accession_prefix, p.length)
        else:
            new = study_id_pseudonym(key, text, p.study_id_prefix, p.length)
        self._put(ds, tag, self._vr(ds, tag), new)

    # --- private attributes --------------------------------------------------------------
    def _private(self, ds: Dataset, tag: BaseTag) -> None:
        """Retain Safe Private: keep only the (creator, group, element) the profile lists."""
        number = int(tag)
        group, element = number >> 16, number & 0xFFFF
        if 0x10 <= element <= 0xFF:
            creator = str(self._value(ds, tag)).strip()
            if not any(g == group and c == creator for g, c, _ in self.safe_private):
                del ds[tag]
            return  # a kept creator's unsafe elements go one by one
        creator_tag = BaseTag((group << 16) | (element >> 8))
        creator = str(ds[creator_tag].value).strip() if creator_tag in ds else ""
        if (group, creator, element & 0xFF) in self.safe_private:
            self.state.count("safe_private_kept")
            if self._vr(ds, tag) == "SQ":
                self._recurse(ds, tag, "dummy")
            return
        del ds[tag]
