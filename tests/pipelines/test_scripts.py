"""The steps' scripts: setting the image in an overlay, talking to the portal, waiting for Argo CD."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.golden_paths.support import kustomize, render
from tests.pipelines.fake_services import argo_application, fake_server
from tests.pipelines.support import STEPS, load_script

set_image = load_script("set_image")
portal_client = load_script("portal_client")
argocd_wait = load_script("argocd_wait")

DIGEST = "sha256:" + "ab" * 32
REF = f"ghcr.io/example-org/orders-api@{DIGEST}"  # the image the build step pushed
COMMIT = "4f2c" * 10


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return render("python-http-service", tmp_path_factory.mktemp("render"), name="orders-api", owner="payments")


def _images(overlay: Path) -> list[str]:
    deployments = [d for d in kustomize(overlay) if d["kind"] == "Deployment"]
    return [c["image"] for d in deployments for c in d["spec"]["template"]["spec"]["containers"]]


def test_the_deploy_sets_the_image_by_digest_in_one_overlay_and_keeps_the_rest(generated: Path, tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    shutil.copytree(generated, repo)
    overlay = repo / "deploy" / "overlays" / "dev"
    before = (overlay / "kustomization.yaml").read_text()

    assert set_image.set_image(overlay, REF) is True

    after = (overlay / "kustomization.yaml").read_text()
    assert _images(overlay) == [REF]
    assert _images(repo / "deploy" / "overlays" / "staging") == ["ghcr.io/example-org/orders-api:0.1.0"]
    kept = [line for line in before.splitlines() if line.strip()]
    assert all(line in after for line in kept if not line.startswith("images")), "other lines must stay as they were"
    assert set_image.set_image(overlay, REF) is False  # a repeated deploy changes nothing
    assert (overlay / "kustomization.yaml").read_text() == after


def test_a_second_deploy_replaces_the_image_instead_of_adding_one(generated: Path, tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    shutil.copytree(generated, repo)
    overlay = repo / "deploy" / "overlays" / "prod"
    set_image.set_image(overlay, REF)

    set_image.set_image(overlay, "ghcr.io/example-org/orders-api:1.4.2")

    assert _images(overlay) == ["ghcr.io/example-org/orders-api:1.4.2"]
    assert len(yaml.safe_load((overlay / "kustomization.yaml").read_text())["images"]) == 1


def test_an_overlay_without_kustomization_says_so(tmp_path: Path) -> None:
    with pytest.raises(SystemExit, match=r"no kustomization\.yaml"):
        set_image.set_image(tmp_path, REF)


VERSION = COMMIT[:12]  # what the build tags and the canary step sends as the version (GitHub: 12 characters)


def _pod_templates(manifest: dict[str, Any]) -> list[dict[str, Any]]:
    """The metadata of what a workload creates from templates: a Deployment's pods; a CronJob's Jobs and their pods."""
    if manifest["kind"] == "CronJob":
        job = manifest["spec"]["jobTemplate"]
        return [job["metadata"], job["spec"]["template"]["metadata"]]
    return [manifest["spec"]["template"]["metadata"]]


@pytest.mark.parametrize(("path", "kind"), [("python-http-service", "Deployment"), ("scheduled-job", "CronJob")])
def test_the_deploy_labels_the_pods_with_the_version_the_canary_compares_never_the_selector(
    tmp_path: Path, path: str, kind: str
) -> None:
    repo = render(path, tmp_path, name="orders-api", owner="payments")
    overlay = repo / "deploy" / "overlays" / "prod"
    before = (overlay / "kustomization.yaml").read_text()

    assert set_image.set_image(overlay, REF, version=VERSION) is True

    manifests = kustomize(overlay)
    workload = next(m for m in manifests if m["kind"] == kind)
    for template in _pod_templates(workload):
        assert template["labels"]["app.kubernetes.io/version"] == VERSION
        assert template["labels"]["platform-portal/environment"] == "prod", "the overlay's own labels must still apply"
    selectors = [m["spec"]["selector"] for m in manifests if m["kind"] in ("Deployment", "Service")]
    assert all("app.kubernetes.io/version" not in str(selector) for selector in selectors), selectors
    after = (overlay / "kustomization.yaml").read_text()
    assert all(line in after for line in before.splitlines() if line.strip() and not line.startswith("images"))
    assert set_image.set_image(overlay, REF, version=VERSION) is False  # a repeated deploy changes nothing
    assert (overlay / "kustomization.yaml").read_text() == after


def test_a_new_version_replaces_the_label_and_the_selector_stays_what_the_cluster_has(
    generated: Path, tmp_path: Path
) -> None:
    repo = tmp_path / "repo"
    shutil.copytree(generated, repo)
    overlay = repo / "deploy" / "overlays" / "prod"
    set_image.set_image(overlay, REF, version=VERSION)
    first = next(m for m in kustomize(overlay) if m["kind"] == "Deployment")

    set_image.set_image(overlay, "ghcr.io/example-org/orders-api:20261125", version="20261125")

    second = next(m for m in kustomize(overlay) if m["kind"] == "Deployment")
    assert second["spec"]["template"]["metadata"]["labels"]["app.kubernetes.io/version"] == "20261125"  # a string
    assert second["spec"]["selector"] == first["spec"]["selector"]  # immutable in Kubernetes: a rollout would fail
    entries = yaml.safe_load((overlay / "kustomization.yaml").read_text())["labels"]
    assert [e for e in entries if "app.kubernetes.io/version" in e["pairs"]] == [
        {"pairs": {"app.kubernetes.io/version": "20261125"}, "includeTemplates": True}
    ]
    assert _images(overlay) == ["ghcr.io/example-org/orders-api:20261125"]


def test_an_overlay_without_labels_gets_one_entry_and_kustomize_accepts_it(generated: Path, tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    shutil.copytree(generated, repo)
    overlay = repo / "deploy" / "overlays" / "preview"
    overlay.mkdir()
    (overlay / "kustomization.yaml").write_text("# a bare overlay\nresources:\n  - ../../base\n")

    assert set_image.main(["--overlay", str(overlay), "--ref", REF, "--version", VERSION]) == 0

    deployment = next(m for m in kustomize(overlay) if m["kind"] == "Deployment")
    assert deployment["spec"]["template"]["metadata"]["labels"]["app.kubernetes.io/version"] == VERSION
    assert "app.kubernetes.io/version" not in deployment["spec"]["selector"]["matchLabels"]
    assert (overlay / "kustomization.yaml").read_text().startswith("# a bare overlay\nresources:\n  - ../../base\n")


def test_a_version_that_cannot_be_a_label_or_would_reach_a_selector_is_refused(generated: Path, tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    shutil.copytree(generated, repo)
    overlay = repo / "deploy" / "overlays" / "staging"
    before = (overlay / "kustomization.yaml").read_text()

    with pytest.raises(SystemExit, match=r"cannot be a label value.*short SHA"):
        set_image.set_image(overlay, REF, version=REF)  # the image reference instead of its tag
    with_selector = before + "commonLabels:\n  app.kubernetes.io/version: 0.1.0\n"
    (overlay / "kustomization.yaml").write_text(with_selector)
    with pytest.raises(SystemExit, match=r"commonLabels sets app\.kubernetes\.io/version.*selectors are immutable"):
        set_image.set_image(overlay, REF, version=VERSION)

    assert (overlay / "kustomization.yaml").read_text() == with_selector  # nothing half-written


def _portal_env(monkeypatch: pytest.MonkeyPatch, url: str) -> None:
    monkeypatch.setenv("PORTAL_URL", url)
    monkeypatch.setenv("PORTAL_TOKEN", "pt_secret-from-a-secret")
    monkeypatch.setattr(portal_client.time, "sleep", lambda seconds: None)


CANARY = ["canary", "--service", "payments-api", "--environment", "prod", "--baseline", "v41", "--canary", "v42"]


def test_a_failed_canary_fails_the_job_and_prints_the_reasons(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    with fake_server() as portal:
        _portal_env(monkeypatch, portal.url)
        reasons = ["error ratio 4.1% against 0.2% (Mann-Whitney p=0.001)", "p99 latency +180 ms"]
        portal.answer("/api/v1/delivery/canary/judgements", (200, {"outcome": "fail", "score": 31, "reasons": reasons}))

        code = portal_client.main([*CANARY, "--github-output", str(tmp_path / "out")])

    assert code == 1
    printed = capsys.readouterr().out
    assert all(reason in printed for reason in reasons)
    request = portal.requests[0]
    assert request.headers["Authorization"] == "Bearer pt_secret-from-a-secret"
    assert request.body == {
        "service": "payments-api",
        "environment": "prod",
        "baseline": {"version": "v41"},
        "canary": {"version": "v42"},
    }
    assert (tmp_path / "out").read_text() == "outcome=fail\nscore=31\n"


@pytest.mark.parametrize(("strict", "expected"), [(False, 0), (True, 1)])
def test_a_marginal_canary_warns_unless_told_to_fail(
    monkeypatch: pytest.MonkeyPatch, strict: bool, expected: int
) -> None:
    with fake_server() as portal:
        _portal_env(monkeypatch, portal.url)
        portal.answer("/api/v1/delivery/canary/judgements", (200, {"outcome": "marginal", "score": 68, "reasons": []}))

        assert portal_client.main([*CANARY, *(["--fail-on-marginal"] if strict else [])]) == expected


def test_a_blocking_gate_fails_the_job_and_a_passing_one_does_not(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    gate = ["gate", "--service", "payments-api", "--environment", "prod", "--version", REF]
    blocked = {"outcome": "block", "gates": [{"name": "error_budget", "outcome": "block", "reason": "12% left"}]}
    with fake_server() as portal:
        _portal_env(monkeypatch, portal.url)
        portal.answer("/api/v1/delivery/gates/evaluate", (200, blocked), (200, {"outcome": "pass", "gates": []}))

        assert portal_client.main(gate) == 1
        assert portal_client.main(gate) == 0

    assert "error_budget: block 12% left" in capsys.readouterr().out
    assert portal.requests[0].body == {"service": "payments-api", "environment": "prod", "version": REF}


def test_the_portal_refusing_the_call_says_why(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    refusal = {"error": {"code": "invalid", "message": "Unknown service.", "fields": {"service": ["no such service"]}}}
    with fake_server() as portal:
        _portal_env(monkeypatch, portal.url)
        portal.answer("/api/v1/delivery/gates/evaluate", (400, refusal))

        code = portal_client.main(["gate", "--service", "nope", "--environment", "prod", "--version", "v1"])

    assert code == 2
    assert "Unknown service. (service: no such service)" in capsys.readouterr().out
    assert len(portal.requests) == 1  # a 4xx is not retried


def test_an_unavailable_portal_is_retried(monkeypatch: pytest.MonkeyPatch) -> None:
    with fake_server() as portal:
        _portal_env(monkeypatch, portal.url)
        portal.answer("/api/v1/delivery/gates/evaluate", (503, {}), (200, {"outcome": "pass", "gates": []}))

        assert portal_client.main(["gate", "--service", "a", "--environment", "prod", "--version", "v1"]) == 0

    assert len(portal.requests) == 2


def test_without_url_or_token_the_step_says_what_to_set(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("PORTAL_URL", raising=False)
    monkeypatch.delenv("PORTAL_TOKEN", raising=False)

    assert portal_client.main(["gate", "--service", "a", "--environment", "prod", "--version", "v1"]) == 2
    assert "PORTAL_URL and PORTAL_TOKEN not set" in capsys.readouterr().out


GATE = ["gate", "--service", "payments-api", "--environment", "prod", "--version", "4f2c4f2c4f2c"]


def test_a_gate_without_its_token_fails_closed_and_says_where_to_set_it(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with fake_server() as portal:
        monkeypatch.setenv("PORTAL_URL", portal.url)
        monkeypatch.setenv("PORTAL_TOKEN", "")  # `secrets: inherit` with no organisation secret passes ""
        portal.answer("/api/v1/delivery/gates/evaluate", (200, {"outcome": "pass", "gates": []}))

        code = portal_client.main(GATE)

    printed = capsys.readouterr().out
    assert code == 2
    assert printed.startswith("::error::PORTAL_TOKEN not set")
    assert "organisation secret on GitHub" in printed
    assert "masked CI/CD variable of the group on GitLab" in printed
    assert portal.requests == []


def test_an_unreachable_portal_fails_the_gate_after_retrying_and_names_the_url(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with fake_server() as portal:
        url = portal.url  # the server is gone once the block ends: nothing listens there any more
    _portal_env(monkeypatch, url)

    assert portal_client.main(GATE) == 2
    assert f"cannot reach the portal at {url} after 3 attempts" in capsys.readouterr().out


def test_a_refused_token_says_it_is_the_token(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    refusal = {"error": {"code": "not_authenticated", "message": "Invalid token.", "fields": {}}}
    with fake_server() as portal:
        _portal_env(monkeypatch, portal.url)
        portal.answer("/api/v1/delivery/gates/evaluate", (401, refusal))

        assert portal_client.main(GATE) == 2

    assert "answered 401: Invalid token.; PORTAL_TOKEN must be a valid portal service token" in capsys.readouterr().out


def test_a_first_deploy_has_no_baseline_and_the_canary_is_not_judged(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    with fake_server() as portal:
        _portal_env(monkeypatch, portal.url)
        first = ["canary", "--service", "payments-api", "--environment", "prod", "--baseline", "", "--canary", "v1"]

        assert portal_client.main([*first, "--github-output", str(tmp_path / "out")]) == 0

    assert portal.requests == []
    assert "No baseline version" in capsys.readouterr().out


def _wait(monkeypatch: pytest.MonkeyPatch, url: str, **kwargs: float) -> int:
    monkeypatch.setenv("ARGOCD_SERVER", url)
    monkeypatch.setenv("ARGOCD_TOKEN", "argocd-token")
    now = [0.0]
    return int(
        argocd_wait.wait(
            "payments-api-prod",
            COMMIT,
            timeout=kwargs.get("timeout", 600),
            interval=10,
            clock=lambda: now[0],
            sleep=lambda seconds: now.__setitem__(0, now[0] + seconds),
        )
    )


def test_the_deploy_waits_until_argo_cd_has_synced_the_commit_and_reports_healthy(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    app = "/api/v1/applications/payments-api-prod"
    with fake_server() as argo:
        argo.answer(
            app,
            (200, argo_application("payments-api-prod", sync="Synced", revision="0ld" * 13, health="Healthy")),
            (200, argo_application("payments-api-prod", sync="OutOfSync", revision=COMMIT, health="Healthy")),
            (200, argo_application("payments-api-prod", sync="Synced", revision=COMMIT, health="Progressing")),
            (200, argo_application("payments-api-prod", sync="Synced", revision=COMMIT, health="Healthy")),
        )

        assert _wait(monkeypatch, argo.url) == 0

    assert len(argo.requests) == 4
    assert argo.requests[0].path.endswith("?refresh=normal")  # ask Argo CD to look at the new commit at once
    assert all(r.headers["Authorization"] == "Bearer argocd-token" for r in argo.requests)


def test_a_failed_sync_or_a_degraded_app_fails_the_deploy(monkeypatch: pytest.MonkeyPatch) -> None:
    app = "/api/v1/applications/payments-api-prod"
    with fake_server() as argo:
        failed = argo_application(
            "payments-api-prod",
            sync="OutOfSync",
            revision=COMMIT,
            health="Healthy",
            phase="Failed",
            message="one or more objects failed to apply",
        )
        argo.answer(app, (200, failed))
        assert _wait(monkeypatch, argo.url) == 1
        argo.answer(
            app, (200, argo_application("payments-api-prod", sync="Synced", revision=COMMIT, health="Degraded"))
        )
        assert _wait(monkeypatch, argo.url) == 1


def test_the_wait_gives_up_after_its_timeout_and_refuses_a_wrong_token(monkeypatch: pytest.MonkeyPatch) -> None:
    app = "/api/v1/applications/payments-api-prod"
    with fake_server() as argo:
        argo.answer(
            app, (200, argo_application("payments-api-prod", sync="OutOfSync", revision="0ld", health="Healthy"))
        )
        assert _wait(monkeypatch, argo.url, timeout=60) == 1
        assert len(argo.requests) == 7  # at 0, 10, ... 60 s
        argo.answer(app, (403, {"error": "permission denied", "code": 7, "message": "permission denied"}))
        assert _wait(monkeypatch, argo.url) == 2


def test_every_script_runs_from_the_command_line() -> None:
    for script in sorted((STEPS / "scripts").glob("*.py")):
        proc = subprocess.run([sys.executable, str(script), "--help"], capture_output=True, text=True, check=False)
        assert proc.returncode == 0, f"{script.name}: {proc.stderr}"


@pytest.mark.django_db(transaction=True)
def test_the_deploy_records_itself_in_the_real_portal_once(live_server, payments_api) -> None:
    import os

    from portal.changes.models import ChangeEvent
    from portal.core.services import service_account_token_create

    _, secret = service_account_token_create(name="ci-payments", teams=[payments_api.owner])
    env = {**os.environ, "PORTAL_URL": live_server.url, "PORTAL_TOKEN": secret}
    command = [
        sys.executable,
        str(STEPS / "scripts" / "portal_client.py"),
        "change",
        "--service",
        "payments-api",
        "--kind",
        "deploy",
        "--version",
        REF,
        "--link",
        "https://github.com/example-org/payments-api/actions/runs/7",
        "--external-id",
        "github:example-org/payments-api:7:1:prod",
    ]

    for _ in range(2):  # a re-run job posts the same event again
        proc = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60, check=False)
        assert proc.returncode == 0, proc.stdout + proc.stderr

    event = ChangeEvent.objects.get()
    assert (event.service.name, event.kind, event.version, event.source) == ("payments-api", "deploy", REF, "api")


@pytest.mark.django_db(transaction=True)
def test_the_gate_and_canary_steps_speak_the_real_portals_delivery_api(
    live_server, local_adapters, payments_api, prod
) -> None:
    import os

    from portal.core.services import service_account_token_create
    from portal.delivery.models import CanaryJudgement, GateEvaluation

    _, secret = service_account_token_create(name="ci-payments", teams=[payments_api.owner])
    env = {**os.environ, "PORTAL_URL": live_server.url, "PORTAL_TOKEN": secret, "PORTAL_IDEMPOTENCY_KEY": "run-7"}
    script = str(STEPS / "scripts" / "portal_client.py")
    common = ["--service", "payments-api", "--environment", "prod"]

    gate = [sys.executable, script, "gate", *common, "--version", "v42"]
    canary = [sys.executable, script, "canary", *common, "--baseline", "v41", "--canary", "v42"]
    for command, model in ((gate, GateEvaluation), (canary, CanaryJudgement)):
        for _ in range(2):  # retried with the same key: judged once
            proc = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120, check=False)
            assert proc.returncode in (0, 1), proc.stdout + proc.stderr  # pass/block or fail: never a refused call
        recorded = model.objects.get()
        assert f": {recorded.outcome}" in proc.stdout
        assert (proc.returncode == 1) == (recorded.outcome in ("block", "fail")), proc.stdout
