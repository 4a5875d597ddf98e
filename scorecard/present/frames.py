"""Frames for charts and tables: a metric's trend and breakdown, the ranking, lead quality, cost
against margin, outlooks and maturation curves, notes, freshness and readiness, each with the
text columns the pages show (in the catalog's locale). Small, finished frames from the engine
in; never a query."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from scorecard.catalog.load import Catalog
from scorecard.judge.drivers import Movement, slices_frame
from scorecard.judge.ranking import NOT_TIERED, Ranking
from scorecard.judge.readiness import Readiness, settles_after
from scorecard.judge.weekly import (
    ScorecardRow,
    Status,
    verdict,
)
from scorecard.language import periods as cal
from scorecard.language.definitions import MetricBase
from scorecard.language.formatting import DEFAULT_LOCALE, MISSING, format_value, is_missing
from scorecard.language.settings import Locale
from scorecard.present.views import is_mature
from scorecard.store.notes import Note

# --- frames for charts and tables ------------------------------------------------------------------


def status_for(
    catalog: Catalog,
    metric: MetricBase,
    value: float | None,
    n: int,
    period: cal.Period,
    filters: Mapping[str, Sequence[str]] | None = None,
    ready: Readiness | None = None,
) -> Status:
    """Green/amber/red of one value against the metric's target for that period and filter, by
    the scorecard's one rule (`scorecard.verdict`): "none" on a low sample, missing inputs or a
    period that has not settled."""
    return verdict(catalog, metric, value, n, period, filters or {}, ready).status


def _missing(value: object) -> bool:
    """None or NaN: a row whose dimension value is unknown (e.g. a lead without a campaign)."""
    return value is None or (isinstance(value, float) and math.isnan(value))


def _number(value: object) -> float | None:
    if value is None:
        return None
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return None if math.isnan(number) else number


def trend_frame(
    frame: pd.DataFrame,
    periods: Sequence[cal.Period],
    metric: MetricBase,
    as_of: dt.datetime,
    *,
    catalog: Catalog | None = None,
    ready: Readiness | None = None,
) -> pd.DataFrame:
    """One row per period (missing periods included, value None): what the trend chart draws.

    `mature` is False for a cohort still inside its window and, given the catalog and the data's
    readiness, for a period that has not settled (`settles_after`): drawn hollow, never judged.
    """
    lag = dt.timedelta(days=settles_after(catalog, metric)) if catalog is not None else dt.timedelta(0)
    end = ready.data_end if ready is not None else None
    by_start = {row.period: row for row in frame.itertuples(index=False)}
    rows = []
    for period in periods:
        found = by_start.get(period.first)
        value = _number(found.value) if found is not None else None
        n = int(found.n) if found is not None else 0
        rows.append(
            {
                "period": period.label,
                "start": period.first,
                "value": value,
                "value_text": format_value(value, metric.format, locale=catalog.locale if catalog else DEFAULT_LOCALE),
                "n": n,
                "low_sample": n < metric.min_sample,
                "mature": is_mature(period, metric, as_of) and not (lag and end is not None and period.end + lag > end),
            }
        )
    return pd.DataFrame(rows, columns=["period", "start", "value", "value_text", "n", "low_sample", "mature"])


def has_data(frame: pd.DataFrame) -> bool:
    """True if any row counted something (a filter with no data gives zeros or nothing)."""
    return bool(len(frame)) and bool((frame["n"] > 0).any())


def breakdown_frame(
    frame: pd.DataFrame,
    dimension: str,
    metric: MetricBase,
    period: cal.Period,
    filters: Mapping[str, Sequence[str]] | None = None,
    *,
    catalog: Catalog,
    ready: Readiness | None = None,
) -> pd.DataFrame:
    """One row per value of the dimension over one period, best value first."""
    column = f"d_{dimension}"
    rows = []
    for row in frame.itertuples(index=False):
        group = getattr(row, column)
        value = _number(row.value)
        if _missing(group) or value is None:
            continue
        n = int(row.n)
        rows.append(
            {
                "group": str(group),
                "value": value,
                "value_text": format_value(value, metric.format, locale=catalog.locale if catalog else DEFAULT_LOCALE),
                "n": n,
                "low_sample": n < metric.min_sample,
                "status": status_for(
                    catalog, metric, value, n, period, {**(filters or {}), dimension: [str(group)]}, ready
                ),
            }
        )
    out = pd.DataFrame(rows, columns=["group", "value", "value_text", "n", "low_sample", "status"])
    return out.sort_values("value", ascending=metric.direction == "lower_is_better", kind="stable").reset_index(
        drop=True
    )


def ends_of(frame: pd.DataFrame, limit: int = 30) -> pd.DataFrame:
    """The first and last `limit // 2` rows of an ordered frame (best and worst), or all when it is short."""
    if len(frame) <= limit:
        return frame
    half = limit // 2
    return pd.concat([frame.head(half), frame.tail(half)])


def values_by(frame: pd.DataFrame, dimension: str) -> dict[str, tuple[float | None, int]]:
    """{dimension value: (value, n)} from a one-period frame grouped by that dimension."""
    column = f"d_{dimension}"
    return {
        str(group): (_number(value), int(n))
        for group, value, n in zip(frame[column], frame["value"], frame["n"], strict=True)
        if not _missing(group)
    }


def ranking_frame(ranking: Ranking) -> pd.DataFrame:
    """The forced ranking with, per rep, tenure, peers and the context values (columns named by context key).

    `note` is the rep's own reason (not tiered because the group is small is said once per group
    by the page, so it is left out here); `reason` keeps every reason for the detail view.
    """
    base = pd.DataFrame(
        [
            {
                "rank": r.rank,
                "rep": r.rep,
                "group": r.group,
                "attainment": r.value,
                "tier": r.tier,
                "percentile": r.percentile,
                "peers": r.peers or None,
                "tenure_months": r.tenure_months,
                "activity": r.activity,
                **{key: r.context.get(key) for key in ranking.context},
                "note": "" if r.tier == NOT_TIERED else r.reason or "",
                "reason": r.reason or "",
            }
            for r in ranking.rows
        ],
        columns=[
            "rank",
            "rep",
            "group",
            "attainment",
            "tier",
            "percentile",
            "peers",
            "tenure_months",
            "activity",
            *ranking.context,
            "note",
            "reason",
        ],
    )
    return base


def attainment_frame(
    ranking: Ranking, unit: str, group: str | None = None, limit: int = 60, *, locale: Locale
) -> pd.DataFrame:
    """Reps of one peer group (or all) for the attainment chart; the best and worst when there are many."""
    rows = [r for r in ranking.rows if r.value is not None and (group is None or r.group == group)]
    rows.sort(key=lambda r: -(r.value or 0.0))
    if len(rows) > limit:
        rows = rows[: limit // 2] + rows[-(limit // 2) :]
    return pd.DataFrame(
        [
            {
                "rep": r.rep,
                "group": r.group,
                "value": r.value,
                "value_text": format_value(r.value, unit, locale=locale),
                "tier": r.tier,
                "rank": r.rank,
            }
            for r in rows
        ],
        columns=["rep", "group", "value", "value_text", "tier", "rank"],
    )


def quality_frame(
    frames: Mapping[str, pd.DataFrame],
    dimension: str,
    catalog: Catalog,
    period: cal.Period,
    filters: Mapping[str, Sequence[str]] | None = None,
    ready: Readiness | None = None,
) -> pd.DataFrame:
    """One row per source or campaign; per metric its value, `_text`, `_status` and `_n` columns.

    Rows are ordered by the first metric (lead count), largest first.
    """
    groups: set[str] = set()
    values = {}
    for name, frame in frames.items():
        values[name] = values_by(frame, dimension)
        groups |= set(values[name])
    rows = []
    for group in groups:
        row: dict[str, object] = {"group": group}
        for name in frames:
            metric = catalog.metric(name)
            value, n = values[name].get(group, (None, 0))
            row[name] = value
            row[f"{name}_text"] = format_value(value, metric.format, locale=catalog.locale)
            row[f"{name}_status"] = status_for(
                catalog, metric, value, n, period, {**(filters or {}), dimension: [group]}, ready
            )
            row[f"{name}_n"] = n
        rows.append(row)
    columns = ["group"] + [f"{n}{suffix}" for n in frames for suffix in ("", "_text", "_status", "_n")]
    out = pd.DataFrame(rows, columns=columns)
    first = next(iter(frames), None)
    if first is not None and len(out):
        out = out.sort_values([first, "group"], ascending=[False, True], na_position="last")
    return out.reset_index(drop=True)


def cost_margin_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Campaigns with won deals and both a cost and a margin per won deal, for the break-even chart."""
    needed = ["cost_per_won_deal", "margin_per_won_deal", "cost_to_margin", "campaign_won_deals"]
    if frame.empty or any(c not in frame for c in needed):
        return pd.DataFrame(columns=["campaign", *needed[:3], "won_deals", "status"])
    kept = frame[
        frame["campaign_won_deals"].fillna(0).gt(0)
        & frame["cost_per_won_deal"].notna()
        & frame["margin_per_won_deal"].notna()
    ]
    return pd.DataFrame(
        {
            "campaign": kept["group"],
            "cost_per_won_deal": kept["cost_per_won_deal"],
            "margin_per_won_deal": kept["margin_per_won_deal"],
            "cost_to_margin": kept["cost_to_margin"],
            "won_deals": kept["campaign_won_deals"].astype(int),
            "status": kept["cost_to_margin_status"],
            "cost_per_won_deal_text": kept["cost_per_won_deal_text"],
            "margin_per_won_deal_text": kept["margin_per_won_deal_text"],
            "cost_to_margin_text": kept["cost_to_margin_text"],
        }
    ).reset_index(drop=True)


