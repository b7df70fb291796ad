"""Catalog API: one view per operation, input and output serializers nested in it."""

from __future__ import annotations

from typing import Any

import django_filters
from django.conf import settings
from django.db.models import Q, QuerySet
from django.http import HttpResponse
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_serializer
from rest_framework import serializers, status
from rest_framework.parsers import JSONParser
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from portal.catalog import selectors
from portal.catalog import services as catalog_services
from portal.catalog.entities import (
    component_entity,
    entities_yaml,
    group_entity,
    resource_entity,
    system_entity,
    user_entity,
)
from portal.catalog.importer import catalog_import
from portal.catalog.models import (
    Environment,
    EnvironmentKind,
    Lifecycle,
    Resource,
    ResourceType,
    Service,
    ServiceType,
    System,
)
from portal.catalog.parsers import EntitiesYamlRenderer, XYamlParser, YamlParser, YamlTextParser
from portal.core.api import StrictSerializer, context, filter_queryset, paginated, validated
from portal.core.models import Team
from portal.core.schema import filter_parameters

TAG_FIELD = serializers.RegexField(
    r"^[a-z0-9:+#]+(-[a-z0-9:+#]+)*$",
    max_length=63,
    error_messages={"invalid": "Tags are lowercase letters, digits, '+', '#' and single '-'."},
)


class LinkSerializer(StrictSerializer):
    url = serializers.URLField(max_length=500)
    title = serializers.CharField(max_length=200, required=False, allow_blank=True)


class PlacementOutput(serializers.Serializer):
    environment = serializers.CharField(source="environment.name")
    kind = serializers.CharField(source="environment.kind")
    namespace = serializers.CharField()
    cluster = serializers.CharField()
    argocd_app_name = serializers.CharField()
    url = serializers.CharField()


class ServiceOutput(serializers.Serializer):
    name = serializers.CharField()
    title = serializers.CharField()
    description = serializers.CharField()
    owner = serializers.CharField(source="owner.name")
    system = serializers.CharField(source="system.name", allow_null=True, default=None)
    type = serializers.CharField()
    tier = serializers.IntegerField()
    lifecycle = serializers.CharField()
    repo_url = serializers.CharField()
    runtime = serializers.CharField()
    language = serializers.CharField()
    tags = serializers.ListField(child=serializers.CharField())
    links = serializers.ListField(child=serializers.DictField())
    dependencies = serializers.SerializerMethodField()
    resources = serializers.SerializerMethodField()
    environments = PlacementOutput(source="placements", many=True)
    origin = serializers.CharField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()

    def get_dependencies(self, obj: Service) -> list[str]:
        return sorted(dep.name for dep in obj.dependencies.all())

    def get_resources(self, obj: Service) -> list[str]:
        return sorted(res.name for res in obj.resources.all())


def _by_name(model: type[Any]) -> serializers.SlugRelatedField:
    return serializers.SlugRelatedField(slug_field="name", queryset=model.objects.all())


class ServiceInput(StrictSerializer):
    name = serializers.CharField(max_length=63)
    title = serializers.CharField(max_length=200, required=False, allow_blank=True)
    description = serializers.CharField(required=False, allow_blank=True)
    owner = _by_name(Team)
    system = serializers.SlugRelatedField(
        slug_field="name", queryset=System.objects.all(), required=False, allow_null=True
    )
    type = serializers.ChoiceField(choices=ServiceType.choices, required=False)
    tier = serializers.IntegerField(min_value=1, max_value=3, required=False)
    lifecycle = serializers.ChoiceField(choices=Lifecycle.choices, required=False)
    repo_url = serializers.URLField(max_length=500, required=False, allow_blank=True)
    runtime = serializers.CharField(max_length=60, required=False, allow_blank=True)
    language = serializers.CharField(max_length=40, required=False, allow_blank=True)
    tags = serializers.ListField(child=TAG_FIELD, required=False, max_length=50)
    links = LinkSerializer(many=True, required=False)
    dependencies = serializers.ListField(child=_by_name(Service), required=False)
    resources = serializers.ListField(child=_by_name(Resource), required=False)


