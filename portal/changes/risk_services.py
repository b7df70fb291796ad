"""Assess a change's risk once per pull-request head (or idempotency key); keep the pull request's comment current."""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from datetime import datetime

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone as dj_timezone

from portal.catalog.models import Service
from portal.changes import risk, selectors
from portal.changes.models import RiskAssessment
from portal.changes.signals import PullRequestEvent, pull_request_event
from portal.changes.summary import MARKER, comment_markdown
from portal.changes.webhooks import PullRequestDraft
from portal.core.audit import AuditContext, audit_record
from portal.core.errors import ApplicationError
from portal.core.models import User
from portal.integrations.errors import IntegrationError
from portal.integrations.source_control import source_control

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RiskRequest:
    service: Service
    files: tuple[dict[str, object], ...] | None = None  # [{path, additions, deletions, status}]; None: the PR's
    repository: str = ""
    pull_request: int | None = None
    head_sha: str = ""
    author: str = ""
    tests: risk.TestResults | None = None
    at: datetime | None = None
    timezone: str = ""
    idempotency_key: str = ""
    source: str = "api"
    comment: bool = True


class SourceControlUnavailable(ApplicationError):
    status_code = 502
    code = "source_control_unavailable"


def _pull_request_files(request: RiskRequest) -> tuple[tuple[dict[str, object], ...], str]:
    """The pull request's changed files and head commit, through the source-control adapter."""
    sc = source_control()
    try:
        pull = sc.pull_request_get(request.repository, int(request.pull_request or 0))
        if pull is None:
            raise ApplicationError(
                f"Pull request {request.pull_request} does not exist in {request.repository}.",
                fields={"pull_request": ["not found"]},
            )
        files = sc.pull_request_files(request.repository, pull.number)
    except IntegrationError as exc:
        if exc.permanent:
            raise ApplicationError(exc.message, fields={"repository": [exc.message]}) from exc
        raise SourceControlUnavailable(f"{exc.message} Retry the request.") from exc
    return tuple(asdict(f) for f in files), pull.head_sha or request.head_sha  # the files are the provider's head


def _file_row(row: dict[str, object]) -> dict[str, object]:
    """One shape for files whether the caller listed them or the provider did."""
    return {
        "path": str(row["path"]),
        "additions": int(str(row.get("additions") or 0)),
        "deletions": int(str(row.get("deletions") or 0)),
        "status": str(row.get("status") or "modified"),
        "previous_path": str(row.get("previous_path") or ""),
    }


def _existing(request: RiskRequest, head_sha: str) -> RiskAssessment | None:
    if request.pull_request is not None:
        return RiskAssessment.objects.filter(
            repository=request.repository, pull_request=request.pull_request, head_sha=head_sha
        ).first()
    if request.idempotency_key:
        return RiskAssessment.objects.filter(service=request.service, idempotency_key=request.idempotency_key).first()
    return None


def _facts(request: RiskRequest, files: tuple[dict[str, object], ...], head_sha: str) -> tuple[risk.ChangeFacts, str]:
    service = request.service
    tz_name = request.timezone or selectors.team_timezone(service)
    zone = selectors.zone(tz_name)
    if zone is None:
        raise ApplicationError(f"Unknown timezone '{tz_name}'.", fields={"timezone": ["not an IANA timezone"]})
    at = request.at or dj_timezone.now()
    changes = tuple(
        risk.FileChange(str(f["path"]), int(str(f.get("additions") or 0)), int(str(f.get("deletions") or 0)))
        for f in files
    )
    facts = risk.ChangeFacts(
        service=service.name,
        tier=service.tier,
        files=changes,
        at=at.astimezone(zone),
        author=request.author,
        tests=request.tests,
        history=selectors.change_history(
            service=service, author=request.author, paths={c.path for c in changes}, at=at, head_sha=head_sha
        ),
        freezes=tuple(selectors.freezes_at(at)),
        previous_version=selectors.last_good_version(service, exclude=head_sha),
        rollback_runbook=selectors.rollback_runbook(),
    )
    return facts, tz_name


