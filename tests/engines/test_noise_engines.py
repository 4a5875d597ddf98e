"""The noise of every kind of aggregate, end to end on DuckDB, SQLite and PostgreSQL.

A small hand-made CRM with two weeks, 2026-W02 (Jan 5-11) and 2026-W03 (Jan 12-18), generated
row by row from a seeded RNG, and a catalog with one metric of each kind: a count, a share (win
rate), a sum, a ratio of a sum to a count, a mean, a median, a p90, a derived ratio and a cohort
rate. Each metric's value, interval and week-over-week change as the engine gives them
(`uncertainty.Estimates`, `noise.change`, and the rows of `weekly.build`) are compared with the
same numbers worked out here from the raw Python rows with numpy, scipy and statsmodels, never
with scorecard code.

The weeks are built so that some changes are larger than chance and others are not:
- leads 100 -> 140 (Poisson z = 40 / sqrt(240) = 2.58): significant;
- leads reaching a deal within 30 days 30/100 -> 21/140: significant;
- win rate 12/40 -> 17/50: not significant;
- bookings, bookings per closed deal and per lead (12 vs 17 wins of $800-1200): not significant;
- discount on won deals ~20% -> ~13%: significant (Welch);
- hours to MQL: the same exponential in both weeks, except that every W03 value above 12 h
  waits 100 h more: the median does not move significantly, the p90 does.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
from scipy import stats
from statsmodels.stats import rates
from statsmodels.stats.proportion import (
    confint_proportions_2indep,
    proportion_confint,
    proportions_ztest,
)
from statsmodels.stats.weightstats import CompareMeans, DescrStatsW

from scorecard.catalog.load import Catalog, check_text
from scorecard.engine.runner import Runner
from scorecard.judge import noise, readiness, uncertainty, weekly
from scorecard.language import periods
from scorecard.sql.query import Query
from scorecard.store import model
from scorecard.store.db import Database, bulk_insert, create_schema, refresh_maintained
from tests.conftest import ENGINES, new_database
from tests.fixtures import tiny

LEVEL = 0.95
Z = float(stats.norm.ppf(0.5 + LEVEL / 2))  # 1.959964
ALPHA = 1 - LEVEL
WEEKS = ("2026-W02", "2026-W03")
STARTS = (dt.datetime(2026, 1, 5), dt.datetime(2026, 1, 12))  # Mondays
AS_OF = dt.datetime(2026, 12, 1)  # every event of the data happened long before

CATALOG = """
version: 1
calendar: {week_start: monday, timezone: UTC}
relationships:
  - {name: opportunity, from: leads, to: opportunities, column: opportunity_id}
metrics:
  - name: leads_created
    label: Leads created
    description: Leads by the week they were created (a Poisson count).
    owner: marketing
    type: count
    of: leads
    time: created_at
    format: count
    direction: higher_is_better
  - name: win_rate
    label: Win rate
    description: Won deals over closed deals by close week (a share).
    owner: sales
    type: ratio
    time: closed_at
    numerator: {count: opportunities, filter: "is_won"}
    denominator: {count: opportunities, filter: "closed_at is not null"}
    format: percent
    direction: higher_is_better
  - name: bookings
    label: Bookings
    description: Amount of won deals by close week (a compound Poisson sum).
    owner: sales
    type: sum
    of: opportunities
    value: amount
    filter: "is_won"
    time: closed_at
    format: currency
    direction: higher_is_better
  - name: bookings_per_closed
    label: Bookings per closed deal
    description: Won amount over closed deals by close week (a ratio, delta method).
    owner: sales
    type: ratio
    time: closed_at
    numerator: {sum: amount, of: opportunities, filter: "is_won"}
    denominator: {count: opportunities, filter: "closed_at is not null"}
    format: currency
    direction: higher_is_better
  - name: discount_depth
    label: Discount depth
    description: Average discount off list price on won deals (a mean).
    owner: sales
    type: average
    of: opportunities
    value: "1 - amount / list_amount"
    filter: "is_won and list_amount > 0"
    time: closed_at
    format: percent
    direction: lower_is_better
  - name: mql_hours_median
    label: Hours to MQL (median)
    description: Median hours from a lead's creation to its qualification.
    owner: marketing
    type: median
    of: leads
    value: "hours_between(created_at, mql_at)"
    filter: "mql_at is not null"
    time: created_at
    format: hours
    direction: lower_is_better
  - name: mql_hours_p90
    label: Hours to MQL (p90)
    description: 90th percentile of hours from a lead's creation to its qualification.
    owner: marketing
    type: percentile
    percentile: 0.9
    of: leads
    value: "hours_between(created_at, mql_at)"
    filter: "mql_at is not null"
    time: created_at
    format: hours
    direction: lower_is_better
  - name: bookings_per_lead
    label: Bookings per lead
    description: Bookings over leads created in the same week (a derived ratio).
    owner: both
    type: derived
    formula: "bookings / leads_created"
    format: currency
    direction: higher_is_better
  - name: lead_to_opportunity
    label: Lead to opportunity (30 d)
    description: Share of a week's leads that became a deal within 30 days (a cohort rate).
    owner: marketing
    type: cohort
    of: leads
    time: created_at
    event: "opportunity_id is not null"
    event_time: opportunity.created_at
    window_days: 30
    format: percent
    direction: higher_is_better
