"""The seed's incident end to end on the sandbox, through the same services production uses."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from portal.aiops.models import KnowledgeDocument
from portal.aiops.story import story_run
from portal.core.models import AuditEvent
from portal.integrations.source_control import source_control
from portal.remediation.models import ActionRequest


@pytest.fixture
def sandbox(demo_world: Path) -> Path:
    return demo_world


def test_the_seed_incident_from_leaky_deploy_to_postmortem(sandbox: Path) -> None:
    result = story_run(say=print)
    incident = result.incident
    top = incident.hypotheses.order_by("-analysis", "rank").first()
    assert top is not None
    assert (top.kind, top.change.version, top.service.name) == ("memory_leak", "v1.5.0", "checkout-api")
    kinds = {e["kind"] for e in top.evidence if e["supports"]}
    assert {"change", "timing", "trend", "similar_incident"} <= kinds, top.evidence

    actions = {a.runbook.name: a for a in ActionRequest.objects.filter(incident=incident)}
    assert set(actions) == {"rollback-deploy", "scale-out"}
    for action in actions.values():
        assert action.decision == "needs_approval"
        assert action.requested_by is None
        assert action.approved_by.username == "sam"
        assert action.state == "succeeded", action.result
    runtime = yaml.safe_load(
        source_control().file_read(
            "platform/gitops",
            "main",  # type: ignore[arg-type]
            "apps/checkout/checkout-api/prod/runtime.yaml",
        )
    )
    assert runtime["image"]["tag"] == "v1.4.0"
    assert runtime["replicas"] == 5

    incident.refresh_from_db()
    assert incident.state == "resolved"
    assert incident.impact["failed_requests"] > 0
    assert incident.impact["error_budget_consumed_percent"] > 0
    postmortem = incident.postmortem
    assert "Failed requests:" in postmortem.markdown
    assert "v1.5.0 on checkout-api leaks memory" in postmortem.markdown
    assert "MemoryGrowingFast" in postmortem.proposed_rules
    assert (postmortem.generation_seconds or 0) < 10
    assert KnowledgeDocument.objects.filter(incident=incident, kind="postmortem").exists()
    marks = result.marks
    assert marks["detected"] - marks["deploy"] <= 75 * 60
    assert min(v for k, v in marks.items() if k.startswith("anomaly:")) > marks["deploy"]
    transitions = set(
        AuditEvent.objects.filter(object_type="remediation.actionrequest").values_list("action", flat=True)
    )
    assert {
        "action_request",
        "action_approved",
        "action_running",
        "action_verifying",
        "action_succeeded",
    } <= transitions


def test_the_postmortem_is_listed_exported_and_edited_as_versions(sandbox: Path) -> None:
    from portal.core.models import User
    from tests.conftest import client_for

    incident = story_run(say=lambda line: None).incident
    client = client_for(User.objects.get(username="sam"))
    listed = client.get("/api/v1/incidents/postmortems", {"service": "checkout-api", "limit": "1"}).json()
    assert [p["incident_id"] for p in listed["results"]] == [incident.pk]
    download = client.get(f"/api/v1/incidents/{incident.pk}/postmortem", {"download": "1"})
    assert download["Content-Type"].startswith("text/markdown")
    assert download.content.decode().startswith("# Postmortem:")
    edited = client.put(
        f"/api/v1/incidents/{incident.pk}/postmortem", {"markdown": "# Postmortem\n\nEdited."}, format="json"
    ).json()
    assert edited["version"] == 2
    assert [v["version"] for v in edited["versions"]] == [1, 2]
    assert (
        client.put(f"/api/v1/incidents/{incident.pk}/postmortem", {"markdown": " "}, format="json").status_code == 400
    )
    outsider = client_for(User.objects.get(username="omar"))  # search team: not involved
    assert outsider.get(f"/api/v1/incidents/{incident.pk}/postmortem").status_code == 404
