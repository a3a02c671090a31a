"""Customer state as NumPy arrays (one row per customer), grown by doubling as customers arrive.

Per-customer-shop state is sparse: each customer remembers ``known_shops`` slots
(shop id, loyalty, expectation, last purchase day), not one entry per shop; a customer's
slots are one record of ``slots``, exposed as (rows, known) column views ``slot_*``.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields

import numpy as np

NO_SHOP = -1
ACTIVE = -1

#: Tier codes of a customer's first shop, used for grouping outputs.
TIER_NONE, TIER_PREMIUM, TIER_ORDINARY = 0, 1, 2

#: Causes of platform churn: the kind of setback that cost the customer most satisfaction
#: (column ``k - 1`` of ``lost`` accumulates losses of cause ``k``); background if none.
CAUSES = ("background", "quality", "logistics", "service", "word_of_mouth")


def slot_dtype(known: int) -> np.dtype:
    """One customer's shop memory as one record (array of structs): the fields a shopping trip
    reads sit together, two cache lines for four slots instead of six scattered ones.
    """
    return np.dtype(
        [
            ("shop", np.int32, (known,)),
            ("loyalty", np.float64, (known,)),
            ("touched", np.int32, (known,)),
            ("expect", np.float64, (known,)),
            ("count", np.int32, (known,)),
            ("last", np.int32, (known,)),
        ]
    )


@dataclass
class CustomerTable:
    """Columns of customer state; only rows ``[:n]`` are in use."""

    known: int
    degree: int
    n: int = 0
    segment: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int8))
    joined: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int32))
    churned: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int32))
    cause: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int8))
    lost: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), np.float32))
    satisfaction: np.ndarray = field(default_factory=lambda: np.zeros(0, np.float64))
    first_tier: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int8))
    cell: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int16))
    shop_rate: np.ndarray = field(default_factory=lambda: np.zeros(0, np.float64))
    price_mult: np.ndarray = field(default_factory=lambda: np.zeros(0, np.float64))
    won_on_discount: np.ndarray = field(default_factory=lambda: np.zeros(0, np.bool_))
    #: M14 churn propensity: the customer's own multiplier of the platform-churn hazard.
    propensity: np.ndarray = field(default_factory=lambda: np.zeros(0, np.float64))
    #: M14 basket: the customer's usual order size in units (mean 1 across customers).
    spend: np.ndarray = field(default_factory=lambda: np.zeros(0, np.float64))
    #: M13 contagion: last day the hazard is raised by a contact's departure (-1: never).
    exposed_until: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int32))
    next_visit: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int32))
    churn_day: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int32))
    n_purchases: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int32))
    total_spent: np.ndarray = field(default_factory=lambda: np.zeros(0, np.float64))
    margin: np.ndarray = field(default_factory=lambda: np.zeros(0, np.float64))
    first_day: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int32))
    first_shop: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int32))
    last_shop: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int32))
    contacts: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), np.int32))
    #: The customer's shop memory, one record per customer (see :func:`slot_dtype`).
    slots: np.ndarray = field(default_factory=lambda: np.zeros(0, slot_dtype(0)))

    def __post_init__(self) -> None:
        """Give the memory records ``known`` slots each."""
        if self.slots.dtype != slot_dtype(self.known):
            self.slots = np.zeros(self.slots.shape[0], slot_dtype(self.known))

    @property
    def slot_shop(self) -> np.ndarray:
        """(rows, known) shop id remembered in each slot, ``NO_SHOP`` if empty."""
        return self.slots["shop"]

    @property
    def slot_loyalty(self) -> np.ndarray:
        """(rows, known) loyalty to the slot's shop when last updated (M10, M11)."""
        return self.slots["loyalty"]

    @property
    def slot_touched(self) -> np.ndarray:
        """(rows, known) day the slot's loyalty was last updated."""
        return self.slots["touched"]

    @property
    def slot_expect(self) -> np.ndarray:
        """(rows, known) expected quality of the slot's shop (M1, M2)."""
        return self.slots["expect"]

    @property
    def slot_count(self) -> np.ndarray:
        """(rows, known) purchases from the slot's shop."""
        return self.slots["count"]

    @property
    def slot_last(self) -> np.ndarray:
        """(rows, known) day of the last purchase from the slot's shop (M10 window)."""
        return self.slots["last"]

    @property
    def capacity(self) -> int:
        """Rows allocated (in use or not)."""
        return int(self.segment.shape[0])

    def reserve(self, extra: int) -> None:
        """Make room for ``extra`` more customers, doubling capacity to amortise copies."""
        need = self.n + extra
        if need <= self.capacity and self.capacity > 0:
            return
        cap = max(need, 2 * self.capacity, 1024)
        widths = {"contacts": self.degree, "lost": len(CAUSES) - 1}
        columns = {f.name: getattr(self, f.name) for f in fields(self)}
        shapes = {
            name: (cap,) if arr.ndim == 1 else (cap, widths.get(name, self.known))
            for name, arr in columns.items()
            if isinstance(arr, np.ndarray)
        }
        grown = arena({name: (shape, columns[name].dtype) for name, shape in shapes.items()})
        for name, arr in grown.items():
            if self.n:
                arr[: self.n] = columns[name][: self.n]
            setattr(self, name, arr)

    def active_mask(self) -> np.ndarray:
        """Boolean mask over rows in use: still on the platform."""
        return self.churned[: self.n] == ACTIVE

    def tenure(self, day: int) -> tuple[np.ndarray, np.ndarray]:
        """(days on the platform, left) of every customer ever: to its churn day if it left,
        else to ``day`` (censored); the input of every survival-by-tenure estimate."""
        churned = self.churned[: self.n]
        left = churned != ACTIVE
        return np.where(left, churned, day).astype(np.int64) - self.joined[: self.n], left

    def nbytes(self) -> int:
        """Bytes held by the arrays (allocated capacity)."""
        return sum(
            getattr(self, f.name).nbytes
            for f in fields(self)
            if isinstance(getattr(self, f.name), np.ndarray)
        )


#: Alignment of each column in the arena: a cache line.
ALIGN = 64


def arena(specs: dict[str, tuple[tuple[int, ...], np.dtype]]) -> dict[str, np.ndarray]:
    """Zeroed arrays of the given shapes and dtypes, all views of one buffer.

    One large allocation instead of one per column: NumPy advises the kernel to back
    allocations of 4 MB or more with huge pages, which a 100,000-customer table reaches as a
    whole but not column by column. Customers are scattered rows of every column, so with
    4 KB pages nearly each access also misses the TLB; huge pages make the shopping kernels
    about 15-20 % faster at that size (docs/performance.md).
    """
    offsets, total = {}, 0
    for name, (shape, dtype) in specs.items():
        offsets[name] = total
        size = int(np.prod(shape)) * np.dtype(dtype).itemsize
        total += -(-size // ALIGN) * ALIGN
    buffer = np.zeros(total + ALIGN, np.uint8)
    start = -buffer.ctypes.data % ALIGN
    out = {}
    for name, (shape, dtype) in specs.items():
        size = int(np.prod(shape)) * np.dtype(dtype).itemsize
        at = start + offsets[name]
        out[name] = buffer[at : at + size].view(dtype).reshape(shape)
    return out
