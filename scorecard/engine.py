"""Run compiled metrics against a database and return small, finished frames.

Every metric is one statement aggregated in the database; derived metrics combine the
finished per-period values of the metrics they name. Frames have the columns
period (date), d_<dimension>..., value, numerator, denominator, n.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import sqlalchemy as sa

from scorecard import expressions as ex
from scorecard import words
from scorecard.catalog import Catalog
from scorecard.compiler import Compiler, NotApplicable, Query, dialect_named, render_sql
from scorecard.db import Database
from scorecard.definitions import AggregateMetric, CohortMetric, DerivedMetric, MetricBase, RankMetric

RESULT_COLUMNS = ("value", "numerator", "denominator", "n")


class MetricError(RuntimeError):
    """A metric failed to run; the message names the metric and the database's complaint."""


@dataclass
class Runner:
    """Runs metrics of one catalog on one database, remembering results within one request."""

    db: Database
    catalog: Catalog
    _memo: dict[tuple[str, Query], pd.DataFrame] = field(default_factory=dict, repr=False)
    statements_run: int = 0

    def run(self, name: str, query: Query, conn: sa.Connection | None = None) -> pd.DataFrame:
        """Values of one metric for the query's periods and breakdown."""
        key = (name, query)
        if key in self._memo:
            return self._memo[key]
        metric = self.catalog.metric(name)
        if conn is None:
            with self.db.engine().connect() as own:
                frame = self._run(metric, query, own)
        else:
            frame = self._run(metric, query, conn)
        self._memo[key] = frame
        return frame

    def _run(self, metric: MetricBase, query: Query, conn: sa.Connection) -> pd.DataFrame:
        if isinstance(metric, RankMetric):
            raise MetricError(f"metric {metric.name}: a ranking is a table; use scorecard.ranking")
        if isinstance(metric, DerivedMetric):
            return self._derived(metric, query, conn)
        statement = Compiler(self.catalog).compile(metric, query)
        try:
            rows = conn.execute(statement).mappings().all()
        except sa.exc.DBAPIError as exc:
            raise MetricError(f"metric {metric.name}: the database refused the query: {exc.orig}") from None
        self.statements_run += 1
        frame = _frame(rows, query)
        if zero_when_empty(metric):
            frame = _complete(frame, query)
        return frame

    def _derived(self, metric: DerivedMetric, query: Query, conn: sa.Connection) -> pd.DataFrame:
        node = ex.parse(metric.formula)
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
            values.append(ex.evaluate_numbers(node, inputs))
        out = merged[keys].copy()
        out["value"] = pd.array(values, dtype="Float64").astype("float64")
        out["numerator"] = float("nan")
        out["denominator"] = float("nan")
        out["n"] = merged[[f"n_{r}" for r in refs]].min(axis=1).fillna(0).astype("int64")
        return out.sort_values(keys).reset_index(drop=True)

    def supports(self, name: str, dimensions: Mapping[str, Any] | list[str]) -> str | None:
        """None if the metric can be filtered/broken down by these dimensions, else why not,
        in words a sales manager reads ("Quota attainment can't be split by product: ...")."""
        metric = self.catalog.metric(name)
        compiler = Compiler(self.catalog)
        for dim in dimensions:
            if dim not in self.catalog.dimensions:
                continue
            missing = [t for t in tables_of(self.catalog, metric) if not compiler.reaches(dim, t)]
            if missing:
                return words.cannot_split(metric.label, self.catalog.dimensions[dim].label, missing)
        return None


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
    out["n"] = out["n"].fillna(0).astype("int64")
    return out[frame.columns].reset_index(drop=True)


def _frame(rows: Sequence[Any], query: Query) -> pd.DataFrame:
    dims = [f"d_{d}" for d in query.group_by]
    frame = pd.DataFrame([dict(r) for r in rows], columns=["period", *dims, *RESULT_COLUMNS])
    frame["period"] = [_as_date(v) for v in frame["period"]]
    for column in ("value", "numerator", "denominator"):
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
