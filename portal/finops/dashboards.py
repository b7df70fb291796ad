"""The cost dashboard as Grafana JSON: cost per team, service and cost centre over time, and what escaped the labels.

Grafana reads the portal's own cost records through its PostgreSQL data source (a read-only user on the portal's
database), grouped by the same workload labels as `GET /api/v1/finops/costs`, so the dashboard and the API agree.
"""

from __future__ import annotations

from typing import Any

from portal.catalog.models import Environment, Service
from portal.core import labels
from portal.finops.models import CostRecord
from portal.finops.selectors import GROUP_LABELS, UNLABELLED

DATASOURCE_TYPE = "grafana-postgresql-datasource"  # Grafana's built-in PostgreSQL plugin (10.2+; "postgres" before)
DATASOURCE = {"type": DATASOURCE_TYPE, "uid": "${datasource}"}
UID = "portal-costs"


def label_sql(label: str) -> str:
    """The SQL for a label's value on a cost record, UNLABELLED when absent or empty."""
    return f"COALESCE(NULLIF(labels->>'{label}', ''), '{UNLABELLED}')"


def unlabelled_sql() -> str:
    """The SQL condition of a cost record whose workload lacked any standard label."""
    return "(" + " OR ".join(f"COALESCE(labels->>'{key}', '') = ''" for key in labels.REQUIRED) + ")"


def _target(sql: str, *, fmt: str = "time_series") -> dict[str, Any]:
    return {
        "refId": "A",
        "datasource": DATASOURCE,
        "editorMode": "code",
        "format": fmt,
        "rawQuery": True,
        "rawSql": sql,
    }


def sql(template: str, **values: str) -> str:
    """A dashboard query from a template; the values are table names and SQL this module writes, never input."""
    tables = {
        "costs": CostRecord._meta.db_table,
        "services": Service._meta.db_table,
        "environments": Environment._meta.db_table,
    }
    return template.format(**tables, **values)


def _per_day(group_by: str, *, where: str = "") -> str:
    template = (
        'SELECT day::timestamp AS "time", {key} AS metric, SUM(total) AS cost\n'
        "FROM {costs}\nWHERE $__timeFilter(day){where}\nGROUP BY 1, 2\nORDER BY 1, 2"
    )
    return sql(template, key=label_sql(GROUP_LABELS[group_by]), where=where)


ESCAPED = """SELECT s.name AS service, e.name AS environment, SUM(c.total) AS cost,
  array_to_string(ARRAY(SELECT k FROM unnest(ARRAY[{required}]) AS k WHERE COALESCE(c.labels->>k, '') = ''), ', ')
    AS missing_labels
FROM {costs} c JOIN {services} s ON s.id = c.service_id JOIN {environments} e ON e.id = c.environment_id
WHERE $__timeFilter(c.day) AND {unlabelled}
GROUP BY 1, 2, 4
ORDER BY 3 DESC"""


def _panel(panel_id: int, title: str, kind: str, target: dict[str, Any], grid: tuple[int, int, int, int]) -> dict:
    x, y, w, h = grid
    panel: dict[str, Any] = {
        "id": panel_id,
        "type": kind,
        "title": title,
        "datasource": DATASOURCE,
        "gridPos": {"h": h, "w": w, "x": x, "y": y},
        "fieldConfig": {"defaults": {"unit": "currencyUSD"}, "overrides": []},
        "targets": [target],
    }
    if kind == "timeseries":
        panel["fieldConfig"]["defaults"]["custom"] = {"drawStyle": "bars", "stacking": {"mode": "normal"}}
        panel["options"] = {"legend": {"displayMode": "table", "placement": "right", "calcs": ["sum"]}}
    return panel


def cost_dashboard() -> dict[str, Any]:
    """Cost per team, service and cost centre per day, from the workloads' labels (the uid is stable)."""
    team = label_sql(labels.TEAM)
    required = ", ".join(f"'{key}'" for key in labels.REQUIRED)
    escaped = sql(ESCAPED, required=required, unlabelled=unlabelled_sql().replace("labels->>", "c.labels->>"))
    total = sql("SELECT COALESCE(SUM(total), 0) AS cost FROM {costs} WHERE $__timeFilter(day)")
    lost = sql(
        "SELECT COALESCE(SUM(total), 0) AS cost FROM {costs}\nWHERE $__timeFilter(day) AND {u}", u=unlabelled_sql()
    )
    panels = [
        _panel(1, "Cost in the range", "stat", _target(total, fmt="table"), (0, 0, 12, 4)),
        _panel(2, "Cost that escaped the labels", "stat", _target(lost, fmt="table"), (12, 0, 12, 4)),
        _panel(3, "Cost per team", "timeseries", _target(_per_day("team")), (0, 4, 24, 9)),
        _panel(
            4,
            "Cost per service ($team)",
            "timeseries",
            _target(_per_day("service", where=f"\n  AND {team} IN ($team)")),
            (0, 13, 24, 9),
        ),
        _panel(5, "Cost per cost centre", "timeseries", _target(_per_day("cost_centre")), (0, 22, 12, 9)),
        _panel(6, "Cost per environment", "timeseries", _target(_per_day("environment")), (12, 22, 12, 9)),
        _panel(7, "Workloads without every standard label", "table", _target(escaped, fmt="table"), (0, 31, 24, 8)),
    ]
    return {
        "uid": UID,
        "title": "Cost per team and service",
        "description": "From the portal's cost records, grouped by the workloads' platform-portal/* labels.",
        "tags": ["platform-portal", "finops"],
        "timezone": "utc",
        "schemaVersion": 39,
        "version": 1,
        "refresh": "1h",
        "time": {"from": "now-30d", "to": "now"},
        "templating": {
            "list": [
                {"name": "datasource", "label": "Portal database", "type": "datasource", "query": DATASOURCE_TYPE},
                {
                    "name": "team",
                    "label": "Team",
                    "type": "query",
                    "datasource": DATASOURCE,
                    "query": sql("SELECT DISTINCT {team} FROM {costs} ORDER BY 1", team=team),
                    "multi": True,
                    "includeAll": True,
                    "current": {"text": "All", "value": "$__all"},
                    "refresh": 2,
                },
            ]
        },
        "annotations": {"list": []},
        "panels": panels,
    }
