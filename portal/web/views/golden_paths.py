"""Golden paths: the catalogue with recent runs, a path's form to start a run, and a run's live step log."""

from __future__ import annotations

from collections import Counter
from typing import Any

from django.forms import ChoiceField
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

from portal.catalog.models import Origin, Service
from portal.core.errors import ApplicationError
from portal.core.models import User
from portal.scaffolder.models import RunState
from portal.scaffolder.registry import GoldenPath
from portal.scaffolder.selectors import run_get, run_visible
from portal.scaffolder.services import run_request
from portal.web.forms import GoldenPathRunForm
from portal.web.selectors import golden_paths_read
from portal.web.views.base import PortalView, web_context

LIVE_STATES = (RunState.PENDING, RunState.RUNNING)


class GoldenPathListView(PortalView):
    template_name = "web/golden_paths.html"
    section = "golden-paths"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        paths, error = golden_paths_read()
        created = Counter(
            Service.objects.filter(origin=Origin.GOLDEN_PATH).values_list("golden_path", "golden_path_version")
        )
        context.update(
            paths=[
                {
                    "path": p,
                    "services": sum(n for (name, _), n in created.items() if name == p.name),
                    "current": created.get((p.name, p.version), 0),
                }
                for p in paths
            ],
            registry_error=error,
            runs=list(run_visible(self.request.user).order_by("-created_at")[:20]),
        )
        return context


def _path(name: str) -> GoldenPath:
    paths, error = golden_paths_read()
    if error:
        raise Http404(error)
    found = next((p for p in paths if p.name == name), None)
    if found is None:
        raise Http404(f"No golden path named '{name}'. The golden paths page lists them all.")
    return found


class GoldenPathView(PortalView):
    """GET: the path and its form. POST: start a run and follow it on the run's page."""

    template_name = "web/golden_path.html"
    section = "golden-paths"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        path = _path(kwargs["name"])
        user: User = self.request.user  # type: ignore[assignment]
        form = kwargs.get("form") or GoldenPathRunForm(path=path, user=user)
        owner = form.fields.get("owner")
        context.update(path=path, form=form, no_team=isinstance(owner, ChoiceField) and not owner.choices)
        return context

    def post(self, request: HttpRequest, name: str) -> HttpResponse:
        path = _path(name)
        form = GoldenPathRunForm(request.POST, path=path, user=request.user)  # type: ignore[arg-type]
        if not form.is_valid():
            return self._invalid(name, form, "Some parameters are not valid: see the fields below.", 400)
        try:
            run, _ = run_request(
                actor=request.user, path=path, parameters=form.parameters(), context=web_context(request)
            )
        except ApplicationError as exc:
            form.add_service_errors(exc.fields)
            return self._invalid(name, form, exc.message, exc.status_code)
        return HttpResponseRedirect(reverse("web:run", kwargs={"run_id": run.id}))

    def _invalid(self, name: str, form: GoldenPathRunForm, error: str, status: int) -> HttpResponse:
        context = self.get_context_data(name=name, form=form)
        context["page_error"] = error
        return self.render_to_response(context, status=status)


class RunView(PortalView):
    template_name = "web/run.html"
    section = "golden-paths"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        try:
            run = run_get(self.request.user, str(kwargs["run_id"]))
        except ApplicationError as exc:
            raise Http404(exc.message) from exc
        lines = list(run.log_lines.exclude(level="debug").order_by("id"))
        context.update(
            run=run,
            steps=list(run.steps.order_by("position")),
            lines=lines,
            last_line=lines[-1].pk if lines else 0,
            live=run.state in LIVE_STATES,
            service_exists=Service.objects.filter(name=run.service_name).exists(),
            status_url=reverse("scaffolder:run-detail", kwargs={"run_id": run.id}),
        )
        return context
