# Two entry points for users: `make demo` (set up, run the baseline) and `make test` (set up, run tests).
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp
EXTRAS ?= dev,dask
JOBS   ?= 2

.PHONY: setup demo viz test test-slow facts lessons patterns validate lint bench clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	@echo "setting up $(VENV) (first time: about 2 minutes)"
	test -x $(PY) || $$(scripts/find-python) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[$(EXTRAS)]'
	@# the browser page's scripts, so `churnsim viz` works offline; not fatal: it says what to do
	$(PY) -m sim.viz.assets || echo "setup: done, except the browser page's assets (see above)"
	touch $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/churnsim run baseline --out results/baseline

# The browser page for class (set up first if needed); pick a lesson on the page.
# `make viz LESSON=5` opens it on lesson 5.
viz: $(STAMP)
	$(VENV)/bin/churnsim viz $(if $(LESSON),--lesson $(LESSON))

test: $(STAMP)
	$(PY) -m pytest -n $(JOBS) -q

test-slow: $(STAMP)
	$(PY) -m pytest -n $(JOBS) -q -m slow

facts: $(STAMP)
	$(PY) -m pytest -n $(JOBS) -q -m facts

lessons: $(STAMP)
	$(PY) -m pytest -n $(JOBS) -q -m lessons

patterns: $(STAMP)
	$(PY) -m pytest -n $(JOBS) -q -m patterns

validate: $(STAMP)
	$(VENV)/bin/churnsim validate --out results/validation

lint: $(STAMP)
	$(VENV)/bin/ruff check sim tests benchmarks
	$(VENV)/bin/ruff format --check sim tests benchmarks
	$(VENV)/bin/mypy

bench: $(STAMP)
	$(PY) benchmarks/bench_engine.py
	$(PY) benchmarks/bench_reference.py
	$(PY) benchmarks/bench_sweep.py

clean:
	rm -rf $(VENV) results .pytest_cache .mypy_cache .ruff_cache