"""

# metric: (kind of its Estimate, the test its change takes, whether W02 -> W03 is significant)
DESIGN: dict[str, tuple[str, str, bool]] = {
    "leads_created": ("count", "poisson", True),
    "win_rate": ("proportion", "two-proportion z", False),
    "bookings": ("sum", "compound poisson z", False),
    "bookings_per_closed": ("ratio", "delta method z", False),
    "discount_depth": ("mean", "welch t", True),
    "mql_hours_median": ("percentile", "order-statistic z", False),
    "mql_hours_p90": ("percentile", "order-statistic z", True),
    "bookings_per_lead": ("derived", "delta method z", False),
    "lead_to_opportunity": ("proportion", "two-proportion z", True),
}
CARD = [name for name in DESIGN if name != "lead_to_opportunity"]  # the cohort is judged weeks later


# ------------------------------------------------------------------------------------- the data
LEADS = (100, 140)
CONVERTED = (30, 21)  # leads whose deal was created within 30 days
CLOSED = (40, 50)
WON = (12, 17)


def _minute(rng: np.random.Generator, start: dt.datetime) -> dt.datetime:
    """A whole minute within the week starting at `start`."""
    return start + dt.timedelta(minutes=int(rng.integers(0, 7 * 24 * 60)))


def _rows(seed: int = 2) -> dict[str, list[dict[str, Any]]]:
    rng = np.random.default_rng(seed)
    leads: list[dict[str, Any]] = []
    deals: list[dict[str, Any]] = []
    for w, start in enumerate(STARTS):
        hours = rng.exponential(8.0, LEADS[w])
        if w == 1:
            hours = np.where(hours > 12, hours + 100, hours)  # W03: the slow fifth waits 100 h more
        converted = set(rng.choice(LEADS[w], CONVERTED[w], replace=False).tolist())
        for i in range(LEADS[w]):
            created = _minute(rng, start)
            lead: dict[str, Any] = {
                "id": f"L{w}-{i:03d}",
                "created_at": created,
                "source": "web",
                "mql_at": created + dt.timedelta(minutes=int(round(hours[i] * 60))),
            }
            if i in converted:
                opened = created + dt.timedelta(days=int(rng.integers(1, 21)), minutes=int(rng.integers(0, 600)))
                lead["opportunity_id"] = f"N{w}-{i:03d}"
                deals.append(
                    {"id": f"N{w}-{i:03d}", "lead_id": lead["id"], "channel": "direct", "created_at": opened,
                     "closed_at": None, "stage": "qualification", "is_won": False, "amount": 1000.0,
                     "list_amount": 1000.0}
                )  # fmt: skip
            leads.append(lead)
        for i in range(CLOSED[w]):
            closed = _minute(rng, start)
            won = i < WON[w]
            if won:
                amount = float(rng.integers(800, 1200))  # whole dollars: SQLite stores them as integers
                depth = rng.uniform(0.15, 0.25) if w == 0 else rng.uniform(0.08, 0.18)
                listed = round(amount / (1 - depth), 2)
            else:
                amount = listed = float(rng.integers(500, 3000))
            opened = closed - dt.timedelta(days=int(rng.integers(3, 60)))
            deals.append(
                {"id": f"O{w}-{i:03d}", "channel": "direct", "created_at": opened, "closed_at": closed,
                 "stage": "won" if won else "lost", "is_won": won, "amount": amount, "list_amount": listed}
            )  # fmt: skip
    return {"leads": leads, "opportunities": deals}


ROWS = _rows()


def _load(db: Database) -> Database:
    with db.writer() as conn:
        create_schema(conn)
        for name, rows in ROWS.items():
            bulk_insert(conn, model.TABLES[name], tiny.frame_of(name, rows))
        refresh_maintained(conn)
    return db


@pytest.fixture(scope="module", params=ENGINES)
def noise_db(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    with new_database(str(request.param), tmp_path_factory.mktemp("noise")) as db:
        yield _load(db)


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    found, issues = check_text(CATALOG, "noise.yaml")
    assert found is not None, issues
    return found


# ---------------------------------------------------- the expected numbers, from the raw rows only
def _week_of(instant: dt.datetime) -> int | None:
    for w, start in enumerate(STARTS):
        if start <= instant < start + dt.timedelta(days=7):
            return w
    return None


def _raw(week: int) -> dict[str, Any]:
    """The raw per-row values behind each metric in one week (0: W02, 1: W03)."""
    leads = [r for r in ROWS["leads"] if _week_of(r["created_at"]) == week]
    by_id = {r["id"]: r for r in ROWS["opportunities"]}
    closed = [r for r in ROWS["opportunities"] if r["closed_at"] is not None and _week_of(r["closed_at"]) == week]
    won = [r for r in closed if r["is_won"]]
    reached = [
        r
        for r in leads
        if r.get("opportunity_id")
        and dt.timedelta(0) <= by_id[r["opportunity_id"]]["created_at"] - r["created_at"] <= dt.timedelta(days=30)
    ]
    return {
        "leads": len(leads),
        "hours": np.array([(r["mql_at"] - r["created_at"]).total_seconds() / 3600 for r in leads]),
        "closed": len(closed),
        "won": len(won),
        "amounts": np.array([r["amount"] for r in won]),
        "discounts": np.array([1 - r["amount"] / r["list_amount"] for r in won]),
        "reached": len(reached),
    }


@dataclasses.dataclass(frozen=True)
class Expected:
    value: float
    low: float
    high: float
    se: float
    n: int


@dataclasses.dataclass(frozen=True)
class ExpectedChange:
    delta: float
    low: float
    high: float
    p: float

    @property
    def significant(self) -> bool:
        return self.p < ALPHA


def _ranks(n: int, fraction: float) -> tuple[int, int]:
    """1-based ranks j < k with P(B < j) <= alpha/2 and P(B >= k) <= alpha/2, B ~ Binomial(n, fraction):
    the classic distribution-free interval [x_(j), x_(k)] for the population's `fraction` quantile."""
    binom = stats.binom(n, fraction)
    j = max(r for r in range(1, n + 1) if binom.cdf(r - 1) <= ALPHA / 2)
    k = min(r for r in range(1, n + 1) if binom.sf(r - 1) <= ALPHA / 2)
    assert binom.cdf(k - 1) - binom.cdf(j - 1) >= LEVEL  # P(x_(j) <= q <= x_(k))
    return j, k


