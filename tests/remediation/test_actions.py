"""Remediation: the policy decides, someone else approves, GitOps executes, the signals verify."""

from __future__ import annotations

import json
import time
from datetime import timedelta
from pathlib import Path

import pytest
import yaml
from django.utils import timezone

from portal.catalog.models import Environment, Service
from portal.changes.models import ChangeEvent
from portal.core.models import AuditEvent, Membership, PlatformRole, Team, User
from portal.incidents.models import Incident
from portal.integrations.backends import backends_reset
from portal.integrations.metrics import metrics
from portal.integrations.source_control import source_control
from portal.remediation.models import ActionRequest, ChangeFreeze, Runbook
from portal.remediation.services import action_execute, action_request, action_verify
from tests.conftest import client_for

URL = "/api/v1/remediation/action-requests"


@pytest.fixture(autouse=True)
def sandbox(local_adapters: Path) -> Path:
    return local_adapters


@pytest.fixture
def dev(db: None) -> Environment:
    return Environment.objects.create(name="dev", kind="dev")


@pytest.fixture
def sre2(payments: Team) -> User:
    user = User.objects.create_user(username="kim", password="x")
    user.platform_role = PlatformRole.SRE
    user.save()
    Membership.objects.create(user=user, team=payments)
    return user


def _request(service: Service, env: Environment, runbook: str, *, by: User | None = None, **parameters):
    return action_request(
        runbook=Runbook.objects.get(name=runbook),
        service=service,
        environment=env,
        parameters=parameters,
        reason="p99 latency tripled after the deploy",
        evidence=[{"kind": "deploy", "version": "v2"}],
        requested_by=by,
    )


def test_the_ai_runs_low_risk_actions_outside_production_by_itself(payments_api: Service, dev: Environment) -> None:
    action = _request(payments_api, dev, "restart")
    assert (action.state, action.decision) == ("approved", "auto")
    assert action.policy_version.startswith("rego:")
    action_execute(action.pk)
    action.refresh_from_db()
    assert action.state == "verifying"
    runtime = yaml.safe_load(
        source_control().file_read(
            "platform/gitops",
            "main",  # type: ignore[arg-type]
            "apps/payments/payments-api/dev/runtime.yaml",
        )
    )
    assert "restartedAt" in runtime


def test_production_needs_an_sre_who_is_not_the_requester(
    sre: User, sre2: User, owner: User, payments_api: Service, prod: Environment
) -> None:
    created = client_for(sre).post(
        URL,
        {
            "runbook": "scale-out",
            "service": "payments-api",
            "environment": "prod",
            "parameters": {"replicas": 6},
            "reason": "latency",
        },
        format="json",
    )
    assert created.status_code == 201, created.json()
    body = created.json()
    assert (body["state"], body["decision"]) == ("pending", "needs_approval")
    assert "production needs an SRE's approval" in body["decision_reasons"]
    approve = f"{URL}/{body['id']}/approve"
    own = client_for(sre).post(approve, {"comment": "looks right"}, format="json")
    assert own.status_code == 403
    assert "another SRE" in own.json()["error"]["message"]
    assert client_for(owner).post(approve, {"comment": "ok"}, format="json").status_code == 403
    assert client_for(sre2).post(approve, {"comment": ""}, format="json").status_code == 400
    ok = client_for(sre2).post(approve, {"comment": "capacity is the fastest relief"}, format="json")
    assert ok.json()["state"] == "approved"
    assert client_for(sre2).post(approve, {"comment": "again"}, format="json").status_code == 409
    action_execute(body["id"])
    runtime = yaml.safe_load(
        source_control().file_read(
            "platform/gitops",
            "main",  # type: ignore[arg-type]
            "apps/payments/payments-api/prod/runtime.yaml",
        )
    )
    assert runtime["replicas"] == 6
    states = list(
        AuditEvent.objects.filter(object_type="remediation.actionrequest")
        .order_by("id")
        .values_list("action", "actor_name")
    )
    assert states == [
        ("action_request", "sam"),
        ("action_approved", "kim"),
        ("action_running", "system"),
        ("action_verifying", "system"),
    ]


