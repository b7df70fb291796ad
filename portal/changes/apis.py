"""Change events: webhooks from GitHub, GitLab and Argo CD (pull requests too); a generic API; delivery stats."""

from __future__ import annotations

import json
from typing import Any, cast

import django_filters
from django.conf import settings
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_serializer
from rest_framework import serializers, status
from rest_framework.parsers import BaseParser
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from portal.catalog.models import Environment, Service
from portal.changes import webhooks
from portal.changes.metrics import delivery_stats
from portal.changes.models import ChangeEvent, ChangeKind, ChangeStatus
from portal.changes.risk_services import pull_request_received
from portal.changes.services import Outcome, change_create, changes_record
from portal.core.api import StrictSerializer, context, filter_queryset, paginated, validated
from portal.core.errors import ApplicationError
from portal.core.models import User
from portal.core.permissions import require_write_owned_by
from portal.core.schema import filter_parameters

MAX_WEBHOOK_BYTES = 5 * 1024 * 1024


class RawBodyParser(BaseParser):
    """Keep the exact bytes: signatures are computed over the raw body."""

    media_type = "*/*"

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        return stream.read(MAX_WEBHOOK_BYTES + 1)


class WebhookUnauthorized(ApplicationError):
    status_code = 401
    code = "bad_signature"


class WebhookApi(APIView):
    """Authenticated by the sender's signature or token, not by a portal session or service token."""

    authentication_classes: list[type] = []
    permission_classes = [AllowAny]
    parser_classes = [RawBodyParser]
    source = ""

    def _payload(self, body: bytes) -> dict[str, Any]:
        if len(body) > MAX_WEBHOOK_BYTES:
            raise ApplicationError("The payload is larger than 5 MiB.", fields={"body": ["too large"]})
        try:
            payload = json.loads(body or b"null")
        except ValueError as exc:
            raise ApplicationError("The payload is not JSON.", fields={"body": [str(exc)]}) from exc
        if not isinstance(payload, dict):
            raise ApplicationError("The payload must be a JSON object.", fields={"body": ["not an object"]})
        return payload

    def _answer(self, outcome: Outcome) -> Response:
        return Response(
            {"stored": [e.pk for e in outcome.stored], "duplicates": outcome.duplicates, "skipped": outcome.skipped},
            status=status.HTTP_202_ACCEPTED,
        )


class GitHubWebhookApi(WebhookApi):
    @extend_schema(
        operation_id="changes_webhook_github",
        tags=["changes"],
        request={"application/json": dict},
        responses={202: dict, 401: OpenApiResponse(description="bad or missing X-Hub-Signature-256")},
    )
    def post(self, request: Request) -> Response:
        body = cast(bytes, request.data)
        if not webhooks.github_signature_valid(
            settings.GITHUB_WEBHOOK_SECRET, body, request.headers.get("X-Hub-Signature-256", "")
        ):
            raise WebhookUnauthorized("The X-Hub-Signature-256 signature does not match the webhook secret.")
        payload = self._payload(body)
        event = request.headers.get("X-GitHub-Event", "")
        delivery = request.headers.get("X-GitHub-Delivery", "") or _fallback_id(body)
        pull = webhooks.github_pull_request(event, payload)
        if pull is not None:
            return Response(pull_request_received(pull, delivery_id=delivery, sender=type(self)), status=202)
        drafts = webhooks.github_drafts(event, payload)
        return self._answer(changes_record(drafts=drafts, source="github", delivery_id=delivery))


class GitLabWebhookApi(WebhookApi):
    @extend_schema(
        operation_id="changes_webhook_gitlab",
        tags=["changes"],
        request={"application/json": dict},
        responses={202: dict, 401: OpenApiResponse(description="bad or missing X-Gitlab-Token")},
    )
    def post(self, request: Request) -> Response:
        if not webhooks.token_valid(settings.GITLAB_WEBHOOK_TOKEN, request.headers.get("X-Gitlab-Token", "")):
            raise WebhookUnauthorized("The X-Gitlab-Token does not match the configured webhook token.")
        body = cast(bytes, request.data)
        delivery = request.headers.get("X-Gitlab-Event-UUID", "") or _fallback_id(body)
        payload = self._payload(body)
        merge_request = webhooks.gitlab_merge_request(payload)
        if merge_request is not None:
            return Response(pull_request_received(merge_request, delivery_id=delivery, sender=type(self)), status=202)
        drafts = webhooks.gitlab_drafts(payload)
        return self._answer(changes_record(drafts=drafts, source="gitlab", delivery_id=delivery))


