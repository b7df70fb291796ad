"""The portal's pages through Django's test client, on the demo catalog and the seed's incident."""

from __future__ import annotations

import re
from html import unescape

import pytest
from django.test import Client

from portal.incidents.models import Postmortem
from portal.scaffolder.models import ScaffoldRun
from tests.web.conftest import signed_in
from tests.web.world import PASSWORD, World

pytestmark = pytest.mark.django_db

PAGES = [
    "/",
    "/services/checkout-api",
    "/incidents",
    "/approvals",
    "/finops",
    "/golden-paths",
    "/golden-paths/tiny-service",
    "/scorecard",
]


def page(client: Client, url: str, status: int = 200) -> str:
    response = client.get(url)
    assert response.status_code == status, (url, response.status_code, response.content[:500])
    text = response.content.decode()
    assert "Traceback" not in text
    return text


def visible(html: str) -> str:
    """The text of a page without tags, whitespace folded."""
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html)))


@pytest.mark.parametrize("url", [*PAGES, "/incidents/1", "/incidents/1/postmortem"])
def test_anonymous_people_are_sent_to_sign_in(world: World, url: str) -> None:
    response = Client().get(url)
    assert response.status_code == 302
    assert response["Location"] == f"/login/?next={url}"


def test_anonymous_people_cannot_decide_or_start_runs(world: World) -> None:
    assert Client().post(f"/approvals/{world.sam_action}/decide", {"decision": "approve"}).status_code == 302
    assert Client().post("/golden-paths/tiny-service", {"name": "x"}).status_code == 302
    assert ScaffoldRun.objects.filter(service_name="x").count() == 0


def test_the_scorecard_api_needs_credentials(world: World) -> None:
    response = Client().get("/api/v1/scorecard")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"


def test_a_person_signs_in_on_the_login_page_and_lands_where_they_were_going(world: World) -> None:
    client = Client()
    assert "Sign in" in page(client, "/login/")
    wrong = client.post("/login/", {"username": "lee", "password": "nope"})
    assert wrong.status_code == 200
    assert "Please enter a correct username and password" in wrong.content.decode()
    response = client.post("/login/?next=/incidents", {"username": "lee", "password": PASSWORD, "next": "/incidents"})
    assert (response.status_code, response["Location"]) == (302, "/incidents")
    assert "Sign out" in page(client, "/incidents")


@pytest.mark.parametrize("url", PAGES)
def test_every_page_renders_for_a_developer_and_an_sre(world: World, url: str) -> None:
    for username in ("lee", "sam"):
        html = page(signed_in(username), url)
        assert "<h1>" in html or "<h1 " in html
        assert 'href="/static/web/portal.css"' in html


def test_home_shows_services_by_tier_slo_health_incidents_approvals_and_cost(world: World) -> None:
    html = page(signed_in("lee"), "/")
    text = visible(html)
    for tier in ("Tier 1", "Tier 2", "Tier 3"):
        assert tier in text
    assert 'href="/services/payments-api"' in html
    assert "SLO health" in text
    assert "Budget left" in text
    assert f'href="/incidents/{world.open_incident}"' in html
    assert "HighErrorRate on payments-api" in text
    assert "Roll back the last deploy on payments-api (prod)" in text
    assert "suggested by the analysis" in text
    if world.finops:
        assert "Cost, last 30 days" in text
    else:
        assert re.search(r"\$[\d,]+\.\d\d", text), "the month's cost is shown"


def test_the_service_page_shows_what_the_service_is_and_how_it_does(world: World) -> None:
    html = page(signed_in("lee"), "/services/checkout-api")
    text = visible(html)
    assert "Checkout" in text
    assert "checkout-dev" in text
    assert "prod-eu-1" in text
    assert "Not created from a golden path" in text
    assert "requests-availability" in text
    assert "requests-latency" in text
    assert html.count('role="img"') >= 4  # two burn-downs, latency and errors
    assert '<title id="latency-title">Latency of checkout-api</title>' in html
    assert "marker-deploy" in html, "the leaky deploy is marked on the plots"
    assert "Deploy v1.5.0" in text
    assert "marker-anomaly" in html
    assert "Anomaly: memory went up" in text
    assert f'href="/incidents/{world.story_incident}"' in html
    assert "Deploy v1.5.0" in text, "recent changes"


