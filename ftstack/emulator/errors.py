"""Errors the emulator answers with, shaped like Azure's `{"error": {"code", "message", "param"}}`."""

from __future__ import annotations


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
        error: dict[str, object] = {"code": self.code, "message": self.message}
        if self.param is not None:
            error["param"] = self.param
        return {"error": error}


def not_found(what: str, ident: str) -> ApiError:
    """The 404 for an unknown id."""
    return ApiError(404, "notFound", f"{what} with id '{ident}' not found.")


def bad_request(message: str, param: str | None = None, code: str = "invalidPayload") -> ApiError:
    """A 400 naming the problem."""
    return ApiError(400, code, message, param)
