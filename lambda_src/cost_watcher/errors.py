"""How an AWS failure is put into words for the report: one line a person can act on."""

from __future__ import annotations

from botocore.exceptions import ClientError


def error_code(error: BaseException) -> str | None:
    return error.response.get("Error", {}).get("Code") if isinstance(error, ClientError) else None


def describe_error(error: BaseException) -> str:
    """The AWS error code and message, or the exception's type and text."""
    if isinstance(error, ClientError):
        info = error.response.get("Error", {})
        return f"{info.get('Code', 'Error')}: {info.get('Message', str(error))}"
    return f"{type(error).__name__}: {error}"


def is_not_found(error: BaseException) -> bool:
    """SageMaker answers a missing resource with ValidationException 'Could not find ...'."""
    code = error_code(error)
    message = str(error).lower()
    return code in {"ResourceNotFound", "ResourceNotFoundException"} or (
        code == "ValidationException" and ("could not find" in message or "does not exist" in message)
    )