def _z_interval(value: float, se: float, n: int) -> Expected:
    return Expected(value, value - Z * se, value + Z * se, se, n)


def _expected(metric: str, raw: dict[str, Any]) -> Expected:
    if metric == "leads_created":
        low, high = rates.confint_poisson(raw["leads"], 1, method="exact-c", alpha=ALPHA)  # Garwood
        return Expected(raw["leads"], float(low), float(high), math.sqrt(raw["leads"]), raw["leads"])
    if metric in ("win_rate", "lead_to_opportunity"):
        events, trials = (raw["won"], raw["closed"]) if metric == "win_rate" else (raw["reached"], raw["leads"])
        low, high = proportion_confint(events, trials, alpha=ALPHA, method="wilson")
        p = events / trials
        return Expected(p, float(low), float(high), math.sqrt(p * (1 - p) / trials), trials)
    amounts = raw["amounts"]
    if metric == "bookings":  # compound Poisson: var = sum of the squared amounts
        return _z_interval(float(amounts.sum()), math.sqrt(float((amounts**2).sum())), len(amounts))
    if metric == "bookings_per_closed":  # var(N/D) = (var N + r^2 var D) / D^2, var D = D (a count)
        top, bottom = float(amounts.sum()), raw["closed"]
        r = top / bottom
        return _z_interval(r, math.sqrt(float((amounts**2).sum()) + r * r * bottom) / bottom, bottom)
    if metric == "bookings_per_lead":  # B / L, gradient (1/L, -B/L^2), var B = sum x^2, var L = L
        top, bottom = float(amounts.sum()), raw["leads"]
        var = float((amounts**2).sum()) / bottom**2 + (top / bottom**2) ** 2 * bottom
        return _z_interval(top / bottom, math.sqrt(var), min(len(amounts), bottom))
    if metric == "discount_depth":
        x = raw["discounts"]
        low, high = stats.t.interval(LEVEL, len(x) - 1, loc=x.mean(), scale=stats.sem(x))
        return Expected(float(x.mean()), float(low), float(high), float(stats.sem(x)), len(x))
    fraction = {"mql_hours_median": 0.5, "mql_hours_p90": 0.9}[metric]
    x = np.sort(raw["hours"])
    j, k = _ranks(len(x), fraction)
    low, high = float(x[j - 1]), float(x[k - 1])
    value = float(np.percentile(x, 100 * fraction, method="linear"))
    return Expected(value, low, high, (high - low) / (2 * Z), len(x))


