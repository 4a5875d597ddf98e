"""Run compiled metrics against a database and return small, finished frames.

Every metric is one statement aggregated in the database; derived metrics combine the
finished per-period values of the metrics they name. Many metrics wanted at once can be
read in merged scans first (`Runner.prefetch`), with the same numbers. Frames have the
columns period (date), d_<dimension>..., value, numerator, denominator, n, num_sq, den_sq
(the sums of squares of each side's per-row values, for the noise of a change).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import sqlalchemy as sa

from scorecard.catalog.load import Catalog
from scorecard.language import words
from scorecard.language.anchors import Time
from scorecard.language.definitions import (
    AggregateMetric,
    CohortMetric,
    DerivedMetric,
    MetricBase,
    RankMetric,
    RatioMetric,
)
from scorecard.language.evaluate import evaluate_numbers
from scorecard.language.periods import Period
from scorecard.sql.compiler import Compiler, Side
from scorecard.sql.query import Query
from scorecard.sql.render import dialect_named, render_sql
from scorecard.sql.resolve import CompileError, NotApplicable
from scorecard.store.db import Database

RESULT_COLUMNS = ("value", "numerator", "denominator", "n", "num_sq", "den_sq")


class MetricError(RuntimeError):
    """A metric failed to run; the message names the metric and the database's complaint."""