def outlook_frame(outlook: pd.DataFrame, unit: str = "percent", *, locale: Locale) -> pd.DataFrame:
    """projection.outlook with text columns for tables and tooltips; a projection reads as a
    range and is never given a status."""

    def text(value: object) -> str:
        return "" if _missing(value) else format_value(float(value), unit, locale=locale)  # type: ignore[arg-type]

    out = outlook.copy()
    out["first"] = pd.to_datetime(out["first"])
    out["so_far_young"] = [v if s == "projection" else None for v, s in zip(out["so_far"], out["state"], strict=True)]
    out["final_text"] = [text(v) for v in out["final"]]
    out["so_far_text"] = [text(v) for v in out["so_far"]]
    out["range_text"] = [
        "" if _missing(lo) or _missing(hi) else f"{text(lo)} to {text(hi)}"
        for lo, hi in zip(out["low"], out["high"], strict=True)
    ]
    out["early_text"] = [
        "" if _missing(v) else text(v) + ("" if done else " (so far)")
        for v, done in zip(out["early"], out["early_final"], strict=True)
    ]
    return out


def maturation_frame(curves: pd.DataFrame, dimension: str, *, locale: Locale) -> pd.DataFrame:
    """Maturation curves with a `group` column, a short unique `label` for the legend and the share as text."""
    column = f"d_{dimension}"
    out = pd.DataFrame(
        {
            "group": curves[column].astype(str) if column in curves else pd.Series(dtype=str),
            "weeks": curves["weeks"].astype(int),
            "share": curves["share"].astype(float),
            "members": curves["members"].astype(int),
        }
    )
    labels = short_names(sorted(set(out["group"])))
    out["label"] = [labels[g] for g in out["group"]]
    out["share_text"] = [format_value(v, "percent", locale=locale) for v in out["share"]]
    return out


