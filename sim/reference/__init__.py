"""Reference implementation of churnsim's rules, written the idiomatic Mesa way.

This package is the *readable oracle* and the *benchmark baseline* of the fast engine
(:mod:`sim.engine`): one :class:`RefCustomer` agent per customer keeps its own state in plain
Python attributes and lives its day in ``step()``, drawing from ``self.random``. It applies
the same rules M1-M15 (see :mod:`sim.mechanisms` and docs/mechanisms.md) with the same
compiled parameters, so its outputs are statistically (not bitwise) equivalent to
:class:`sim.model.ChurnModel`'s; ``tests/test_reference.py`` checks that over many seeds.

It is the benchmark baseline, slow on purpose: of the order of 0.1-0.3 million
customer-steps per CPU-second, 4x (2,000 customers) to 14x (10,000) slower than the engine,
a gap that grows with the population (see ``benchmarks/bench_reference.py``). It is not
meant for production runs.
"""

from sim.reference.customer import RefCustomer
from sim.reference.model import ReferenceModel
from sim.reference.shops import Platform, RefShop

__all__ = ["Platform", "RefCustomer", "RefShop", "ReferenceModel"]
