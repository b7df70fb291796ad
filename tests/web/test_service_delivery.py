"""The Delivery section of the service page: change risk, canaries, gates, previews and infrastructure."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from portal.catalog.models import Environment, Service
from portal.changes.models import RiskAssessment
from portal.core.models import User
from portal.delivery.models import CanaryJudgement, GateEvaluation
from portal.infra.models import ResourceRequest
from tests.web.conftest import signed_in
from tests.web.test_pages import page, visible
from tests.web.world import World

pytestmark = pytest.mark.django_db

PR_9 = "http://portal.test/api/v1/scm/repositories/example-org/checkout-api/pulls/9"


def delivery_html(username: str, service: str = "checkout-api") -> str:
    """The page's Delivery section only, so that nothing elsewhere on the page can satisfy an assertion."""
    html = page(signed_in(username), f"/services/{service}")
    start, end = html.find('<section aria-labelledby="delivery"'), html.find('<section aria-labelledby="rightsizing"')
    assert 0 < start < end, "the service page has a Delivery section before Rightsizing"
    return html[start:end]


def test_the_team_sees_its_risk_assessments_with_score_level_pull_request_strategy_and_top_factors(
    world: World,
) -> None:
    html = delivery_html("carla")
    text = visible(html)
    assert f'<a href="{PR_9}">example-org/checkout-api#9</a>' in html, "the PR link drops the comment anchor"
    assert 'value="68" aria-label="Risk score 68 of 100"' in html
    assert '<span class="badge risk-high">High</span>' in html
    assert "Migrations: expand first, then canary." in text
    assert "blue green" in text, "the medium change's strategy, in words"
    top = text.index("+30 2 tests failing")
    assert top < text.index("+15 Touches database migrations") < text.index("+11 310 changed lines")
    assert "Tier 1 service" not in text, "only the three largest factors are listed"
    assert "Tests changed alongside" not in text, "a factor that lowered the risk is not a top factor"
    assert '<title id="delivery-risk-history-title">Change risk of checkout-api</title>' in html
    assert "Change risk of checkout-api: 3 risk scores from 12 to 68, latest 68; high risk from 50." in text


def test_the_team_sees_canary_outcomes_scores_and_why_the_failing_metrics_failed(world: World) -> None:
    html = delivery_html("carla")
    text = visible(html)
    assert '<span class="status status-exhausted">Fail</span>' in html
    assert '<span class="status status-warning">Marginal</span>' in html
    assert "error_ratio: canary higher than baseline (critical): median 0.031 vs 0.002" in text
    assert "p99 same" not in text, "passing metrics are not listed as reasons"
    assert "82.5/100" in text
    assert '<title id="delivery-canary-history-title">Canary scores of checkout-api</title>' in html
    assert "a canary passes from 95" in text


def test_the_team_sees_each_quality_gate_with_its_outcome_and_reason(world: World) -> None:
    html = delivery_html("carla")
    text = visible(html)
    assert '<span class="status status-exhausted">Block</span>' in html
    assert "block latency_p99 p99 latency is 440.5 ms, above its 237.5 ms" in text
    assert "pass error_ratio error ratio 0.2% is within its 0.5%" in text
    assert "skipped pipeline_duration only 2 pipeline runs; 5 needed" in text


def test_live_previews_show_state_expiry_and_cost_and_link_to_the_previews_page(world: World) -> None:
    html = delivery_html("carla")
    text = visible(html)
    assert '<a href="https://pr-9.checkout-api.preview.example.com">#9</a>' in html
    assert '<span class="status status-ok">Active</span>' in html
    assert "$1.23" in text
    expires = timezone.localtime(timezone.now() + timedelta(hours=69)).strftime("%Y-%m-%d")
    assert expires in text
    assert 'href="/previews"' in html
    assert "Old and gone" not in text, "a deleted preview is not live"


def test_infrastructure_shows_resources_with_their_secret_reference_and_requests_in_flight(world: World) -> None:
    html = delivery_html("carla")
    text = visible(html)
    assert "orders-queue Queue (queue) checkout-prod/orders-queue-prod-connection" in text
    assert "platform/prod/checkout/orders-queue-prod" in text
    waiting = ResourceRequest.objects.get(resource_name="orders-cache-prod")
    assert f'<a href="/api/v1/infra/requests/{waiting.pk}">redis orders-cache-prod</a>' in html
    assert "Waiting for approval" in text
    assert "at approval" in text
    assert "orders-prod</a>" not in html, "a finished request is not in flight"


def test_another_team_sees_no_private_delivery_data_only_what_they_asked_for(world: World) -> None:
    html = delivery_html("lee")  # payments team; asked for one checkout canary himself
    text = visible(html)
    assert "visible to the Checkout team, SREs and platform admins" in text
    assert "example-org/checkout-api#9" not in text
    assert "No assessment of checkout-api that you can see." in text, "hidden is not the same as absent"
    assert "No gate evaluation of checkout-api that you can see." in text
    assert "Touches database migrations" not in text
    assert "error_ratio: canary higher" not in text
    assert "97/100" in text, "the judgement lee requested is his to see"
    assert "p99 latency is 440.5 ms" not in text
    assert "Split orders table" not in text
    assert "orders-queue-prod-connection" not in text
    assert "orders-cache-prod" not in text
    assert "orders-queue Queue shown to the owning team" in text, "the catalog resource is public, its secret is not"


