"""What a proposed catalog would do before it is saved: which metrics change, and their numbers.

For each metric whose definition differs (and each metric that depends on one: derived
formulas, rankings and their minimum-activity metric), the scorecard's trend weeks under the current
and the proposed definition, side by side, through the same scorecard the dashboard shows,
and whether the week's colour (green, amber, red) would change.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import pandas as pd

from scorecard.catalog.load import Catalog
from scorecard.engine.runner import MetricError
from scorecard.judge import weekly
from scorecard.language import periods as cal
from scorecard.language.definitions import DerivedMetric, MetricBase, RankMetric
from scorecard.sql.resolve import CompileError
from scorecard.store.db import Database

Reason = Literal["changed", "added", "removed", "depends"]


@dataclass(frozen=True)
class Changes:
    """Metric names that differ between two catalogs, and the metrics that depend on them."""

    added: tuple[str, ...]
    removed: tuple[str, ...]
    changed: tuple[str, ...]
    affected: Mapping[str, tuple[str, ...]]
    """dependent metric -> the changed metrics it depends on (directly or through others)."""

    @property
    def any(self) -> bool:
        return bool(self.added or self.removed or self.changed)


def uses(metric: MetricBase) -> tuple[str, ...]:
    """The metrics a metric reads: a formula's components, a ranking's metric and activity cutoff."""
    if isinstance(metric, DerivedMetric):
        return metric.components
    if isinstance(metric, RankMetric):
        return (metric.of, *([metric.min_activity.metric] if metric.min_activity else []))
    return ()


def dependents(catalog: Catalog, names: Sequence[str]) -> dict[str, tuple[str, ...]]:
    """Every metric that reads one of `names`, directly or through others, with the names it reaches."""
    reached: dict[str, set[str]] = {}
    frontier = {name: {name} for name in names}
    while frontier:
        following: dict[str, set[str]] = {}
        for name, metric in catalog.metrics.items():
            for used in uses(metric):
                if used in frontier and name not in names:
                    reached.setdefault(name, set())
                    if not frontier[used] <= reached[name]:
                        reached[name] |= frontier[used]
                        following.setdefault(name, set()).update(frontier[used])
        frontier = following
    return {name: tuple(sorted(reached[name])) for name in catalog.metrics if name in reached}


def changes(before: Catalog, after: Catalog) -> Changes:
    added = tuple(n for n in after.metrics if n not in before.metrics)
    removed = tuple(n for n in before.metrics if n not in after.metrics)
    changed = tuple(n for n in after.metrics if n in before.metrics and after.metrics[n] != before.metrics[n])
    affected = dependents(after, [*changed, *added])
    return Changes(added, removed, changed, affected)


@dataclass(frozen=True)
class MetricPreview:
    """One metric under the current and the proposed definition, over the same weeks."""

    metric: str
    label: str
    format: str
    reason: Reason
    because: tuple[str, ...]
    weeks: tuple[str, ...]
    current: tuple[float | None, ...]
    proposed: tuple[float | None, ...]
    status_before: weekly.Status
    status_after: weekly.Status
    note: str = ""
    colours_before: tuple[weekly.Status, ...] = ()
    colours_after: tuple[weekly.Status, ...] = ()
    """The colour each week would get against the targets of each definition."""

    @property
    def colour_changes(self) -> bool:
        return self.status_before != self.status_after

    def frame(self) -> pd.DataFrame:
        """week, current, proposed, difference: the side-by-side table."""
        frame = pd.DataFrame(
            {"week": list(self.weeks), "current": list(self.current), "proposed": list(self.proposed)}, dtype=object
        )
        for column in ("current", "proposed"):
            frame[column] = pd.to_numeric(frame[column], errors="coerce").astype("float64")
        frame["difference"] = frame["proposed"] - frame["current"]
        if self.colours_before or self.colours_after:
            frame["colour now"] = list(self.colours_before) or ["none"] * len(frame)
            frame["colour proposed"] = list(self.colours_after) or ["none"] * len(frame)
        return frame

    @property
    def weeks_changing_colour(self) -> tuple[str, ...]:
        return tuple(w for w, a, b in zip(self.weeks, self.colours_before, self.colours_after, strict=False) if a != b)


def preview(
    db: Database,
    before: Catalog,
    after: Catalog,
    week: cal.Period,
    filters: Mapping[str, Sequence[str]] | None = None,
) -> list[MetricPreview]:
    """The changed, added, removed and depending metrics, each for the scorecard's trend weeks ending `week`."""
    found = changes(before, after)
    wanted: list[tuple[str, Reason, tuple[str, ...]]] = [
        *[(n, "changed", ()) for n in found.changed],
        *[(n, "added", ()) for n in found.added],
        *[(n, "removed", ()) for n in found.removed],
        *[(n, "depends", why) for n, why in found.affected.items()],
    ]
    out = []
    for name, reason, because in wanted:
        old = _row(db, before, name, week, filters)
        new = _row(db, after, name, week, filters)
        metric = after.metrics.get(name) or before.metrics[name]
        if isinstance(metric, RankMetric):
            note = "a ranking: compare it on the Forced ranking page after saving"
            out.append(
                MetricPreview(name, metric.label, metric.format, reason, because, (), (), (), "none", "none", note)
            )
            continue
        rows = [r for r in (old, new) if isinstance(r, weekly.ScorecardRow)]
        weeks = tuple(sorted({p.week for r in rows for p in r.trend}))  # cohorts move when their window does
        notes = [f"{side}: {r}" for side, r in (("current", old), ("proposed", new)) if isinstance(r, str)]
        notes += [f"{side}: {r.note}" for side, r in (("current", old), ("proposed", new))
                  if isinstance(r, weekly.ScorecardRow) and r.note]  # fmt: skip
        current, proposed = _values(old, weeks), _values(new, weeks)
        out.append(
            MetricPreview(
                metric=name,
                label=metric.label,
                format=metric.format,
                reason=reason,
                because=because,
                weeks=weeks,
                current=current,
                proposed=proposed,
                status_before=old.status if isinstance(old, weekly.ScorecardRow) else "none",
                status_after=new.status if isinstance(new, weekly.ScorecardRow) else "none",
                note="; ".join(notes),
                colours_before=_colours(before, name, weeks, current, filters),
                colours_after=_colours(after, name, weeks, proposed, filters),
            )
        )
    return out