@dataclass
class Runner:
    """Runs metrics of one catalog on one database, remembering results within one request."""

    db: Database
    catalog: Catalog
    _memo: dict[tuple[str, Query], pd.DataFrame] = field(default_factory=dict, repr=False)
    _supported: dict[tuple[str, tuple[str, ...]], str | None] = field(default_factory=dict, repr=False)
    statements_run: int = 0

    def run(self, name: str, query: Query, conn: sa.Connection | None = None) -> pd.DataFrame:
        """Values of one metric for the query's periods and breakdown."""
        key = (name, query)
        if key in self._memo:
            return self._memo[key]
        within = self._within(name, query)
        if within is not None:
            self._memo[key] = within
            return within
        metric = self.catalog.metric(name)
        if conn is None:
            with self.db.engine().connect() as own:
                frame = self._run(metric, query, own)
        else:
            frame = self._run(metric, query, conn)
        self._memo[key] = frame
        return frame

    def remembered(self) -> dict[tuple[str, Query], pd.DataFrame]:
        """The results computed so far, by (metric, query): to seed another Runner (`remember`)."""
        return dict(self._memo)

    def remember(self, frames: Mapping[tuple[str, Query], pd.DataFrame]) -> None:
        """Take results computed before (by a Runner on the same data and catalog) as known."""
        self._memo.update(frames)

    def _within(self, name: str, query: Query) -> pd.DataFrame | None:
        """A remembered result whose periods include every one of `query`'s, cut down to them.

        Only without a breakdown: a period's value does not depend on the other periods of the
        statement, but a breakdown's zero rows (counts and sums) are completed over the values
        seen in all of them."""
        if query.group_by:
            return None
        wanted = set(query.periods)
        for (other_name, other), frame in self._memo.items():
            if (
                other_name == name
                and (other.group_by, other.filters, other.as_of) == (query.group_by, query.filters, query.as_of)
                and wanted <= set(other.periods)
            ):
                firsts = {p.first for p in query.periods}
                return frame[frame["period"].isin(firsts)].reset_index(drop=True)
        return None

    def prefetch(self, wanted: Iterable[tuple[str, Query]], conn: sa.Connection) -> None:
        """Compute many metrics at once, so that `run` finds them remembered.

        The sides of counts, sums, averages, percentiles, ratios and cohorts that share a base table, a
        time anchor, a breakdown, filters and an as-of instant are read in one scan
        (`Compiler.merged`), over the union of their periods, instead of one statement per
        metric: a scorecard's 25 statements become 12. Each metric's numbers are the
        ones its own statement gives (tests/test_prefetch.py compares every metric both ways on
        every engine). Whatever cannot be merged (rankings, a side that does not
        compile, a statement the database refuses) is left to `run`, which computes it alone
        and reports its error as before.
        """
        compiler = Compiler(self.catalog)
        groups: list[_Group] = []
        plans: list[_Plan] = []
        seen: set[tuple[str, Query]] = set()

        def add(name: str, query: Query) -> None:
            if (name, query) in self._memo or (name, query) in seen or not query.periods:
                return
            if self._within(name, query) is not None:
                return
            seen.add((name, query))
            metric = self.catalog.metrics.get(name)
            if isinstance(metric, DerivedMetric):
                for ref in metric.components:
                    add(ref, query)
                return
            if not isinstance(metric, AggregateMetric | RatioMetric | CohortMetric):
                return
            try:
                sides = compiler.sides(metric)
                aheads = [side.time.ahead_days for side in sides]
            except CompileError:
                return
            slots = []
            for side, ahead in zip(sides, aheads, strict=True):
                group = next((g for g in groups if g.takes(side, ahead, query)), None)
                if group is None:
                    group = _Group(side.table, side.time, ahead, query)
                    groups.append(group)
                slots.append((group, group.add(side, query)))
            plans.append(_Plan(metric, query, tuple(slots)))

        for name, query in wanted:
            add(name, query)
        for group in groups:
            if len(group.sides) == 1 and sum(1 for p in plans if any(g is group for g, _ in p.slots)) == 1:
                continue  # a scan of its own: the metric's own statement is as good, and is what it shows
            try:
                statement = compiler.merged(group.sides, group.query())
            except CompileError:
                continue
            try:
                group.rows = [dict(r) for r in conn.execute(statement).mappings().all()]
            except sa.exc.DBAPIError:
                conn.rollback()  # PostgreSQL refuses every later statement of a failed transaction
                continue
            self.statements_run += 1
        for plan in plans:
            if any(group.rows is None for group, _ in plan.slots):
                continue
            frame = _frame(plan.rows(), plan.query)
            if zero_when_empty(plan.metric):
                frame = _complete(frame, plan.query)
            self._memo[(plan.metric.name, plan.query)] = frame

    def _run(self, metric: MetricBase, query: Query, conn: sa.Connection) -> pd.DataFrame:
        if isinstance(metric, RankMetric):
            raise MetricError(f"metric {metric.name}: a ranking is a table; use scorecard.ranking")
        if isinstance(metric, DerivedMetric):
            return self._derived(metric, query, conn)
        rows = self._execute(metric.name, Compiler(self.catalog).compile(metric, query), conn)
        frame = _frame(rows, query)
        if zero_when_empty(metric):
            frame = _complete(frame, query)
        return frame

    def _derived(self, metric: DerivedMetric, query: Query, conn: sa.Connection) -> pd.DataFrame:
        node = metric.formula_node
        refs = metric.components
        keys = ["period", *[f"d_{d}" for d in query.group_by]]
        merged: pd.DataFrame | None = None
        for ref in refs:
            part = self.run(ref, query, conn)[[*keys, "value", "n"]].rename(columns={"value": ref, "n": f"n_{ref}"})
            merged = part if merged is None else merged.merge(part, on=keys, how="outer")
        assert merged is not None
        values = []
        for _, row in merged.iterrows():
            inputs = {ref: (None if pd.isna(row[ref]) else float(row[ref])) for ref in refs}
            values.append(evaluate_numbers(node, inputs))
        out = merged[keys].copy()
        out["value"] = pd.array(values, dtype="Float64").astype("float64")
        out["numerator"] = float("nan")
        out["denominator"] = float("nan")
        out["num_sq"] = float("nan")
        out["den_sq"] = float("nan")
        out["n"] = merged[[f"n_{r}" for r in refs]].min(axis=1).fillna(0).astype("int64")
        return out.sort_values(keys).reset_index(drop=True)

    def order_statistics(
        self, name: str, query: Query, fractions: Sequence[float], conn: sa.Connection | None = None
    ) -> dict[dt.date, tuple[float | None, ...]]:
        """A median's or percentile's values at `fractions`, per period of `query` (no breakdown):
        the ends of its order-statistic interval (`scorecard.judge.noise`)."""
        statement = Compiler(self.catalog).order_statistics(self.catalog.metric(name), query, fractions)
        if conn is None:
            with self.db.engine().connect() as own:
                rows = self._execute(name, statement, own)
        else:
            rows = self._execute(name, statement, conn)
        columns = [f"q{i}" for i in range(len(fractions))]
        return {_as_date(r["period"]): tuple(None if r[c] is None else float(r[c]) for c in columns) for r in rows}

    def _execute(self, name: str, statement: sa.Select[Any], conn: sa.Connection) -> Sequence[sa.RowMapping]:
        """Run one of a metric's statements (counted); a refusal becomes a MetricError naming the metric."""
        try:
            rows = conn.execute(statement).mappings().all()
        except sa.exc.DBAPIError as exc:
            raise MetricError(f"metric {name}: the database refused the query: {exc.orig}") from None
        self.statements_run += 1
        return rows

    def supports(self, name: str, dimensions: Mapping[str, Any] | list[str]) -> str | None:
        """None if the metric can be filtered/broken down by these dimensions, else why not,
        in words a sales manager reads ("Quota attainment can't be split by product: ...").
        Remembered: a scorecard and what moved ask once to plan their scans and once per row."""
        key = (name, tuple(dimensions))
        if key not in self._supported:
            self._supported[key] = self._why_not(name, key[1])
        return self._supported[key]

    def _why_not(self, name: str, dimensions: Sequence[str]) -> str | None:
        metric = self.catalog.metric(name)
        compiler = Compiler(self.catalog)
        for dim in dimensions:
            if dim not in self.catalog.dimensions:
                continue
            missing = [t for t in tables_of(self.catalog, metric) if not compiler.reaches(dim, t)]
            if missing:
                return words.cannot_split(metric.label, self.catalog.dimensions[dim].label, missing)
        return None


