"""The weekly scorecard as one page (PNG/PDF for a meeting), drawn as marks on a pixel grid.

The page is written as a list of blocks, one per line, each with its height; `_stack` places them
top to bottom, so what a line says and where it lands on the page are written apart.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

import altair as alt
import pandas as pd

from scorecard.judge.drivers import Movement, drivers_line
from scorecard.judge.weekly import Scorecard, ScorecardRow
from scorecard.language.formatting import format_delta, format_value
from scorecard.language.settings import Locale
from scorecard.present.charts.palette import (
    ACCENT,
    INK,
    MUTED,
    NOTE_COLOR,
    RULE,
    STATUS_COLORS,
    TONE_COLORS,
    change_color,
)
from scorecard.present.frames import noted_positions
from scorecard.present.report import SECTIONS
from scorecard.present.views import change_tone, owners_text
from scorecard.store.notes import Note

FONT: Final = "DejaVu Sans, Helvetica, Arial, sans-serif"

_PAGE_WIDTH: Final = 1120
_COLUMNS: Final = {  # left edge (or right edge for numbers) of each column, in pixels
    "label": 16,
    "owners": 350,
    "value": 540,
    "target": 640,
    "change": 755,
    "status": 790,
    "trend": 880,
    "n": 1100,
}
_HEADINGS: Final = (
    ("owners", "Owners"),
    ("value", "Value"),
    ("target", "Target"),
    ("change", "vs last week"),
    ("status", "Status"),
    ("trend", "12 weeks"),
    ("n", "n"),
)
_RIGHT_ALIGNED: Final = ("value", "target", "change", "n")
_SPARK_WIDTH: Final = 150
_MOVED_LEFT: Final = 1130
_MOVED_WIDTH: Final = 400
_MOVED_CHARS: Final = 70
_MAX_NOTES: Final = 12
_NOTE_CHARS: Final = 180
_REASON_CHARS: Final = 190

# Heights of the page's lines: pixels from the baseline above (the page's top for the title) to the line's own.
_TITLE: Final = 28
_SUBTITLE: Final = 24
_HEADINGS_LINE: Final = 34
_HEADINGS_RULE: Final = 10
_ROW: Final = 26
"""A metric, a section's heading, the notes' heading or the footnote."""
_SECTION_END: Final = 6
"""Space after a section's last metric; its rule lies as far below again."""
_NOTE: Final = 18
_REASON: Final = 16
_BOTTOM: Final = 16
"""Space under the last line."""

_FOOTNOTE: Final = (
    "Green/amber/red only where the data supports a verdict; 'not judged' says why below. "
    "'low': below the metric's minimum sample. Cohort metrics show the newest mature cohort."
)


def scorecard_figure(
    card: Scorecard,
    *,
    title: str,
    subtitle: str,
    movements: Mapping[str, Movement] | None = None,
    notes: Sequence[Note] = (),
    locale: Locale,
) -> alt.LayerChart:
    """The weekly scorecard as one page: sections, values, targets, coloured changes, status, trends.

    Drawn as marks on a pixel grid so it renders the same in a browser and in vl-convert
    (PNG/PDF for a meeting). Each trend is scaled to its own row; the last point is the week shown.
    With `movements` ({metric: Movement}) a "What moved" column gives each change's top two
    drivers; with `notes`, weeks that carry a note are ringed on the trends and the week's
    notes are listed under the table.
    """
    sections = [(heading, [r for r in card.rows if r.section == section]) for section, heading in SECTIONS.items()]
    sections = [(heading, rows) for heading, rows in sections if rows]
    shown = [row for _, rows in sections for row in rows]
    noted = [noted_positions(row, notes) for row in shown]
    ringed = any(_trend_values(row)[i] is not None for row, weeks in zip(shown, noted, strict=True) for i in weeks)
    reasons = [reason for row in shown if (reason := _reason(row, locale)) is not None]

    blocks = [
        _line(_TITLE, title, size=20, weight="bold"),
        _line(_SUBTITLE, subtitle, size=12, color=MUTED),
        _Block(_HEADINGS_LINE, _headings(movements)),
        _Block(_HEADINGS_RULE, _rule(below=0)),
    ]
    positions = iter(noted)
    for heading, rows in sections:
        blocks.append(_line(_ROW, heading, size=14, weight="bold", color=ACCENT))
        blocks += [_metric(row, next(positions), (movements or {}).get(row.metric), locale) for row in rows]
        blocks.append(_Block(_SECTION_END, _rule(below=_SECTION_END)))
    blocks += _notes(card, notes)
    blocks.append(_line(_ROW, _FOOTNOTE + (" Ringed weeks carry a note." if ringed else ""), size=10, color=MUTED))
    blocks += [_line(_REASON, _clip(reason, _REASON_CHARS), size=10, color=MUTED) for reason in reasons]

    marks = _Marks()
    height = int(_stack(blocks, marks) + _BOTTOM)
    return _page(marks, _PAGE_WIDTH + (_MOVED_WIDTH if movements else 0), height)


# --- layout: blocks placed top to bottom --------------------------------------------------------


