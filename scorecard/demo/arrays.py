"""Small vectorised helpers of the demo: random draws (days, hours, lognormals, categories, members)
and column builders (ids, timestamps, dates, money), so that no Python loop runs per row."""

from __future__ import annotations

import datetime as dt
import statistics
from collections.abc import Sequence

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from scorecard.demo.story import HOUR, REGIONS, Calendar, day_weights


def sample_days(rng: np.random.Generator, first: int, last: int, n: int, calendar: Calendar) -> np.ndarray:
    """n days in first..last, drawn in proportion to the daily lead volume."""
    days = np.arange(first, last + 1)
    weights = day_weights(days, calendar)
    return days[rng.choice(len(days), size=n, p=weights / weights.sum())]


def business_time(rng: np.random.Generator, region: np.ndarray, mean_h: float = 13.0) -> np.ndarray:
    """Seconds after UTC midnight of a local business hour in each row's region."""
    offset = np.array([r.utc_offset_h for r in REGIONS], dtype=np.float64)[region]
    local = np.clip(rng.normal(mean_h, 2.5, len(region)), 7.5, 20.5)
    return np.round((local - offset) * HOUR).astype(np.int64)


def lognormal(rng: np.random.Generator, median: np.ndarray | float, sigma: np.ndarray | float, n: int) -> np.ndarray:
    """Lognormal draws by median and sigma, cut at 2.5 sigma so no single draw dominates."""
    return np.asarray(median) * np.exp(np.asarray(sigma) * np.clip(rng.standard_normal(n), -2.5, 2.5))


def choose(rng: np.random.Generator, weights: Sequence[float] | np.ndarray, n: int) -> np.ndarray:
    """n category indexes drawn with the given (unnormalised) weights."""
    p = np.asarray(weights, dtype=np.float64)
    return rng.choice(len(p), size=n, p=p / p.sum())


def choose_rows(rng: np.random.Generator, weights: np.ndarray) -> np.ndarray:
    """One category per row, each row with its own weights (rows of `weights`)."""
    cumulative = np.cumsum(weights, axis=1)
    cumulative /= cumulative[:, -1:]
    picks = (rng.random((len(weights), 1)) > cumulative).sum(axis=1)
    return np.minimum(picks, weights.shape[1] - 1)


def pick_member(
    rng: np.random.Generator,
    item_group: np.ndarray,
    item_day: np.ndarray,
    member_group: np.ndarray,
    member_since: np.ndarray,
    n_groups: int,
) -> np.ndarray:
    """For each item, a uniformly chosen member of its group who had joined by the item's day.

    The first member of every group joined before any item, so nobody is left without one.
    """
    order = np.lexsort((member_since, member_group))
    groups = member_group[order]
    key = groups.astype(np.int64) * 10_000_000 + member_since[order]
    starts = np.searchsorted(groups, np.arange(n_groups))
    eligible = np.searchsorted(key, item_group.astype(np.int64) * 10_000_000 + item_day, side="right")
    eligible = np.maximum(eligible - starts[item_group], 1)
    return order[starts[item_group] + (rng.random(len(item_group)) * eligible).astype(np.int64)]


def crm_ids(prefix: str, n: int, width: int) -> pa.Array:
    """CRM-like ids PREFIX-0001...: built by Arrow compute, fast even for millions."""
    numbers = pa.array(np.arange(1, n + 1)).cast(pa.string())
    return pc.binary_join_element_wise(prefix, pc.utf8_lpad(numbers, max(width, len(str(n))), "0"), "")


def id_column(ids: pa.Array, index: np.ndarray | None = None) -> pd.api.extensions.ExtensionArray:
    """Ids as a pandas string column; `index` picks rows, -1 meaning no reference (null)."""
    if index is None:
        return pd.array(ids, dtype="str")
    return pd.array(pc.take(ids, pa.array(index, mask=index < 0)), dtype="str")


def category(codes: np.ndarray, labels: Sequence[str]) -> pd.Categorical:
    """A low-cardinality text column from codes (-1 is null): compact and fast to load."""
    return pd.Categorical.from_codes(codes.astype(np.int64), categories=list(labels))


def timestamps(seconds: np.ndarray, valid: np.ndarray | None = None) -> np.ndarray:
    """Epoch seconds as naive UTC datetime64[us]; rows not valid become NaT."""
    micros = seconds.astype(np.int64) * 1_000_000
    if valid is not None:
        micros = np.where(valid, micros, np.iinfo(np.int64).min)
    return micros.astype("datetime64[us]")


def dates(days: Sequence[int] | np.ndarray) -> list[dt.date]:
    """Days since the epoch as dates (small tables only), which every engine loads as DATE."""
    epoch = dt.date(1970, 1, 1)
    return [epoch + dt.timedelta(days=int(d)) for d in days]


def money(values: np.ndarray) -> np.ndarray:
    """Amounts rounded to cents."""
    return np.round(values, 2)


def spread(rng: np.random.Generator, n: int, sigma: float) -> np.ndarray:
    """n values exp(sigma * z) whose z are evenly spread normal quantiles, shuffled.

    Every group, however small, gets both weak and strong members.
    """
    normal = statistics.NormalDist()
    z = np.array([normal.inv_cdf((i + 0.5) / n) for i in range(n)])
    return np.exp(sigma * rng.permutation(z))