@dataclass(eq=False)
class _Group:
    """Sides read in one merged scan: one table, time anchor, breakdown, filters and as-of."""

    table: str
    time: Time
    ahead_days: int
    first: Query
    sides: list[Side] = field(default_factory=list)
    periods: dict[dt.date, Period] = field(default_factory=dict)
    rows: list[dict[str, Any]] | None = None

    def takes(self, side: Side, ahead_days: int, query: Query) -> bool:
        """Whether the side can join this scan: the same keys, and no period that starts on the
        same day as one of the scan's but differs (a week and a quarter-to-date, say)."""
        same = (side.table, side.time, ahead_days) == (self.table, self.time, self.ahead_days) and (
            query.group_by,
            query.filters,
            query.as_of,
        ) == (self.first.group_by, self.first.filters, self.first.as_of)
        return same and all(self.periods.get(p.first, p) == p for p in query.periods)

    def add(self, side: Side, query: Query) -> int:
        for p in query.periods:
            self.periods[p.first] = p
        if side not in self.sides:
            self.sides.append(side)
        return self.sides.index(side)

    def query(self) -> Query:
        periods = tuple(self.periods[first] for first in sorted(self.periods))
        return Query(periods, self.first.group_by, self.first.filters, self.first.as_of)


@dataclass(frozen=True)
class _Plan:
    """Where a metric's sides are in the merged scans, and how to put its rows back together."""

    metric: AggregateMetric | RatioMetric | CohortMetric
    query: Query
    slots: tuple[tuple[_Group, int], ...]

    def _side(self, which: int) -> dict[tuple[Any, ...], dict[str, Any]]:
        """The side's rows in the metric's periods, keyed by (period, breakdown values...)."""
        group, i = self.slots[which]
        dims = [f"d_{d}" for d in self.query.group_by]
        wanted = {p.first for p in self.query.periods}
        assert group.rows is not None
        out = {}
        for row in group.rows:
            period = _as_date(row["period"])
            if period in wanted and row[f"r{i}"]:
                squares = row.get(f"q{i}", row[f"v{i}"])  # a count's sum of squares is the count
                out[(period, *(row[d] for d in dims))] = {"value": row[f"v{i}"], "n": row[f"n{i}"], "sq": squares}
        return out

    def rows(self) -> list[dict[str, Any]]:
        """The rows the metric's own statement returns (period, d_<dim>..., value, numerator,
        denominator, n), computed as its SQL computes them."""
        dims = [f"d_{d}" for d in self.query.group_by]
        out = []
        if isinstance(self.metric, CohortMetric):
            for key, side in self._side(0).items():
                # numerator / nullif(members, 0), as in Compiler.compile
                reached = None if side["value"] is None else float(side["value"])
                members = float(side["n"])
                value = reached / members if reached is not None and members else None
                out.append(_result(key, dims, value, reached, members, side["n"], side["sq"], members))
        elif isinstance(self.metric, AggregateMetric):
            for key, side in self._side(0).items():
                value = None if side["value"] is None else float(side["value"])
                out.append(_result(key, dims, value, value, None, side["n"], side["sq"], None))
        else:
            num, den = self._side(0), self._side(1)
            by_numerator = self.metric.sample == "numerator"
            for key in {**num, **den}:
                top, bottom = num.get(key), den.get(key)
                # coalesce(sum(num), 0) / nullif(sum(den), 0), as in Compiler.compile
                numerator = float(top["value"]) if top is not None and top["value"] is not None else 0.0
                denominator = float(bottom["value"]) if bottom is not None and bottom["value"] is not None else None
                value = numerator / denominator if denominator else None
                sample = top if by_numerator else bottom
                n = int(sample["n"]) if sample is not None else 0
                top_sq = top["sq"] if top is not None else None
                bottom_sq = bottom["sq"] if bottom is not None else None
                out.append(_result(key, dims, value, numerator, denominator, n, top_sq, bottom_sq))
        return sorted(out, key=lambda r: (r["period"], *((r[d] is None, "" if r[d] is None else r[d]) for d in dims)))


