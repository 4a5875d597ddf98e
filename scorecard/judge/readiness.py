"""What the data can support: per table, its rows, time range and how filled each column the
catalog reads is; per metric, ready or not, and why not in words a sales manager reads.

A metric is ready when every table it reads has rows, every column it reads is filled on at
least one row, and each of its declared `requires:` holds somewhere in the data. These are
checked over all the data, not one week: a week with only wins is a real 100% win rate, a
file with only wins is not. The scorecard never colours a metric that is not ready.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from scorecard.catalog.load import Catalog
from scorecard.language import expressions as ex
from scorecard.language import words
from scorecard.language.definitions import CohortMetric, DerivedMetric, MetricBase, RankMetric, Requirement
from scorecard.sql import dialects
from scorecard.sql.compiler import Compiler
from scorecard.sql.graph import Graph
from scorecard.sql.resolve import Context, Scope, to_sql
from scorecard.store import model
from scorecard.store.db import Database

CYCLE_PERCENTILE = 0.9
"""The share of real cycles a cohort window should cover (lead created to won close...)."""
CYCLE_HORIZON_DAYS = 540
"""Cycles are measured on cohorts at least this old (18 months), so long deals have had time to
close; measured on younger cohorts only the quick deals would be seen."""

COLUMN_WORDS: dict[tuple[str, str], str] = {
    ("opportunities", "closed_at"): "a close date",
    ("opportunities", "created_at"): "a creation date",
    ("opportunities", "is_won"): "a won/lost outcome",
    ("opportunities", "list_amount"): "a list price",
    ("opportunities", "cost_of_sale"): "a cost of sale",
    ("opportunities", "lead_id"): "a lead it came from",
    ("opportunities", "account_id"): "an account",
    ("opportunities", "product_id"): "a product",
    ("leads", "mql_at"): "a marketing-qualified date",
    ("leads", "accepted_at"): "an accepted-by-sales date",
    ("leads", "first_touch_at"): "a logged sales activity",
    ("leads", "opportunity_id"): "a deal it became",
    ("leads", "campaign_id"): "a campaign",
    ("activities", "opportunity_id"): "a deal it was logged on",
    ("activities", "lead_id"): "a lead it was logged on",
    ("products", "margin_rate"): "a margin rate",
    ("campaigns", "cost"): "a cost",
}


@dataclass(frozen=True)
class ColumnFill:
    """How many rows of a table have a value in one column (and its range for dates)."""

    column: str
    filled: int
    first: dt.datetime | dt.date | None = None
    last: dt.datetime | dt.date | None = None


@dataclass(frozen=True)
class TableProfile:
    table: str
    rows: int
    columns: tuple[ColumnFill, ...]
    first: dt.datetime | dt.date | None = None
    last: dt.datetime | dt.date | None = None

    def fill(self, column: str) -> ColumnFill | None:
        return next((c for c in self.columns if c.column == column), None)


@dataclass(frozen=True)
class MetricReadiness:
    metric: str
    label: str
    ready: bool
    reasons: tuple[str, ...] = ()
    scorecard: bool = True

    @property
    def reason(self) -> str:
        return "; ".join(self.reasons)


@dataclass(frozen=True)
class CycleReport:
    """How long a cohort metric's event really takes in this data, against its window.

    `days` is the CYCLE_PERCENTILE of the days from entering the cohort to the event (lead
    created to won close), over cohorts at least CYCLE_HORIZON_DAYS old when the data holds
    any (else over all, `young` set: then it is a lower bound); `covered` is the share of those
    cycles the metric's `window_days` takes in.
    """

    metric: str
    label: str
    window_days: int
    events: int
    days: float | None
    covered: float | None
    entered_before: dt.datetime | None
    young: bool = False

    @property
    def suggested_window(self) -> int | None:
        """The percentile rounded up to ten days: a window to write in metrics.yaml."""
        return None if self.days is None else int(math.ceil(self.days / 10.0) * 10)

    def text(self) -> str:
        if self.days is None:
            return f"{self.label}: no events in the data yet, so its {self.window_days}-day window cannot be checked"
        share = f"{CYCLE_PERCENTILE:.0%}"
        before = self.entered_before
        since = "" if self.young or before is None else f" of cohorts before {before:%Y-%m-%d}"
        text = (
            f"{self.label}: {share} of {self.events:,} events{since} happen within {self.days:,.0f} days; "
            f"its window of {self.window_days} days covers {self.covered or 0:.0%}"
        )
        if self.young:
            text += " (the data is under 18 months old, so long cycles are not seen yet: a lower bound)"
        elif self.suggested_window is not None and abs(self.suggested_window - self.window_days) > 20:
            text += f"; to cover {share}, set window_days: {self.suggested_window}"
        return text


@dataclass(frozen=True)
class Readiness:
    """The whole readiness report of one database under one catalog."""

    tables: Mapping[str, TableProfile]
    metrics: Mapping[str, MetricReadiness]
    data_end: dt.datetime | None = None
    checked_at: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC).replace(tzinfo=None))
    cycles: tuple[CycleReport, ...] = ()
    origin: str = "unknown"
    """Where the data came from: "demo" (built by `scorecard demo`), "imported" (the latest load was
    an import) or "unknown" (no load recorded: tables filled by other means)."""
    example_targets: tuple[str, ...] = ()
    """Metrics whose target is still an example from the shipped catalog (`example: true`)."""

    @property
    def examples_judge(self) -> bool:
        """Whether example targets colour anything: not on imported data (a company's own export is
        never judged against the demo's targets). On the demo they judge; on tables Scorecard did
        not load ("unknown") they judge too, and every page says they are examples."""
        return self.origin != "imported"

    def example_notice(self) -> str | None:
        """What a page header, `doctor` and the Data page say while the targets are examples: one
        sentence (it starts with the count), or None on the demo or with no example target."""
        if self.origin == "demo" or not self.example_targets:
            return None
        count = len(self.example_targets)
        are = "s are" if count != 1 else " is"
        fix = "confirm or replace them on the Definitions page or with `scorecard targets confirm`."
        if self.examples_judge:
            return f"{count} target{are} still the examples shipped with the catalog, not ones your company set: {fix}"
        return f"{count} target{are} still the shipped examples and judge nothing on this imported data: {fix}"

    def of(self, metric: str) -> MetricReadiness | None:
        return self.metrics.get(metric)

    def scorecard_counts(self) -> tuple[int, int]:
        """(ready, total) over the scorecard's metrics."""
        shown = [m for m in self.metrics.values() if m.scorecard]
        return sum(m.ready for m in shown), len(shown)

    def scorecard_missing(self) -> list[MetricReadiness]:
        """The scorecard's metrics the data does not support yet, in catalog order (each with its reasons)."""
        return [m for m in self.metrics.values() if m.scorecard and not m.ready]

    def summary(self) -> str:
        ready, total = self.scorecard_counts()
        return f"your data supports {ready} of {total} scorecard metrics"

    def as_json(self) -> dict[str, Any]:
        def when(value: Any) -> str | None:
            return None if value is None else value.isoformat()

        return {
            "summary": self.summary(),
            "data_end": when(self.data_end),
            "origin": self.origin,
            "example_targets": list(self.example_targets),
            "example_targets_judge": self.examples_judge,
            "cycles": [
                {
                    "metric": c.metric,
                    "label": c.label,
                    "window_days": c.window_days,
                    "percentile": CYCLE_PERCENTILE,
                    "days": c.days,
                    "covered": c.covered,
                    "events": c.events,
                    "entered_before": when(c.entered_before),
                    "lower_bound": c.young,
                    "suggested_window_days": c.suggested_window,
                }
                for c in self.cycles
            ],
            "metrics": [
                {
                    "metric": m.metric,
                    "label": m.label,
                    "ready": m.ready,
                    "reasons": list(m.reasons),
                    "scorecard": m.scorecard,
                }
                for m in self.metrics.values()
            ],  # fmt: skip
            "tables": [
                {
                    "table": t.table,
                    "rows": t.rows,
                    "first": when(t.first),
                    "last": when(t.last),
                    "columns": [
                        {
                            "column": c.column,
                            "filled": c.filled,
                            "share": (c.filled / t.rows) if t.rows else None,
                            "first": when(c.first),
                            "last": when(c.last),
                        }
                        for c in t.columns
                    ],  # fmt: skip
                }
                for t in self.tables.values()
            ],
        }


# --- what each metric reads -------------------------------------------------------------------


def _columns_of(graph: Graph, table: str, node: ex.Node | None, found: dict[str, set[str]]) -> None:
    """Add the (table, column) pairs an expression reads, following relationships (and their
    link columns) both ways; names that only make sense inside an aggregate are skipped."""
    if node is None:
        return
    for name in ex.names(node):
        parts = list(name.parts)
        current = table
        if parts and parts[0] == "outer":
            parts = parts[1:]
        ok = True
        for part in parts[:-1]:
            rel = graph.relation(current, part)
            if rel is not None:
                found.setdefault(rel.source, set()).add(rel.source_column)
                current = rel.target
            elif part in graph.tables:
                current = part
            else:
                ok = False
                break
        if ok and parts and parts[-1] in graph.tables[current].c:
            found.setdefault(current, set()).add(parts[-1])


def inputs_of(catalog: Catalog, metric: MetricBase) -> dict[str, set[str]]:
    """Tables a metric reads, each with the columns it reads there (through derived metrics)."""
    found: dict[str, set[str]] = {}
    if isinstance(metric, DerivedMetric):
        for ref in metric.components:
            for table, columns in inputs_of(catalog, catalog.metric(ref)).items():
                found.setdefault(table, set()).update(columns)
        return found
    if isinstance(metric, RankMetric):
        # Ranked on `of` (or a fallback, see `check`). The minimum activity is not an input: on data
        # without activities the ranking says it was not applied.
        return inputs_of(catalog, catalog.metric(metric.of))
    graph = catalog.graph
    for side in Compiler(catalog).sides(metric):
        found.setdefault(side.table, set())
        for node in (side.value, side.filter, side.event, side.event_time, *side.time.nodes()):
            _columns_of(graph, side.table, node, found)
    return found


def settles_after(catalog: Catalog, metric: MetricBase) -> int:
    """Days after a period ends until the metric's value for it stops changing: declared with
    `settles_after`, or the widest among a derived metric's components; 0 if it never changes.
    (A cohort metric's window is handled by judging its newest mature cohort instead.)"""
    if metric.settles_after is not None:
        return metric.settles_after
    if isinstance(metric, DerivedMetric):
        return max((settles_after(catalog, catalog.metric(ref)) for ref in metric.components), default=0)
    return 0


def requirements_of(catalog: Catalog, metric: MetricBase) -> list[Requirement]:
    if isinstance(metric, DerivedMetric):
        out: list[Requirement] = list(metric.requires)
        for ref in metric.components:
            out += [r for r in requirements_of(catalog, catalog.metric(ref)) if r not in out]
        return out
    if isinstance(metric, RankMetric):
        return [*metric.requires, *requirements_of(catalog, catalog.metric(metric.of))]
    return list(metric.requires)


# --- checking the data --------------------------------------------------------------------------


def _profile(conn: sa.Connection, table: sa.Table, columns: Iterable[str]) -> TableProfile:
    names = sorted(set(columns))
    timed = [c for c in names if isinstance(table.c[c].type, sa.DateTime | sa.Date)]
    selects: list[Any] = [sa.func.count().label("rows")]
    selects += [sa.func.count(table.c[c]).label(f"n_{c}") for c in names]
    for c in timed:
        selects += [sa.func.min(table.c[c]).label(f"min_{c}"), sa.func.max(table.c[c]).label(f"max_{c}")]
    row = conn.execute(sa.select(*selects).select_from(table)).mappings().one()
    fills = tuple(ColumnFill(c, int(row[f"n_{c}"] or 0), row.get(f"min_{c}"), row.get(f"max_{c}")) for c in names)
    firsts = [f.first for f in fills if f.first is not None and isinstance(table.c[f.column].type, sa.DateTime)]
    lasts = [f.last for f in fills if f.last is not None and isinstance(table.c[f.column].type, sa.DateTime)]
    return TableProfile(table.name, int(row["rows"] or 0), fills, min(firsts, default=None), max(lasts, default=None))


def _holds(conn: sa.Connection, catalog: Catalog, requirement: Requirement) -> bool:
    scope = Scope(Context(catalog.graph, zone=catalog.calendar.timezone), requirement.of)  # days in the calendar zone
    where = [to_sql(requirement.filter_node, scope, condition=True)] if requirement.filter_node is not None else []
    statement = sa.select(sa.literal(1)).select_from(scope.selectable()).where(*where).limit(1)
    return conn.execute(statement).first() is not None


def _column_words(table: str, column: str) -> str:
    return COLUMN_WORDS.get((table, column), f"a {column.replace('_', ' ')}")


def cycle_of(conn: sa.Connection, catalog: Catalog, metric: CohortMetric, data_end: dt.datetime) -> CycleReport:
    """The real cycle behind a cohort metric: the CYCLE_PERCENTILE of days from entry to event."""
    zone = catalog.calendar.timezone

    def measure(before: dt.datetime | None) -> tuple[int, float | None, float | None]:
        scope = Scope(Context(catalog.graph, zone=zone), metric.of)
        entry = to_sql(metric.anchor.first, scope)
        happened = to_sql(metric.event_time_node, scope)
        days = dialects.days_between(entry, happened, zone)
        where = [to_sql(metric.event_node, scope, condition=True), happened >= entry]
        if metric.filter_node is not None:
            where.append(to_sql(metric.filter_node, scope, condition=True))
        if before is not None:
            where.append(entry < sa.literal(before, sa.DateTime))
        within = sa.case((days <= metric.window_days, 1.0), else_=0.0)
        statement = (
            sa.select(
                sa.func.count().label("events"),
                dialects.percentile(days, CYCLE_PERCENTILE).label("days"),
                sa.func.avg(within).label("covered"),
            )
            .select_from(scope.selectable())
            .where(*where)
        )
        row = conn.execute(statement).one()
        events = int(row.events or 0)
        return events, (float(row.days) if events else None), (float(row.covered) if events else None)

    before = data_end - dt.timedelta(days=CYCLE_HORIZON_DAYS)
    events, days, covered = measure(before)
    young = events == 0
    if young:
        events, days, covered = measure(None)
    return CycleReport(metric.name, metric.label, metric.window_days, events, days, covered, before, young)


def check(db: Database, catalog: Catalog, now: dt.datetime | None = None, cycles: bool = False) -> Readiness:
    """Profile the tables the catalog reads and decide, per metric, whether the data supports it.

    With `cycles`, also measure each cohort metric's real cycle against its window (`doctor`)."""
    inputs = {name: inputs_of(catalog, m) for name, m in catalog.metrics.items()}
    wanted: dict[str, set[str]] = {}
    for per_metric in inputs.values():
        for table, columns in per_metric.items():
            wanted.setdefault(table, set()).update(columns)
    profiles: dict[str, TableProfile] = {}
    held: dict[Requirement, bool] = {}
    with db.engine().connect() as conn:
        for table in sorted(wanted):
            profiles[table] = _profile(conn, catalog.graph.tables[table], wanted[table])
        for metric in catalog.metrics.values():
            for requirement in requirements_of(catalog, metric):
                if requirement not in held:
                    held[requirement] = _holds(conn, catalog, requirement)
        origin = origin_of(conn)
    metrics: dict[str, MetricReadiness] = {}
    for name, metric in catalog.metrics.items():
        reasons: list[str] = []
        for table in sorted(inputs[name]):
            profile = profiles[table]
            if profile.rows == 0:
                reasons.append(f"no {words.plural(table)} are in this data")
                continue
            for column in sorted(inputs[name][table]):
                fill = profile.fill(column)
                if fill is not None and fill.filled == 0:
                    reasons.append(f"no {words.singular(table)} in this data has {_column_words(table, column)}")
        for requirement in requirements_of(catalog, metric):
            if not held[requirement] and requirement.message not in reasons:
                reasons.append(requirement.message)
        shown = metric.scorecard and not isinstance(metric, RankMetric)
        metrics[name] = MetricReadiness(name, metric.label, not reasons, tuple(reasons), shown)
    for name, metric in catalog.metrics.items():
        # A ranking with fallbacks (`of: [quota_attainment, bookings]`) is ready when any of them is.
        fallback_ready = isinstance(metric, RankMetric) and any(
            metrics[c].ready for c in metric.fallbacks if c in metrics
        )
        if fallback_ready and not metrics[name].ready:
            metrics[name] = dataclasses.replace(metrics[name], ready=True, reasons=())
    moment = (now or dt.datetime.now(dt.UTC)).replace(tzinfo=None)
    ends = [p.last for p in profiles.values() if isinstance(p.last, dt.datetime)]
    data_end = min(max(ends), moment) if ends else None
    measured: list[CycleReport] = []
    if cycles and data_end is not None:
        with db.engine().connect() as conn:
            for metric in catalog.metrics.values():
                if isinstance(metric, CohortMetric) and metrics[metric.name].ready:
                    measured.append(cycle_of(conn, catalog, metric, data_end))
    examples = tuple(name for name, m in catalog.metrics.items() if m.target is not None and m.target.example)
    return Readiness(profiles, metrics, data_end, cycles=tuple(measured), origin=origin, example_targets=examples)


def origin_of(conn: sa.Connection) -> str:
    """ "demo", "imported" or "unknown", from the latest recorded load (last on `conn`: a database
    without the load log rolls the connection back)."""
    try:
        kind = conn.execute(
            sa.select(model.loads.c.kind).order_by(model.loads.c.id.desc()).limit(1)
        ).scalar_one_or_none()
    except sa.exc.DBAPIError:
        conn.rollback()
        return "unknown"
    return {"demo": "demo", "import": "imported"}.get(str(kind), "unknown") if kind else "unknown"


def fill_text(profile: TableProfile, fill: ColumnFill) -> str:
    """'98.2%' of a table's rows that have a value in the column."""
    if profile.rows == 0:
        return "–"
    share = fill.filled / profile.rows
    return "100%" if fill.filled == profile.rows else f"{math.floor(share * 1000) / 10:.1f}%"