def _expected_change(metric: str, before: dict[str, Any], after: dict[str, Any]) -> ExpectedChange:
    if metric == "leads_created":
        a, b = after["leads"], before["leads"]
        test = rates.test_poisson_2indep(a, 1, b, 1, method="wald", compare="diff")
        low, high = rates.confint_poisson_2indep(a, 1, b, 1, method="wald", compare="diff", alpha=ALPHA)
        return ExpectedChange(a - b, float(low), float(high), float(test.pvalue))
    if metric in ("win_rate", "lead_to_opportunity"):
        keys = ("won", "closed") if metric == "win_rate" else ("reached", "leads")
        (e1, n1), (e0, n0) = [after[k] for k in keys], [before[k] for k in keys]
        _, p = proportions_ztest([e1, e0], [n1, n0])  # pooled
        low, high = confint_proportions_2indep(e1, n1, e0, n0, method="wald", compare="diff", alpha=ALPHA)
        return ExpectedChange(e1 / n1 - e0 / n0, float(low), float(high), float(p))
    if metric == "discount_depth":
        x1, x0 = after["discounts"], before["discounts"]
        low, high = CompareMeans(DescrStatsW(x1), DescrStatsW(x0)).tconfint_diff(alpha=ALPHA, usevar="unequal")
        p = stats.ttest_ind(x1, x0, equal_var=False).pvalue
        return ExpectedChange(float(x1.mean() - x0.mean()), float(low), float(high), float(p))
    one, two = _expected(metric, before), _expected(metric, after)
    delta, spread = two.value - one.value, math.hypot(one.se, two.se)
    return ExpectedChange(delta, delta - Z * spread, delta + Z * spread, float(2 * stats.norm.sf(abs(delta) / spread)))


RAW = (_raw(0), _raw(1))
EXPECTED = {m: (_expected(m, RAW[0]), _expected(m, RAW[1])) for m in DESIGN}
CHANGES = {m: _expected_change(m, RAW[0], RAW[1]) for m in DESIGN}


# ------------------------------------------------------------------------------------------ tests
def _weeks(catalog: Catalog) -> tuple[periods.Period, periods.Period]:
    w02, w03 = (periods.parse_week(catalog.calendar, label) for label in WEEKS)
    return w02, w03


def _estimates(db: Database, catalog: Catalog, metric: str) -> tuple[noise.Estimate, noise.Estimate]:
    weeks = _weeks(catalog)
    query = Query.build(weeks, as_of=AS_OF)
    estimates = uncertainty.Estimates(Runner(db, catalog), catalog)
    one, two = (estimates.of(metric, query, week.first) for week in weeks)
    assert one is not None and two is not None
    return one, two


def _near(metric: str, expected: Any) -> Any:
    """pytest.approx at the precision the engine's arithmetic keeps: the derived ratio's gradient
    is numerical (a relative step of 1e-6), everything else exact to rounding."""
    if metric == "bookings_per_lead":
        return pytest.approx(expected, rel=1e-5)
    return pytest.approx(expected, rel=1e-7, abs=1e-9)


def test_the_design_has_significant_and_insignificant_changes():
    # Pure arithmetic on the raw rows: what the weeks were built to show, far from the 5% line.
    decided = {metric: change.significant for metric, change in CHANGES.items()}
    assert decided == {metric: significant for metric, (_, _, significant) in DESIGN.items()}
    assert all(c.p < 0.01 or c.p > 0.2 for c in CHANGES.values()), {m: c.p for m, c in CHANGES.items()}
    # the p90 and median intervals need these many rows: k <= n for the p90 of 100
    assert _ranks(100, 0.9) == (84, 96) and _ranks(100, 0.5) == (40, 61)


