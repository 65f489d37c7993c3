"""The one domain error family. Its message is written for the person who must act on it."""


class DomainError(Exception):
    """A business rule refused the action. `field` names the input it concerns, if any."""

    code = "domain_error"
    http_status = 400

    def __init__(self, message: str, *, field: str | None = None, extra: dict | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
        self.extra = extra or {}


class NotAllowed(DomainError):
    code = "not_allowed"
    http_status = 403


class NotFound(DomainError):
    code = "not_found"
    http_status = 404


class StaleVersion(DomainError):
    """Optimistic concurrency: somebody else changed the record since it was read."""

    code = "stale_version"
    http_status = 409


class InvalidTransition(DomainError):
    code = "invalid_transition"
    http_status = 409
