"""How much a number moves by chance: intervals on values and the significance of a change.

Pure statistics, no SQL and no catalog: the engine hands over what its SQL aggregated (the
value, the rows behind it, the sum of squares of their values), and this module says how
sure anyone can be. One rule per kind of aggregate:

- a **count** (leads created) is a Poisson count: its interval is the exact (Garwood) one,
  and two weeks differ when the change is larger than chance gives two counts of that size
  (z = (a - b) / sqrt(a + b));
- a **proportion** (win rate: wins out of closed deals) has a Wilson interval, and two
  periods are compared with the two-proportion z test;
- a **sum** (bookings) varies as a compound Poisson sum, with variance sum(x^2);
- a **mean** (discount depth) has a Student t interval, and two periods are compared with
  Welch's t test;
- a **ratio** of two aggregates (calls per close, quota attainment) takes the delta method;
  a side that is a plan (a quota spread over days) is fixed, not noise;
- a **median or percentile** (speed to lead, sales cycle p90) has the distribution-free
  interval between two order statistics, whose ranks come from the binomial distribution;
  a change is compared with the standard error that interval implies.

tests/unit/judge/test_noise.py checks each against scipy and statsmodels computed there.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from scipy import stats

Kind = Literal["count", "proportion", "sum", "mean", "ratio", "percentile", "derived"]

METHODS: dict[str, str] = {
    "count": "poisson",
    "proportion": "two-proportion z",
    "sum": "compound poisson z",
    "mean": "welch t",
    "ratio": "delta method z",
    "percentile": "order-statistic z",
    "derived": "delta method z",
}
"""The test each kind of aggregate uses for a change, as the JSON's `change.method` names it."""

DEFAULT_LEVEL = 0.95


@dataclass(frozen=True)
class Estimate:
    """A value with its standard error and an interval at `level`.

    `events` is what a rate's information is in (the wins of a win rate); `trials` its
    denominator. `se` None: the noise cannot be measured (one row, a missing side)."""

    value: float
    se: float | None
    low: float | None
    high: float | None
    kind: Kind
    n: int
    level: float = DEFAULT_LEVEL
    events: float | None = None
    trials: float | None = None
    df: float | None = None
    """Degrees of freedom of a mean's standard error (n - 1), for Welch's test."""

    @property
    def interval(self) -> tuple[float, float] | None:
        if self.low is None or self.high is None:
            return None
        return (self.low, self.high)

    @property
    def share_events(self) -> float | None:
        """The events a share's information is in (the wins of a lead-to-close); None for other kinds."""
        return self.events if self.kind == "proportion" else None

    @property
    def status_interval(self) -> tuple[float, float] | None:
        """The interval a status is read against: a count's is shown but does not soften its status."""
        return None if self.kind == "count" else self.interval

    def straddles(self, threshold: float) -> bool:
        """True if the interval holds values on both sides of `threshold`."""
        return self.low is not None and self.high is not None and self.low < threshold < self.high


@dataclass(frozen=True)
class Change:
    """A change between two periods: the delta, its interval, and whether it is larger than its
    noise at the level asked (`significant`). `always`: the metric asked for every move to count."""

    delta: float
    low: float | None
    high: float | None
    significant: bool
    method: str
    z: float | None = None
    p: float | None = None
    level: float = DEFAULT_LEVEL

    @property
    def margin(self) -> float | None:
        """Half the interval's width: the "±" a change this size could move by chance."""
        if self.low is None or self.high is None:
            return None
        return (self.high - self.low) / 2

    def as_json(self) -> dict[str, Any]:
        return {
            "delta": self.delta,
            "low": self.low,
            "high": self.high,
            "significant": self.significant,
            "method": self.method,
        }


def _z(level: float) -> float:
    return float(stats.norm.ppf(0.5 + level / 2))


def _finite(*values: float | None) -> bool:
    return all(v is not None and math.isfinite(v) for v in values)


# ------------------------------------------------------------------------- values
def count(value: float, level: float = DEFAULT_LEVEL) -> Estimate:
    """A Poisson count: the exact (Garwood) interval from the chi-square distribution."""
    k = max(float(value), 0.0)
    alpha = 1 - level
    low = 0.0 if k == 0 else float(stats.chi2.ppf(alpha / 2, 2 * k) / 2)
    high = float(stats.chi2.ppf(1 - alpha / 2, 2 * k + 2) / 2)
    return Estimate(float(value), math.sqrt(k), low, high, "count", int(round(k)), level, events=k)


