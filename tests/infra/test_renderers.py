"""Both renderers' output: claims valid against the XRDs we ship, ExternalSecrets and XRDs as documented,
Terraform module calls that parse as HCL, pass only declared variables and are laid out as terraform fmt does."""

from __future__ import annotations

import re
from typing import Any

import hcl2
import jsonschema
import pytest
import yaml

from portal.core.labels import REQUIRED, missing_labels
from portal.infra import crossplane, terraform
from portal.infra.contracts import shipped_files
from portal.infra.examples import example_manifests, example_specs
from portal.infra.kinds import KINDS
from portal.infra.spec import ResourceSpec

GROUP = "platform.acme.io"
SPECS = example_specs()

# The documented fields (external-secrets.io API reference, ExternalSecret v1beta1) we rely on.
EXTERNAL_SECRET = {
    "type": "object",
    "required": ["apiVersion", "kind", "metadata", "spec"],
    "properties": {
        "apiVersion": {"enum": ["external-secrets.io/v1beta1", "external-secrets.io/v1"]},
        "kind": {"const": "ExternalSecret"},
        "metadata": {"type": "object", "required": ["name", "namespace"]},
        "spec": {
            "type": "object",
            "required": ["secretStoreRef", "target"],
            "additionalProperties": False,
            "properties": {
                "refreshInterval": {"type": "string", "pattern": "^([0-9]+(ns|us|ms|s|m|h))+$"},
                "secretStoreRef": {
                    "type": "object",
                    "required": ["name"],
                    "additionalProperties": False,
                    "properties": {"name": {"type": "string"}, "kind": {"enum": ["SecretStore", "ClusterSecretStore"]}},
                },
                "target": {
                    "type": "object",
                    "additionalProperties": False,
                    "properties": {
                        "name": {"type": "string"},
                        "creationPolicy": {"enum": ["Owner", "Orphan", "Merge", "None"]},
                        "template": {"type": "object"},
                    },
                },
                "data": {"type": "array"},
                "dataFrom": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {"extract": {"type": "object", "required": ["key"]}},
                    },
                },
            },
        },
    },
}

# The documented CompositeResourceDefinition fields (apiextensions.crossplane.io/v1).
XRD = {
    "type": "object",
    "required": ["apiVersion", "kind", "metadata", "spec"],
    "properties": {
        "apiVersion": {"const": "apiextensions.crossplane.io/v1"},
        "kind": {"const": "CompositeResourceDefinition"},
        "spec": {
            "type": "object",
            "required": ["group", "names", "versions"],
            "additionalProperties": False,
            "properties": {
                "group": {"type": "string"},
                "names": {"type": "object", "required": ["kind", "plural"]},
                "claimNames": {"type": "object", "required": ["kind", "plural"]},
                "connectionSecretKeys": {"type": "array", "items": {"type": "string"}},
                "versions": {
                    "type": "array",
                    "minItems": 1,
                    "items": {
                        "type": "object",
                        "required": ["name", "served", "referenceable", "schema"],
                        "properties": {"schema": {"type": "object", "required": ["openAPIV3Schema"]}},
                    },
                },
            },
        },
    },
}


def claim_of(spec: ResourceSpec) -> dict[str, Any]:
    return crossplane.claim(spec, group=GROUP, store_config="vault", provider="aws", request_id="r-1")


def structural_problems(schema: dict[str, Any], where: str = "") -> list[str]:
    """Kubernetes structural-schema rules: every node typed; properties and additionalProperties never together."""
    problems = [] if "type" in schema else [f"{where or '.'}: no type"]
    if "properties" in schema and "additionalProperties" in schema:
        problems.append(f"{where}: properties with additionalProperties")
    for name, child in schema.get("properties", {}).items():
        problems += structural_problems(child, f"{where}.{name}")
    return problems


def test_the_shipped_xrds_and_module_interfaces_are_the_generated_ones() -> None:
    for path, text in shipped_files().items():
        assert path.read_text() == text, f"{path} is stale: run python -m portal.infra.contracts"


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_each_xrd_has_the_documented_shape_and_a_structural_schema(kind: str) -> None:
    xrd = yaml.safe_load((crossplane.XRD_DIR / f"{kind}.yaml").read_text())
    jsonschema.validate(xrd, XRD)
    spec = xrd["spec"]
    assert xrd["metadata"]["name"] == f"{spec['names']['plural']}.{spec['group']}"
    assert spec["names"]["kind"] == "X" + spec["claimNames"]["kind"]
    assert spec["names"]["plural"].islower()
    assert spec["claimNames"]["plural"].islower()
    schema = spec["versions"][0]["schema"]["openAPIV3Schema"]
    jsonschema.Draft7Validator.check_schema(schema)
    assert structural_problems(schema) == []


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.name)
def test_every_claim_is_valid_against_its_xrd_and_carries_the_labels(spec: ResourceSpec) -> None:
    claim = claim_of(spec)
    xrd = yaml.safe_load((crossplane.XRD_DIR / f"{spec.kind.name}.yaml").read_text())
    version = xrd["spec"]["versions"][0]

    assert claim["apiVersion"] == f"{xrd['spec']['group']}/{version['name']}"
    assert claim["kind"] == xrd["spec"]["claimNames"]["kind"]
    jsonschema.validate(claim, version["schema"]["openAPIV3Schema"])
    parameters = version["schema"]["openAPIV3Schema"]["properties"]["spec"]["properties"]["parameters"]
    assert set(claim["spec"]["parameters"]) == set(parameters["properties"])  # nothing Kubernetes would prune
    assert missing_labels(claim) == []


