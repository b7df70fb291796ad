"""CI/CD as operational data: deploy frequency, pipeline duration and failure rate per service, for /metrics."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

from django.db.models import Avg, Count, Q
from django.utils import timezone
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from portal.core.metrics import database_collector_register

WINDOW_DAYS = 30


def delivery_stats(*, days: int = WINDOW_DAYS, service: str | None = None) -> list[dict[str, Any]]:
    """Per service: deploys, failed deploys, pipelines, failed pipelines and mean pipeline duration."""
    from portal.changes.models import ChangeEvent

    since = timezone.now() - timedelta(days=days)
    events = ChangeEvent.objects.filter(occurred_at__gte=since).exclude(status="started")
    if service:
        events = events.filter(service__name=service)
    rows = events.values("service__name").annotate(
        deploys=Count("id", filter=Q(kind="deploy")),
        deploys_failed=Count("id", filter=Q(kind="deploy", status="failed")),
        pipelines=Count("id", filter=Q(kind="pipeline")),
        pipelines_failed=Count("id", filter=Q(kind="pipeline", status="failed")),
        pipeline_seconds=Avg("duration_seconds", filter=Q(kind="pipeline")),
    )
    return [
        {
            "service": row["service__name"],
            "deploys": row["deploys"],
            "deploys_per_day": round(row["deploys"] / days, 3),
            "deploy_failure_rate": round(row["deploys_failed"] / row["deploys"], 3) if row["deploys"] else None,
            "pipelines": row["pipelines"],
            "pipeline_failure_rate": (
                round(row["pipelines_failed"] / row["pipelines"], 3) if row["pipelines"] else None
            ),
            "pipeline_duration_seconds": round(row["pipeline_seconds"], 1) if row["pipeline_seconds"] else None,
        }
        for row in rows.order_by("service__name")
    ]


class DeliveryCollector(Collector):
    def describe(self) -> Iterator[GaugeMetricFamily]:
        """Names only: registering must not query the database."""
        yield from self._families().values()

    def collect(self) -> Iterator[GaugeMetricFamily]:
        try:
            stats = delivery_stats()
        except Exception:  # noqa: BLE001 - a scrape must not fail because the database is away
            return
        families = self._families()
        for row in stats:
            for key, family in families.items():
                if row[key] is not None:
                    family.add_metric([row["service"]], float(row[key]))
        yield from families.values()
        yield self._last_deploys()

    def _last_deploys(self) -> GaugeMetricFamily:
        """When each service last deployed to each environment (Grafana's deploy annotations read it)."""
        from portal.changes.models import ChangeEvent

        family = GaugeMetricFamily(
            "portal_service_last_deploy_timestamp_seconds",
            "Time of the last successful deploy.",
            labels=["service", "environment", "version"],
        )
        latest = (
            ChangeEvent.objects.filter(kind="deploy", status="succeeded")
            .order_by("service_id", "environment_id", "-occurred_at")
            .distinct("service_id", "environment_id")
            .values_list("service__name", "environment__name", "version", "occurred_at")
        )
        for service, environment, version, occurred_at in latest:
            family.add_metric([service, environment or "", version], occurred_at.timestamp())
        return family

    def _families(self) -> dict[str, GaugeMetricFamily]:
        return {
            "deploys_per_day": GaugeMetricFamily(
                "portal_service_deploys_per_day", f"Deploys per day over {WINDOW_DAYS} days.", labels=["service"]
            ),
            "deploy_failure_rate": GaugeMetricFamily(
                "portal_service_deploy_failure_ratio", "Share of failed deploys.", labels=["service"]
            ),
            "pipeline_failure_rate": GaugeMetricFamily(
                "portal_service_pipeline_failure_ratio", "Share of failed pipeline runs.", labels=["service"]
            ),
            "pipeline_duration_seconds": GaugeMetricFamily(
                "portal_service_pipeline_duration_seconds", "Mean pipeline duration.", labels=["service"]
            ),
        }


_COLLECTOR = DeliveryCollector()


def register() -> None:
    database_collector_register(_COLLECTOR)
