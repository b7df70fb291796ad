"""Whatever a spec holds, reading it either succeeds or raises SpecError: never any other exception."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from copy import deepcopy
from typing import Any

import pytest
import yaml

from portal.slo.errors import SpecError
from portal.slo.rules import spec_rule_groups
from portal.slo.specs import spec_from_documents
from tests.slo.support import PYRRA, SLOTH
from tests.slo.test_openslo import BILLING

ODD_VALUES: list[Any] = [None, "x", -1, True, [], {"x": 1}]
SPECS = {
    "sloth": (SLOTH / "in-base.yaml").read_text(encoding="utf-8"),
    "sloth-k8s": (SLOTH / "in-base-k8s.yaml").read_text(encoding="utf-8"),
    "openslo-v1alpha": (SLOTH / "in-openslo.yaml").read_text(encoding="utf-8"),
    "openslo-v1": BILLING,
    "pyrra": (PYRRA / "example-apiserver-read-resource-latency.yaml").read_text(encoding="utf-8"),
}


def paths(node: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Yield the path of every node below the root."""
    items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else []
    for key, child in items:
        yield (*prefix, key)
        yield from paths(child, (*prefix, key))


def replaced(documents: list[Any], path: tuple[Any, ...], value: Any) -> list[Any]:
    """Return a copy of the documents with the node at path replaced."""
    copy = deepcopy(documents)
    node = copy
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return copy


@pytest.mark.parametrize("name", list(SPECS))
def test_any_value_anywhere_is_read_or_refused_with_a_spec_error(name: str) -> None:
    documents = list(yaml.safe_load_all(SPECS[name]))
    tried = 0
    for path in list(paths(documents)):
        for value in ODD_VALUES:
            with contextlib.suppress(SpecError):
                spec_rule_groups(spec_from_documents(replaced(documents, path, value)))
            tried += 1
    assert tried > 100
