"""Scorecard: the key results with value and trend, and each service's maturity checks."""

from __future__ import annotations

from typing import Any

from portal.web.maturity import CHECKS
from portal.web.scorecard import scorecard_build
from portal.web.views.base import PortalView


class ScorecardView(PortalView):
    template_name = "web/scorecard.html"
    section = "scorecard"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context.update(scorecard_build(), checks=CHECKS)
        return context
