from django.apps import AppConfig


class ScaffolderConfig(AppConfig):
    name = "portal.scaffolder"
    label = "scaffolder"
    verbose_name = "Golden paths and scaffold runs"
