"""Who may change what: platform admins everything, teams what they own."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser

from portal.core.errors import Forbidden
from portal.core.models import Membership, Team, TeamRole, User

AnyUser = User | AnonymousUser


def team_role(user: AnyUser, team: Team) -> str | None:
    """The user's role in team ("member", "admin"), or None when not a member."""
    if not user.is_authenticated:
        return None
    membership = Membership.objects.filter(user_id=user.pk, team=team).only("role").first()
    return membership.role if membership else None


def can_write_owned_by(user: AnyUser, team: Team) -> bool:
    """Members of the owning team and platform admins may change what the team owns."""
    if not user.is_authenticated:
        return False
    return bool(user.is_platform_admin or team_role(user, team) is not None)


def can_administer_team(user: AnyUser, team: Team) -> bool:
    if not user.is_authenticated:
        return False
    return bool(user.is_platform_admin or team_role(user, team) == TeamRole.ADMIN)


def is_platform_admin(user: AnyUser) -> bool:
    return bool(user.is_authenticated and user.is_platform_admin)


def require_write_owned_by(user: AnyUser, team: Team, *, what: str) -> None:
    if not can_write_owned_by(user, team):
        raise Forbidden(
            f"Only members of team '{team.name}' or platform admins can change {what}; "
            f"ask a '{team.name}' team admin to add you."
        )


def require_platform_admin(user: AnyUser, *, what: str) -> None:
    if not is_platform_admin(user):
        raise Forbidden(f"Only platform admins can {what}.")
