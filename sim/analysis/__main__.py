"""``python -m sim.analysis``: the figures of docs/stylised-facts.md, each fact's table and
then the placebos' (a few minutes: every fact and placebo runs its seeds)."""

from sim.analysis.facts import FACTS, markdown
from sim.analysis.placebos import placebo_markdown

if __name__ == "__main__":
    print(markdown([fn() for fn in FACTS]))
    print(placebo_markdown())