class ServiceFilter(django_filters.FilterSet):
    owner = django_filters.CharFilter(field_name="owner__name")
    system = django_filters.CharFilter(field_name="system__name")
    tier = django_filters.TypedMultipleChoiceFilter(choices=[(1, "1"), (2, "2"), (3, "3")], coerce=int)
    lifecycle = django_filters.MultipleChoiceFilter(choices=Lifecycle.choices)
    type = django_filters.MultipleChoiceFilter(choices=ServiceType.choices)
    tag = django_filters.CharFilter(field_name="tags", lookup_expr="contains", method="filter_tag")
    language = django_filters.CharFilter(lookup_expr="iexact")
    environment = django_filters.CharFilter(field_name="placements__environment__name")
    search = django_filters.CharFilter(method="filter_search")

    class Meta:
        model = Service
        fields: list[str] = []

    def filter_tag(self, queryset: QuerySet[Service], name: str, value: str) -> QuerySet[Service]:
        return queryset.filter(tags__contains=[value])

    def filter_search(self, queryset: QuerySet[Service], name: str, value: str) -> QuerySet[Service]:
        return queryset.filter(Q(name__icontains=value) | Q(title__icontains=value) | Q(description__icontains=value))


def _service_fields(data: dict[str, Any]) -> dict[str, Any]:
    data = dict(data)
    if "links" in data:
        data["links"] = [dict(link) for link in data["links"]]
    if "tags" in data:
        data["tags"] = sorted(set(data["tags"]))
    return data


class ServiceListApi(APIView):
    @extend_schema(
        operation_id="catalog_services_list",
        responses=ServiceOutput(many=True),
        parameters=filter_parameters(ServiceFilter),
        tags=["catalog"],
    )
    def get(self, request: Request) -> Response:
        queryset = filter_queryset(ServiceFilter, request, selectors.service_list()).distinct()
        return paginated(request, queryset, ServiceOutput, self)

    @extend_schema(
        operation_id="catalog_services_create",
        request=ServiceInput,
        responses={201: ServiceOutput, 409: OpenApiResponse(description="name taken")},
        tags=["catalog"],
    )
    def post(self, request: Request) -> Response:
        data = _service_fields(validated(ServiceInput, request))
        service = catalog_services.service_create(actor=request.user, context=context(request), **data)
        return Response(ServiceOutput(selectors.service_get(service.name)).data, status=status.HTTP_201_CREATED)


