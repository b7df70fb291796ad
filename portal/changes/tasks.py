"""Background work of the changes app: assess a pull request a webhook announced."""

from celery import shared_task

from portal.changes.risk_services import SourceControlUnavailable, pull_request_risk_from_webhook
from portal.integrations.errors import IntegrationError


@shared_task(
    ignore_result=True,
    autoretry_for=(IntegrationError, SourceControlUnavailable),
    retry_backoff=30,
    retry_kwargs={"max_retries": 5},
)
def pull_request_risk_task(
    provider: str, repository: str, number: int, head_sha: str, author: str, service_id: int
) -> None:
    pull_request_risk_from_webhook(
        provider=provider,
        repository=repository,
        number=number,
        head_sha=head_sha,
        author=author,
        service_id=service_id,
    )
