"""Say in words why a node is ranked where it is."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from portal.aiops.rca.ranking import RootCause

LISTED = 5
WEAK_LINK = 0.5


def listed(nodes: tuple[str, ...]) -> str:
    """Name up to a handful of nodes, counting the rest."""
    shown = ", ".join(nodes[:LISTED])
    return f"{shown} and {len(nodes) - LISTED} more" if len(nodes) > LISTED else shown


def magnitude(cause: RootCause) -> str:
    """How far from normal the node's metric went."""
    anomaly = cause.anomaly
    if not anomaly.has_data:
        return f"no judgement on {anomaly.metric}: {anomaly.note}"
    judged = f"{anomaly.score:.1f} normal spreads worse (anomalous with p={anomaly.probability:.2f})"
    if anomaly.worst is None:
        return f"{anomaly.metric} {judged}"
    return f"{anomaly.metric} reached {anomaly.worst:.4g} against a normal {anomaly.baseline:.4g}, {judged}"


def below(cause: RootCause, callees: int) -> str:
    """Whether what the node calls could explain its anomaly."""
    if cause.explained_by:
        return f"may only pass on the anomaly of {listed(cause.explained_by)}, which it calls"
    if callees == 0:
        return "calls nothing the graph shows, so nothing seen below it explains its anomaly"
    judged = callees - len(cause.unknown_callees)
    if judged == 0:
        return f"none of the {callees} nodes it calls has data to clear or blame"
    return f"anomalous while none of the {judged} nodes it calls with data is"


def above(cause: RootCause) -> str | None:
    """Which anomalous callers the node accounts for."""
    if not cause.explains:
        return None
    return f"explains {len(cause.explains)} anomalous callers above it: {listed(cause.explains)}"


def route(cause: RootCause, target: str) -> str:
    """How the node's fault can reach the symptom."""
    if cause.node == target:
        return f"is {target} itself, where the symptom shows"
    text = f"{target} depends on it through {' -> '.join(cause.path)}"
    if cause.reach < WEAK_LINK:
        return f"{text}, but that path passes nodes that are hardly anomalous (weakest link {cause.reach:.2f})"
    return text


def timing(cause: RootCause, earliest: float | None) -> str | None:
    """When the node's anomaly started compared with the first anomalous node's."""
    onset = cause.anomaly.onset
    if onset is None or earliest is None:
        return None
    if onset <= earliest:
        return "its anomaly starts earliest"
    return f"its anomaly starts {onset - earliest:.0f} s after the earliest"


def reasons_for(cause: RootCause, *, target: str, callees: int, earliest: float | None) -> tuple[str, ...]:
    """The reasons behind a candidate's rank, strongest first."""
    found = [magnitude(cause), below(cause, callees), above(cause), route(cause, target), timing(cause, earliest)]
    if cause.unknown_callees:
        found.append(f"no data for {listed(cause.unknown_callees)}, which it calls")
    return tuple(text for text in found if text)
