"""Second look geometry: the strip around a seed, and which later strips show nothing new.

A box found by the first round of strips is looked beyond once more only when its own
strip reaches past the strips already looked at by more than a few pixels.
"""

from __future__ import annotations

from tasks.pixels.boxes import Box
from tasks.pixels.scan import (
    SECOND_LOOK_MIN_REACH,
    SECOND_LOOK_NEW_PX,
    SECOND_LOOK_REACH,
    looked_at,
    strip_around,
)


def test_a_strip_reaches_beyond_both_ends_and_one_line_above_and_below() -> None:
    seed = Box(200, 100, 260, 112)  # a 12 px line
    reach = max(SECOND_LOOK_REACH * 12, SECOND_LOOK_MIN_REACH)
    assert strip_around(seed, 512, 512) == Box(200 - reach, 88, 260 + reach, 124)
    tall = Box(200, 100, 260, 130)  # 30 px: reach is 3 line heights
    assert strip_around(tall, 1024, 1024) == Box(200 - 90, 70, 260 + 90, 160)


def test_a_strip_stops_at_the_frame_edges() -> None:
    assert strip_around(Box(2, 1, 40, 11), 100, 50) == Box(0, 0, 40 + 48, 21)
    assert strip_around(Box(80, 40, 98, 50), 100, 50) == Box(80 - 48, 30, 100, 50)


def test_the_same_line_found_a_pixel_looser_is_not_looked_at_again() -> None:
    seed = Box(536, 529, 613, 544)
    first = strip_around(seed, 1024, 1024)
    again = strip_around(Box(535, 529, 613, 545), 1024, 1024)  # the strip's box, 1 px looser
    assert again != first and not first.contains(again)
    assert looked_at(again, [first])


def test_a_box_reaching_past_the_strip_is_looked_beyond() -> None:
    seed = Box(300, 200, 360, 212)
    first = strip_around(seed, 1024, 1024)
    longer = Box(300, 200, 360 + 40, 212)  # the strip found the line goes on
    assert not looked_at(strip_around(longer, 1024, 1024), [first])
    taller = Box(300, 190, 360, 220)  # a bigger font: more margin above and below
    assert not looked_at(strip_around(taller, 1024, 1024), [first])


def test_slack_is_the_most_a_strip_may_stick_out() -> None:
    looked = [Box(100, 100, 300, 140)]
    slack = SECOND_LOOK_NEW_PX
    assert looked_at(Box(100 - slack, 100, 300 + slack, 140), looked)
    assert not looked_at(Box(100 - slack - 1, 100, 300, 140), looked)
    assert not looked_at(Box(100, 100, 300, 140 + slack + 1), looked)
    assert not looked_at(Box(100, 100, 300, 140), [])
    assert looked_at(Box(100, 100, 300, 140), [Box(0, 0, 50, 50), *looked])


def test_a_line_on_another_row_counts_only_whole_and_confident() -> None:
    from tasks.pixels.scan import SECOND_LOOK_NEIGHBOUR_SCORE, _neighbour_line

    top, bottom, frame = 80, 140, 512
    whole = Box(100, 120, 180, 130)
    assert _neighbour_line(whole, SECOND_LOOK_NEIGHBOUR_SCORE, top, bottom, frame)
    assert not _neighbour_line(whole, SECOND_LOOK_NEIGHBOUR_SCORE - 0.01, top, bottom, frame)
    cut_by_the_bottom = Box(100, 125, 180, 140)
    assert not _neighbour_line(cut_by_the_bottom, 0.9, top, bottom, frame)
    at_the_frame_edge = Box(100, 500, 180, 512)
    assert _neighbour_line(at_the_frame_edge, 0.9, 480, 512, frame)
    speck = Box(100, 120, 106, 126)
    assert not _neighbour_line(speck, 0.9, top, bottom, frame)