# --- notes and what moved ---------------------------------------------------------------------------


def note_marks_frame(notes: Sequence[Note], periods: Sequence[cal.Period]) -> pd.DataFrame:
    """One row per period that carries notes: start, period (label), text (the notes, one per line)
    — the marks a trend chart draws. A note belongs to the period its week starts in."""
    rows = []
    for period in periods:
        inside = [n for n in notes if period.first <= n.week_start <= period.last]
        if inside:
            text = "\n".join(f"{n.text} ({n.author})" for n in inside)
            rows.append({"start": period.first, "period": period.label, "text": text})
    return pd.DataFrame(rows, columns=["start", "period", "text"])


def noted_positions(row: ScorecardRow, notes: Sequence[Note]) -> dict[int, str]:
    """Positions in a card's trend of the weeks that carry a note on its metric or on the whole week,
    each with those notes as plain text ('2026-W45: Berlin trade show landed (ana)'): the marks on
    the cards' sparklines and the rings on the one-page export."""
    out: dict[int, str] = {}
    for i, point in enumerate(row.trend):
        here = [n for n in notes if n.week == point.week and n.metric in (None, row.metric)]
        if here:
            out[i] = f"{point.week}: " + " | ".join(f"{n.text} ({n.author})" for n in here)
    return out


def note_line(note: Note, catalog: Catalog | None = None) -> str:
    """'Win rate: Berlin trade show landed — ana, 30 Nov 09:12' (plain text)."""
    about = ""
    if note.metric is not None:
        known = catalog is not None and note.metric in catalog.metrics
        about = (catalog.metrics[note.metric].label if catalog is not None and known else note.metric) + ": "
    return f"{about}{note.text} — {note.author}, {note.created_at:%d %b %H:%M} UTC"


def moved_frame(movement: Movement) -> pd.DataFrame:
    """The "What moved" table: the slices' values before and after, their shares, mix, rate and total."""
    return slices_frame(movement)


# --- names and tables that fit their frame ------------------------------------------------------------


