"""Open a local pull request on a demo service's repository and assess its risk, as the webhook would."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from django.core.management.base import BaseCommand, CommandError, CommandParser

from portal.catalog.models import Service
from portal.changes.risk_services import RiskRequest, risk_assess
from portal.core.audit import AuditContext
from portal.integrations.source_control import source_control
from portal.integrations.source_control.local import LocalGit

BASE = {"app/models.py": "class Payment:\n    amount: int\n", "README.md": "# Payments\n"}
CHANGE = {
    "app/models.py": "class Payment:\n    amount: int\n    currency: str\n",
    "app/migrations/0002_payment_currency.py": "operations = ['add currency', 'drop legacy_amount']\n" * 12,
    "requirements.txt": "django==5.2.8\n",
}


class Command(BaseCommand):
    help = "Open a local pull request (a migration and a dependency bump) on a service's repository and assess it."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--service", default="payments-api")
        parser.add_argument("--at", default="", help="ISO time the change goes out (default now)")

    def handle(self, *args: Any, **options: Any) -> None:
        sc = source_control()
        if not isinstance(sc, LocalGit):
            raise CommandError(
                "This demo opens a pull request on the local git provider; unset SOURCE_CONTROL_BACKEND."
            )
        service = Service.objects.select_related("owner").filter(name=options["service"]).first()
        if service is None or not service.repo_url:
            raise CommandError(f"No service '{options['service']}' with a repository; run `make run` (demo data).")
        slug = urlparse(service.repo_url).path.strip("/").removesuffix(".git").lower()
        number = self._pull_request(sc, slug)
        from django.utils.dateparse import parse_datetime

        at = parse_datetime(options["at"]) if options["at"] else None
        request = RiskRequest(service=service, repository=slug, pull_request=number, author="lee", at=at)
        assessment, _ = risk_assess(request=request, actor=None, context=AuditContext(via="command"))
        self.stdout.write(f"Pull request {slug}#{number}: risk {assessment.level} ({assessment.score}/100)\n")
        self.stdout.write(
            f"API: /api/v1/changes/risk/{assessment.pk}   PR: /api/v1/scm/repositories/{slug}/pulls/{number}\n\n"
        )
        self.stdout.write(assessment.summary + "\n")

    def _pull_request(self, sc: LocalGit, slug: str) -> int:
        if sc.repository_get(slug) is None:
            sc.repository_create(slug, description="demo repository for change risk")
        with tempfile.TemporaryDirectory() as tmp:
            self._write(Path(tmp) / "base", BASE)
            sc.commit_tree(slug, "main", root=Path(tmp) / "base", message="Start", replace=True)
            self._write(Path(tmp) / "change", CHANGE)
            sc.commit_tree(
                slug,
                "payment-currency",
                root=Path(tmp) / "change",
                message="Add currency",
                base_branch="main",
                replace=False,
            )
        pull = sc.pull_request_open(
            slug, source_branch="payment-currency", target_branch="main", title="Add a currency to payments", body=""
        )
        return pull.number

    def _write(self, root: Path, files: dict[str, str]) -> None:
        for name, text in files.items():
            (root / name).parent.mkdir(parents=True, exist_ok=True)
            (root / name).write_text(text)
