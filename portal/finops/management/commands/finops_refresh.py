"""Compute daily costs (default: the last 30 days) and rightsizing recommendations now."""

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from portal.catalog.models import Service
from portal.finops.services import costs_compute, rightsizing_compute


class Command(BaseCommand):
    help = "Compute daily costs and rightsizing recommendations from the metrics source."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--days", type=int, default=30)

    def handle(self, *args: Any, **options: Any) -> None:
        rows = costs_compute(days=options["days"])
        found = [r for s in Service.objects.all() if (r := rightsizing_compute(s)) is not None]
        saving = sum(r.monthly_saving for r in found)
        self.stdout.write(
            f"{rows} daily cost rows; {len(found)} rightsizing recommendations saving ${saving:.2f} a month"
        )
