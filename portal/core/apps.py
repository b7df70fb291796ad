from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "portal.core"
    label = "core"
    verbose_name = "Core: people, teams, tokens and audit"

    def ready(self) -> None:
        from portal.core import schema  # noqa: F401 - registers the OpenAPI security scheme
        from portal.core.telemetry import telemetry_start

        telemetry_start()
