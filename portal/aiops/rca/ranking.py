"""Rank the nodes that best explain a symptom, from their anomalies and the call graph.

A node scores highly when it is anomalous, none of the nodes it calls is anomalous enough to explain it,
its fault can reach the symptom's node through anomalous callers, and it accounts for much of what is
anomalous upstream of it: score = p(node) * (1 - max p(callee)) * reach * (1 + w * coverage).
"""

from __future__ import annotations

import heapq
from collections.abc import Mapping
from dataclasses import dataclass, replace

from portal.aiops.rca.anomaly import NodeAnomaly
from portal.aiops.rca.evidence import reasons_for
from portal.aiops.rca.graph import CallGraph


@dataclass(frozen=True)
class RankingSettings:
    """How anomalies and call structure are weighed.

    `min_probability` is how likely anomalous a node must be to count as anomalous when explaining
    others; `unknown_probability` is how likely anomalous a node with no data is taken to be, whether a
    fault has to pass through it or it sits unseen below a candidate; `coverage_weight` is how much
    explaining more of the anomalous callers counts.
    """

    min_probability: float = 0.2
    unknown_probability: float = 0.5
    coverage_weight: float = 1.0


@dataclass(frozen=True)
class RootCause:
    """One candidate root cause: its score, its share of all candidates' scores, and the evidence behind it."""

    node: str
    score: float
    confidence: float
    anomaly: NodeAnomaly
    unexplained: float
    reach: float
    coverage: float
    explained_by: tuple[str, ...]
    explains: tuple[str, ...]
    unknown_callees: tuple[str, ...]
    path: tuple[str, ...]
    reasons: tuple[str, ...] = ()


@dataclass(frozen=True)
class Scene:
    """What every candidate is judged against: the graph, the anomalies and the anomalous set."""

    graph: CallGraph
    target: str
    anomalies: Mapping[str, NodeAnomaly]
    known: Mapping[str, float]
    anomalous: frozenset[str]
    unseen: frozenset[str]
    paths: Mapping[str, tuple[float, str | None]]
    settings: RankingSettings

    @property
    def earliest_onset(self) -> float | None:
        """When the first anomalous node's anomaly started."""
        onsets = [self.anomalies[node].onset for node in self.anomalous if node in self.anomalies]
        return min((onset for onset in onsets if onset is not None), default=None)


def known_probabilities(graph: CallGraph, anomalies: Mapping[str, NodeAnomaly]) -> dict[str, float]:
    """Each node's anomaly probability, 0 for a node with no data."""
    nodes = graph.nodes | set(anomalies)
    return {
        node: anomalies[node].probability if node in anomalies and anomalies[node].has_data else 0.0 for node in nodes
    }


def widest_paths(graph: CallGraph, target: str, passing: Mapping[str, float]) -> dict[str, tuple[float, str | None]]:
    """For each node `target` depends on, the best call path's weakest link and the hop before it."""
    best: dict[str, tuple[float, str | None]] = {target: (1.0, None)}
    queue = [(-1.0, target)]
    done: set[str] = set()
    while queue:
        negative, node = heapq.heappop(queue)
        if node in done:
            continue
        done.add(node)
        through = min(-negative, 1.0 if node == target else passing[node])
        for callee in graph.callees(node):
            if callee not in done and through > best.get(callee, (-1.0, None))[0]:
                best[callee] = (through, node)
                heapq.heappush(queue, (-through, callee))
    return best


def path_to(paths: Mapping[str, tuple[float, str | None]], node: str) -> tuple[str, ...]:
    """The call path from the target down to `node` that `widest_paths` chose."""
    if node not in paths:
        return (node,)
    hops = [node]
    previous = paths[node][1]
    while previous is not None:
        hops.append(previous)
        previous = paths[previous][1]
    return tuple(reversed(hops))


