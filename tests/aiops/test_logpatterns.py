"""Template mining: lines that differ only in their variable parts are one pattern; different messages are not."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from portal.aiops.logpatterns import PatternMiner, mask, mine, naive_template

ROOT = Path(__file__).resolve().parents[2]


def test_timeouts_with_different_durations_are_one_pattern_with_the_unit_kept() -> None:
    lines = [
        "timeout after 3012ms calling inventory-api",
        "timeout after 2988ms calling inventory-api",
        "timeout after 3100ms calling pricing-api",
        "connection refused by 10.0.0.12:5432",
        "connection refused by 10.0.7.3:5432",
    ]
    assigned, templates = mine(lines)
    assert assigned[0] == assigned[1] == assigned[2]
    assert assigned[3] == assigned[4] != assigned[0]
    assert templates[assigned[0]] == "timeout after <*>ms calling <*>"
    assert templates[assigned[3]] == "connection refused by <*>"


def test_masks_cover_numbers_ids_addresses_and_hex_but_not_words() -> None:
    line = "req 5f0c3a9e-1b2d-4c3e-9f00-aabbccddeeff from 192.168.1.20 trace=4bf92f3577b34da6 took 1.5s v2 deadbeef"
    assert mask(line) == "req <*> from <*> trace=<*> took <*>s v2 deadbeef"
    assert naive_template("took 15ms, 3 retries") == "took <*>ms, <*> retries"


def test_a_generalised_token_keeps_its_key_and_closing_quote() -> None:
    miner = PatternMiner()
    for line in (
        'level=warn msg="slow query" table=orders owner="alice"',
        'level=warn msg="slow query" table=items owner="bob"',
    ):
        miner.add(line)
    (pattern,) = miner.patterns()
    assert pattern.template == 'level=warn msg="slow query" table=<*> owner=<*>"'
    assert pattern.count == 2


def test_the_bench_groups_the_sandbox_templates_better_than_the_digit_baseline() -> None:
    run = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "logpatterns.py"), "--lines", "3000", "--seed", "3"],
        capture_output=True,
        text=True,
        timeout=240,
        check=True,
    )
    rows = {
        cells[0]: (int(cells[1]), float(cells[2]))
        for line in run.stdout.splitlines()
        if line.startswith("| ") and not line.startswith("| method")
        for cells in [[c.strip() for c in line.strip("|").split("|")]]
    }
    ours = next(v for k, v in rows.items() if k.startswith("ours"))
    baseline = next(v for k, v in rows.items() if k.startswith("baseline"))
    known = int(re.search(r"from (\d+) known templates", run.stdout).group(1))
    assert ours[0] == known, run.stdout
    assert ours[1] >= 0.95, run.stdout
    assert baseline[1] < 0.5 < ours[1], run.stdout
