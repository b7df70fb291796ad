"""Replay a strategy over a usage trace: recompute every N hours from the history so far, apply, measure what follows.

The history a strategy sees is what Kubernetes would have recorded under its own earlier answers: memory above the
applied limit is cut at the limit and leaves an OOM kill (timestamp, request, limit); CPU above the request is seen
in full. Before the first recommendation the workload ran for `warmup_days` with generous manual settings. A
strategy that gives no answer keeps its previous one; before its first answer nothing is limited (full slack).

Measured over every sample after the warm-up, as Google's Autopilot paper does: relative memory slack
(limit - usage) / limit (0 when usage is above the limit), the share of samples whose memory is above the limit (OOM
risk), relative CPU slack against the request, and the share of samples whose CPU is above the request (throttling).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from portal.finops.strategies.base import HOUR, History, OomKill, Recommendation, Strategy
from portal.finops.strategies.trace import Series, Trace


@dataclass(frozen=True)
class ReplaySettings:
    every_hours: float = 6.0
    warmup_days: float = 7.0


@dataclass
class Outcome:
    """One strategy's figures over a trace."""

    strategy: str
    samples: int = 0
    memory_slack: float = 0.0
    oom_risk: float = 0.0
    cpu_slack: float = 0.0
    throttling: float = 0.0
    runs: int = 0
    undefined: int = 0
    per_container: dict[str, Outcome] = field(default_factory=dict)

    def add(self, other: Outcome) -> None:
        """Fold another outcome in, weighting the averages by samples."""
        total = self.samples + other.samples
        for name in ("memory_slack", "oom_risk", "cpu_slack", "throttling"):
            mixed = (getattr(self, name) * self.samples + getattr(other, name) * other.samples) / total if total else 0
            setattr(self, name, mixed)
        self.samples, self.runs, self.undefined = total, self.runs + other.runs, self.undefined + other.undefined


@dataclass
class _Applied:
    cpu_request: float
    memory_request: float
    memory_limit: float

    def update(self, answer: Recommendation) -> bool:
        """Take what the answer gives; return False when it gave nothing."""
        self.cpu_request = answer.cpu_request if answer.cpu_request is not None else self.cpu_request
        self.memory_limit = answer.memory_limit if answer.memory_limit is not None else self.memory_limit
        self.memory_request = answer.memory_request if answer.memory_request is not None else self.memory_limit
        return answer.defined


def replay(strategy: Strategy[Any], trace: Trace, settings: ReplaySettings | None = None) -> Outcome:
    """Replay the strategy over every container of the trace."""
    settings = settings or ReplaySettings()
    outcome = Outcome(strategy.name)
    for container, series in trace.items():
        measured = replay_container(strategy, container, series, settings)
        outcome.per_container[container] = measured
        outcome.add(measured)
    return outcome


def replay_container(strategy: Strategy[Any], container: str, series: Series, settings: ReplaySettings) -> Outcome:
    """Replay one container: recompute, apply, measure, and record what the applied limit hid."""
    times, cpu, demand = series.timestamps, series.cpu_cores, series.memory_bytes
    seen = demand.copy()
    kills: list[OomKill] = []
    applied = _Applied(np.inf, np.inf, np.inf)
    sums = np.zeros(5)
    outcome = Outcome(strategy.name)
    moment = times[0] + settings.warmup_days * 24 * HOUR
    while moment <= times[-1]:
        now = int(np.searchsorted(times, moment))
        history = History(container, times[:now], cpu[:now], seen[:now], oom_kills=tuple(kills))
        outcome.runs += 1
        if not applied.update(strategy.run(history)):
            outcome.undefined += 1
        moment += settings.every_hours * HOUR
        period = slice(now, int(np.searchsorted(times, moment)))
        over = demand[period] > applied.memory_limit
        kills += [OomKill(float(t), applied.memory_request, applied.memory_limit) for t in times[period][over]]
        seen[period] = np.minimum(demand[period], applied.memory_limit)
        sums += _period_sums(cpu[period], demand[period], applied)
    outcome.samples = int(sums[0])
    if outcome.samples:
        outcome.memory_slack, outcome.oom_risk, outcome.cpu_slack, outcome.throttling = sums[1:] / sums[0]
    return outcome


def _period_sums(cpu: np.ndarray, memory: np.ndarray, applied: _Applied) -> np.ndarray:
    limit, request = applied.memory_limit, applied.cpu_request
    memory_slack = np.clip((limit - memory) / limit, 0.0, 1.0) if np.isfinite(limit) else np.ones(len(memory))
    cpu_slack = np.clip((request - cpu) / request, 0.0, 1.0) if np.isfinite(request) else np.ones(len(cpu))
    return np.array([len(memory), memory_slack.sum(), (memory > limit).sum(), cpu_slack.sum(), (cpu > request).sum()])
