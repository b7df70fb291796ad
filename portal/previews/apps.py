from django.apps import AppConfig


class PreviewsConfig(AppConfig):
    name = "portal.previews"
    label = "previews"
    verbose_name = "Preview environments per pull request"

    def ready(self) -> None:
        from portal.changes.signals import pull_request_event
        from portal.previews.events import signal_receiver

        pull_request_event.connect(signal_receiver, dispatch_uid="previews.pull_request_event")
