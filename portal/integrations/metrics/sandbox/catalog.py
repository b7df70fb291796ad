"""The sandbox the portal runs by default: one simulated service per catalog service, plus started scenarios."""

from __future__ import annotations

import fcntl
import hashlib
import json
import time
from dataclasses import asdict, replace
from functools import lru_cache
from pathlib import Path

from portal.integrations.metrics.base import MetricsSource, Query, Series
from portal.integrations.metrics.sandbox.fleet import GIB, Call, Fleet, Scenario, ServiceProfile
from portal.integrations.metrics.sandbox.source import SandboxMetrics

WEEK = 7 * 86400
FLEET_TTL_SECONDS = 5.0
SCENARIO_KINDS = ("memory-leak", "cpu-regression", "dependency-slowdown")


def rolling_epoch(now: float, weeks_back: int = 5) -> float:
    """A week-aligned epoch, so every process of the same week simulates the same history."""
    return float((int(now) // WEEK - weeks_back) * WEEK)


def profile_for(name: str, tier: int) -> ServiceProfile:
    """Tier-1 services get more traffic and replicas; everything else is derived from the name, stably."""
    replicas = {1: 3, 2: 2}.get(tier, 1)
    rps = {1: 40.0, 2: 15.0}.get(tier, 4.0)
    errors = {1: 0.0003, 2: 0.001}.get(tier, 0.002)  # healthy services spend about a third of their budget
    return ServiceProfile(
        name=name,
        tier=tier,
        replicas=replicas,
        base_rps=rps,
        memory_bytes=0.3 * GIB,
        memory_limit_bytes=1.0 * GIB,
        error_ratio=errors,
    )


def call_share(caller: str, callee: str) -> float:
    """The share of the caller's requests that call the callee: 0.6 to 0.95, stable per edge."""
    digest = hashlib.sha256(f"{caller}->{callee}".encode()).digest()
    return round(0.6 + 0.35 * int.from_bytes(digest[:2], "big") / 65535, 3)


Edges = tuple[tuple[str, str], ...]


@lru_cache(maxsize=8)
def _fleet(services: tuple[tuple[str, int], ...], edges: Edges, scenarios: tuple[Scenario, ...], epoch: float) -> Fleet:
    return Fleet(
        services=tuple(profile_for(n, t) for n, t in services),
        epoch=epoch,
        scenarios=scenarios,
        calls=tuple(Call(caller, callee, call_share(caller, callee)) for caller, callee in edges),
    )


class CatalogSandbox(MetricsSource):
    def __init__(self, data_dir: str) -> None:
        self.path = Path(data_dir) / "sandbox-scenarios.json"
        self._cached: tuple[float, tuple[tuple[str, int], ...], Edges, tuple[Scenario, ...]] | None = None

    def scenarios(self) -> tuple[Scenario, ...]:
        if not self.path.exists():
            return ()
        return tuple(Scenario(**item) for item in json.loads(self.path.read_text()))

    def scenario_start(
        self, kind: str, service: str, *, start: float | None = None, added_latency: float | None = None
    ) -> Scenario:
        """Start a scripted fault on a service (idempotent for the same kind, service and start)."""
        if kind not in SCENARIO_KINDS:
            raise ValueError(f"unknown scenario '{kind}'; known: {', '.join(SCENARIO_KINDS)}")
        scenario = Scenario(kind=kind, service=service, start=float(start if start is not None else time.time()))
        if added_latency is not None:
            if not 0 < added_latency <= 60:
                raise ValueError("added_latency is seconds per request, above 0 and at most 60")
            scenario = replace(scenario, added_latency=float(added_latency))
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path.with_suffix(".lock"), "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            current = [s for s in self.scenarios() if s != scenario]
            self.path.write_text(json.dumps([asdict(s) for s in [*current, scenario]], indent=2))
        self._cached = None
        return scenario

    def scenarios_end(self, service: str, *, at: float | None = None) -> None:
        """End the running scenarios of a service (its fix was applied)."""
        end = float(at if at is not None else time.time())
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path.with_suffix(".lock"), "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            scenarios = [replace(s, end=end) if s.service == service and s.end is None else s for s in self.scenarios()]
            self.path.write_text(json.dumps([asdict(s) for s in scenarios], indent=2))
        self._cached = None

    def fleet(self, *, now: float | None = None) -> Fleet:
        """The fleet for the catalog as it is; re-read at most every few seconds (pages ask many questions)."""
        from portal.catalog.models import Service

        clock = time.monotonic()
        if self._cached is None or clock - self._cached[0] > FLEET_TTL_SECONDS:
            services = tuple(Service.objects.order_by("name").values_list("name", "tier"))
            edges = tuple(
                Service.dependencies.through.objects.order_by("from_service__name", "to_service__name").values_list(
                    "from_service__name", "to_service__name"
                )
            )
            self._cached = (clock, services, edges, self.scenarios())
        _, services, edges, scenarios = self._cached
        return _fleet(services, edges, scenarios, rolling_epoch(now if now is not None else time.time()))

    def instant(self, query: Query, *, at: float) -> list[Series]:
        return SandboxMetrics(self.fleet()).instant(query, at=at)

    def range(self, query: Query, *, start: float, end: float, step: float) -> list[Series]:
        return SandboxMetrics(self.fleet()).range(query, start=start, end=end, step=step)
