"""One error type and one JSON error shape for every API: {"error": {"code", "message", "fields"}}."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.views import defaults
from rest_framework import exceptions, status
from rest_framework.response import Response


class ApplicationError(Exception):
    """An error a caller can act on: a code, a message saying what to do, and the fields at fault."""

    status_code: int = status.HTTP_400_BAD_REQUEST
    code: str = "invalid"

    def __init__(
        self,
        message: str,
        *,
        fields: dict[str, list[str]] | None = None,
        code: str | None = None,
        status_code: int | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.fields = fields or {}
        if code:
            self.code = code
        if status_code:
            self.status_code = status_code


class Conflict(ApplicationError):
    status_code: int = status.HTTP_409_CONFLICT
    code = "conflict"


class NotFound(ApplicationError):
    status_code: int = status.HTTP_404_NOT_FOUND
    code = "not_found"


class Forbidden(ApplicationError):
    status_code: int = status.HTTP_403_FORBIDDEN
    code = "forbidden"


def error_body(code: str, message: str, fields: dict[str, list[str]] | None = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "fields": fields or {}}}


def flatten_fields(detail: Any, prefix: str = "") -> dict[str, list[str]]:
    """Turn DRF's nested error detail into {"a.b[0].c": ["reason", ...]}."""
    out: dict[str, list[str]] = {}
    if isinstance(detail, dict):
        for key, value in detail.items():
            if isinstance(key, int) or (isinstance(key, str) and key.isdigit()):
                name = f"{prefix}[{key}]"
            else:
                name = f"{prefix}.{key}" if prefix else str(key)
            if key == "non_field_errors":
                name = prefix or "non_field_errors"
            out.update(_merge(out, flatten_fields(value, name)))
    elif isinstance(detail, list):
        if all(not isinstance(item, (dict, list)) for item in detail):
            out[prefix or "non_field_errors"] = [str(item) for item in detail]
        else:
            for index, item in enumerate(detail):
                if item:
                    out.update(_merge(out, flatten_fields(item, f"{prefix}[{index}]")))
    else:
        out[prefix or "non_field_errors"] = [str(detail)]
    return out


def _merge(current: dict[str, list[str]], new: dict[str, list[str]]) -> dict[str, list[str]]:
    return {key: current.get(key, []) + value for key, value in new.items()}


def _summary(fields: dict[str, list[str]]) -> str:
    if not fields:
        return "The request is invalid."
    name, reasons = next(iter(fields.items()))
    more = f" (and {len(fields) - 1} more field(s))" if len(fields) > 1 else ""
    return f"{name}: {reasons[0]}{more}"


_DRF_CODES: dict[type[exceptions.APIException], str] = {
    exceptions.NotAuthenticated: "not_authenticated",
    exceptions.AuthenticationFailed: "authentication_failed",
    exceptions.PermissionDenied: "forbidden",
    exceptions.NotFound: "not_found",
    exceptions.MethodNotAllowed: "method_not_allowed",
    exceptions.NotAcceptable: "not_acceptable",
    exceptions.UnsupportedMediaType: "unsupported_media_type",
    exceptions.ParseError: "parse_error",
    exceptions.Throttled: "throttled",
}


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF exception handler: every error leaves in the same shape."""
    from django.db import InterfaceError, OperationalError

    if isinstance(exc, OperationalError | InterfaceError):
        body = error_body("database_unavailable", "The database is not answering; retry in a few seconds.")
        return Response(body, status=503, headers={"Retry-After": "5"})
    from django.db import DataError

    if isinstance(exc, DataError):
        # The database refused a value (an offset beyond +-15:59, a number out of range): the input's fault.
        reason = str(exc).split("\n")[0][:200]
        return Response(
            error_body("invalid", f"A value is out of range: {reason}", {"non_field_errors": [reason]}), status=400
        )
    if isinstance(exc, ValueError) and "NUL" in str(exc):
        # PostgreSQL cannot store or compare text with NUL characters; it is bad input, not a server error.
        return Response(
            error_body(
                "invalid",
                "The request contains a NUL character; remove it.",
                {"non_field_errors": ["contains a NUL (0x00) character"]},
            ),
            status=400,
        )
    if isinstance(exc, ApplicationError):
        return Response(error_body(exc.code, exc.message, exc.fields), status=exc.status_code)
    if isinstance(exc, DjangoValidationError):
        fields = exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        return Response(error_body("invalid", _summary(fields), fields), status=400)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    if not isinstance(exc, exceptions.APIException):
        return None
    headers: dict[str, str] = {}
    auth_header = getattr(exc, "auth_header", None)
    if auth_header:
        headers["WWW-Authenticate"] = str(auth_header)
    if isinstance(exc, exceptions.ValidationError):
        fields = flatten_fields(exc.detail)
        return Response(error_body("invalid", _summary(fields), fields), status=400)
    code = _DRF_CODES.get(type(exc), str(exc.default_code))
    status_code = exc.status_code
    if isinstance(exc, (exceptions.NotAuthenticated, exceptions.AuthenticationFailed)):
        status_code = 401
        headers.setdefault("WWW-Authenticate", 'Bearer realm="portal"')
    return Response(error_body(code, str(exc.detail)), status=status_code, headers=headers)


def _wants_json(request: HttpRequest) -> bool:
    return request.path.startswith("/api/") or "json" in request.headers.get("Accept", "")


def json_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    if not _wants_json(request):
        return defaults.page_not_found(request, exception)
    return JsonResponse(error_body("not_found", f"No such endpoint: {request.path}"), status=404)


def json_server_error(request: HttpRequest) -> HttpResponse:
    if not _wants_json(request):
        return defaults.server_error(request)
    return JsonResponse(
        error_body("server_error", "The portal failed to handle this request; it has been logged."),
        status=500,
    )
