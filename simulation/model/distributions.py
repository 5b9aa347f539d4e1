"""Distributions: small immutable value objects for uncertain durations and rates.

Every distribution draws a whole batch at once (``sample(rng, n)``) so that the
incident models can take their random inputs as arrays, and knows its ``mean``
for closed-form checks. In a scenario document a bare number means ``fixed``;
otherwise ``{"kind": ..., ...}``.
"""

from __future__ import annotations

import math
from typing import Annotated, Any, Literal, Self

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from simulation.limits import MAX_DURATION_S

# z-scores of the standard normal at the quantiles a lognormal can be given by
_Z = {"p95": 1.6448536269514722, "p99": 2.3263478740408408}


MAX_LOGNORMAL_SPREAD = 10_000  # p95 (or p99) at most this many times the median: draws stay finite
MAX_EMPIRICAL_VALUES = 100_000


class _Dist(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    @model_validator(mode="after")
    def _bounds(self) -> Self:
        for name, info in type(self).model_fields.items():
            value = getattr(self, name)
            values = value if isinstance(value, list) else [value]
            if any(isinstance(v, (int, float)) and v > MAX_DURATION_S for v in values):
                raise ValueError(f"{info.alias or name}: must be at most {MAX_DURATION_S} s (10 years)")
        return self

    def sample(self, rng: np.random.Generator, n: int) -> npt.NDArray[np.float64]:  # pragma: no cover
        raise NotImplementedError

    @property
    def mean(self) -> float:  # pragma: no cover
        raise NotImplementedError


class Fixed(_Dist):
    kind: Literal["fixed"] = "fixed"
    value: float = Field(ge=0)

    def sample(self, rng: np.random.Generator, n: int) -> npt.NDArray[np.float64]:
        return np.full(n, float(self.value))

    @property
    def mean(self) -> float:
        return float(self.value)

    def __repr__(self) -> str:
        return f"Fixed({self.value:g})"


class Uniform(_Dist):
    kind: Literal["uniform"] = "uniform"
    low: float = Field(ge=0)
    high: float = Field(ge=0)

    @model_validator(mode="after")
    def _order(self) -> Self:
        if self.high < self.low:
            raise ValueError("high: must be >= low")
        return self

    def sample(self, rng: np.random.Generator, n: int) -> npt.NDArray[np.float64]:
        return rng.uniform(self.low, self.high, n)

    @property
    def mean(self) -> float:
        return (self.low + self.high) / 2

    def __repr__(self) -> str:
        return f"Uniform({self.low:g}, {self.high:g})"


class Triangular(_Dist):
    kind: Literal["triangular"] = "triangular"
    low: float = Field(ge=0)
    mode: float = Field(ge=0)
    high: float = Field(ge=0)

    @model_validator(mode="after")
    def _order(self) -> Self:
        if not self.low <= self.mode <= self.high:
            raise ValueError("mode: must be between low and high")
        return self

    def sample(self, rng: np.random.Generator, n: int) -> npt.NDArray[np.float64]:
        if self.high == self.low:
            return np.full(n, float(self.low))
        return rng.triangular(self.low, self.mode, self.high, n)

    @property
    def mean(self) -> float:
        return (self.low + self.mode + self.high) / 3

    def __repr__(self) -> str:
        return f"Triangular({self.low:g}, {self.mode:g}, {self.high:g})"


class Normal(_Dist):
    """Normal, truncated at zero (durations cannot be negative): ``mean`` and ``sd`` are those of the
    normal before truncation; negative draws are drawn again, so no mass piles up at zero.

    ``mean`` (the property) is the truncated distribution's mean, μ + σ·φ(α) / (1 − Φ(α)) with
    α = −μ/σ, which is above the ``mean`` field when ``sd`` is not small next to it.
    """

    kind: Literal["normal"] = "normal"
    mean_: float = Field(alias="mean", ge=0)
    sd: float = Field(ge=0)
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True, allow_inf_nan=False)

    def sample(self, rng: np.random.Generator, n: int) -> npt.NDArray[np.float64]:
        # Rejection: with μ >= 0 at least half of the draws are kept, so the batch is full after a few rounds.
        values = rng.normal(self.mean_, self.sd, n)
        negative = np.flatnonzero(values < 0)
        while negative.size:
            values[negative] = rng.normal(self.mean_, self.sd, negative.size)
            negative = negative[values[negative] < 0]
        return values

    @property
    def mean(self) -> float:
        if self.sd == 0:
            return float(self.mean_)
        alpha = -self.mean_ / self.sd
        density = math.exp(-alpha * alpha / 2) / math.sqrt(2 * math.pi)  # φ(α)
        kept = 0.5 * (1 - math.erf(alpha / math.sqrt(2)))  # 1 − Φ(α)
        return float(self.mean_ + self.sd * density / kept)

    def __repr__(self) -> str:
        return f"Normal({self.mean_:g}, sd={self.sd:g})"