def test_the_service_page_knows_a_service_made_from_a_golden_path(world: World) -> None:
    text = visible(page(signed_in("priya"), "/services/ledger"))
    assert "tiny-service" in text or "Tiny service" in text
    assert "On the current version." in text


def test_the_plot_range_can_be_chosen(world: World) -> None:
    html = page(signed_in("lee"), "/services/payments-api?range=7d")
    assert 'href="?range=7d#plots" aria-current="true"' in html
    assert "Deploy v2.4.0" in visible(html)


def test_an_unknown_service_is_a_404_that_says_what_is_missing(world: World) -> None:
    text = visible(page(signed_in("lee"), "/services/no-such-thing", status=404))
    assert "No service named 'no-such-thing' in the catalog" in text


def test_incidents_are_listed_and_filtered_by_state(world: World) -> None:
    client = signed_in("lee")
    everything = page(client, "/incidents")
    assert f"#{world.open_incident} " in visible(everything)
    assert f"#{world.story_incident} " in visible(everything)
    active = visible(page(client, "/incidents?state=active"))
    assert f"#{world.open_incident} " in active
    assert f"#{world.story_incident} " not in active
    resolved = visible(page(client, "/incidents?state=resolved"))
    assert f"#{world.story_incident} " in resolved
    assert f"#{world.open_incident} " not in resolved


def test_the_incident_page_shows_timeline_causes_similar_incidents_actions_and_postmortem(world: World) -> None:
    html = page(signed_in("lee"), f"/incidents/{world.story_incident}")
    text = visible(html)
    assert "deploy v1.5.0 on checkout-api leaks memory" in text
    assert "99% confidence" in text
    assert "deploy v1.5.0 on checkout-api shortly before the symptoms" in text, "evidence"
    assert "Memory leak after deploy v1.2.0 on checkout-api" in text, "similar incident"
    assert "Roll back the last deploy" in text, "actions"
    assert "evidence is convincing; go" in text, "approvals"
    assert "Mitigated: Roll back the last deploy worked" in text, "timeline"
    assert "<h2>Root cause</h2>" in html, "the postmortem is rendered Markdown"
    assert f'href="/incidents/{world.story_incident}/postmortem"' in html


def test_an_open_incident_without_a_postmortem_says_when_it_comes(world: World) -> None:
    text = visible(page(signed_in("lee"), f"/incidents/{world.open_incident}"))
    assert "No postmortem yet" in text
    assert page(signed_in("lee"), f"/incidents/{world.open_incident}/postmortem", status=404)


def test_the_postmortem_is_markdown_rendered_safely(world: World) -> None:
    postmortem = Postmortem.objects.get(incident_id=world.story_incident)
    postmortem.markdown += "\n\n<script>alert('x')</script>\n\n[click](javascript:alert(1))\n"
    postmortem.save()
    html = page(signed_in("lee"), f"/incidents/{world.story_incident}/postmortem")
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert" in html
    assert 'href="javascript:' not in html
    assert '<pre><code class="language-yaml">' in html
    assert "Proposed preventive alert" in html
    assert "MemoryGrowingFast" in html


def test_the_approval_queue_shows_evidence_and_the_diff_of_what_will_change(world: World) -> None:
    html = page(signed_in("sam"), "/approvals")
    text = visible(html)
    assert f'id="action-{world.analysis_action}"' in html
    assert "deploy v2.4.0 on payments-api 5 min before the symptoms" in text
    assert "apps/payments/payments-api/prod/runtime.yaml" in text
    assert '<span class="add">+  tag: v2.3.0</span>' in html, "the rollback's target version is in the diff"
    assert '<span class="add">+replicas: 6</span>' in html
    assert "You requested this action; another SRE has to approve or reject it." in text
    assert f'action="/approvals/{world.analysis_action}/decide"' in html
    assert f'action="/approvals/{world.sam_action}/decide"' not in html


