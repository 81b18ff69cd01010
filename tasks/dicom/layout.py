"""How DICOM elements are laid out in the bytes (PS3.5 chapter 7): the constants every raw
reader here shares."""

from __future__ import annotations

UNDEFINED_LENGTH = 0xFFFFFFFF
ITEM_GROUP = 0xFFFE  # items and delimiters: always implicit, a 4-byte length
ITEM, ITEM_END, SEQUENCE_END = 0xFFFEE000, 0xFFFEE00D, 0xFFFEE0DD
PIXEL_DATA = 0x7FE00010
PIXEL_DATA_TAGS = frozenset({0x7FE00008, 0x7FE00009, PIXEL_DATA})  # float, double, integer
FIRST_PIXEL_TAG = 0x7FE00008

# every VR of PS3.5 6.2; in explicit VR the "long" ones have 2 reserved bytes and a 4-byte length
VRS = frozenset(
    b"AE AS AT CS DA DS DT FD FL IS LO LT OB OD OF OL OV OW PN SH SL SQ SS ST SV TM UC UI UL "
    b"UN UR US UT UV".split()
)
LONG_VRS = frozenset(b"OB OD OF OL OV OW SQ SV UC UN UR UT UV".split())
