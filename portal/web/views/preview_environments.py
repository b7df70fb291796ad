"""Preview environments: the signed-in person's teams' previews per pull request, with state, expiry and cost."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, cast

from portal.core.models import User
from portal.previews.models import LIVE_STATES, PreviewState
from portal.previews.selectors import previews_visible_to
from portal.web.views.base import PortalView


class PreviewEnvironmentsView(PortalView):
    template_name = "web/preview_environments.html"
    section = "previews"
    http_method_names = ["get"]

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        previews = list(previews_visible_to(cast(User, self.request.user)).order_by("-updated_at")[:100])
        live = [p for p in previews if p.state in LIVE_STATES or p.state == PreviewState.FAILED]
        context.update(
            live=live,
            ended=[p for p in previews if p not in live][:20],
            running=sum(1 for p in live if p.state == PreviewState.ACTIVE),
            sleeping=sum(1 for p in live if p.state == PreviewState.SLEEPING),
            cost=sum((p.cost for p in previews), Decimal("0")),
        )
        return context