class ServiceDetailApi(APIView):
    @extend_schema_serializer(component_name="ServiceUpdate")
    class UpdateInput(ServiceInput):
        name = None  # type: ignore[assignment]
        owner = serializers.SlugRelatedField(slug_field="name", queryset=Team.objects.all(), required=False)

    @extend_schema(operation_id="catalog_services_retrieve", responses=ServiceOutput, tags=["catalog"])
    def get(self, request: Request, name: str) -> Response:
        return Response(ServiceOutput(selectors.service_get(name)).data)

    @extend_schema(
        operation_id="catalog_services_update", request=UpdateInput, responses=ServiceOutput, tags=["catalog"]
    )
    def patch(self, request: Request, name: str) -> Response:
        service = selectors.service_get(name)
        data = _service_fields(validated(self.UpdateInput, request, partial=True))
        catalog_services.service_update(actor=request.user, service=service, context=context(request), **data)
        return Response(ServiceOutput(selectors.service_get(name)).data)

    @extend_schema(operation_id="catalog_services_destroy", responses={204: None}, tags=["catalog"])
    def delete(self, request: Request, name: str) -> Response:
        catalog_services.service_delete(
            actor=request.user, service=selectors.service_get(name), context=context(request)
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class ServicePlacementApi(APIView):
    """Put or remove a service in an environment (namespace, cluster, Argo CD app)."""

    @extend_schema_serializer(component_name="Placement")
    class Input(StrictSerializer):
        namespace = serializers.RegexField(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$", required=False)
        cluster = serializers.CharField(max_length=100, required=False)
        argocd_app_name = serializers.CharField(max_length=253, required=False, allow_blank=True)
        url = serializers.URLField(max_length=500, required=False, allow_blank=True)

    @extend_schema(
        operation_id="catalog_services_environment_put",
        request=Input,
        responses={200: PlacementOutput, 201: PlacementOutput},
        tags=["catalog"],
    )
    def put(self, request: Request, name: str, environment: str) -> Response:
        service = selectors.service_get(name)
        env = selectors.by_name(selectors.environment_list(), environment, what="environment")
        placement, created = catalog_services.placement_set(
            actor=request.user,
            service=service,
            environment=env,
            context=context(request),
            **validated(self.Input, request),
        )
        return Response(PlacementOutput(placement).data, status=201 if created else 200)

    @extend_schema(operation_id="catalog_services_environment_destroy", responses={204: None}, tags=["catalog"])
    def delete(self, request: Request, name: str, environment: str) -> Response:
        placement = selectors.placement_get(selectors.service_get(name), environment)
        catalog_services.placement_delete(actor=request.user, placement=placement, context=context(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


class ServiceCatalogInfoApi(APIView):
    @extend_schema(
        operation_id="catalog_services_catalog_info", responses={(200, "application/yaml"): str}, tags=["backstage"]
    )
    def get(self, request: Request, name: str) -> HttpResponse:
        entity = component_entity(selectors.service_get(name), site_url=settings.SITE_URL)
        return HttpResponse(entities_yaml([entity]), content_type="application/yaml; charset=utf-8")


class EntityListApi(APIView):
    """Every catalog entity in Backstage's format, for the portal's entity provider."""

    renderer_classes = [JSONRenderer, EntitiesYamlRenderer]

    @extend_schema(
        operation_id="catalog_entities",
        tags=["backstage"],
        responses={200: OpenApiResponse(description='{"items": [entity, ...]}, or multi-document YAML')},
    )
    def get(self, request: Request) -> Response:
        site_url = settings.SITE_URL
        items = [group_entity(t) for t in selectors.team_list()]
        items += [user_entity(u) for u in selectors.people_for_export()]
        items += [system_entity(s) for s in selectors.system_list()]
        items += [resource_entity(r) for r in selectors.resource_list()]
        items += [component_entity(s, site_url=site_url) for s in selectors.service_list()]
        return Response({"items": items})


class CatalogImportApi(APIView):
    """Create or update teams, systems, resources and services from catalog-info.yaml documents."""

    parser_classes = [YamlParser, YamlTextParser, XYamlParser, JSONParser]

    @extend_schema_serializer(component_name="CatalogImportResult")
    class Output(serializers.Serializer):
        created = serializers.ListField(child=serializers.CharField())
        updated = serializers.ListField(child=serializers.CharField())
        unchanged = serializers.ListField(child=serializers.CharField())
        skipped = serializers.ListField(child=serializers.CharField(), help_text="User entities: not imported")

    @extend_schema(
        operation_id="catalog_import", tags=["backstage"], request={"application/yaml": str}, responses=Output
    )
    def post(self, request: Request) -> Response:
        text = request.data if isinstance(request.data, str) else _json_documents(request.data)
        result = catalog_import(actor=request.user, text=text, context=context(request))
        return Response(self.Output(result).data)


def _json_documents(data: Any) -> str:
    """Accept {"yaml": "..."} from JSON clients too."""
    from portal.core.errors import ApplicationError

    if isinstance(data, dict) and isinstance(data.get("yaml"), str):
        return str(data["yaml"])
    raise ApplicationError(
        'Send catalog-info.yaml as the body with Content-Type: application/yaml, or JSON {"yaml": "..."}.',
        fields={"yaml": ["required"]},
    )


class EnvironmentOutput(serializers.ModelSerializer):
    class Meta:
        model = Environment
        fields = ["name", "kind", "description", "default_cluster", "created_at"]


class EnvironmentListApi(APIView):
    @extend_schema_serializer(component_name="EnvironmentCreate")
    class Input(StrictSerializer):
        name = serializers.CharField(max_length=63)
        kind = serializers.ChoiceField(choices=EnvironmentKind.choices)
        description = serializers.CharField(required=False, allow_blank=True)
        default_cluster = serializers.CharField(max_length=100, required=False, allow_blank=True)

    @extend_schema(operation_id="catalog_environments_list", responses=EnvironmentOutput(many=True), tags=["catalog"])
    def get(self, request: Request) -> Response:
        return paginated(request, selectors.environment_list(), EnvironmentOutput, self)

    @extend_schema(
        operation_id="catalog_environments_create", request=Input, responses={201: EnvironmentOutput}, tags=["catalog"]
    )
    def post(self, request: Request) -> Response:
        env = catalog_services.environment_create(
            actor=request.user, context=context(request), **validated(self.Input, request)
        )
        return Response(EnvironmentOutput(env).data, status=status.HTTP_201_CREATED)


class EnvironmentDetailApi(APIView):
    @extend_schema_serializer(component_name="EnvironmentUpdate")
    class Input(StrictSerializer):
        kind = serializers.ChoiceField(choices=EnvironmentKind.choices, required=False)
        description = serializers.CharField(required=False, allow_blank=True)
        default_cluster = serializers.CharField(max_length=100, required=False, allow_blank=True)

    def _get(self, name: str) -> Environment:
        env: Environment = selectors.by_name(selectors.environment_list(), name, what="environment")
        return env

    @extend_schema(operation_id="catalog_environments_retrieve", responses=EnvironmentOutput, tags=["catalog"])
    def get(self, request: Request, name: str) -> Response:
        return Response(EnvironmentOutput(self._get(name)).data)

    @extend_schema(
        operation_id="catalog_environments_update", request=Input, responses=EnvironmentOutput, tags=["catalog"]
    )
    def patch(self, request: Request, name: str) -> Response:
        env = catalog_services.environment_update(
            actor=request.user,
            environment=self._get(name),
            context=context(request),
            **validated(self.Input, request, partial=True),
        )
        return Response(EnvironmentOutput(env).data)

    @extend_schema(operation_id="catalog_environments_destroy", responses={204: None}, tags=["catalog"])
    def delete(self, request: Request, name: str) -> Response:
        catalog_services.environment_delete(actor=request.user, environment=self._get(name), context=context(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


class OwnedOutput(serializers.Serializer):
    name = serializers.CharField()
    title = serializers.CharField()
    description = serializers.CharField()
    owner = serializers.CharField(source="owner.name")
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


class SystemOutput(OwnedOutput):
    services = serializers.SerializerMethodField()

    def get_services(self, obj: System) -> list[str]:
        return sorted(service.name for service in obj.services.all())


class ResourceOutput(OwnedOutput):
    type = serializers.CharField()
    system = serializers.CharField(source="system.name", allow_null=True, default=None)


class OwnedInput(StrictSerializer):
    name = serializers.CharField(max_length=63)
    title = serializers.CharField(max_length=200, required=False, allow_blank=True)
    description = serializers.CharField(required=False, allow_blank=True)
    owner = _by_name(Team)


class ResourceInput(OwnedInput):
    type = serializers.ChoiceField(choices=ResourceType.choices)
    system = serializers.SlugRelatedField(
        slug_field="name", queryset=System.objects.all(), required=False, allow_null=True
    )


class OwnedFilter(django_filters.FilterSet):
    owner = django_filters.CharFilter(field_name="owner__name")


class SystemListApi(APIView):
    @extend_schema(
        operation_id="catalog_systems_list",
        responses=SystemOutput(many=True),
        parameters=filter_parameters(OwnedFilter),
        tags=["catalog"],
    )
    def get(self, request: Request) -> Response:
        queryset = selectors.system_list().prefetch_related("services")
        return paginated(request, filter_queryset(OwnedFilter, request, queryset), SystemOutput, self)

    @extend_schema(
        operation_id="catalog_systems_create", request=OwnedInput, responses={201: SystemOutput}, tags=["catalog"]
    )
    def post(self, request: Request) -> Response:
        system = catalog_services.system_create(
            actor=request.user, context=context(request), **validated(OwnedInput, request)
        )
        return Response(SystemOutput(system).data, status=status.HTTP_201_CREATED)


class SystemDetailApi(APIView):
    @extend_schema_serializer(component_name="SystemUpdate")
    class Input(OwnedInput):
        name = None  # type: ignore[assignment]
        owner = serializers.SlugRelatedField(slug_field="name", queryset=Team.objects.all(), required=False)

    @extend_schema(operation_id="catalog_systems_retrieve", responses=SystemOutput, tags=["catalog"])
    def get(self, request: Request, name: str) -> Response:
        return Response(SystemOutput(selectors.by_name(selectors.system_list(), name, what="system")).data)

    @extend_schema(operation_id="catalog_systems_update", request=Input, responses=SystemOutput, tags=["catalog"])
    def patch(self, request: Request, name: str) -> Response:
        system = selectors.by_name(selectors.system_list(), name, what="system")
        catalog_services.system_update(
            actor=request.user, system=system, context=context(request), **validated(self.Input, request, partial=True)
        )
        return Response(SystemOutput(system).data)

    @extend_schema(operation_id="catalog_systems_destroy", responses={204: None}, tags=["catalog"])
    def delete(self, request: Request, name: str) -> Response:
        system = selectors.by_name(selectors.system_list(), name, what="system")
        catalog_services.owned_delete(actor=request.user, instance=system, context=context(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


class ResourceListApi(APIView):
    @extend_schema(
        operation_id="catalog_resources_list",
        responses=ResourceOutput(many=True),
        parameters=filter_parameters(OwnedFilter),
        tags=["catalog"],
    )
    def get(self, request: Request) -> Response:
        return paginated(
            request, filter_queryset(OwnedFilter, request, selectors.resource_list()), ResourceOutput, self
        )

    @extend_schema(
        operation_id="catalog_resources_create",
        request=ResourceInput,
        responses={201: ResourceOutput},
        tags=["catalog"],
    )
    def post(self, request: Request) -> Response:
        resource = catalog_services.resource_create(
            actor=request.user, context=context(request), **validated(ResourceInput, request)
        )
        return Response(ResourceOutput(resource).data, status=status.HTTP_201_CREATED)


class ResourceDetailApi(APIView):
    @extend_schema_serializer(component_name="ResourceUpdate")
    class Input(ResourceInput):
        name = None  # type: ignore[assignment]
        owner = serializers.SlugRelatedField(slug_field="name", queryset=Team.objects.all(), required=False)
        type = serializers.ChoiceField(choices=ResourceType.choices, required=False)

    @extend_schema(operation_id="catalog_resources_retrieve", responses=ResourceOutput, tags=["catalog"])
    def get(self, request: Request, name: str) -> Response:
        return Response(ResourceOutput(selectors.by_name(selectors.resource_list(), name, what="resource")).data)

    @extend_schema(operation_id="catalog_resources_update", request=Input, responses=ResourceOutput, tags=["catalog"])
    def patch(self, request: Request, name: str) -> Response:
        resource = selectors.by_name(selectors.resource_list(), name, what="resource")
        catalog_services.resource_update(
            actor=request.user,
            resource=resource,
            context=context(request),
            **validated(self.Input, request, partial=True),
        )
        return Response(ResourceOutput(resource).data)

    @extend_schema(operation_id="catalog_resources_destroy", responses={204: None}, tags=["catalog"])
    def delete(self, request: Request, name: str) -> Response:
        resource = selectors.by_name(selectors.resource_list(), name, what="resource")
        catalog_services.owned_delete(actor=request.user, instance=resource, context=context(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


class ServiceGoldenPathUpgradeApi(APIView):
    """Open a pull request that brings the service to its golden path's current version (409 on conflicts)."""

    @extend_schema(
        operation_id="catalog_services_golden_path_upgrade",
        request=None,
        tags=["scaffolder"],
        responses={
            201: OpenApiResponse(description="pull request opened"),
            409: OpenApiResponse(description="conflicts, nothing opened"),
        },
    )
    def post(self, request: Request, name: str) -> Response:
        from portal.scaffolder.upgrade import golden_path_upgrade

        result = golden_path_upgrade(actor=request.user, service=selectors.service_get(name))
        body = {
            "from_version": result.from_version,
            "to_version": result.to_version,
            "changed": result.changed,
            "conflicts": result.conflicts,
            "left_alone": result.left_alone,
            "pull_request_url": result.pull_request_url,
        }
        if result.conflicts:
            return Response(
                {
                    "error": {
                        "code": "conflict",
                        "fields": {f: ["conflict"] for f in result.conflicts},
                        "message": f"{len(result.conflicts)} file(s) conflict with your changes; "
                        "nothing was opened. Resolve them by hand.",
                    },
                    **body,
                },
                status=409,
            )
        return Response(body, status=status.HTTP_201_CREATED if result.pull_request_url else status.HTTP_200_OK)
