"""Every exception of the engine, and how an AWS failure is put into words: one line a person can act on.

Each exception says who made the mistake, so its face knows how to answer: a setting or an
event is the caller's (rejected with the message, no AWS call), a usage error is the
command line's (exit 2), the time limit is Lambda's (the region is reported not seen).
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence

from botocore.exceptions import ClientError


class SettingsError(ValueError):
    """A setting has a value we do not accept; the message names key, value and what is accepted."""


def unknown_keys(source: str, unknown: Sequence[str], accepted: Sequence[str]) -> SettingsError:
    """'unknown key(s) 'lookbak_days'; did you mean 'lookback_days'?' - or every accepted key when none is
    close: one line either way, however many settings there are."""
    near = [match for key in unknown for match in difflib.get_close_matches(key, accepted, 1)]
    hint = f"did you mean {', '.join(map(repr, near))}?" if near else f"accepted keys are {', '.join(accepted)}"
    return SettingsError(f"{source}: unknown key(s) {', '.join(map(repr, unknown))}; {hint}")


class EventError(ValueError):
    """The invoke event is not one we accept; the message says what is."""


class UsageError(Exception):
    """A mistake in how the command was called: one line, exit 2."""


class TimeLimit(Exception):
    """The function's time limit is near: the rest of a region's scan is given up, so the
    report and digest still go out (that region then counts as not seen)."""


class StoreError(Exception):
    """The store could not be opened; the message says why and what is accepted."""


class LedgerError(Exception):
    """The ledger could not be opened, written, verified or read; the message says which and why."""


class EndpointGone(Exception):
    """The endpoint no longer exists: reported, not an error."""


class StepFailed(Exception):
    """A call of the reclaim failed; `step` names the call under way, for errors (a dropped
    connection) that do not name their operation themselves."""

    def __init__(self, step: str, error: Exception) -> None:
        super().__init__(f"{step}: {error}")
        self.step, self.error = step, error


class RestoreError(Exception):
    """Restore cannot start (no record, a different endpoint in the way); the message says why."""


class IncompleteRecord(Exception):
    """Something a restore would need can no longer be read: the reclaim must not happen."""


class HistoryError(Exception):
    """No stored report matches what was asked; the message says what the ledger holds."""


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


class CredentialsError(Exception):
    """AWS cannot be reached as the caller (no or invalid credentials, an unknown profile, an expired
    session, no route to AWS): one line naming the cause and the fix, exit 4."""


class OrganizationError(Exception):
    """Organization mode: the organization's accounts could not be listed; the message says why."""


class AssumeRoleError(Exception):
    """Organization mode: a member account's spoke role could not be assumed (that account is not seen)."""
