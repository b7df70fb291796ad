"""Writes for people, teams, memberships, service tokens and heartbeats. Each runs in a transaction."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from portal.core.audit import AuditContext, audit_record, snapshot
from portal.core.errors import ApplicationError, Conflict, Forbidden
from portal.core.models import Heartbeat, Membership, PlatformRole, ServiceToken, Team, TeamRole, User
from portal.core.permissions import AnyUser, can_administer_team, require_platform_admin
from portal.core.tokens import token_digest, token_generate

TEAM_FIELDS = ("title", "description", "email", "slack_channel", "cost_centre", "timezone", "parent")


def _full_clean(instance: Any, *, exclude: list[str] | None = None) -> None:
    instance.full_clean(exclude=exclude, validate_unique=False)


@transaction.atomic
def team_create(*, actor: AnyUser, name: str, context: AuditContext | None = None, **fields: Any) -> Team:
    require_platform_admin(actor, what="create teams")
    if Team.objects.filter(name=name).exists():
        raise Conflict(f"A team named '{name}' already exists.", fields={"name": ["already exists"]})
    team = Team(name=name, **{k: v for k, v in fields.items() if k in TEAM_FIELDS})
    _full_clean(team)
    try:
        with transaction.atomic():
            team.save()
    except IntegrityError as exc:
        raise Conflict(f"A team named '{name}' already exists.", fields={"name": ["already exists"]}) from exc
    audit_record(actor=_user(actor), action="create", instance=team, after=snapshot(team), context=context)
    return team


@transaction.atomic
def team_update(*, actor: AnyUser, team: Team, context: AuditContext | None = None, **fields: Any) -> Team:
    if not can_administer_team(actor, team):
        raise Forbidden(f"Only admins of team '{team.name}' or platform admins can edit it.")
    before = snapshot(team)
    for key, value in fields.items():
        if key in TEAM_FIELDS:
            setattr(team, key, value)
    _full_clean(team)
    after = snapshot(team)
    if after != before:
        team.save()
        audit_record(actor=_user(actor), action="update", instance=team, before=before, after=after, context=context)
    return team


@transaction.atomic
def team_delete(*, actor: AnyUser, team: Team, context: AuditContext | None = None) -> None:
    require_platform_admin(actor, what="delete teams")
    if team.services.exists():
        names = ", ".join(team.services.values_list("name", flat=True)[:5])
        raise Conflict(
            f"Team '{team.name}' still owns services ({names}); move or delete them first.",
            fields={"name": ["owns services"]},
        )
    before = snapshot(team)
    audit_record(actor=_user(actor), action="delete", instance=team, before=before, context=context)
    team.delete()


@transaction.atomic
def membership_set(
    *, actor: AnyUser, team: Team, user: User, role: str, context: AuditContext | None = None
) -> Membership:
    if not can_administer_team(actor, team):
        raise Forbidden(f"Only admins of team '{team.name}' or platform admins can change its members.")
    if role not in TeamRole.values:
        raise ApplicationError("Unknown team role.", fields={"role": [f"must be one of {TeamRole.values}"]})
    membership, created = Membership.objects.get_or_create(user=user, team=team, defaults={"role": role})
    before = None if created else {"role": membership.role}
    if membership.role != role:
        membership.role = role
        membership.save(update_fields=["role"])
    audit_record(
        actor=_user(actor),
        action="create" if created else "update",
        instance=membership,
        before=before,
        after={"user": user.username, "team": team.name, "role": role},
        context=context,
    )
    return membership


def _user(actor: AnyUser) -> User | None:
    return actor if isinstance(actor, User) else None


@transaction.atomic
def service_account_token_create(
    *,
    name: str,
    platform_role: str = PlatformRole.DEVELOPER,
    teams: list[Team] | None = None,
    expires_at: datetime | None = None,
    created_by: User | None = None,
    context: AuditContext | None = None,
) -> tuple[ServiceToken, str]:
    """Create (or reuse) the service account `name` and issue a new token; return it with its secret."""
    if platform_role not in PlatformRole.values:
        raise ApplicationError("Unknown role.", fields={"role": [f"must be one of {PlatformRole.values}"]})
    account, created = User.objects.get_or_create(
        username=f"sa-{name}", defaults={"is_service_account": True, "platform_role": platform_role}
    )
    if not created and not account.is_service_account:
        raise Conflict(f"'sa-{name}' is a person's account, not a service account.")
    if account.platform_role != platform_role:
        account.platform_role = platform_role
        account.save(update_fields=["platform_role"])
    account.set_unusable_password()
    account.save(update_fields=["password"])
    for team in teams or []:
        Membership.objects.get_or_create(user=account, team=team)
    secret, prefix = token_generate(settings.SERVICE_TOKEN_PREFIX)
    token = ServiceToken.objects.create(
        user=account,
        name=name,
        prefix=prefix,
        digest=token_digest(secret),
        expires_at=expires_at,
        created_by=created_by,
    )
    audit_record(
        actor=created_by,
        action="create",
        instance=token,
        context=context,
        after={
            "name": name,
            "prefix": prefix,
            "account": account.username,
            "role": platform_role,
            "teams": [t.name for t in teams or []],
        },
    )
    return token, secret


@transaction.atomic
def service_token_revoke(*, token: ServiceToken, actor: User | None, context: AuditContext | None = None) -> None:
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit_record(actor=actor, action="revoke", instance=token, context=context)


def heartbeat_record(*, component: str, detail: dict[str, Any] | None = None) -> Heartbeat:
    heartbeat, _ = Heartbeat.objects.update_or_create(
        component=component, defaults={"last_seen": timezone.now(), "detail": detail or {}}
    )
    return heartbeat


@transaction.atomic
def membership_remove(*, actor: AnyUser, membership: Membership, context: AuditContext | None = None) -> None:
    if not can_administer_team(actor, membership.team):
        raise Forbidden(f"Only admins of team '{membership.team.name}' or platform admins can change its members.")
    audit_record(
        actor=_user(actor),
        action="delete",
        instance=membership,
        context=context,
        before={"user": membership.user.username, "team": membership.team.name, "role": membership.role},
    )
    membership.delete()
