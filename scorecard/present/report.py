"""Plain-text and CSV renderings of the scorecard and the ranking (terminal, exports)."""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence

from scorecard.catalog.load import Catalog
from scorecard.judge.drivers import Movement, drivers_line
from scorecard.judge.ranking import Ranking
from scorecard.judge.readiness import Readiness, fill_text
from scorecard.judge.weekly import REPORT_FIELDS, Scorecard, ScorecardRow
from scorecard.language.formatting import format_delta, format_value
from scorecard.language.settings import Locale
from scorecard.store.cells import safe_text
from scorecard.store.notes import Note

SECTIONS = {
    "handover": "What marketing hands over",
    "sales": "What sales does with it",
    "shared": "What both own",
}
_BLOCKS = "▁▂▃▄▅▆▇█"


def sparkline(values: list[float | None]) -> str:
    """A one-line trend: ▁▂▅█, a space where a week has no value."""
    known = [v for v in values if v is not None]
    if not known:
        return ""
    low, high = min(known), max(known)
    span = high - low or 1.0
    return "".join(" " if v is None else _BLOCKS[round((v - low) / span * (len(_BLOCKS) - 1))] for v in values)


def _owners(owners: tuple[str, ...]) -> str:
    return "both" if set(owners) == {"sales", "marketing"} else "/".join(owners)


def scorecard_table(card: Scorecard, *, locale: Locale) -> str:
    """The scorecard as an aligned text table grouped by section, money in the catalog's currency."""
    filters = ", ".join(f"{k}={'|'.join(v)}" for k, v in card.filters.items()) or "none"
    lines = [f"Scorecard for week {card.week.label} ({card.week.first} to {card.week.last}); filters: {filters}", ""]
    header = ("Metric", "Value", "Prev", "Change", "Target", "Status", "n", "Owners", "Trend")
    for section, title in SECTIONS.items():
        rows = [r for r in card.rows if r.section == section]
        if not rows:
            continue
        table = [header]
        for r in rows:
            label = r.label + (
                f" [cohort {r.cohort}]" if r.cohort else f" [{r.period}]" if r.settled or r.window != "week" else ""
            )
            table.append(
                (
                    label,
                    format_value(r.value, r.format, locale=locale),
                    format_value(r.previous, r.format, locale=locale),
                    format_delta(r.delta, r.format, locale=locale) + ("" if r.significant or r.delta is None else " ~"),
                    format_value(r.target, r.format, locale=locale) if r.target is not None else "",
                    r.verdict,
                    str(r.n),
                    _owners(r.owners),
                    sparkline([p.value for p in r.trend]),
                )
            )
            projected = r.projection
            if projected is not None and projected.low is not None and projected.high is not None:
                table.append(
                    (
                        f"  projected [cohort {projected.cohort}, {projected.age_weeks} wk old]",
                        "–".join(format_value(v, r.format, locale=locale) for v in (projected.low, projected.high)),
                        "",
                        "",
                        "",
                        "projection",
                        str(projected.members),
                        "",
                        "",
                    )  # fmt: skip
                )
        widths = [max(len(row[i]) for row in table) for i in range(len(header))]
        lines.append(title)
        for i, row in enumerate(table):
            cells = [row[0].ljust(widths[0])] + [
                c.rjust(w) if 0 < j < 7 else c.ljust(w) for j, (c, w) in enumerate(zip(row, widths, strict=True)) if j
            ]
            lines.append("  " + "  ".join(cells).rstrip())
            if i == 0:
                lines.append("  " + "  ".join("-" * w for w in widths))
        lines.append("")
    if any(r.delta is not None and not r.significant for r in card.rows):
        lines.append("~ within noise: a change no larger than chance gives at this volume (not coloured)")
    for r in card.rows:
        if not r.judgeable and r.reason:
            lines.append(f"not judged: {r.label}: {r.reason}")
        elif r.within_noise and r.reason:
            lines.append(f"{r.label}: {r.reason}")
    for r in card.rows:
        for e in r.exceptions:
            value = format_value(e.value, r.format, locale=locale)
            lines.append(f"exception: {r.label} is {r.verdict} overall, but {e.slice} reads {value}, off target "
                         f"(n = {e.n:,})")  # fmt: skip
    for r in card.rows:
        if r.whole is not None:
            lines.append(f"{r.label}: {whole_text(r, locale=locale)}")
    for r in card.rows:
        if r.projection is not None and r.projection.mid is not None:
            lines.append(f"projection: {r.label}: {r.projection.reason(r.format, locale=locale)}")
    for r in card.rows:
        if r.settled and r.provisional is not None:
            lines.append(
                f"provisional: {r.label} for {r.week} reads "
                f"{format_value(r.provisional, r.format, locale=locale)} so far; "
                f"it can still change, so the scorecard judges {r.settled}, the latest settled week"
            )
    return "\n".join(lines).rstrip() + "\n"