def chained_callers(graph: CallGraph, node: str, anomalous: frozenset[str], unseen: frozenset[str]) -> frozenset[str]:
    """The anomalous nodes above `node` joined to it by a chain of callers that are anomalous or unseen."""
    visited = {node}
    frontier = [node]
    while frontier:
        for caller in graph.callers(frontier.pop()):
            if caller not in visited and (caller in anomalous or caller in unseen):
                visited.add(caller)
                frontier.append(caller)
    return frozenset(visited & anomalous - {node})


def scene_of(graph: CallGraph, target: str, anomalies: Mapping[str, NodeAnomaly], settings: RankingSettings) -> Scene:
    """Work out what every candidate is judged against."""
    known = known_probabilities(graph, anomalies)
    anomalous = frozenset(node for node, chance in known.items() if chance >= settings.min_probability)
    unseen = frozenset(node for node in known if node not in anomalies or not anomalies[node].has_data)
    passing = {node: settings.unknown_probability if node in unseen else chance for node, chance in known.items()}
    paths = widest_paths(graph, target, passing) if target in graph.nodes else {}
    return Scene(graph, target, anomalies, known, anomalous, unseen, paths, settings)


def strongest_below(scene: Scene, callees: frozenset[str], *, hidden: bool) -> float:
    """How likely the most anomalous node below is anomalous, counting what cannot be seen as unknown."""
    # A callee without data, or the unseen callee of a node the graph shows calling nothing (a remote
    # endpoint, a load balancer's backend), could hold the real cause as likely as any unknown node.
    seen = max((scene.known[callee] for callee in callees), default=0.0)
    return max(seen, scene.settings.unknown_probability) if hidden else seen


def assess(scene: Scene, node: str) -> RootCause:
    """Score one candidate and gather the evidence for it."""
    graph, known = scene.graph, scene.known
    callees = graph.callees(node)
    unknown = tuple(sorted(callees & scene.unseen))
    explains = chained_callers(graph, node, scene.anomalous, scene.unseen)
    unexplained = 1.0 - strongest_below(scene, callees, hidden=bool(unknown) or not callees)
    reach = scene.paths[node][0] if node in scene.paths else (0.0 if scene.paths else 1.0)
    total = sum(known[other] for other in scene.anomalous | {node})
    coverage = (known[node] + sum(known[caller] for caller in explains)) / total
    score = known[node] * unexplained * reach * (1.0 + scene.settings.coverage_weight * coverage)
    return RootCause(
        node=node,
        score=score,
        confidence=0.0,
        anomaly=scene.anomalies[node],
        unexplained=unexplained,
        reach=reach,
        coverage=coverage,
        explained_by=tuple(sorted(callee for callee in callees if callee in scene.anomalous)),
        explains=tuple(sorted(explains)),
        unknown_callees=unknown,
        path=path_to(scene.paths, node),
    )


def rank_root_causes(
    *,
    graph: CallGraph,
    target: str,
    anomalies: Mapping[str, NodeAnomaly],
    settings: RankingSettings | None = None,
) -> list[RootCause]:
    """Rank the anomalous nodes `target` depends on (itself included) by how well each explains the incident."""
    scene = scene_of(graph, target, anomalies, settings or RankingSettings())
    scope = graph.downstream(target) if target in graph.nodes else frozenset(anomalies)
    candidates = [assess(scene, node) for node in sorted(scope) if scene.known.get(node, 0.0) > 0]
    candidates.sort(key=lambda cause: (-cause.score, _onset(cause.anomaly), cause.node))
    total = sum(cause.score for cause in candidates) or 1.0
    earliest = scene.earliest_onset
    return [
        replace(
            cause,
            confidence=cause.score / total,
            reasons=reasons_for(cause, target=target, callees=len(graph.callees(cause.node)), earliest=earliest),
        )
        for cause in candidates
    ]


def _onset(anomaly: NodeAnomaly) -> float:
    return anomaly.onset if anomaly.onset is not None else float("inf")
