"""One exception tree for every error a user can cause.

The CLI and the API turn an :class:`OpenIMRError` into a clear message and a non-zero exit
(or a 4xx answer); anything else is a bug and may show a traceback.
"""

from __future__ import annotations


class OpenIMRError(Exception):
    """Base of every user-facing error."""

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        field: str | None = None,
        line: int | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.file = file
        self.field = field
        self.line = line

    def __str__(self) -> str:
        where = ""
        if self.file:
            where = self.file
            if self.line is not None:
                where += f":{self.line}"
            where += ": "
        if self.field:
            where += f"{self.field}: "
        return f"{where}{self.message}"


class CaseFormatError(OpenIMRError):
    """A case directory or case.yaml breaks the case-format contract."""


class RecordError(OpenIMRError):
    """A medical record cannot be read."""


class LibraryError(OpenIMRError):
    """The guideline library is invalid (names file:line)."""


class LibraryErrors(OpenIMRError):
    """Several library errors at once (``openimr library check`` reports them all)."""

    def __init__(self, errors: list[LibraryError]) -> None:
        self.errors = errors
        super().__init__("\n".join(str(e) for e in errors))

    def __str__(self) -> str:
        return "\n".join(str(e) for e in self.errors)


class RequestError(OpenIMRError):
    """A disputed request cannot be read."""


class LetterParseError(OpenIMRError):
    """An IMR letter cannot be read fully."""


class ServiceError(OpenIMRError):
    """A request to the IMR workflow service cannot be carried out (base of the service's errors).

    ``code`` is a short machine-readable name the API returns beside the message.
    """

    code = "service_error"


class NotFoundError(ServiceError):
    """A case, reviewer, document or key does not exist (or is not visible to the caller)."""

    code = "not_found"


class ConflictError(ServiceError):
    """The request conflicts with the case's current state (duplicate, concurrent change)."""

    code = "conflict"


class InvalidTransitionError(ConflictError):
    """A case cannot move from its current state to the one asked for."""

    code = "invalid_transition"


class AuthenticationError(ServiceError):
    """No valid API key or token was given."""

    code = "unauthenticated"


class PermissionDeniedError(ServiceError):
    """The caller's role does not allow the action on this case."""

    code = "forbidden"

    def __init__(self, message: str, *, actor: str | None = None, **where: str | None) -> None:
        super().__init__(message, **where)  # type: ignore[arg-type]
        self.actor = actor
        """Who was refused, when known before the caller is fully authenticated."""


class InputError(ServiceError):
    """A request's content is invalid (a missing reason, an unknown item, a bad value)."""

    code = "invalid_input"


class UploadTooLargeError(ServiceError):
    """An upload is over a configured limit (file size, request size or number of files)."""

    code = "upload_too_large"
