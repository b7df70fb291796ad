"""KRR's `simple` strategy reproduces every case of krr_simple_expected.json."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from portal.finops.strategies import History, KrrSimple, KrrSimpleSettings, OomKill
from portal.finops.strategies.base import MIB
from portal.finops.strategies.krr_simple import cpu_proposal, memory_proposal, round_cpu, round_memory

FIXTURE = json.loads(
    (Path(__file__).resolve().parents[2].parent / "shared/testdata/rightsizing/krr_simple_expected.json").read_text()
)
CASES = FIXTURE["cases"]


def settings_for(case: dict) -> KrrSimpleSettings:
    # The fixture's settings block leaves OOM data off, yet its second case applies the OOM buffer: turn it on
    # whenever a case carries an OOM-killed limit (with it off, that case would give the first case's answer).
    use_oom = case["input"]["max_oomkill_limit_bytes"] > 0
    return KrrSimpleSettings.from_mapping({**FIXTURE["settings"], "use_oomkill_data": use_oom})


def test_the_fixture_settings_are_krrs_defaults_for_simple() -> None:
    assert KrrSimpleSettings.from_mapping(FIXTURE["settings"]) == KrrSimpleSettings()


@pytest.mark.parametrize("case", CASES, ids=lambda case: f"oom={case['input']['max_oomkill_limit_bytes']}")
def test_the_strategy_arithmetic_matches_the_fixture(case: dict) -> None:
    given, raw = case["input"], case["strategy_raw"]
    assert cpu_proposal(given["PercentileCPULoader_per_pod"]) == raw["cpu_request"]
    memory = memory_proposal(
        given["MaxMemoryLoader_per_pod_bytes"], settings_for(case), max_oomkill_limit=given["max_oomkill_limit_bytes"]
    )
    assert memory == pytest.approx(raw["memory_request"], rel=1e-12)
    assert raw.get("memory_limit", raw["memory_request"]) == raw["memory_request"]


@pytest.mark.parametrize("case", CASES, ids=lambda case: f"oom={case['input']['max_oomkill_limit_bytes']}")
def test_the_runner_rounding_matches_the_fixture(case: dict) -> None:
    raw, rounded = case["strategy_raw"], case["after_runner_rounding"]
    assert round_cpu(raw["cpu_request"]) == rounded["cpu_request_cores"]
    assert round_memory(raw["memory_request"]) == rounded["memory_bytes"]


@pytest.mark.parametrize("case", CASES, ids=lambda case: f"oom={case['input']['max_oomkill_limit_bytes']}")
def test_run_on_raw_samples_gives_the_fixtures_answer(case: dict) -> None:
    history = _history_matching(case)
    answer = KrrSimple(settings_for(case)).run(history)
    rounded = case["after_runner_rounding"]
    assert answer.cpu_request == rounded["cpu_request_cores"]
    assert answer.memory_request == answer.memory_limit == rounded["memory_bytes"]
    assert answer.cpu_limit is None
    assert ("OOMKill detected" in answer.notes) == (case["input"]["max_oomkill_limit_bytes"] > 0)


def test_too_few_points_is_undefined_with_the_reason() -> None:
    history = History.of("app", [(60.0 * i, 0.1, 100 * MIB) for i in range(99)])
    answer = KrrSimple().run(history)
    assert not answer.defined
    assert answer.undefined_because == "undefined, because the history has 99 samples and 100 are needed"


def test_an_hpa_on_cpu_leaves_cpu_undefined_unless_allowed() -> None:
    history = History.of("app", [(60.0 * i, 0.1, 100 * MIB) for i in range(200)])
    scaled = replace(history, hpa_resources=frozenset({"cpu"}))
    answer = KrrSimple().run(scaled)
    assert answer.cpu_request is None
    assert answer.memory_request is not None
    assert answer.undefined_because == "undefined, because an HPA scales on cpu"
    assert KrrSimple(KrrSimpleSettings(allow_hpa=True)).run(scaled).cpu_request is not None


def test_only_the_history_duration_counts() -> None:
    old_peak = [(0.0, 2.0, 4000 * MIB)]
    recent = [(3600.0 * 400 + 60 * i, 0.1, 200 * MIB) for i in range(200)]
    answer = KrrSimple().run(History.of("app", old_peak + recent))
    assert answer.memory_limit == round_memory(200 * MIB * 1.15)


def _history_matching(case: dict) -> History:
    """Raw samples whose per-pod p95 and peak are the fixture's loader outputs, 120 one-minute samples per pod."""
    given = case["input"]
    times, cpu, memory, pods = [], [], [], []
    for pod, [p95] in given["PercentileCPULoader_per_pod"].items():
        peaks = given["MaxMemoryLoader_per_pod_bytes"][pod]
        for i in range(120):
            times.append(60.0 * i)
            cpu.append(p95)  # a flat series: every quantile equals it
            memory.append(max(peaks) if i == 60 else min(peaks))
            pods.append(pod)
    order = np.argsort(times, kind="stable")
    kills = (
        (OomKill(60.0, 0.0, given["max_oomkill_limit_bytes"], pod="pod-a"),) if given["max_oomkill_limit_bytes"] else ()
    )
    return History(
        "app",
        np.array(times)[order],
        np.array(cpu)[order],
        np.array(memory, dtype=float)[order],
        tuple(np.array(pods)[order].tolist()),
        kills,
    )