def test_a_developer_reads_the_queue_but_gets_no_decision_form(world: World) -> None:
    html = page(signed_in("lee"), "/approvals")
    assert "only SREs can approve or reject" in html
    assert "/decide" not in html


def test_an_sre_approves_an_action_with_a_comment(world: World, django_capture_on_commit_callbacks) -> None:
    client = signed_in("sam")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/approvals/{world.analysis_action}/decide", {"decision": "approve", "comment": "errors began at deploy"}
        )
    assert (response.status_code, response["Location"]) == (302, "/approvals")
    assert world.analysis_action in world.executed, "the approved action is queued for execution"
    text = visible(page(client, "/approvals"))
    assert "Approved 'Roll back the last deploy' on payments-api (prod)." in text
    assert "errors began at deploy" in text, "recently decided"
    from portal.remediation.models import ActionRequest

    action = ActionRequest.objects.get(pk=world.analysis_action)
    assert (action.state, action.approved_by.username, action.decision_comment) == (
        "approved",
        "sam",
        "errors began at deploy",
    )


def test_an_sre_cannot_approve_their_own_request(world: World) -> None:
    response = signed_in("sam").post(f"/approvals/{world.sam_action}/decide", {"decision": "approve", "comment": "ok"})
    assert response.status_code == 403
    assert "You requested this action; another SRE has to approve or reject it." in visible(response.content.decode())
    from portal.remediation.models import ActionRequest

    assert ActionRequest.objects.get(pk=world.sam_action).state == "pending"


def test_a_developer_cannot_decide(world: World) -> None:
    response = signed_in("lee").post(f"/approvals/{world.sam_action}/decide", {"decision": "approve", "comment": "ok"})
    assert response.status_code == 403
    assert "Only SREs can approve or reject remediation actions." in response.content.decode()


def test_a_decision_needs_a_comment_and_a_known_action(world: World) -> None:
    response = signed_in("admin").post(f"/approvals/{world.sam_action}/decide", {"decision": "reject", "comment": ""})
    assert response.status_code == 400
    assert "Say why you approve or reject" in response.content.decode()
    assert (
        signed_in("admin").post("/approvals/999999/decide", {"decision": "reject", "comment": "x"}).status_code == 404
    )


def test_deciding_twice_is_a_conflict(world: World) -> None:
    client = signed_in("admin")
    first = client.post(f"/approvals/{world.sam_action}/decide", {"decision": "reject", "comment": "not needed"})
    assert first.status_code == 302
    again = client.post(f"/approvals/{world.sam_action}/decide", {"decision": "approve", "comment": "changed my mind"})
    assert again.status_code == 409
    assert "This request is rejected, not pending." in again.content.decode()


def test_the_finops_page_shows_costs_or_says_why_not(world: World) -> None:
    text = visible(page(signed_in("lee"), "/finops"))
    assert "Idle resources" in text
    assert "Rightsizing recommendations" in text
    if world.finops.startswith("no FinOps layer"):
        assert "FinOps data is not available yet" in text
    else:
        assert "By team" in text
        assert "payments" in text
        assert "Daily cost over the last 30 days" in text


def test_the_finops_page_renders_without_the_finops_layer(world: World, monkeypatch) -> None:
    monkeypatch.setattr("portal.web.finops.SELECTORS", "portal.finops.no_such_module")
    client = signed_in("lee")
    text = visible(page(client, "/finops"))
    assert "FinOps data is not available yet: the FinOps layer (portal.finops.no_such_module) is missing" in text
    assert "FinOps data is not available yet" in visible(page(client, "/"))
    assert "FinOps data is not available yet" in visible(page(client, "/services/payments-api"))
    assert "no data" in visible(page(client, "/scorecard"))


