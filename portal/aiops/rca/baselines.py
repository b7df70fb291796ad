"""Plain methods to measure the ranking against: anomaly traversal as published, and rank by anomaly score."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from portal.aiops.rca.anomaly import FloatArray, NodeAnomaly
from portal.aiops.rca.graph import CallGraph

# The PetShop notebook's settings: a median-deviation scorer (unscaled MAD), threshold 5, at least 10
# normal samples, the third sample of the window as the moment to analyse.
TRAVERSAL_THRESHOLD = 5.0
TRAVERSAL_MIN_SAMPLES = 10
TRAVERSAL_ROW = 2


@dataclass(frozen=True)
class _Scorer:
    centre: float
    spread: float
    threshold: float

    def score(self, values: FloatArray) -> FloatArray:
        # A zero MAD over a varying reference gives infinite scores, as the published scorer does.
        with np.errstate(divide="ignore", invalid="ignore"):
            scores = np.abs(values - self.centre) / self.spread
        return np.where(np.isnan(scores), 0.0, scores)


def _fit(reference: FloatArray) -> _Scorer | None:
    normal = reference[np.isfinite(reference)]
    if len(normal) < TRAVERSAL_MIN_SAMPLES:
        return None
    if np.std(normal) == 0:
        return _Scorer(float(np.mean(normal)), 1.0, 0.0)
    centre = float(np.median(normal))
    return _Scorer(centre, float(np.median(np.abs(normal - centre))), TRAVERSAL_THRESHOLD)


def _anomalous_at_row(
    target: str, samples: Mapping[str, FloatArray], reference: Mapping[str, FloatArray]
) -> dict[str, float]:
    fitted = {node: _fit(reference[node]) for node in samples if node in reference}
    scorers = {node: scorer for node, scorer in fitted.items() if scorer is not None}
    scores = {node: scorer.score(samples[node]) for node, scorer in scorers.items()}
    flags = {node: scores[node] > scorers[node].threshold for node in scores}
    if target not in flags:
        return {}
    rows = [row for row in range(TRAVERSAL_ROW, len(flags[target])) if flags[target][row]]
    row = rows[0] if rows else TRAVERSAL_ROW
    if row >= len(flags[target]) or not flags[target][row]:
        return {}
    return {node: float(scores[node][row]) for node in flags if flags[node][row]}


def _best_path_score(graph: CallGraph, target: str, root: str, scores: Mapping[str, float]) -> float | None:
    best: float | None = None
    stack: list[tuple[str, tuple[str, ...]]] = [(target, (target,))]
    while stack:
        node, path = stack.pop()
        for callee in graph.callees(node):
            if callee not in scores or callee in path:
                continue
            if callee == root:
                total = sum(scores[hop] for hop in (*path, root))
                best = total if best is None else max(best, total)
            else:
                stack.append((callee, (*path, callee)))
    return best


def anomaly_traversal(
    *,
    graph: CallGraph,
    target: str,
    samples: Mapping[str, FloatArray],
    reference: Mapping[str, FloatArray],
) -> list[tuple[str, float]]:
    """Rank anomalous nodes with no anomalous callee by the summed scores of their anomalous path to `target`."""
    scores = _anomalous_at_row(target, samples, reference)
    roots = [node for node in scores if not any(callee in scores for callee in graph.callees(node))]
    ranked = []
    for root in roots:
        total = _best_path_score(graph, target, root, scores)
        if total is not None:
            ranked.append((root, total))
    return sorted(ranked, key=lambda item: (-item[1], item[0]))


def rank_by_anomaly(anomalies: Mapping[str, NodeAnomaly]) -> list[tuple[str, float]]:
    """Rank every node by its anomaly score alone, ignoring the call graph."""
    ranked = [(node, anomaly.score) for node, anomaly in anomalies.items() if anomaly.score > 0]
    return sorted(ranked, key=lambda item: (-item[1], item[0]))
