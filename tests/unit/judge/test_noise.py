"""scorecard/judge/noise.py against scipy and statsmodels, computed here and never by noise.py.

Every expected number below comes from an independent library call or a hand formula; every
significance decision is asserted as a real boolean, with cases on both sides of |z| = 1.96.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats
from statsmodels.stats import proportion as sm_proportion
from statsmodels.stats import rates as sm_rates

from scorecard.judge import noise

Z95 = 1.959963984540054  # the 97.5% normal quantile, written out so noise._z is not trusted


# ------------------------------------------------------------------------- count
@pytest.mark.parametrize("k", [1, 5, 12, 265, 340])
def test_count_interval_is_exact_garwood(k: int) -> None:
    low, high = sm_rates.confint_poisson(k, 1, method="exact-c")
    est = noise.count(k)
    assert est.value == k
    assert est.se == pytest.approx(math.sqrt(k))
    assert est.low == pytest.approx(float(low), rel=1e-9)
    assert est.high == pytest.approx(float(high), rel=1e-9)
    assert est.kind == "count"


def test_count_interval_of_zero_by_hand() -> None:
    # No events: the upper limit mu solves P(0; mu) = exp(-mu) = 0.025, so mu = -ln(0.025).
    est = noise.count(0)
    assert est.low == 0.0
    assert est.high == pytest.approx(-math.log(0.025), rel=1e-9)
    assert est.high == pytest.approx(3.6888794541, rel=1e-9)


@pytest.mark.parametrize(
    ("a", "b", "significant"),
    [
        (265, 272, False),  # the example: leads 265 vs 272, change -7, is noise
        (265, 340, True),  # z = -75 / sqrt(605) = -3.05
        (100, 129, False),  # z = -29 / sqrt(229) = -1.916, just inside the line
        (100, 130, True),  # z = -30 / sqrt(230) = -1.978, just outside
        (130, 100, True),
    ],
)
def test_count_change_matches_statsmodels_poisson_wald(a: int, b: int, significant: bool) -> None:
    # statsmodels' "wald" diff test for exposures 1 uses var = a + b, i.e. z = (a - b) / sqrt(a + b);
    # the first assertion pins that, so a change in statsmodels' variant would show here.
    sm = sm_rates.test_poisson_2indep(a, 1, b, 1, method="wald", compare="diff")
    assert float(sm.statistic) == pytest.approx((a - b) / math.sqrt(a + b), rel=1e-12)

    change = noise.change(noise.count(a), noise.count(b))
    assert change.delta == a - b
    assert change.z == pytest.approx(float(sm.statistic), rel=1e-9)
    assert change.p == pytest.approx(float(sm.pvalue), rel=1e-9)
    assert change.significant is significant
    assert (float(sm.pvalue) < 0.05) is significant
    assert change.method == "poisson"

    ci_low, ci_high = sm_rates.confint_poisson_2indep(a, 1, b, 1, method="wald", compare="diff")
    assert change.low == pytest.approx(float(ci_low), rel=1e-9)
    assert change.high == pytest.approx(float(ci_high), rel=1e-9)


def test_count_change_between_two_zeros_is_not_significant() -> None:
    change = noise.change(noise.count(0), noise.count(0))
    assert change.delta == 0
    assert change.significant is False


# ------------------------------------------------------------------------- proportion
@pytest.mark.parametrize(("events", "trials"), [(13, 54), (17, 54), (154, 399), (230, 598), (0, 20), (20, 20)])
def test_proportion_interval_is_wilson(events: int, trials: int) -> None:
    low, high = sm_proportion.proportion_confint(events, trials, alpha=0.05, method="wilson")
    est = noise.proportion(events, trials)
    assert est is not None
    assert est.value == pytest.approx(events / trials)
    assert est.low == pytest.approx(float(low), rel=1e-9, abs=1e-12)
    assert est.high == pytest.approx(float(high), rel=1e-9, abs=1e-12)


def test_proportion_rejects_impossible_inputs() -> None:
    assert noise.proportion(5, 0) is None
    assert noise.proportion(6, 5) is None
    assert noise.proportion(-1, 5) is None


@pytest.mark.parametrize(
    ("e1", "n1", "e2", "n2", "significant"),
    [
        (154, 399, 230, 598, False),  # the sales-accept rate: 38.6% vs 38.5%
        (13, 54, 17, 54, False),  # the win rate: 24% vs 31% on 54 closed deals
        (30, 100, 50, 100, True),  # 30% vs 50%: z = -2.89
        (50, 100, 36, 100, True),  # z = 1.99, just outside the line
        (50, 100, 37, 100, False),  # z = 1.85, just inside
    ],
)
def test_proportion_change_matches_statsmodels_ztest(e1: int, n1: int, e2: int, n2: int, significant: bool) -> None:
    z, p = sm_proportion.proportions_ztest([e1, e2], [n1, n2])
    change = noise.change(noise.proportion(e1, n1), noise.proportion(e2, n2))
    assert change.delta == pytest.approx(e1 / n1 - e2 / n2)
    assert change.z == pytest.approx(float(z), rel=1e-9)
    assert change.p == pytest.approx(float(p), rel=1e-9)
    assert change.significant is significant
    assert (float(p) < 0.05) is significant
    assert change.method == "two-proportion z"

    # The interval of the difference is the unpooled Wald one.
    ci_low, ci_high = sm_proportion.confint_proportions_2indep(e1, n1, e2, n2, method="wald", compare="diff")
    assert change.low == pytest.approx(float(ci_low), rel=1e-9)
    assert change.high == pytest.approx(float(ci_high), rel=1e-9)


# ------------------------------------------------------------------------- sum
def _deals(seed: int, n: int, scale: float) -> np.ndarray:
    return np.random.default_rng(seed).lognormal(mean=math.log(scale), sigma=0.8, size=n)


def test_sum_standard_error_is_root_sum_of_squares() -> None:
    x = _deals(1, 40, 10_000.0)
    est = noise.total(float(x.sum()), float((x**2).sum()), len(x))
    se = math.sqrt(float(np.sum(x**2)))
    assert est.value == pytest.approx(float(x.sum()))
    assert est.se == pytest.approx(se, rel=1e-12)
    assert est.low == pytest.approx(x.sum() - Z95 * se, rel=1e-9)
    assert est.high == pytest.approx(x.sum() + Z95 * se, rel=1e-9)


def test_sum_without_sum_of_squares_has_no_noise() -> None:
    est = noise.total(1000.0, None, 10)
    assert est.se is None
    assert noise.change(est, noise.total(900.0, 1e5, 10)).significant is False


@pytest.mark.parametrize(
    ("seed2", "n2", "scale2", "significant"),
    [
        (2, 40, 10_000.0, False),  # the same deal flow, another week
        (3, 10, 5_000.0, True),  # a quarter of the deals at half the size: z = 3.03
    ],
)
def test_sum_change_is_compound_poisson_z(seed2: int, n2: int, scale2: float, significant: bool) -> None:
    x = _deals(1, 40, 10_000.0)
    y = _deals(seed2, n2, scale2)
    s1, q1, s2, q2 = float(x.sum()), float((x**2).sum()), float(y.sum()), float((y**2).sum())
    z = (s1 - s2) / math.sqrt(q1 + q2)
    p = 2 * stats.norm.sf(abs(z))

    change = noise.change(noise.total(s1, q1, len(x)), noise.total(s2, q2, len(y)))
    assert change.delta == pytest.approx(s1 - s2)
    assert change.z == pytest.approx(z, rel=1e-9)
    assert change.p == pytest.approx(p, rel=1e-9)
    assert (abs(z) > Z95) is significant
    assert change.significant is significant
    assert change.method == "compound poisson z"


# ------------------------------------------------------------------------- mean
@pytest.mark.parametrize(("seed", "n"), [(4, 2), (5, 12), (6, 80)])
def test_mean_interval_is_student_t(seed: int, n: int) -> None:
    x = np.random.default_rng(seed).normal(0.12, 0.05, size=n)
    m = float(x.mean())
    est = noise.mean(m, float((x**2).sum()), n)
    low, high = stats.t.interval(0.95, n - 1, loc=m, scale=stats.sem(x))
    assert est.se == pytest.approx(float(stats.sem(x)), rel=1e-7)
    assert est.low == pytest.approx(float(low), rel=1e-7)
    assert est.high == pytest.approx(float(high), rel=1e-7)
    assert est.df == n - 1


def test_mean_of_one_row_has_no_noise() -> None:
    assert noise.mean(0.2, 0.04, 1).se is None


@pytest.mark.parametrize(
    ("loc2", "sd2", "n2", "significant"),
    [
        (0.12, 0.05, 25, False),  # the same discount depth
        (0.16, 0.09, 25, True),  # deeper and more spread discounts (unequal variances)
    ],
)
def test_mean_change_is_welch(loc2: float, sd2: float, n2: int, significant: bool) -> None:
    x = np.random.default_rng(7).normal(0.12, 0.05, size=30)
    y = np.random.default_rng(8).normal(loc2, sd2, size=n2)
    welch = stats.ttest_ind(x, y, equal_var=False)

    current = noise.mean(float(x.mean()), float((x**2).sum()), len(x))
    previous = noise.mean(float(y.mean()), float((y**2).sum()), len(y))
    change = noise.change(current, previous)
    assert change.delta == pytest.approx(float(x.mean() - y.mean()))
    assert change.z == pytest.approx(float(welch.statistic), rel=1e-6)
    assert change.p == pytest.approx(float(welch.pvalue), rel=1e-6)
    assert (float(welch.pvalue) < 0.05) is significant
    assert change.significant is significant
    assert change.method == "welch t"

    ci = welch.confidence_interval(0.95)
    assert change.low == pytest.approx(float(ci.low), rel=1e-6)
    assert change.high == pytest.approx(float(ci.high), rel=1e-6)


# ------------------------------------------------------------------------- ratio
def test_ratio_se_is_delta_method_by_hand() -> None:
    # Calls per close: 400 calls (Poisson, var 400) over 50 closes (var 50).
    # var(N/D) = (var N + (N/D)^2 var D) / D^2 = (400 + 64 * 50) / 2500 = 1.44, so se = 1.2.
    est = noise.ratio(400, 400, 50, 50, n=50)
    assert est is not None
    assert est.value == 8.0
    assert est.se == pytest.approx(1.2, rel=1e-12)
    assert est.low == pytest.approx(8.0 - Z95 * 1.2)
    assert est.high == pytest.approx(8.0 + Z95 * 1.2)


def test_ratio_se_agrees_with_poisson_bootstrap() -> None:
    rng = np.random.default_rng(11)
    calls = rng.poisson(400, size=20_000)
    closes = rng.poisson(50, size=20_000)
    boot_se = float(np.std(calls / closes, ddof=1))
    est = noise.ratio(400, 400, 50, 50, n=50)
    assert est is not None
    assert est.se == pytest.approx(boot_se, rel=0.15)


def test_ratio_against_a_plan_takes_only_the_numerators_noise() -> None:
    # Quota attainment: bookings with variance sum(x^2) over a fixed quota (variance 0).
    bookings, var_bookings, quota = 120_000.0, 4.0e8, 100_000.0
    est = noise.ratio(bookings, var_bookings, quota, 0.0, n=30)
    assert est is not None
    assert est.value == pytest.approx(1.2)
    assert est.se == pytest.approx(math.sqrt(var_bookings) / quota, rel=1e-12)  # 0.2


def test_ratio_with_zero_denominator_is_undefined() -> None:
    assert noise.ratio(5, 5, 0, 0, n=3) is None


@pytest.mark.parametrize(
    ("calls", "closes", "significant"),
    [
        (400, 60, False),  # 8.0 vs 6.67 calls per close: within noise
        (400, 100, True),  # 8.0 vs 4.0
    ],
)
def test_ratio_change_is_z_on_delta_method_se(calls: int, closes: int, significant: bool) -> None:
    se1 = math.sqrt(400 + 8.0**2 * 50) / 50
    r2 = calls / closes
    se2 = math.sqrt(calls + r2**2 * closes) / closes
    z = (8.0 - r2) / math.sqrt(se1**2 + se2**2)

    change = noise.change(noise.ratio(400, 400, 50, 50, n=50), noise.ratio(calls, calls, closes, closes, n=closes))
    assert change.z == pytest.approx(z, rel=1e-9)
    assert change.p == pytest.approx(2 * stats.norm.sf(abs(z)), rel=1e-9)
    assert (abs(z) > Z95) is significant
    assert change.significant is significant
    assert change.method == "delta method z"


# ------------------------------------------------------------------------- percentile
def _tight_ranks(n: int, fraction: float, level: float) -> tuple[int, int] | None:
    """The equal-tailed order-statistic ranks, by scanning the binomial cdf directly."""
    tail = (1 - level) / 2
    cdf = stats.binom.cdf(np.arange(n + 1), n, fraction)
    # Largest j >= 1 with P(B <= j - 1) <= tail; smallest k <= n with P(B >= k) <= tail.
    lows = [j for j in range(1, n + 1) if cdf[j - 1] <= tail]
    highs = [k for k in range(1, n + 1) if 1 - cdf[k - 1] <= tail]
    if not lows or not highs:
        return None
    return max(lows), min(highs)


def test_median_ranks_for_twenty_match_the_table() -> None:
    # The classic distribution-free 95% interval for the median of 20 values is x_(6)..x_(15),
    # coverage 1 - 2 * P(B <= 5) = 1 - 2 * 0.020695 = 0.958611 for B ~ Binomial(20, 1/2).
    assert noise.order_statistic_ranks(20, 0.5) == (6, 15)
    coverage = stats.binom.cdf(14, 20, 0.5) - stats.binom.cdf(5, 20, 0.5)
    assert coverage == pytest.approx(1 - 2 * 21700 / 2**20, rel=1e-12)
    assert coverage == pytest.approx(0.958611, abs=1e-6)


@pytest.mark.parametrize("fraction", [0.5, 0.75, 0.9, 0.1])
@pytest.mark.parametrize("n", [6, 10, 20, 37, 50, 101, 400])
def test_order_statistic_ranks_cover_and_are_tight(n: int, fraction: float) -> None:
    level = 0.95
    expected = _tight_ranks(n, fraction, level)
    got = noise.order_statistic_ranks(n, fraction, level)
    assert got == expected
    if got is None:
        return
    j, k = got
    assert 1 <= j < k <= n
    coverage = stats.binom.cdf(k - 1, n, fraction) - stats.binom.cdf(j - 1, n, fraction)
    assert coverage >= level
    # Tight: each tail left out holds at most alpha / 2, and moving either rank inward breaks that.
    assert stats.binom.cdf(j - 1, n, fraction) <= 0.025
    assert stats.binom.cdf(j, n, fraction) > 0.025
    assert stats.binom.sf(k - 1, n, fraction) <= 0.025
    assert stats.binom.sf(k - 2, n, fraction) > 0.025
    # And they agree with the binomial quantiles.
    assert j == int(stats.binom.ppf(0.025, n, fraction))
    assert k == int(stats.binom.ppf(0.975, n, fraction)) + 1


def test_order_statistic_ranks_none_when_too_few() -> None:
    assert noise.order_statistic_ranks(3, 0.9) is None  # x_(3) cannot bound a p90 at 95%
    assert noise.order_statistic_ranks(5, 0.5) is None  # even [x_(1), x_(5)] covers only 30/32
    assert noise.order_statistic_ranks(0, 0.5) is None
    assert noise.order_statistic_ranks(6, 0.5) == (1, 6)  # covers 62/64 = 0.969


def test_percentile_se_is_interval_width_over_two_z() -> None:
    est = noise.percentile(14.0, 20, 9.0, 21.0)
    assert est.se == pytest.approx((21.0 - 9.0) / (2 * 1.959963985), rel=1e-9)
    assert est.interval == (9.0, 21.0)
    assert noise.percentile(14.0, 3, None, None).se is None


def _median_estimate(x: np.ndarray) -> noise.Estimate:
    ranks = noise.order_statistic_ranks(len(x), 0.5)
    assert ranks is not None
    s = np.sort(x)
    return noise.percentile(float(np.median(x)), len(x), float(s[ranks[0] - 1]), float(s[ranks[1] - 1]))


# Note: the order-statistic z is more conservative than the percentile bootstrap on skewed data;
# at scale 30 vs 10 with n = 60 the bootstrap interval excludes 0 while the z is 1.79.
@pytest.mark.parametrize(
    ("scale2", "seed2", "significant"),
    [
        (10.0, 13, False),  # same speed to lead
        (40.0, 14, True),  # four times slower: order-statistic z = 2.41
    ],
)
def test_median_change_agrees_with_scipy_bootstrap(scale2: float, seed2: int, significant: bool) -> None:
    x = np.random.default_rng(12).exponential(10.0, size=80)
    y = np.random.default_rng(seed2).exponential(scale2, size=80)

    boot = stats.bootstrap(
        (y, x),
        lambda a, b, axis: np.median(a, axis=axis) - np.median(b, axis=axis),
        n_resamples=2000,
        method="percentile",
        vectorized=True,
        random_state=np.random.default_rng(15),
    )
    boot_significant = not (boot.confidence_interval.low < 0 < boot.confidence_interval.high)
    assert boot_significant is significant

    change = noise.change(_median_estimate(y), _median_estimate(x))
    assert change.delta == pytest.approx(float(np.median(y) - np.median(x)))
    assert change.significant is significant
    assert change.method == "order-statistic z"


# ------------------------------------------------------------------------- derived
def _estimate(value: float, se: float) -> noise.Estimate:
    return noise.Estimate(value, se, value - Z95 * se, value + Z95 * se, "sum", 10)


def test_derived_ratio_se_is_delta_method_by_hand() -> None:
    a, sa, b, sb = 5000.0, 400.0, 250.0, 30.0
    est = noise.derived(lambda v: v["a"] / v["b"], {"a": _estimate(a, sa), "b": _estimate(b, sb)})
    hand = abs(a / b) * math.sqrt((sa / a) ** 2 + (sb / b) ** 2)  # = 20 * sqrt(0.0064 + 0.0144)
    assert est is not None
    assert est.value == pytest.approx(20.0)
    assert est.se == pytest.approx(hand, rel=1e-4)
    assert est.se == pytest.approx(20 * math.sqrt(0.0208), rel=1e-4)
    assert est.low == pytest.approx(20.0 - Z95 * hand, rel=1e-4)


def test_derived_part_without_noise_contributes_nothing() -> None:
    est = noise.derived(lambda v: v["a"] / v["b"], {"a": _estimate(5000.0, 400.0), "b": _estimate(250.0, 0.0)})
    assert est is not None
    assert est.se == pytest.approx(400.0 / 250.0, rel=1e-4)
    # A formula that is undefined at the values (the engine's evaluator gives None on a / 0).
    undefined = noise.derived(
        lambda v: None if v["b"] == 0 else v["a"] / v["b"], {"a": _estimate(1.0, 1.0), "b": _estimate(0.0, 1.0)}
    )
    assert undefined is None


@pytest.mark.parametrize(("a2", "significant"), [(4500.0, False), (2500.0, True)])
def test_derived_change_is_z_on_delta_method_se(a2: float, significant: bool) -> None:
    def cost_per(v):
        return v["a"] / v["b"]

    sb = 30.0
    cur = noise.derived(cost_per, {"a": _estimate(5000.0, 400.0), "b": _estimate(250.0, sb)})
    prev = noise.derived(cost_per, {"a": _estimate(a2, 400.0), "b": _estimate(250.0, sb)})
    se1 = 20.0 * math.sqrt((400 / 5000) ** 2 + (sb / 250) ** 2)
    r2 = a2 / 250.0
    se2 = r2 * math.sqrt((400 / a2) ** 2 + (sb / 250) ** 2)
    z = (20.0 - r2) / math.sqrt(se1**2 + se2**2)

    change = noise.change(cur, prev)
    assert change.z == pytest.approx(z, rel=1e-4)
    assert (abs(z) > Z95) is significant
    assert change.significant is significant
    assert change.method == "delta method z"


# ------------------------------------------------------------------------- always / json
@pytest.mark.parametrize(("delta", "significant"), [(1.0, True), (-0.001, True), (0.0, False)])
def test_always_counts_every_move(delta: float, significant: bool) -> None:
    change = noise.always(delta)
    assert change.significant is significant
    assert change.delta == delta
    assert change.method == "always"
    assert change.low is None and change.high is None


def test_change_as_json_keys() -> None:
    change = noise.change(noise.count(265), noise.count(340))
    data = change.as_json()
    assert set(data) == {"delta", "low", "high", "significant", "method"}
    assert data["delta"] == -75
    assert data["significant"] is True
    assert data["method"] == "poisson"
    assert data["low"] == pytest.approx(-75 - Z95 * math.sqrt(605))
    assert data["high"] == pytest.approx(-75 + Z95 * math.sqrt(605))
