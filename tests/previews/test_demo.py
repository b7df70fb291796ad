"""`manage.py demo_preview` on the demo catalog: the whole lifecycle, ending with nothing left behind."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.core.management import call_command

from portal.previews.models import PreviewEnvironment, PreviewState


@pytest.mark.django_db
def test_the_demo_runs_a_preview_from_open_to_merge(demo_world: Path, previews_world: Path) -> None:
    out = io.StringIO()
    call_command("demo_preview", stdout=out)
    text = out.getvalue()
    preview = PreviewEnvironment.objects.get(service__name="payments-api")
    assert preview.state == PreviewState.DELETED
    assert "after the sweep at" in text
    assert ": sleeping" in text
    assert "GitOps files left: 0; cluster objects left: 0" in text
    assert preview.cost > 0
    assert preview.sleeping_hours > 0
