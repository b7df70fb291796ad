"""The platform portal: the Django backend behind a Backstage developer portal."""

from portal.celery import app as celery_app

__all__ = ["celery_app"]
