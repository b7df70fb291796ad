"""Following a run's log with ?after=<id>: the same answer for scaffold runs and resource requests."""

from __future__ import annotations

import uuid

import pytest

from portal.core.models import User
from tests.conftest import client_for


@pytest.mark.parametrize("path", ["/api/v1/scaffolder/runs", "/api/v1/infra/requests"])
@pytest.mark.parametrize("after", ["abc", "-1", "1" * 40])
def test_an_after_that_is_no_log_line_id_is_a_400_naming_it(owner: User, path: str, after: str) -> None:
    response = client_for(owner).get(f"{path}/{uuid.uuid4()}", {"after": after})

    assert response.status_code == 400, response.json()
    assert "after" in response.json()["error"]["fields"]


@pytest.mark.parametrize("path", ["/api/v1/scaffolder/runs", "/api/v1/infra/requests"])
def test_a_run_nobody_can_see_is_not_found_whatever_the_id_looks_like(owner: User, path: str) -> None:
    for run_id in (str(uuid.uuid4()), "not-a-uuid"):
        response = client_for(owner).get(f"{path}/{run_id}")
        assert response.status_code == 404, response.json()
