"""Who are we on AWS? One quick STS call before anything else, so a missing credential, an
unknown profile, an expired session or no route to AWS is one line and exit 4 within seconds,
never an empty report that looks like an account without waste.

GetCallerIdentity needs no permission (https://docs.aws.amazon.com/STS/latest/APIReference/API_GetCallerIdentity.html),
so any failure here is about the credentials or the network, not about the policy.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectionError,
    CredentialRetrievalError,
    HTTPClientError,
    InvalidConfigError,
    NoCredentialsError,
    PartialCredentialsError,
    ProfileNotFound,
    SSOError,
    TokenRetrievalError,
)

from cost_watcher.errors import CredentialsError, describe_error, error_code
from cost_watcher.report.cells import View

# A person is waiting: two tries of at most a few seconds each, so the answer comes well within 15 s.
QUICK = Config(connect_timeout=3, read_timeout=5, retries={"mode": "standard", "total_max_attempts": 2})
FALLBACK_REGION = "us-east-1"
DEMO_ACCOUNT = "simulated demo account"
EXPIRED = {"ExpiredToken", "ExpiredTokenException", "RequestExpired", "TokenRefreshRequired"}
INVALID = {"InvalidClientTokenId", "UnrecognizedClientException", "SignatureDoesNotMatch", "InvalidAccessKeyId",
           "AuthFailure", "IncompleteSignature"}
FIX = "run 'aws configure' (access keys) or 'aws sso login --profile NAME' and pass --profile NAME; --demo needs no AWS"


@dataclass(frozen=True)
class Identity:
    """The account a run looks at, for the screen's header and the question before --apply."""

    account: str
    arn: str = ""
    alias: str | None = None
    demo: bool = False

    def label(self) -> str:
        if self.demo:
            return f"{DEMO_ACCOUNT} {self.account}"
        return f"account {self.account}" + (f" ({self.alias})" if self.alias else "")

    def view(self, **options: Any) -> View:
        """How the report is shown for this account."""
        return View(account_id=self.account, account_alias=self.alias, demo=self.demo, **options)


def open_session(profile: str | None) -> boto3.session.Session:
    """boto3's session for `profile` (or the usual chain); an unknown profile is a CredentialsError."""
    try:
        session = boto3.session.Session(profile_name=profile)
        session.region_name  # noqa: B018 - reads the profile now, so a missing one fails here, not mid-scan
        return session
    except ProfileNotFound as error:
        name = error.kwargs.get("profile", profile)
        source = "--profile" if profile else "AWS_PROFILE"
        known = boto3.session.Session(profile_name=None).available_profiles if profile else []
        raise CredentialsError(
            f"AWS profile '{name}' ({source}) is not in your AWS config files; known profiles: "
            f"{', '.join(sorted(known)) or 'none'} (create it with 'aws configure --profile {name}' or "
            f"'aws configure sso')") from None
    except (InvalidConfigError, BotoCoreError) as error:
        raise CredentialsError(f"the AWS configuration cannot be read: {describe_error(error)}") from None


def who_am_i(session: boto3.session.Session, *, alias: bool = True) -> Identity:
    """The caller's account (and its alias, when IAM lets us read it); CredentialsError naming cause and fix."""
    region = session.region_name or FALLBACK_REGION
    profile = session.profile_name if session.profile_name != "default" else None
    try:
        answer = session.client("sts", region_name=region, config=QUICK).get_caller_identity()
    except Exception as error:  # noqa: BLE001 - every failure becomes one line; the kinds are sorted below
        raise CredentialsError(explain(error, region, profile)) from None
    return Identity(answer["Account"], answer.get("Arn", ""), account_alias(session) if alias else None)


def account_alias(session: boto3.session.Session) -> str | None:
    """The account's alias, for people; None without iam:ListAccountAliases (it is only a name)."""
    try:
        aliases = session.client("iam", config=QUICK).list_account_aliases().get("AccountAliases", [])
    except (ClientError, BotoCoreError):
        return None
    return aliases[0] if aliases else None


def explain(error: BaseException, region: str, profile: str | None) -> str:
    """One line: what went wrong with reaching AWS as the caller, and how to fix it."""
    who = f"the credentials of profile '{profile}'" if profile else "your AWS credentials"
    login = f"aws sso login --profile {profile}" if profile else "aws sso login --profile NAME"
    if isinstance(error, NoCredentialsError):
        return f"no AWS credentials found: {FIX}"
    if isinstance(error, (SSOError, TokenRetrievalError)):
        return f"the AWS SSO session has expired or was never started: run '{login}' ({describe_error(error)})"
    if isinstance(error, (PartialCredentialsError, CredentialRetrievalError, InvalidConfigError)):
        return f"{who} cannot be used: {describe_error(error)}; {FIX}"
    if isinstance(error, (ConnectionError, HTTPClientError)):
        return (f"AWS cannot be reached (STS in {region}): {describe_error(error)}; check the network, proxy "
                "and AWS_ENDPOINT_URL, or try --demo")
    code = error_code(error)
    if code in EXPIRED:
        return f"{who} have expired ({code}): refresh them ('{login}', or new keys with 'aws configure')"
    if code in INVALID:
        return f"AWS does not accept {who} ({code}): check the keys with 'aws configure', or pass --profile NAME"
    return f"AWS did not say who you are ({describe_error(error)}); {FIX}"


def enabled_regions(session: boto3.session.Session, service: str = "sagemaker") -> list[str]:
    """`--region all`: the account's enabled regions that offer `service`. DescribeRegions lists only the
    regions enabled for the account unless AllRegions is set
    (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeRegions.html)."""
    region = session.region_name or FALLBACK_REGION
    try:
        answer = session.client("ec2", region_name=region, config=QUICK).describe_regions()
    except Exception as error:  # noqa: BLE001 - one line, as for the identity check
        reason = explain(error, region, session.profile_name if session.profile_name != "default" else None)
        if error_code(error) in {"UnauthorizedOperation", "AccessDenied", "AccessDeniedException"}:
            reason = f"--region all needs ec2:DescribeRegions ({describe_error(error)}); pass --region R instead"
        raise CredentialsError(reason) from None
    offered = set(session.get_available_regions(service, partition_name=_partition(region)))
    return sorted(r["RegionName"] for r in answer.get("Regions", []) if not offered or r["RegionName"] in offered)


def _partition(region: str) -> str:
    return "aws-cn" if region.startswith("cn-") else "aws-us-gov" if region.startswith("us-gov-") else "aws"


def demo_identity() -> Identity:
    """The simulated account's id, asked of the simulator like any account (inside demo_stack;
    not through the run's clients, so the report's call counts stay the scan's own)."""
    answer = boto3.session.Session().client("sts", region_name=FALLBACK_REGION).get_caller_identity()
    return Identity(answer["Account"], answer.get("Arn", ""), demo=True)
