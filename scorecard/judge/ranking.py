"""Forced ranking of reps: rank within a peer group on a metric, with tiers and a tie rule.

The ranked metric (e.g. quota attainment) and the minimum-activity metric are each
one statement grouped by rep and peer group; ranking the finished rows (one per rep)
happens here. A period still in progress is cut at today, so attainment is measured
against the quota of the days that have passed.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pandas as pd

from scorecard.catalog.load import Catalog
from scorecard.engine.runner import Runner, zero_when_empty
from scorecard.language import periods as cal
from scorecard.language import words
from scorecard.language.definitions import CohortMetric, RankMetric, Tier, TieRule
from scorecard.sql.compiler import Compiler
from scorecard.sql.query import Query
from scorecard.sql.resolve import CompileError
from scorecard.store.db import Database

NOT_RANKED = "not ranked"
NOT_TIERED = "not tiered"
"""Ranked within a peer group too small to force tiers on (see the rank metric's small_groups)."""
METRIC_GROUP = "<the metric's group>"
"""Default peer group: the one the rank metric declares."""
NO_VALUE = "(none)"


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
    tenure_months: int | None = None
    new_rep: bool = False
    """Hired less than the rank metric's min_tenure_months before the period's end: flagged, not ranked."""
    peers: int = 0
    """How many eligible reps the rep was ranked among (0: not ranked)."""
    context: Mapping[str, float | None] = field(default_factory=dict)
    """The rank metric's context values for this rep (key -> value), e.g. deals_closed, lead_to_close."""


@dataclass(frozen=True)
class Ranking:
    metric: str
    of: str
    period: cal.Period
    group_by: str | None
    rows: tuple[RankedRep, ...]
    notes: tuple[str, ...] = ()
    """What the ranking had to do without: a fallback metric, a minimum activity not applied."""
    context: Mapping[str, str] = field(default_factory=dict)
    """Context key -> metric name, for the context values actually computed (in the metric's order)."""
    provisional: tuple[str, ...] = ()
    """Context keys whose cohort has not had its full window by today (lead-to-close so far, not final)."""

    @property
    def value_key(self) -> str:
        return "attainment" if self.of == "quota_attainment" else self.of

    def frame(self) -> pd.DataFrame:
        """One row per rep: rank, tier, tenure, peers and every context value (the JSON/CSV export)."""
        return pd.DataFrame(
            [
                {
                    "rep": r.rep,
                    "group": r.group,
                    self.value_key: r.value,
                    "rank": r.rank,
                    "percentile": r.percentile,
                    "tier": r.tier,
                    "peers": r.peers,
                    "tenure_months": r.tenure_months,
                    "new_rep": r.new_rep,
                    "activity": r.activity,
                    **{key: r.context.get(key) for key in self.context},
                    "provisional": list(self.provisional),
                    "reason": r.reason,
                }
                for r in self.rows
            ],
            columns=[
                "rep",
                "group",
                self.value_key,
                "rank",
                "percentile",
                "tier",
                "peers",
                "tenure_months",
                "new_rep",
                "activity",
                *self.context,
                "provisional",
                "reason",
            ],
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


def tenure_months(hired: dt.date, on: dt.date) -> int:
    """Whole months from a hire date to a day (hired Jan 31, on Apr 30: 2; on May 1: 3); 0 if not yet hired."""
    months = (on.year - hired.year) * 12 + on.month - hired.month - (1 if on.day < hired.day else 0)
    return max(months, 0)


@dataclass(frozen=True)
class _Member:
    """A ranked person as kept on their own table: peer-group values and hire date."""

    groups: tuple[str | None, ...]
    hired: dt.date | None


@dataclass
class _Group:
    """Reps ranked together: a peer group, or small groups pooled."""

    label: str
    eligible: list[tuple[str, float]] = field(default_factory=list)
    listed: list[RankedRep] = field(default_factory=list)
    tiered: bool = True


def home_table(catalog: Catalog, dimension: str) -> str:
    """The table that keeps a dimension as its own column (rep -> reps): where its people live."""
    for table in catalog.graph.tables:
        paths = catalog.dimensions[dimension].paths(table)
        if paths and "." not in paths[0]:
            return table
    raise CompileError(f"dimension {dimension!r} is not a column of any table, so its people cannot be listed")


def forced_ranking(
    db: Database,
    catalog: Catalog,
    period: cal.Period,
    metric: str | None = None,
    group: str | Sequence[str] | None = METRIC_GROUP,
    filters: Mapping[str, Sequence[str]] | None = None,
    today: dt.date | None = None,
    runner: Runner | None = None,
    context: bool = True,
) -> Ranking:
    """Rank reps on the rank metric's `of` within peer groups for a period.

    Peer groups are properties of the rep (region, segment on the reps table), never of
    their deals, so a rep is ranked once. Reps without a value, below the minimum activity
    or newer than `min_tenure_months` are listed, not ranked. Small groups follow the
    metric's `small_groups` rule. With `context`, each rep carries the metric's context values.
    """
    rank_metric = _rank_metric(catalog, metric)
    if group == METRIC_GROUP:
        group_dims = rank_metric.groups
    elif group is None:
        group_dims = ()
    else:
        group_dims = (group,) if isinstance(group, str) else tuple(group)
    for dim in group_dims:
        if dim not in catalog.dimensions:
            raise CompileError(f"unknown peer group {dim!r}; dimensions: {', '.join(catalog.dimensions)}")
    runner = runner or Runner(db, catalog)
    today = today or cal.today(catalog.calendar)
    if period.first <= today <= period.last:
        period = cal.make_period(catalog.calendar, period.first, today, period.grain, period.label + " to date")
    notes: list[str] = []
    query = Query.build((period,), group_by=[rank_metric.by], filters=filters, as_of=period.end)
    ranked_on, values = _first_with_values(runner, rank_metric, query)
    if ranked_on != rank_metric.of:
        skipped = ", ".join(
            catalog.metric(m).label.lower() for m in rank_metric.candidates[: rank_metric.candidates.index(ranked_on)]
        )
        notes.append(
            f"ranked on {catalog.metric(ranked_on).label.lower()}: no rep has a value of {skipped} in {period.label}"
        )
    members, group_dims = _members(db, catalog, rank_metric, group_dims, notes)
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
    by_col = f"d_{rank_metric.by}"
    frame = values[values[by_col].notna()]
    groups: dict[tuple[str, ...], _Group] = {}
    tenures: dict[str, int | None] = {}
    for rep, value in zip(frame[by_col], frame["value"], strict=True):
        rep_name = str(rep)
        member = members.get(rep_name, _Member(tuple(None for _ in group_dims), None))
        key = tuple(NO_VALUE if v is None else v for v in member.groups)
        bucket = groups.setdefault(key, _Group(" · ".join(key) if key else "all"))
        tenure = tenures[rep_name] = tenure_months(member.hired, period.last) if member.hired else None
        acts = activity.get(rep_name, 0.0) if minimum else None
        listed = RankedRep(rep_name, bucket.label, None, None, None, NOT_RANKED, acts, None, tenure)
        if value is None or pd.isna(value):
            bucket.listed.append(dataclasses.replace(listed, reason=no_value))
        elif minimum and (acts or 0.0) < minimum.at_least:
            reason = f"below minimum activity ({acts:g} < {minimum.at_least:g})"
            bucket.listed.append(dataclasses.replace(listed, value=float(value), reason=reason))
        elif tenure is not None and tenure < rank_metric.min_tenure_months:
            months = f"{tenure} month{'s' if tenure != 1 else ''}"
            reason = f"new rep: {months} in the job by the period's end, under {rank_metric.min_tenure_months}"
            bucket.listed.append(dataclasses.replace(listed, value=float(value), reason=reason, new_rep=True))
        else:
            bucket.eligible.append((rep_name, float(value)))
    ranked_groups = _small_groups(rank_metric, group_dims, groups)
    rows: list[RankedRep] = []
    for bucket in ranked_groups:
        rows += [dataclasses.replace(r, group=bucket.label) for r in bucket.listed]
        rows += _rank_group(bucket, rank_metric, direction_high, activity if minimum else None, tenures)
    rows.sort(key=lambda r: (r.group, r.rank is None, r.rank or 0, r.rep))
    computed: dict[str, str] = {}
    provisional: tuple[str, ...] = ()
    if context and rows:
        rows, computed, provisional = _with_context(runner, catalog, rank_metric, period, filters, today, rows)
    label = ", ".join(group_dims) if group_dims else None
    return Ranking(rank_metric.name, ranked_on, period, label, tuple(rows), tuple(notes), computed, provisional)


def _members(
    db: Database, catalog: Catalog, rank_metric: RankMetric, group_dims: tuple[str, ...], notes: list[str]
) -> tuple[dict[str, _Member], tuple[str, ...]]:
    """Each ranked person's peer-group values and hire date, from their own table (reps).

    A peer-group dimension no rep has a value of is dropped (with a note), so data without
    rep segments is ranked by region alone rather than in one "(none)" group per region.
    """
    table = home_table(catalog, rank_metric.by)
    compiler = Compiler(catalog)
    for dim in group_dims:
        if not compiler.reaches(dim, table):
            raise CompileError(
                f"peer group {dim!r} is not kept on {table}, so it cannot place a rep in one group; "
                f"use a dimension of the rep (region, team...)"
            )
    dims = (rank_metric.by, *group_dims)
    try:
        statement = compiler.members(table, dims, rank_metric.hire_date_node)
        hired = True
    except CompileError:
        statement, hired = compiler.members(table, dims), False
    with db.engine().connect() as conn:
        rows = conn.execute(statement).mappings().all()
    present = [d for d in group_dims if any(row[f"d_{d}"] is not None for row in rows)]
    for dim in group_dims:
        if dim not in present and rows:
            notes.append(
                f"no {words.singular(table)} in this data has a {catalog.dimensions[dim].label.lower()}, "
                "so peer groups leave it out"
            )
    if rows and rank_metric.min_tenure_months and not (hired and any(row["hired"] is not None for row in rows)):
        notes.append(
            f"no {words.singular(table)} in this data has a {rank_metric.hire_date.replace('_', ' ')}, "
            "so tenure is unknown and new reps cannot be flagged"
        )
    out: dict[str, _Member] = {}
    for row in rows:
        when = row["hired"] if hired else None
        if isinstance(when, dt.datetime):
            when = when.date()
        elif isinstance(when, str):
            when = dt.date.fromisoformat(when[:10])
        groups = tuple(None if row[f"d_{d}"] is None else str(row[f"d_{d}"]) for d in present)
        out[str(row[f"d_{rank_metric.by}"])] = _Member(groups, when)
    return out, tuple(present)


def _small_groups(
    rank_metric: RankMetric, group_dims: tuple[str, ...], groups: dict[tuple[str, ...], _Group]
) -> list[_Group]:
    """Apply the small-group rule: pool groups below `small_groups.below` by the pool dimensions;
    a group still below after pooling is ranked but not tiered."""
    rule = rank_metric.small_groups
    if rule is None:
        return [groups[k] for k in sorted(groups)]
    out: list[_Group] = [groups[k] for k in sorted(groups) if len(groups[k].eligible) >= rule.below]
    small = {k: g for k, g in groups.items() if len(g.eligible) < rule.below}
    if rule.pool is None or len(small) < 2:
        out += list(small.values())
    else:
        keep = [group_dims.index(d) for d in rule.pool if d in group_dims]
        pools: dict[tuple[str, ...], list[tuple[str, ...]]] = {}
        for key in sorted(small):
            pools.setdefault(tuple(key[i] for i in keep), []).append(key)
        for pool_key, keys in pools.items():
            if len(keys) == 1:
                out.append(small[keys[0]])
                continue
            rest = [" · ".join(k[i] for i in range(len(k)) if i not in keep) for k in keys]
            label = (" · ".join(pool_key) + " " if pool_key else "small groups ") + f"(pooled: {', '.join(rest)})"
            merged = _Group(label)
            for k in keys:
                merged.eligible += small[k].eligible
                merged.listed += small[k].listed
            out.append(merged)
    for bucket in out:
        bucket.tiered = len(bucket.eligible) >= rule.below
    return out


def _rank_group(
    bucket: _Group,
    rank_metric: RankMetric,
    direction_high: bool,
    activity: Mapping[str, float] | None,
    tenures: Mapping[str, int | None],
) -> list[RankedRep]:
    eligible = sorted(bucket.eligible, key=lambda item: (-item[1] if direction_high else item[1], item[0]))
    vals = [v for _, v in eligible]
    ranks = rank_values(vals, direction_high, rank_metric.ties)
    rule = rank_metric.small_groups
    if bucket.tiered:
        tiers = assign_tiers(vals, rank_metric.tiers)
        reason = None
    else:
        tiers = [NOT_TIERED] * len(vals)
        below = rule.below if rule else 0
        reason = f"{len(vals)} reps ranked together, fewer than {below}: ranked, not tiered"
    out: list[RankedRep] = []
    for (rep_name, value), rank, tier in zip(eligible, ranks, tiers, strict=True):
        worse = sum(1 for v in vals if (v < value if direction_high else v > value))
        percentile = worse / (len(vals) - 1) if len(vals) > 1 else 1.0
        out.append(
            RankedRep(
                rep_name,
                bucket.label,
                value,
                rank,
                percentile,
                tier,
                activity.get(rep_name) if activity is not None else None,
                reason,
                tenure_months=tenures.get(rep_name),
                peers=len(vals),
            )
        )
    return out


def _with_context(
    runner: Runner,
    catalog: Catalog,
    rank_metric: RankMetric,
    period: cal.Period,
    filters: Mapping[str, Sequence[str]] | None,
    today: dt.date,
    rows: list[RankedRep],
) -> tuple[list[RankedRep], dict[str, str], tuple[str, ...]]:
    """Each rep's context values for the period, counted by `context_by` (an AE's leads are the
    leads behind their deals), with events up to the start of today: a cohort's leads have had
    until today to close. A cohort metric whose window has not closed yet is listed as provisional."""
    by = rank_metric.context_by or rank_metric.by
    as_of = cal.make_period(catalog.calendar, today, today).start
    computed: dict[str, str] = {}
    values: dict[str, dict[str, float | None]] = {}
    defaults: dict[str, float | None] = {}
    provisional: list[str] = []
    for key, name in rank_metric.context.items():
        if runner.supports(name, [by, *(filters or {})]) is not None:
            continue
        frame = runner.run(name, Query.build((period,), group_by=[by], filters=filters, as_of=as_of))
        computed[key] = name
        metric = catalog.metric(name)
        if isinstance(metric, CohortMetric) and period.end + dt.timedelta(days=metric.window_days) > as_of:
            provisional.append(key)
        defaults[key] = 0.0 if zero_when_empty(catalog.metric(name)) else None  # no won deal is 0, not unknown
        values[key] = {
            str(r): (None if pd.isna(v) else float(v))
            for r, v in zip(frame[f"d_{by}"], frame["value"], strict=True)
            if r is not None
        }
    out = [
        dataclasses.replace(r, context={key: values[key].get(r.rep, defaults[key]) for key in computed}) for r in rows
    ]
    return out, computed, tuple(provisional)


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
