"""FinOps background work: yesterday's costs every night, rightsizing once a day."""

import logging

from celery import shared_task
from django.conf import settings

from portal.catalog.models import Service
from portal.finops.services import cost_jump_anomalies, costs_compute, rightsizing_compute
from portal.integrations.errors import IntegrationError

logger = logging.getLogger(__name__)


@shared_task(ignore_result=True)
def costs_compute_task(days: int = 2) -> None:
    costs_compute(days=days)
    for service in Service.objects.all():
        cost_jump_anomalies(service)
    if settings.GRAFANA_URL:
        cost_dashboard_provision_task.delay()


@shared_task(ignore_result=True, autoretry_for=(IntegrationError,), retry_backoff=60, max_retries=3)
def cost_dashboard_provision_task() -> None:
    """Keep the cost dashboard in Grafana current (its queries follow the labels the portal writes)."""
    from portal.finops.services import cost_dashboard_provision

    try:
        cost_dashboard_provision()
    except IntegrationError as exc:
        if exc.permanent:
            logger.warning("cost dashboard not provisioned: %s", exc.message)
            return
        raise


@shared_task(ignore_result=True)
def rightsizing_compute_task() -> None:
    for service in Service.objects.all():
        rightsizing_compute(service)
