"""Root cause when the alert fires on the front end and the cause is deeper: ranking with and without traces.

Usage: .venv/bin/python bench/rca_deep.py [--variants N] [--seed S] [--explain]

Each variant is a simulated fleet (the demo catalog's graph, or a generated one of 7 to 12 services) in which
one dependency 1 to 4 hops below the front end (in every fourth variant, the front end itself) slows down by
0.05 to 0.8 s per request at a random time; half the variants also carry a harmless deploy on the front end
shortly before (the red herring metrics alone fall for). The analysis runs as the portal runs it (onsets on the
front end and its direct dependencies, the changes, and with traces the trace findings); the top hypothesis
is compared with the slowed service.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
os.environ.setdefault("DATABASE_URL", "postgresql://bench@127.0.0.1/unused")  # never connected to
os.environ.pop("GRAFANA_URL", None)

import django

django.setup()

from portal.aiops.analysis.hypotheses import ChangeFact, Draft, rank_hypotheses
from portal.aiops.analysis.signals import Onset, Trend, service_onsets
from portal.aiops.analysis.traces import TraceFinding, trace_findings
from portal.catalog.demo import SERVICES as DEMO_SERVICES
from portal.integrations.metrics.sandbox.catalog import call_share, profile_for
from portal.integrations.metrics.sandbox.fleet import Call, Fleet, Scenario
from portal.integrations.metrics.sandbox.source import SandboxMetrics
from portal.integrations.traces.sandbox import FleetTraces

EPOCH = 1_793_491_200.0  # 2026-10-31T00:00:00Z
LOOKBACK = 3 * 3600.0
ALERT_FOR = 5 * 60.0
ANALYSE_AFTER = 15 * 60.0


@dataclass(frozen=True)
class Variant:
    name: str
    fleet: Fleet
    front: str
    culprit: str
    depth: int
    slow_at: float
    changes: tuple[ChangeFact, ...]


def demo_graph() -> tuple[list[tuple[str, int]], list[tuple[str, str]]]:
    services = [(row[0], int(row[4])) for row in DEMO_SERVICES]
    return services, [(row[0], dep) for row in DEMO_SERVICES for dep in row[8]]


def generated_graph(rng: random.Random) -> tuple[list[tuple[str, int]], list[tuple[str, str]]]:
    """A front end and 6-11 services in layers, each calling one to three services of the next layers."""
    names = ["front"] + [f"svc-{i}" for i in range(rng.randint(6, 11))]
    layers: list[list[str]] = [["front"]]
    for name in names[1:]:
        if len(layers) < 5 and (len(layers) == 1 or rng.random() < 0.4):
            layers.append([])
        layers[-1].append(name)
    edges = set()
    for i, layer in enumerate(layers[:-1]):
        below = [n for later in layers[i + 1 :] for n in later]
        for name in layer:
            for callee in rng.sample(below, k=min(len(below), rng.randint(1, 3))):
                edges.add((name, callee))
        for name in layers[i + 1]:  # everyone is reachable from the front end
            if not any(callee == name for _, callee in edges):
                edges.add((rng.choice(layer), name))
    return [(n, 1 if n == "front" else 2) for n in names], sorted(edges)


def depths(front: str, edges: list[tuple[str, str]]) -> dict[str, int]:
    """The longest call path from the front end to each service (the hops a slowdown climbs)."""
    out = {front: 0}
    for _ in range(len(edges) + 1):
        for caller, callee in edges:
            if caller in out and out.get(callee, -1) < out[caller] + 1 <= 8:
                out[callee] = out[caller] + 1
    return out


def variant(i: int, rng: random.Random) -> Variant:
    services, edges = demo_graph() if i % 3 == 0 else generated_graph(rng)
    front = "checkout-api" if i % 3 == 0 else "front"
    reach = depths(front, edges)
    culprit = front if i % 4 == 2 else rng.choice(sorted(k for k, v in reach.items() if v >= 1))  # 0: its own fault
    slow_at = EPOCH + rng.randint(2, 4) * 86400 + rng.randint(0, 23) * 3600 + rng.randint(0, 59) * 60
    scenario = Scenario("dependency-slowdown", culprit, slow_at, added_latency=round(rng.uniform(0.05, 0.8), 2))
    changes: tuple[ChangeFact, ...] = ()
    if i % 2 == 1:
        changes = (ChangeFact(1, front, "deploy", "v2.3.0", slow_at - rng.randint(10, 60) * 60, "ci-bot"),)
    fleet = Fleet(
        services=tuple(profile_for(n, t) for n, t in services),
        epoch=EPOCH,
        scenarios=(scenario,),
        calls=tuple(Call(a, b, call_share(a, b)) for a, b in edges),
    )
    name = f"{'demo' if i % 3 == 0 else 'generated'}-{i}"
    return Variant(name, fleet, front, culprit, reach[culprit], slow_at, changes)


def analyse(v: Variant, *, with_traces: bool) -> list[Draft]:
    """The portal's analysis over the variant, as `incident_analyse` gathers it, without the database."""
    metrics, split, now = SandboxMetrics(v.fleet), v.slow_at + ALERT_FOR, v.slow_at + ANALYSE_AFTER
    services = [v.front, *(c.callee for c in v.fleet.callees(v.front))]
    onsets: list[Onset] = []
    trends: list[Trend] = []
    for name in services:
        found, found_trends = service_onsets(name, start=split - LOOKBACK, split=split, end=now, source=metrics)
        onsets, trends = onsets + found, trends + found_trends
    first = min((o.started_at for o in onsets), default=split)
    findings: list[TraceFinding] = []
    if with_traces:
        findings = trace_findings(v.front, split=min(first, split), end=now, source=FleetTraces(v.fleet))
        for f in findings:
            if f.culprit and f.service not in services:
                services.append(f.service)
                found, found_trends = service_onsets(
                    f.service, start=split - LOOKBACK, split=split, end=now, source=metrics
                )
                onsets, trends = onsets + found, trends + found_trends
    return rank_hypotheses(
        service=v.front,
        onsets=onsets,
        trends=trends,
        changes=[c for c in v.changes if c.service in services],
        similar=[],
        dependencies={s: [c.callee for c in v.fleet.callees(s)] for s in services},
        traces=findings,
    )


