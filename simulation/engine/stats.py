"""Summary statistics with confidence intervals, free of distributional assumptions.

Quantile intervals come from order statistics: for ``n`` i.i.d. draws the
number of draws below the true q-quantile is Binomial(n, q), so the ranks
``l`` and ``u`` with P(l ≤ B < u) ≥ 95 % bracket it (Conover, *Practical
Nonparametric Statistics*). Proportions use the Wilson score interval, which
behaves well near 0 and 1 (where the interesting targets live). The mean's
interval is the usual normal one (mean ± z · sd / √n).

Figures built from a finite pool of simulated incidents (the annual ones)
carry a second noise: the pool itself. ``widen`` adds it in quadrature, from
the spread of the statistic over bootstrap rounds of the pool
(``summarize_with_rounds``).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

Z95 = 1.959963984540054  # standard normal 97.5 % point: two-sided 95 %
QUANTILES = {"p50": 0.50, "p95": 0.95, "p99": 0.99}
ECDF_POINTS = 201  # quantiles 0, 0.005, …, 1 kept for charts and re-judging


def _binomial_cdf(n: int, q: float) -> npt.NDArray[np.float64]:
    """P(B ≤ k) for k = 0..n, B ~ Binomial(n, q), computed in log space (exact, no SciPy)."""
    k = np.arange(n + 1, dtype=float)
    if q <= 0.0:
        return np.ones(n + 1)
    if q >= 1.0:
        cdf = np.zeros(n + 1)
        cdf[-1] = 1.0
        return cdf
    log_choose = np.concatenate(([0.0], np.cumsum(np.log(n - k[1:] + 1) - np.log(k[1:]))))
    log_pmf = log_choose + k * math.log(q) + (n - k) * math.log1p(-q)
    pmf = np.exp(log_pmf - log_pmf.max())
    normalised: npt.NDArray[np.float64] = np.cumsum(pmf) / pmf.sum()
    return normalised


@functools.lru_cache(maxsize=256)
def quantile_rank_interval(n: int, q: float, level: float = 0.95) -> tuple[int, int]:
    """0-based ranks (lo, hi) of the sorted sample bracketing the q-quantile with ``level`` coverage
    (remembered: a run asks for the same few sizes and levels again and again).

    Ranks are clipped to the sample: with too few draws for a far tail the
    upper bound is the sample maximum, and the interval is then narrower than
    its nominal coverage.
    """
    if n <= 0:
        raise ValueError("n: must be positive")
    alpha = (1.0 - level) / 2.0
    cdf = _binomial_cdf(n, q)
    lo = int(np.searchsorted(cdf, alpha, side="left"))  # first k with P(B ≤ k) ≥ alpha
    hi = int(np.searchsorted(cdf, 1.0 - alpha, side="left")) + 1
    # B ≤ lo-1 has probability < alpha → x(lo) (1-based) is a lower bound; x(hi) an upper bound
    return max(lo - 1, 0), min(hi - 1, n - 1)


def quantile_ci(sorted_values: np.ndarray, q: float, level: float = 0.95) -> tuple[float, float]:
    """Distribution-free interval for the q-quantile of an already sorted sample."""
    lo, hi = quantile_rank_interval(len(sorted_values), q, level)
    return float(sorted_values[lo]), float(sorted_values[hi])


def mean_ci(values: np.ndarray) -> tuple[float, float]:
    """Normal-approximation 95 % interval of the mean."""
    n = len(values)
    mean = float(np.mean(values))
    if n < 2:
        return mean, mean
    half = Z95 * float(np.std(values, ddof=1)) / math.sqrt(n)
    return mean - half, mean + half


def wilson_interval(successes: int, n: int) -> tuple[float, float]:
    """Wilson score 95 % interval of a proportion ``successes / n``."""
    if n <= 0:
        return 0.0, 1.0
    p = successes / n
    z2 = Z95 * Z95
    centre = (p + z2 / (2 * n)) / (1 + z2 / n)
    half = Z95 * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / (1 + z2 / n)
    lo = 0.0 if successes <= 0 else max(0.0, centre - half)
    hi = 1.0 if successes >= n else min(1.0, centre + half)
    return lo, hi


def summarize(values: np.ndarray) -> dict[str, Any]:
    """``Stats`` of docs/results.md: mean, p50, p95, p99, max and their 95 % intervals."""
    values = np.sort(np.asarray(values, dtype=float))
    if len(values) == 0:
        raise ValueError("values: need at least one value")
    out: dict[str, Any] = {"mean": float(np.mean(values))}
    for name, value in zip(QUANTILES, np.quantile(values, list(QUANTILES.values())).tolist()):
        out[name] = value  # one call for every level: the same values as one call each
    out["max"] = float(values[-1])
    out["mean_ci"] = list(mean_ci(values))
    for name, q in QUANTILES.items():
        out[f"{name}_ci"] = list(quantile_ci(values, q))
    return out


def widen(
    interval: tuple[float, float] | list[float],
    estimate: float,
    pool_sd: float,
    low: float = -math.inf,
    high: float = math.inf,
) -> tuple[float, float]:
    """An interval for one source of noise, widened by a second independent one of standard deviation ``pool_sd``.

    Each side's half-width and 1.96 · ``pool_sd`` add in quadrature; the result is
    clipped to [``low``, ``high``]. With ``pool_sd`` 0 the interval is unchanged.
    """
    extra = Z95 * max(0.0, float(pool_sd))
    lo = estimate - math.hypot(estimate - interval[0], extra)
    hi = estimate + math.hypot(interval[1] - estimate, extra)
    return max(low, lo), min(high, hi)


def round_sd(values: np.ndarray | Sequence[float]) -> float:
    """Standard deviation of a statistic over bootstrap rounds (0 with fewer than two rounds)."""
    values = np.asarray(values, dtype=float)
    return float(np.std(values, ddof=1)) if len(values) > 1 else 0.0


def summarize_with_rounds(
    values: np.ndarray, rounds: np.ndarray, low: float = -math.inf, high: float = math.inf
) -> dict[str, Any]:
    """``summarize`` whose intervals also carry the noise of the incident pool the values were drawn from.

    ``rounds`` (bootstrap rounds × years) holds the same kind of values recomputed
    from resampled incident pools; each statistic's spread over the rounds widens its
    interval (``widen``).
    """
    out = summarize(values)
    rounds = np.asarray(rounds, dtype=float)
    if rounds.ndim != 2 or rounds.shape[0] < 2:
        return out
    per_round = {"mean": rounds.mean(axis=1)}
    quantiles = np.quantile(rounds, list(QUANTILES.values()), axis=1)  # one sort for every level
    for name, row in zip(QUANTILES, quantiles):
        per_round[name] = row
    for name, stat in per_round.items():
        out[f"{name}_ci"] = list(widen(out[f"{name}_ci"], out[name], round_sd(stat), low, high))
    return out


def bootstrap_year_sums(
    rng: np.random.Generator,
    pools: list[tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]],
    years: int,
    rounds: int,
    figures: tuple[str, ...],
) -> dict[str, np.ndarray]:
    """Per-year sums re-read from resampled pools: rounds × years per figure.

    ``pools`` holds, per incident type, ``(year_of, picks, outcomes)``: the year and the
    pool index of every incident the simulated years drew, and the pool's outcome arrays
    by figure name (every one of ``figures``). Each round draws a pool of the same size
    with replacement from each type's pool, then sums the same picks (read through the
    resampled pool) per year. Only years ``0 … years − 1`` are kept; with no pools the
    sums are zero. Pool by pool, the same as ``bootstrap_draws`` then ``bootstrap_pool_sums``.
    """
    sums = {name: np.zeros((rounds, years)) for name in figures}
    for year_of, picks, outcomes in pools:
        size = len(next(iter(outcomes.values())))
        year_of, picks = _kept(year_of, picks, years)
        for name, part in _pool_sums(
            _draws(rng, picks, size, rounds), year_of, outcomes, years, rounds, figures
        ).items():
            sums[name] += part
    return sums


def bootstrap_draws(
    rng: np.random.Generator, year_of: np.ndarray, picks: np.ndarray, size: int, years: int, rounds: int
) -> tuple[np.ndarray, np.ndarray]:
    """One pool's draws of ``bootstrap_year_sums``, made before its outcomes are known: the year of each
    pick in years ``0 … years − 1`` and, per round (rounds × those picks), the pool index it reads."""
    year_of, picks = _kept(year_of, picks, years)
    resampled = np.empty((rounds, len(picks)), dtype=np.int32 if size < 2**31 else np.int64)
    for r, row in enumerate(_draws(rng, picks, size, rounds)):
        resampled[r] = row
    return year_of, resampled


def bootstrap_pool_sums(
    year_of: np.ndarray, resampled: np.ndarray, outcomes: dict[str, np.ndarray], years: int, figures: tuple[str, ...]
) -> dict[str, np.ndarray]:
    """One pool's share of ``bootstrap_year_sums`` from its ``bootstrap_draws`` (rounds × years per figure)."""
    return _pool_sums(iter(resampled), year_of, outcomes, years, len(resampled), figures)


