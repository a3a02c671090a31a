"""The scenario schema: one validated object holding every parameter of a run."""

from __future__ import annotations

import re

from pydantic import Field, field_validator, model_validator

from sim.config.fields import Section, param
from sim.config.mechanisms import Mechanisms
from sim.config.platform import PlatformParams
from sim.config.population import CustomerParams
from sim.config.shops import TIERS, ShopParams
from sim.config.timeline import TimelineEvent, check_results

_NAME_RE = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,99}")


class SatisfactionParams(Section):
    """Expectation-disconfirmation: how one purchase moves satisfaction and expectations."""

    met_expectations: float = param(
        1.0,
        "evaluation (log-odds) of a purchase that exactly meets expectations",
        ge=-10,
        le=10,
    )
    loss_aversion: float = param(
        2.25, "how much more a shortfall weighs than an equal surprise", ge=1, le=10
    )
    learning_rate: float = param(0.3, "weight of the newest purchase in satisfaction", gt=0, le=1)
    expectation_adaptation: float = param(
        0.3, "how far expectations move towards what was delivered", ge=0, le=1
    )
    dissatisfied_below: float = param(
        0.4,
        "evaluation below which a customer is dissatisfied (complains, warns)",
        ge=0,
        le=1,
    )
    delighted_above: float = param(
        0.8,
        "evaluation above which a customer is delighted (recommends); not below dissatisfied_below",
        ge=0,
        le=1,
    )

    @model_validator(mode="after")
    def _delight_above_dissatisfaction(self) -> SatisfactionParams:
        """One purchase cannot both delight (recommend) and dissatisfy (complain, warn)."""
        if self.delighted_above < self.dissatisfied_below:
            raise ValueError(
                f"delighted_above ({self.delighted_above:g}) is below dissatisfied_below "
                f"({self.dissatisfied_below:g}): a purchase would both delight and dissatisfy"
            )
        return self


class ChurnParams(Section):
    """Platform churn hazard and the shop-churn window."""

    hazard_enabled: bool = param(True, "customers can leave the platform")
    base_hazard: float = param(
        0.002,
        "daily chance of leaving the platform at reference satisfaction",
        unit="1/day",
        ge=0,
        le=1,
    )
    reference_satisfaction: float = param(
        0.6, "satisfaction at which the hazard equals base_hazard", ge=0, le=1
    )
    satisfaction_sensitivity: float = param(
        5.0, "log-hazard rise per unit of satisfaction below the reference", ge=0, le=50
    )
    propensity_spread: float = param(
        1.2,
        "spread (coefficient of variation) of each customer's own churn propensity, a gamma "
        "multiplier of mean 1 on the hazard: 0 everyone alike; above 0 the churn-prone leave "
        "first, so survivors' hazard falls with tenure",
        ge=0,
        le=3,
        mechanism="M14",
    )
    shop_churn_window: int = param(
        90,
        "days without a purchase after which a customer-shop relationship has ended",
        unit="days",
        ge=1,
        le=3650,
    )


class ShopRules(Section):
    """Shop-level rules that are not customer behaviour."""

    exits_enabled: bool = param(True, "a shop whose cash runs out leaves the market")
    rating_prior: float = param(4.0, "rating of a shop with no reviews yet", ge=1, le=5)
    rating_prior_weight: float = param(
        20.0,
        "reviews' worth of weight of the rating prior (above 0: a shop without reviews has no "
        "other rating)",
        gt=0,
        le=1e6,
    )
    review_share: float = param(0.3, "share of purchases that leave a review", ge=0, le=1)


class Scenario(Section):
    """A complete, validated description of one simulated market."""

    name: str = param(
        "scenario",
        "short name shown in outputs and naming the default output folder: letters, digits, "
        "'_', '-', '.'",
    )
    description: str = param("", "what question this scenario asks")
    days: int = param(365, "simulated days", unit="days", ge=1, le=36_500)
    seed: int = param(0, "seed of the run's random generators", ge=0, le=2**63 - 1)
    customers: CustomerParams = Field(default_factory=CustomerParams)
    shops: ShopParams = Field(default_factory=ShopParams)
    platform: PlatformParams = Field(default_factory=PlatformParams)
    satisfaction: SatisfactionParams = Field(default_factory=SatisfactionParams)
    churn: ChurnParams = Field(default_factory=ChurnParams)
    shop_rules: ShopRules = Field(default_factory=ShopRules)
    mechanisms: Mechanisms = Field(default_factory=Mechanisms)
    timeline: list[TimelineEvent] = param(
        None, "changes on given days to shop groups or the platform", default_factory=list
    )

    @field_validator("name")
    @classmethod
    def _plain_name(cls, name: str) -> str:
        """The name becomes a folder name (results/<name>-seed<seed>) and is printed: a path
        (``../../x``) or a terminal escape code in it must never get that far."""
        if not _NAME_RE.fullmatch(name):
            raise ValueError(
                f"must be a plain name of letters, digits, '_', '-' or '.' not starting with "
                f"'.' or '-', at most 100 characters (got {name[:60]!r})"
            )
        return name

    @model_validator(mode="after")
    def _timeline_fits(self) -> Scenario:
        """Events must fall within the horizon and name shops that exist."""
        names = {g.name for g in self.shops.groups}
        groups = names | {f"tier:{t}" for t in TIERS} | {"all"}
        for i, ev in enumerate(self.timeline):
            if ev.day > self.days:
                raise ValueError(
                    f"timeline[{i}] is on day {ev.day}, after the last day ({self.days})"
                )
            if ev.target == "shops" and ev.group not in groups:
                raise ValueError(
                    f"timeline[{i}].group {ev.group!r} is not a shop group "
                    f"(groups: {', '.join(sorted(names))})"
                )
            if (
                ev.target == "shops"
                and ev.group.startswith("tier:")
                and not any(g.tier == ev.group[5:] and g.count for g in self.shops.groups)
            ):
                raise ValueError(f"timeline[{i}].group {ev.group!r}: no shops of that tier")
        check_results(self.shops.groups, self.platform, self.timeline)
        return self

    @model_validator(mode="after")
    def _festivals_fit(self) -> Scenario:
        """A festival must start within the horizon, as a timeline event must: one that
        never happens is a mistake (often a run shortened by --days), not a silent no-op."""
        for i, fest in enumerate(self.platform.festivals):
            if fest.start_day > self.days:
                raise ValueError(
                    f"platform.festivals[{i}] starts on day {fest.start_day}, "
                    f"after the last day ({self.days})"
                )
        return self
