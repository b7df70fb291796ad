"""Which areas of a codebase a file path belongs to: migrations, config, dependencies, infra, CI, auth, docs, tests.

Pure: path conventions of the common ecosystems (Django, Rails, Alembic, Flyway, Terraform, Helm, Kustomize, GitHub
Actions, GitLab CI, npm, Go, Cargo, Maven, Gradle). A path may be in several areas; application code is "code".
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath

MIGRATIONS = "migrations"
DEPENDENCIES = "dependencies"
INFRA = "infra"
CONFIG = "config"
CI = "ci"
AUTH = "auth"
DOCS = "docs"
TESTS = "tests"
CODE = "code"

AREA_TITLES = {
    MIGRATIONS: "database migrations",
    DEPENDENCIES: "dependencies and lockfiles",
    INFRA: "infrastructure (IaC, Helm, Kubernetes, containers)",
    CONFIG: "configuration",
    CI: "CI pipeline",
    AUTH: "authentication and security-sensitive code",
    DOCS: "documentation",
    TESTS: "tests",
    CODE: "application code",
}

_MIGRATION_DIRS = {"migrations", "migration", "migrate", "alembic", "flyway", "liquibase", "db-migrations"}
_DEPENDENCY_FILES = re.compile(
    r"^(requirements[\w.-]*\.(txt|in)|constraints\.txt|pyproject\.toml|poetry\.lock|uv\.lock|pipfile(\.lock)?|"
    r"setup\.(py|cfg)|package(-lock)?\.json|yarn\.lock|pnpm-lock\.yaml|npm-shrinkwrap\.json|go\.(mod|sum)|"
    r"cargo\.(toml|lock)|gemfile(\.lock)?|pom\.xml|build\.gradle(\.kts)?|gradle\.lockfile|composer\.(json|lock)|"
    r"mix\.(exs|lock)|packages\.lock\.json|.*\.csproj)$"
)
_INFRA_DIRS = {
    "terraform",
    "infra",
    "infrastructure",
    "helm",
    "charts",
    "chart",
    "k8s",
    "kubernetes",
    "kustomize",
    "manifests",
    "deploy",
    "deployment",
    "ansible",
    "pulumi",
    "cloudformation",
    "argocd",
    "gitops",
}
_INFRA_FILES = re.compile(
    r"^(.*\.(tf|tfvars|hcl)|chart\.yaml|values([-.][\w-]+)?\.ya?ml|kustomization\.ya?ml|dockerfile(\..+)?|"
    r".*\.dockerfile|docker-compose[\w.-]*\.ya?ml|compose\.ya?ml|skaffold\.ya?ml|helmfile\.ya?ml)$"
)
_CI_PATHS = re.compile(
    r"^(\.github/workflows/|\.github/actions/|\.gitlab-ci\.yml$|\.gitlab/ci/|jenkinsfile$|\.circleci/|"
    r"azure-pipelines\.ya?ml$|\.buildkite/|\.drone\.ya?ml$|bitbucket-pipelines\.yml$|\.tekton/)"
)
_CONFIG_FILES = re.compile(
    r"^(.*\.(ini|cfg|conf|properties|env)|\.env(\..+)?|settings(_\w+)?\.py|config\.(py|js|ts|ya?ml|json|toml)|"
    r"application([-.][\w-]+)?\.(ya?ml|properties)|appsettings(\.\w+)?\.json|.*\.config\.(js|ts|json))$"
)
_CONFIG_DIRS = {"config", "configs", "conf", "settings", "flags", "feature-flags"}
_AUTH_WORDS = re.compile(
    r"(^|[/_.-])(auth\w*|oauth\w*|oidc|saml|sso|login|logout|session|sessions|password\w*|permissions?|rbac|acl|"
    r"iam|jwt|tokens?|crypto\w*|secrets?|security|csrf|cors|tls|certs?|certificates?)([/_.-]|$)"
)
_DOC_FILES = re.compile(r"^(.*\.(md|rst|adoc|txt)|license(\..+)?|changelog(\..+)?|authors|notice|codeowners)$")
_DOC_DIRS = {"docs", "doc", "documentation", "adr", "adrs"}
_TEST_DIRS = {"tests", "test", "__tests__", "spec", "specs", "testdata", "fixtures", "e2e"}
_TEST_FILES = re.compile(
    r"^(test_.*\.py|.*_test\.(py|go|rb|exs)|.*_spec\.rb|.*\.(test|spec)\.(js|jsx|ts|tsx|mjs)|.*tests?\.(java|kt|cs)|"
    r"conftest\.py)$"
)


def path_areas(path: str) -> frozenset[str]:
    """The areas one file belongs to; "code" when none of the others."""
    pure = PurePosixPath(path.lower())
    name, folders = pure.name, set(pure.parts[:-1])
    found = set()
    if folders & _MIGRATION_DIRS or (name.endswith(".sql") and folders & {"schema", "db", "sql"}):
        found.add(MIGRATIONS)
    if _DEPENDENCY_FILES.match(name):
        found.add(DEPENDENCIES)
    if folders & _INFRA_DIRS or _INFRA_FILES.match(name):
        found.add(INFRA)
    if _CI_PATHS.match(path.lower()):
        found.add(CI)
    if not found and (folders & _CONFIG_DIRS or _CONFIG_FILES.match(name)):
        found.add(CONFIG)
    if _AUTH_WORDS.search(path.lower().rsplit(".", 1)[0]):
        found.add(AUTH)
    if folders & _TEST_DIRS or _TEST_FILES.match(name):
        found.discard(AUTH)  # a test of the login code does not change the login code
        found.add(TESTS)
    elif not found and (folders & _DOC_DIRS or _DOC_FILES.match(name)):
        found.add(DOCS)
    if found <= {AUTH}:
        found.add(CODE)  # security-sensitive application code is still application code
    return frozenset(found)


def areas_touched(paths: list[str]) -> dict[str, list[str]]:
    """Each area with the paths in it, areas in a fixed order."""
    grouped: dict[str, list[str]] = {}
    for path in sorted(paths):
        for area in path_areas(path):
            grouped.setdefault(area, []).append(path)
    return {area: grouped[area] for area in AREA_TITLES if area in grouped}