def _colours(
    catalog: Catalog,
    name: str,
    weeks: tuple[str, ...],
    values: tuple[float | None, ...],
    filters: Mapping[str, Sequence[str]] | None,
) -> tuple[weekly.Status, ...]:
    metric = catalog.metrics.get(name)
    if metric is None:
        return tuple("none" for _ in weeks)
    kept = {k: tuple(v) for k, v in (filters or {}).items() if v}
    return tuple(
        weekly.status_of(value, weekly.target_for(metric.target, cal.parse_week(catalog.calendar, w), kept),
                         metric.direction)
        for w, value in zip(weeks, values, strict=True)
    )  # fmt: skip


def _row(
    db: Database, catalog: Catalog, name: str, week: cal.Period, filters: Mapping[str, Sequence[str]] | None
) -> weekly.ScorecardRow | str | None:
    """The metric's scorecard row in this catalog, None if absent, or why it cannot be computed."""
    metric = catalog.metrics.get(name)
    if metric is None or isinstance(metric, RankMetric):
        return None
    try:
        return weekly.build(db, catalog, week, filters, metrics=[name]).rows[0]
    except (MetricError, CompileError) as exc:
        return str(exc)


def _values(row: weekly.ScorecardRow | str | None, weeks: tuple[str, ...]) -> tuple[float | None, ...]:
    if not isinstance(row, weekly.ScorecardRow):
        return tuple(None for _ in weeks)
    by_week = {p.week: p.value for p in row.trend}
    return tuple(by_week.get(w) for w in weeks)
