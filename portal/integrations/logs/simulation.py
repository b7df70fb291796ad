"""The sandbox's log lines, derived from the simulated metrics fleet so that logs and metrics tell one story.

Pure NumPy, no Django. Per pod and per minute of the fleet's grid, each log template gets a count taken from
the pod's series: one access line per request (5xx included), one error line per 5xx, GC-pressure warnings
as memory nears the limit, an OOM kill and a restart banner per restart, slow-handler warnings under a CPU
regression, and under a dependency slowdown slow-operation lines on the slow service and
`timeout after <n>ms calling <dependency>` on its callers. Lines are rendered on demand, deterministically.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from numpy.typing import NDArray

from portal.integrations.metrics.sandbox.fleet import Array, Fleet, PodSeries, _delay_segments, _digest, _rng

PATHS = ("/api/v1/orders", "/api/v1/items", "/api/v1/users", "/api/v1/carts", "/api/v1/search")
METHODS = ("GET", "GET", "GET", "POST", "PUT")
PROBES_PER_MINUTE = 12  # liveness and readiness every 10 s
MiB = 1024**2
TIMEOUT_SHARE = 0.05  # of the calls that wait on a slowed dependency, the share that hits the caller's timeout


@dataclass(frozen=True)
class Context:
    """What a line may mention: the service, its dependency, and the pod's state in that minute."""

    service: str
    dependency: str
    latency: float  # median seconds
    memory: float  # bytes
    limit: float  # bytes


Render = Callable[[np.random.Generator, Context], str]


@dataclass(frozen=True)
class Template:
    key: str
    level: str
    log_type: str  # access | app | debug | health | audit
    text: str  # the known template, variables as <*> (the ground truth for pattern mining)
    render: Render


def _hex(rng: np.random.Generator, n: int = 16) -> str:
    return f"{int(rng.integers(0, 2**62)):016x}"[-n:]


def _request(rng: np.random.Generator, ctx: Context) -> tuple[str, str, int]:
    k = int(rng.integers(0, len(PATHS)))
    duration = int(ctx.latency * 1000 * math.exp(0.55 * float(rng.normal())))
    return METHODS[k], f"{PATHS[k]}/{int(rng.integers(1000, 99999))}", max(duration, 1)


def _access(statuses: tuple[int, ...]) -> Render:
    def render(rng: np.random.Generator, ctx: Context) -> str:
        method, path, ms = _request(rng, ctx)
        status = statuses[int(rng.integers(0, len(statuses)))]
        level = "error" if status >= 500 else "info"
        return (
            f'level={level} msg="request handled" method={method} path={path} status={status} '
            f"duration_ms={ms} trace_id={_hex(rng)}"
        )

    return render


def _failed(error: str) -> Render:
    def render(rng: np.random.Generator, ctx: Context) -> str:
        method, path, _ = _request(rng, ctx)
        return f'level=error msg="request failed" method={method} path={path} error="{error}" trace_id={_hex(rng)}'

    return render


def _gc(rng: np.random.Generator, ctx: Context) -> str:
    pause = int(40 + 400 * max(ctx.memory / ctx.limit - 0.7, 0) / 0.3 * (0.6 + 0.8 * float(rng.random())))
    return f'level=warn msg="GC pause {pause}ms, heap {int(ctx.memory / MiB)}MiB of {int(ctx.limit / MiB)}MiB"'


def _oom(rng: np.random.Generator, ctx: Context) -> str:
    return f'level=error msg="container OOMKilled: memory limit {int(ctx.limit / MiB)}MiB exceeded, restarting"'


def _starting(rng: np.random.Generator, ctx: Context) -> str:
    return f'level=info msg="service starting" service={ctx.service} pid={int(rng.integers(1, 64))}'


def _slow_handler(rng: np.random.Generator, ctx: Context) -> str:
    _, path, _ = _request(rng, ctx)
    return f'level=warn msg="slow handler {path} used {int(rng.integers(400, 2500))}ms of CPU"'


def _slow_operation(rng: np.random.Generator, ctx: Context) -> str:
    table = ("orders", "items", "ledger", "sessions")[int(rng.integers(0, 4))]
    return f'level=warn msg="slow query took {int(rng.integers(1500, 4000))}ms table={table}"'


def _timeout(rng: np.random.Generator, ctx: Context) -> str:
    ms = int(3000 + abs(float(rng.normal(0, 25))))
    return f'level=warn msg="timeout after {ms}ms calling {ctx.dependency}" attempt=1 trace_id={_hex(rng)}'


