"""Quality gates that adapt to each service's own history, with the reason for every block."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from portal.catalog.models import Environment, Service
from portal.changes.models import ChangeEvent
from portal.core.models import Team, User
from portal.delivery.gate_services import flaky_rates, gates_evaluate
from portal.delivery.gates import Rule, adaptive_threshold, gate_check, same_hour
from portal.delivery.models import GateEvaluation
from portal.integrations.metrics.sandbox.fleet import Fleet, Scenario, ServiceProfile
from portal.integrations.metrics.sandbox.source import SandboxMetrics
from tests.conftest import client_for

WEEK = 7 * 86400
URL = "/api/v1/delivery/gates/evaluate"


def test_the_threshold_is_median_plus_k_mads_stated_in_words() -> None:
    threshold = adaptive_threshold([10, 11, 12, 13, 14], Rule(k=3, margin=0.1, min_points=5), unit="", source="runs")

    assert threshold.median == 12
    assert threshold.mad == pytest.approx(1.4826)  # median |x - 12| = 1, scaled to a standard deviation
    assert threshold.value == pytest.approx(12 + 3 * 1.4826)
    assert "median 12 + 3 x MAD 1.483 of 5 runs" in threshold.derivation
    assert "k x MAD decides" in threshold.derivation


def test_a_flat_history_still_allows_the_stated_margin_and_floor() -> None:
    assert adaptive_threshold([0.1] * 20, Rule(margin=0.1), unit="s", source="h").value == pytest.approx(0.11)
    assert adaptive_threshold([0.0] * 20, Rule(floor=0.001), unit="ratio", source="h").value == 0.001


def test_too_little_history_skips_the_gate_and_says_why() -> None:
    threshold = adaptive_threshold([1.0, 2.0], Rule(min_points=12), unit="s", source="hourly values")
    result = gate_check("latency_p99", 5.0, threshold, unit="s", what="p99 latency")

    assert result.outcome == "skipped"
    assert result.reason == "p99 latency: undefined: 2 hourly values (needs at least 12)"


def test_same_hour_takes_the_neighbouring_hours_across_midnight() -> None:
    points = [(h * 3600.0, float(h)) for h in range(48)]

    assert sorted(same_hour(points, 0)) == [0.0, 1.0, 23.0, 24.0, 25.0, 47.0]


@pytest.fixture
def fleet_world(db: None, payments: Team, prod: Environment, owner: User) -> tuple[datetime, list[Service]]:
    now = datetime.now(UTC).timestamp()
    end = (int(now) // WEEK - 1) * WEEK + 2 * 86400 + 14 * 3600  # a Saturday-free afternoon, weeks after the epoch
    services = [Service.objects.create(name=name, owner=payments, tier=2) for name in ("fast-api", "slow-api")]
    return datetime.fromtimestamp(end, UTC), services


def _fleet(end: datetime, scenarios: tuple[Scenario, ...] = ()) -> SandboxMetrics:
    profiles = (
        ServiceProfile(name="fast-api", median_latency=0.040, latency_sigma=0.5),
        ServiceProfile(name="slow-api", median_latency=0.450, latency_sigma=0.5),
    )
    epoch = float((int(end.timestamp()) // WEEK - 3) * WEEK)
    return SandboxMetrics(Fleet(services=profiles, epoch=epoch, scenarios=scenarios))


def _latency(evaluation: GateEvaluation) -> dict:
    return next(g for g in evaluation.gates if g["name"] == "latency_p99")


def test_a_naturally_slow_service_is_not_held_to_a_fast_ones_level(fleet_world, owner: User, prod: Environment) -> None:
    end, (fast, slow) = fleet_world
    source = _fleet(end)
    kwargs = {"actor": owner, "environment": prod, "end": end, "gates": ["latency_p99"], "source": source}
    fast_eval, _ = gates_evaluate(service=fast, **kwargs)
    slow_eval, _ = gates_evaluate(service=slow, **kwargs)

    assert (fast_eval.outcome, slow_eval.outcome) == ("pass", "pass")
    assert _latency(slow_eval)["observed"] > 3 * _latency(fast_eval)["threshold"]  # fast's level would block slow
    assert _latency(slow_eval)["threshold"] > 3 * _latency(fast_eval)["threshold"]
    assert "hourly values at 14:00+-1h UTC over the last 7 days" in _latency(fast_eval)["derivation"]


def test_a_regression_against_the_services_own_history_blocks_with_the_reason(fleet_world, owner, prod) -> None:
    end, (fast, _) = fleet_world
    leak = Scenario(kind="memory-leak", service="fast-api", start=end.timestamp() - 1.2 * 3600)
    evaluation, _ = gates_evaluate(actor=owner, service=fast, environment=prod, end=end, source=_fleet(end, (leak,)))

    latency = _latency(evaluation)
    assert evaluation.outcome == "block"
    assert latency["outcome"] == "block"
    assert latency["observed"] > latency["threshold"]
    assert latency["reason"].startswith("p99 latency is ")
    assert "above this service's own threshold" in latency["reason"]
    assert latency["reason"] in evaluation.reasons


def _pipeline(service: Service, i: int, seconds: float, version: str = "") -> None:
    ChangeEvent.objects.create(
        service=service,
        kind="pipeline",
        status="succeeded",
        version=version or f"sha{i}",
        occurred_at=datetime(2026, 11, 1, tzinfo=UTC) + timedelta(hours=i),
        duration_seconds=seconds,
        source="github",
        external_id=f"run-{service.name}-{i}",
    )


def test_a_pipeline_much_slower_than_its_own_history_blocks(fleet_world, owner, prod) -> None:
    _, (fast, _) = fleet_world
    for i, seconds in enumerate([300, 310, 290, 305, 295, 320, 300, 315]):
        _pipeline(fast, i, seconds)
    _pipeline(fast, 99, 900, version="abc123")
    evaluation, _ = gates_evaluate(
        actor=owner, service=fast, environment=prod, version="abc123", gates=["pipeline_duration"]
    )

    (gate,) = evaluation.gates
    assert gate["outcome"] == "block"
    assert gate["observed"] == 900
    assert "pipeline duration of abc123" in gate["reason"]


def test_the_api_answers_the_pipeline_steps_minimal_body(local_adapters, payments_api, prod, owner, outsider) -> None:
    body = {"service": "payments-api", "environment": "prod", "version": "1.5.0"}
    assert client_for(None).post(URL, body, format="json").status_code == 401
    assert client_for(outsider).post(URL, body, format="json").status_code == 403
    bad = client_for(owner).post(URL, {**body, "gates": ["vibes"]}, format="json")
    assert bad.status_code == 400
    assert "gates[0]" in bad.json()["error"]["fields"]

    first = client_for(owner).post(URL, body, format="json", HTTP_IDEMPOTENCY_KEY="release-1.5.0")
    again = client_for(owner).post(URL, body, format="json", HTTP_IDEMPOTENCY_KEY="release-1.5.0")

    assert (first.status_code, again.status_code) == (201, 200)
    data = first.json()
    assert data["outcome"] in ("pass", "block")
    assert [g["name"] for g in data["gates"]] == [
        "latency_p99",
        "error_ratio",
        "cpu_per_request",
        "pipeline_duration",
        "pipeline_flaky_rate",
    ]
    assert all({"outcome", "observed", "threshold", "derivation", "reason"} <= set(g) for g in data["gates"])
    assert GateEvaluation.objects.count() == 1
    assert client_for(outsider).get(f"/api/v1/delivery/gates/evaluations/{data['id']}").status_code == 404
    assert client_for(owner).get(f"/api/v1/delivery/gates/evaluations/{data['id']}").json()["id"] == data["id"]


def test_flaky_rates_count_commits_whose_pipeline_failed_then_passed() -> None:
    runs = [("c1", "succeeded"), ("c1", "failed"), ("c2", "succeeded"), ("c3", "failed"), ("c4", "succeeded")]

    assert flaky_rates(runs, block=2) == [0.5, 0.0]  # c1 flaky, c2 not | c3 failed only, c4 passed only


def test_a_burst_of_flaky_pipelines_blocks_against_the_services_usual_rate(fleet_world, owner, prod) -> None:
    _, (fast, _) = fleet_world
    i = 0
    for commit in range(100):  # oldest first: 5% flaky in the first 80 commits, 40% in the last 20
        flaky = commit % 20 == 0 if commit < 80 else commit % 5 < 2
        statuses = ["failed", "succeeded"] if flaky else ["succeeded"]
        for status in statuses:
            i += 1
            ChangeEvent.objects.create(
                service=fast,
                kind="pipeline",
                status=status,
                version=f"sha{commit}",
                occurred_at=datetime(2026, 11, 1, tzinfo=UTC) + timedelta(minutes=i),
                duration_seconds=300,
                source="github",
                external_id=f"flaky-{i}",
            )
    evaluation, _ = gates_evaluate(actor=owner, service=fast, environment=prod, gates=["pipeline_flaky_rate"])

    (gate,) = evaluation.gates
    assert gate["observed"] == 0.4
    assert gate["threshold"] == pytest.approx(0.1)  # 5% usually; the 10% floor decides
    assert gate["outcome"] == "block"
    assert "failed and then passed on a rerun" in gate["reason"]