def test_golden_paths_are_listed_with_recent_runs(world: World) -> None:
    html = page(signed_in("priya"), "/golden-paths")
    text = visible(html)
    assert "Tiny service (test fixture)" in text
    assert "version 1.2.0" in text
    assert f'href="/golden-paths/runs/{world.run_id}"' in html
    assert "ledger" in text
    assert "Succeeded" in text


def test_a_developer_starts_a_run_from_the_form(world: World) -> None:
    client = signed_in("priya")
    form = page(client, "/golden-paths/tiny-service")
    assert '<option value="payments"' in form
    assert 'for="id_name"' in form
    response = client.post("/golden-paths/tiny-service", {"name": "invoices", "owner": "payments", "tier": "2"})
    assert response.status_code == 302, visible(response.content.decode())
    run = ScaffoldRun.objects.get(service_name="invoices")
    assert response["Location"] == f"/golden-paths/runs/{run.id}"
    assert (run.parameters, run.requested_by.username) == (
        {"name": "invoices", "owner": "payments", "tier": 2},
        "priya",
    )
    text = visible(page(client, f"/golden-paths/runs/{run.id}"))
    assert "Waiting for a worker to pick the run up" in text


def test_the_run_form_shows_what_is_wrong(world: World) -> None:
    client = signed_in("priya")
    response = client.post("/golden-paths/tiny-service", {"name": "Not A Name", "owner": "payments", "tier": "2"})
    assert response.status_code == 400
    text = visible(response.content.decode())
    assert "parameters.name: 'Not A Name' does not match" in text
    taken = client.post("/golden-paths/tiny-service", {"name": "ledger", "owner": "payments", "tier": "2"})
    assert taken.status_code == 409
    assert "A service named 'ledger' already exists." in visible(taken.content.decode())


def test_a_run_page_shows_its_steps_and_log(world: World) -> None:
    html = page(signed_in("priya"), f"/golden-paths/runs/{world.run_id}")
    text = visible(html)
    for step in ("render", "create repository", "push", "gitops change", "register"):
        assert step in text
    assert "run succeeded" in text
    assert 'data-live="false"' in html
    assert 'role="log"' in html


def test_a_run_someone_may_not_see_is_not_found(world: World) -> None:
    assert page(signed_in("carla"), f"/golden-paths/runs/{world.run_id}", status=404)


def test_the_scorecard_measures_every_key_result_and_each_service(world: World) -> None:
    text = visible(page(signed_in("lee"), "/scorecard"))
    for title in (
        "Critical services emitting metrics, logs and traces",
        "Tier-1 services with SLOs",
        "Time to detect",
        "Golden paths in use",
        "Time to create a service",
        "Incidents with a root-cause suggestion",
        "Mean time to resolve, against the previous quarter",
        "Incidents resolved by runbooks",
        "Postmortem delay",
        "Idle resources identified",
        "Rightsizing applied to the 10 most expensive services",
        "Monthly cost trend",
    ):
        assert title in text
    assert "logs and traces are not measured here" in text
    assert "Runbook linked" in text
    assert "On the current golden-path version" in text


def test_the_scorecard_is_json_for_backstage(world: World) -> None:
    client = signed_in("lee")
    body = client.get("/api/v1/scorecard").json()
    results = {kr["key"]: kr for kr in body["key_results"]}
    assert len(results) == 12
    assert results["tier1_slos"]["value"] == 1.0
    assert results["root_cause_suggested"]["value"] == pytest.approx(2 / 3)
    assert results["telemetry"]["value"] == 1.0
    services = {s["name"]: s for s in body["services"]}
    ledger = {c["id"]: c["passed"] for c in services["ledger"]["checks"]}
    assert ledger == {"owner": True, "slo": True, "telemetry": True, "runbook": False, "golden_path": True}
    assert services["ledger"]["score"] == 80
    one = client.get("/api/v1/scorecard?service=checkout-api").json()
    assert [s["name"] for s in one["services"]] == ["checkout-api"]
    missing = client.get("/api/v1/scorecard?service=nope")
    assert missing.status_code == 404
