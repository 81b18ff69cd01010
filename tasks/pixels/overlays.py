"""Clean Graphics: remove overlay planes (60xx), curves (50xx) and graphic annotations."""

from __future__ import annotations

from pydicom.dataset import Dataset

GRAPHIC_KEYWORDS = ("GraphicAnnotationSequence", "TextObjectSequence", "GraphicObjectSequence")


def remove_graphics(ds: Dataset) -> int:
    """Delete overlay/curve groups and graphic annotations in place; return how many went."""
    doomed = [
        tag
        for tag in ds.keys()
        if (0x6000 <= tag.group <= 0x601E or 0x5000 <= tag.group <= 0x501E) and tag.group % 2 == 0
    ]
    for tag in doomed:
        del ds[tag]
    removed = len(doomed)
    for keyword in GRAPHIC_KEYWORDS:
        if keyword in ds:
            delattr(ds, keyword)
            removed += 1
    return removed


def overlay_groups(ds: Dataset) -> int:
    return len({tag.group for tag in ds.keys() if 0x6000 <= tag.group <= 0x601E})