def whole_text(row: ScorecardRow, *, locale: Locale) -> str:
    """A to-date ratio over a plan, said both ways: "pace 119% (judged); 87% of 2026-Q4's quota, 73%
    of the quarter gone"."""
    if row.whole is None:
        return ""
    pace = format_value(row.value, row.format, locale=locale)
    whole = format_value(row.whole.value, row.format, locale=locale)
    return (
        f"pace {pace} (to date against the quota of the days passed; judged); {whole} of {row.whole.period}'s "
        f"quota, with {row.whole.elapsed:.0%} of it gone"
    )


CSV_FIELDS: tuple[str, ...] = tuple(
    field
    for key in REPORT_FIELDS
    for field in {
        "change": ("change_low", "change_high", "change_significant", "change_method"),
        "interval": ("interval_low", "interval_high"),
        "whole": ("whole_value", "whole_period"),
    }.get(key, (key,))
)
"""The CSV's columns: the JSON fields, with change, interval and whole spread over flat columns
(`delta` is the change itself); exceptions as "slice:value:status" joined by "|"."""


def scorecard_csv(card: Scorecard, notes: Sequence[Note] | None = None) -> str:
    """One row per metric with the JSON report's fields (CSV_FIELDS); owners joined by "|", the
    trend as semicolon-separated weekly values, oldest first. With `notes`, a last column `notes`:
    the texts of the notes on the metric's week and on the whole week, joined by " | "."""
    buffer = io.StringIO()
    texts = [str(v) for row in card.rows for v in row.as_json().values() if isinstance(v, str)]
    texts += [n.text for n in notes or ()]
    writer = csv.DictWriter(
        buffer,
        fieldnames=[*CSV_FIELDS, "notes"] if notes is not None else list(CSV_FIELDS),
        lineterminator="\n",
        quoting=csv.QUOTE_ALL if any("\r" in t for t in texts) else csv.QUOTE_MINIMAL,  # 3.11 leaves \r bare
    )
    writer.writeheader()
    for row in card.rows:
        data = row.as_json()
        change, interval, whole = data.pop("change"), data.pop("interval"), data.pop("whole")
        data.update(
            change_low=_num(change["low"]) if change else "",
            change_high=_num(change["high"]) if change else "",
            change_significant=str(change["significant"]).lower() if change else "",
            change_method=change["method"] if change else "",
            interval_low=_num(interval[0]) if interval else "",
            interval_high=_num(interval[1]) if interval else "",
            whole_value=_num(whole["value"]) if whole else "",
            whole_period=whole["period"] if whole else "",
            events=_num(row.events),
            exceptions="|".join(f"{e.slice}:{_num(e.value)}:{e.status}" for e in row.exceptions),
        )
        data.update(
            {key: _num(data[key]) for key in ("value", "previous", "delta", "target")},
            low_sample=str(row.low_sample).lower(),
            judgeable=str(row.judgeable).lower(),
            flags="|".join(row.flags),
            provisional=_num(row.provisional),
            owners="|".join(row.owners),
            contributors="|".join(row.contributors),
            trend=";".join(_num(p.value) for p in row.trend),
            projection=(
                f"{row.projection.cohort}:{_num(row.projection.low)}..{_num(row.projection.high)}"
                if row.projection and row.projection.mid is not None
                else ""
            ),
        )
        if notes is not None:
            data["notes"] = " | ".join(n.text for n in row_notes(notes, row.metric, card.week.label))
        numeric = ("value", "previous", "delta", "target", "trend", "n", "change_low", "change_high", "interval_low",
                   "interval_high", "whole_value", "events")  # fmt: skip
        writer.writerow(
            {key: "" if value is None else value if key in numeric else safe_text(value) for key, value in data.items()}
        )
    return buffer.getvalue()


def _num(value: float | None) -> str:
    return "" if value is None else f"{value:.6g}"