def risk_assess(
    *, request: RiskRequest, actor: User | None, context: AuditContext | None = None
) -> tuple[RiskAssessment, bool]:
    """Score the change; the same pull-request head or idempotency key returns the first assessment.

    A repeat that brings different test results re-scores the same record (CI often reports after the webhook).
    """
    tests = asdict(request.tests) if request.tests else None
    files, head_sha = request.files, request.head_sha
    known = _existing(request, head_sha) if files is not None or head_sha else None
    if known is not None and (request.tests is None or known.tests == tests):
        return _repeat(request, known), False  # a redelivery or retry: no call to the provider
    if files is None:
        files, head_sha = _pull_request_files(request)
    files = tuple(_file_row(f) for f in files)
    existing = _existing(request, head_sha)
    if existing is not None and (request.tests is None or existing.tests == tests):
        return _repeat(request, existing), False
    facts, tz_name = _facts(request, files, head_sha)
    result = risk.assess(facts)
    fields = {
        "author": request.author,
        "at": facts.at,
        "timezone": tz_name,
        "score": result.score,
        "level": result.level,
        "factors": [f.as_dict() for f in result.factors],
        "areas": result.areas,
        "files": list(files),
        "tests": tests,
        "strategy": result.strategy,
        "rollback": result.rollback,
    }
    try:
        assessment, created = _store(request, head_sha, existing, fields, actor, context)
    except IntegrityError:  # a concurrent twin stored it first
        twin = _existing(request, head_sha)
        if twin is None:
            raise
        return twin, False
    if request.comment and request.pull_request is not None and request.repository:
        risk_comment_post(assessment)
    return assessment, created


def _repeat(request: RiskRequest, existing: RiskAssessment) -> RiskAssessment:
    if request.comment and existing.pull_request is not None and existing.comment_body_posted != existing.summary:
        risk_comment_post(existing)  # the first attempt could not post it
    return existing


@transaction.atomic
def _store(
    request: RiskRequest,
    head_sha: str,
    existing: RiskAssessment | None,
    fields: dict[str, object],
    actor: User | None,
    context: AuditContext | None,
) -> tuple[RiskAssessment, bool]:
    if existing is None:
        assessment = RiskAssessment.objects.create(
            service=request.service,
            repository=request.repository,
            pull_request=request.pull_request,
            head_sha=head_sha,
            idempotency_key=request.idempotency_key,
            source=request.source,
            requested_by=actor if actor is not None and actor.pk else None,
            **fields,
        )
    else:
        assessment = RiskAssessment.objects.select_for_update().get(pk=existing.pk)
        for name, value in fields.items():
            setattr(assessment, name, value)
    assessment.summary = comment_markdown(
        service=request.service.name,
        score=assessment.score,
        level=assessment.level,
        factors=assessment.factors,
        strategy=assessment.strategy,
        rollback=assessment.rollback,
        head_sha=head_sha,
        link=f"{settings.SITE_URL}/api/v1/changes/risk/{assessment.pk}",
    )
    assessment.save()
    audit_record(
        actor=actor,
        action="assess" if existing is None else "reassess",
        instance=assessment,
        context=context,
        after={"service": request.service.name, "score": assessment.score, "level": assessment.level},
    )
    return assessment, existing is None


def risk_comment_post(assessment: RiskAssessment) -> RiskAssessment:
    """Put the summary on the pull request: one comment per pull request, showing its newest assessed head.

    Posts for one pull request are serialised by locking its assessments, so two workers never create two comments,
    and an assessment of an older head never overwrites the comment of a newer one.
    """
    with transaction.atomic():
        siblings = RiskAssessment.objects.select_for_update().filter(
            repository=assessment.repository, pull_request=assessment.pull_request
        )
        list(siblings.order_by("pk").values_list("pk", flat=True))
        assessment.refresh_from_db()
        if assessment.comment_id and assessment.comment_body_posted == assessment.summary:
            return assessment  # already there, word for word
        if siblings.filter(pk__gt=assessment.pk).exclude(comment_id="").exists():
            return assessment  # a newer head owns the comment
        return _comment_upsert(assessment)


