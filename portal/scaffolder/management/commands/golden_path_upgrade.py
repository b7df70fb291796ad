"""Open a golden-path upgrade pull request for a service; exit 1 and list the files on conflicts."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from portal.catalog.models import Service
from portal.core.errors import ApplicationError
from portal.core.models import User
from portal.scaffolder.upgrade import golden_path_upgrade


class Command(BaseCommand):
    help = "Re-render a service's golden path with its stored answers and open the three-way merged change."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("service")
        parser.add_argument("--as", dest="username", default="admin", help="Who asks (must own the service).")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            result = golden_path_upgrade(
                actor=User.objects.get(username=options["username"]),
                service=Service.objects.get(name=options["service"]),
            )
        except (ApplicationError, Service.DoesNotExist, User.DoesNotExist) as exc:
            raise CommandError(getattr(exc, "message", str(exc))) from exc
        if result.conflicts:
            raise CommandError(f"Conflicts in {', '.join(result.conflicts)}; nothing was opened.", returncode=1)
        self.stdout.write(
            f"{result.from_version} -> {result.to_version}: {len(result.changed)} file(s) changed; "
            f"{result.pull_request_url or 'nothing to do'}"
        )
