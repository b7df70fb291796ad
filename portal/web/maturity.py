"""Per-service maturity: owner set, SLO defined, telemetry present, runbook linked, on the current golden path."""

from __future__ import annotations

from typing import Any

from django.db.models import Count
from django.template.defaultfilters import pluralize

from portal.catalog.models import Service
from portal.integrations.errors import IntegrationError
from portal.integrations.metrics import Query, Signal, metrics
from portal.web.selectors import golden_path_standing, golden_paths_read

CHECKS = (
    ("owner", "Owner set"),
    ("slo", "SLO defined"),
    ("telemetry", "Telemetry present"),
    ("runbook", "Runbook linked"),
    ("golden_path", "On the current golden-path version"),
)


def telemetry_present(names: list[str], now: float) -> dict[str, bool | None]:
    """Whether the metrics source has request or CPU series for each service (None: the source failed)."""
    out: dict[str, bool | None] = {}
    for name in names:
        try:
            out[name] = any(
                metrics().instant(Query(signal, name), at=now) for signal in (Signal.REQUEST_RATE, Signal.CPU)
            )
        except IntegrationError:
            out[name] = None
    return out


def _runbook_link(links: list[Any]) -> str:
    for link in links or []:
        if isinstance(link, dict) and "runbook" in " ".join(str(v) for v in link.values()).lower():
            return str(link.get("url", ""))
    return ""


def service_checks(service: Service, telemetry: bool | None, standing: dict[str, Any]) -> list[dict[str, Any]]:
    members, slos = getattr(service, "member_count", 0), getattr(service, "slo_count", 0)
    runbook = _runbook_link(service.links)
    results = {
        "owner": (
            members > 0,
            f"{service.owner.name}, {members} member{pluralize(members)}"
            if members
            else f"{service.owner.name} has no members: add people to the team",
        ),
        "slo": (
            slos > 0,
            f"{slos} SLO{pluralize(slos)}" if slos else "no SLO: add one through the SLO API or the golden path's spec",
        ),
        "telemetry": (
            bool(telemetry),
            "request or CPU metrics found"
            if telemetry
            else "the metrics source could not be asked"
            if telemetry is None
            else "no metrics found",
        ),
        "runbook": (bool(runbook), runbook or "add a link titled 'Runbook' to the service"),
        "golden_path": (standing["state"] == "current", standing["text"]),
    }
    return [{"id": key, "title": title, "passed": results[key][0], "detail": results[key][1]} for key, title in CHECKS]


def maturity(now: float, names: list[str] | None = None) -> tuple[list[dict[str, Any]], dict[str, bool | None]]:
    """Each service's checks and score (percent of checks passed), and the telemetry found on the way."""
    services = Service.objects.select_related("owner").annotate(
        slo_count=Count("slos", distinct=True), member_count=Count("owner__memberships", distinct=True)
    )
    if names is not None:
        services = services.filter(name__in=names)
    services_list = list(services)
    telemetry = telemetry_present([s.name for s in services_list], now)
    paths, _ = golden_paths_read()
    rows = []
    for service in services_list:
        checks = service_checks(service, telemetry[service.name], golden_path_standing(service, paths))
        score = round(100 * sum(c["passed"] for c in checks) / len(checks))
        rows.append(
            {"name": service.name, "owner": service.owner.name, "tier": service.tier, "score": score, "checks": checks}
        )
    return rows, telemetry
