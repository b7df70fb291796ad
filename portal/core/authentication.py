"""Bearer service tokens for machine callers (Backstage, CI, Alertmanager)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone
from rest_framework import authentication, exceptions
from rest_framework.request import Request

from portal.core.models import ServiceToken, User
from portal.core.tokens import token_digest

_LAST_USED_RESOLUTION = timedelta(minutes=1)


class ServiceTokenAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request: Request) -> tuple[User, ServiceToken] | None:
        header = authentication.get_authorization_header(request).decode(errors="replace")
        if not header:
            return None
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer":
            return None
        token = token.strip()
        if not token:
            raise exceptions.AuthenticationFailed("Empty bearer token.")
        return self.authenticate_token(token)

    def authenticate_token(self, token: str) -> tuple[User, ServiceToken]:
        found = ServiceToken.objects.select_related("user").filter(digest=token_digest(token)).first()
        now = timezone.now()
        if found is None:
            raise exceptions.AuthenticationFailed("Unknown service token.")
        if found.revoked_at is not None:
            raise exceptions.AuthenticationFailed("This service token has been revoked.")
        if found.expires_at is not None and found.expires_at <= now:
            raise exceptions.AuthenticationFailed("This service token has expired; create a new one.")
        if not found.user.is_active:
            raise exceptions.AuthenticationFailed("The account of this service token is disabled.")
        if found.last_used_at is None or now - found.last_used_at > _LAST_USED_RESOLUTION:
            ServiceToken.objects.filter(pk=found.pk).update(last_used_at=now)
        return found.user, found

    def authenticate_header(self, request: Any) -> str:
        return 'Bearer realm="portal"'
