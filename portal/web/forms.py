"""Forms: an approval decision, and a golden path's parameters built from its JSON Schema."""

from __future__ import annotations

import re
from typing import Any

from django import forms

from portal.core.models import Team, User
from portal.scaffolder.registry import GoldenPath


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=[("approve", "Approve"), ("reject", "Reject")])
    comment = forms.CharField(
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": "Say why you approve or reject: the comment goes on the audit trail."},
    )


def _teams_for(user: User) -> list[Team]:
    """The teams a person may create services for: their own, or every team for platform admins."""
    teams = Team.objects.order_by("name")
    return list(teams if user.is_platform_admin else teams.filter(memberships__user=user))


def _owner_value(team: str, spec: dict[str, Any]) -> str:
    """Write the owner the way the path expects it: a Group reference when its default is one."""
    return f"group:default/{team}" if str(spec.get("default", "")).startswith("group:") else team


def _field(name: str, spec: dict[str, Any], required: bool) -> forms.Field:
    common: dict[str, Any] = {
        "label": spec.get("title") or name.replace("_", " ").capitalize(),
        "help_text": spec.get("description", ""),
        "required": required,
        "initial": spec.get("default"),
    }
    if "enum" in spec:
        return forms.TypedChoiceField(
            choices=[(str(v), str(v)) for v in spec["enum"]],
            coerce=lambda text, values=tuple(spec["enum"]): next(v for v in values if str(v) == text),
            **common,
        )
    if spec.get("type") == "integer":
        return forms.IntegerField(min_value=spec.get("minimum"), max_value=spec.get("maximum"), **common)
    if spec.get("type") == "boolean":
        return forms.BooleanField(**{**common, "required": False})
    return forms.CharField(max_length=spec.get("maxLength"), strip=True, **common)


def _empty_allowed(spec: dict[str, Any]) -> bool:
    """Whether '' is a value the path accepts (such as 'empty = export nothing'), not just a blank field."""
    pattern = spec.get("pattern")
    return isinstance(pattern, str) and re.search(pattern, "") is not None


class GoldenPathRunForm(forms.Form):
    """One field per parameter of the path; the owner is picked from the person's teams."""

    def __init__(self, *args: Any, path: GoldenPath, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        properties: dict[str, Any] = path.parameters.get("properties", {})
        self.specs = properties
        required = set(path.parameters.get("required", []))
        for name, spec in properties.items():
            if name == "owner":
                choices = [(_owner_value(t.name, spec), t.title or t.name) for t in _teams_for(user)]
                self.fields[name] = forms.ChoiceField(
                    choices=choices,
                    label=spec.get("title", "Owner"),
                    required=name in required,
                    help_text="The team that will own the service (only teams you belong to).",
                )
            else:
                self.fields[name] = _field(name, spec, name in required)

    def parameters(self) -> dict[str, Any]:
        """The cleaned values; an empty optional one is left out unless the schema gives empty a meaning."""
        return {
            name: value
            for name, value in self.cleaned_data.items()
            if value is not None and (value != "" or _empty_allowed(self.specs.get(name, {})))
        }

    def add_service_errors(self, fields: dict[str, list[str]]) -> None:
        """Put the service's field errors ('parameters.name') on the matching fields, the rest on the form."""
        for key, reasons in fields.items():
            name = key.removeprefix("parameters.")
            self.add_error(name if name in self.fields else None, "; ".join(reasons))