def short_names(names: Sequence[str], limit: int = 30) -> dict[str, str]:
    """Each name cut to about `limit` characters with "…" in the middle, the cut names still all different.

    "Paid search: revenue analytics (NA) Q3 2025" keeps its start and its end
    ("Paid search: reve…(NA) Q3 2025"), so four such campaigns never read the same.
    """
    unique = list(dict.fromkeys(names))
    longest = max((len(n) for n in unique), default=0)
    for width in range(limit, longest + 1):
        cut = {name: _cut(name, width) for name in unique}
        if len(set(cut.values())) == len(unique):
            return cut
    return {name: name for name in unique}


def _cut(name: str, width: int) -> str:
    if len(name) <= width:
        return name
    tail = max(8, (width * 2) // 5)
    start = len(name) - tail
    space = name.rfind(" ", start - 6, start + 1)  # begin the end part at a word when one is near
    if space > 0:
        start = space + 1
    head = max(1, width - 1 - (len(name) - start))
    return name[:head].rstrip() + "…" + name[start:]


TableColumn = tuple[str, str, str | None]
"""(column of the frame, heading, unit of `formatting.format_value`, or None for text)."""


def table_frame(frame: pd.DataFrame, columns: Sequence[TableColumn]) -> pd.DataFrame:
    """The columns to show under their headings: numbers stay numbers (so they sort), text is text.

    A missing text value becomes "–"; missing numbers stay missing and `table_styler` writes "–".
    """
    shown = pd.DataFrame(index=frame.index)
    for column, label, unit in columns:
        if column not in frame:
            continue
        values = frame[column]
        if unit is None:
            shown[label] = [MISSING if is_missing(v) else str(v) for v in values]
        else:
            shown[label] = pd.to_numeric(values, errors="coerce").astype("float64")
    return shown


def table_styler(frame: pd.DataFrame, columns: Sequence[TableColumn], *, locale: Locale) -> Any:
    """`table_frame` with every number written by `format_value` in the catalog's locale (a pandas Styler).

    The cells read exactly like the cards, the CLI and the exports; sorting still sorts numbers.
    """
    shown = table_frame(frame, columns)
    formats = {
        label: (lambda value, unit=unit: format_value(value, unit, locale=locale))
        for column, label, unit in columns
        if unit is not None and label in shown
    }
    return shown.style.format(formats, na_rep=MISSING)  # type: ignore[arg-type]


def freshness_frame(tables: Sequence[Any], now: dt.datetime | None = None) -> pd.DataFrame:
    """One row per table: its rows and its newest time stamp, with the column it comes from.

    `tables` are `ingest.TableFreshness` (table, rows, latest: {column: value}). Dates after
    `now` (a campaign's planned end, next quarter's quota) are plans, not news, and are passed
    over while the table has a stamp in the past. A table without time stamps shows "–".
    """
    cutoff = (now or dt.datetime.now(dt.UTC)).replace(tzinfo=None)
    rows = []
    for item in tables:
        known = {c: v for c, v in item.latest.items() if not is_missing(v)}
        past = {c: v for c, v in known.items() if _sortable(v) <= cutoff} or known
        column, newest = max(past.items(), key=lambda kv: _sortable(kv[1]), default=(None, None))
        rows.append(
            {
                "table": item.table,
                "rows": item.rows,
                "latest": MISSING if newest is None else stamp_text(newest),
                "from": MISSING if column is None else column,
            }
        )
    return pd.DataFrame(rows, columns=["table", "rows", "latest", "from"])


def _sortable(value: object) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=None)
    if isinstance(value, dt.date):
        return dt.datetime.combine(value, dt.time())
    return dt.datetime.min


def stamp_text(value: object) -> str:
    """A time stamp to the minute (2026-11-30 21:46), a date as ISO, anything else as text."""
    if isinstance(value, dt.datetime):
        return f"{value:%Y-%m-%d %H:%M}"
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def readiness_frames(report: Readiness) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(metrics, fill) for the Data page: each metric ready or not with what it needs, and per
    table and column the share of rows that have a value (the chart of what the data holds)."""
    metrics = pd.DataFrame(
        [
            {
                "metric": m.label,
                "ready": "ready" if m.ready else "not ready",
                "needs": "; ".join(m.reasons),
                "scorecard": m.scorecard,
            }
            for m in report.metrics.values()
        ],
        columns=["metric", "ready", "needs", "scorecard"],
    )
    fill = pd.DataFrame(
        [
            {
                "table": t.table,
                "column": c.column,
                "share": (c.filled / t.rows) if t.rows else 0.0,
                "filled": c.filled,
                "rows": t.rows,
            }
            for t in report.tables.values()
            for c in t.columns
        ],
        columns=["table", "column", "share", "filled", "rows"],
    )
    return metrics, fill
