"""A preview's whole life on the local providers: local git as the GitOps repository and a local cluster."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
import yaml
from celery import Task

from portal.core.models import AuditEvent
from portal.finops.prices import DEFAULT_PRICES
from portal.integrations.source_control import source_control
from portal.previews import delivery
from portal.previews.models import PreviewConfig, PreviewEnvironment, PreviewEvent, PreviewState
from portal.previews.services import preview_wake, previews_sweep
from tests.previews.conftest import SHA_1, SHA_2, WORKDAY_MORNING, cluster_state, deliver, pull_event

NAMESPACE = "pr-7-payments-api"
FOLDER = "previews/payments-api/pr-7"


def _namespace_objects(world: Path) -> dict[str, dict]:
    return {obj["kind"]: obj for obj in delivery.cluster_objects(NAMESPACE)}


def _commits(settings) -> int:
    return len(source_control().commit_messages(settings.GITOPS_REPOSITORY, delivery.branch(), limit=500))


@pytest.mark.django_db
def test_a_preview_lives_from_open_to_merge_and_leaves_nothing_behind(
    preview_config: PreviewConfig, previews_world: Path, settings
) -> None:
    # Opened: committed to the previews branch and running in its own namespace.
    preview = deliver(pull_event("opened", sha=SHA_1))
    assert preview is not None
    assert preview.state == PreviewState.ACTIVE
    files = delivery.branch_files()
    assert f"{FOLDER}/application.yaml" in files
    assert f"{FOLDER}/namespace.yaml" in files
    assert "applicationsets/payments-api.yaml" not in files  # the portal generates; no second owner
    application = yaml.safe_load(delivery.branch_read(f"{FOLDER}/application.yaml") or "")
    assert application["spec"]["source"]["targetRevision"] == SHA_1
    objects = _namespace_objects(previews_world)
    assert set(objects) >= {"Namespace", "ResourceQuota", "LimitRange", "Deployment", "ReplicaSet"}
    deployment = cluster_state(previews_world).deployment_get(NAMESPACE, "payments-api")
    assert deployment.replicas == 2
    assert deployment.rolled_out
    assert deployment.images == {"payments-api": f"registry.example.com/payments-api:{SHA_1}"}

    # Pushed to: the Application and the workload move to the new head commit.
    later = WORKDAY_MORNING + timedelta(hours=2)
    preview = deliver(pull_event("synchronize", sha=SHA_2), at=later)
    assert preview is not None
    assert preview.state == PreviewState.ACTIVE
    assert preview.deployed_sha == SHA_2
    application = yaml.safe_load(delivery.branch_read(f"{FOLDER}/application.yaml") or "")
    assert application["spec"]["source"]["targetRevision"] == SHA_2
    deployment = cluster_state(previews_world).deployment_get(NAMESPACE, "payments-api")
    assert deployment.images["payments-api"].endswith(SHA_2)
    assert deployment.revision == 2
    assert preview.expires_at == later + timedelta(hours=72)  # time to live counts from the last push

    # Evening: the sweep scales it to zero; the namespace and GitOps files stay.
    evening = WORKDAY_MORNING.replace(hour=21)
    assert previews_sweep(now=evening)["slept"] == 1
    preview.refresh_from_db()
    assert preview.state == PreviewState.SLEEPING
    assert cluster_state(previews_world).deployment_get(NAMESPACE, "payments-api").replicas == 0
    assert f"{FOLDER}/application.yaml" in delivery.branch_files()
    assert previews_sweep(now=evening + timedelta(minutes=5))["slept"] == 0  # a repeated sweep changes nothing

    # Woken by hand off-hours: up again, and the next sweeps leave it up for the wake window.
    preview = preview_wake(preview, now=evening + timedelta(minutes=10))
    assert preview.state == PreviewState.ACTIVE
    assert cluster_state(previews_world).deployment_get(NAMESPACE, "payments-api").replicas == 2
    assert previews_sweep(now=evening + timedelta(minutes=30))["slept"] == 0
    assert previews_sweep(now=evening + timedelta(hours=3))["slept"] == 1

    # Merged: gone from GitOps and from the cluster.
    preview = deliver(pull_event("merged", sha=SHA_2), at=evening + timedelta(hours=4))
    assert preview is not None
    assert preview.state == PreviewState.DELETED
    assert delivery.branch_files() == []
    assert delivery.cluster_objects(NAMESPACE) == []

    steps = list(preview.steps.values_list("action", flat=True))
    assert steps[:4] == ["requested", "deploy", "gitops", "apply"]
    assert {"sleep", "wake", "teardown", "deleted"} <= set(steps)
    actions = set(AuditEvent.objects.filter(object_type="previews.previewenvironment").values_list("action", flat=True))
    assert {"preview.requested", "preview.active", "preview.sleep", "preview.wake", "preview.deleted"} <= actions


@pytest.mark.django_db
def test_a_push_wakes_a_sleeping_preview(preview_config: PreviewConfig, previews_world: Path) -> None:
    deliver(pull_event("opened", sha=SHA_1))
    night = WORKDAY_MORNING.replace(hour=23)
    previews_sweep(now=night)
    preview = deliver(pull_event("synchronize", sha=SHA_2), at=night + timedelta(minutes=1))
    assert preview is not None
    assert preview.state == PreviewState.ACTIVE
    assert cluster_state(previews_world).deployment_get(NAMESPACE, "payments-api").replicas == 2
    assert preview.awake_until == night + timedelta(minutes=1, hours=2)


@pytest.mark.django_db
def test_redelivered_events_do_the_work_once(preview_config: PreviewConfig, previews_world: Path, settings) -> None:
    first = deliver(pull_event("opened", sha=SHA_1, delivery="d-1"))
    commits = _commits(settings)
    again = deliver(pull_event("opened", sha=SHA_1, delivery="d-1"))  # the same delivery, redelivered
    other = deliver(pull_event("reopened", sha=SHA_1, delivery="d-2"))  # a new delivery saying nothing new
    assert first is not None
    assert again is None
    assert other is not None
    assert other.pk == first.pk
    assert PreviewEvent.objects.count() == 2
    assert PreviewEnvironment.objects.count() == 1
    assert _commits(settings) == commits
    assert first.steps.filter(action="deploy").count() == 1

    deliver(pull_event("closed", sha=SHA_1, delivery="d-3"))
    deliver(pull_event("closed", sha=SHA_1, delivery="d-4"))
    preview = PreviewEnvironment.objects.get()
    assert preview.state == PreviewState.DELETED
    assert preview.steps.filter(action="teardown").count() == 1


@pytest.mark.django_db
def test_time_to_live_tears_a_forgotten_preview_down(preview_config: PreviewConfig, previews_world: Path) -> None:
    preview = deliver(pull_event("opened", sha=SHA_1))
    assert preview is not None
    # Just past 72 hours after the only push: expired, asleep or not.
    previews_sweep(now=WORKDAY_MORNING.replace(hour=21))
    assert previews_sweep(now=preview.expires_at + timedelta(minutes=1))["expired"] == 1
    preview.refresh_from_db()
    assert preview.state == PreviewState.DELETED
    assert "time to live" in preview.reason
    assert delivery.cluster_objects(NAMESPACE) == []
    assert previews_sweep(now=preview.expires_at + timedelta(hours=1)) == {"expired": 0, "slept": 0, "counted": 0}

    # A new push brings it back, with a fresh time to live.
    back = deliver(pull_event("synchronize", sha=SHA_2), at=WORKDAY_MORNING + timedelta(days=6))
    assert back is not None
    assert back.pk == preview.pk
    assert back.state == PreviewState.ACTIVE
    assert back.expires_at == WORKDAY_MORNING + timedelta(days=6, hours=72)


@pytest.mark.django_db
def test_cost_counts_compute_while_running_and_only_storage_asleep(
    preview_config: PreviewConfig, previews_world: Path
) -> None:
    preview = deliver(pull_event("opened", sha=SHA_1))  # 10:00
    assert preview is not None
    previews_sweep(now=WORKDAY_MORNING.replace(hour=20))  # 10 hours running, then asleep
    previews_sweep(now=WORKDAY_MORNING.replace(hour=20) + timedelta(hours=12))  # 12 hours asleep (08:00 Thursday)
    preview.refresh_from_db()
    running = 2 * (0.5 * DEFAULT_PRICES.cpu + 1.0 * DEFAULT_PRICES.ram) + 10 * DEFAULT_PRICES.storage
    expected = 10 * running + 12 * 10 * DEFAULT_PRICES.storage
    assert preview.running_hours == pytest.approx(10)
    assert preview.sleeping_hours == pytest.approx(12)
    assert float(preview.cost) == pytest.approx(expected, abs=1e-5)

    previews_sweep(now=WORKDAY_MORNING.replace(hour=20) + timedelta(hours=12))  # the same moment again
    preview.refresh_from_db()
    assert float(preview.cost) == pytest.approx(expected, abs=1e-5)
    deliver(pull_event("closed", sha=SHA_1), at=WORKDAY_MORNING + timedelta(days=2))
    preview.refresh_from_db()
    assert preview.cost > Decimal(str(round(expected, 6)))  # asleep until closed: storage only
    assert preview.sleeping_hours == pytest.approx(12 + 26)  # Thursday 08:00 to Friday 10:00


@pytest.mark.django_db
def test_a_failed_commit_leaves_a_failed_preview_that_wake_retries(
    preview_config: PreviewConfig, previews_world: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from portal.integrations.errors import IntegrationError

    def git_down(files: dict[str, str], message: str) -> str:
        raise IntegrationError("git push failed: the GitOps repository is unreachable")

    monkeypatch.setattr(delivery, "branch_commit", git_down)
    preview = deliver(pull_event("opened", sha=SHA_1))
    assert preview is not None
    assert preview.state == PreviewState.FAILED
    assert "unreachable" in preview.reason
    assert "wake it to try again" in preview.reason
    assert delivery.cluster_objects(NAMESPACE) == []  # nothing half-applied
    assert PreviewEvent.objects.get().processed_at is not None

    monkeypatch.undo()
    preview = preview_wake(preview, now=WORKDAY_MORNING + timedelta(minutes=5))
    assert preview.state == PreviewState.ACTIVE
    assert cluster_state(previews_world).deployment_get(NAMESPACE, "payments-api").replicas == 2


@pytest.mark.django_db
def test_pull_requests_of_repositories_without_previews_are_ignored(
    preview_config: PreviewConfig, previews_world: Path
) -> None:
    preview_config.enabled = False
    preview_config.save()
    assert deliver(pull_event("opened")) is None
    assert PreviewEvent.objects.count() == 0
    assert delivery.cluster_objects(NAMESPACE) == []


@pytest.mark.django_db
def test_a_failing_receiver_never_breaks_the_webhook(
    preview_config: PreviewConfig, previews_world: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from portal.changes.signals import pull_request_event
    from portal.previews import events

    def broken(event: object) -> None:
        raise RuntimeError("database hiccup")

    monkeypatch.setattr(events, "event_receive", broken)
    responses = pull_request_event.send(sender=None, event=pull_event("opened"))
    assert any(receiver is events.signal_receiver for receiver, _ in responses)
    assert PreviewEvent.objects.count() == 0


@pytest.mark.django_db
def test_events_processed_out_of_order_never_resurrect_a_closed_pull_request(
    preview_config: PreviewConfig, previews_world: Path
) -> None:
    from portal.changes.signals import pull_request_event
    from portal.previews.events import event_process

    # Both arrive before a worker runs; the worker then takes the "opened" last.
    pull_request_event.send(sender=None, event=pull_event("opened", sha=SHA_1))
    pull_request_event.send(sender=None, event=pull_event("closed", sha=SHA_1))
    opened, closed = PreviewEvent.objects.order_by("id")
    assert event_process(closed.pk, now=WORKDAY_MORNING) is None
    assert event_process(opened.pk, now=WORKDAY_MORNING) is None
    opened.refresh_from_db()
    assert opened.outcome == "superseded by a later event"
    assert not PreviewEnvironment.objects.exists()
    assert delivery.cluster_objects(NAMESPACE) == []


@pytest.mark.django_db
def test_a_failed_preview_is_cleaned_up_when_it_expires(
    preview_config: PreviewConfig, previews_world: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from portal.integrations.errors import IntegrationError

    def cluster_down(objects: list) -> str:
        raise IntegrationError("the cluster refused the objects")

    monkeypatch.setattr(delivery, "cluster_apply", cluster_down)
    preview = deliver(pull_event("opened", sha=SHA_1))
    assert preview is not None
    assert preview.state == PreviewState.FAILED
    assert not [path for path in delivery.branch_files() if path.startswith("previews/")]  # withdrawn at once
    assert delivery.cluster_objects(NAMESPACE) == []
    monkeypatch.undo()
    delivery.cluster_apply(preview_objects_of(preview))  # as if the cluster had taken half of it after all
    assert previews_sweep(now=preview.expires_at + timedelta(seconds=1))["expired"] == 1
    preview.refresh_from_db()
    assert preview.state == PreviewState.DELETED
    assert delivery.cluster_objects(NAMESPACE) == []


def preview_objects_of(preview: PreviewEnvironment) -> list[dict]:
    from portal.previews.render import preview_objects
    from portal.previews.specs import config_of, pull_for, spec_for

    return preview_objects(spec_for(config_of(preview)), pull_for(preview), replicas=1)


@pytest.mark.django_db
def test_the_webhook_signal_queues_one_task_per_new_delivery(
    preview_config: PreviewConfig,
    previews_world: Path,
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks,
) -> None:
    from portal.changes.signals import pull_request_event
    from portal.previews import events
    from portal.previews.tasks import preview_event_process_task, previews_sweep_task

    sent: list[tuple[str, tuple]] = []

    def send(task: Task, *args: object) -> bool:
        sent.append((task.name, args))
        return True

    monkeypatch.setattr(events, "send", send)
    with django_capture_on_commit_callbacks(execute=True):
        pull_request_event.send(sender=None, event=pull_event("opened", delivery="x-1"))
        pull_request_event.send(sender=None, event=pull_event("opened", delivery="x-1"))
    stored = PreviewEvent.objects.get()
    assert sent == [(preview_event_process_task.name, (stored.pk,))]

    preview_event_process_task(stored.pk)  # what the worker runs
    assert PreviewEnvironment.objects.get().state == PreviewState.ACTIVE
    previews_sweep_task()  # and beat: nothing due, nothing waiting
    assert PreviewEnvironment.objects.get().state == PreviewState.ACTIVE  # up for the wake window if off-hours


@pytest.mark.django_db
def test_with_argo_cds_generator_the_branch_holds_only_the_applicationset(
    preview_config: PreviewConfig, previews_world: Path, settings
) -> None:
    from portal.previews.validation import applicationset_errors

    settings.PREVIEWS_GENERATOR = "argocd"
    preview = deliver(pull_event("opened", sha=SHA_1))
    assert preview is not None
    assert preview.state == PreviewState.ACTIVE  # the local cluster still gets what the ApplicationSet makes
    assert delivery.branch_files() == ["applicationsets/payments-api.yaml"]
    document = yaml.safe_load(delivery.branch_read("applicationsets/payments-api.yaml") or "")
    assert applicationset_errors(document) == []
    assert document["spec"]["generators"][0]["pullRequest"]["github"]["repo"] == "payments-api"
    deliver(pull_event("closed", sha=SHA_1))
    assert delivery.branch_files() == ["applicationsets/payments-api.yaml"]  # Argo CD drops the Application itself
    assert delivery.cluster_objects(NAMESPACE) == []


@pytest.mark.django_db
def test_an_unknown_generator_setting_fails_the_preview_saying_what_to_set(
    preview_config: PreviewConfig, previews_world: Path, settings
) -> None:
    settings.PREVIEWS_GENERATOR = "flux"
    preview = deliver(pull_event("opened", sha=SHA_1))
    assert preview is not None
    assert preview.state == PreviewState.FAILED
    assert "set it to portal or argocd" in preview.reason


@pytest.mark.django_db
def test_only_labelled_pull_requests_get_a_preview_as_with_the_applicationset(
    preview_config: PreviewConfig, previews_world: Path
) -> None:
    assert deliver(pull_event("opened", labels=("backend",))) is None
    assert not PreviewEnvironment.objects.exists()
    preview = deliver(pull_event("synchronize", sha=SHA_2, labels=("preview",)))  # labelled later, then pushed
    assert preview is not None
    assert preview.state == PreviewState.ACTIVE
    gone = deliver(pull_event("synchronize", sha=SHA_1, labels=()), at=WORKDAY_MORNING + timedelta(hours=1))
    assert gone is not None
    assert gone.state == PreviewState.DELETED
    assert "none of the labels preview" in gone.reason
    assert delivery.cluster_objects(NAMESPACE) == []


@pytest.mark.django_db
def test_off_hours_follow_the_owning_teams_timezone(preview_config: PreviewConfig, previews_world: Path) -> None:
    owner = preview_config.service.owner
    owner.timezone = "Asia/Tokyo"  # UTC+9
    owner.save()
    deliver(pull_event("opened", sha=SHA_1))  # 10:00 UTC, 19:00 in Tokyo: still working hours there
    utc_noon = WORKDAY_MORNING.replace(hour=12)  # 21:00 in Tokyo: after hours there, mid-day in UTC
    assert previews_sweep(now=utc_noon)["slept"] == 1

    owner.timezone = ""  # back to PREVIEWS_TIMEZONE (UTC): at the same instant the preview would stay up
    owner.save()
    preview = preview_wake(PreviewEnvironment.objects.get(), now=utc_noon)
    assert preview.state == PreviewState.ACTIVE
    assert previews_sweep(now=utc_noon + timedelta(hours=4))["slept"] == 0
