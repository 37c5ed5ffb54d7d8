"""Every exception of the engine, and how an AWS failure is put into words: one line a person can act on.

Each exception says who made the mistake, so its face knows how to answer: a setting or an
event is the caller's (rejected with the message, no AWS call), a usage error is the
command line's (exit 2), the time limit is Lambda's (the region is reported not seen).
"""

from __future__ import annotations

from botocore.exceptions import ClientError


class SettingsError(ValueError):
    """A setting has a value we do not accept; the message names key, value and what is accepted."""


class EventError(ValueError):
    """The invoke event is not one we accept; the message says what is."""


class UsageError(Exception):
    """A mistake in how the command was called: one line, exit 2."""


class TimeLimit(Exception):
    """The function's time limit is near: the rest of a region's scan is given up, so the
    report and digest still go out (that region then counts as not seen)."""


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


class OrganizationError(Exception):
    """Organization mode: the organization's accounts could not be listed; the message says why."""


class AssumeRoleError(Exception):
    """Organization mode: a member account's spoke role could not be assumed (that account is not seen)."""
