"""Alertmanager's webhook payload (version 4) as alert drafts. Pure; no Django."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

SERVICE_LABELS = ("service", "sloth_service", "backstage_io_kubernetes_id", "app", "container", "job")
ZERO_TIME = "0001-01-01T00:00:00Z"


class PayloadError(ValueError):
    def __init__(self, field_path: str, reason: str) -> None:
        super().__init__(f"{field_path}: {reason}")
        self.field_path = field_path
        self.reason = reason


@dataclass(frozen=True)
class AlertDraft:
    fingerprint: str
    name: str
    status: str
    severity: str
    service: str
    starts_at: datetime
    ends_at: datetime | None
    labels: dict[str, str] = field(default_factory=dict)
    annotations: dict[str, str] = field(default_factory=dict)
    generator_url: str = ""


def _time(value: Any, where: str, *, required: bool) -> datetime | None:
    if not value or value == ZERO_TIME:
        if required:
            raise PayloadError(where, "missing time")
        return None
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError as exc:
        raise PayloadError(where, f"'{value}' is not an RFC 3339 time") from exc


def alert_drafts(payload: Any) -> list[AlertDraft]:
    """Validate a v4 payload and return one draft per alert; PayloadError names the first bad field."""
    if not isinstance(payload, dict):
        raise PayloadError("body", "must be a JSON object")
    if str(payload.get("version")) != "4":
        raise PayloadError("version", "only Alertmanager webhook payload version 4 is supported")
    alerts = payload.get("alerts")
    if not isinstance(alerts, list):
        raise PayloadError("alerts", "must be a list")
    return [_draft(alert, f"alerts[{i}]") for i, alert in enumerate(alerts)]


def _draft(alert: Any, where: str) -> AlertDraft:
    if not isinstance(alert, dict):
        raise PayloadError(where, "must be an object")
    labels = alert.get("labels") or {}
    if not isinstance(labels, dict) or "alertname" not in labels:
        raise PayloadError(f"{where}.labels", "must be an object with an alertname")
    status = alert.get("status")
    if status not in ("firing", "resolved"):
        raise PayloadError(f"{where}.status", "must be 'firing' or 'resolved'")
    fingerprint = str(alert.get("fingerprint") or "")
    if not fingerprint:
        raise PayloadError(f"{where}.fingerprint", "missing")
    service = next((str(labels[k]) for k in SERVICE_LABELS if labels.get(k)), "")
    return AlertDraft(
        fingerprint=fingerprint,
        name=str(labels["alertname"]),
        status=status,
        severity=str(labels.get("severity", "")),
        service=service,
        starts_at=_time(alert.get("startsAt"), f"{where}.startsAt", required=True),  # type: ignore[arg-type]
        ends_at=_time(alert.get("endsAt"), f"{where}.endsAt", required=False),
        labels={str(k): str(v) for k, v in labels.items()},
        annotations={str(k): str(v) for k, v in (alert.get("annotations") or {}).items()},
        generator_url=str(alert.get("generatorURL") or "")[:1000],
    )


def severity_for(*, tier: int, alert_severity: str) -> str:
    """Incident severity from the service tier and the alert's own severity (page/critical vs ticket/warning)."""
    urgent = alert_severity.lower() in ("critical", "page", "error")
    if tier == 1:
        return "sev1" if urgent else "sev2"
    if tier == 2:
        return "sev2" if urgent else "sev3"
    return "sev3" if urgent else "sev4"
