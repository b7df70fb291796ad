"""FinOps background work: yesterday's costs every night, rightsizing once a day."""

from celery import shared_task

from portal.catalog.models import Service
from portal.finops.services import cost_jump_anomalies, costs_compute, rightsizing_compute


@shared_task(ignore_result=True)
def costs_compute_task(days: int = 2) -> None:
    costs_compute(days=days)
    for service in Service.objects.all():
        cost_jump_anomalies(service)


@shared_task(ignore_result=True)
def rightsizing_compute_task() -> None:
    for service in Service.objects.all():
        rightsizing_compute(service)
