"""Shared pipelines API: versions and who uses them, publishing, roll-outs and their per-service step log."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from portal.core.api import StrictSerializer, context, paginated, validated
from portal.pipelines import selectors, services
from portal.pipelines.models import Rollout, RolloutTarget


class VersionListApi(APIView):
    @extend_schema(
        operation_id="pipelines_versions",
        tags=["pipelines"],
        responses={200: dict},
        description="The shared steps' versions (current first in versions.yaml order), what each changed, whether "
        "it is published, and which services pin it as of their last roll-out.",
    )
    def get(self, request: Request) -> Response:
        return Response(selectors.versions_overview(services.steps_catalogue()))


class PublishApi(APIView):
    class Output(serializers.Serializer):
        version = serializers.CharField()
        repository = serializers.CharField()
        branch = serializers.CharField()
        commit = serializers.CharField()
        published_at = serializers.DateTimeField()

    @extend_schema(
        operation_id="pipelines_publish",
        tags=["pipelines"],
        request=None,
        responses={201: Output, 200: Output},
        description="Push the current version of the steps to the pipelines repository (platform admins). "
        "Publishing the same version again changes nothing; other content under a published version is a 409.",
    )
    def post(self, request: Request) -> Response:
        validated(StrictSerializer, request)
        publication, created = services.steps_publish(actor=request.user, context=context(request))
        return Response(self.Output(publication).data, status=201 if created else 200)


class TargetOutput(serializers.ModelSerializer):
    service = serializers.CharField(source="service.name")
    state = serializers.CharField(help_text="pending, pull_request, up_to_date or failed")

    class Meta:
        model = RolloutTarget
        fields = [
            "service",
            "repository",
            "state",
            "from_versions",
            "files",
            "pull_request_url",
            "pull_request_number",
            "reason",
            "log",
            "finished_at",
        ]


class RolloutOutput(serializers.ModelSerializer):
    state = serializers.CharField(help_text="queued, running or done")
    requested_by = serializers.CharField(source="requested_by.username", default=None)
    progress = serializers.SerializerMethodField()
    url = serializers.SerializerMethodField()

    class Meta:
        model = Rollout
        fields = ["id", "url", "version", "state", "requested_by", "progress"]
        fields += ["created_at", "started_at", "finished_at"]

    def get_progress(self, obj: Rollout) -> dict[str, Any]:
        return selectors.rollout_progress(obj)

    def get_url(self, obj: Rollout) -> str:
        return f"/api/v1/pipelines/rollouts/{obj.pk}"


class RolloutDetailOutput(RolloutOutput):
    targets = TargetOutput(many=True)

    class Meta(RolloutOutput.Meta):
        fields = [*RolloutOutput.Meta.fields, "targets"]


class RolloutListApi(APIView):
    class Input(StrictSerializer):
        version = serializers.RegexField(r"^v\d+(\.\d+){0,2}$", max_length=40, help_text="v1, v2, v2.1 ...")

    @extend_schema(operation_id="pipelines_rollouts", tags=["pipelines"], responses=RolloutOutput(many=True))
    def get(self, request: Request) -> Response:
        return paginated(request, selectors.rollouts_list(), RolloutOutput, self)

    @extend_schema(
        operation_id="pipelines_rollout_create",
        tags=["pipelines"],
        request=Input,
        responses={202: RolloutDetailOutput, 200: RolloutDetailOutput},
        description="Open a pull request that moves every service with a repository to this version (platform "
        "admins). A repeat while one is under way answers 200 with that one; pull requests are never duplicated.",
    )
    def post(self, request: Request) -> Response:
        data = validated(self.Input, request)
        rollout, created = services.rollout_request(
            actor=request.user, version=data["version"], context=context(request)
        )
        return Response(
            RolloutDetailOutput(rollout).data,
            status=status.HTTP_202_ACCEPTED if created else status.HTTP_200_OK,
            headers={"Location": f"/api/v1/pipelines/rollouts/{rollout.pk}"},
        )


class RolloutDetailApi(APIView):
    @extend_schema(
        operation_id="pipelines_rollout",
        tags=["pipelines"],
        responses=RolloutDetailOutput,
        description="Progress, and each service's state, pull request, reason and step log.",
    )
    def get(self, request: Request, rollout_id: int) -> Response:
        return Response(RolloutDetailOutput(selectors.rollout_get(rollout_id)).data)
