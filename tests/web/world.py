"""A portal with realistic data for the page tests: the demo catalog, the seed's incident with its postmortem, an
open incident with actions waiting for approval, a finished golden-path run, and costs when FinOps is there."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.db import connection
from django.test import override_settings
from django.utils import timezone

from portal.aiops.story import story_run
from portal.catalog.demo import demo_load
from portal.catalog.models import Environment, Resource, Service
from portal.changes.models import ChangeEvent, RiskAssessment
from portal.core.models import User
from portal.delivery.models import CanaryJudgement, GateEvaluation
from portal.incidents.alertmanager import AlertDraft
from portal.incidents.models import Incident
from portal.incidents.services import alert_receive
from portal.infra.models import ResourceRequest
from portal.integrations.backends import backends_reset
from portal.previews.models import PreviewEnvironment
from portal.remediation import services as remediation_services
from portal.remediation.models import ActionRequest, Runbook
from portal.remediation.services import action_request, runbooks_sync
from portal.scaffolder import services as scaffolder_services
from portal.scaffolder.registry import golden_path_get
from portal.scaffolder.services import run_execute, run_request

FIXTURE_PATHS = Path(__file__).resolve().parent.parent / "scaffolder" / "fixtures"
PASSWORD = "portal-demo"


@dataclass
class World:
    root: Path
    story_incident: int = 0
    open_incident: int = 0
    analysis_action: int = 0  # pending, suggested by the analysis
    sam_action: int = 0  # pending, requested by sam (an SRE)
    run_id: str = ""
    finops: str = ""  # empty when costs were computed, else why not
    executed: list[int] = field(default_factory=list)  # actions queued for execution after approval


def golden_paths_dir(root: Path) -> Path:
    """The repository's golden paths next to the tiny test path (fast to run), linked into one folder."""
    folder = root / "golden-paths"
    folder.mkdir(parents=True, exist_ok=True)
    real = Path(settings.BASE_DIR) / "templates"
    for source in [*sorted(real.iterdir()), FIXTURE_PATHS / "tiny-service"]:
        if (source / "golden-path.yaml").is_file() and not (folder / source.name).exists():
            (folder / source.name).symlink_to(source)
    return folder


def world_settings(root: Path) -> dict[str, Any]:
    """Everything the portal writes goes under root; no task leaves the process."""
    return {
        "DATA_DIR": root,
        "GOLDEN_PATHS_DIR": golden_paths_dir(root),
        "SOURCE_CONTROL": {
            "BACKEND": "portal.integrations.source_control.local.LocalGit",
            "OPTIONS": {"root": str(root / "git"), "base_url": "http://portal.test/api/v1/scm/repositories"},
        },
        "METRICS": {
            "BACKEND": "portal.integrations.metrics.sandbox.catalog.CatalogSandbox",
            "OPTIONS": {"data_dir": str(root)},
        },
        "INCIDENT_ANALYSIS_TASK": "",
        "INCIDENT_RESOLVED_TASK": "",
        "PASSWORD_HASHERS": ["django.contrib.auth.hashers.MD5PasswordHasher"],
    }


def _run_in_background(run_id: Any, step_delay: float) -> None:
    """What a Celery worker would do with a queued run, in a thread, with a pause per step to watch it."""

    def work() -> None:
        try:
            time.sleep(step_delay)
            run_execute(run_id)
        finally:
            connection.close()

    threading.Thread(target=work, daemon=True).start()


@contextmanager
def portal_sandbox(root: Path, *, step_delay: float = 0.0) -> Iterator[World]:
    """Settings pointed at root, and tasks that would go to the broker run here instead (or are recorded)."""
    world = World(root=root)
    patch = pytest.MonkeyPatch()
    patch.setattr(remediation_services, "_enqueue_execute", world.executed.append)
    patch.setattr(scaffolder_services, "_enqueue", lambda run_id: _run_in_background(run_id, step_delay))
    if step_delay:
        from portal.scaffolder import steps

        for name, function in list(steps.STEP_FUNCTIONS.items()):
            patch.setitem(steps.STEP_FUNCTIONS, name, _slowed(function, step_delay))
    with override_settings(**world_settings(root)):
        backends_reset()
        try:
            yield world
        finally:
            backends_reset()
            patch.undo()


def _slowed(function: Any, delay: float) -> Any:
    def slow(*args: Any, **kwargs: Any) -> Any:
        time.sleep(delay)
        return function(*args, **kwargs)

    return slow