@pytest.mark.parametrize("metric", list(DESIGN))
def test_value_and_interval_per_week(noise_db: Database, catalog: Catalog, metric: str):
    kind = DESIGN[metric][0]
    for estimate, expected in zip(_estimates(noise_db, catalog, metric), EXPECTED[metric], strict=True):
        assert estimate.kind == kind
        assert estimate.n == expected.n
        got = (estimate.value, estimate.low, estimate.high, estimate.se)
        assert got == _near(metric, (expected.value, expected.low, expected.high, expected.se))


@pytest.mark.parametrize("metric", list(DESIGN))
def test_change_and_its_significance(noise_db: Database, catalog: Catalog, metric: str):
    before, after = _estimates(noise_db, catalog, metric)
    change = noise.change(after, before, LEVEL)
    expected = CHANGES[metric]
    assert change.method == DESIGN[metric][1]
    assert (change.delta, change.low, change.high) == _near(metric, (expected.delta, expected.low, expected.high))
    assert change.p == pytest.approx(expected.p, rel=1e-4, abs=1e-12)
    assert change.significant is expected.significant is DESIGN[metric][2]


@pytest.mark.parametrize("metric", ["mql_hours_median", "mql_hours_p90"])
def test_order_statistics_are_raw_values(noise_db: Database, catalog: Catalog, metric: str):
    # At fraction (r - 1) / (n - 1) every engine's continuous percentile (SQLite's registered
    # aggregate, percentile_cont elsewhere) is the r-th smallest raw value itself.
    fraction = 0.5 if metric == "mql_hours_median" else 0.9
    runner = Runner(noise_db, catalog)
    for week, raw in zip(_weeks(catalog), RAW, strict=True):
        x = np.sort(raw["hours"])
        n = len(x)
        ranks = _ranks(n, fraction)
        wanted = [(r - 1) / (n - 1) for r in ranks]
        found = runner.order_statistics(metric, Query.build((week,), as_of=AS_OF), wanted)
        assert set(found) == {week.first}
        assert found[week.first] == pytest.approx(tuple(float(x[r - 1]) for r in ranks), rel=1e-9)
        frame = runner.run(metric, Query.build((week,), as_of=AS_OF))
        assert frame["value"].tolist() == pytest.approx([np.percentile(x, 100 * fraction)], rel=1e-9)
        assert frame["n"].tolist() == [n]


def test_scorecard_rows_carry_interval_and_change(noise_db: Database, catalog: Catalog):
    _, w03 = _weeks(catalog)
    card = weekly.build(noise_db, catalog, w03, metrics=CARD, ready=readiness.check(noise_db, catalog))
    for metric in CARD:
        row = card.row(metric)
        before, after = EXPECTED[metric]
        expected = CHANGES[metric]
        assert (row.period, row.value, row.previous) == (
            "2026-W03",
            _near(metric, after.value),
            _near(metric, before.value),
        ), metric
        assert row.interval == _near(metric, (after.low, after.high)), metric
        assert row.change is not None, metric
        assert (row.change.delta, row.change.low, row.change.high) == _near(
            metric, (expected.delta, expected.low, expected.high)
        ), metric
        assert (row.change.method, row.significant) == DESIGN[metric][1:], metric
        assert row.as_json()["change"]["significant"] is expected.significant, metric


def test_cohort_row_judges_its_mature_week(noise_db: Database, catalog: Catalog):
    # A 30-day cohort created by Sun Jan 18 (W03) has had its window by Tue Feb 17: judged in the
    # card of W08 (Feb 16-22), beside the W02 cohort.
    w08 = periods.parse_week(catalog.calendar, "2026-W08")
    ready = readiness.check(noise_db, catalog)
    row = weekly.build(noise_db, catalog, w08, metrics=["lead_to_opportunity"], ready=ready).row("lead_to_opportunity")
    before, after = EXPECTED["lead_to_opportunity"]
    expected = CHANGES["lead_to_opportunity"]
    assert (row.cohort, row.period, row.n) == ("2026-W03", "2026-W03", RAW[1]["leads"])
    assert (row.value, row.previous) == (pytest.approx(after.value), pytest.approx(before.value))
    assert row.interval == pytest.approx((after.low, after.high))
    assert row.events == RAW[1]["reached"]
    assert row.change is not None
    assert (row.change.delta, row.change.low, row.change.high) == pytest.approx(
        (expected.delta, expected.low, expected.high)
    )
    assert row.significant is expected.significant is True