def _result(
    key: tuple[Any, ...],
    dims: Sequence[str],
    value: float | None,
    numerator: float | None,
    denominator: float | None,
    n: Any,
    num_sq: Any,
    den_sq: Any,
) -> dict[str, Any]:
    """One result row: the key (period, breakdown values...) and the result columns."""
    return {
        "period": key[0], **dict(zip(dims, key[1:], strict=True)),
        "value": value, "numerator": numerator, "denominator": denominator, "n": n,
        "num_sq": num_sq, "den_sq": den_sq,
    }  # fmt: skip


def tables_of(catalog: Catalog, metric: MetricBase) -> list[str]:
    """Base tables a metric reads (through derived metrics' components)."""
    if isinstance(metric, DerivedMetric):
        out: list[str] = []
        for ref in metric.components:
            out += tables_of(catalog, catalog.metric(ref))
        return sorted(set(out))
    if isinstance(metric, RankMetric):
        return tables_of(catalog, catalog.metric(metric.of))
    return sorted({side.table for side in Compiler(catalog).sides(metric)})


def zero_when_empty(metric: MetricBase) -> bool:
    """Counts and sums are 0 in a period with no rows; averages, ratios and cohorts are unknown."""
    return isinstance(metric, AggregateMetric) and metric.type in ("count", "sum")


def _complete(frame: pd.DataFrame, query: Query) -> pd.DataFrame:
    dims = [f"d_{d}" for d in query.group_by]
    periods = pd.DataFrame({"period": [p.first for p in query.periods]})
    if dims:
        combos = frame[dims].drop_duplicates()
        if combos.empty:
            return frame
        grid = periods.merge(combos, how="cross")
    else:
        grid = periods
    out = grid.merge(frame, on=["period", *dims], how="left")
    out["value"] = out["value"].fillna(0.0)
    out["numerator"] = out["numerator"].fillna(0.0)
    out["num_sq"] = out["num_sq"].fillna(0.0)
    out["n"] = out["n"].fillna(0).astype("int64")
    return out[frame.columns].reset_index(drop=True)


def _frame(rows: Sequence[Any], query: Query) -> pd.DataFrame:
    dims = [f"d_{d}" for d in query.group_by]
    frame = pd.DataFrame([dict(r) for r in rows], columns=["period", *dims, *RESULT_COLUMNS])
    frame["period"] = [_as_date(v) for v in frame["period"]]
    for column in ("value", "numerator", "denominator", "num_sq", "den_sq"):
        frame[column] = pd.to_numeric(frame[column], errors="coerce").astype("float64")
    frame["n"] = pd.to_numeric(frame["n"], errors="coerce").fillna(0).astype("int64")
    for dim in dims:
        frame[dim] = frame[dim].astype(object).where(frame[dim].notna(), None)
    return frame


