"""The Previews page: a team's live previews with state, commit, expiry and cost; other teams' stay hidden."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.test import Client
from django.utils import timezone

from portal.core.models import User
from portal.previews.models import PreviewConfig
from tests.previews.conftest import SHA_1, deliver, pull_event


def _page(user: User) -> str:
    client = Client()
    client.force_login(user)
    response = client.get("/previews")
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.django_db
def test_the_page_lists_the_teams_live_previews(
    preview_config: PreviewConfig, previews_world: Path, owner: User, outsider: User
) -> None:
    deliver(pull_event("opened", sha=SHA_1), at=timezone.now())
    mine = _page(owner)
    assert "payments-api #7" in mine
    assert "pr-7-payments-api" in mine
    assert SHA_1[:12] in mine
    assert 'aria-current="page">Previews' in mine
    theirs = _page(outsider)
    assert "payments-api #7" not in theirs
    assert "No live previews for your teams" in theirs


@pytest.mark.django_db
def test_the_page_needs_a_sign_in(db: None) -> None:
    response = Client().get("/previews")
    assert response.status_code == 302
    assert "/login/" in response["Location"]