def world_build(world: World) -> World:
    """Fill the database; takes about 15 seconds (most of it the seed's incident)."""
    runbooks_sync()
    demo_load()
    world.story_incident = story_run(say=lambda line: None).incident.pk
    world.open_incident = _open_incident().pk
    world.analysis_action, world.sam_action = _pending_actions(world.open_incident)
    world.run_id = str(_golden_path_run())
    world.finops = _finops_load()
    _delivery_load()
    return world


def _open_incident() -> Incident:
    """Payments answers 5xx since a deploy twenty minutes ago."""
    service, prod = Service.objects.get(name="payments-api"), Environment.objects.get(name="prod")
    now = timezone.now()
    for version, ago in (("v2.3.0", timedelta(hours=26)), ("v2.4.0", timedelta(minutes=25))):
        ChangeEvent.objects.create(
            service=service,
            environment=prod,
            kind="deploy",
            version=version,
            occurred_at=now - ago,
            author="lee",
            source="portal",
            external_id=f"web-test:{version}",
        )
    alert, _ = alert_receive(
        AlertDraft(
            fingerprint="web-test-5xx",
            name="HighErrorRate",
            status="firing",
            severity="critical",
            service="payments-api",
            starts_at=now - timedelta(minutes=20),
            ends_at=None,
            annotations={"summary": "5xx above 2% for 10 minutes"},
        ),
        source="alertmanager",
    )
    assert alert is not None
    assert alert.incident is not None
    return alert.incident


def _pending_actions(incident_id: int) -> tuple[int, int]:
    incident = Incident.objects.get(pk=incident_id)
    service, prod = incident.service, Environment.objects.get(name="prod")
    suggested = action_request(
        runbook=Runbook.objects.get(name="rollback-deploy"),
        service=service,
        environment=prod,
        parameters={},
        reason="Roll back: deploy v2.4.0 on payments-api raised the 5xx ratio",
        evidence=[
            {"title": "deploy v2.4.0 on payments-api raised errors", "confidence": 0.82, "hypothesis": 0},
            {"kind": "change", "supports": True, "text": "deploy v2.4.0 on payments-api 5 min before the symptoms"},
            {"kind": "timing", "supports": True, "text": "error ratio left normal 5 min after it"},
        ],
        requested_by=None,
        incident=incident,
    )
    by_sam = action_request(
        runbook=Runbook.objects.get(name="scale-out"),
        service=service,
        environment=prod,
        parameters={"replicas": 6},
        reason="Headroom while the rollback lands",
        evidence=[{"kind": "saturation", "supports": True, "text": "CPU at 85% of requests"}],
        requested_by=User.objects.get(username="sam"),
        incident=incident,
    )
    assert suggested.state == by_sam.state == "pending", (suggested.decision_reasons, by_sam.decision_reasons)
    return suggested.pk, by_sam.pk


def _golden_path_run() -> Any:
    run, _ = run_request(
        actor=User.objects.get(username="priya"),
        path=golden_path_get("tiny-service"),
        parameters={"name": "ledger", "owner": "payments", "tier": 1, "description": "Double-entry ledger"},
    )
    run_execute(run.id)
    return run.id


def _finops_load() -> str:
    """Daily costs and rightsizing through the FinOps layer, when it is installed (it is being written)."""
    try:
        from portal.finops.services import costs_compute, rightsizing_compute
    except ImportError as exc:
        return f"no FinOps layer: {exc}"
    costs_compute(days=30)
    problems = []
    for service in Service.objects.all():
        try:
            rightsizing_compute(service)
        except Exception as exc:  # noqa: BLE001 - the FinOps layer is in progress; the pages must not wait for it
            problems.append(f"{service.name}: {exc!r}")
    return "; ".join(problems)


def _risk(service: Service, number: int, score: int, level: str, ago: timedelta, **extra: Any) -> None:
    at = timezone.now() - ago
    RiskAssessment.objects.create(
        service=service,
        repository=f"example-org/{service.name}",
        pull_request=number,
        head_sha=f"{number:040x}",
        author="carla",
        at=at,
        score=score,
        level=level,
        comment_url=f"http://portal.test/api/v1/scm/repositories/example-org/{service.name}/pulls/{number}#comment-1",
        **extra,
    )