def test_an_sre_sees_every_teams_delivery_data_without_a_notice(world: World) -> None:
    text = visible(delivery_html("sam"))
    assert "visible to the Checkout team" not in text
    for seen in ("example-org/checkout-api#9", "error_ratio: canary higher", "p99 latency is 440.5 ms", "97/100"):
        assert seen in text
    assert "Split orders table" in text
    assert "orders-cache-prod" in text


def test_a_service_with_no_delivery_data_says_how_to_get_each_kind(world: World) -> None:
    text = visible(delivery_html("omar", "recommendations"))
    assert "visible to the" not in text, "omar is on the owning team"
    assert "No change of recommendations has been assessed" in text
    assert "/api/v1/changes/webhooks/github" in text
    assert "POST /api/v1/changes/risk" in text
    assert "POST /api/v1/delivery/canary/judgements" in text
    assert "/api/v1/delivery/canary/services/recommendations/analysis-template" in text
    assert "POST /api/v1/delivery/gates/evaluate" in text
    assert "PUT /api/v1/previews/services/recommendations/config" in text
    assert "recommendations uses no catalog resource" in text
    assert "POST /api/v1/infra/requests" in text


def test_a_single_assessment_says_when_the_trend_appears(world: World) -> None:
    RiskAssessment.objects.create(
        service=Service.objects.get(name="recommendations"), at=timezone.now(), score=20, level="low"
    )
    html = delivery_html("omar", "recommendations")
    assert "The trend appears once two changes have been assessed." in visible(html)
    assert 'role="img"' not in html, "one point draws no line"


def test_a_critical_change_is_marked_as_bad_as_a_high_one(world: World) -> None:
    RiskAssessment.objects.create(
        service=Service.objects.get(name="recommendations"),
        idempotency_key="ci-run-1",
        at=timezone.now(),
        score=100,
        level="critical",
        factors=[{"key": "freeze", "points": 40, "reason": "Change freeze: Black Friday"}],
    )
    html = delivery_html("omar", "recommendations")
    assert '<span class="badge risk-critical risk-high">Critical</span>' in html
    assert "ci-run-1" in visible(html), "a change sent as files is named by its idempotency key"
    assert "+40 Change freeze: Black Friday" in visible(html)


def test_a_failed_resource_request_shows_its_error_for_a_week(world: World) -> None:
    service = Service.objects.get(name="recommendations")
    for name, age in (("recs-db", timedelta(days=1)), ("recs-old", timedelta(days=8))):
        failed = ResourceRequest.objects.create(
            kind="postgresql",
            name=name,
            resource_name=f"{name}-prod",
            service=service,
            environment=Environment.objects.get(name="prod"),
            owner=service.owner,
            parameters={},
            renderer="terraform",
            requested_by=User.objects.get(username="omar"),
            state="failed",
            current_step="deliver",
            error=f"{name}: the GitOps repository refused the push; retry with POST .../retry",
        )
        ResourceRequest.objects.filter(pk=failed.pk).update(created_at=timezone.now() - age)
    html = delivery_html("omar", "recommendations")
    text = visible(html)
    assert "postgresql recs-db-prod in prod Failed at deliver" in text
    assert "recs-db: the GitOps repository refused the push" in text
    assert "recs-old" not in text, "a failure older than a week is history, not news"
    assert '<span class="status status-exhausted">Failed</span>' in html


def _more_rows(service: Service, count: int) -> None:
    prod, carla = Environment.objects.get(name="prod"), User.objects.get(username="carla")
    now = timezone.now()
    for i in range(count):
        RiskAssessment.objects.create(
            service=service, idempotency_key=f"more-{i}", at=now - timedelta(hours=i), score=i, level="low"
        )
        common = {"service": service, "environment": prod, "start": now, "end": now, "requested_by": carla}
        CanaryJudgement.objects.create(
            **common, config_name="default", config={}, baseline={}, canary={}, outcome="pass", score=99.0
        )
        GateEvaluation.objects.create(**common, outcome="pass", gates=[{"name": "error_ratio", "outcome": "pass"}])


def test_the_section_costs_the_same_number_of_queries_however_many_rows_there_are(world: World, monkeypatch) -> None:
    # The sandbox re-reads the catalog every few seconds; on a slow machine that re-read would land between the two
    # measurements and be counted against the delivery rows, so it is held for the length of the test.
    monkeypatch.setattr("portal.integrations.metrics.sandbox.catalog.FLEET_TTL_SECONDS", 3600.0)
    client = signed_in("carla")
    client.get("/services/checkout-api")  # warm caches (golden paths, metrics)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/services/checkout-api").status_code == 200
        return len(captured)

    before = queries()
    _more_rows(Service.objects.get(name="checkout-api"), 40)
    assert queries() == before, "a delivery row must not cost a query of its own"
    assert delivery_html("carla").count('aria-label="Risk score') == 5, "the latest five assessments"