class LogNormal(_Dist):
    """Lognormal given by its median and its p95 (or p99): how people remember durations."""

    kind: Literal["lognormal"] = "lognormal"
    median: float = Field(gt=0)
    p95: float | None = Field(default=None, gt=0)
    p99: float | None = Field(default=None, gt=0)

    @model_validator(mode="after")
    def _tail(self) -> Self:
        given = [k for k in ("p95", "p99") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError("p95: give exactly one of p95 or p99")
        if getattr(self, given[0]) < self.median:
            raise ValueError(f"{given[0]}: must be >= median")
        if getattr(self, given[0]) > MAX_LOGNORMAL_SPREAD * self.median:
            raise ValueError(f"{given[0]}: must be at most {MAX_LOGNORMAL_SPREAD} × median")
        return self

    @property
    def sigma(self) -> float:
        key = "p95" if self.p95 is not None else "p99"
        return math.log(getattr(self, key) / self.median) / _Z[key]

    def sample(self, rng: np.random.Generator, n: int) -> npt.NDArray[np.float64]:
        return self.median * np.exp(self.sigma * rng.standard_normal(n))

    @property
    def mean(self) -> float:
        return self.median * math.exp(self.sigma**2 / 2)

    def __repr__(self) -> str:
        tail = f"p95={self.p95:g}" if self.p95 is not None else f"p99={self.p99:g}"
        return f"LogNormal(median={self.median:g}, {tail})"


class Exponential(_Dist):
    kind: Literal["exponential"] = "exponential"
    mean_: float = Field(alias="mean", gt=0)
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True, allow_inf_nan=False)

    def sample(self, rng: np.random.Generator, n: int) -> npt.NDArray[np.float64]:
        return rng.exponential(self.mean_, n)

    @property
    def mean(self) -> float:
        return float(self.mean_)

    def __repr__(self) -> str:
        return f"Exponential(mean={self.mean_:g})"


class Empirical(_Dist):
    """Observed values (e.g. measured in drills), resampled with replacement."""

    kind: Literal["empirical"] = "empirical"
    values: list[Annotated[float, Field(ge=0)]] = Field(min_length=1, max_length=MAX_EMPIRICAL_VALUES)

    def sample(self, rng: np.random.Generator, n: int) -> npt.NDArray[np.float64]:
        return rng.choice(np.asarray(self.values, dtype=float), n)

    @property
    def mean(self) -> float:
        return float(np.mean(self.values))

    def __repr__(self) -> str:
        return f"Empirical(n={len(self.values)}, mean={self.mean:g})"


_Tagged = Annotated[
    Fixed | Uniform | Triangular | Normal | LogNormal | Exponential | Empirical, Field(discriminator="kind")
]


def _coerce(value: Any) -> Any:
    """A bare number means a fixed value."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return {"kind": "fixed", "value": value}
    return value


Dist = Annotated[_Tagged, BeforeValidator(_coerce)]
"""Type of every uncertain quantity in a scenario."""


def fixed(value: float) -> Fixed:
    return Fixed(value=value)


def uniform(low: float, high: float) -> Uniform:
    return Uniform(low=low, high=high)


def lognormal(median: float, p95: float) -> LogNormal:
    return LogNormal(median=median, p95=p95)