def _as_date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


def metric_sql(catalog: Catalog, name: str, query: Query, dialect: str) -> list[tuple[str, str]]:
    """The SQL the engine runs for a metric, as (metric name, SQL text) pairs."""
    metric = catalog.metric(name)
    if isinstance(metric, RankMetric):
        return metric_sql(catalog, metric.of, query, dialect)
    if isinstance(metric, DerivedMetric):
        out: list[tuple[str, str]] = []
        for ref in metric.components:
            out += metric_sql(catalog, ref, query, dialect)
        return out
    statement = Compiler(catalog).compile(metric, query)
    return [(name, render_sql(statement, dialect_named(dialect)))]


def maturation_curves(
    db: Database,
    catalog: Catalog,
    metric: str,
    query: Query,
    max_weeks: int = 26,
) -> pd.DataFrame:
    """Cohort maturation: per breakdown value, the share of one fixed set of cohort members reached
    the event within k weeks, for k = 0..span.

    The set is every member old enough for the whole curve (at least `span` weeks old, where
    `span` is `max_weeks`, or the oldest member's age when all are younger), so each point
    counts the same leads and a curve can only rise: a point never drops because younger
    cohorts joined the count. Columns: d_<dimension>..., weeks (0..span), members (the
    fixed set), converted, share.
    """
    definition = catalog.metric(metric)
    if not isinstance(definition, CohortMetric):
        raise MetricError(f"metric {metric}: maturation curves need a cohort metric")
    statement = Compiler(catalog).maturation(definition, query, max_weeks)
    with db.engine().connect() as conn:
        rows = conn.execute(statement).mappings().all()
    dims = [f"d_{d}" for d in query.group_by]
    columns = [*dims, "weeks", "members", "converted", "share"]
    counts = pd.DataFrame([dict(r) for r in rows], columns=[*dims, "age_weeks", "event_week", "members"])
    if counts.empty:
        return pd.DataFrame(columns=columns)
    span = min(max_weeks, int(pd.to_numeric(counts["age_weeks"]).max()))
    out = []
    groups = counts.groupby(dims, dropna=False, sort=True) if dims else [((), counts)]
    for key, part in groups:
        key_values = key if isinstance(key, tuple) else (key,)
        ages = pd.to_numeric(part["age_weeks"]).astype(int)
        events = pd.to_numeric(part["event_week"], errors="coerce")
        members = pd.to_numeric(part["members"]).astype(int)
        cohort = ages >= span
        total = int(members[cohort].sum())
        if total == 0:
            continue
        for k in range(span + 1):
            converted = int(members[cohort & events.notna() & (events < k)].sum())
            out.append(
                {
                    **dict(zip(dims, key_values, strict=True)),
                    "weeks": k,
                    "members": total,
                    "converted": converted,
                    "share": converted / total,
                }
            )
    return pd.DataFrame(out, columns=columns)


def maturation_sql(catalog: Catalog, metric: str, query: Query, max_weeks: int, dialect: str) -> str:
    """The SQL behind `maturation_curves` (members by age and event week; shares are summed up from it)."""
    definition = catalog.metric(metric)
    if not isinstance(definition, CohortMetric):
        raise MetricError(f"metric {metric}: maturation curves need a cohort metric")
    return render_sql(Compiler(catalog).maturation(definition, query, max_weeks), dialect_named(dialect))


def dimension_values(
    db: Database,
    catalog: Catalog,
    dimension: str,
    limit: int = 2000,
    filters: Mapping[str, Sequence[str]] | None = None,
) -> list[str]:
    """The values a dimension takes in the data (for filter pickers), sorted: from every table
    the dimension reaches, so a value that only one table holds can still be picked.

    With `filters` (a person's access scope), only values of rows that pass them; a table
    the filters cannot be applied to contributes nothing."""
    compiler = Compiler(catalog)
    values: set[str] = set()
    with db.engine().connect() as conn:
        for table in catalog.graph.tables:
            try:
                statement = compiler.dimension_values(dimension, table, limit, filters)
            except NotApplicable:
                continue
            values.update(str(v) for v in conn.execute(statement).scalars() if v is not None)
    return sorted(values)[:limit]