class ArgoCdWebhookApi(WebhookApi):
    @extend_schema(
        operation_id="changes_webhook_argocd",
        tags=["changes"],
        request={"application/json": dict},
        responses={202: dict, 401: OpenApiResponse(description="bad or missing bearer token")},
    )
    def post(self, request: Request) -> Response:
        presented = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        if not webhooks.token_valid(settings.ARGOCD_WEBHOOK_TOKEN, presented):
            raise WebhookUnauthorized("The bearer token does not match the configured Argo CD webhook token.")
        body = cast(bytes, request.data)
        payload = self._payload(body)
        delivery = str(payload.get("id") or "") or _fallback_id(body)
        return self._answer(
            changes_record(drafts=webhooks.argocd_drafts(payload), source="argocd", delivery_id=delivery)
        )


def _fallback_id(body: bytes) -> str:
    """Without a delivery id, the same body is the same delivery."""
    import hashlib

    return "sha256:" + hashlib.sha256(body).hexdigest()


class ChangeOutput(serializers.Serializer):
    id = serializers.IntegerField()
    service = serializers.CharField(source="service.name")
    environment = serializers.CharField(source="environment.name", allow_null=True, default=None)
    kind = serializers.CharField()
    status = serializers.CharField()
    version = serializers.CharField()
    description = serializers.CharField()
    author = serializers.CharField()
    occurred_at = serializers.DateTimeField()
    duration_seconds = serializers.FloatField(allow_null=True)
    link = serializers.CharField()
    source = serializers.CharField()  # type: ignore[assignment]


class ChangeFilter(django_filters.FilterSet):
    service = django_filters.CharFilter(field_name="service__name")
    environment = django_filters.CharFilter(field_name="environment__name")
    kind = django_filters.MultipleChoiceFilter(choices=ChangeKind.choices)
    status = django_filters.MultipleChoiceFilter(choices=ChangeStatus.choices)
    since = django_filters.IsoDateTimeFilter(field_name="occurred_at", lookup_expr="gte")
    until = django_filters.IsoDateTimeFilter(field_name="occurred_at", lookup_expr="lt")


class ChangeListApi(APIView):
    @extend_schema_serializer(component_name="ChangeCreate")
    class Input(StrictSerializer):
        service = serializers.SlugRelatedField(slug_field="name", queryset=Service.objects.all())
        environment = serializers.SlugRelatedField(
            slug_field="name", queryset=Environment.objects.all(), required=False, allow_null=True
        )
        kind = serializers.ChoiceField(choices=ChangeKind.choices)
        status = serializers.ChoiceField(choices=ChangeStatus.choices, default=ChangeStatus.SUCCEEDED)
        version = serializers.CharField(max_length=200, required=False, allow_blank=True)
        description = serializers.CharField(max_length=2000, required=False, allow_blank=True)
        author = serializers.CharField(max_length=200, required=False, allow_blank=True)
        occurred_at = serializers.DateTimeField(required=False)
        duration_seconds = serializers.FloatField(required=False, min_value=0)
        link = serializers.URLField(max_length=500, required=False, allow_blank=True)
        external_id = serializers.CharField(
            max_length=200,
            required=False,
            allow_blank=True,
            help_text="Your id for this change; a repeat with it is stored once.",
        )

    @extend_schema(
        operation_id="changes_list",
        responses=ChangeOutput(many=True),
        parameters=filter_parameters(ChangeFilter),
        tags=["changes"],
    )
    def get(self, request: Request) -> Response:
        events = ChangeEvent.objects.select_related("service", "environment")
        return paginated(request, filter_queryset(ChangeFilter, request, events), ChangeOutput, self)

    @extend_schema(
        operation_id="changes_create", request=Input, responses={201: ChangeOutput, 200: ChangeOutput}, tags=["changes"]
    )
    def post(self, request: Request) -> Response:
        data = validated(self.Input, request)
        service = data.pop("service")
        require_write_owned_by(request.user, service.owner, what=f"changes of '{service.name}'")
        event, created = change_create(
            actor=cast(User, request.user),
            service=service,
            context=context(request),
            **data,
        )
        return Response(ChangeOutput(event).data, status=201 if created else 200)


class DeliveryStatsApi(APIView):
    @extend_schema(
        operation_id="changes_stats",
        tags=["changes"],
        responses={200: dict},
        description="Deploy frequency, deploy and pipeline failure rates and pipeline duration per "
        "service over ?days= (default 30).",
    )
    def get(self, request: Request) -> Response:
        days = request.query_params.get("days", "30")
        if not days.isdigit() or not 1 <= int(days) <= 365:
            raise ApplicationError("days must be a whole number from 1 to 365.", fields={"days": ["out of range"]})
        return Response(
            {"days": int(days), "services": delivery_stats(days=int(days), service=request.query_params.get("service"))}
        )