def _delivery_load() -> None:
    """Change risk, canaries, gates, a preview and resource requests for checkout-api (the checkout team's)."""
    checkout, prod = Service.objects.get(name="checkout-api"), Environment.objects.get(name="prod")
    carla, lee = User.objects.get(username="carla"), User.objects.get(username="lee")
    now = timezone.now()
    _risk(checkout, 7, 12, "low", timedelta(days=3), factors=[{"key": "diff_size", "points": 12, "reason": "40 lines"}])
    _risk(checkout, 8, 38, "medium", timedelta(days=2), strategy={"name": "blue_green", "reason": "Config change."})
    _risk(
        checkout,
        9,
        68,
        "high",
        timedelta(hours=3),
        factors=[
            {"key": "area_migrations", "points": 15, "reason": "Touches database migrations: orders/0007_split.py"},
            {"key": "tests_failing", "points": 30, "reason": "2 tests failing"},
            {"key": "diff_size", "points": 11, "reason": "310 changed lines"},
            {"key": "tier", "points": 10, "reason": "Tier 1 service"},
            {"key": "tests_alongside", "points": -3, "reason": "Tests changed alongside"},
        ],
        strategy={"name": "canary", "reason": "Migrations: expand first, then canary."},
    )
    failing = {
        "name": "error_ratio",
        "classification": "high",
        "passed": False,
        "muted": False,
        "reason": "error_ratio: canary higher than baseline (critical): median 0.031 vs 0.002, mean +1450%",
    }
    passing = {"name": "latency_p99", "classification": "pass", "passed": True, "muted": False, "reason": "p99 same"}
    for score, outcome, ago, metrics, who in (
        (100.0, "pass", timedelta(days=2), [passing], carla),
        (82.5, "marginal", timedelta(days=1), [passing], carla),
        (0.0, "fail", timedelta(hours=2), [failing, passing], carla),
        (97.0, "pass", timedelta(hours=1), [passing], lee),  # lee asked for this one himself
    ):
        judgement = CanaryJudgement.objects.create(
            service=checkout,
            environment=prod,
            config_name="default",
            config={"pass_threshold": 95.0, "marginal_threshold": 75.0},
            baseline={"version": "v1.4.0"},
            canary={"version": "v1.5.0"},
            start=now - ago - timedelta(minutes=30),
            end=now - ago,
            outcome=outcome,
            score=score,
            metrics=metrics,
            reasons=[m["reason"] for m in metrics if not m["passed"]],
            requested_by=who,
        )
        CanaryJudgement.objects.filter(pk=judgement.pk).update(created_at=now - ago)
    GateEvaluation.objects.create(
        service=checkout,
        environment=prod,
        version="v1.5.0",
        start=now - timedelta(minutes=30),
        end=now,
        outcome="block",
        gates=[
            {"name": "latency_p99", "outcome": "block", "reason": "p99 latency is 440.5 ms, above its 237.5 ms"},
            {"name": "error_ratio", "outcome": "pass", "reason": "error ratio 0.2% is within its 0.5%"},
            {"name": "pipeline_duration", "outcome": "skipped", "reason": "only 2 pipeline runs; 5 needed"},
        ],
        reasons=["p99 latency is 440.5 ms, above its 237.5 ms"],
        requested_by=carla,
    )
    PreviewEnvironment.objects.create(
        service=checkout,
        number=9,
        provider="github",
        repository="example-org/checkout-api",
        title="Split orders table",
        url="https://pr-9.checkout-api.preview.example.com",
        namespace="checkout-api-pr-9",
        state="active",
        last_push_at=now - timedelta(hours=3),
        expires_at=now + timedelta(hours=69),
        cost=Decimal("1.234500"),
    )
    PreviewEnvironment.objects.create(
        service=checkout,
        number=5,
        provider="github",
        repository="example-org/checkout-api",
        title="Old and gone",
        namespace="checkout-api-pr-5",
        state="deleted",
        last_push_at=now - timedelta(days=9),
        expires_at=now - timedelta(days=6),
    )
    queue = Resource.objects.get(name="orders-queue")
    for name, state, extra in (
        (
            "orders",
            "succeeded",
            {
                "catalog_resource": queue,
                "connection_secret": {
                    "secret_store": "vault",
                    "secret_store_path": "platform/prod/checkout/orders-queue-prod",
                    "kubernetes_secret": "checkout-prod/orders-queue-prod-connection",
                },
            },
        ),
        ("orders-cache", "awaiting_approval", {"current_step": "approval"}),
    ):
        ResourceRequest.objects.create(
            kind="queue" if name == "orders" else "redis",
            name=name,
            resource_name=f"{name}-prod",
            service=checkout,
            environment=prod,
            owner=checkout.owner,
            parameters={},
            renderer="crossplane",
            requested_by=carla,
            state=state,
            **extra,
        )


def pending_count() -> int:
    return ActionRequest.objects.filter(state="pending").count()
