"""The parameter helper every schema field goes through: default, bounds, unit, help, mechanism.

This is the single source of truth for parameters: YAML validation, ``--set`` overrides,
browser sliders and ``docs/parameters.md`` all read the metadata written here.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class Section(BaseModel):
    """Base of every schema section: unknown keys, NaN/inf and silent type coercion are errors."""

    model_config = ConfigDict(
        extra="forbid", strict=True, allow_inf_nan=False, validate_assignment=True, frozen=False
    )


def param(
    default: Any,
    help: str,
    *,
    unit: str = "",
    ge: float | None = None,
    le: float | None = None,
    gt: float | None = None,
    lt: float | None = None,
    mechanism: str | None = None,
    slider: tuple[float, float, float] | None = None,
    default_factory: Any = None,
) -> Any:
    """Declare one scenario parameter with its default, bounds, unit, help text and mechanism.

    ``slider`` (min, max, step) marks a main lever for the browser view; its bounds must lie
    within ``ge``/``le``.
    """
    extra: dict[str, Any] = {"unit": unit}
    if mechanism:
        extra["mechanism"] = mechanism
    if slider:
        extra["slider"] = list(slider)
    if default_factory is not None:
        return Field(default_factory=default_factory, description=help, json_schema_extra=extra)
    return Field(default, description=help, ge=ge, le=le, gt=gt, lt=lt, json_schema_extra=extra)
