"""Organization mode in the digest: totals per account first, then where each problem is.

A report without `accounts` (one account) gets nothing from here, so single-account digests
read as before.
"""

from __future__ import annotations

from dataclasses import dataclass

from cost_watcher.model import Finding, RegionError, Report
from cost_watcher.report.selection import needs_attention
from cost_watcher.words import money, plural


@dataclass
class AccountTotal:
    id: str
    name: str
    seen: str
    endpoints: int = 0
    attention: int = 0
    monthly_usd: float = 0.0
    reclaimable_usd: float = 0.0


def totals(report: Report) -> list[AccountTotal]:
    """One total per account of the run, most reclaimable first; accounts not seen last."""
    by_id = {a.id: AccountTotal(a.id, a.name, a.seen) for a in report.accounts}
    for finding in report.findings:
        total = by_id.get(finding.account or "")
        if total is None:
            continue
        total.endpoints += 1
        total.attention += needs_attention(finding)
        total.monthly_usd += finding.monthly_cost_usd or 0.0
        total.reclaimable_usd += finding.reclaimable_usd
    return sorted(by_id.values(), key=lambda t: (t.seen != "seen", -t.reclaimable_usd, t.name, t.id))


def total_line(total: AccountTotal) -> str:
    label = f"{total.id} {total.name}"
    if total.seen != "seen":
        return f"{label}: {total.seen}"
    return (f"{label}: {plural(total.endpoints, 'endpoint')}, {total.attention:,} idle or underused, "
            f"~{money(total.reclaimable_usd)}/month reclaimable")


def summary(report: Report) -> str:
    seen = sum(1 for a in report.accounts if a.seen == "seen")
    return f"{plural(len(report.accounts), 'account')}, {seen:,} seen in full"


def account_of(finding: Finding) -> str:
    """The account column of a finding: its name, or its id when it has none."""
    return finding.account_name or finding.account or "-"


def place(error: RegionError) -> str:
    """Where an error is: its account (when the report spans several) and region."""
    return f"{error.account} {error.region}" if error.account else error.region
