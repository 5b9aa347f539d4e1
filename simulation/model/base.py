"""What every section of the scenario document shares: frozen, no unknown fields, sane bounds."""

from __future__ import annotations

from typing import Self

from pydantic import BaseModel, ConfigDict, model_validator

from simulation.limits import MAX_COUNT, MAX_DURATION_S, MAX_QUANTITY


def check_bounds(model: BaseModel) -> None:
    """Raise ``ValueError("<field>: …")`` for the first number of ``model`` above its sane upper bound.

    The unit in a field's name decides the bound: ``_s`` fields (durations) at most
    ``MAX_DURATION_S``; whole numbers at most ``MAX_COUNT``; every other number at
    most ``MAX_QUANTITY``. Fields with a tighter ``le=`` keep it. Non-finite numbers
    are rejected before this by ``allow_inf_nan=False``.
    """
    for name, info in type(model).model_fields.items():
        value = getattr(model, name)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            continue
        label = info.alias or name
        if name.endswith("_s") and value > MAX_DURATION_S:
            raise ValueError(f"{label}: must be at most {MAX_DURATION_S} s (10 years), got {value:g}")
        if isinstance(value, int) and value > MAX_COUNT:
            raise ValueError(f"{label}: must be at most {MAX_COUNT}, got {value}")
        if value > MAX_QUANTITY:
            raise ValueError(f"{label}: must be at most {MAX_QUANTITY:g}, got {value:g}")


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False, defer_build=True)

    @model_validator(mode="after")
    def _bounds(self) -> Self:
        check_bounds(self)
        return self
