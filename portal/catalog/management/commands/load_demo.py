"""Load the demo catalog once (teams, people, environments, services); --force loads missing rows again."""

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from portal.catalog.demo import DEMO_PASSWORD, demo_load, demo_loaded


class Command(BaseCommand):
    help = "Load demo teams, people and services (once)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--force", action="store_true", help="Load even if demo data is already there.")

    def handle(self, *args: Any, **options: Any) -> None:
        if demo_loaded() and not options["force"]:
            self.stdout.write("Demo data already loaded.")
            return
        demo_load()
        from portal.finops.tasks import costs_compute_task, rightsizing_compute_task

        # A month of costs takes the worker a minute; the web does not wait for it.
        costs_compute_task.delay(30)
        rightsizing_compute_task.delay()
        self.stdout.write(
            f"Demo data loaded. Log in as 'admin' (platform admin), 'sam' (SRE) or 'priya' "
            f"(payments team admin) with password '{DEMO_PASSWORD}'."
        )
