"""Replay a demo incident on the sandbox and print its timeline (time to detect, suggest, mitigate, write)."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from portal.aiops.story import StoryResult, slowdown_story_run, story_run

SCENARIOS = ("memory-leak", "dependency-slowdown")


class Command(BaseCommand):
    help = (
        "memory-leak (default): a deploy leaks memory -> detection -> root cause -> approved rollback -> recovery -> "
        "postmortem. dependency-slowdown: a dependency three hops below the front end slows down; the alert fires "
        "on the front end and the traces name the dependency."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--scenario", choices=SCENARIOS, default="memory-leak")
        parser.add_argument(
            "--service", default="checkout-api", help="Where the leak is, or the front end that alerts."
        )
        parser.add_argument("--culprit", default="catalog-search", help="dependency-slowdown: the service that slows.")
        parser.add_argument("--approver", default="sam", help="An SRE who approves the suggested actions.")

    def handle(self, *args: Any, **options: Any) -> None:
        say = lambda line: self.stdout.write(line)  # noqa: E731
        try:
            if options["scenario"] == "dependency-slowdown":
                result = slowdown_story_run(front=options["service"], culprit=options["culprit"], say=say)
            else:
                result = story_run(service_name=options["service"], approver=options["approver"], say=say)
        except (RuntimeError, LookupError) as exc:
            raise CommandError(str(exc)) from exc
        self._summary(result)

    def _summary(self, result: StoryResult) -> None:
        marks = result.marks
        if "deploy" not in marks:  # the slowdown story
            wait = marks["suggested"] - marks["detected"]
            self.stdout.write(f"\n{'time to suggest':>32}: {wait / 60:6.1f} min (simulated)")
            self.stdout.write(f"\nIncident #{result.incident.pk}: /api/v1/incidents/{result.incident.pk}")
            return
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
