"""Incidents API: the Alertmanager receiver, incidents with their timeline, state changes and notes."""

from __future__ import annotations

import json
from typing import Any, cast

import django_filters
from django.conf import settings
from django.http import HttpResponse
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_serializer
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from portal.changes.apis import RawBodyParser, WebhookUnauthorized
from portal.changes.webhooks import token_valid
from portal.core.api import StrictSerializer, context, filter_queryset, paginated, validated
from portal.core.errors import ApplicationError, NotFound
from portal.core.models import User
from portal.core.schema import filter_parameters
from portal.incidents import selectors
from portal.incidents import services as incident_services
from portal.incidents.alertmanager import PayloadError, alert_drafts
from portal.incidents.models import AlertSource, IncidentState, Postmortem, Severity


class AlertmanagerWebhookApi(APIView):
    """Alertmanager `webhook_configs` receiver (payload version 4), authenticated by a bearer token."""

    authentication_classes: list[type] = []
    permission_classes = [AllowAny]
    parser_classes = [RawBodyParser]

    @extend_schema(
        operation_id="incidents_webhook_alertmanager",
        tags=["incidents"],
        request={"application/json": dict},
        responses={
            202: dict,
            400: OpenApiResponse(description="the first bad field"),
            401: OpenApiResponse(description="bad or missing bearer token"),
        },
    )
    def post(self, request: Request) -> Response:
        presented = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        if not token_valid(settings.ALERTMANAGER_WEBHOOK_TOKEN, presented):
            raise WebhookUnauthorized("The bearer token does not match ALERTMANAGER_WEBHOOK_TOKEN.")
        try:
            drafts = alert_drafts(json.loads(cast(bytes, request.data) or b"null"))
        except ValueError as exc:
            where = exc.field_path if isinstance(exc, PayloadError) else "body"
            reason = exc.reason if isinstance(exc, PayloadError) else f"not JSON: {exc}"
            raise ApplicationError(f"{where}: {reason}", fields={where: [reason]}) from exc
        results = []
        for draft in drafts:
            alert, outcome = incident_services.alert_receive(draft, source=AlertSource.ALERTMANAGER)
            results.append(
                {"fingerprint": draft.fingerprint, "outcome": outcome, "incident": alert.incident_id if alert else None}
            )
        return Response({"alerts": results}, status=status.HTTP_202_ACCEPTED)


