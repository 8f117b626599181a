"""Settings of the OCR path's grid finder, in PDF points (turned into pixels with `px`)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class GridSettings:
    """Lengths in PDF points (converted with the page's scale)."""

    # A ruling must be longer than any stroke of 10.5 pt text: CJK strokes reach ~1 em,
    # a doubled dash `——` 2 em, so horizontal rules need 24 pt, vertical ones 11 pt
    # (the shortest rows of these forms are 14 pt tall).
    min_h_line: float = 24.0
    min_v_line: float = 11.0
    # A shorter vertical run is a rule when it bridges two horizontal rules end to end
    # (the 10 pt rows of a workbook printed in 7 pt text); text strokes keep a margin
    # from the rules. `bridge_reach` is how far (pt) beyond the cut an end may stop.
    min_bridge: float = 3.0
    bridge_reach: float = 0.4
    # A horizontal run with ink just above AND just below it along more than this share of
    # its segment runs through glyphs: the strokes of a line of small dense text merged
    # (a rule has paper on both sides but where text touches it or rules cross)
    max_crossed: float = 0.2
    # A vertical segment reaches this close (pt, beyond the 1 px cut around horizontal rules)
    # to the rules above and below it; fax dropouts eat ~1 pt, a signature's stroke stops short
    end_reach: float = 1.5
    min_fill: float = 0.9  # share of ink along a run for it to be a rule (breaks in thin rules)
    merge_dist: float = 4.0  # rules closer than this are one (double borders)
    min_coverage: float = 0.7  # share of a segment a ruling must cover to be present
    min_table: float = 60.0  # a table is at least this wide and tall
    max_skew: float = 2.5  # degrees searched by deskew_angle
    min_speck: float = 0.6  # ink components smaller than this many pt² are noise
    # a dot up to this many pt² with no text within `lone_dist` pt is a speck (fax noise);
    # a decimal point or a 、 sits next to its text
    lone_speck: float = 3.0
    lone_dist: float = 3.0


DEFAULT = GridSettings()


def px(points: float, scale: float) -> int:
    return max(1, round(points * scale))
