"""The workloads the portal writes besides the golden paths (preview environments, the Argo Rollouts example) are
admitted by the same cluster policies: a platform that ships policies its own manifests break would be no help."""

from __future__ import annotations

from pathlib import Path

import yaml

from portal.previews.examples import example_manifests
from tests.golden_paths.support import pod_spec
from tests.policy.gatekeeper import review

ROOT = Path(__file__).resolve().parent.parent.parent
ROLLOUT_EXAMPLE = ROOT / "deploy" / "examples" / "argo-rollouts" / "rollout.yaml"


def _denials(docs: list[dict]) -> dict[str, list[str]]:
    denied = {
        f"{doc['kind']}/{doc['metadata']['name']}": [f"{v.constraint}: {v.msg}" for v in review(doc)] for doc in docs
    }
    return {k: v for k, v in denied.items() if v}


def test_preview_environment_workloads_pass_every_policy() -> None:
    docs = example_manifests()
    workloads = [doc for doc in docs if pod_spec(doc) is not None]

    assert workloads, "the preview examples render no workload to check"
    assert _denials(docs) == {}


def test_the_argo_rollouts_example_passes_every_policy() -> None:
    docs = [doc for doc in yaml.safe_load_all(ROLLOUT_EXAMPLE.read_text()) if doc]

    assert [doc["kind"] for doc in docs] == ["Rollout"]
    assert _denials(docs) == {}
