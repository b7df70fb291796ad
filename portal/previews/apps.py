from django.apps import AppConfig


class PreviewsConfig(AppConfig):
    name = "portal.previews"
    label = "previews"
    verbose_name = "Preview environments per pull request"
