from django.apps import AppConfig


class FinopsConfig(AppConfig):
    name = "portal.finops"
    label = "finops"
    verbose_name = "FinOps: costs, waste and rightsizing"