def hit(drafts: list[Draft], culprit: str, k: int) -> bool:
    return culprit in [d.service for d in drafts[:k]]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variants", type=int, default=24)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--explain", action="store_true", help="print each variant's top hypothesis both ways")
    args = parser.parse_args()
    rng = random.Random(args.seed)  # noqa: S311 - reproducible variants, not secrets
    rows: list[tuple[Variant, list[Draft], list[Draft]]] = []
    started = time.monotonic()
    for i in range(args.variants):
        v = variant(i, rng)
        plain, traced = analyse(v, with_traces=False), analyse(v, with_traces=True)
        rows.append((v, plain, traced))
        if args.explain:
            top = [(d[0].service if d else "-") for d in (plain, traced)]
            print(
                f"{v.name:>14} culprit {v.culprit:<16} depth {v.depth} herring {bool(v.changes)!s:<5} "
                f"without: {top[0]:<16} with traces: {top[1]}"
            )
    print("| variants | depth | without traces top-1 | top-3 | with traces top-1 | top-3 |")
    print("|---|---|---|---|---|---|")
    for label, chosen in [("all", rows), *[(str(d), [r for r in rows if r[0].depth == d]) for d in (0, 1, 2, 3, 4)]]:
        if not chosen:
            continue
        share = [sum(hit(r[j], r[0].culprit, k) for r in chosen) / len(chosen) for j in (1, 2) for k in (1, 3)]  # type: ignore[arg-type]
        print(f"| {len(chosen)} | {label} | {share[0]:.3f} | {share[1]:.3f} | {share[2]:.3f} | {share[3]:.3f} |")
    without = sum(hit(r[1], r[0].culprit, 1) for r in rows)
    with_traces = sum(hit(r[2], r[0].culprit, 1) for r in rows)
    ratio = f"{with_traces / without:.2f}x" if without else "inf (without traces found none)"
    print(f"\ntop-1 with traces / without: {with_traces}/{len(rows)} vs {without}/{len(rows)} = {ratio}")
    print(f"{time.monotonic() - started:.1f}s for {len(rows)} variants, both ways")


if __name__ == "__main__":
    main()