def proportion(events: float, trials: float, level: float = DEFAULT_LEVEL) -> Estimate | None:
    """A share of `trials` (wins of closed deals): the Wilson score interval."""
    if not trials or trials <= 0 or events is None or events < 0 or events > trials:
        return None
    p = events / trials
    z = _z(level)
    centre = (p + z * z / (2 * trials)) / (1 + z * z / trials)
    half = z / (1 + z * z / trials) * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials))
    se = math.sqrt(p * (1 - p) / trials)
    return Estimate(p, se, max(0.0, centre - half), min(1.0, centre + half), "proportion", int(trials), level,
                    events=float(events), trials=float(trials))  # fmt: skip


def total(value: float, sum_sq: float | None, n: int, level: float = DEFAULT_LEVEL) -> Estimate:
    """A sum over a random number of rows: variance sum(x^2) (a compound Poisson sum)."""
    if sum_sq is None or not math.isfinite(sum_sq) or n < 1:
        return Estimate(value, None, None, None, "sum", n, level)
    se = math.sqrt(max(sum_sq, 0.0))
    z = _z(level)
    return Estimate(value, se, value - z * se, value + z * se, "sum", n, level)


def mean(value: float, sum_sq: float | None, n: int, level: float = DEFAULT_LEVEL) -> Estimate:
    """A mean of n rows: the Student t interval from the sample variance (sum_sq - n mean^2) / (n - 1)."""
    if sum_sq is None or not math.isfinite(sum_sq) or n < 2:
        return Estimate(value, None, None, None, "mean", n, level)
    variance = max((sum_sq - n * value * value) / (n - 1), 0.0)
    se = math.sqrt(variance / n)
    t = float(stats.t.ppf(0.5 + level / 2, n - 1))
    return Estimate(value, se, value - t * se, value + t * se, "mean", n, level, df=n - 1)


def ratio(
    numerator: float,
    num_var: float | None,
    denominator: float,
    den_var: float | None,
    n: int,
    level: float = DEFAULT_LEVEL,
) -> Estimate | None:
    """N / D by the delta method: var(N/D) = (var N + (N/D)^2 var D) / D^2, the sides independent.
    A side with variance 0 is a plan (fixed)."""  # fmt: skip
    if not denominator:
        return None
    value = numerator / denominator
    if num_var is None or den_var is None or not _finite(num_var, den_var):
        return Estimate(value, None, None, None, "ratio", n, level)
    se = math.sqrt(max(num_var + value * value * den_var, 0.0)) / abs(denominator)
    z = _z(level)
    return Estimate(value, se, value - z * se, value + z * se, "ratio", n, level, events=numerator)


def order_statistic_ranks(n: int, fraction: float, level: float = DEFAULT_LEVEL) -> tuple[int, int] | None:
    """1-based ranks (j, k) of the sorted values such that [x_(j), x_(k)] holds the population's
    `fraction` quantile with probability at least `level` (from Binomial(n, fraction)); None
    when n is too small for any such pair."""
    if n < 1:
        return None
    alpha = 1 - level
    j = int(stats.binom.ppf(alpha / 2, n, fraction))  # P(B < j) <= alpha / 2
    k = int(stats.binom.ppf(1 - alpha / 2, n, fraction)) + 1
    # P(x_(j) <= q <= x_(k)) = P(j <= B <= k - 1) = F(k - 1) - F(j - 1)
    while j >= 1 and stats.binom.cdf(k - 1, n, fraction) - stats.binom.cdf(j - 1, n, fraction) < level:
        j -= 1
    if j < 1 or k > n:
        return None
    return j, k


def percentile(value: float, n: int, low: float | None, high: float | None, level: float = DEFAULT_LEVEL) -> Estimate:
    """A median or percentile with its order-statistic interval [x_(j), x_(k)] (the values at the
    ranks `order_statistic_ranks` gives); its standard error is the interval's width / (2 z)."""
    if low is None or high is None or not _finite(low, high):
        return Estimate(value, None, None, None, "percentile", n, level)
    se = (high - low) / (2 * _z(level))
    return Estimate(value, se, low, high, "percentile", n, level)


