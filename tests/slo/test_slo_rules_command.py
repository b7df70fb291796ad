"""`manage.py slo_rules FILE`: rules on stdout, or exit code 2 naming the field and the reason."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from django.core.management import call_command
from django.core.management.base import CommandError

from tests.slo.support import PYRRA, ROOT, SLOTH
from tests.slo.test_sloth_fixtures import comparable, sloth_expected


def slo_rules(*args: str) -> dict:
    """Run the command and return the YAML it printed."""
    out = io.StringIO()
    call_command("slo_rules", *args, stdout=out)
    return yaml.safe_load(out.getvalue())


def test_it_prints_a_rules_file_matching_sloth() -> None:
    got = slo_rules(str(SLOTH / "in-base.yaml"), "--default-period", "7d", "--windows", str(SLOTH / "windows-7d.yaml"))

    expected = sloth_expected("out-base-custom-windows-7d.yaml.tpl")
    assert [[comparable(r) for r in g["rules"]] for g in got["groups"]] == [
        [comparable(r) for r in g["rules"]] for g in expected["groups"]
    ]


def test_it_prints_a_prometheus_rule_named_after_the_objective() -> None:
    got = slo_rules(str(PYRRA / "example-prometheus-http.yaml"), "--format", "prometheusrule", "--disable-alerts")

    assert (got["kind"], got["metadata"]["name"]) == ("PrometheusRule", "prometheus-api-query")
    assert got["metadata"]["labels"]["prometheus"] == "k8s"
    assert [g["name"] for g in got["spec"]["groups"]] == [
        "sloth-slo-sli-recordings-prometheus-api-query-prometheus-api-query",
        "sloth-slo-meta-recordings-prometheus-api-query-prometheus-api-query",
    ]


def test_it_reads_standard_input_and_adds_extra_labels(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO((SLOTH / "in-openslo.yaml").read_text(encoding="utf-8")))

    got = slo_rules("-", "--extra-label", "team=payments")

    assert all(rule["labels"]["team"] == "payments" for group in got["groups"] for rule in group["rules"])


def test_an_invalid_spec_exits_with_2_naming_the_field_and_reason(tmp_path: Path) -> None:
    spec = tmp_path / "slo.yaml"
    spec.write_text((SLOTH / "in-base.yaml").read_text(encoding="utf-8").replace("objective: 95", "objective: 100"))

    with pytest.raises(CommandError) as caught:
        call_command("slo_rules", str(spec))

    assert caught.value.returncode == 2
    assert str(caught.value) == (
        f"{spec}: invalid Sloth SLO spec\n"
        "  slos[1].objective: must be a percentage between 0 and 100, both excluded, got 100"
    )


@pytest.mark.parametrize(
    ("args", "field"),
    [
        (["--default-period", "30x"], "--default-period"),
        (["--extra-label", "bad-name=x"], "--extra-label"),
        (["--windows", "/nonexistent/windows.yaml"], "/nonexistent/windows.yaml"),
    ],
)
def test_bad_options_exit_with_2(args: list[str], field: str) -> None:
    with pytest.raises(CommandError) as caught:
        call_command("slo_rules", str(SLOTH / "in-base.yaml"), *args)

    assert caught.value.returncode == 2
    assert f"\n  {field}: " in str(caught.value)


def test_the_real_command_line_exits_with_2_and_explains_on_stderr(tmp_path: Path) -> None:
    spec = tmp_path / "slo.yaml"
    spec.write_text("apiVersion: pyrra.dev/v1alpha1\nkind: ServiceLevelObjective\nmetadata: {name: x}\nspec: {}\n")
    env = {**os.environ, "DATABASE_URL": "postgresql://unused@localhost/unused"}

    result = subprocess.run(
        [sys.executable, "manage.py", "slo_rules", str(spec)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert result.returncode == 2
    assert result.stdout == ""
    assert "spec.target: is required" in result.stderr
    assert "spec.indicator: is required" in result.stderr