def _comment_upsert(assessment: RiskAssessment) -> RiskAssessment:
    try:
        comment = source_control().pull_request_comment_upsert(
            assessment.repository, int(assessment.pull_request or 0), marker=MARKER, body=assessment.summary
        )
    except IntegrationError as exc:
        log.warning("risk comment on %s#%s failed: %s", assessment.repository, assessment.pull_request, exc.message)
        assessment.comment_error = exc.message
        assessment.save(update_fields=["comment_error", "updated_at"])
        return assessment
    assessment.comment_id, assessment.comment_url = comment.id, comment.url[:500]
    assessment.comment_body_posted, assessment.comment_error = assessment.summary, ""
    assessment.save(update_fields=["comment_id", "comment_url", "comment_body_posted", "comment_error", "updated_at"])
    return assessment


def pull_request_received(draft: PullRequestDraft, *, delivery_id: str, sender: object = None) -> dict[str, object]:
    """A verified pull-request delivery: tell the listeners, and queue the risk assessment for a new head."""
    from portal.changes.services import service_for_repository

    service = service_for_repository(draft.repository)
    event = PullRequestEvent(**asdict(draft), service=service.name if service else "", delivery_id=delivery_id)
    for receiver, result in pull_request_event.send_robust(sender=sender, event=event):
        if isinstance(result, Exception):
            log.error("pull_request_event receiver %r failed: %s", receiver, result)
    if draft.action == "merged" and draft.merge_sha:
        risk_merge_record(repository=draft.repository, number=draft.number, merge_sha=draft.merge_sha)
    if draft.action not in ASSESSED_ACTIONS:
        outcome = f"not assessed: the pull request was {draft.action}"
    elif service is None:
        outcome = f"not assessed: no service in the catalog has repository '{draft.repository}'"
    elif (configured := source_control().provider) != draft.provider:
        outcome = f"not assessed: the portal reads pull requests from {configured}, not {draft.provider}"
    else:
        args = (draft.provider, draft.repository, draft.number, draft.head_sha, draft.author, service.pk)
        transaction.on_commit(lambda: _enqueue_assessment(*args))
        outcome = "queued"
    return {
        "pull_request": {"repository": draft.repository, "number": draft.number, "action": draft.action},
        "service": event.service or None,
        "risk": outcome,
    }


ASSESSED_ACTIONS = {"opened", "synchronize", "reopened"}


def _enqueue_assessment(*args: object) -> None:
    from portal.changes.tasks import pull_request_risk_task
    from portal.core.queue import send

    send(pull_request_risk_task, *args)


def pull_request_risk_from_webhook(
    *, provider: str, repository: str, number: int, head_sha: str, author: str, service_id: int
) -> RiskAssessment | None:
    """Assess a pull request a webhook announced, when the configured source control is that provider."""
    sc = source_control()
    service = Service.objects.filter(pk=service_id).select_related("owner").first()
    if service is None or sc.provider != provider:
        log.warning("risk of %s#%s not assessed: provider %s, configured %s", repository, number, provider, sc.provider)
        return None
    request = RiskRequest(
        service=service, repository=repository, pull_request=number, head_sha=head_sha, author=author, source=provider
    )
    assessment, _ = risk_assess(request=request, actor=None, context=AuditContext(via="webhook"))
    return assessment


@transaction.atomic
def risk_merge_record(*, repository: str, number: int, merge_sha: str) -> int:
    """Remember the commit a merge made, so that a deploy of it (squash merges make new commits) finds the files."""
    assessments = RiskAssessment.objects.select_for_update().filter(repository=repository, pull_request=number)
    changed = 0
    for assessment in assessments.exclude(merge_sha=merge_sha[:64]):
        assessment.merge_sha = merge_sha[:64]
        assessment.save(update_fields=["merge_sha", "updated_at"])
        audit_record(
            actor=None,
            action="merged",
            instance=assessment,
            context=AuditContext(via="webhook"),
            after={"merge_sha": assessment.merge_sha},
        )
        changed += 1
    return changed
