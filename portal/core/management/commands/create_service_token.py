"""Create a service token for a machine caller; the secret is printed once and never stored."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from portal.core.audit import AuditContext
from portal.core.errors import ApplicationError
from portal.core.models import PlatformRole, Team
from portal.core.services import service_account_token_create


class Command(BaseCommand):
    help = "Create a bearer token for a service account (Backstage, CI, Alertmanager). Shown once."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name", help="Service account name, for example 'backstage'.")
        parser.add_argument("--role", choices=PlatformRole.values, default=PlatformRole.DEVELOPER)
        parser.add_argument("--team", action="append", default=[], help="Team the account acts for (repeatable).")
        parser.add_argument("--expires-in-days", type=int, default=None)
        parser.add_argument("--quiet", action="store_true", help="Print only the token.")

    def handle(self, *args: Any, **options: Any) -> None:
        teams = list(Team.objects.filter(name__in=options["team"]))
        missing = set(options["team"]) - {t.name for t in teams}
        if missing:
            raise CommandError(f"No such team(s): {', '.join(sorted(missing))}")
        days = options["expires_in_days"]
        expires_at = timezone.now() + timedelta(days=days) if days else None
        try:
            token, secret = service_account_token_create(
                name=options["name"],
                platform_role=options["role"],
                teams=teams,
                expires_at=expires_at,
                context=AuditContext(via="command"),
            )
        except ApplicationError as exc:
            raise CommandError(exc.message) from exc
        if options["quiet"]:
            self.stdout.write(secret)
            return
        self.stdout.write(
            f"Service token '{token.name}' for account {token.user.username} "
            f"(role {options['role']}, prefix {token.prefix})."
        )
        self.stdout.write("Copy it now; it is not stored and cannot be shown again:\n")
        self.stdout.write(secret)
        self.stdout.write("\nUse it as:  Authorization: Bearer <token>")
