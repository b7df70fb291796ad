"""POST /api/v1/changes/risk: validation, team scoping, idempotency, history from the portal, freezes, local PRs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from portal.catalog.models import Environment, Service
from portal.changes.models import ChangeEvent, RiskAssessment
from portal.changes.summary import MARKER
from portal.core.models import AuditEvent, User
from portal.integrations.source_control import source_control
from portal.integrations.source_control.local import LocalGit
from tests.conftest import client_for

URL = "/api/v1/changes/risk"
TUESDAY = "2026-11-24T10:00:00+00:00"
FILES = [{"path": "src/payments/api.py", "additions": 40, "deletions": 10}]
GREEN = {"passed": 200, "failed": 0, "coverage": 85.0, "coverage_before": 85.0}


def _body(**extra: Any) -> dict[str, Any]:
    return {"service": "payments-api", "files": FILES, "at": TUESDAY, "author": "lee", "tests": GREEN, **extra}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"service": "payments-api"}, "files"),
        ({"service": "payments-api", "pull_request": 3}, "repository"),
        (_body(files=[]), "files"),
        (_body(files=[{"path": "a.py", "additions": -1, "deletions": 0}]), "files[0].additions"),
        (_body(tests={"coverage": 150}), "tests.coverage"),
        (_body(timezone="Mars/Olympus"), "timezone"),
        (_body(colour="red"), "colour"),
        (_body(service="nope"), "service"),
        (_body(repository="someone/else", pull_request=1), "repository"),
        (_body(head_sha="not-a-sha"), "head_sha"),
    ],
)
def test_bad_requests_answer_400_naming_the_field_and_store_nothing(
    owner: User, payments_api: Service, body: dict[str, Any], field: str
) -> None:
    response = client_for(owner).post(URL, body, format="json")
    assert response.status_code == 400, response.json()
    assert field in response.json()["error"]["fields"]
    assert not RiskAssessment.objects.exists()


def test_only_the_owning_team_may_assess_and_only_it_sees_the_result(
    owner: User, outsider: User, sre: User, payments_api: Service
) -> None:
    assert client_for(None).post(URL, _body(), format="json").status_code == 401
    assert client_for(outsider).post(URL, _body(), format="json").status_code == 403
    created = client_for(owner).post(URL, _body(), format="json")
    assert created.status_code == 201, created.json()
    pk = created.json()["id"]
    assert client_for(owner).get(URL).json()["count"] == 1
    assert client_for(outsider).get(URL).json()["count"] == 0
    assert client_for(outsider).get(f"{URL}/{pk}").status_code == 404
    assert client_for(sre).get(f"{URL}/{pk}").json()["score"] == created.json()["score"]


def test_the_answer_explains_the_score_and_a_repeat_with_the_key_returns_the_same_assessment(
    owner: User, payments_api: Service
) -> None:
    first = client_for(owner).post(URL, _body(idempotency_key="ci-run-77"), format="json")
    again = client_for(owner).post(URL, _body(idempotency_key="ci-run-77"), format="json")
    assert (first.status_code, again.status_code) == (201, 200)
    body = first.json()
    assert again.json()["id"] == body["id"]
    assert sum(f["points"] for f in body["factors"]) == body["score"]
    assert body["level"] == "low"  # 50 tested lines on a tier-1 service, by someone new here
    assert {f["key"]: f["points"] for f in body["factors"]} == {
        "diff_size": 6,
        "author_new": 6,
        "tests_green": -4,
        "tier": 10,
    }
    assert body["strategy"]["name"] == "straight"
    assert body["rollback"] is None
    assert body["comment"] is None
    assert RiskAssessment.objects.count() == 1
    assert AuditEvent.objects.filter(object_type="changes.riskassessment", action="assess").count() == 1


def test_history_from_the_portal_raises_the_score(owner: User, payments_api: Service, prod: Environment) -> None:
    calm = client_for(owner).post(URL, _body(idempotency_key="a"), format="json").json()
    at = datetime(2026, 11, 24, 10, tzinfo=UTC)
    for n, status in enumerate(["succeeded", "failed", "failed"]):
        ChangeEvent.objects.create(
            service=payments_api,
            environment=prod,
            kind="deploy",
            status=status,
            version=f"v1.{n}",
            author="lee",
            occurred_at=at - timedelta(days=n + 1),
            source="api",
            external_id=f"d{n}",
        )
    worried = client_for(owner).post(URL, _body(idempotency_key="b"), format="json").json()
    history = next(f for f in worried["factors"] if f["key"] == "author_history")
    assert "2 of lee's 3 changes" in history["reason"]
    assert worried["score"] > calm["score"]


def test_a_freeze_declared_by_a_platform_admin_raises_risk_and_brings_a_rollback_plan(
    owner: User, platform_admin: User, payments_api: Service, prod: Environment
) -> None:
    ChangeEvent.objects.create(
        service=payments_api,
        environment=prod,
        kind="deploy",
        status="succeeded",
        version="v1.4.0",
        occurred_at=datetime(2026, 11, 20, tzinfo=UTC),
        source="api",
        external_id="good",
    )
    freeze = {
        "starts_at": "2026-11-23T00:00:00Z",
        "ends_at": "2026-11-30T00:00:00Z",
        "reason": "Black Friday",
        "environment_kinds": ["prod"],
    }
    assert client_for(owner).post("/api/v1/changes/freezes", freeze, format="json").status_code == 403
    backwards = {**freeze, "ends_at": "2026-11-01T00:00:00Z"}
    assert client_for(platform_admin).post("/api/v1/changes/freezes", backwards, format="json").status_code == 400
    created = client_for(platform_admin).post("/api/v1/changes/freezes", freeze, format="json")
    assert created.status_code == 201
    assert client_for(owner).get("/api/v1/changes/freezes", {"at": TUESDAY}).json()["count"] == 1
    body = client_for(owner).post(URL, _body(), format="json").json()
    assert next(f for f in body["factors"] if f["key"] == "freeze")["reason"] == (
        "A change freeze is in force: Black Friday."
    )
    assert body["level"] == "high"
    assert body["rollback"]["previous_version"] == "v1.4.0"
    assert body["rollback"]["runbook"] is None  # the runbooks are not loaded in this test
    freeze_id = created.json()["id"]
    assert client_for(owner).delete(f"/api/v1/changes/freezes/{freeze_id}").status_code == 403
    assert client_for(platform_admin).delete(f"/api/v1/changes/freezes/{freeze_id}").status_code == 204
    lifted = client_for(owner).post(URL, _body(idempotency_key="after"), format="json").json()
    assert "freeze" not in {f["key"] for f in lifted["factors"]}


def _local_pull_request(tmp: Path) -> tuple[LocalGit, int]:
    sc = source_control()
    assert isinstance(sc, LocalGit)
    slug = "example-org/payments-api"
    sc.repository_create(slug)
    (tmp / "main").mkdir()
    (tmp / "main" / "app.py").write_text("print('v1')\n")
    sc.commit_tree(slug, "main", root=tmp / "main", message="init", replace=True)
    (tmp / "feature" / "app" / "migrations").mkdir(parents=True)
    (tmp / "feature" / "app" / "migrations" / "0002_drop_column.py").write_text("drop = True\n" * 30)
    sc.commit_tree(slug, "drop-column", root=tmp / "feature", message="drop", base_branch="main", replace=False)
    pull = sc.pull_request_open(slug, source_branch="drop-column", target_branch="main", title="Drop", body="")
    return sc, pull.number


def test_a_local_pull_request_is_read_through_the_adapter_and_its_comment_posted_once_then_updated(
    owner: User, payments_api: Service, local_adapters: Path
) -> None:
    sc, number = _local_pull_request(local_adapters)
    body = {"service": "payments-api", "repository": "example-org/payments-api", "pull_request": number, "at": TUESDAY}
    first = client_for(owner).post(URL, body, format="json")
    assert first.status_code == 201, first.json()
    assessed = first.json()
    assert assessed["files"] == [
        {
            "path": "app/migrations/0002_drop_column.py",
            "additions": 30,
            "deletions": 0,
            "status": "added",
            "previous_path": "",
        }
    ]
    assert assessed["head_sha"] == sc.branch_head("example-org/payments-api", "drop-column")
    assert "migrations" in assessed["areas"]
    assert assessed["comment"]["posted"] is True
    comments = sc.pull_request_comments("example-org/payments-api", number)
    assert len(comments) == 1
    assert comments[0]["body"].startswith(MARKER)
    assert f"({assessed['score']}/100)" in comments[0]["body"]
    # The same head again: the same assessment, and the comment is not touched.
    again = client_for(owner).post(URL, body, format="json")
    assert (again.status_code, again.json()["id"]) == (200, assessed["id"])
    assert "updated_at" not in sc.pull_request_comments("example-org/payments-api", number)[0]
    # CI reports failing tests for that head: the same record is re-scored and the same comment edited.
    failing = client_for(owner).post(URL, {**body, "tests": {"passed": 10, "failed": 2}}, format="json").json()
    assert failing["id"] == assessed["id"]
    assert failing["score"] > assessed["score"]
    comments = sc.pull_request_comments("example-org/payments-api", number)
    assert len(comments) == 1
    assert "2 test(s) fail." in comments[0]["body"]
    assert "Rollback plan" in comments[0]["body"]
    # The page that shows a local pull request shows the comment too.
    page = client_for(owner).get(f"/api/v1/scm/repositories/example-org/payments-api/pulls/{number}").json()
    assert page["comments"][0]["body"] == comments[0]["body"]


def test_a_missing_pull_request_is_a_400_on_the_field(owner: User, payments_api: Service, local_adapters: Path) -> None:
    _local_pull_request(local_adapters)
    body = {"service": "payments-api", "repository": "example-org/payments-api", "pull_request": 99}
    response = client_for(owner).post(URL, body, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {"pull_request": ["not found"]}


def test_the_demo_command_opens_a_local_pull_request_and_assesses_it(
    payments_api: Service, local_adapters: Path
) -> None:
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("demo_change_risk", at="2026-11-27T17:30:00+01:00", stdout=out)
    assessment = RiskAssessment.objects.get()
    assert f"risk {assessment.level} ({assessment.score}/100)" in out.getvalue()
    assert {"migrations", "dependencies"} <= set(assessment.areas)
    assert "friday" in {f["key"] for f in assessment.factors}
    assert assessment.rollback is not None
    assert "migration_caveat" in assessment.rollback
    sc = source_control()
    assert isinstance(sc, LocalGit)
    assert [c["body"] for c in sc.pull_request_comments("example-org/payments-api", 1)] == [assessment.summary]
    call_command("demo_change_risk", stdout=StringIO())  # again: the same pull request and head
    assert RiskAssessment.objects.count() == 1


def test_a_late_rescore_of_an_older_head_leaves_the_newer_heads_comment_alone(
    owner: User, payments_api: Service, local_adapters: Path
) -> None:
    sc, number = _local_pull_request(local_adapters)
    slug = "example-org/payments-api"
    body = {"service": "payments-api", "repository": slug, "pull_request": number, "at": TUESDAY}
    old = client_for(owner).post(URL, body, format="json").json()
    (local_adapters / "push").mkdir()
    (local_adapters / "push" / "app.py").write_text("print('v2')\n")
    new_head = sc.commit_tree(slug, "drop-column", root=local_adapters / "push", message="v2", replace=False)
    new = client_for(owner).post(URL, body, format="json").json()
    assert new["head_sha"] == new_head != old["head_sha"]
    late = {**body, "head_sha": old["head_sha"], "files": old["files"], "tests": {"passed": 3, "failed": 1}}
    rescored = client_for(owner).post(URL, late, format="json").json()
    assert rescored["id"] == old["id"]
    assert rescored["comment"]["posted"] is False
    comments = sc.pull_request_comments(slug, number)
    assert len(comments) == 1
    assert f"`{new_head[:12]}`" in comments[0]["body"]


def test_the_time_factors_use_the_owning_teams_own_timezone(owner, payments_api) -> None:
    payments_api.owner.timezone = "America/Los_Angeles"
    payments_api.owner.save()
    # Saturday 01:00 UTC is Friday 17:00 in Los Angeles: a Friday evening there, a weekend night in UTC.
    body = client_for(owner).post(URL, _body(at="2026-11-28T01:00:00Z"), format="json").json()

    assert body["timezone"] == "America/Los_Angeles"
    keys = {factor["key"] for factor in body["factors"]}
    assert "friday" in keys
    assert "weekend" not in keys
