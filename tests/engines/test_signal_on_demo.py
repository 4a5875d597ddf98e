"""Over the demo's last 26 weeks: no change is coloured that its samples cannot support, and no
status flips to green or red on a value whose interval reaches across a threshold.

The z of every coloured change of a count or a share is worked out again here from the engine's
numerators and denominators with statsmodels (Poisson and two-proportion tests), not read from the
engine's own decision; for the other kinds the test reads the z the engine reports and checks it
against the 1.96 line.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from statsmodels.stats import rates
from statsmodels.stats.proportion import proportions_ztest

from scorecard.catalog.load import load_catalog
from scorecard.judge import readiness, uncertainty, weekly
from scorecard.judge.coverage import coverage
from scorecard.judge.verdicts import status_of, target_for
from scorecard.language import periods
from scorecard.store.config import DEFAULT_METRICS
from scorecard.store.db import Database

WEEKS = 26
Z = 1.959963984540054


def _sides(card: weekly.Scorecard, row: weekly.ScorecardRow) -> tuple[dict[str, float], dict[str, float]] | None:
    """The numerator and denominator of the row's judged period and the one before, from the frames
    the card was built from."""
    labels = [p.week for p in row.trend]
    at = labels.index(row.period)
    for (name, query), frame in card.frames.items():
        if name != row.metric or query.group_by or len(query.periods) != len(row.trend):
            continue
        if [p.label for p in query.periods] != labels:
            continue
        now, before = query.periods[at].first, query.periods[at - 1].first
        rows = {r["period"]: r for r in frame.to_dict("records")}
        if now in rows and before in rows:
            return rows[now], rows[before]
    return None


@pytest.mark.slow
def test_26_demo_weeks_colour_only_signal(demo_db: Path) -> None:
    db = Database.open(demo_db)
    catalog = load_catalog(DEFAULT_METRICS)
    ready = readiness.check(db, catalog)
    last = coverage(db, catalog).last_week
    weeks = [periods.shift_weeks(catalog.calendar, last, -back) for back in reversed(range(WEEKS))]
    weak_colours: list[str] = []
    checked_independently = 0
    coloured = 0
    statuses: dict[str, list[tuple[str, weekly.ScorecardRow]]] = {}
    for week in weeks:
        card = weekly.build(db, catalog, week, ready=ready)
        for row in card.rows:
            statuses.setdefault(row.metric, []).append((week.label, row))
            if row.improved is None:  # not coloured
                continue
            coloured += 1
            assert row.change is not None
            metric = catalog.metric(row.metric)
            kind = uncertainty.kind_of(metric)
            sides = _sides(card, row) if kind in ("count", "proportion") and row.change.method != "always" else None
            if sides is not None and kind == "count":
                z = rates.test_poisson_2indep(sides[0]["value"], 1, sides[1]["value"], 1, method="wald", compare="diff")
                statistic = float(z.statistic)
                checked_independently += 1
            elif sides is not None and kind == "proportion":
                now, before = sides
                statistic, _ = proportions_ztest(
                    [now["numerator"], before["numerator"]], [now["denominator"], before["denominator"]]
                )
                checked_independently += 1
            else:
                statistic = row.change.z if row.change.z is not None else 0.0
            if abs(statistic) < Z and row.change.method != "always":
                weak_colours.append(f"{week.label} {row.metric}: z = {statistic:.2f}")
    assert weak_colours == []
    assert coloured > 0 and checked_independently > 0  # the demo does have real changes, and they were checked

    straddling: list[str] = []
    flips = 0
    for metric, series in statuses.items():
        definition = catalog.metric(metric)
        judged = [(label, row) for label, row in series if row.judgeable and row.status != "none"]
        for (_, before), (label, row) in zip(judged, judged[1:], strict=False):
            if row.status == before.status or row.status not in ("green", "red"):
                continue
            flips += 1
            thresholds = target_for(definition.target, periods.parse_week(catalog.calendar, label), {})
            assert row.interval is not None and thresholds is not None
            ends = {status_of(end, thresholds, definition.direction) for end in row.interval}
            if ends != {row.status}:
                straddling.append(f"{label} {metric}: {row.status} on {row.interval}")
    assert straddling == [], f"{len(straddling)} of {flips} flips"
