"""The machine-readable half of a lesson: its experiment, browser settings and testable claims.

Each lesson is two files in ``docs/lessons/``: ``NN-slug.md`` for people and ``NN-slug.yaml``
for the code (this schema). A claim names a measure of the lesson's sweep, the variant it is
about and what the measure should do (a claim of no difference also names its margin, the
smallest difference that would matter); ``churnsim lesson N`` and the lesson tests check it.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, model_validator

from sim.config.fields import Section, param


class OutcomeMeasure(Section):
    """A column of the sweep's runs.parquet (retention_180d, profit, premium_share, ...);
    with ``per``, divided by another outcome of the same run (a ratio, e.g. profit per unit
    of revenue)."""

    kind: Literal["outcome"]
    column: str = param(..., "column of runs.parquet")
    scale: float = param(1.0, "multiply by this (100 turns a share into points)")
    per: str | None = param(None, "divide by this column of runs.parquet (same run)")


class RetentionMeasure(Section):
    """Kaplan-Meier platform retention of a group at a day since joining, in points;
    with ``minus``, less another group's retention in the same run (a within-run gap, e.g.
    how far the price-sensitive segment trails the quality seekers)."""

    kind: Literal["retention"]
    group: str = param("all", "group of retention.parquet: all, tier:premium, segment:...")
    day: int = param(..., "days since joining", unit="days", ge=0)
    minus: str | None = param(None, "subtract this group's retention at the same day (a gap)")


class WindowMeasure(Section):
    """Sum or daily mean of a time-series metric of a group over a window of days; with
    ``minus``, less the same statistic of another group in the same run (a within-run gap,
    e.g. one segment's mean satisfaction against another's)."""

    kind: Literal["window"]
    metric: str = param(..., "metric of timeseries.parquet (purchases, complaints, ...)")
    group: str = param("all", "group of timeseries.parquet")
    start: int = param(..., "first day of the window", unit="day", ge=0)
    end: int = param(..., "last day of the window (inclusive)", unit="day", ge=0)
    stat: Literal["sum", "mean"] = param("mean", "sum over the window or mean per day")
    scale: float = param(1.0, "multiply by this (100 turns a share into points)")
    minus: str | None = param(None, "subtract this group's statistic over the same window")


class ShareMeasure(Section):
    """A group's share of a metric over a window, in points (e.g. ordinary shops' purchases)."""

    kind: Literal["share"]
    metric: str = param("purchases", "metric of timeseries.parquet")
    group: str = param(..., "the group whose share is measured")
    of: str = param("all", "the group it is a share of")
    start: int = param(..., "first day of the window", unit="day", ge=0)
    end: int = param(..., "last day of the window (inclusive)", unit="day", ge=0)


class ShopsMeasure(Section):
    """Mean of a shops.parquet column over a shop group, optionally minus another group's."""

    kind: Literal["shops"]
    column: str = param(..., "column of shops.parquet (repeat_rate, profit, ...)")
    group: str = param(..., "shop group name")
    minus: str | None = param(None, "subtract this group's mean (a within-run gap)")
    scale: float = param(1.0, "multiply by this (100 turns a rate into points)")


class CustomersMeasure(Section):
    """A statistic of the run's customers.parquet (every customer ever on the platform, or
    those who joined by a day): the mean of a column per customer; the share of the column's
    total held by the top fraction of customers ranked by it, in points; or that share less
    the rest's share (above 0: the top fraction hold more than all the others together). The
    experiment must keep ``outputs: customers: true``."""

    kind: Literal["customers"]
    column: str = param("margin", "column of customers.parquet (margin, total_spent, ...)")
    stat: Literal["mean", "top_share", "top_over_rest"] = param(
        "mean",
        "mean per customer; the top fraction's share of the total in points; or that share "
        "minus the rest's share, in points",
    )
    top: float = param(0.2, "top_share: the fraction of customers at the top", gt=0, le=1)
    joined_by: int | None = param(
        None, "only customers who joined on or before this day (a cohort)", unit="day", ge=0
    )
    scale: float = param(1.0, "multiply the mean by this (top_share is already in points)")


Measure = Annotated[
    OutcomeMeasure
    | RetentionMeasure
    | WindowMeasure
    | ShareMeasure
    | ShopsMeasure
    | CustomersMeasure,
    Field(discriminator="kind"),
]


class Claim(Section):
    """One 'what you should observe' statement and how to check it on the lesson's sweep."""

    text: str = param(..., "the statement, as the lesson says it")
    measure: Measure
    unit: str = param("", "unit of the measure as printed (points, per day, ...)")
    variant: str = param(..., "the variant the claim is about")
    versus: str | None = param(
        None, "compare with this variant, paired over seeds (none: the measure's own sign)"
    )
    expect: Literal["higher", "lower", "no_difference"] = param(
        ..., "the difference (or value) is clearly above zero, clearly below it, or within margin"
    )
    margin: float | None = param(
        None,
        "no_difference only: the smallest difference that would matter, in the claim's unit; "
        "the claim holds when the whole 95% interval lies inside (-margin, +margin)",
        gt=0,
    )

    @model_validator(mode="after")
    def _margin_fits_expect(self) -> Claim:
        """No difference needs a margin (an interval merely containing 0 proves nothing)."""
        if self.expect == "no_difference" and self.margin is None:
            raise ValueError(
                "a no_difference claim needs a margin: the smallest difference that would "
                "matter, in the claim's unit (e.g. margin: 1.0)"
            )
        if self.expect != "no_difference" and self.margin is not None:
            raise ValueError(
                f"margin is only for no_difference claims (this one expects {self.expect})"
            )
        return self


class VizSettings(Section):
    """What ``churnsim viz --lesson N`` opens: a scenario, lever values and extra controls."""

    scenario: str = param("baseline", "scenario name")
    set: dict[str, Any] = param(
        {}, "key.path: value overrides (the browser's sliders start at these)"
    )
    levers: list[str] = param(
        [],
        "schema fields the lesson's exercises change, shown as extra controls on its page: "
        "shops.groups[].FIELD (every ordinary group), shops.groups[NAME].FIELD (one group) "
        "or a dotted path such as mechanisms.m13_word_of_mouth.recommend_prob",
    )


class LessonSpec(Section):
    """A lesson: title, mechanisms, experiment, browser settings and claims."""

    number: int = param(..., "lesson number", ge=1)
    title: str = param(..., "title")
    question: str = param(..., "the question the lesson answers")
    mechanisms: list[str] = param(..., "M-numbers of the domain notes")
    experiment: str = param(..., "experiment file, relative to experiments/")
    workers: int = param(2, "worker processes `churnsim lesson` uses by default", ge=1)
    viz: VizSettings = Field(default_factory=VizSettings)
    claims: list[Claim] = param(..., "what the lesson says you will observe")

    @model_validator(mode="after")
    def _check(self) -> LessonSpec:
        """Every M-number is one of M1..M15; there is at least one claim."""
        bad = [m for m in self.mechanisms if m not in {f"M{i}" for i in range(1, 16)}]
        if bad:
            raise ValueError(f"unknown mechanism {bad[0]!r} (M1..M15)")
        if not self.claims:
            raise ValueError("a lesson needs at least one claim")
        return self
