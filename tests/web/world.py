"""A portal with realistic data for the page tests: the demo catalog, the seed's incident with its postmortem, an
open incident with actions waiting for approval, a finished golden-path run, and costs when FinOps is there."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.db import connection
from django.test import override_settings
from django.utils import timezone

from portal.aiops.story import story_run
from portal.catalog.demo import demo_load
from portal.catalog.models import Environment, Service
from portal.changes.models import ChangeEvent
from portal.core.models import User
from portal.incidents.alertmanager import AlertDraft
from portal.incidents.models import Incident
from portal.incidents.services import alert_receive
from portal.integrations.backends import backends_reset
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


def pending_count() -> int:
    return ActionRequest.objects.filter(state="pending").count()
