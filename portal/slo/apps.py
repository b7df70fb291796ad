from django.apps import AppConfig


class SloConfig(AppConfig):
    name = "portal.slo"
    label = "slo"
    verbose_name = "SLOs"