def _debug(rng: np.random.Generator, ctx: Context) -> str:
    hit = "true" if rng.random() < 0.8 else "false"
    user, took = int(rng.integers(1000, 99999)), int(rng.integers(20, 900))
    return f'level=debug msg="cache lookup" key=user:{user} hit={hit} took_us={took}'


def _probe(rng: np.random.Generator, ctx: Context) -> str:
    probe = "/healthz" if rng.random() < 0.5 else "/readyz"
    return f"GET {probe} 200 {float(rng.uniform(0.1, 2.0)):.1f}ms kube-probe/1.31"


def _audit(rng: np.random.Generator, ctx: Context) -> str:
    action = ("refund.create", "payout.approve", "role.grant", "card.tokenize")[int(rng.integers(0, 4))]
    return (
        f'level=info msg="audit" actor=user:{int(rng.integers(100, 9999))} action={action} '
        f"resource={_hex(rng, 8)} result=allowed"
    )


TEMPLATES: dict[str, Template] = {
    t.key: t
    for t in (
        Template(
            "access-ok",
            "info",
            "access",
            'level=info msg="request handled" method=<*> path=<*> status=<*> duration_ms=<*> trace_id=<*>',
            _access((200, 200, 200, 201, 204, 404)),
        ),
        Template(
            "access-5xx",
            "error",
            "access",
            'level=error msg="request handled" method=<*> path=<*> status=<*> duration_ms=<*> trace_id=<*>',
            _access((500, 502, 503)),
        ),
        Template(
            "failed-baseline",
            "error",
            "app",
            'level=error msg="request failed" method=<*> path=<*> error="connection reset by peer" trace_id=<*>',
            _failed("connection reset by peer"),
        ),
        Template(
            "failed-oom",
            "error",
            "app",
            'level=error msg="request failed" method=<*> path=<*> error="worker terminated: out of memory" '
            "trace_id=<*>",
            _failed("worker terminated: out of memory"),
        ),
        Template("gc-pressure", "warn", "app", 'level=warn msg="GC pause <*>ms, heap <*>MiB of <*>MiB"', _gc),
        Template(
            "oom-kill",
            "error",
            "app",
            'level=error msg="container OOMKilled: memory limit <*>MiB exceeded, restarting"',
            _oom,
        ),
        Template("starting", "info", "app", 'level=info msg="service starting" service=<*> pid=<*>', _starting),
        Template("slow-handler", "warn", "app", 'level=warn msg="slow handler <*> used <*>ms of CPU"', _slow_handler),
        Template("slow-operation", "warn", "app", 'level=warn msg="slow query took <*>ms table=<*>"', _slow_operation),
        Template(
            "timeout",
            "warn",
            "app",
            'level=warn msg="timeout after <*>ms calling <*>" attempt=1 trace_id=<*>',
            _timeout,
        ),
        Template(
            "debug-cache",
            "debug",
            "debug",
            'level=debug msg="cache lookup" key=<*> hit=<*> took_us=<*>',
            _debug,
        ),
        Template("probe", "info", "health", "GET <*> 200 <*> kube-probe/1.31", _probe),
        Template(
            "audit",
            "info",
            "audit",
            'level=info msg="audit" actor=<*> action=<*> resource=<*> result=allowed',
            _audit,
        ),
    )
}


def debug_lines_per_request(service: str) -> float:
    """About a third of the services left debug logging on (a cost finding waiting to happen)."""
    return 1.5 if int(_digest("debug", service)[:4], 16) % 3 == 0 else 0.0


def audits(service: str) -> bool:
    return any(word in service for word in ("pay", "auth", "account", "billing", "identity"))


@dataclass(frozen=True)
class PodPlan:
    """Per grid minute, how many lines each template writes on one pod."""

    service: str
    pod: str
    times: Array
    counts: dict[str, NDArray[np.int32]]  # template key -> lines per grid step
    series: PodSeries
    dependency: str  # what its timeouts name


def _integers(expected: Array, rng: np.random.Generator) -> Array:
    """Whole lines per minute whose running total follows `expected` (deterministic, no drift)."""
    total = np.floor(np.cumsum(np.clip(expected, 0, None)) + rng.random())
    return np.asarray(np.diff(np.concatenate([[0.0], total])), dtype=np.float64)


def _live(times: Array, start: float, end: float | None) -> Array:
    return np.asarray((times >= start) & (times < (end if end is not None else np.inf)), dtype=np.float64)