class IncidentOutput(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    service = serializers.CharField(source="service.name")
    services = serializers.SerializerMethodField()
    severity = serializers.CharField()
    state = serializers.CharField()
    commander = serializers.CharField(source="commander.username", allow_null=True, default=None)
    started_at = serializers.DateTimeField()
    detected_at = serializers.DateTimeField()
    mitigated_at = serializers.DateTimeField(allow_null=True)
    resolved_at = serializers.DateTimeField(allow_null=True)
    summary = serializers.CharField()
    impact = serializers.DictField()
    url = serializers.SerializerMethodField()

    def get_services(self, obj: Any) -> list[str]:
        return sorted(s.name for s in obj.services.all())

    def get_url(self, obj: Any) -> str:
        return f"{settings.SITE_URL}/api/v1/incidents/{obj.pk}"


class TimelineOutput(serializers.Serializer):
    at = serializers.DateTimeField()
    kind = serializers.CharField()
    actor = serializers.CharField()
    message = serializers.CharField()
    details = serializers.DictField(source="data")


class AlertOutput(serializers.Serializer):
    name = serializers.CharField()
    status = serializers.CharField()
    severity = serializers.CharField()
    service = serializers.CharField(source="service.name", allow_null=True, default=None)
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField(allow_null=True)
    received_count = serializers.IntegerField()
    labels = serializers.DictField()
    annotations = serializers.DictField()


class IncidentDetailOutput(IncidentOutput):
    timeline = TimelineOutput(many=True)
    alerts = AlertOutput(many=True)


class IncidentFilter(django_filters.FilterSet):
    service = django_filters.CharFilter(field_name="services__name")
    state = django_filters.MultipleChoiceFilter(choices=IncidentState.choices)
    severity = django_filters.MultipleChoiceFilter(choices=Severity.choices)
    since = django_filters.IsoDateTimeFilter(field_name="started_at", lookup_expr="gte")


class IncidentListApi(APIView):
    @extend_schema(
        operation_id="incidents_list",
        responses=IncidentOutput(many=True),
        parameters=filter_parameters(IncidentFilter),
        tags=["incidents"],
    )
    def get(self, request: Request) -> Response:
        incidents = filter_queryset(IncidentFilter, request, selectors.incident_visible(request.user)).distinct()
        return paginated(request, incidents, IncidentOutput, self)


class IncidentDetailApi(APIView):
    @extend_schema(operation_id="incidents_retrieve", responses=IncidentDetailOutput, tags=["incidents"])
    def get(self, request: Request, incident_id: int) -> Response:
        incident = selectors.incident_get(request.user, incident_id)
        return Response(IncidentDetailOutput(incident).data)


class IncidentStateApi(APIView):
    @extend_schema_serializer(component_name="IncidentStateChange")
    class Input(StrictSerializer):
        state = serializers.ChoiceField(choices=IncidentState.choices)
        reason = serializers.CharField(max_length=2000)

    @extend_schema(operation_id="incidents_state", request=Input, responses=IncidentOutput, tags=["incidents"])
    def post(self, request: Request, incident_id: int) -> Response:
        incident = selectors.incident_get(request.user, incident_id)
        data = validated(self.Input, request)
        incident_services.incident_state_set(actor=request.user, incident=incident, context=context(request), **data)
        return Response(IncidentOutput(incident).data)


class IncidentNoteApi(APIView):
    @extend_schema_serializer(component_name="IncidentNote")
    class Input(StrictSerializer):
        text = serializers.CharField(max_length=10000)

    @extend_schema(operation_id="incidents_note", request=Input, responses={201: TimelineOutput}, tags=["incidents"])
    def post(self, request: Request, incident_id: int) -> Response:
        incident = selectors.incident_get(request.user, incident_id)
        entry = incident_services.note_add(
            actor=cast(User, request.user), incident=incident, **validated(self.Input, request)
        )
        return Response(TimelineOutput(entry).data, status=status.HTTP_201_CREATED)


class PostmortemOutput(serializers.Serializer):
    id = serializers.IntegerField()
    incident_id = serializers.IntegerField()
    title = serializers.SerializerMethodField()
    version = serializers.IntegerField()
    written_by = serializers.CharField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    url = serializers.SerializerMethodField()

    def get_title(self, obj: Postmortem) -> str:
        return f"Postmortem: {obj.incident.title}"

    def get_url(self, obj: Postmortem) -> str:
        return f"{settings.SITE_URL}/api/v1/incidents/{obj.incident_id}/postmortem"


class PostmortemListApi(APIView):
    @extend_schema(
        operation_id="incidents_postmortems",
        responses=PostmortemOutput(many=True),
        tags=["incidents"],
        description="?service=<name>&limit=<n>, newest first",
    )
    def get(self, request: Request) -> Response:
        incidents = selectors.incident_visible(request.user)
        service = request.query_params.get("service")
        if service:
            incidents = incidents.filter(services__name=service)
        limit = request.query_params.get("limit", "50")
        if not limit.isdigit() or not 1 <= int(limit) <= 500:
            raise ApplicationError("limit must be 1 to 500.", fields={"limit": ["out of range"]})
        postmortems = (
            Postmortem.objects.filter(incident__in=incidents.values("pk"))
            .select_related("incident")
            .order_by("-created_at")[: int(limit)]
        )
        rows = PostmortemOutput(postmortems, many=True).data
        return Response({"count": len(rows), "results": rows})


class PostmortemDetailApi(APIView):
    """The postmortem as Markdown (Accept: text/markdown or ?download=1) or JSON; PUT a new version."""

    @extend_schema_serializer(component_name="PostmortemEdit")
    class Input(StrictSerializer):
        markdown = serializers.CharField(max_length=200_000)

    def _get(self, request: Request, incident_id: int) -> Postmortem:
        incident = selectors.incident_get(request.user, incident_id)
        postmortem = Postmortem.objects.filter(incident=incident).first()
        if postmortem is None:
            raise NotFound(
                "This incident has no postmortem yet: it is written when the incident is resolved.",
                fields={"incident": ["no postmortem"]},
            )
        return postmortem

    @extend_schema(operation_id="incidents_postmortem", responses={200: dict}, tags=["incidents"])
    def get(self, request: Request, incident_id: int) -> HttpResponse | Response:
        postmortem = self._get(request, incident_id)
        if request.query_params.get("download") or "text/markdown" in request.headers.get("Accept", ""):
            response = HttpResponse(postmortem.markdown, content_type="text/markdown; charset=utf-8")
            response["Content-Disposition"] = f'attachment; filename="postmortem-{incident_id}.md"'
            return response
        return Response(
            {
                **PostmortemOutput(postmortem).data,
                "markdown": postmortem.markdown,
                "proposed_rules": postmortem.proposed_rules,
                "versions": list(postmortem.versions.values("version", "edited_by", "created_at")),
            }
        )

    @extend_schema(operation_id="incidents_postmortem_edit", request=Input, responses={200: dict}, tags=["incidents"])
    def put(self, request: Request, incident_id: int) -> Response:
        postmortem = self._get(request, incident_id)
        data = validated(self.Input, request)
        incident_services.postmortem_edit(
            actor=cast(User, request.user), postmortem=postmortem, markdown=data["markdown"], context=context(request)
        )
        return self.get(request, incident_id)  # type: ignore[return-value]
