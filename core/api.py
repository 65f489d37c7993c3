"""The API's shared pieces: pagination and one error format for every failure.

Every error body is `{"message": str, "code": str, "fields": {field: [messages]}}`.
"""

import copy

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models
from django.db.models import ProtectedError
from django.http import Http404
from rest_framework import exceptions, serializers
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from core.errors import DomainError

# Primary keys are bigint: a larger id is refused with 400 before it reaches the database.
MAX_ID = 2**63 - 1


def column_length(model, field_name: str) -> int:
    """The column's max_length, so an input field refuses with 400 what the database would
    refuse with a 500."""
    return model._meta.get_field(field_name).max_length


def id_field(**kwargs) -> serializers.IntegerField:
    """An input naming a row by its id: a positive bigint."""
    return serializers.IntegerField(min_value=1, max_value=MAX_ID, **kwargs)


class DateTimeField(serializers.DateTimeField):
    """A date and time between the years 2000 and 2100. Far-off years come back with the
    local-mean-time offsets of the time zone database (e.g. -05:17:32), which no client parses."""

    default_error_messages = {"out_of_range": "Use a date between 2000 and 2100."}

    def to_internal_value(self, value):
        parsed = super().to_internal_value(value)
        if not 2000 <= parsed.year <= 2100:
            self.fail("out_of_range")
        return parsed


# DRF's ModelSerializer with the date-time range above on every model date-time, and its fields
# built from the model once per class: DRF builds them again for every instance (and for every
# nested serializer of every response), which cost two thirds of serializing a cart. They depend
# only on the class; each instance gets its own copy, as DRF gives it its own copy of the
# declared fields. (A comment, not a docstring: the schema would show it on every serializer.)
class ModelSerializer(serializers.ModelSerializer):
    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.DateTimeField: DateTimeField,
    }

    def get_fields(self):
        cls = type(self)
        built = cls.__dict__.get("_fields_built_once")
        if built is None:
            built = super().get_fields()
            cls._fields_built_once = built
        return copy.deepcopy(built)


class Pagination(PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = 200


def error_body(message: str, code: str, fields: dict | None = None) -> dict:
    return {"message": message, "code": code, "fields": fields or {}}


def _as_lists(detail) -> dict:
    if isinstance(detail, dict):
        return {k: v if isinstance(v, list | dict) else [v] for k, v in detail.items()}
    return {"non_field_errors": detail if isinstance(detail, list) else [detail]}


def exception_handler(exc, context):
    if isinstance(exc, DomainError):
        fields = {exc.field: [exc.message]} if exc.field else {}
        body = error_body(exc.message, exc.code, fields)
        body.update(exc.extra)
        return Response(body, status=exc.http_status)
    if isinstance(exc, ProtectedError):
        # Deleting a row that orders, usage or other rows still point to.
        return Response(
            error_body(
                f"It is still used by {len(exc.protected_objects)} other records; "
                "withdraw or expire it instead.",
                "in_use",
            ),
            status=409,
        )
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(
            exc.message_dict if hasattr(exc, "error_dict") else exc.messages
        )
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()

    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        response.data = error_body(
            "Some fields are not valid; see `fields`.", "invalid", _as_lists(exc.detail)
        )
    else:
        detail = exc.detail if isinstance(exc, exceptions.APIException) else str(exc)
        code = exc.get_codes() if isinstance(exc, exceptions.APIException) else "error"
        response.data = error_body(str(detail), code if isinstance(code, str) else "error")
    return response


# The failures any operation can answer with, on top of what its own @extend_schema declares.
COMMON_ERRORS = {
    "400": "The input is not valid; `fields` says which",
    "401": "Not signed in (session) and no valid `Authorization: Token ...` header",
    "403": "The user's role does not allow this",
    "404": "No such record",
    "429": "Too many requests or failed logins; wait and retry",
}
# Writes can also meet a concurrent change, a record still in use or a wrong state.
WRITE_ERRORS = {"409": "A conflict: a stale version, a record still in use, or a wrong state"}


def add_error_responses(result, generator, request, public):
    """drf-spectacular postprocessing hook: every operation documents the error body for the
    failures any operation can answer with, so clients (and schemathesis in CI) see what the API
    really returns."""
    components = result.setdefault("components", {}).setdefault("schemas", {})
    components["Error"] = {
        "type": "object",
        "properties": {
            "message": {"type": "string"},
            "code": {"type": "string"},
            "fields": {"type": "object", "additionalProperties": {}},
        },
        "required": ["message", "code", "fields"],
    }
    error = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    for operations in result.get("paths", {}).values():
        for method, operation in operations.items():
            declared = operation.setdefault("responses", {})
            errors = dict(COMMON_ERRORS)
            if method != "get":
                errors.update(WRITE_ERRORS)
            for status_code, description in errors.items():
                declared.setdefault(status_code, {"description": description, "content": error})
    return result
