"""People, teams, roles, service tokens, the audit log and component heartbeats."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models

DNS_LABEL = RegexValidator(
    r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$",
    "Use at most 63 lowercase letters, digits and '-', starting and ending with a letter or digit (a DNS-1123 label).",
)


def iana_timezone(value: str) -> None:
    """An IANA timezone name such as Europe/Berlin (what working hours and Friday evenings are judged in)."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    if not value:
        return
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValidationError(
            f"'{value}' is not an IANA timezone name like Europe/Berlin or America/New_York."
        ) from exc


LABEL_VALUE = RegexValidator(
    r"^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$",
    "Use at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit "
    "(a Kubernetes label value).",
)


class PlatformRole(models.TextChoices):
    DEVELOPER = "developer", "Developer"
    SRE = "sre", "SRE"
    PLATFORM_ADMIN = "platform_admin", "Platform admin"


class User(AbstractUser):
    """A person, or a service account when is_service_account is set (Backstage, CI)."""

    platform_role = models.CharField(max_length=20, choices=PlatformRole.choices, default=PlatformRole.DEVELOPER)
    is_service_account = models.BooleanField(default=False)

    @property
    def is_platform_admin(self) -> bool:
        return self.is_superuser or self.platform_role == PlatformRole.PLATFORM_ADMIN

    @property
    def is_sre(self) -> bool:
        return self.platform_role == PlatformRole.SRE or self.is_platform_admin

    def has_perm(self, perm: str, obj: models.Model | None = None) -> bool:
        """Roles grant admin permissions: platform admins all, SREs the catalog and a read of the rest."""
        if self.is_active and self.is_platform_admin:
            return True
        if self.is_active and self.platform_role == PlatformRole.SRE and _sre_may(perm):
            return True
        return super().has_perm(perm, obj)

    def has_module_perms(self, app_label: str) -> bool:
        if self.is_active and (self.is_platform_admin or self.platform_role == PlatformRole.SRE):
            return app_label in SRE_APPS or self.is_platform_admin
        return super().has_module_perms(app_label)


# SREs may view everything in these apps and change the catalog; people, tokens and roles stay with
# platform admins.
SRE_APPS = ("catalog", "core")
SRE_WRITABLE_APPS = ("catalog",)


def _sre_may(perm: str) -> bool:
    app_label, _, codename = perm.partition(".")
    if app_label not in SRE_APPS:
        return False
    return codename.startswith("view_") or app_label in SRE_WRITABLE_APPS


class Team(models.Model):
    """A team that owns services; exported to Backstage as a Group."""

    name = models.CharField(max_length=63, unique=True, validators=[DNS_LABEL])
    title = models.CharField(max_length=200, blank=True)
    description = models.TextField(blank=True)
    email = models.EmailField(blank=True)
    slack_channel = models.CharField(max_length=80, blank=True)
    cost_centre = models.CharField(
        max_length=63,
        blank=True,
        validators=[LABEL_VALUE],
        help_text="Finance's cost centre; every manifest the portal writes for this team carries it as a label.",
    )
    timezone = models.CharField(
        max_length=64,
        blank=True,
        validators=[iana_timezone],
        help_text="IANA timezone of the team's working hours (change risk, preview environments' off-hours).",
    )
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="children")
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, through="Membership", related_name="teams")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class TeamRole(models.TextChoices):
    MEMBER = "member", "Member"
    ADMIN = "admin", "Team admin"


class Membership(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=10, choices=TeamRole.choices, default=TeamRole.MEMBER)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "team"], name="unique_membership")]

    def __str__(self) -> str:
        return f"{self.user} in {self.team} ({self.role})"


class ServiceToken(models.Model):
    """A bearer token for a machine caller; only its SHA-256 digest is stored."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="service_tokens")
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=16, unique=True, help_text="Public part, shown in lists.")
    digest = models.CharField(max_length=64, unique=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"


class AuditEvent(models.Model):
    """Who did what to which object, from where, with the state before and after."""

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_name = models.CharField(max_length=150, help_text="Kept when the user is deleted.")
    action = models.CharField(max_length=40, db_index=True)
    object_type = models.CharField(max_length=60, db_index=True)
    object_id = models.CharField(max_length=64, blank=True)
    object_repr = models.CharField(max_length=200, blank=True)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    source_ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    request_id = models.CharField(max_length=64, blank=True)
    via = models.CharField(max_length=20, blank=True, help_text="api, admin, command, task")

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["object_type", "object_id"])]

    def __str__(self) -> str:
        return f"{self.actor_name} {self.action} {self.object_type} {self.object_repr}"


class Heartbeat(models.Model):
    """The last time a background component (worker, scheduler) proved it was alive."""

    component = models.CharField(max_length=40, unique=True)
    last_seen = models.DateTimeField()
    detail = models.JSONField(default=dict, blank=True)

    def __str__(self) -> str:
        return f"{self.component} at {self.last_seen:%Y-%m-%d %H:%M:%S}"
