"""The terminal table of one run, for a person at a shell: one line an endpoint, then why.

Apart from the JSON codec (record.py) because it is a view: the CLI prints it, nothing reads it back.
"""

from __future__ import annotations

from cost_watcher.model import Finding, Report, Verdict
from cost_watcher.record import action_state, summarize
from cost_watcher.words import instances, last_used, money

HEADERS = ("ENDPOINT", "REGION", "VERDICT", "SCORE", "LAST USED", "INSTANCES", "$/MONTH", "RECLAIMABLE", "ACTION")
NUMERIC = {3, 6, 7}  # columns aligned right


def render_table(report: Report) -> str:
    """Readable table sorted by reclaimable $, then totals, actions, warnings and errors."""
    rows = [
        (
            f.name,
            f.region,
            str(f.verdict),
            str(f.score),
            _last_used(f, report),
            instances(f.variants, per_variant=True),
            money(f.monthly_cost_usd, unknown="-"),
            money(f.reclaimable_usd, unknown="-"),
            _action_cell(f),
        )
        for f in sorted(report.findings, key=lambda f: (-f.reclaimable_usd, -f.score, f.region, f.name))
    ]
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(HEADERS)]

    def line(cells: tuple[str, ...]) -> str:
        return "  ".join(
            c.rjust(w) if i in NUMERIC else c.ljust(w) for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        ).rstrip()

    summary = summarize(report)
    mode = "dry run: nothing was changed" if report.dry_run else "apply mode"
    out = [f"cost-watcher scan of {', '.join(report.regions)}, lookback {report.lookback_days} days ({mode})", ""]
    out += [line(HEADERS), line(tuple("-" * w for w in widths))] + [line(r) for r in rows]
    if not rows:
        out.append("(no SageMaker real-time endpoints found)")
    counts = ", ".join(f"{n} {v}" for v, n in summary["by_verdict"].items() if n)
    out += [
        "",
        f"{summary['endpoints']} endpoints ({counts or 'none'}); {summary['ignored']} ignored by tag.",
        f"Monthly cost of judged endpoints: {money(summary['monthly_cost_usd'], unknown='-')}; "
        f"reclaimable: {money(summary['reclaimable_usd'], unknown='-')}/month.",
    ]
    out += _why(report)
    if report.errors:
        out += ["", "Could not be seen (nothing there was acted on):"]
        out += [f"  {e.region}: {e.operation}: {e.message}" for e in report.errors]
    if report.report_location:
        out += ["", f"Full report: {report.report_location}"]
    if report.notification:
        out.append(f"Digest: {report.notification}")
    return "\n".join(out)


def _why(report: Report) -> list[str]:
    """The reason, advice, warnings and action of every endpoint that is not simply active."""
    notes = [f for f in report.findings if f.verdict not in (Verdict.ACTIVE,) or f.advice or f.warnings]
    if not notes:
        return []
    out = ["", "Why:"]
    for f in sorted(notes, key=lambda f: (-f.reclaimable_usd, f.name)):
        out.append(f"  {f.name}: {f.reason}")
        if f.advice:
            out.append(f"    advice: {f.advice}")
        out += [f"    warning: {w}" for w in f.warnings]
        if f.action_reason and str(f.action) == "none":
            out.append(f"    not acted on: {f.action_reason}")
        elif f.action_reason:
            out.append(f"    action: {f.action} - {f.action_result or 'planned'} ({f.action_reason})")
    return out


def _last_used(finding: Finding, report: Report) -> str:
    """No invocation at all: 'never/30d+' when that made it idle, '-' when the verdict rests on something else."""
    never = "never/30d+" if finding.verdict in (Verdict.IDLE, Verdict.NO_IDLE_COST) else "-"
    return last_used(finding.last_invocation, report.generated_at, never=never, short=True)


def _action_cell(finding: Finding) -> str:
    if str(finding.action) == "none":
        return "-"
    state = action_state(finding)
    return f"{finding.action} ({state})" if state != "none" else str(finding.action)
