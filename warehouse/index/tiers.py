"""Exact tier odds from per-criterion probabilities, with prerequisites and core criteria respected.

Each criterion is *met on its own* with probability ``p`` (independently of the others), and *earned*
only if it is met and its prerequisite is earned. Prerequisites form a forest (each criterion has at most
one), so a subtree's points depend only on whether its root is earned: if it is not, the whole subtree
scores 0; if it is, the children's subtrees are independent. The points distribution of the standard is
then the convolution of the roots' subtree distributions. Core criteria (a tier needs all of them,
whatever the total) are tracked as a second dimension: "every core criterion in this subtree earned".

All of it is vectorised over cities: arrays have a leading city axis, so 20,000 cities cost the same
number of numpy operations as one.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Structure:
    """The shape of a standard: criterion order, each one's prerequisite (index or -1), core flags."""

    ids: tuple[str, ...]
    parent: tuple[int, ...]
    core: tuple[bool, ...]

    @classmethod
    def build(cls, ids: Sequence[str], prerequisites: dict[str, Sequence[str]], core: Sequence[str] = ()
              ) -> Structure:
        index = {cid: k for k, cid in enumerate(ids)}
        parent = []
        for cid in ids:
            pre = list(prerequisites.get(cid) or ())
            if len(pre) > 1:
                raise ValueError(f"{cid}: at most one prerequisite per criterion is supported, got {pre}")
            if pre and pre[0] not in index:
                raise ValueError(f"{cid}: unknown prerequisite {pre[0]}")
            parent.append(index[pre[0]] if pre else -1)
        structure = cls(tuple(ids), tuple(parent), tuple(cid in set(core) for cid in ids))
        structure.roots()   # raises on cycles
        return structure

    def children(self) -> list[list[int]]:
        kids: list[list[int]] = [[] for _ in self.ids]
        for k, p in enumerate(self.parent):
            if p >= 0:
                kids[p].append(k)
        return kids

    def roots(self) -> list[int]:
        for k in range(len(self.ids)):
            seen, j = set(), k
            while j >= 0:
                if j in seen:
                    raise ValueError(f"prerequisite cycle through {self.ids[k]}")
                seen.add(j)
                j = self.parent[j]
        return [k for k, p in enumerate(self.parent) if p < 0]


def points_distribution(structure: Structure, p: np.ndarray) -> np.ndarray:
    """``p``: (cities, criteria) probabilities of being met on their own. Returns (cities, n + 1, 2):
    probability of earning exactly k points with (index 1) or without (index 0) every core criterion."""
    p = np.clip(np.asarray(p, dtype=float), 0.0, 1.0)
    if p.ndim == 1:
        p = p[None, :]
    kids = structure.children()
    cities = p.shape[0]
    total = _unit(cities)
    for root in structure.roots():
        total = _add(total, root, p, kids, structure.core)
    return total


def _unit(cities: int) -> np.ndarray:
    """The distribution of an empty set: 0 points, cores all met, with certainty."""
    out = np.zeros((cities, 1, 2))
    out[:, 0, 1] = 1.0
    return out


def _subtree(node: int, p: np.ndarray, kids: list[list[int]], core: tuple[bool, ...]) -> np.ndarray:
    """Distribution of (points, cores met) over the subtree rooted at ``node``."""
    below = _unit(p.shape[0])
    for child in kids[node]:
        below = _add(below, child, p, kids, core)
    size = below.shape[1] + 1
    out = np.zeros((p.shape[0], size, 2))
    pn = p[:, node][:, None]
    out[:, 1:, :] = pn[..., None] * below          # node earned: one point plus whatever its subtree earns
    failed_cores = _has_core(node, kids, core)      # node not earned: its subtree earns nothing
    out[:, 0, 0 if failed_cores else 1] += (1.0 - pn[:, 0])
    return out


def _add(dist: np.ndarray, node: int, p: np.ndarray, kids: list[list[int]], core: tuple[bool, ...]) -> np.ndarray:
    """``dist`` convolved with the subtree of ``node``. Most criteria have no dependants: a leaf is added
    in place of a general convolution (a quarter of the array operations; calibration runs this thousands
    of times per fit)."""
    if kids[node]:
        return _convolve(dist, _subtree(node, p, kids, core))
    earned = p[:, node][:, None, None]
    n = dist.shape[1]
    out = np.empty((dist.shape[0], n + 1, 2))
    out[:, 0, :] = 0.0
    out[:, 1:, :] = dist * earned                       # earned: one more point, cores as they were
    missed = dist * (1.0 - earned)                      # not earned: no point; a core criterion now failed
    if core[node]:
        out[:, :n, 0] += missed[:, :, 0] + missed[:, :, 1]
    else:
        out[:, :n, :] += missed
    return out