def _kept(year_of: np.ndarray, picks: np.ndarray, years: int) -> tuple[np.ndarray, np.ndarray]:
    keep = year_of < years
    return year_of[keep], picks[keep]


def _draws(rng: np.random.Generator, picks: np.ndarray, size: int, rounds: int) -> Iterator[np.ndarray]:
    """Per round, the pool index each pick reads in a pool of ``size`` drawn with replacement (drawn as read)."""
    for _ in range(rounds):
        yield rng.integers(0, size, size)[picks]


def _pool_sums(
    draws: Iterator[np.ndarray],
    year_of: np.ndarray,
    outcomes: dict[str, np.ndarray],
    years: int,
    rounds: int,
    figures: tuple[str, ...],
) -> dict[str, np.ndarray]:
    """Rounds × years sums of one pool, every round of ``draws`` read (so the stream moves on the same);
    a figure that is zero for every incident of the pool adds nothing and is left out."""
    summed = [name for name in figures if np.any(outcomes[name])]
    out = {name: np.zeros((rounds, years)) for name in summed}
    for r, resampled in enumerate(draws):
        for name in summed:
            out[name][r] = np.bincount(year_of, weights=outcomes[name][resampled], minlength=years)
    return out


def ecdf_quantiles(values: np.ndarray, points: int = ECDF_POINTS) -> list[float]:
    """The sample's quantiles at ``points`` evenly spaced levels from 0 to 1 (for charts and re-judging)."""
    return [float(x) for x in np.quantile(np.asarray(values, dtype=float), np.linspace(0.0, 1.0, points))]


