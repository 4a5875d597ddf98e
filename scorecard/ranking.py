"""Forced ranking of reps: rank within a peer group on a metric, with tiers and a tie rule.

The ranked metric (e.g. quota attainment) and the minimum-activity metric are each
one statement grouped by rep and peer group; ranking the finished rows (one per rep)
happens here. A period still in progress is cut at today, so attainment is measured
against the quota of the days that have passed.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pandas as pd

from scorecard import periods as cal
from scorecard.catalog import Catalog
from scorecard.compiler import CompileError, Query
from scorecard.db import Database
from scorecard.definitions import RankMetric, Tier, TieRule
from scorecard.engine import Runner

NOT_RANKED = "not ranked"
METRIC_GROUP = "<the metric's group>"
"""Default peer group: the one the rank metric declares."""


@dataclass(frozen=True)
class RankedRep:
    rep: str
    group: str
    value: float | None
    rank: float | None
    percentile: float | None
    tier: str
    activity: float | None
    reason: str | None = None


@dataclass(frozen=True)
class Ranking:
    metric: str
    of: str
    period: cal.Period
    group_by: str | None
    rows: tuple[RankedRep, ...]
    notes: tuple[str, ...] = ()
    """What the ranking had to do without: a fallback metric, a minimum activity not applied."""

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame(
            [
                {
                    "rep": r.rep,
                    "group": r.group,
                    "attainment" if self.of == "quota_attainment" else self.of: r.value,
                    "rank": r.rank,
                    "percentile": r.percentile,
                    "tier": r.tier,
                    "activity": r.activity,
                    "reason": r.reason,
                }
                for r in self.rows
            ]
        )


def rank_values(values: Sequence[float], higher_is_better: bool, ties: TieRule) -> list[float]:
    """Ranks (1 = best) of values under a tie rule: min 1,2,2,4; dense 1,2,2,3; average 1,2.5,2.5,4."""
    order = sorted(set(values), reverse=higher_is_better)
    ranks: list[float] = []
    for value in values:
        better = sum(1 for v in values if (v > value if higher_is_better else v < value))
        equal = sum(1 for v in values if v == value)
        if ties == "min":
            ranks.append(float(better + 1))
        elif ties == "dense":
            ranks.append(float(order.index(value) + 1))
        else:
            ranks.append(better + (equal + 1) / 2)
    return ranks


def tier_sizes(tiers: Sequence[Tier], count: int) -> list[int]:
    """How many reps each tier holds: cumulative shares of `count`, rounded half up."""
    sizes: list[int] = []
    cumulative = 0.0
    placed = 0
    for i, tier in enumerate(tiers):
        cumulative += tier.share
        edge = count if i == len(tiers) - 1 else min(count, math.floor(cumulative * count + 0.5))
        sizes.append(edge - placed)
        placed = edge
    return sizes


def assign_tiers(sorted_values: Sequence[float], tiers: Sequence[Tier]) -> list[str]:
    """Tier per position (best first); tied values share the better tier."""
    sizes = tier_sizes(tiers, len(sorted_values))
    names: list[str] = []
    for tier, size in zip(tiers, sizes, strict=True):
        names += [tier.name] * size
    for i in range(1, len(sorted_values)):
        if sorted_values[i] == sorted_values[i - 1]:
            names[i] = names[i - 1]
    return names


def forced_ranking(
    db: Database,
    catalog: Catalog,
    period: cal.Period,
    metric: str | None = None,
    group: str | None = METRIC_GROUP,
    filters: Mapping[str, Sequence[str]] | None = None,
    today: dt.date | None = None,
    runner: Runner | None = None,
) -> Ranking:
    """Rank reps on the rank metric's `of` within peer groups for a period."""
    rank_metric = _rank_metric(catalog, metric)
    group_dim = rank_metric.group if group == METRIC_GROUP else group
    if group_dim is not None and group_dim not in catalog.dimensions:
        raise CompileError(f"unknown peer group {group_dim!r}; dimensions: {', '.join(catalog.dimensions)}")
    runner = runner or Runner(db, catalog)
    today = today or cal.today(catalog.calendar)
    if period.first <= today <= period.last:
        period = cal.make_period(catalog.calendar, period.first, today, period.grain, period.label + " to date")
    dims = [rank_metric.by] + ([group_dim] if group_dim and group_dim != rank_metric.by else [])
    query = Query.build((period,), group_by=dims, filters=filters, as_of=period.end)
    notes: list[str] = []
    ranked_on, values = _first_with_values(runner, rank_metric, query)
    if ranked_on != rank_metric.of:
        skipped = ", ".join(
            catalog.metric(m).label.lower() for m in rank_metric.candidates[: rank_metric.candidates.index(ranked_on)]
        )
        notes.append(
            f"ranked on {catalog.metric(ranked_on).label.lower()}: no rep has a value of {skipped} in {period.label}"
        )
    minimum = rank_metric.min_activity
    activity: dict[str, float] = {}
    if minimum:
        act = runner.run(minimum.metric, Query.build((period,), group_by=[rank_metric.by], filters=filters))
        activity = {
            str(r): float(v)
            for r, v in zip(act[f"d_{rank_metric.by}"], act["value"], strict=True)
            if r is not None and not pd.isna(v)
        }
        if not any(activity.values()):  # nothing logged at all: the data has no activity, not idle reps
            notes.append(
                f"no {catalog.metric(minimum.metric).label.lower()} in {period.label}, so the minimum of "
                f"{minimum.at_least:g} is not applied"
            )
            minimum = None
    direction_high = catalog.metric(ranked_on).direction == "higher_is_better"
    no_value = "no value (no quota?)" if ranked_on == "quota_attainment" else "no value"
    rows: list[RankedRep] = []
    by_col = f"d_{rank_metric.by}"
    group_col = f"d_{group_dim}" if group_dim else None
    frame = values[values[by_col].notna()].copy()
    frame["group"] = frame[group_col].fillna("(none)").astype(str) if group_col else "all"
    for group_name, members in frame.groupby("group", sort=True):
        eligible: list[tuple[str, float]] = []
        for rep, value in zip(members[by_col], members["value"], strict=True):
            rep_name = str(rep)
            acts = activity.get(rep_name, 0.0) if minimum else None
            if value is None or pd.isna(value):
                rows.append(RankedRep(rep_name, str(group_name), None, None, None, NOT_RANKED, acts, no_value))
            elif minimum and (acts or 0.0) < minimum.at_least:
                rows.append(
                    RankedRep(
                        rep_name,
                        str(group_name),
                        float(value),
                        None,
                        None,
                        NOT_RANKED,
                        acts,
                        f"below minimum activity ({acts:g} < {minimum.at_least:g})",
                    )
                )
            else:
                eligible.append((rep_name, float(value)))
        eligible.sort(key=lambda item: (-item[1] if direction_high else item[1], item[0]))
        vals = [v for _, v in eligible]
        ranks = rank_values(vals, direction_high, rank_metric.ties)
        tiers = assign_tiers(vals, rank_metric.tiers)
        for (rep_name, value), rank, tier in zip(eligible, ranks, tiers, strict=True):
            worse = sum(1 for v in vals if (v < value if direction_high else v > value))
            percentile = worse / (len(vals) - 1) if len(vals) > 1 else 1.0
            rows.append(
                RankedRep(
                    rep_name,
                    str(group_name),
                    value,
                    rank,
                    percentile,
                    tier,
                    activity.get(rep_name) if minimum else None,
                )
            )
    rows.sort(key=lambda r: (r.group, r.rank is None, r.rank or 0, r.rep))
    return Ranking(rank_metric.name, ranked_on, period, group_dim, tuple(rows), tuple(notes))


def _first_with_values(runner: Runner, rank_metric: RankMetric, query: Query) -> tuple[str, pd.DataFrame]:
    """The first of the rank metric's candidates that gives some rep a value (else the first)."""
    first: tuple[str, pd.DataFrame] | None = None
    for name in rank_metric.candidates:
        values = runner.run(name, query)
        if first is None:
            first = (name, values)
        if values["value"].notna().any():
            return name, values
    assert first is not None
    return first


def _rank_metric(catalog: Catalog, name: str | None) -> RankMetric:
    if name is None:
        found = [m for m in catalog.metrics.values() if isinstance(m, RankMetric)]
        if not found:
            raise CompileError("the catalog has no metric of type rank")
        return found[0]
    metric = catalog.metric(name)
    if not isinstance(metric, RankMetric):
        raise CompileError(f"metric {name} is not a ranking (type rank)")
    return metric
