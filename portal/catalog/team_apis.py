"""Teams API (exported to Backstage as Groups): one view per operation."""

from __future__ import annotations

import django_filters
from drf_spectacular.utils import extend_schema, extend_schema_serializer
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from portal.catalog import selectors
from portal.core import services as core_services
from portal.core.api import StrictSerializer, context, filter_queryset, paginated, validated
from portal.core.errors import NotFound
from portal.core.models import Membership, Team, TeamRole, User
from portal.core.schema import filter_parameters


class MemberOutput(serializers.Serializer):
    username = serializers.CharField(source="user.username")
    role = serializers.CharField()


class TeamOutput(serializers.Serializer):
    name = serializers.CharField()
    title = serializers.CharField()
    description = serializers.CharField()
    email = serializers.CharField()
    slack_channel = serializers.CharField()
    cost_centre = serializers.CharField()
    timezone = serializers.CharField()
    parent = serializers.CharField(source="parent.name", allow_null=True, default=None)  # type: ignore[assignment]
    members = MemberOutput(source="memberships", many=True)
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


class TeamInput(StrictSerializer):
    name = serializers.CharField(max_length=63)
    title = serializers.CharField(max_length=200, required=False, allow_blank=True)
    description = serializers.CharField(required=False, allow_blank=True)
    email = serializers.EmailField(required=False, allow_blank=True)
    slack_channel = serializers.CharField(max_length=80, required=False, allow_blank=True)
    cost_centre = serializers.CharField(
        max_length=63,
        required=False,
        allow_blank=True,
        help_text="Finance's cost centre; every manifest the portal writes for the team carries it as a label.",
    )
    timezone = serializers.CharField(
        max_length=64,
        required=False,
        allow_blank=True,
        help_text="IANA timezone (Europe/Berlin) for change risk's working hours and preview environments' off-hours.",
    )
    parent = serializers.SlugRelatedField(  # type: ignore[assignment]
        slug_field="name", queryset=Team.objects.all(), required=False, allow_null=True
    )


class TeamFilter(django_filters.FilterSet):
    member = django_filters.CharFilter(field_name="memberships__user__username")


class TeamListApi(APIView):
    @extend_schema(
        operation_id="catalog_teams_list",
        responses=TeamOutput(many=True),
        parameters=filter_parameters(TeamFilter),
        tags=["catalog"],
    )
    def get(self, request: Request) -> Response:
        queryset = filter_queryset(TeamFilter, request, selectors.team_list()).distinct()
        return paginated(request, queryset, TeamOutput, self)

    @extend_schema(
        operation_id="catalog_teams_create", request=TeamInput, responses={201: TeamOutput}, tags=["catalog"]
    )
    def post(self, request: Request) -> Response:
        team = core_services.team_create(actor=request.user, context=context(request), **validated(TeamInput, request))
        return Response(TeamOutput(selectors.team_get(team.name)).data, status=status.HTTP_201_CREATED)


class TeamDetailApi(APIView):
    @extend_schema_serializer(component_name="TeamUpdate")
    class Input(TeamInput):
        name = None  # type: ignore[assignment]

    @extend_schema(operation_id="catalog_teams_retrieve", responses=TeamOutput, tags=["catalog"])
    def get(self, request: Request, name: str) -> Response:
        return Response(TeamOutput(selectors.team_get(name)).data)

    @extend_schema(operation_id="catalog_teams_update", request=Input, responses=TeamOutput, tags=["catalog"])
    def patch(self, request: Request, name: str) -> Response:
        core_services.team_update(
            actor=request.user,
            team=selectors.team_get(name),
            context=context(request),
            **validated(self.Input, request, partial=True),
        )
        return Response(TeamOutput(selectors.team_get(name)).data)

    @extend_schema(operation_id="catalog_teams_destroy", responses={204: None}, tags=["catalog"])
    def delete(self, request: Request, name: str) -> Response:
        core_services.team_delete(actor=request.user, team=selectors.team_get(name), context=context(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


class TeamMemberApi(APIView):
    """Add a person to a team, change their role, or remove them."""

    @extend_schema_serializer(component_name="TeamMember")
    class Input(StrictSerializer):
        role = serializers.ChoiceField(choices=TeamRole.choices, default=TeamRole.MEMBER)

    def _user(self, username: str) -> User:
        user = User.objects.filter(username=username, is_active=True).first()
        if user is None:
            raise NotFound(f"No active user named '{username}'.", fields={"username": ["not found"]})
        return user

    @extend_schema(operation_id="catalog_teams_members_put", request=Input, responses=MemberOutput, tags=["catalog"])
    def put(self, request: Request, name: str, username: str) -> Response:
        membership = core_services.membership_set(
            actor=request.user,
            team=selectors.team_get(name),
            user=self._user(username),
            context=context(request),
            **validated(self.Input, request),
        )
        return Response(MemberOutput(membership).data)

    @extend_schema(operation_id="catalog_teams_members_destroy", responses={204: None}, tags=["catalog"])
    def delete(self, request: Request, name: str, username: str) -> Response:
        team = selectors.team_get(name)
        membership = Membership.objects.filter(team=team, user__username=username).first()
        if membership is None:
            raise NotFound(f"'{username}' is not a member of '{name}'.", fields={"username": ["not a member"]})
        core_services.membership_remove(actor=request.user, membership=membership, context=context(request))
        return Response(status=status.HTTP_204_NO_CONTENT)
