from typing import Any

from django.core.management.base import BaseCommand

from portal.remediation.services import runbooks_sync


class Command(BaseCommand):
    help = "Load the runbooks in portal/remediation/runbooks/*.yaml (admin edits are kept)."

    def handle(self, *args: Any, **options: Any) -> None:
        names = runbooks_sync()
        self.stdout.write(f"Runbooks synced: {', '.join(names) or 'none changed'}")
