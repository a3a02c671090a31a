"""Word-of-mouth network view: a fixed sample of customers and their contacts.

The sample (a snowball through contacts, so links are visible) and its spring layout are
computed once per model and kept across steps; each redraw only recolours the nodes. The
sample's random draws come from a child of the model's generator (``rng.spawn``), which
leaves the model's own stream, and so the simulation, untouched.
"""

from __future__ import annotations

import weakref
from collections import deque
from dataclasses import dataclass

import networkx as nx
import numpy as np
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure

from sim.config.shops import TIERS
from sim.engine.customers import ACTIVE
from sim.model import ChurnModel
from sim.viz.charts import (
    CHURNED_COLOUR,
    TIER_COLOURS,
    Drawing,
    font_pt,
    kept,
    laid_out,
    new_figure,
    readable,
)

#: Most customers drawn in the network view, whatever the population.
SAMPLE_SIZE = 250


@dataclass(frozen=True)
class NetworkSample:
    """Sampled customer rows, their contact links (pairs of positions) and fixed layout."""

    rows: np.ndarray
    edges: np.ndarray
    xy: np.ndarray


_SAMPLES: weakref.WeakKeyDictionary[ChurnModel, NetworkSample] = weakref.WeakKeyDictionary()


def snowball(contacts: np.ndarray, order: np.ndarray, size: int) -> list[int]:
    """Breadth-first through contacts from customers in ``order`` until ``size`` are taken."""
    taken: dict[int, None] = {}
    for start in order.tolist():
        if len(taken) >= size:
            break
        queue = deque([start])
        while queue and len(taken) < size:
            row = queue.popleft()
            if row in taken:
                continue
            taken[row] = None
            queue.extend(int(x) for x in contacts[row] if x >= 0 and int(x) not in taken)
    return list(taken)


def draw_sample(model: ChurnModel, size: int = SAMPLE_SIZE) -> NetworkSample:
    """Sample up to ``size`` current customers and lay out their contact graph once."""
    rng = model.rng.spawn(1)[0]
    c = model.market.cust
    contacts = c.contacts[: c.n]
    rows = np.array(snowball(contacts, rng.permutation(c.n), size), np.int64)
    pos = {int(r): i for i, r in enumerate(rows.tolist())}
    graph = nx.Graph()
    graph.add_nodes_from(range(rows.size))
    for i, row in enumerate(rows.tolist()):
        graph.add_edges_from((i, pos[int(x)]) for x in contacts[row] if int(x) in pos)
    layout = nx.spring_layout(graph, seed=int(rng.integers(2**31)), iterations=40)
    xy = np.array([layout[i] for i in range(rows.size)]).reshape(-1, 2)
    edges = np.array(list(graph.edges()), np.int64).reshape(-1, 2)
    return NetworkSample(rows=rows, edges=edges, xy=xy)


def sample_for(model: ChurnModel) -> NetworkSample:
    """The model's network sample, drawn on first use and then kept."""
    sample = _SAMPLES.get(model)
    if sample is None:
        sample = _SAMPLES[model] = draw_sample(model)
    return sample


def node_states(model: ChurnModel, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For sampled rows: churned flags and favourite shop's tier ('none' before a purchase)."""
    c, shops = model.market.cust, model.market.shops
    churned = c.churned[rows] != ACTIVE
    last = c.last_shop[rows]
    names = np.array([*TIERS, "none"], dtype=object)
    tier = names[np.where(last >= 0, shops.tier[np.maximum(last, 0)], len(TIERS))]
    return churned, tier


NODE_KINDS = (
    ("premium", "favourite: premium"),
    ("ordinary", "favourite: ordinary"),
    ("none", "no purchase yet"),
    ("churned", "left platform"),
)


def _build_network(sample: NetworkSample, presenting: bool = False) -> Drawing:
    """The fixed part: contact lines, one (empty) scatter per node kind, legend."""
    fig, ax = new_figure(presenting)
    xy = sample.xy
    if sample.edges.size:
        segs = np.stack([xy[sample.edges[:, 0]], xy[sample.edges[:, 1]]], axis=1)
        ax.add_collection(LineCollection(list(segs), colors="#bdbdbd", linewidths=0.6, zorder=1))
    nodes = {
        kind: ax.scatter(
            xy[:0, 0],
            xy[:0, 1],
            s=30 if kind == "churned" else 28,
            marker="x" if kind == "churned" else "o",
            color=CHURNED_COLOUR if kind == "churned" else TIER_COLOURS[kind],
            label=label,
            zorder=2,
        )
        for kind, label in NODE_KINDS
    }
    pad = 0.05
    ax.set_xlim(xy[:, 0].min(initial=-1) - pad, xy[:, 0].max(initial=1) + pad)
    ax.set_ylim(xy[:, 1].min(initial=-1) - pad, xy[:, 1].max(initial=1) + pad)
    ax.set_xticks([])
    ax.set_yticks([])
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.01), ncol=1 if presenting else 2)
    return Drawing(readable(fig, presenting), [ax], extra=[nodes])


def network_figure(model: ChurnModel, presenting: bool = False) -> Figure:
    """Sampled customers and contacts: colour = favourite shop's tier, x = left the platform."""
    sample = sample_for(model)
    d = kept(model, "network", presenting, lambda: _build_network(sample, presenting))
    churned, tier = node_states(model, sample.rows)
    nodes = d.extra[0]
    for kind, _ in NODE_KINDS:
        keep = churned if kind == "churned" else (tier == kind) & ~churned
        nodes[kind].set_offsets(sample.xy[keep])
    d.axes[0].set_title(
        f"{int(churned.sum())} of {sample.rows.size} sampled customers have left",
        fontsize=font_pt(presenting),
    )
    return laid_out(d)
