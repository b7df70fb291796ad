from django.apps import AppConfig


class InfraConfig(AppConfig):
    name = "portal.infra"
    label = "infra"
    verbose_name = "Self-service infrastructure: resource requests"
