"""Services, systems, resources, environments and where each service runs."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib.postgres.fields import ArrayField
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models

from portal.core.models import DNS_LABEL, Team

if TYPE_CHECKING:
    from django_stubs_ext.db.models.manager import RelatedManager

    from portal.slo.models import SLODefinition

TAG = RegexValidator(
    r"^[a-z0-9:+#]+(-[a-z0-9:+#]+)*$",
    "Tags are lowercase letters, digits, '+', '#' and single '-' (Backstage's tag format).",
)


class Lifecycle(models.TextChoices):
    EXPERIMENTAL = "experimental", "Experimental"
    PRODUCTION = "production", "Production"
    DEPRECATED = "deprecated", "Deprecated"


class ServiceType(models.TextChoices):
    SERVICE = "service", "Service"
    WEBSITE = "website", "Website"
    WORKER = "worker", "Worker"
    JOB = "job", "Scheduled job"
    LIBRARY = "library", "Library"


class Origin(models.TextChoices):
    MANUAL = "manual", "Registered by hand"
    IMPORT = "import", "Imported from catalog-info.yaml"
    GOLDEN_PATH = "golden_path", "Created from a golden path"


class System(models.Model):
    """A group of services and resources that make one product; a Backstage System."""

    name = models.CharField(max_length=63, unique=True, validators=[DNS_LABEL])
    title = models.CharField(max_length=200, blank=True)
    description = models.TextField(blank=True)
    owner = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="systems")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Service(models.Model):
    """A deployable component a team owns; a Backstage Component."""

    name = models.CharField(max_length=63, unique=True, validators=[DNS_LABEL])
    title = models.CharField(max_length=200, blank=True)
    description = models.TextField(blank=True)
    owner = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="services")
    system = models.ForeignKey(System, null=True, blank=True, on_delete=models.SET_NULL, related_name="services")
    type = models.CharField(max_length=20, choices=ServiceType.choices, default=ServiceType.SERVICE)
    tier = models.PositiveSmallIntegerField(
        default=3,
        validators=[MinValueValidator(1), MaxValueValidator(3)],
        help_text="1 = business critical, 3 = best effort.",
    )
    lifecycle = models.CharField(max_length=20, choices=Lifecycle.choices, default=Lifecycle.EXPERIMENTAL)
    repo_url = models.URLField(blank=True, max_length=500)
    runtime = models.CharField(max_length=60, blank=True, help_text="For example python3.12, jvm21, node22.")
    language = models.CharField(max_length=40, blank=True)
    tags = ArrayField(models.CharField(max_length=63, validators=[TAG]), default=list, blank=True)
    links = models.JSONField(default=list, blank=True, help_text='[{"url": ..., "title": ...}]')
    dependencies = models.ManyToManyField("self", symmetrical=False, blank=True, related_name="dependents")
    resources = models.ManyToManyField("Resource", blank=True, related_name="services")  # type: ignore[var-annotated]
    origin = models.CharField(max_length=20, choices=Origin.choices, default=Origin.MANUAL)
    golden_path = models.CharField(max_length=63, blank=True, help_text="The golden path it was created from.")
    golden_path_version = models.CharField(max_length=40, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    if TYPE_CHECKING:
        slos: RelatedManager[SLODefinition]

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ResourceType(models.TextChoices):
    DATABASE = "database", "Database"
    CACHE = "cache", "Cache"
    QUEUE = "queue", "Queue"
    TOPIC = "topic", "Topic"
    BUCKET = "bucket", "Object storage bucket"


class Resource(models.Model):
    """Infrastructure a service needs (database, cache, queue, bucket); a Backstage Resource."""

    name = models.CharField(max_length=63, unique=True, validators=[DNS_LABEL])
    title = models.CharField(max_length=200, blank=True)
    description = models.TextField(blank=True)
    type = models.CharField(max_length=20, choices=ResourceType.choices)
    owner = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="resources")
    system = models.ForeignKey(System, null=True, blank=True, on_delete=models.SET_NULL, related_name="resources")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class EnvironmentKind(models.TextChoices):
    DEV = "dev", "Development"
    STAGING = "staging", "Staging"
    PROD = "prod", "Production"
    PREVIEW = "preview", "Preview"


class Environment(models.Model):
    name = models.CharField(max_length=63, unique=True, validators=[DNS_LABEL])
    kind = models.CharField(max_length=10, choices=EnvironmentKind.choices)
    description = models.TextField(blank=True)
    default_cluster = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_production(self) -> bool:
        return self.kind == EnvironmentKind.PROD


class ServiceEnvironment(models.Model):
    """Where a service runs in one environment: namespace, cluster and Argo CD application."""

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="placements")
    environment = models.ForeignKey(Environment, on_delete=models.PROTECT, related_name="placements")
    namespace = models.CharField(max_length=63, validators=[DNS_LABEL])
    cluster = models.CharField(max_length=100)
    argocd_app_name = models.CharField(max_length=253, blank=True)
    url = models.URLField(blank=True, max_length=500)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["service__name", "environment__name"]
        constraints = [models.UniqueConstraint(fields=["service", "environment"], name="unique_service_environment")]
        verbose_name = "service in environment"
        verbose_name_plural = "services in environments"

    def __str__(self) -> str:
        return f"{self.service} in {self.environment}"