def test_a_claim_with_a_value_outside_the_xrd_is_refused() -> None:
    """A control: the validation above can fail."""
    claim = claim_of(SPECS[0])
    claim["spec"]["parameters"]["size"] = "enormous"
    xrd = yaml.safe_load((crossplane.XRD_DIR / f"{SPECS[0].kind.name}.yaml").read_text())
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(claim, xrd["spec"]["versions"][0]["schema"]["openAPIV3Schema"])


def test_every_example_manifest_is_labelled_and_every_external_secret_has_the_documented_fields() -> None:
    manifests = example_manifests()

    assert len(manifests) == 2 * len(SPECS)
    assert [m for m in manifests if missing_labels(m)] == []
    secrets = [m for m in manifests if m["kind"] == "ExternalSecret"]
    assert len(secrets) == len(SPECS)
    for secret in secrets:
        jsonschema.validate(secret, EXTERNAL_SECRET)
        assert secret["spec"]["dataFrom"][0]["extract"]["key"].startswith("platform/payments/")


def test_claims_publish_connection_details_to_the_secret_store_the_external_secret_reads() -> None:
    for spec in SPECS:
        claim = claim_of(spec)
        assert claim["spec"]["publishConnectionDetailsTo"]["name"] == spec.secret_path
        assert "writeConnectionSecretToRef" not in claim["spec"]


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.name)
def test_every_module_call_parses_and_passes_only_declared_variables(spec: ResourceSpec) -> None:
    text = terraform.module_call(spec, source="git::https://example.test/modules.git//x?ref=v1", request_id="r-1")
    (module,) = hcl2.loads(text)["module"]
    ((label, body),) = module.items()
    variables = hcl2.loads((terraform.MODULES_DIR / spec.kind.name / "variables.tf").read_text())["variable"]
    declared = {name.strip('"') for block in variables for name in block}

    assert label.strip('"') == spec.name.replace("-", "_")
    arguments = {key for key in body if key not in ("__is_block__", "source")}
    assert arguments == declared  # every variable passed (none has a default), none unknown
    assert "version" not in body  # a module's own meta-argument; the engine version is engine_version
    tags = {key.strip('"'): value.strip('"') for key, value in body["tags"].items()}
    assert tags == spec.labels
    assert set(tags) == set(REQUIRED)


@pytest.mark.parametrize("spec", SPECS[:4], ids=lambda s: s.name)
def test_module_calls_are_laid_out_as_terraform_fmt_lays_them_out(spec: ResourceSpec) -> None:
    text = terraform.module_call(spec, source="git::https://example.test/m.git//x?ref=v1", request_id="r-1")
    lines = text.split("\n")

    assert text.endswith("}\n")
    assert not text.endswith("\n\n")
    assert all(line == line.rstrip() for line in lines), "no trailing whitespace"
    assert all(len(line) - len(line.lstrip(" ")) in (0, 2, 4) for line in lines), "two-space indents"
    assert "\t" not in text
    for group in _attribute_groups(lines):
        columns = {line.index(" = ") for line in group}
        assert len(columns) == 1, f"'=' not aligned in {group}"


def _attribute_groups(lines: list[str]) -> list[list[str]]:
    """Runs of consecutive one-line attributes at the same depth (terraform fmt aligns each run)."""
    groups: list[list[str]] = []
    current: list[str] = []
    depth = -1
    for line in lines:
        one_line = re.match(r"^( *)[\w\"./-]+ += [^{]*$", line)
        line_depth = len(line) - len(line.lstrip(" "))
        if one_line and (not current or line_depth == depth):
            current.append(line)
            depth = line_depth
            continue
        if current:
            groups.append(current)
        current, depth = ([line], line_depth) if one_line else ([], -1)
    return [g for g in [*groups, current] if g]


def test_hcl_strings_escape_template_markers() -> None:
    assert terraform.hcl_string('a"${b}%{c}') == '"a\\"$${b}%%{c}"'
    assert hcl2.loads(f"x = {terraform.hcl_string('${nope}')}\n")["x"] == '"$${nope}"'
