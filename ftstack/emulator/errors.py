"""Errors the emulator answers with, shaped like Azure's `{"error": {"code", "message", "param", "type"}}`.

Codes are the authoring spec's `ErrorCode` values where one fits (reference §1.6: `invalidPayload`,
`notFound`, `conflict`, `unexpectedEntityState`, `quotaExceeded`, `jsonlValidationFailed`,
`fileImportFailed`, `tooManyRequests`); `type` is the v1 (OpenAI) error's field.
"""

from __future__ import annotations


def error_type(status: int) -> str:
    """The v1 error `type` for an HTTP status: a server error, or a problem with the request."""
    return "server_error" if status >= 500 else "invalid_request_error"


class ApiError(Exception):
    """An HTTP error answer: status, Azure error code, message and optionally the offending parameter."""

    def __init__(self, status: int, code: str, message: str, param: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.param = param

    def to_json(self) -> dict[str, object]:
        """The error body."""
        error: dict[str, object] = {
            "code": self.code,
            "message": self.message,
            "param": self.param,
            "type": error_type(self.status),
        }
        return {"error": error}


def not_found(what: str, ident: str) -> ApiError:
    """The 404 for an unknown id."""
    return ApiError(404, "notFound", f"{what} with id '{ident}' not found.")


def bad_request(message: str, param: str | None = None, code: str = "invalidPayload") -> ApiError:
    """A 400 naming the problem."""
    return ApiError(400, code, message, param)
