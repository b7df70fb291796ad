"""Read an SLO spec in any supported format, telling the formats apart by their version fields."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import yaml

from portal.slo.errors import SpecError
from portal.slo.model import DEFAULT_PERIOD, SLOSpec
from portal.slo.openslo import is_openslo, parse_openslo
from portal.slo.pyrra import is_pyrra, parse_pyrra
from portal.slo.sloth import is_sloth, parse_sloth
from portal.slo.windows import AlertWindows, parse_alert_windows

FORMATS = "Sloth prometheus/v1 or sloth.slok.dev/v1, OpenSLO openslo/v1 or openslo/v1alpha, Pyrra pyrra.dev/v1alpha1"


def load_spec(text: str, *, period: timedelta = DEFAULT_PERIOD) -> SLOSpec:
    """Read an SLO spec from YAML; `period` applies to Sloth specs, which leave it to the caller."""
    return spec_from_documents(yaml_documents(text), period=period)


def spec_from_documents(documents: list[dict[str, Any]], *, period: timedelta = DEFAULT_PERIOD) -> SLOSpec:
    """Read an SLO spec from parsed YAML documents, telling the format by its version fields."""
    documents = _mappings(documents)
    if any(is_openslo(document) for document in documents):
        return parse_openslo(documents)
    if is_pyrra(documents[0]):
        return parse_pyrra(documents)
    if is_sloth(documents[0]):
        if len(documents) > 1:
            raise SpecError("one Sloth spec per file", fields={"documents[1]": ["a second document is not read"]})
        return parse_sloth(documents[0], period=period)
    found = documents[0].get("apiVersion") or documents[0].get("version")
    reason = f"{found!r} is not a supported SLO spec; expected {FORMATS}" if found else f"is required ({FORMATS})"
    raise SpecError("unknown SLO spec format", fields={"apiVersion": [reason]})


def load_alert_windows(text: str) -> AlertWindows:
    """Read a Sloth AlertWindows file, which sets the alert windows for one SLO period."""
    return parse_alert_windows(yaml_documents(text)[0])


def yaml_documents(text: str) -> list[dict[str, Any]]:
    """Parse every YAML document of a text, each of which must be a mapping; empty documents are skipped."""
    try:
        documents = [document for document in yaml.safe_load_all(text) if document is not None]
    except yaml.YAMLError as exc:
        raise SpecError("the file is not valid YAML", fields={"(document)": [str(exc)]}) from exc
    return _mappings(documents)


def _mappings(documents: list[Any]) -> list[dict[str, Any]]:
    """Check there is at least one document and that each is a mapping."""
    if not documents:
        raise SpecError("the file holds no YAML document", fields={"(document)": ["is empty"]})
    problems = {
        f"documents[{number}]": ["must be a mapping"]
        for number, document in enumerate(documents)
        if not isinstance(document, dict)
    }
    if problems:
        raise SpecError("the file is not an SLO spec", fields=problems)
    return documents
