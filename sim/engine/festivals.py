"""M7 shopping festivals: participants drawn by tier get placement; demand spikes."""

from __future__ import annotations

import numpy as np

from sim.config.platform import Festival
from sim.engine.customers import ACTIVE
from sim.engine.market import Market


def festival_on(mk: Market, day: int) -> Festival | None:
    """The festival running on ``day``, if any."""
    for f in mk.sc.platform.festivals:
        if f.start_day <= day < f.start_day + f.duration:
            return f
    return None


def update_placement(mk: Market, day: int) -> None:
    """On a festival's first day draw the participating shops; clear placement after it."""
    s = mk.shops
    f = festival_on(mk, day)
    if f is None:
        s.festival_boost[:] = 0.0
        return
    if day == f.start_day:
        share = np.where(s.premium, f.premium_participation, f.ordinary_participation)
        takes_part = (mk.rng.random(s.n) < share) & s.alive
        s.festival_boost[:] = np.where(takes_part, f.placement_boost, 0.0)


def extra_visitors(mk: Market, day: int, scheduled: np.ndarray) -> np.ndarray:
    """Festival demand: active customers shop today with (multiplier - 1) x their rate."""
    f = festival_on(mk, day)
    if f is None:
        return scheduled
    c = mk.cust
    active = np.flatnonzero(c.churned[: c.n] == ACTIVE)
    p = np.minimum(c.shop_rate[active] * (f.demand_multiplier - 1.0), 1.0)
    extra = active[mk.rng.random(active.size) < p]
    return np.union1d(scheduled, extra)
