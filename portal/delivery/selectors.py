"""Delivery reads, limited to what the caller may see."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from portal.core.errors import NotFound
from portal.core.models import Membership
from portal.core.permissions import AnyUser
from portal.delivery.models import CanaryConfig, CanaryJudgement, GateEvaluation


def _scope(user: AnyUser) -> Q | None:
    """None for SREs and platform admins (everything); else the owning teams' members and the requester."""
    if getattr(user, "is_sre", False):
        return None
    teams = Membership.objects.filter(user_id=user.pk or 0).values("team_id")
    return Q(service__owner_id__in=teams) | Q(requested_by_id=user.pk or 0)


def judgement_visible(user: AnyUser) -> QuerySet[CanaryJudgement]:
    judgements = CanaryJudgement.objects.select_related("service", "environment", "requested_by")
    scope = _scope(user)
    return judgements if scope is None else judgements.filter(scope)


def judgement_get(user: AnyUser, judgement_id: int) -> CanaryJudgement:
    judgement = judgement_visible(user).filter(pk=judgement_id).first()
    if judgement is None:
        raise NotFound(f"No canary judgement {judgement_id} that you can see.", fields={"id": ["not found"]})
    return judgement


def gate_evaluation_visible(user: AnyUser) -> QuerySet[GateEvaluation]:
    evaluations = GateEvaluation.objects.select_related("service", "environment", "requested_by")
    scope = _scope(user)
    return evaluations if scope is None else evaluations.filter(scope)


def gate_evaluation_get(user: AnyUser, evaluation_id: int) -> GateEvaluation:
    evaluation = gate_evaluation_visible(user).filter(pk=evaluation_id).first()
    if evaluation is None:
        raise NotFound(f"No gate evaluation {evaluation_id} that you can see.", fields={"id": ["not found"]})
    return evaluation


def canary_configs(service_name: str = "") -> QuerySet[CanaryConfig]:
    configs = CanaryConfig.objects.select_related("service", "updated_by")
    return configs.filter(service__name=service_name) if service_name else configs
