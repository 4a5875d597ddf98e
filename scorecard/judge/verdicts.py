"""Verdicts: whether a value may be coloured, and which colour, by one rule on every surface.

Green, amber or red only when the inputs are in the data, the sample (and a rare-event rate's
events) is large enough, the period has settled, the target is one the company set, and the
value's own interval does not reach across a threshold.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from scorecard.catalog.load import Catalog
from scorecard.judge import noise, readiness
from scorecard.judge.readiness import Readiness
from scorecard.language import formatting, words
from scorecard.language import periods as cal
from scorecard.language.definitions import (
    AggregateMetric,
    CohortMetric,
    MetricBase,
    RatioMetric,
    Target,
    Threshold,
)

Status = Literal["green", "amber", "red", "none"]
Flag = Literal[
    "no_input", "low_sample", "few_events", "provisional", "not_applicable", "projection", "example_target",
    "no_target", "within_noise",
]  # fmt: skip
FLAGS: tuple[str, ...] = (
    "no_input", "low_sample", "few_events", "provisional", "not_applicable", "projection", "example_target",
    "no_target", "within_noise",
)  # fmt: skip
BLOCKING: frozenset[str] = frozenset(
    {"no_input", "low_sample", "few_events", "provisional", "not_applicable", "projection", "example_target"}
)
"""Flags that stop a value from being judged; `no_target` only means there is nothing to judge against,
and `within_noise` that a value near a threshold reads amber because its interval reaches across it."""

VERDICT_WORDS: dict[str, str] = {"green": "on target", "amber": "near target", "red": "off target"}


def target_for(target: Target | None, week: cal.Period, filters: Mapping[str, Sequence[str]]) -> Threshold | None:
    """The thresholds in force for a week and a filter: the most specific override that matches.

    An override with `when: {region: EMEA}` applies when the scorecard is filtered to exactly
    that value; one with `from: 2026-07-01` applies to weeks starting on or after that day.
    """
    if target is None:
        return None
    best: Threshold = target
    best_key: tuple[int, dt.date] = (0, dt.date.min)
    for override in target.overrides:
        if override.from_ is not None and week.first < override.from_:
            continue
        if any(tuple(filters.get(dim, ())) != (value,) for dim, value in override.when.items()):
            continue
        key = (len(override.when), override.from_ or dt.date.min)
        if key >= best_key:
            best, best_key = override, key
    return best


def status_of(value: float | None, thresholds: Threshold | None, direction: str) -> Status:
    """green / amber / red against the thresholds, read in the metric's direction."""
    if value is None or thresholds is None or math.isnan(value):
        return "none"
    if direction == "higher_is_better":
        return "green" if value >= thresholds.green else "amber" if value >= thresholds.amber else "red"
    return "green" if value <= thresholds.green else "amber" if value <= thresholds.amber else "red"


def sample_noun(catalog: Catalog, metric: MetricBase) -> str:
    """What a metric's sample counts, in the users' words: deals, leads, activities..."""
    if isinstance(metric, RatioMetric):
        side = metric.numerator if metric.sample == "numerator" else metric.denominator
        return words.plural(side.table)
    if isinstance(metric, AggregateMetric | CohortMetric):
        return words.plural(metric.of)
    return "rows"


@dataclass(frozen=True)
class Verdict:
    """Whether a value may be coloured, and if not, why, in plain words."""

    status: Status
    judgeable: bool
    flags: tuple[str, ...]
    reason: str | None

    @property
    def within_noise(self) -> bool:
        return "within_noise" in self.flags


