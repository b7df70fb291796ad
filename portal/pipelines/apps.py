from django.apps import AppConfig


class PipelinesConfig(AppConfig):
    name = "portal.pipelines"
    label = "pipelines"
    verbose_name = "Shared pipelines: versioned CI/CD steps and their roll-out"
