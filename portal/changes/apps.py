from django.apps import AppConfig


class ChangesConfig(AppConfig):
    name = "portal.changes"
    label = "changes"
    verbose_name = "Changes: deploys, pipelines, config and flags"

    def ready(self) -> None:
        from portal.changes import metrics

        metrics.register()
