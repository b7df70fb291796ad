"""Change risk: a 0-100 score made of explained factors, a rollout strategy, and a rollback plan when it is high.

Pure: plain values in, plain values out; the selectors gather the history. The weights are calibrated so that an
ordinary small change to a tier-3 service scores low, a reviewed mid-size change to a tier-1 service medium, and a
change that stacks known risk signals (migrations, failing tests, a freeze, Friday evening, a history of failures)
high or critical. Each weight and why is in WEIGHTS; the explanation always sums to the score.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from portal.changes import areas as A
from portal.changes.rollout import rollback_plan, rollout_strategy

LEVELS = ((75, "critical"), (50, "high"), (25, "medium"), (0, "low"))

WEIGHTS: dict[str, float] = {
    # Size: review finds fewer defects per line beyond a few hundred lines (SmartBear/Cisco review study: 200-400).
    "lines_scale": 4.0,  # points = 4 * log2(1 + lines / 25): 50 lines 6, 200 lines 13, 400 lines 16
    "lines_max": 20,
    "files_scale": 2.5,  # points = 2.5 * log2(files / 5) above 5 files: 10 files 2.5, 40 files 7.5
    "files_max": 10,
    # Areas: what a bad change there costs to undo.
    A.MIGRATIONS: 15,  # schema changes do not roll back with the code
    A.INFRA: 10,  # blast radius beyond the service
    A.AUTH: 10,  # failures are security incidents
    A.DEPENDENCIES: 8,  # new code nobody here reviewed
    A.CONFIG: 6,  # often untested, takes effect everywhere at once
    A.CI: 4,  # can silently skip the checks that catch the rest
    "docs_tests_only": -15,
    "tests_alongside": -3,
    # History.
    "author_new": 6,
    "author_bad_rate": 20,  # x the share of the author's recent changes that failed, were rolled back or hurt
    "author_bad_max": 20,
    "author_clean": -4,  # 10 or more recent changes, none bad
    "area_failure": 4,
    "area_failure_max": 12,
    "area_incident": 6,
    "area_incident_max": 15,
    "open_incident": 10,
    "recent_incident": 3,
    "recent_incident_max": 9,
    # Tests.
    "tests_failing": 30,  # on its own, medium; with a tier-1 service, high
    "tests_unknown": 8,
    "coverage_low": 6,  # below 50 %
    "coverage_medium": 3,  # below 70 %
    "coverage_drop_per_point": 2,
    "coverage_drop_max": 10,
    "tests_green": -4,  # all passing, coverage 80 % or more, no drop
    # Time, in the team's timezone.
    "freeze": 40,  # any change to a tier-1 service during a freeze is high: a freeze means "not now"
    "friday_afternoon": 8,  # Friday from 15:00: fewer people around for the weekend's fallout
    "weekend": 10,
    "night": 6,  # 20:00-07:00
    # Service tier: 1 business critical, 3 best effort.
    "tier_1": 10,
    "tier_2": 5,
}


@dataclass(frozen=True)
class FileChange:
    path: str
    additions: int
    deletions: int


@dataclass(frozen=True)
class TestResults:
    passed: int | None = None
    failed: int | None = None
    coverage: float | None = None  # percent
    coverage_before: float | None = None


@dataclass(frozen=True)
class History:
    """What the portal remembers about the author, the files and the service before this change."""

    author_changes: int = 0
    author_bad: int = 0  # failed, rolled back, or linked to an incident
    area_failures: int = 0  # earlier changes to the same files that failed or were rolled back
    area_incidents: int = 0  # incidents whose root-cause change touched the same files
    open_incidents: int = 0
    recent_incidents: int = 0  # on the service, last 30 days
    window_days: int = 90


@dataclass(frozen=True)
class ChangeFacts:
    service: str
    tier: int
    files: tuple[FileChange, ...]
    at: datetime  # timezone-aware, already in the team's timezone
    author: str = ""
    tests: TestResults | None = None
    history: History = field(default_factory=History)
    freezes: tuple[str, ...] = ()  # reasons of the freezes in force at `at`
    previous_version: str = ""  # the last successful deploy, for the rollback plan
    rollback_runbook: str = ""  # "rollback-deploy" when that runbook exists


@dataclass(frozen=True)
class Factor:
    key: str
    points: int
    reason: str

    def as_dict(self) -> dict[str, Any]:
        return {"key": self.key, "points": self.points, "reason": self.reason}


@dataclass(frozen=True)
class Assessment:
    score: int
    level: str
    factors: tuple[Factor, ...]
    areas: dict[str, list[str]]
    strategy: dict[str, Any]
    rollback: dict[str, Any] | None


def assess(facts: ChangeFacts) -> Assessment:
    """Score a change, explain the score factor by factor, and say how to roll it out and back."""
    touched = A.areas_touched([f.path for f in facts.files])
    factors = [
        f
        for f in (
            *size_factors(facts.files),
            *area_factors(touched),
            *history_factors(facts.author, facts.history),
            *test_factors(facts.tests, docs_tests_only=_docs_tests_only(touched)),
            *time_factors(facts.at, facts.freezes),
            tier_factor(facts.tier),
        )
        if f is not None and f.points != 0
    ]
    factors = _bounded(factors)
    score = sum(f.points for f in factors)
    level = level_for(score)
    strategy = rollout_strategy(level=level, areas=set(touched), service=facts.service)
    rollback = (
        rollback_plan(
            previous_version=facts.previous_version,
            runbook=facts.rollback_runbook,
            migrations=touched.get(A.MIGRATIONS, []),
            strategy=strategy["name"],
        )
        if level in ("high", "critical")
        else None
    )
    return Assessment(score, level, tuple(factors), touched, strategy, rollback)


def level_for(score: int) -> str:
    return next(name for floor, name in LEVELS if score >= floor)


def _bounded(factors: list[Factor]) -> list[Factor]:
    """Keep the score in 0-100 with one visible correction, so the factors still sum to it."""
    total = sum(f.points for f in factors)
    if total > 100:
        return [*factors, Factor("cap", 100 - total, f"Capped at 100 (the factors add up to {total}).")]
    if total < 0:
        return [*factors, Factor("floor", -total, f"Raised to 0 (the factors add up to {total}).")]
    return factors


def size_factors(files: tuple[FileChange, ...]) -> list[Factor]:
    lines = sum(f.additions + f.deletions for f in files)
    added, removed = sum(f.additions for f in files), sum(f.deletions for f in files)
    line_points = min(WEIGHTS["lines_max"], round(WEIGHTS["lines_scale"] * math.log2(1 + lines / 25)))
    why = (
        "a small change"
        if lines <= 100
        else "a mid-size change"
        if lines <= 400
        else "reviews catch less once a change passes a few hundred lines"
    )
    size = Factor("diff_size", int(line_points), f"{lines} lines changed (+{added}/-{removed}): {why}.")
    count = len(files)
    file_points = 0 if count <= 5 else min(WEIGHTS["files_max"], round(WEIGHTS["files_scale"] * math.log2(count / 5)))
    spread = Factor("files", int(file_points), f"{count} files touched; a wide change is harder to reason about.")
    return [size, spread]


def _docs_tests_only(touched: dict[str, list[str]]) -> bool:
    return bool(touched) and set(touched) <= {A.DOCS, A.TESTS}


def area_factors(touched: dict[str, list[str]]) -> list[Factor]:
    found: list[Factor] = []
    for area in (A.MIGRATIONS, A.INFRA, A.AUTH, A.DEPENDENCIES, A.CONFIG, A.CI):
        if area in touched:
            paths = touched[area]
            shown = ", ".join(paths[:3]) + (f" and {len(paths) - 3} more" if len(paths) > 3 else "")
            reason = f"Touches {A.AREA_TITLES[area]}: {shown}."
            found.append(Factor(f"area_{area}", int(WEIGHTS[area]), reason))
    if _docs_tests_only(touched):
        found.append(Factor("docs_tests_only", int(WEIGHTS["docs_tests_only"]), "Only documentation and tests change."))
    elif A.TESTS in touched and A.CODE in touched:
        found.append(Factor("tests_alongside", int(WEIGHTS["tests_alongside"]), "Tests change with the code."))
    return found


def history_factors(author: str, history: History) -> list[Factor]:
    days, found = history.window_days, list[Factor]()
    if author and history.author_changes == 0:
        found.append(Factor("author_new", int(WEIGHTS["author_new"]), f"No earlier change by {author} in {days} days."))
    elif author and history.author_bad:
        rate = history.author_bad / history.author_changes
        points = min(WEIGHTS["author_bad_max"], round(WEIGHTS["author_bad_rate"] * rate))
        reason = (
            f"{history.author_bad} of {author}'s {history.author_changes} changes in {days} days failed, "
            "were rolled back or were linked to an incident."
        )
        found.append(Factor("author_history", int(max(points, 1)), reason))
    elif author and history.author_changes >= 10:
        reason = f"{author} made {history.author_changes} changes in {days} days and none failed."
        found.append(Factor("author_history", int(WEIGHTS["author_clean"]), reason))
    if history.area_failures:
        points = min(WEIGHTS["area_failure_max"], WEIGHTS["area_failure"] * history.area_failures)
        reason = f"{history.area_failures} earlier change(s) to the same files failed or were rolled back."
        found.append(Factor("area_history", int(points), reason))
    if history.area_incidents:
        points = min(WEIGHTS["area_incident_max"], WEIGHTS["area_incident"] * history.area_incidents)
        reason = f"{history.area_incidents} incident(s) were traced to earlier changes of the same files."
        found.append(Factor("file_incidents", int(points), reason))
    if history.open_incidents:
        reason = f"The service has {history.open_incidents} open incident(s): a change now muddies the diagnosis."
        found.append(Factor("open_incidents", int(WEIGHTS["open_incident"]), reason))
    if history.recent_incidents:
        points = min(WEIGHTS["recent_incident_max"], WEIGHTS["recent_incident"] * history.recent_incidents)
        reason = f"{history.recent_incidents} incident(s) on the service in the last 30 days."
        found.append(Factor("service_incidents", int(points), reason))
    return found


def test_factors(tests: TestResults | None, *, docs_tests_only: bool) -> list[Factor]:
    if tests is None or (tests.passed is None and tests.failed is None and tests.coverage is None):
        if docs_tests_only:
            return []
        return [Factor("tests_unknown", int(WEIGHTS["tests_unknown"]), "No test results were reported.")]
    found: list[Factor] = []
    if tests.failed:
        found.append(Factor("tests_failing", int(WEIGHTS["tests_failing"]), f"{tests.failed} test(s) fail."))
    drop = 0.0
    if tests.coverage is not None and tests.coverage_before is not None:
        drop = tests.coverage_before - tests.coverage
    if tests.coverage is not None and tests.coverage < 50:
        found.append(Factor("coverage", int(WEIGHTS["coverage_low"]), f"Coverage is {tests.coverage:.1f} %."))
    elif tests.coverage is not None and tests.coverage < 70:
        found.append(Factor("coverage", int(WEIGHTS["coverage_medium"]), f"Coverage is {tests.coverage:.1f} %."))
    if drop >= 0.5:
        points = min(WEIGHTS["coverage_drop_max"], round(WEIGHTS["coverage_drop_per_point"] * drop))
        reason = f"Coverage drops {drop:.1f} points ({tests.coverage_before:.1f} % to {tests.coverage:.1f} %)."
        found.append(Factor("coverage_drop", int(max(points, 1)), reason))
    if not tests.failed and (tests.coverage or 0) >= 80 and drop < 0.5:
        passed = f"{tests.passed} tests pass" if tests.passed is not None else "Tests pass"
        reason = f"{passed} with {tests.coverage:.1f} % coverage."
        found.append(Factor("tests_green", int(WEIGHTS["tests_green"]), reason))
    return found


def time_factors(at: datetime, freezes: tuple[str, ...]) -> list[Factor]:
    found: list[Factor] = []
    when = f"{at:%A %H:%M} ({at.tzname() or 'UTC'})"
    if freezes:
        reason = f"A change freeze is in force: {'; '.join(freezes)}."
        found.append(Factor("freeze", int(WEIGHTS["freeze"]), reason))
    if at.weekday() >= 5:
        found.append(Factor("weekend", int(WEIGHTS["weekend"]), f"Weekend: {when}, with few people around."))
    elif at.weekday() == 4 and at.hour >= 15:
        reason = f"Friday afternoon or evening: {when}; problems surface over the weekend."
        found.append(Factor("friday", int(WEIGHTS["friday_afternoon"]), reason))
    if at.hour >= 20 or at.hour < 7:
        found.append(Factor("night", int(WEIGHTS["night"]), f"Outside working hours: {when}."))
    return found


def tier_factor(tier: int) -> Factor | None:
    points = int(WEIGHTS.get(f"tier_{tier}", 0))
    names = {1: "business critical", 2: "important", 3: "best effort"}
    return Factor("tier", points, f"Tier {tier} service ({names.get(tier, 'unknown')}).")
