"""The mechanism index (sim.mechanisms.MECHANISMS, docs/mechanisms.md) cannot drift: every
function it names exists, is a documented rule, and is run by the engine; every rule the
engine or the reference refers to exists; no rule of sim/mechanisms goes unused."""

from __future__ import annotations

import importlib
import inspect

import pytest

from sim.callsites import engine_sites, reference_sites, rule_sites
from sim.mechanisms import MECHANISMS

#: Rules that the reference model does not call, and why.
NOT_IN_REFERENCE = {
    # The reference's shops follow fixed policies: no VIP tiers (shop strategies).
    "choice.vip_gain",
}

NAMED = sorted({f for m in MECHANISMS for f in m.functions})


def rule(name: str) -> object:
    """The function ``family.function`` of sim.mechanisms."""
    family, func = name.split(".")
    return getattr(importlib.import_module(f"sim.mechanisms.{family}"), func)


def test_index_covers_m1_to_m15_in_order() -> None:
    assert [m.number for m in MECHANISMS] == [f"M{i}" for i in range(1, 16)]


@pytest.mark.parametrize("name", NAMED)
def test_each_named_function_exists_and_says_what_it_does(name: str) -> None:
    func = rule(name)
    assert callable(func)
    assert inspect.getdoc(func), f"{name} has no docstring"


@pytest.mark.parametrize("name", NAMED)
def test_each_named_function_is_run_by_the_engine(name: str) -> None:
    assert engine_sites(name), f"no engine kernel runs {name}"


@pytest.mark.parametrize("name", sorted(set(NAMED) - NOT_IN_REFERENCE))
def test_each_named_function_is_called_by_the_reference(name: str) -> None:
    assert reference_sites(name), f"the reference model does not call {name}"


def test_every_rule_referred_to_exists() -> None:
    missing = []
    for name in rule_sites():
        try:
            rule(name)
        except AttributeError:
            missing.append(name)
    assert not missing


def test_every_rule_function_is_used_by_the_engine() -> None:
    """No dead copy of a rule: each public function of sim/mechanisms is run by the engine."""
    unused = []
    for family in ("arrivals", "choice", "churn", "exposure", "fulfilment", "ledger",
                   "loyalty", "satisfaction", "word_of_mouth"):  # fmt: skip
        module = importlib.import_module(f"sim.mechanisms.{family}")
        for name, value in vars(module).items():
            is_rule = inspect.isfunction(getattr(value, "py_func", value))
            own = getattr(value, "__module__", "") == module.__name__
            public = not name.startswith("_")
            if is_rule and own and public and not engine_sites(f"{family}.{name}"):
                unused.append(f"{family}.{name}")
    assert not unused


def test_a_rule_without_an_engine_caller_is_reported() -> None:
    assert engine_sites("choice.no_such_rule") == ()
    assert "sim.engine.order_kernels.evaluate_kernel" in engine_sites("fulfilment.service")
