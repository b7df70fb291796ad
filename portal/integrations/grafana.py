"""Grafana's HTTP API: provision a dashboard (POST /api/dashboards/db) with a service-account token."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

import requests

from portal.integrations.errors import IntegrationError


def dashboard_provision(
    *, url: str, token: str, dashboard: dict[str, Any], folder_uid: str = "", timeout: float = 10.0
) -> dict[str, Any]:
    """Create or replace the dashboard (same uid); returns Grafana's answer (uid, url, version)."""
    body: dict[str, Any] = {
        "dashboard": {**dashboard, "id": None},
        "overwrite": True,
        "message": "Provisioned by the platform portal",
    }
    if folder_uid:
        body["folderUid"] = folder_uid
    try:
        response = requests.post(
            f"{url.rstrip('/')}/api/dashboards/db",
            json=body,
            timeout=timeout,
            headers={"Authorization": f"Bearer {token}"},
        )
    except requests.RequestException as exc:
        raise IntegrationError(f"Grafana at {url} did not answer: {exc}", permanent=False) from exc
    if response.status_code in (401, 403):
        raise IntegrationError("Grafana refused the token: it needs the dashboards:write permission.")
    if response.status_code >= 400:
        raise IntegrationError(
            f"Grafana answered {response.status_code}: {response.text[:300]}", permanent=response.status_code < 500
        )
    answer: dict[str, Any] = response.json()
    return answer


def explore_url(
    *,
    grafana_url: str,
    datasource_type: str,
    datasource_uid: str,
    query: dict[str, Any],
    start: float,
    end: float,
    org_id: int = 1,
) -> str:
    """A Grafana Explore link (schemaVersion 1 panes) that opens `query` on the datasource over [start, end].

    `query` is the datasource's own query model without refId/datasource, e.g. {"expr": '{service="x"} |= "error"'}
    for Loki or {"queryType": "traceql", "query": "<trace id>"} for Tempo. Times are unix seconds.
    """
    pane = {
        "datasource": datasource_uid,
        "queries": [{"refId": "A", **query, "datasource": {"type": datasource_type, "uid": datasource_uid}}],
        "range": {"from": str(int(start * 1000)), "to": str(int(end * 1000))},
    }
    panes = json.dumps({"a": pane}, separators=(",", ":"))
    return f"{grafana_url.rstrip('/')}/explore?{urlencode({'schemaVersion': 1, 'panes': panes, 'orgId': org_id})}"