def test_a_freeze_or_a_scale_above_the_cap_is_denied(payments_api: Service, dev: Environment) -> None:
    assert _request(payments_api, dev, "scale-out", replicas=50).decision_reasons == [
        "scale-out to 50 replicas is above the cap of 20 for this service"
    ]
    ChangeFreeze.objects.create(
        starts_at=timezone.now() - timedelta(hours=1),
        ends_at=timezone.now() + timedelta(hours=1),
        reason="Black Friday",
        environment_kinds=["dev"],
    )
    action = _request(payments_api, dev, "restart")
    assert (action.state, action.decision_reasons) == ("denied", ["a change freeze is declared for this environment"])


def test_a_policy_that_cannot_be_evaluated_denies(
    payments_api: Service,
    dev: Environment,
    settings,
    tmp_path: Path,
) -> None:
    broken = tmp_path / "policies"
    broken.mkdir()
    (broken / "bad.rego").write_text("package portal.remediation\n\ndecision := 1 / 0\n")
    settings.POLICY = {"BACKEND": "portal.integrations.policy.RegoInProcess", "OPTIONS": {"policy_dir": str(broken)}}
    backends_reset()
    action = _request(payments_api, dev, "restart")
    assert action.state == "denied"
    assert action.decision_reasons[0].startswith("policy error, denied")


