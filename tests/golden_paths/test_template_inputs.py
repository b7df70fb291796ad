"""Answers are user input: a bad one is refused before any file is written, and none can run code."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import jsonschema
import pytest
import yaml
from cookiecutter.exceptions import FailedHookException
from cookiecutter.main import cookiecutter

from tests.golden_paths.support import (
    PATHS,
    TEMPLATES,
    cookiecutter_defaults,
    golden_path_meta,
    isolated_config,
    render,
)

DNS_1123_LABEL = "^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$"
MALICIOUS_NAME = 'x"; import os; os.system("touch /tmp/pwned"); "'
PWNED = Path("/tmp/pwned")  # noqa: S108 - the file the brief's payload would create


def inputs_module(path: str) -> Path:
    return TEMPLATES / path / f"{path.replace('-', '_')}_inputs.py"


def free_text_fields(path: str) -> list[str]:
    """Answers checked by a pattern rather than a list of choices, description aside (it is prose)."""
    properties = golden_path_meta(path)["parameters"]["properties"]
    return [name for name, rules in properties.items() if "enum" not in rules and name != "description"]


def nothing_written(workdir: Path) -> bool:
    return not any((workdir / "out").iterdir()) and not any((workdir / "replay").glob("*"))


@pytest.mark.parametrize("path", PATHS)
def test_a_name_that_would_inject_code_is_refused_before_any_file_is_written(path: str, tmp_path: Path) -> None:
    pwned_before = PWNED.exists()

    with pytest.raises(ValueError, match="name: must match"):
        render(path, tmp_path, name=MALICIOUS_NAME)

    assert nothing_written(tmp_path)
    assert pwned_before or not PWNED.exists()


@pytest.mark.parametrize(("path", "field"), [(p, f) for p in PATHS for f in free_text_fields(p)])
def test_code_in_any_answer_is_refused_and_never_runs(path: str, field: str, tmp_path: Path) -> None:
    marker = tmp_path / "pwned"

    with pytest.raises(ValueError, match=f"^{field}: "):
        render(path, tmp_path, **{field: f'x"; import os; os.system("touch {marker}"); "'})

    assert nothing_written(tmp_path)
    assert not marker.exists()


@pytest.mark.parametrize("name", ["Orders", "-orders", "orders-", "orders_api", "a" * 64, "orders\n", ""])
def test_names_that_are_not_dns_labels_are_refused(name: str, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="name"):
        render("python-http-service", tmp_path, name=name)


def test_template_syntax_in_an_answer_is_refused_before_cookiecutter_renders_it(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    payload = "{{ cycler.__init__.__globals__.os.system('touch " + str(marker) + "') }}"

    with pytest.raises(ValueError, match="template syntax is not accepted"):
        render("python-http-service", tmp_path, description=payload)

    assert not marker.exists()
    assert nothing_written(tmp_path)


def test_without_the_guard_cookiecutter_would_run_template_syntax_from_an_answer(tmp_path: Path) -> None:
    """Why the guard exists: cookiecutter renders every answer as Jinja, in an unsandboxed environment."""
    template = shutil.copytree(TEMPLATES / "python-http-service", tmp_path / "unguarded")
    context = json.loads((template / "cookiecutter.json").read_text())
    for guard in ("_extensions", "__inputs_checked"):
        del context[guard]
    (template / "cookiecutter.json").write_text(json.dumps(context))
    shutil.rmtree(template / "hooks")
    marker = tmp_path / "pwned"
    payload = "{{ cycler.__init__.__globals__.os.system('touch " + str(marker) + "') }}"

    cookiecutter(
        str(template),
        no_input=True,
        extra_context={"description": payload},
        output_dir=str(tmp_path / "out"),
        default_config=isolated_config(tmp_path),
    )

    assert marker.exists()


def test_a_replayed_answer_file_is_checked_again_before_any_file_is_written(tmp_path: Path) -> None:
    render("python-http-service", tmp_path / "first")
    replay = tmp_path / "first" / "replay" / "python-http-service.json"
    answers = json.loads(replay.read_text())
    answers["cookiecutter"]["name"] = 'x"; import os; os.system("id"); "'
    replay.write_text(json.dumps(answers))
    (tmp_path / "second").mkdir()

    with pytest.raises(FailedHookException):
        cookiecutter(
            str(TEMPLATES / "python-http-service"),
            replay=str(replay),
            output_dir=str(tmp_path / "second"),
            default_config=isolated_config(tmp_path / "first"),
        )

    assert list((tmp_path / "second").iterdir()) == []


def test_a_description_with_quotes_and_yaml_syntax_is_kept_verbatim_as_data(tmp_path: Path) -> None:
    description = 'He said "hi": #1 \\ done; x"; import os; os.system("touch /tmp/pwned"); " - ünïcode'

    repo = render("python-http-service", tmp_path, description=description)

    assert yaml.safe_load((repo / "catalog-info.yaml").read_text())["metadata"]["description"] == description
    service, *_slos = yaml.safe_load_all((repo / "slo" / "openslo.yaml").read_text())
    assert service["spec"]["description"] == description
    assert description not in "".join(p.read_text() for p in (repo / "src").rglob("*.py"))


@pytest.mark.parametrize("path", PATHS)
def test_every_value_rendered_into_python_goes_through_tojson(path: str) -> None:
    sources = [*(TEMPLATES / path / "{{cookiecutter.name}}").rglob("*.py"), *(TEMPLATES / path / "hooks").glob("*.py")]
    expressions = [e for p in sources for e in re.findall(r"\{\{.*?\}\}", p.read_text())]

    assert expressions
    assert [e for e in expressions if not re.search(r"\| tojson \}\}$|\| tojson \| tojson \}\}$", e)] == []


@pytest.mark.parametrize("path", PATHS)
def test_golden_path_yaml_describes_exactly_the_templates_answers(path: str) -> None:
    meta = golden_path_meta(path)
    schema = meta["parameters"]
    answers = {k: v for k, v in cookiecutter_defaults(path).items() if not k.startswith("_")}

    jsonschema.Draft202012Validator.check_schema(schema)
    assert meta["name"] == path
    assert re.fullmatch(r"\d+\.\d+\.\d+", meta["version"])
    assert meta["version"] == cookiecutter_defaults(path)["_golden_path"]["version"]
    assert schema["additionalProperties"] is False
    assert set(schema["properties"]) == set(answers)
    for key, default in answers.items():
        rules = schema["properties"][key]
        assert rules["type"] == "string"
        if isinstance(default, list):  # a cookiecutter choice: its first item is the default
            assert (rules["enum"], rules["default"]) == (default, default[0])
        else:
            assert rules["default"] == default
            assert rules["pattern"].startswith("^"), key
            assert rules["pattern"].endswith("$"), key
            assert "maxLength" in rules, key
    jsonschema.Draft202012Validator(schema).validate({k: r["default"] for k, r in schema["properties"].items()})


@pytest.mark.parametrize("path", PATHS)
def test_the_schema_requires_a_dns_label_name_an_owner_and_a_tier(path: str) -> None:
    schema = golden_path_meta(path)["parameters"]
    validator = jsonschema.Draft202012Validator(schema)
    valid = {"name": "orders", "owner": "group:default/payments", "tier": "1"}

    assert {"name", "owner", "tier"} <= set(schema["required"])
    assert schema["properties"]["name"]["pattern"] == DNS_1123_LABEL
    assert schema["properties"]["name"]["maxLength"] == 63
    assert sorted(schema["properties"]["tier"]["enum"]) == ["1", "2", "3"]
    assert schema["properties"]["python_version"]["enum"]
    assert validator.is_valid(valid)
    assert not validator.is_valid({**valid, "name": MALICIOUS_NAME})
    assert not validator.is_valid({**valid, "tier": "4"})
    assert not validator.is_valid({**valid, "_extensions": ["os.system"]})


def test_the_answer_checks_are_the_same_code_in_every_template() -> None:
    modules = {inputs_module(p).read_text() for p in PATHS}
    hooks = {
        (TEMPLATES / p / "hooks" / "pre_gen_project.py").read_text().replace(inputs_module(p).stem, "X") for p in PATHS
    }

    assert len(modules) == 1
    assert len(hooks) == 1


@pytest.mark.parametrize(
    "relative",
    [
        "{{cookiecutter.name}}/src/app/telemetry.py",
        "{{cookiecutter.name}}/tests/test_telemetry.py",
        "{{cookiecutter.name}}/.github/workflows/ci.yaml",
        "{{cookiecutter.name}}/.gitlab-ci.yml",
    ],
)
def test_shared_files_are_identical_in_every_template(relative: str) -> None:
    assert len({(TEMPLATES / p / relative).read_text() for p in PATHS}) == 1
