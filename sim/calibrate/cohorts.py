"""Monthly cohort repeat-purchase shares and weekly cumulative repeat purchases from a
purchase log; the same functions read real logs and the model's transactions."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class CohortStats:
    """Repeat-purchase statistics of the customers whose first purchase falls in the first
    ``sizes.size`` calendar months after ``origin``."""

    origin: np.datetime64
    sizes: IntArray  # customers per cohort month
    shares: FloatArray  # [cohort, k-1]: share buying in calendar month k after the first
    cumulative: IntArray  # [week-1]: repeat purchase days by the end of week w, all cohorts

    @property
    def customers(self) -> int:
        """Customers in all cohorts together."""
        return int(self.sizes.sum())


def month_index(day: IntArray, origin: np.datetime64) -> IntArray:
    """Calendar month of each day number (day 0 = ``origin``), counted from origin's month."""
    dates = origin + day.astype("timedelta64[D]")
    start = origin.astype("datetime64[M]").astype(np.int64)
    return np.asarray(dates.astype("datetime64[M]").astype(np.int64) - start, np.int64)


def month_start_day(month: int, origin: np.datetime64) -> int:
    """Day number of the first day of calendar month ``month`` after origin's month."""
    first = origin.astype("datetime64[M]") + np.timedelta64(month, "M")
    return int((first.astype("datetime64[D]") - origin).astype(np.int64))


def purchase_days(customer_id: IntArray, day: IntArray) -> tuple[IntArray, IntArray]:
    """Distinct (customer, day) pairs, sorted: several purchases on one day count once."""
    pairs = np.unique(np.stack([customer_id.astype(np.int64), day.astype(np.int64)]), axis=1)
    return pairs[0], pairs[1]


def cohort_stats(
    customer_id: npt.ArrayLike,
    day: npt.ArrayLike,
    origin: np.datetime64,
    *,
    cohort_months: int,
    months: int,
    weeks: int,
) -> CohortStats:
    """Group customers by calendar month of first purchase (the first ``cohort_months``
    months only); for k = 1..months the share of each cohort buying in month k after the
    first purchase's month; and cumulative repeat purchase days (same-day purchases
    collapsed) of those customers by the end of each week 1..weeks (day 0 starts week 1)."""
    cid, d = purchase_days(np.asarray(customer_id), np.asarray(day))
    ids, start = np.unique(cid, return_index=True)  # pairs are sorted: first day first
    first_day = d[start]
    first_month = month_index(first_day, origin)
    keep = first_month < cohort_months
    sizes = np.bincount(first_month[keep], minlength=cohort_months).astype(np.int64)
    row = np.searchsorted(ids, cid)
    in_cohort = keep[row]
    cohort = first_month[row]
    k = month_index(d, origin) - cohort
    sel = in_cohort & (k >= 1) & (k <= months)
    # one count per (customer, k): a customer buying twice in month k counts once
    cells = np.unique(np.stack([row[sel], k[sel]]), axis=1)
    counts = np.zeros((cohort_months, months), np.float64)
    np.add.at(counts, (first_month[cells[0]], cells[1] - 1), 1.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        shares = np.where(sizes[:, None] > 0, counts / np.maximum(sizes, 1)[:, None], np.nan)
    repeat = in_cohort & (d > first_day[row])
    week = d[repeat] // 7
    per_week = np.bincount(week[week < weeks], minlength=weeks)
    return CohortStats(origin, sizes, shares, np.cumsum(per_week).astype(np.int64))