def ranking_table(ranking: Ranking, catalog: Catalog) -> str:
    """The forced ranking as an aligned text table, one block per peer group."""
    unit = catalog.metric(ranking.of).format
    lines = [
        f"Forced ranking on {catalog.metric(ranking.of).label} for {ranking.period.label}"
        f" ({ranking.period.first} to {ranking.period.last}), peer group: {ranking.group_by or 'everyone'}",
        *(f"Note: {note}" for note in ranking.notes),
        "",
    ]
    header = ("Rep", "Group", "Value", "Rank", "Percentile", "Tier", "Tenure", "Note")
    table = [header]
    for r in ranking.rows:
        table.append(
            (
                r.rep,
                r.group,
                format_value(r.value, unit, locale=catalog.locale),
                "" if r.rank is None else f"{r.rank:g}",
                "" if r.percentile is None else f"{r.percentile * 100:.0f}%",
                r.tier,
                "" if r.tenure_months is None else f"{r.tenure_months} mo",
                r.reason or "",
            )
        )
    widths = [max(len(row[i]) for row in table) for i in range(len(header))]
    for i, row in enumerate(table):
        lines.append(
            "  ".join(
                c.rjust(w) if j in (2, 3, 4, 6) else c.ljust(w)
                for j, (c, w) in enumerate(zip(row, widths, strict=True))
            ).rstrip()
        )
        if i == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines) + "\n"


def movers_table(card: Scorecard, movements: Mapping[str, Mapping[str, Movement]], *, locale: Locale) -> str:
    """'What moved': per metric that changed, the change and its two biggest drivers per dimension."""
    lines = []
    quiet = 0
    for row in card.rows:
        if row.delta and not row.significant and movements.get(row.metric):
            quiet += 1
            continue
        for movement in movements.get(row.metric, {}).values():
            if movement.change is None or movement.change == 0:
                continue
            text = drivers_line(movement, row.format, locale=locale)
            if movement.reason and movement.method == "none":
                text += " (not broken down: " + movement.reason + ")"
            lines.append(f"  {row.label} by {movement.dimension}: {text}")
    if quiet:
        lines.append(f"  ({quiet} other change{'s are' if quiet != 1 else ' is'} within noise, so not broken down)")
    if not lines:
        return ""
    return "What moved since the week before (changes larger than their noise)\n" + "\n".join(lines) + "\n"


def row_notes(notes: Sequence[Note], metric: str, week: str) -> list[Note]:
    """The notes a scorecard row carries: on its metric in that week, then those on the whole week."""
    mine = [n for n in notes if n.week == week and n.metric == metric]
    return mine + [n for n in notes if n.week == week and n.metric is None]


def notes_text(card: Scorecard, notes: Sequence[Note]) -> str:
    """'Notes on 2026-W48' with one line per note of the week shown (week notes first)."""
    labels = {r.metric: r.label for r in card.rows}
    shown = [n for n in notes if n.week == card.week.label]
    if not shown:
        return ""
    shown.sort(key=lambda n: (n.metric is not None, labels.get(n.metric or "", n.metric or ""), n.created_at))
    lines = [f"Notes on {card.week.label}"]
    for note in shown:
        about = "whole week" if note.metric is None else labels.get(note.metric, note.metric)
        lines.append(f"  {about}: {note.line()}")
    return "\n".join(lines) + "\n"


def readiness_table(report: Readiness) -> str:
    """`doctor`: per metric ready or not (and why), per table its rows, time range and fill."""
    lines = [report.summary().capitalize() + ".", ""]
    notice = report.example_notice()
    if notice:
        lines += [f"Targets: {notice}", "  " + ", ".join(report.example_targets), ""]
    width = max((len(m.label) for m in report.metrics.values()), default=10)
    lines.append("Metrics")
    for m in report.metrics.values():
        state = "ready" if m.ready else "NOT READY"
        extra = "" if m.scorecard else "  (not on the scorecard)"
        lines.append(f"  {m.label.ljust(width)}  {state}{extra}")
        for reason in m.reasons:
            lines.append(f"  {'':{width}}    - {reason}")
    if report.cycles:
        lines += ["", "Cohort windows against the real cycle in this data"]
        lines += [f"  {c.text()}" for c in report.cycles]
    lines += ["", "Tables (columns the catalog reads: share of rows filled)"]
    for t in report.tables.values():
        span = f"{t.first:%Y-%m-%d} to {t.last:%Y-%m-%d}" if t.first and t.last else "no dates"
        lines.append(f"  {t.table:<14}{t.rows:>12,} rows  {span}")
        for c in t.columns:
            lines.append(f"      {c.column:<18}{fill_text(t, c):>7}")
    if report.data_end:
        lines += ["", f"Data ends {report.data_end:%Y-%m-%d %H:%M} (UTC); later events can still change recent weeks."]
    return "\n".join(lines).rstrip() + "\n"
