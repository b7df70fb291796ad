"""OpenAPI helpers: the service-token security scheme and query parameters from filter sets."""

from __future__ import annotations

from typing import Any

import django_filters
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter


class ServiceTokenScheme(OpenApiAuthenticationExtension):
    target_class = "portal.core.authentication.ServiceTokenAuthentication"
    name = "serviceToken"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {"type": "http", "scheme": "bearer", "bearerFormat": "portal service token"}


def filter_parameters(filterset_class: type[django_filters.FilterSet]) -> list[OpenApiParameter]:
    """Describe a filter set's query parameters (APIViews have no filter backend to infer them from)."""
    params = []
    for name, flt in filterset_class.base_filters.items():
        many = isinstance(flt, django_filters.MultipleChoiceFilter)
        kind = OpenApiTypes.DATETIME if isinstance(flt, django_filters.IsoDateTimeFilter) else OpenApiTypes.STR
        choices = [str(value) for value, _ in flt.extra.get("choices", [])] or None
        params.append(
            OpenApiParameter(name, kind, many=many, enum=choices, required=False, description=flt.label or "")
        )
    return params
