"""Small helpers every app's apis.py uses: filtering, pagination, audit context."""

from __future__ import annotations

import uuid
from typing import Any

from django.db.models import QuerySet
from django_filters import FilterSet
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer
from rest_framework.views import APIView

from portal.core.audit import AuditContext, audit_context_from_request
from portal.core.errors import ApplicationError, flatten_fields
from portal.core.pagination import Pagination


def filter_queryset(filterset_class: type[FilterSet], request: Request, queryset: QuerySet) -> QuerySet:
    """Apply query-string filters; bad filter values answer 400 naming the parameter."""
    filterset = filterset_class(request.query_params, queryset=queryset, request=request)
    if not filterset.is_valid():
        fields = flatten_fields(dict(filterset.errors))
        raise ApplicationError("Invalid filter parameters.", fields=fields)
    return filterset.qs


def paginated(
    request: Request,
    queryset: QuerySet,
    serializer_class: type[BaseSerializer],
    view: APIView,
) -> Response:
    paginator = Pagination()
    page = paginator.paginate_queryset(queryset, request, view=view)
    data = serializer_class(page, many=True, context={"request": request}).data
    return paginator.get_paginated_response(data)


def validated(serializer_class: type[BaseSerializer], request: Request, *, partial: bool = False) -> dict[str, Any]:
    serializer = serializer_class(data=request.data, partial=partial, context={"request": request})
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


def log_after(request: Request, *, what: str = "log line") -> int:
    """`?after=<id>`: the last log line (or step) a client following a run has seen; 0 for all of it."""
    after = request.query_params.get("after", "0")
    if not after.isdigit() or len(after) > 18:
        raise ApplicationError(f"after must be a {what} id (a whole number).", fields={"after": ["must be an integer"]})
    return int(after)


def is_uuid(value: str) -> bool:
    """Whether a path segment can be a UUID primary key (anything else is simply not found, never a 500)."""
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def context(request: Request) -> AuditContext:
    return audit_context_from_request(request, via="api")


class StrictSerializer(serializers.Serializer):
    """An input serializer that rejects fields it does not know, instead of silently dropping them."""

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, dict):
            unknown = sorted(set(data) - set(self.fields))
            if unknown:
                raise serializers.ValidationError({name: ["unknown field"] for name in unknown})
        return super().to_internal_value(data)