def _has_core(node: int, kids: list[list[int]], core: tuple[bool, ...]) -> bool:
    return core[node] or any(_has_core(c, kids, core) for c in kids[node])


def _convolve(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Sum of independent point counts; cores met only when met on both sides."""
    n = a.shape[1] + b.shape[1] - 1
    out = np.zeros((a.shape[0], n, 2))
    for j in range(b.shape[1]):
        bj0, bj1 = b[:, j, 0][:, None], b[:, j, 1][:, None]
        out[:, j:j + a.shape[1], 1] += a[:, :, 1] * bj1
        out[:, j:j + a.shape[1], 0] += a[:, :, 0] * (bj0 + bj1) + a[:, :, 1] * bj0
    return out


def points_distribution_grad(structure: Structure, p: np.ndarray, grad: np.ndarray) -> np.ndarray:
    """Gradient with respect to ``p`` (cities, criteria) of ``sum(grad * points_distribution(p))``, by one
    backward pass through the same convolutions (reverse-mode differentiation by hand).

    Calibration needs the slope of the likelihood in every criterion's probability at every step of its
    optimiser. Finite differences cost one full distribution per parameter, and ``lifted_odds`` (which
    gives the same slopes, since the distribution is linear in each ``p``) costs ~20 distributions; this
    costs about two. ``grad`` has the distribution's shape, (cities, n + 1, 2). Entries of ``p`` outside
    [0, 1] are clipped as in the forward pass, and the slope given for them is the slope at the clip."""
    p = np.clip(np.asarray(p, dtype=float), 0.0, 1.0)
    if p.ndim == 1:
        p = p[None, :]
    kids = structure.children()
    roots = structure.roots()
    partial = [_unit(p.shape[0])]
    for root in roots:
        partial.append(_add(partial[-1], root, p, kids, structure.core))
    out = np.zeros_like(p)
    g = np.asarray(grad, dtype=float)
    for i in reversed(range(len(roots))):
        g = _add_back(partial[i], roots[i], p, kids, structure.core, g, out)
    return out


def _add_back(dist: np.ndarray, node: int, p: np.ndarray, kids: list[list[int]], core: tuple[bool, ...],
              g: np.ndarray, out: np.ndarray) -> np.ndarray:
    """Backward pass of ``_add``: adds the slopes of the criteria in ``node``'s subtree to ``out`` and
    returns the gradient with respect to ``dist``."""
    if kids[node]:
        sub = _subtree(node, p, kids, core)
        g_dist, g_sub = _convolve_back(dist, sub, g)
        _subtree_back(node, p, kids, core, g_sub, out)
        return g_dist
    n = dist.shape[1]
    earned = p[:, node][:, None, None]
    g_earned = g[:, 1:, :]
    g_missed = np.repeat(g[:, :n, 0:1], 2, axis=2) if core[node] else g[:, :n, :]
    out[:, node] += (dist * (g_earned - g_missed)).sum(axis=(1, 2))
    return g_earned * earned + g_missed * (1.0 - earned)


def _subtree_back(node: int, p: np.ndarray, kids: list[list[int]], core: tuple[bool, ...], g: np.ndarray,
                  out: np.ndarray) -> None:
    """Backward pass of ``_subtree``."""
    below = [_unit(p.shape[0])]
    for child in kids[node]:
        below.append(_add(below[-1], child, p, kids, core))
    pn = p[:, node]
    g_below = g[:, 1:, :]
    out[:, node] += (below[-1] * g_below).sum(axis=(1, 2)) - g[:, 0, 0 if _has_core(node, kids, core) else 1]
    g_below = g_below * pn[:, None, None]
    for k in reversed(range(len(kids[node]))):
        g_below = _add_back(below[k], kids[node][k], p, kids, core, g_below, out)


def _convolve_back(a: np.ndarray, b: np.ndarray, g: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Backward pass of ``_convolve``: gradients with respect to ``a`` and ``b``."""
    na = a.shape[1]
    g_a, g_b = np.zeros_like(a), np.zeros_like(b)
    both = a[:, :, 0] + a[:, :, 1]
    for j in range(b.shape[1]):
        g0, g1 = g[:, j:j + na, 0], g[:, j:j + na, 1]
        bj0, bj1 = b[:, j, 0][:, None], b[:, j, 1][:, None]
        g_a[:, :, 1] += g1 * bj1 + g0 * bj0
        g_a[:, :, 0] += g0 * (bj0 + bj1)
        g_b[:, j, 1] = (a[:, :, 1] * g1 + a[:, :, 0] * g0).sum(axis=1)
        g_b[:, j, 0] = (both * g0).sum(axis=1)
    return g_a, g_b


def earned_probability(structure: Structure, p: np.ndarray) -> np.ndarray:
    """Probability each criterion is earned: met on its own and every prerequisite up the chain earned."""
    p = np.clip(np.asarray(p, dtype=float), 0.0, 1.0)
    if p.ndim == 1:
        p = p[None, :]
    out = np.empty_like(p)
    for k in _topological(structure):
        parent = structure.parent[k]
        out[:, k] = p[:, k] * (out[:, parent] if parent >= 0 else 1.0)
    return out


def _topological(structure: Structure) -> list[int]:
    order, kids = [], structure.children()
    stack = list(reversed(structure.roots()))
    while stack:
        k = stack.pop()
        order.append(k)
        stack.extend(reversed(kids[k]))
    return order


def thresholds(shares: dict[str, float], max_points: int) -> dict[str, int]:
    """Points needed per tier: the smallest whole number of points at or above the share.

    A small tolerance keeps 0.51 x 100 at 51 despite floating point."""
    return {tier: math.ceil(share * max_points - 1e-9) for tier, share in shares.items()}


def tier_odds(dist: np.ndarray, needed: dict[str, int]) -> dict[str, np.ndarray]:
    """P(at least each tier): enough points and every core criterion earned."""
    with_cores = dist[:, :, 1]
    return {tier: with_cores[:, k:].sum(axis=1) for tier, k in needed.items()}


def lifted_odds(structure: Structure, p: np.ndarray, needed: dict[str, int]) -> dict[str, np.ndarray]:
    """For every criterion j at once: P(at least each tier) if j were certainly met on its own.

    Recomputing the whole distribution once per criterion costs 43 full passes. Instead, for each root
    subtree, the rest of the standard is the convolution of the other roots' subtrees (prefix x suffix
    products), and only its upper tails at a few thresholds are needed: P(rest >= t, cores) for t = T - s,
    s the points the lifted subtree can add. Returns tier -> (cities, criteria)."""
    p = np.clip(np.asarray(p, dtype=float), 0.0, 1.0)
    if p.ndim == 1:
        p = p[None, :]
    cities, n = p.shape
    kids = structure.children()
    roots = structure.roots()
    subtrees = [_subtree(r, p, kids, structure.core) for r in roots]
    prefix = [_unit(cities)]
    for s in subtrees:
        prefix.append(_convolve(prefix[-1], s))
    suffix = [_unit(cities)]
    for s in reversed(subtrees):
        suffix.append(_convolve(s, suffix[-1]))
    suffix.reverse()                                   # suffix[i] = subtrees i.. convolved
    out = {tier: np.zeros((cities, n)) for tier in needed}
    members = _members(roots, kids)
    for i, root in enumerate(roots):
        before, after = prefix[i][:, :, 1], suffix[i + 1][:, :, 1]
        # tail[u] = P(after >= u, cores) for u = 0..len(after); u <= 0 is the whole mass.
        tail = np.concatenate([np.cumsum(after[:, ::-1], axis=1)[:, ::-1], np.zeros((cities, 1))], axis=1)
        size = len(members[i]) + 1
        for j in members[i]:
            lifted = p.copy()
            lifted[:, j] = 1.0
            sub = _subtree(root, lifted, kids, structure.core)[:, :, 1]    # (cities, size) with cores met
            for tier, need in needed.items():
                total = np.zeros(cities)
                for k in range(size):
                    total += sub[:, k] * _rest_at_least(before, tail, need - k)
                out[tier][:, j] = total
    return out


def _rest_at_least(before: np.ndarray, tail: np.ndarray, t: int) -> np.ndarray:
    """P(before + after >= t, cores met on both), from before's distribution and after's upper tail."""
    a = np.arange(before.shape[1])
    idx = np.clip(t - a, 0, tail.shape[1] - 1)
    return (before * tail[:, idx]).sum(axis=1)


def _members(roots: list[int], kids: list[list[int]]) -> list[list[int]]:
    out = []
    for r in roots:
        stack, seen = [r], []
        while stack:
            k = stack.pop()
            seen.append(k)
            stack.extend(kids[k])
        out.append(seen)
    return out
