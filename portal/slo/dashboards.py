"""The standard service dashboard as Grafana JSON: RED metrics, saturation, SLO panels, deploy annotations."""

from __future__ import annotations

from typing import Any

from portal.catalog.models import Service


def _panel(
    panel_id: int, title: str, exprs: list[tuple[str, str]], *, x: int, y: int, unit: str = "short", w: int = 12
) -> dict[str, Any]:
    return {
        "id": panel_id,
        "type": "timeseries",
        "title": title,
        "datasource": {"type": "prometheus", "uid": "${datasource}"},
        "gridPos": {"h": 8, "w": w, "x": x, "y": y},
        "fieldConfig": {"defaults": {"unit": unit}, "overrides": []},
        "targets": [
            {"refId": chr(65 + i), "expr": expr, "legendFormat": legend} for i, (expr, legend) in enumerate(exprs)
        ],
    }


def service_dashboard(service: Service) -> dict[str, Any]:
    """A dashboard any golden-path service can use as it is (uid is stable per service)."""
    s = f'service="{service.name}"'
    c = f'container="{service.name}"'
    panels = [
        _panel(
            1, "Requests per second", [(f"sum(rate(http_requests_total{{{s}}}[5m]))", "rps")], x=0, y=0, unit="reqps"
        ),
        _panel(
            2,
            "Error ratio (5xx)",
            [
                (
                    f'sum(rate(http_requests_total{{{s},code=~"5.."}}[5m])) / '
                    f"sum(rate(http_requests_total{{{s}}}[5m]))",
                    "errors",
                )
            ],
            x=12,
            y=0,
            unit="percentunit",
        ),
        _panel(
            3,
            "Latency",
            [
                (
                    f"histogram_quantile({q}, sum by (le) (rate(http_request_duration_seconds_bucket{{{s}}}[5m])))",
                    f"p{int(q * 100)}",
                )
                for q in (0.5, 0.9, 0.99)
            ],
            x=0,
            y=8,
            unit="s",
        ),
        _panel(
            4,
            "CPU (cores)",
            [(f"sum by (pod) (rate(container_cpu_usage_seconds_total{{{c}}}[5m]))", "{{pod}}")],
            x=12,
            y=8,
        ),
        _panel(
            5,
            "Memory (working set)",
            [(f"sum by (pod) (container_memory_working_set_bytes{{{c}}})", "{{pod}}")],
            x=0,
            y=16,
            unit="bytes",
        ),
        _panel(
            6,
            "Restarts",
            [(f"sum(increase(kube_pod_container_status_restarts_total{{{c}}}[15m]))", "restarts")],
            x=12,
            y=16,
        ),
    ]
    y = 24
    for i, slo in enumerate(service.slos.all()):
        selector = f'sloth_service="{service.name}",sloth_slo="{slo.name}"'
        panels.append(
            _panel(
                7 + 2 * i,
                f"SLO {slo.name} ({slo.objective}%): remaining error budget",
                [(f"slo:period_error_budget_remaining:ratio{{{selector}}}", "remaining")],
                x=0,
                y=y,
                unit="percentunit",
            )
        )
        panels.append(
            _panel(
                8 + 2 * i,
                f"SLO {slo.name}: burn rate",
                [
                    (
                        f"slo:sli_error:ratio_rate{w}{{{selector}}} / on() group_left "
                        f"slo:error_budget:ratio{{{selector}}}",
                        w,
                    )
                    for w in ("5m", "1h", "6h")
                ],
                x=12,
                y=y,
            )
        )
        y += 8
    return {
        "uid": f"portal-{service.name}"[:40],
        "title": f"{service.title or service.name} (service)",
        "tags": ["platform-portal", f"team-{service.owner.name}", f"tier-{service.tier}"],
        "timezone": "utc",
        "schemaVersion": 39,
        "version": 1,
        "refresh": "1m",
        "time": {"from": "now-6h", "to": "now"},
        "templating": {"list": [{"name": "datasource", "type": "datasource", "query": "prometheus"}]},
        "annotations": {
            "list": [
                {
                    "name": "Deploys",
                    "datasource": {"type": "prometheus", "uid": "${datasource}"},
                    "enable": True,
                    "expr": f"changes(portal_service_last_deploy_timestamp_seconds{{{s}}}[2m]) > 0",
                    "iconColor": "blue",
                    "titleFormat": "deploy",
                    "textFormat": "{{version}}",
                }
            ]
        },
        "panels": panels,
    }
