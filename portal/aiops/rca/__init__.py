"""Root-cause ranking over a call graph and per-node metrics around an incident, with no Django in it.

Two steps, each usable alone: `score_nodes` (or `node_anomaly`) judges every node's metric against its
normal samples, and `rank_root_causes` weighs those judgements along the call graph into a ranked list of
`RootCause`s, each with its score, confidence and reasons. A caller with its own detectors can build
`NodeAnomaly`s itself and go straight to the ranking; `strongest` merges judgements on several metrics.
"""

from portal.aiops.rca.anomaly import (
    AnomalySettings,
    MetricSpec,
    NodeAnomaly,
    Window,
    Worse,
    node_anomaly,
    score_nodes,
    strongest,
)
from portal.aiops.rca.graph import CallGraph
from portal.aiops.rca.ranking import RankingSettings, RootCause, rank_root_causes

__all__ = [
    "AnomalySettings",
    "CallGraph",
    "MetricSpec",
    "NodeAnomaly",
    "RankingSettings",
    "RootCause",
    "Window",
    "Worse",
    "node_anomaly",
    "rank_root_causes",
    "score_nodes",
    "strongest",
]
