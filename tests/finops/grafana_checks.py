"""What Grafana needs of a dashboard JSON model, checked the same way for every dashboard the portal generates."""

from __future__ import annotations

import json
import re
from itertools import combinations
from typing import Any

PANEL_TYPES = {"timeseries", "stat", "table", "barchart", "gauge", "bargauge", "text", "row"}
GRID_COLUMNS = 24


def dashboard_problems(dashboard: dict[str, Any]) -> list[str]:
    """Every way the model breaks Grafana's expectations (empty when it is fine)."""
    problems: list[str] = []
    json.dumps(dashboard)  # JSON all the way down
    if not re.fullmatch(r"[A-Za-z0-9_-]{1,40}", str(dashboard.get("uid", ""))):
        problems.append(f"uid {dashboard.get('uid')!r}: 1-40 letters, digits, '-' or '_'")
    for key, kind in (("title", str), ("schemaVersion", int), ("panels", list), ("templating", dict)):
        if not isinstance(dashboard.get(key), kind):
            problems.append(f"{key}: missing or not a {kind.__name__}")
    variables = {v["name"]: v for v in dashboard.get("templating", {}).get("list", [])}
    panels = dashboard.get("panels", [])
    ids = [p.get("id") for p in panels]
    if len(ids) != len(set(ids)) or not all(isinstance(i, int) for i in ids):
        problems.append(f"panel ids must be unique integers: {ids}")
    for panel in panels:
        problems += _panel_problems(panel, variables)
    for a, b in combinations(panels, 2):
        if _overlap(a["gridPos"], b["gridPos"]):
            problems.append(f"panels {a['id']} and {b['id']} overlap")
    return problems


def _panel_problems(panel: dict[str, Any], variables: dict[str, Any]) -> list[str]:
    where = f"panel {panel.get('id')} ({panel.get('title')})"
    problems = []
    if panel.get("type") not in PANEL_TYPES:
        problems.append(f"{where}: unknown type {panel.get('type')!r}")
    grid = panel.get("gridPos", {})
    if not all(isinstance(grid.get(k), int) for k in "hwxy") or grid["x"] + grid["w"] > GRID_COLUMNS:
        problems.append(f"{where}: gridPos {grid} must be integers within {GRID_COLUMNS} columns")
    refs = [t.get("refId") for t in panel.get("targets", [])]
    if len(refs) != len(set(refs)) or not refs:
        problems.append(f"{where}: targets need unique refIds, got {refs}")
    uids = [panel.get("datasource", {}).get("uid", "")] + [
        t.get("datasource", {}).get("uid", "") for t in panel.get("targets", [])
    ]
    for uid in uids:
        name = re.fullmatch(r"\$\{(\w+)\}", uid or "")
        if name and name.group(1) not in variables:
            problems.append(f"{where}: datasource {uid} names no dashboard variable")
    for target in panel.get("targets", []):
        text = target.get("rawSql") or target.get("expr") or ""
        if not text.strip():
            problems.append(f"{where}: target {target.get('refId')} has no query")
        for used in re.findall(r"\$(?!__)(\w+)", text):
            if used not in variables:
                problems.append(f"{where}: query uses ${used}, which is no dashboard variable")
    return problems


def _overlap(a: dict[str, int], b: dict[str, int]) -> bool:
    return (
        a["x"] < b["x"] + b["w"] and b["x"] < a["x"] + a["w"] and a["y"] < b["y"] + b["h"] and b["y"] < a["y"] + a["h"]
    )
