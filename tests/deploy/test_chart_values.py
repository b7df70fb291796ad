"""values.yaml documents every value, and values.schema.json admits only settings the portal reads, with
secrets only as references into the secret store."""

from __future__ import annotations

import json
import re
from typing import Any

import yaml

from tests.deploy.helm import CHART
from tests.deploy.portal_settings import settings_env_names

KEY = re.compile(r"^(?P<indent> *)(?:- )?(?P<key>[A-Za-z_][\w.-]*):(?P<rest>.*)$")


def schema() -> dict[str, Any]:
    return json.loads((CHART / "values.schema.json").read_text())


def undocumented_keys(text: str) -> list[str]:
    """Keys of values.yaml with no comment above them, nor above any key they sit under."""
    missing: list[str] = []
    parents: list[tuple[int, str, bool]] = []  # (indent, key, documented) of the keys enclosing this line
    commented = False
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if stripped.startswith("#"):
            commented = True
            continue
        match = KEY.match(line)
        if not match:
            commented = commented and bool(stripped)  # a blank line ends a comment's reach
            continue
        indent = len(match["indent"])
        parents = [parent for parent in parents if parent[0] < indent]
        documented = commented or any(parent[2] for parent in parents)
        if not documented and match["rest"].strip():  # a bare "key:" is documented through its children
            missing.append(f"line {number}: " + ".".join([*(parent[1] for parent in parents), match["key"]]))
        parents.append((indent, match["key"], documented))
        commented = False
    return missing


def test_every_value_in_values_yaml_is_commented() -> None:
    assert undocumented_keys((CHART / "values.yaml").read_text()) == []


def test_the_documentation_check_finds_an_uncommented_value() -> None:
    text = "# -- documented\na: 1\nb:\n  # -- documented\n  c: 2\n  d: 3\n# -- a documented block\ne:\n  f: 4\n"
    assert undocumented_keys(text) == ["line 6: b.d"]


def test_values_yaml_matches_its_schema() -> None:
    import jsonschema

    jsonschema.Draft7Validator(schema()).validate(yaml.safe_load((CHART / "values.yaml").read_text()))


def test_schema_admits_only_settings_the_portal_reads() -> None:
    read = settings_env_names()
    config = set(schema()["properties"]["config"]["properties"])
    secrets = set(schema()["properties"]["secrets"]["properties"]["settings"]["propertyNames"]["enum"])
    assert config <= read, sorted(config - read)
    assert secrets <= read, sorted(secrets - read)
    assert not config & secrets
    # The chart sets these itself (the data folder is its emptyDir); the test database is for tests only.
    assert not {"PORTAL_DATA_DIR", "TEST_DATABASE_NAME"} & (config | secrets)


def test_every_secret_the_portal_reads_can_come_from_the_secret_store() -> None:
    # A secret store's name (INFRA_SECRET_STORE) is configuration, not a secret.
    secret = {name for name in settings_env_names() if re.search(r"TOKEN|SECRET(?!_STORE)|PASSWORD|API_KEY", name)}
    secret |= {"DATABASE_URL", "CELERY_BROKER_URL"}  # URLs that carry credentials
    config = set(schema()["properties"]["config"]["properties"])
    secrets = set(schema()["properties"]["secrets"]["properties"]["settings"]["propertyNames"]["enum"])
    assert not secret & config
    assert secret <= secrets, (
        f"add to secrets.settings' propertyNames in values.schema.json: {sorted(secret - secrets)}"
    )


def test_default_values_name_the_settings_the_portal_cannot_run_without() -> None:
    values = yaml.safe_load((CHART / "values.yaml").read_text())
    assert {"DATABASE_URL", "CELERY_BROKER_URL", "SECRET_KEY"} <= set(values["secrets"]["settings"])
    assert values["migrate"]["secretSettings"] == ["DATABASE_URL"]