def derived(
    formula: Callable[[Mapping[str, float]], float | None],
    parts: Mapping[str, Estimate],
    level: float = DEFAULT_LEVEL,
) -> Estimate | None:
    """A formula over other metrics' values (cost / margin): the delta method with the formula's
    gradient taken numerically, the parts independent."""
    values = {name: e.value for name, e in parts.items()}
    value = formula(values)
    if value is None or not math.isfinite(value):
        return None
    n = min((e.n for e in parts.values()), default=0)
    if any(e.se is None for e in parts.values()):
        return Estimate(value, None, None, None, "derived", n, level)
    variance = 0.0
    for name, part in parts.items():
        if not part.se:
            continue
        step = max(abs(part.value), 1.0) * 1e-6
        moved = formula({**values, name: part.value + step})
        if moved is None or not math.isfinite(moved):
            return Estimate(value, None, None, None, "derived", n, level)
        variance += ((moved - value) / step * part.se) ** 2
    se = math.sqrt(variance)
    z = _z(level)
    return Estimate(value, se, value - z * se, value + z * se, "derived", n, level)


# ------------------------------------------------------------------------- changes
def change(current: Estimate, previous: Estimate, level: float = DEFAULT_LEVEL) -> Change:
    """Whether `current` differs from `previous` by more than chance, at `level` (two-sided).

    Counts: z = (a - b) / sqrt(a + b). Proportions: the pooled two-proportion z test (the
    interval of the difference unpooled). Means: Welch's t test. Everything else: z = delta /
    sqrt(se1^2 + se2^2). Without a standard error on either side the change is not significant.
    """
    delta = current.value - previous.value
    method = METHODS[current.kind]
    z_crit = _z(level)
    if current.kind == "count" and previous.kind == "count":
        spread = math.sqrt(max(current.value, 0.0) + max(previous.value, 0.0))
        if spread == 0:
            return Change(delta, 0.0, 0.0, False, method, None, None, level)
        z = delta / spread
        p = float(2 * stats.norm.sf(abs(z)))
        return Change(delta, delta - z_crit * spread, delta + z_crit * spread, p < 1 - level, method, z, p, level)
    if current.kind == "proportion" and previous.kind == "proportion":
        assert current.trials and previous.trials and current.events is not None and previous.events is not None
        pooled = (current.events + previous.events) / (current.trials + previous.trials)
        spread = math.sqrt(pooled * (1 - pooled) * (1 / current.trials + 1 / previous.trials))
        apart = math.sqrt((current.se or 0.0) ** 2 + (previous.se or 0.0) ** 2)
        if spread == 0:
            return Change(delta, delta, delta, False, method, None, None, level)
        z = delta / spread
        p = float(2 * stats.norm.sf(abs(z)))
        return Change(delta, delta - z_crit * apart, delta + z_crit * apart, p < 1 - level, method, z, p, level)
    if current.se is None or previous.se is None:
        return Change(delta, None, None, False, method, None, None, level)
    spread = math.sqrt(current.se**2 + previous.se**2)
    if spread == 0:
        return Change(delta, delta, delta, delta != 0, method, None, 0.0 if delta else 1.0, level)
    z = delta / spread
    if current.kind == "mean" and previous.kind == "mean" and current.df and previous.df:
        a, b = current.se**2, previous.se**2
        df = (a + b) ** 2 / (a * a / current.df + b * b / previous.df)
        p = float(2 * stats.t.sf(abs(z), df))
        t_crit = float(stats.t.ppf(0.5 + level / 2, df))
        return Change(delta, delta - t_crit * spread, delta + t_crit * spread, p < 1 - level, method, z, p, level)
    p = float(2 * stats.norm.sf(abs(z)))
    return Change(delta, delta - z_crit * spread, delta + z_crit * spread, p < 1 - level, "delta method z"
                  if current.kind == "derived" else method, z, p, level)  # fmt: skip


def always(delta: float) -> Change:
    """The change of a metric declared `change: always`: every move counts, no test."""
    return Change(delta, None, None, delta != 0, "always")
