"""Web, worker, beat and the migration hook run as promised: probed, sized, one scheduler, migrations first,
workers scaled on Celery's Redis queue, metrics scraped, and every variable set is one the portal reads."""

from __future__ import annotations

from pathlib import Path

from tests.deploy.helm import (
    CHART,
    Manifest,
    all_containers,
    containers,
    named,
    of_kind,
    render,
)
from tests.deploy.portal_settings import settings_env_names

HOOK = "pre-install,pre-upgrade"
ROOT = CHART.parents[2]
# Variables the chart sets that settings.py does not read, each with the reader that does.
READ_ELSEWHERE = {
    "PROMETHEUS_MULTIPROC_DIR": [ROOT / "portal" / "core" / "metrics.py", ROOT / "deploy" / "gunicorn.conf.py"],
}


def web_container(manifests: list[Manifest]) -> Manifest:
    return named(manifests, "Deployment", "-web")["spec"]["template"]["spec"]["containers"][0]


def env_of(container: Manifest) -> dict[str, Manifest]:
    return {variable["name"]: variable for variable in container.get("env", [])}


def test_web_is_probed_on_healthz_and_readyz(manifests: list[Manifest]) -> None:
    web = web_container(manifests)
    assert web["ports"] == [{"name": "http", "containerPort": 8000, "protocol": "TCP"}]
    assert web["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
    assert web["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "http"}
    assert web["startupProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
    assert web["startupProbe"]["periodSeconds"] * web["startupProbe"]["failureThreshold"] >= 60


def test_web_runs_gunicorn_with_the_images_config(manifests: list[Manifest]) -> None:
    command = web_container(manifests)["command"]
    assert command[:4] == ["gunicorn", "portal.wsgi:application", "--config", "/app/gunicorn.conf.py"]
    assert command[4] == "--workers"
    assert int(command[5]) >= 1


def test_every_container_requests_and_limits_cpu_and_memory(manifests: list[Manifest]) -> None:
    for where, _, container in all_containers(manifests):
        resources = container["resources"]
        for kind in ("requests", "limits"):
            assert set(resources[kind]) == {"cpu", "memory"}, f"{where} {kind}"


def test_beat_is_a_single_replica_replaced_with_recreate(manifests: list[Manifest]) -> None:
    beat = named(manifests, "Deployment", "-beat")
    assert beat["spec"]["replicas"] == 1
    assert beat["spec"]["strategy"] == {"type": "Recreate"}
    assert beat["spec"]["template"]["spec"]["containers"][0]["command"][:4] == ["celery", "-A", "portal", "beat"]
    selector = beat["spec"]["selector"]["matchLabels"]
    assert not [
        scaled
        for scaled in of_kind(manifests, "ScaledObject")
        if scaled["spec"]["scaleTargetRef"]["name"] == beat["metadata"]["name"]
    ]
    assert not [
        pdb for pdb in of_kind(manifests, "PodDisruptionBudget") if pdb["spec"]["selector"]["matchLabels"] == selector
    ]


def test_worker_runs_celery_and_finishes_tasks_before_it_stops(manifests: list[Manifest]) -> None:
    worker = named(manifests, "Deployment", "-worker")["spec"]["template"]["spec"]
    command = worker["containers"][0]["command"]
    assert command[:4] == ["celery", "-A", "portal", "worker"]
    assert command[command.index("--hostname") + 1] == "worker@%h"
    configmap = named(manifests, "ConfigMap", "")
    assert worker["terminationGracePeriodSeconds"] > int(configmap["data"]["CELERY_TASK_TIME_LIMIT"])


def test_web_and_worker_have_disruption_budgets(manifests: list[Manifest]) -> None:
    budgets = {pdb["metadata"]["name"]: pdb["spec"] for pdb in of_kind(manifests, "PodDisruptionBudget")}
    for component in ("web", "worker"):
        deployment = named(manifests, "Deployment", f"-{component}")
        budget = budgets[deployment["metadata"]["name"]]
        assert budget["selector"] == deployment["spec"]["selector"]
        assert budget["maxUnavailable"] == 1


def test_migrations_run_as_a_hook_before_install_and_upgrade(manifests: list[Manifest]) -> None:
    job = named(manifests, "Job", "-migrate")
    assert job["metadata"]["annotations"] == {
        "helm.sh/hook": HOOK,
        "helm.sh/hook-weight": "0",
        "helm.sh/hook-delete-policy": "before-hook-creation,hook-succeeded",
    }
    pod = job["spec"]["template"]["spec"]
    assert pod["restartPolicy"] == "Never"
    steps = [container["command"] for container in containers(pod)]
    assert steps == [["python", "manage.py", "migrate", "--noinput"], ["python", "manage.py", "runbooks_sync"]]


def test_the_hook_depends_only_on_hooks_created_before_it(manifests: list[Manifest]) -> None:
    """Hooks run before the release's other resources exist: the Job must not need any of them."""
    hooks = {
        (manifest["kind"], manifest["metadata"]["name"]): int(
            manifest["metadata"]["annotations"]["helm.sh/hook-weight"]
        )
        for manifest in manifests
        if manifest["metadata"].get("annotations", {}).get("helm.sh/hook") == HOOK
    }
    pod = named(manifests, "Job", "-migrate")["spec"]["template"]["spec"]
    secret = next(volume["secret"]["secretName"] for volume in pod["volumes"] if "secret" in volume)
    assert hooks[("ServiceAccount", pod["serviceAccountName"])] < hooks[("Job", "portal-platform-portal-migrate")]
    external = [m for m in of_kind(manifests, "ExternalSecret") if m["spec"]["target"]["name"] == secret]
    assert hooks[("ExternalSecret", external[0]["metadata"]["name"])] < 0
    for container in containers(pod):
        assert "envFrom" not in container  # the ConfigMap does not exist yet at install
        assert {"name": "SITE_URL", "value": named(manifests, "ConfigMap", "")["data"]["SITE_URL"]} in container["env"]


def test_worker_replicas_are_left_to_keda_when_it_scales_them(
    default_manifests: list[Manifest], production_manifests: list[Manifest]
) -> None:
    assert named(default_manifests, "Deployment", "-worker")["spec"]["replicas"] == 1
    assert "replicas" not in named(production_manifests, "Deployment", "-worker")["spec"]


def test_keda_scales_the_workers_on_celerys_redis_list(production_manifests: list[Manifest]) -> None:
    scaled = named(production_manifests, "ScaledObject", "-worker")["spec"]
    assert scaled["scaleTargetRef"] == {"name": "portal-platform-portal-worker"}
    assert scaled["minReplicaCount"] == 1
    assert scaled["maxReplicaCount"] == 8
    [trigger] = scaled["triggers"]
    assert trigger["type"] == "redis"
    assert trigger["metadata"]["listName"] == "celery"
    assert trigger["metadata"]["listLength"] == "5"
    assert trigger["metadata"]["address"] == "redis-master.redis.svc.cluster.local:6379"
    auth = named(production_manifests, "TriggerAuthentication", "-keda-redis")
    assert trigger["authenticationRef"] == {"name": auth["metadata"]["name"]}
    [reference] = auth["spec"]["secretTargetRef"]
    external = named(production_manifests, "ExternalSecret", "-keda-redis")["spec"]
    assert reference == {"parameter": "password", "name": external["target"]["name"], "key": "password"}


def test_keda_without_a_redis_password_needs_no_authentication(helm: Path) -> None:
    manifests = render(helm, sets={"keda.enabled": "true"})
    assert "authenticationRef" not in named(manifests, "ScaledObject", "-worker")["spec"]["triggers"][0]
    assert of_kind(manifests, "TriggerAuthentication") == []


def test_service_monitor_scrapes_metrics_with_a_bearer_token(production_manifests: list[Manifest]) -> None:
    monitor = named(production_manifests, "ServiceMonitor", "")
    service = named(production_manifests, "Service", "-web")
    assert monitor["metadata"]["labels"]["release"] == "kube-prometheus-stack"
    assert monitor["spec"]["selector"]["matchLabels"].items() <= service["metadata"]["labels"].items()
    [endpoint] = monitor["spec"]["endpoints"]
    assert endpoint["port"] == service["spec"]["ports"][0]["name"]
    assert endpoint["path"] == "/metrics"
    token = named(production_manifests, "ExternalSecret", "-metrics-token")["spec"]
    assert endpoint["authorization"] == {
        "type": "Bearer",
        "credentials": {"name": token["target"]["name"], "key": "token"},
    }


def test_gunicorn_metrics_go_to_an_in_memory_emptydir(manifests: list[Manifest]) -> None:
    pod = named(manifests, "Deployment", "-web")["spec"]["template"]["spec"]
    directory = env_of(pod["containers"][0])["PROMETHEUS_MULTIPROC_DIR"]["value"]
    mount = next(mount for mount in pod["containers"][0]["volumeMounts"] if mount["mountPath"] == directory)
    volume = next(volume for volume in pod["volumes"] if volume["name"] == mount["name"])
    assert volume["emptyDir"]["medium"] == "Memory"


def test_web_answers_to_its_site_its_service_and_its_own_ip(production_manifests: list[Manifest]) -> None:
    env = list(env_of(web_container(production_manifests)))
    hosts = env_of(web_container(production_manifests))["ALLOWED_HOSTS"]["value"].split(",")
    assert hosts[:2] == ["portal.acme.internal", "portal-api.acme.internal"]
    assert "portal-platform-portal-web.platform.svc" in hosts
    assert hosts[-1] == "$(POD_IP)"
    assert env.index("POD_IP") < env.index("ALLOWED_HOSTS")  # Kubernetes expands only variables defined earlier
    configmap = named(production_manifests, "ConfigMap", "")["data"]
    assert configmap["CSRF_TRUSTED_ORIGINS"] == "https://portal.acme.internal"


def test_ingress_serves_the_site_url_host_with_tls(production_manifests: list[Manifest]) -> None:
    ingress = named(production_manifests, "Ingress", "")["spec"]
    assert ingress["rules"][0]["host"] == "portal.acme.internal"
    assert ingress["tls"] == [{"hosts": ["portal.acme.internal"], "secretName": "portal-platform-portal-tls"}]
    backend = ingress["rules"][0]["http"]["paths"][0]["backend"]["service"]
    assert backend == {"name": "portal-platform-portal-web", "port": {"name": "http"}}


def test_pods_restart_when_the_settings_change(helm: Path, default_manifests: list[Manifest]) -> None:
    changed = render(helm, sets={"config.LOG_LEVEL": "DEBUG"})
    for component in ("web", "worker", "beat"):
        before = named(default_manifests, "Deployment", f"-{component}")["spec"]["template"]["metadata"]["annotations"]
        after = named(changed, "Deployment", f"-{component}")["spec"]["template"]["metadata"]["annotations"]
        assert before["checksum/config"] != after["checksum/config"], component


def test_every_variable_the_chart_sets_is_one_the_portal_reads(manifests: list[Manifest]) -> None:
    read = settings_env_names()
    names = {key for configmap in of_kind(manifests, "ConfigMap") for key in configmap["data"]}
    for where, _, container in all_containers(manifests):
        for variable in container.get("env", []):
            name = variable["name"]
            if name == "POD_IP":  # only expanded into ALLOWED_HOSTS as $(POD_IP)
                assert where.endswith(":web"), where
                continue
            names.add(name.removesuffix("_FILE") if name.endswith("_FILE") else name)
    unknown = names - read - set(READ_ELSEWHERE)
    assert not unknown, f"set by the chart but read by nothing in portal/settings.py: {sorted(unknown)}"
    for name, readers in READ_ELSEWHERE.items():
        assert all(name in reader.read_text() for reader in readers), name


def test_the_settings_parser_finds_what_settings_read() -> None:
    source = 'A = env("ONE")\nB = envbool("TWO", "false")\nC = envlist("THREE", "")\nD = other("FOUR")\n'
    assert settings_env_names(source) == {"ONE", "TWO", "THREE"}
    assert {"DATABASE_URL", "SECRET_KEY", "SITE_URL", "ALLOWED_HOSTS", "GITHUB_TOKEN"} <= settings_env_names()
