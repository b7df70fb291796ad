"""Replay the seed's incident on the sandbox and print its timeline (time to detect, suggest, mitigate, write)."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from portal.aiops.story import story_run


class Command(BaseCommand):
    help = "A deploy leaks memory -> detection -> root cause -> approved rollback -> recovery -> postmortem."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--service", default="checkout-api")
        parser.add_argument("--approver", default="sam", help="An SRE who approves the suggested actions.")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            result = story_run(
                service_name=options["service"], approver=options["approver"], say=lambda line: self.stdout.write(line)
            )
        except (RuntimeError, LookupError) as exc:
            raise CommandError(str(exc)) from exc
        marks = result.marks
        first = min((v for k, v in marks.items() if k.startswith("anomaly:")), default=marks["detected"])
        self.stdout.write("")
        for label, start, end in (
            ("time to detect", marks["deploy"], marks["detected"]),
            ("first anomaly after the deploy", marks["deploy"], first),
            ("time to suggest", marks["detected"], marks.get("suggested")),
            ("time to mitigate", marks["detected"], marks.get("mitigated")),
            ("time to postmortem", marks.get("mitigated"), marks.get("postmortem")),
        ):
            if start is not None and end is not None:
                self.stdout.write(f"{label:>32}: {(end - start) / 60:6.1f} min")
        self.stdout.write(f"\nIncident #{result.incident.pk}: /api/v1/incidents/{result.incident.pk}")