@dataclass
class _Marks:
    """What the page draws, by kind of mark, in drawing order: rows of pixel positions and styles."""

    texts: list[dict[str, Any]] = field(default_factory=list)
    rules: list[dict[str, Any]] = field(default_factory=list)
    dots: list[dict[str, Any]] = field(default_factory=list)
    sparks: list[dict[str, Any]] = field(default_factory=list)
    rings: list[dict[str, Any]] = field(default_factory=list)

    def text(
        self,
        x: float,
        y: float,
        text: str,
        *,
        size: int,
        color: str = INK,
        align: str = "left",
        weight: str = "normal",
    ) -> None:
        self.texts.append(
            {"x": x, "y": y, "text": text, "size": size, "color": color, "align": align, "weight": weight}
        )


_Draw = Callable[[float, _Marks], None]
"""Draws a line of the page given the y of its baseline."""


@dataclass(frozen=True)
class _Block:
    """A line of the page: `height` pixels from the baseline above down to its own, and what it draws there."""

    height: float
    draw: _Draw


def _stack(blocks: Iterable[_Block], marks: _Marks) -> float:
    """Place the blocks top to bottom from the page's top, each drawn at its baseline; the last baseline."""
    y = 0.0
    for block in blocks:
        y += block.height
        block.draw(y, marks)
    return y


def _line(height: float, text: str, **style: Any) -> _Block:
    """A line of one text at the left margin."""
    return _Block(height, lambda y, marks: marks.text(_COLUMNS["label"], y, text, **style))


def _rule(below: float) -> _Draw:
    """A rule across the page, `below` pixels under the line's baseline."""
    return lambda y, marks: marks.rules.append({"y": y + below})


# --- the lines -------------------------------------------------------------------------------------


def _headings(movements: Mapping[str, Movement] | None) -> _Draw:
    """The table's column headings, and "What moved" when there are movements."""
    moved = f"What moved (by {next(iter(movements.values())).dimension})" if movements else None

    def draw(y: float, marks: _Marks) -> None:
        for key, heading in _HEADINGS:
            align = "right" if key in _RIGHT_ALIGNED else "left"
            marks.text(_COLUMNS[key], y, heading, size=11, color=MUTED, align=align, weight="bold")
        if moved is not None:
            marks.text(_MOVED_LEFT, y, moved, size=11, color=MUTED, weight="bold")

    return draw


def _metric(row: ScorecardRow, noted: Mapping[int, str], movement: Movement | None, locale: Locale) -> _Block:
    """A metric's line: label, owners, value, target, change, status, trend (noted weeks ringed),
    what moved and the sample."""
    label = row.label + (f"  (cohort of {row.cohort})" if row.cohort else "")
    value = format_value(row.value, row.format, locale=locale)
    target = (
        ""
        if row.target is None
        else ("≥ " if row.direction == "higher_is_better" else "≤ ")
        + (format_value(row.target, row.format, locale=locale))
    )
    tone = change_tone(row)
    change = format_delta(row.delta, row.format, locale=locale)
    moved = None
    if movement is not None and movement.change and row.delta is not None and not row.significant:
        moved = "within noise"  # the same rule as the cards: no drivers for a change chance can give
    elif movement is not None and movement.decomposed:
        moved = drivers_line(movement, row.format, locale=locale)[:_MOVED_CHARS]
    elif movement is not None and movement.change:
        moved = "not split into drivers (see the app)"
    sample = f"{row.n:,}" + (" low" if row.low_sample else "")

    def draw(y: float, marks: _Marks) -> None:
        marks.text(_COLUMNS["label"], y, label, size=12)
        marks.text(_COLUMNS["owners"], y, owners_text(row.owners), size=11, color=MUTED)
        marks.text(_COLUMNS["value"], y, value, size=12, align="right", weight="bold")
        marks.text(_COLUMNS["target"], y, target, size=11, color=MUTED, align="right")
        marks.text(
            _COLUMNS["change"], y, change, size=11, color=MUTED if tone == "none" else TONE_COLORS[tone], align="right"
        )
        marks.dots.append({"x": _COLUMNS["status"] + 6, "y": y - 4, "color": STATUS_COLORS[row.status]})
        marks.text(_COLUMNS["status"] + 16, y, row.verdict, size=10, color=MUTED)
        spark = _spark(row, _COLUMNS["trend"], y - 4)
        marks.sparks += spark
        marks.rings += [p for p in spark if p["i"] in noted]
        if moved is not None:
            marks.text(_MOVED_LEFT, y, moved, size=10, color=MUTED)
        marks.text(
            _COLUMNS["n"],
            y,
            sample,
            size=10,
            color=INK if row.low_sample else MUTED,
            align="right",
            weight="bold" if row.low_sample else "normal",
        )

    return _Block(_ROW, draw)