def next_hop(fleet: Fleet, service: str, target: str) -> str:
    """The callee through which `service`'s requests reach `target` (breadth first), or "" when they never do."""
    seen, frontier = {service}, [(call.callee, call.callee) for call in fleet.callees(service)]
    while frontier:
        callee, first = frontier.pop(0)
        if callee == target:
            return first
        if callee not in seen:
            seen.add(callee)
            frontier.extend((call.callee, first) for call in fleet.callees(callee))
    return ""


def _delayed_share(fleet: Fleet, service: str, times: Array) -> Array:
    """Per step, the share of the service's requests that wait on a slowed dependency."""
    share = np.zeros_like(times)
    for live, delays in _delay_segments(fleet, service, times):
        share[live] = sum(p for seconds, p in delays if seconds > 0)
    return share


@lru_cache(maxsize=64)  # a pod's plan over five weeks of minutes is about 0.2 MB per template
def pod_plan(fleet: Fleet, service: str, pod_index: int, horizon: float) -> PodPlan:
    """The pod's log counts from the epoch to horizon."""
    profile = fleet.profile(service)
    s = fleet.pod(service, pod_index, horizon)
    times = s.times
    rng = _rng("logs", fleet.seed, service, pod_index)
    requests = np.diff(np.concatenate([[0.0], s.requests]))
    errors = np.diff(np.concatenate([[0.0], s.errors]))
    restarts = np.diff(np.concatenate([[0.0], s.restarts]))
    pressure = np.clip((s.memory / profile.memory_limit_bytes - 0.7) / 0.3, 0, 1)
    # the fleet's error ratio is the healthy ratio plus GC pressure's and OOM kills' share: split it the same way
    baseline = errors - np.minimum(requests * (0.08 * pressure**3 + 0.5 * (restarts > 0)), errors)
    expected: dict[str, Array] = {
        "access-ok": requests - errors,
        "access-5xx": errors,
        "failed-baseline": baseline,
        "failed-oom": errors - baseline,
        "gc-pressure": 30 * pressure,
        "oom-kill": restarts,
        "starting": restarts,
        "probe": np.full_like(times, PROBES_PER_MINUTE),
        "debug-cache": requests * debug_lines_per_request(service),
        "audit": requests * (0.02 if audits(service) else 0.0),
    }
    dependency = ""
    for scenario in fleet.scenarios:
        live = _live(times, scenario.start, scenario.end)
        if scenario.kind == "cpu-regression" and scenario.service == service:
            expected["slow-handler"] = expected.get("slow-handler", 0 * times) + requests * 0.01 * live
        if scenario.kind == "dependency-slowdown" and scenario.service == service:
            expected["slow-operation"] = expected.get("slow-operation", 0 * times) + requests * 0.05 * live
        elif scenario.kind == "dependency-slowdown" and not dependency:
            dependency = next_hop(fleet, service, scenario.service)
    if dependency:  # a share of the waiting calls hit the caller's timeout and are retried
        expected["timeout"] = requests * _delayed_share(fleet, service, times) * TIMEOUT_SHARE
    counts = {key: _integers(values, rng).astype(np.int32) for key, values in expected.items() if np.any(values > 0)}
    return PodPlan(service, fleet.pod_names(service)[pod_index], times, counts, s, dependency)


def context_at(plan: PodPlan, index: int, fleet: Fleet) -> Context:
    profile = fleet.profile(plan.service)
    return Context(
        service=plan.service,
        dependency=plan.dependency,
        latency=float(plan.series.median_latency[index]),
        memory=float(plan.series.memory[index]),
        limit=profile.memory_limit_bytes,
    )


def render_step(plan: PodPlan, key: str, index: int, fleet: Fleet) -> list[tuple[float, str]]:
    """The template's lines on this pod in grid step `index`, with timestamps spread over the minute."""
    n = int(plan.counts[key][index])
    if n <= 0:
        return []
    rng = _rng("line", fleet.seed, plan.pod, key, index)
    ctx = context_at(plan, index, fleet)
    start = float(plan.times[index])  # the lines of grid step t are written in [t, t + step)
    offsets = np.sort(rng.random(n)) * fleet.step
    template = TEMPLATES[key]
    return [(round(start + float(o), 6), template.render(rng, ctx)) for o in offsets]


def sample_lines(key: str, service: str, dependency: str, n: int = 40) -> list[str]:
    """A fixed sample of a template's lines, to estimate how a pipeline treats it."""
    rng = _rng("sample", key, service, dependency)
    ctx = Context(service=service, dependency=dependency, latency=0.06, memory=0.9 * 1024**3, limit=1024**3)
    return [TEMPLATES[key].render(rng, ctx) for _ in range(n)]
