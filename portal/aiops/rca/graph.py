"""Who calls whom: the call graph a root cause travels along, from callee up to its callers."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class CallGraph:
    """A directed graph of calls; an edge `caller -> callee` means a fault in the callee can reach the caller."""

    calls: Mapping[str, frozenset[str]]
    nodes: frozenset[str] = field(init=False)
    called_by: Mapping[str, frozenset[str]] = field(init=False)

    def __post_init__(self) -> None:
        nodes = frozenset(self.calls).union(*self.calls.values())
        callers: dict[str, set[str]] = {node: set() for node in nodes}
        for caller, callees in self.calls.items():
            for callee in callees:
                callers[callee].add(caller)
        object.__setattr__(self, "nodes", nodes)
        object.__setattr__(self, "called_by", {node: frozenset(found) for node, found in callers.items()})

    @classmethod
    def from_edges(cls, edges: Iterable[tuple[str, str]], nodes: Iterable[str] = ()) -> CallGraph:
        """Build a graph from `(caller, callee)` pairs, plus any nodes that take part in no call."""
        calls: dict[str, set[str]] = {node: set() for node in nodes}
        for caller, callee in edges:
            calls.setdefault(caller, set())
            calls.setdefault(callee, set())
            if caller != callee:
                calls[caller].add(callee)
        return cls({node: frozenset(callees) for node, callees in calls.items()})

    def callees(self, node: str) -> frozenset[str]:
        """The nodes `node` calls directly."""
        return self.calls.get(node, frozenset())

    def callers(self, node: str) -> frozenset[str]:
        """The nodes that call `node` directly."""
        return self.called_by.get(node, frozenset())

    def downstream(self, node: str) -> frozenset[str]:
        """`node` and everything it calls, directly or not."""
        return _closure(node, self.callees)

    def upstream(self, node: str) -> frozenset[str]:
        """`node` and everything that calls it, directly or not."""
        return _closure(node, self.callers)


def _closure(start: str, step: Callable[[str], frozenset[str]]) -> frozenset[str]:
    seen = {start}
    frontier = [start]
    while frontier:
        for neighbour in step(frontier.pop()):
            if neighbour not in seen:
                seen.add(neighbour)
                frontier.append(neighbour)
    return frozenset(seen)