def share_at_most(quantiles: Sequence[float], threshold: float) -> float:
    """P(X ≤ threshold) read back from evenly spaced quantiles (as kept in ``ecdf``), interpolated."""
    qs = np.asarray(quantiles, dtype=float)
    levels = np.linspace(0.0, 1.0, len(qs))
    if threshold < qs[0]:
        return 0.0
    if threshold >= qs[-1]:
        return 1.0
    # the last level whose quantile is ≤ threshold, then linear to the next one
    i = int(np.searchsorted(qs, threshold, side="right")) - 1
    lo, hi = qs[i], qs[i + 1]
    frac = 0.0 if hi <= lo else (threshold - lo) / (hi - lo)
    return float(levels[i] + frac * (levels[i + 1] - levels[i]))


def share_at_least(quantiles: Sequence[float], threshold: float) -> float:
    """P(X ≥ threshold) read back from evenly spaced quantiles, interpolated."""
    qs = np.asarray(quantiles, dtype=float)
    levels = np.linspace(0.0, 1.0, len(qs))
    if threshold <= qs[0]:
        return 1.0
    if threshold > qs[-1]:
        return 0.0
    i = int(np.searchsorted(qs, threshold, side="left"))  # first quantile ≥ threshold
    lo, hi = qs[i - 1], qs[i]
    frac = 1.0 if hi <= lo else (threshold - lo) / (hi - lo)
    return float(1.0 - (levels[i - 1] + frac * (levels[i] - levels[i - 1])))


def half_width(interval: tuple[float, float] | list[float], estimate: float) -> float:
    """The wider side of an interval around its estimate."""
    return max(estimate - interval[0], interval[1] - estimate)