def _notes(card: Scorecard, notes: Sequence[Note]) -> list[_Block]:
    """The notes on the week shown (whole-week notes first, then by time), at most _MAX_NOTES lines."""
    shown = sorted((n for n in notes if n.week == card.week.label), key=lambda n: (n.metric is not None, n.created_at))
    if not shown:
        return []
    labels = {r.metric: r.label for r in card.rows}
    blocks = [_line(_ROW, f"Notes on {card.week.label}", size=13, weight="bold", color=ACCENT)]
    for note in shown[:_MAX_NOTES]:
        about = "Whole week" if note.metric is None else labels.get(note.metric, note.metric)
        blocks.append(_line(_NOTE, f"{about}: {note.line()}"[:_NOTE_CHARS], size=11))
    if len(shown) > _MAX_NOTES:
        blocks.append(_line(_NOTE, f"… and {len(shown) - _MAX_NOTES} more", size=11, color=MUTED))
    return blocks


def _reason(row: ScorecardRow, locale: Locale) -> str | None:
    """Why a row is not judged, or that it is judged on an earlier, settled week; None for neither."""
    if not row.judgeable and row.reason:
        return f"{row.label}: {row.reason.removeprefix('not judged: ')}"
    if row.settled:
        return (
            f"{row.label}: judged on {row.settled}, the latest settled week; {row.week} so far "
            f"{format_value(row.provisional, row.format, locale=locale)}, provisional"
        )
    return None


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _trend_values(row: ScorecardRow) -> list[float | None]:
    """The row's trend, a week without a value (None or NaN) as None."""
    return [None if p.value is None or math.isnan(p.value) else p.value for p in row.trend]


def _spark(row: ScorecardRow, left: float, middle: float) -> list[dict[str, Any]]:
    """Points of a row's trend, one `run` per stretch of consecutive weeks with a value.

    The line is drawn per run, so a week without a value is a gap, not a stroke across
    it; a week alone between gaps is `alone` and drawn as a dot.
    """
    values = _trend_values(row)
    known = [v for v in values if v is not None]
    if not known:
        return []
    low, high = min(known), max(known)
    span = (high - low) or 1.0
    step = _SPARK_WIDTH / max(1, len(values) - 1)
    points = []
    run = 0
    for i, value in enumerate(values):
        if value is None:
            run += 1
            continue
        offset = 0.5 if high == low else (value - low) / span
        before = i > 0 and values[i - 1] is not None
        after = i + 1 < len(values) and values[i + 1] is not None
        points.append(
            {
                "metric": row.metric,
                "run": f"{row.metric}/{run}",
                "i": i,
                "x": left + i * step,
                "y": middle + 8 - offset * 16,
                "last": i == len(values) - 1,
                "alone": not before and not after,
                "color": change_color(row) if change_tone(row) != "none" else ACCENT,
            }
        )
    return points


# --- the marks as a chart ----------------------------------------------------------------------------


def _page(marks: _Marks, width: int, height: int) -> alt.LayerChart:
    """The placed marks as one layered chart on a `width` x `height` pixel grid."""
    x_scale = alt.Scale(domain=[0, width], range=[0, width], nice=False, zero=False)
    y_scale = alt.Scale(domain=[0, height], range=[0, height], nice=False, zero=False)

    def xy(chart: alt.Chart, x: str = "x", y_field: str = "y") -> alt.Chart:
        return chart.encode(
            x=alt.X(f"{x}:Q", scale=x_scale, axis=None), y=alt.Y(f"{y_field}:Q", scale=y_scale, axis=None)
        )

    layers: list[alt.Chart] = [
        alt.Chart(pd.DataFrame(marks.rules))
        .mark_rule(color=RULE, strokeWidth=1)
        .encode(y=alt.Y("y:Q", scale=y_scale, axis=None), x=alt.value(0), x2=alt.value(width)),
    ]
    frame = pd.DataFrame(marks.texts)
    for (size, weight, align), part in frame.groupby(["size", "weight", "align"], sort=False):
        layers.append(
            xy(
                alt.Chart(part)
                .mark_text(fontSize=size, fontWeight=weight, align=align, baseline="alphabetic", font=FONT)
                .encode(text="text:N", color=alt.Color("color:N", scale=None))
            )
        )
    if marks.dots:
        layers.append(
            xy(
                alt.Chart(pd.DataFrame(marks.dots))
                .mark_circle(size=110, opacity=1)
                .encode(color=alt.Color("color:N", scale=None))
            )
        )
    if marks.sparks:
        spark_frame = pd.DataFrame(marks.sparks)
        layers.append(
            xy(alt.Chart(spark_frame).mark_line(color=ACCENT, strokeWidth=1.5).encode(detail="run:N", order="i:Q"))
        )
        marked = spark_frame[spark_frame["last"] | spark_frame["alone"]]
        layers.append(
            xy(alt.Chart(marked).mark_circle(size=22, opacity=1).encode(color=alt.Color("color:N", scale=None)))
        )
    if marks.rings:
        layers.append(
            xy(
                alt.Chart(pd.DataFrame(marks.rings)).mark_point(
                    shape="circle", size=70, filled=False, strokeWidth=1.5, color=NOTE_COLOR
                )
            )
        )
    return (
        alt.LayerChart(layer=layers)
        .properties(width=width, height=height, background="#ffffff", padding=12)
        .configure_view(stroke=None)
    )
