"""The private pydicom internals the product still relies on, and why; nothing else uses them.

pydicom keeps a data set's elements in ``Dataset._dict`` (tag -> ``RawDataElement`` as
read, or ``DataElement`` once decoded or set). Iterating it has public, equally fast
forms (``ds.keys()``, ``ds.items()``, ``ds.values()``), and deleting has ``del ds[tag]``;
the product uses those. Reading and writing one element by tag do not: ``ds.get_item(tag,
keep_deferred=True)`` costs ~10x a dict read and ``ds[tag] = element`` ~30x a dict write
(per-call tag conversion and checks), and the header walker reads or writes elements of
every file by tag. Measured with the header stage benchmark (bench/headers.py) in
docs/decisions/2026-12-07-pydicom-internals.md.

- ``elements``: the tag -> element dict, for the header walker's reads and writes;
- ``character_set``: the codecs a data set's text decodes with, its own Specific Character
  Set or the one its parent passes to a sequence item (pydicom has no public accessor);
- ``uid_registry``: every UID pydicom knows, retired ones included (``pydicom.uid``'s
  public constants leave retired SOP classes out; ``build_data`` lists supported classes).

tests/dicom/test_pydicom_internals.py pins what these assume: a pydicom upgrade that
changes them fails there, naming the pydicom version, before anything else misbehaves.
"""

from __future__ import annotations

from collections.abc import Mapping, MutableMapping, MutableSequence

from pydicom.dataelem import DataElement, RawDataElement
from pydicom.dataset import Dataset
from pydicom.tag import BaseTag

TESTED_WITH = "3.0"  # the pydicom release these were last checked against


def elements(ds: Dataset) -> MutableMapping[BaseTag, DataElement | RawDataElement]:
    """The data set's own tag -> element dict: raw elements stay raw (read or written as
    they are, no decoding, no per-call checks). Delete through ``del ds[tag]``, which also
    drops pydicom's cache of private blocks."""
    return ds._dict


def character_set(ds: Dataset) -> str | MutableSequence[str]:
    """The Python codecs of the data set's text values: its Specific Character Set, else
    the one it inherits (a sequence item)."""
    return ds._character_set


def uid_registry() -> Mapping[str, tuple[str, str, str, str, str]]:
    """UID -> (name, type, info, retired, keyword) for every UID pydicom knows."""
    from pydicom._uid_dict import UID_dictionary

    return UID_dictionary