def test_bad_parameters_and_expired_approvals_are_clear(
    sre: User, sre2: User, payments_api: Service, prod: Environment
) -> None:
    bad = client_for(sre).post(
        URL,
        {
            "runbook": "scale-out",
            "service": "payments-api",
            "environment": "prod",
            "parameters": {"replicas": "many"},
            "reason": "x",
        },
        format="json",
    )
    assert bad.status_code == 400
    assert "parameters" in bad.json()["error"]["fields"]
    action = _request(payments_api, prod, "scale-out", by=sre, replicas=4)
    ActionRequest.objects.filter(pk=action.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    late = client_for(sre2).post(f"{URL}/{action.pk}/approve", {"comment": "ok"}, format="json")
    assert late.status_code == 409
    action.refresh_from_db()
    assert action.state == "expired"


def test_rollback_returns_to_the_previous_deploy_and_the_signals_verify(
    sre: User, sre2: User, payments_api: Service, prod: Environment
) -> None:
    now = timezone.now()
    for i, version in enumerate(["v1", "v2"]):
        ChangeEvent.objects.create(
            service=payments_api,
            environment=prod,
            kind="deploy",
            version=version,
            occurred_at=now - timedelta(hours=2 - i),
            source="api",
            external_id=version,
        )
    incident = Incident.objects.create(
        title="latency", service=payments_api, started_at=now, detected_at=now, last_activity_at=now
    )
    metrics().scenario_start("memory-leak", "payments-api", start=time.time() - 3600)  # type: ignore[attr-defined]
    action = action_request(
        runbook=Runbook.objects.get(name="rollback-deploy"),
        service=payments_api,
        environment=prod,
        parameters={},
        reason="v2 leaks memory",
        evidence=[],
        requested_by=None,
        incident=incident,
    )
    assert action.state == "pending"  # the AI may not touch production alone
    client_for(sre2).post(f"{URL}/{action.pk}/approve", {"comment": "roll back v2"}, format="json")
    action_execute(action.pk)
    runtime = yaml.safe_load(
        source_control().file_read(
            "platform/gitops",
            "main",  # type: ignore[arg-type]
            "apps/payments/payments-api/prod/runtime.yaml",
        )
    )
    assert runtime["image"]["tag"] == "v1"
    assert action_verify(action.pk, at=time.time() + 600) == "succeeded"
    incident.refresh_from_db()
    assert incident.state == "mitigated"
    assert list(incident.timeline.values_list("kind", flat=True)).count("action") == 4


def test_a_rollback_with_no_earlier_deploy_fails_and_says_why(payments_api: Service, dev: Environment) -> None:
    action = _request(payments_api, dev, "rollback-deploy")
    ActionRequest.objects.filter(pk=action.pk).update(state="approved")
    action_execute(action.pk)
    action.refresh_from_db()
    assert action.state == "failed"
    assert "No earlier deploy" in action.result["error"]


def test_disabling_a_flag_edits_the_flagd_file(payments_api: Service, dev: Environment) -> None:
    action = _request(payments_api, dev, "disable-flag", flag="new-checkout")
    action_execute(action.pk)
    flags = json.loads(
        source_control().file_read(
            "platform/gitops",
            "main",  # type: ignore[arg-type]
            "apps/payments/payments-api/dev/flags.flagd.json",
        )
    )
    assert flags["flags"]["new-checkout"]["defaultVariant"] == "off"


def test_an_sre_approves_in_the_admin_with_the_evidence_and_the_diff(
    sre: User, sre2: User, payments_api: Service, prod: Environment
) -> None:
    action = _request(payments_api, prod, "scale-out", by=sre, replicas=5)
    for user in (sre, sre2):
        user.is_staff = True
        user.save()
    page = client_for(sre2).get(f"/admin/remediation/actionrequest/{action.pk}/decide/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "p99 latency tripled after the deploy" in text
    assert "replicas: 5" in text  # the diff of the runtime file
    own = client_for(sre).post(
        f"/admin/remediation/actionrequest/{action.pk}/decide/", {"comment": "mine", "approve": "1"}, follow=True
    )
    assert "another SRE" in own.content.decode()
    done = client_for(sre2).post(
        f"/admin/remediation/actionrequest/{action.pk}/decide/", {"comment": "go", "approve": "1"}
    )
    assert done.status_code == 302
    action.refresh_from_db()
    assert (action.state, action.approved_by) == ("approved", sre2)
    assert AuditEvent.objects.filter(action="action_approved", via="admin").exists()


def test_a_workflow_runbook_runs_its_steps_in_process_one_commit_each(
    sre: User, sre2: User, payments_api: Service, prod: Environment
) -> None:
    action = _request(payments_api, prod, "run-workflow", by=sre, replicas=4)
    assert action.decision == "needs_approval"  # high risk
    client_for(sre2).post(f"{URL}/{action.pk}/approve", {"comment": "run it"}, format="json")
    action_execute(action.pk)
    action.refresh_from_db()
    assert action.state == "verifying", action.result
    assert action.change["executor"] == "workflow:inprocess"
    assert action.change["steps"] == ["step-1-restart", "step-2-scale-out"]
    messages = source_control().commit_messages("platform/gitops", "main")
    assert [m.split("\n")[0] for m in messages[:2]] == [
        "Run a remediation workflow: scale_out",
        "Run a remediation workflow: restart",
    ]


def test_the_cluster_executor_scales_a_deployment_gitops_does_not_manage(
    settings,
    sandbox: Path,
    payments_api: Service,
    prod: Environment,
) -> None:
    from portal.catalog.models import ServiceEnvironment
    from portal.integrations.kubernetes import cluster

    ServiceEnvironment.objects.create(service=payments_api, environment=prod, namespace="payments", cluster="prod")
    state = sandbox / "cluster.json"
    state.write_text(
        json.dumps(
            {
                "apiVersion": "v1",
                "kind": "List",
                "items": [
                    {
                        "apiVersion": "apps/v1",
                        "kind": "Deployment",
                        "metadata": {
                            "name": "payments-api",
                            "namespace": "payments",
                            "generation": 1,
                            "annotations": {"deployment.kubernetes.io/revision": "1"},
                        },
                        "spec": {
                            "replicas": 2,
                            "selector": {"matchLabels": {"app": "payments-api"}},
                            "template": {
                                "metadata": {"labels": {"app": "payments-api"}},
                                "spec": {"containers": [{"name": "app", "image": "payments-api:v1"}]},
                            },
                        },
                        "status": {"replicas": 2, "readyReplicas": 2},
                    }
                ],
            }
        )
    )
    settings.REMEDIATION_EXECUTOR = "kubernetes"
    settings.KUBERNETES = {
        "BACKEND": "portal.integrations.kubernetes.local.LocalCluster",
        "OPTIONS": {"state_file": str(state)},
    }
    backends_reset()
    action = _request(payments_api, prod, "scale-out", replicas=5)
    ActionRequest.objects.filter(pk=action.pk).update(state="approved")
    action_execute(action.pk)
    action.refresh_from_db()
    assert action.change["executor"] == "kubernetes", action.result
    assert cluster().deployment_get("payments", "payments-api").replicas == 5