def verdict(
    catalog: Catalog,
    metric: MetricBase,
    value: float | None,
    n: int,
    period: cal.Period,
    filters: Mapping[str, Sequence[str]],
    ready: Readiness | None = None,
    window: str = "week",
    *,
    unsupported: str | None = None,
    provisional: bool | None = None,
    estimate: noise.Estimate | None = None,
) -> Verdict:
    """The one rule every surface uses: green, amber or red only when the metric's inputs are
    in the data, the sample is at least `min_sample` (and its events at least `min_events`), the
    period has settled, the filters apply and the target is one the company set (an example
    target judges only the demo); otherwise status "none" with flags and a reason.

    With the value's `estimate`, a share's events are held to `min_events`, and a value is green or
    red only when its whole interval is: one whose interval reaches across a threshold reads amber,
    "near target, within noise" (flag `within_noise`).
    `provisional` defaults to: the period ended less than `settles_after` days before the data ends.
    """
    thresholds = target_for(metric.target, period, {k: tuple(v) for k, v in filters.items()})
    interval = estimate.status_interval if estimate is not None else None
    events = estimate.share_events if estimate is not None else None
    flags: list[str] = [] if thresholds else ["no_target"]
    reasons: list[str] = []
    if unsupported:
        flags.append("not_applicable")
        reasons.append(unsupported)
    readiness_of = ready.of(metric.name) if ready is not None else None
    if readiness_of is not None and not readiness_of.ready:
        flags.append("no_input")
        reasons.append(f"not judged: {readiness_of.reason}")
    days = 0 if isinstance(metric, CohortMetric) else readiness.settles_after(catalog, metric)
    if provisional is None:
        end = ready.data_end if ready is not None else None
        provisional = days > 0 and end is not None and period.end + dt.timedelta(days=days) > end
    if provisional:
        flags.append("provisional")
        reasons.append(f"still changing: {period.label} settles {days} days after it ends")
    if not unsupported and (value is None or n < metric.min_sample):
        flags.append("low_sample")
        reasons.append(_sample_reason(catalog, metric, n, window))
    elif not unsupported and metric.min_events and events is not None and events < metric.min_events:
        flags.append("few_events")
        noun = sample_noun(catalog, metric)
        reasons.append(
            f"only {events:,.0f} {metric.event_noun} among {n:,} {noun}; at least {metric.min_events:,} "
            f"{metric.event_noun} are needed to judge"
        )
    example = metric.target is not None and metric.target.example and thresholds is not None
    if example and ready is not None and not ready.examples_judge:
        flags.append("example_target")
        reasons.append(
            "the target is an example shipped with the catalog, not one your company set: confirm or replace it "
            "(Definitions page, or `scorecard targets confirm`)"
        )
    judgeable = value is not None and not BLOCKING.intersection(flags)
    status = status_of(value, thresholds, metric.direction) if judgeable else "none"
    if status in ("green", "red") and interval is not None and thresholds is not None:
        ends = {status_of(end, thresholds, metric.direction) for end in interval}
        if ends != {status}:
            status = "amber"
            flags.append("within_noise")
            reasons.append(noise_reason(catalog, metric, interval, thresholds))
    return Verdict(status, judgeable, _ordered(flags), "; ".join(reasons) or None)


def noise_reason(catalog: Catalog, metric: MetricBase, interval: tuple[float, float], thresholds: Threshold) -> str:
    """Why a value near its target reads amber: its interval reaches across a threshold."""
    low, high = (formatting.format_value(v, metric.format, locale=catalog.locale) for v in interval)
    target = formatting.format_value(thresholds.green, metric.format, locale=catalog.locale)
    return f"near target, within noise: the value could be anywhere from {low} to {high} (target {target})"


def _sample_reason(catalog: Catalog, metric: MetricBase, n: int, window: str) -> str:
    noun = sample_noun(catalog, metric)
    span = cal.WINDOW_WORDS.get(window, window)
    if n == 0:
        text = f"no {noun} in {span}"
    else:
        text = f"only {n:,} {noun} in {span}; at least {metric.min_sample:,} are needed to judge"
    wider = {"week": " (read it over 4 or 13 weeks)", "4w": " (read it over 13 weeks)"}.get(window, "")
    return text + wider


def _ordered(flags: Sequence[str]) -> tuple[str, ...]:
    return tuple(f for f in FLAGS if f in flags)
