"""A floor on bench/rca_deep.py: on generated deep-dependency variants, traces name the slowed service."""

from __future__ import annotations

import importlib.util
import random
import sys
from pathlib import Path
from types import ModuleType

BENCH = Path(__file__).resolve().parents[2] / "bench" / "rca_deep.py"


def _bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("rca_deep", BENCH)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["rca_deep"] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def test_traces_name_the_slowed_dependency_where_metrics_alone_blame_the_front_end() -> None:
    bench = _bench()
    rng = random.Random(11)  # noqa: S311 - reproducible variants
    variants = [bench.variant(i, rng) for i in range(6)]
    assert {v.depth for v in variants} - {1}, "the sample must include culprits deeper than one hop"
    with_traces = [bench.hit(bench.analyse(v, with_traces=True), v.culprit, 1) for v in variants]
    without = [bench.hit(bench.analyse(v, with_traces=False), v.culprit, 1) for v in variants]
    assert sum(with_traces) >= 5, [(v.name, v.culprit, v.depth) for v in variants]
    assert sum(with_traces) > sum(without)
