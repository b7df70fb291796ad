"""Every pod is locked down, and secrets reach the portal only from the secret store, never through values."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from tests.deploy.helm import CHART, Manifest, all_containers, helm_template, named, of_kind, pod_specs, render

SECRET_SETTINGS = {"DATABASE_URL", "CELERY_BROKER_URL", "SECRET_KEY", "GITHUB_TOKEN", "ALERTMANAGER_WEBHOOK_TOKEN"}
SECRET_LIKE = re.compile(r"TOKEN|SECRET|PASSWORD|API_KEY|DATABASE_URL|BROKER_URL")
CREDENTIALS_IN_URL = re.compile(r"[a-z][a-z0-9+.-]*://[^/\s:@]+:[^/\s@]+@")
DATA_DIR = "/var/lib/portal"
TMP = "/tmp"  # noqa: S108 - the containers' /tmp mount, not a file here


def test_every_pod_runs_as_the_non_root_user_with_runtime_default_seccomp(manifests: list[Manifest]) -> None:
    for where, pod in pod_specs(manifests):
        context = pod["securityContext"]
        assert context["runAsNonRoot"] is True, where
        assert context["runAsUser"] == context["runAsGroup"] == context["fsGroup"] == 10001, where
        assert context["seccompProfile"] == {"type": "RuntimeDefault"}, where
        assert pod["automountServiceAccountToken"] is False, where


def test_every_container_has_a_read_only_root_no_escalation_and_no_capabilities(manifests: list[Manifest]) -> None:
    for where, _, container in all_containers(manifests):
        context = container["securityContext"]
        assert context["readOnlyRootFilesystem"] is True, where
        assert context["allowPrivilegeEscalation"] is False, where
        assert context["capabilities"] == {"drop": ["ALL"]}, where
        assert context["runAsNonRoot"] is True, where
        assert context["seccompProfile"] == {"type": "RuntimeDefault"}, where
        assert "privileged" not in context, where


def test_tmp_and_the_data_folder_are_emptydirs_in_every_portal_container(manifests: list[Manifest]) -> None:
    for where, pod, container in all_containers(manifests):
        volumes = {volume["name"]: volume for volume in pod["volumes"]}
        mounts = {mount["mountPath"]: volumes[mount["name"]] for mount in container["volumeMounts"]}
        assert "emptyDir" in mounts[DATA_DIR], where
        if container["name"] != "static":  # the init container only copies files into the data folder
            assert "emptyDir" in mounts[TMP], where
            assert {"name": "PORTAL_DATA_DIR", "value": DATA_DIR} in container["env"], where
        writable = [path for path, volume in mounts.items() if "secret" not in volume]
        assert all("emptyDir" in mounts[path] for path in writable), where


def test_service_accounts_mount_no_token(manifests: list[Manifest]) -> None:
    for account in of_kind(manifests, "ServiceAccount"):
        assert account["automountServiceAccountToken"] is False


def test_the_chart_renders_no_secret(manifests: list[Manifest]) -> None:
    assert of_kind(manifests, "Secret") == []


def test_no_configmap_key_or_literal_env_value_is_a_secret(manifests: list[Manifest]) -> None:
    for configmap in of_kind(manifests, "ConfigMap"):
        assert not [key for key in configmap["data"] if SECRET_LIKE.search(key)]
    for where, _, container in all_containers(manifests):
        for variable in container.get("env", []):
            if SECRET_LIKE.search(variable["name"]) and "value" in variable:
                assert variable["name"].endswith("_FILE"), f"{where}: {variable['name']} has a literal value"
                assert variable["value"].startswith("/var/run/secrets/portal/"), where


def test_rendered_output_holds_no_credentials(helm: Path) -> None:
    for values in ((), (CHART.parent.parent / "examples" / "values-production.yaml",)):
        rendered = helm_template(helm, *values).stdout
        assert not CREDENTIALS_IN_URL.search(rendered)
        assert "BEGIN" not in rendered  # no PEM block


def test_values_refuse_a_secret_anywhere_but_a_secret_store_reference(helm: Path) -> None:
    attempts = [
        {"config.SECRET_KEY": "s3cr3t-sentinel"},
        {"config.DATABASE_URL": "postgresql://u:s3cr3t-sentinel@db/portal"},
        {"config.GITHUB_TOKEN": "ghp_s3cr3tsentinel"},
        {"secrets.settings.SECRET_KEY.value": "s3cr3t-sentinel"},
        {"secrets.settings.MY_PASSWORD.key": "s3cr3t-sentinel"},
        {"keda.redis.password.value": "s3cr3t-sentinel"},
        {"serviceMonitor.bearerToken.token": "s3cr3t-sentinel"},
    ]
    for sets in attempts:
        result = helm_template(helm, sets=sets)
        assert result.returncode != 0, f"{sets} was accepted"
        assert "s3cr3t-sentinel" not in result.stdout


def test_secret_settings_arrive_as_files_named_by_name_file(production_manifests: list[Manifest]) -> None:
    pod = named(production_manifests, "Deployment", "-web")["spec"]["template"]["spec"]
    web = pod["containers"][0]
    files = {
        variable["name"][: -len("_FILE")]: variable["value"]
        for variable in web["env"]
        if variable["name"].endswith("_FILE")
    }
    assert set(files) >= SECRET_SETTINGS
    assert all(path == f"/var/run/secrets/portal/{name}" for name, path in files.items())
    assert not [variable for variable in web["env"] if variable["name"] in files]  # never the value itself
    secret_volume = next(volume for volume in pod["volumes"] if volume["name"] == "secrets")["secret"]
    assert secret_volume["defaultMode"] == 0o440
    mount = next(mount for mount in web["volumeMounts"] if mount["name"] == "secrets")
    assert mount == {"name": "secrets", "mountPath": "/var/run/secrets/portal", "readOnly": True}


def test_the_external_secret_fills_exactly_the_keys_the_pods_read(manifests: list[Manifest]) -> None:
    secrets = {
        external["spec"]["target"]["name"]: {item["secretKey"] for item in external["spec"]["data"]}
        for external in of_kind(manifests, "ExternalSecret")
    }
    for where, pod, container in all_containers(manifests):
        volume = next((v["secret"]["secretName"] for v in pod["volumes"] if "secret" in v), None)
        wanted = {v["name"][: -len("_FILE")] for v in container.get("env", []) if v["name"].endswith("_FILE")}
        if wanted:
            assert volume is not None, where
            assert wanted == secrets[volume], where


def test_env_mode_reads_each_secret_setting_from_the_secret(helm: Path) -> None:
    manifests = render(helm, sets={"secrets.mountAs": "env"})
    for where, pod, container in all_containers(manifests):
        assert not [volume for volume in pod["volumes"] if "secret" in volume], where
        env = container.get("env", [])
        references = {
            v["name"]: v["valueFrom"]["secretKeyRef"] for v in env if "secretKeyRef" in v.get("valueFrom", {})
        }
        assert all(reference["key"] == name for name, reference in references.items()), where
        if container["name"] != "static":
            assert "DATABASE_URL" in references, where
        assert not [v for v in container.get("env", []) if v["name"].endswith("_FILE")], where


def test_migration_hook_gets_only_the_database_secret(production_manifests: list[Manifest]) -> None:
    job = named(production_manifests, "Job", "-migrate")
    pod = job["spec"]["template"]["spec"]
    secret_name = next(volume["secret"]["secretName"] for volume in pod["volumes"] if "secret" in volume)
    assert secret_name == "portal-platform-portal-migrate"
    external = named(production_manifests, "ExternalSecret", "-migrate")
    assert [item["secretKey"] for item in external["spec"]["data"]] == ["DATABASE_URL"]


def test_keda_and_prometheus_secrets_stay_out_of_the_portals_pods(production_manifests: list[Manifest]) -> None:
    mounted = {
        volume["secret"]["secretName"]
        for _, pod in pod_specs(production_manifests)
        for volume in pod["volumes"]
        if "secret" in volume
    }
    assert mounted == {"portal-platform-portal", "portal-platform-portal-migrate"}
    text = yaml.safe_dump_all([d for _, d in pod_specs(production_manifests)])
    assert "keda-redis" not in text
    assert "metrics-token" not in text


def test_without_external_secrets_every_pod_reads_the_secret_you_name(helm: Path) -> None:
    manifests = render(helm, sets={"externalSecret.enabled": "false", "secrets.name": "portal-settings"})
    assert of_kind(manifests, "ExternalSecret") == []
    for where, pod in pod_specs(manifests):
        names = {volume["secret"]["secretName"] for volume in pod["volumes"] if "secret" in volume}
        assert names == {"portal-settings"}, where
