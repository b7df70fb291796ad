"""Change risk scoring: every factor explains itself, moves the score the right way, and the parts sum to the whole."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from portal.changes import risk
from portal.changes.areas import path_areas
from portal.changes.risk import ChangeFacts, FileChange, History, assess
from portal.changes.risk import TestResults as Results

BERLIN = ZoneInfo("Europe/Berlin")
TUESDAY_MORNING = datetime(2026, 11, 24, 10, 0, tzinfo=BERLIN)
GREEN = Results(passed=120, failed=0, coverage=84.0, coverage_before=84.0)


def _facts(**changes: object) -> ChangeFacts:
    """A small, tested change to a tier-2 service on a Tuesday morning by a known author: the baseline."""
    base = ChangeFacts(
        service="payments-api",
        tier=2,
        files=(FileChange("src/payments/api.py", 12, 4), FileChange("tests/test_api.py", 20, 0)),
        at=TUESDAY_MORNING,
        author="lee",
        tests=GREEN,
        history=History(author_changes=4),
        previous_version="v1.4.0",
        rollback_runbook="rollback-deploy",
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def _score(**changes: object) -> int:
    return assess(_facts(**changes)).score


def _keys(result: risk.Assessment) -> set[str]:
    return {f.key for f in result.factors}


def test_the_baseline_is_low_and_deploys_straight() -> None:
    result = assess(_facts())
    assert result.level == "low"
    assert result.strategy["name"] == "straight"
    assert result.rollback is None


@pytest.mark.parametrize(
    "changes",
    [
        {},
        {"tier": 1, "files": (FileChange("app/migrations/0007_x.py", 900, 300),) * 60},
        {"tests": Results(failed=3), "freezes": ("year-end",), "at": datetime(2026, 11, 28, 23, tzinfo=BERLIN)},
        {"files": (FileChange("docs/index.md", 1, 1),), "tests": None},
        {"history": History(author_changes=20, author_bad=20, area_failures=9, area_incidents=9, open_incidents=2)},
    ],
)
def test_the_explanation_sums_to_the_score_which_stays_within_0_and_100(changes: dict[str, object]) -> None:
    result = assess(_facts(**changes))
    assert sum(f.points for f in result.factors) == result.score
    assert 0 <= result.score <= 100
    assert all(f.reason.endswith(".") and f.points != 0 for f in result.factors)
    assert result.level == risk.level_for(result.score)


def test_a_change_that_stacks_every_signal_is_capped_at_100_with_the_cap_shown() -> None:
    result = assess(
        _facts(
            tier=1,
            files=tuple(FileChange(f"db/migrations/{n}.py", 400, 100) for n in range(120)),
            tests=Results(failed=4, coverage=40, coverage_before=60),
            freezes=("Black Friday",),
            at=datetime(2026, 11, 27, 22, 30, tzinfo=BERLIN),
            history=History(author_changes=3, author_bad=3, area_failures=3, area_incidents=2, open_incidents=1),
        )
    )
    assert result.score == 100
    assert result.level == "critical"
    cap = [f for f in result.factors if f.key == "cap"]
    assert len(cap) == 1
    assert cap[0].points < 0


RAISERS: dict[str, dict[str, object]] = {
    "more lines": {"files": (FileChange("src/payments/api.py", 600, 200), FileChange("tests/test_api.py", 20, 0))},
    "many files": {"files": tuple(FileChange(f"src/m{n}.py", 1, 1) for n in range(40))},
    "a migration": {"files": (FileChange("app/migrations/0002_add.py", 12, 4), FileChange("tests/t.py", 20, 0))},
    "infra": {"files": (FileChange("deploy/helm/values-prod.yaml", 12, 4),)},
    "dependencies": {"files": (FileChange("requirements.txt", 2, 1), FileChange("src/app.py", 1, 1))},
    "auth code": {"files": (FileChange("src/auth/login.py", 12, 4), FileChange("tests/test_api.py", 20, 0))},
    "failing tests": {"tests": Results(passed=100, failed=2, coverage=84, coverage_before=84)},
    "no test results": {"tests": None},
    "coverage drop": {"tests": Results(passed=100, failed=0, coverage=78, coverage_before=84)},
    "a new author": {"history": History(author_changes=0)},
    "an author whose changes failed": {"history": History(author_changes=4, author_bad=2)},
    "the same files failed before": {"history": History(author_changes=4, area_failures=2)},
    "incidents traced to these files": {"history": History(author_changes=4, area_incidents=1)},
    "an open incident": {"history": History(author_changes=4, open_incidents=1)},
    "recent incidents": {"history": History(author_changes=4, recent_incidents=2)},
    "Friday afternoon": {"at": datetime(2026, 11, 27, 16, 0, tzinfo=BERLIN)},
    "a weekend": {"at": datetime(2026, 11, 29, 11, 0, tzinfo=BERLIN)},
    "the night": {"at": datetime(2026, 11, 24, 23, 30, tzinfo=BERLIN)},
    "a freeze": {"freezes": ("Year-end freeze",)},
    "tier 1": {"tier": 1},
}
LOWERERS: dict[str, dict[str, object]] = {
    "docs only": {"files": (FileChange("docs/runbook.md", 30, 2),)},
    "tests only": {"files": (FileChange("tests/test_api.py", 30, 2),)},
    "an author with a clean record": {"history": History(author_changes=25)},
}


@pytest.mark.parametrize("name", RAISERS)
def test_each_risk_signal_raises_the_score(name: str) -> None:
    assert _score(**RAISERS[name]) > _score(), name


@pytest.mark.parametrize("name", LOWERERS)
def test_docs_tests_and_a_clean_record_lower_the_score(name: str) -> None:
    assert _score(**LOWERERS[name]) < _score(), name


def test_friday_evening_in_the_teams_timezone_counts_twice_and_says_when() -> None:
    friday_evening = datetime(2026, 11, 27, 21, 15, tzinfo=BERLIN)
    result = assess(_facts(at=friday_evening))
    reasons = {f.key: f.reason for f in result.factors}
    assert {"friday", "night"} <= set(reasons)
    assert "Friday 21:15 (CET)" in reasons["friday"]
    # The same instant is Friday afternoon in New York: no night factor there.
    in_new_york = assess(_facts(at=friday_evening.astimezone(ZoneInfo("America/New_York"))))
    assert "friday" in _keys(in_new_york)
    assert "night" not in _keys(in_new_york)


def test_a_freeze_adds_40_points_and_names_itself() -> None:
    result = assess(_facts(freezes=("Black Friday trading",)))
    freeze = next(f for f in result.factors if f.key == "freeze")
    assert freeze.points == 40
    assert "Black Friday trading" in freeze.reason
    assert result.score - _score() == 40


def test_only_high_and_critical_changes_get_a_rollback_plan() -> None:
    medium = assess(_facts(tier=1, tests=None, files=(FileChange("src/payments/api.py", 120, 30),)))
    assert medium.level == "medium"
    assert medium.rollback is None
    high = assess(_facts(tier=1, tests=Results(failed=1), files=(FileChange("src/payments/api.py", 120, 30),)))
    assert high.level in ("high", "critical")
    assert high.rollback is not None
    assert high.rollback["previous_version"] == "v1.4.0"
    assert high.rollback["runbook"] == "rollback-deploy"
    assert high.rollback["parameters"] == {"to_version": "v1.4.0"}
    assert "migration_caveat" not in high.rollback


def test_a_risky_migration_is_canaried_and_its_rollback_warns_about_the_schema() -> None:
    result = assess(
        _facts(tier=1, files=(FileChange("app/migrations/0009_drop_col.py", 40, 10),), tests=Results(failed=1))
    )
    assert result.strategy["name"] == "canary"
    steps = result.strategy["argo_rollouts"]["canary"]["steps"]
    assert [s["setWeight"] for s in steps if "setWeight" in s][:3] in ([10, 25, 50], [5, 10, 25])
    assert any("analysis" in s for s in steps)
    assert result.rollback is not None
    assert "app/migrations/0009_drop_col.py" in result.rollback["migration_caveat"]


def test_infra_only_changes_go_blue_green_and_product_changes_behind_a_flag() -> None:
    infra = assess(_facts(tier=1, tests=None, files=(FileChange("deploy/helm/values-prod.yaml", 30, 5),)))
    assert infra.level == "medium"
    assert infra.strategy["name"] == "blue_green"
    assert infra.strategy["argo_rollouts"]["blueGreen"]["autoPromotionEnabled"] is False
    product = assess(_facts(tier=1, tests=None, files=(FileChange("src/payments/api.py", 120, 30),)))
    assert product.strategy["name"] == "feature_flag"


def test_without_a_recorded_deploy_the_rollback_plan_says_to_choose_a_version() -> None:
    result = assess(_facts(tests=Results(failed=2), tier=1, previous_version="", freezes=("x",)))
    assert result.rollback is not None
    assert result.rollback["previous_version"] is None
    assert any("No successful deploy" in step for step in result.rollback["steps"])


@pytest.mark.parametrize(
    ("path", "areas"),
    [
        ("app/migrations/0002_add_index.py", {"migrations"}),
        ("db/migrate/20261120_add_users.rb", {"migrations"}),
        ("poetry.lock", {"dependencies"}),
        ("charts/api/values-prod.yaml", {"infra"}),
        ("terraform/main.tf", {"infra"}),
        (".github/workflows/ci.yml", {"ci"}),
        ("config/settings.yaml", {"config"}),
        ("src/auth/session.py", {"auth", "code"}),
        ("tests/test_login.py", {"tests"}),
        ("docs/adr/0001.md", {"docs"}),
        ("src/payments/tokenizer.py", {"code"}),
    ],
)
def test_paths_are_sorted_into_areas(path: str, areas: set[str]) -> None:
    assert path_areas(path) == areas


def test_a_dependency_bump_is_canaried_rather_than_switched_at_once() -> None:
    result = assess(_facts(tier=1, tests=None, files=(FileChange("poetry.lock", 300, 280),)))
    assert result.level == "medium"
    assert result.strategy["name"] == "canary"
