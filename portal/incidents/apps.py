from django.apps import AppConfig


class IncidentsConfig(AppConfig):
    name = "portal.incidents"
    label = "incidents"
    verbose_name = "Incidents"
