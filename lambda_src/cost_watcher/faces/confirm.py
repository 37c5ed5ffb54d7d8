"""Ask before acting on a person's terminal: the account, the regions and what would be done, then
a yes. Without a terminal (scripts, CI, the bench) nothing is asked, as before; --yes skips it.

What would be done comes from a dry run of the same settings just before (no report stored, no
digest); the act run then scans afresh and re-checks every endpoint right before changing it.
"""

from __future__ import annotations

import sys
import textwrap
from typing import TextIO

from cost_watcher.faces.identity import Identity
from cost_watcher.faces.terminal import is_terminal, width
from cost_watcher.model import DESTRUCTIVE_ACTIONS, Action, Report
from cost_watcher.report.selection import by_reclaimable
from cost_watcher.words import money, plural

YES = ("y", "yes")


def should_ask(yes: bool, stdin: TextIO = sys.stdin, stderr: TextIO = sys.stderr) -> bool:
    return not yes and is_terminal(stdin) and is_terminal(stderr)


def plan_text(preview: Report, identity: Identity) -> str:
    """What --apply is about to do, one line an action, most reclaimable first."""
    acting = by_reclaimable(f for f in preview.findings if f.action != Action.NONE
                            and (f.action not in DESTRUCTIVE_ACTIONS or str(f.action_result or "") == "planned"))
    lines = [f"cost-watcher --apply on {identity.label()}, regions {', '.join(preview.regions)}:"]
    if not acting:
        return "\n".join([*lines, "  nothing to do: no endpoint is due for a change."])
    for finding in acting:
        what = {Action.DELETE: "delete (restore record first)", Action.SCALE_DOWN: "scale down (restore record first)",
                Action.MARK: "mark idle (grace period starts)", Action.UNMARK: "unmark (in use again)"}.get(
            finding.action, str(finding.action))
        saving = f", {money(finding.reclaimable_usd)}/month" if finding.action in DESTRUCTIVE_ACTIONS else ""
        lines.append(f"  {what:<34} {finding.name} ({finding.region}{saving})")
    destructive = sum(1 for f in acting if f.action in DESTRUCTIVE_ACTIONS)
    lines.append(f"{plural(len(acting), 'change')}, {destructive} of them destructive; every endpoint is checked "
                 "again right before it is changed, and a deletion is undone with 'cost-watcher restore'.")
    return "\n".join(lines)


def nothing_to_do(preview: Report) -> bool:
    return all(f.action == Action.NONE for f in preview.findings)


def ask(text: str, stdin: TextIO = sys.stdin, stderr: TextIO = sys.stderr) -> bool:
    """Print the plan and the question on stderr (stdout is for the report); only y or yes proceeds."""
    columns = width()
    wrapped = "\n".join(textwrap.fill(line, columns, subsequent_indent="    " if line.startswith("  ") else "  ")
                        if len(line) > columns else line for line in text.splitlines())
    stderr.write(f"{wrapped}\nApply these changes? [y/N] ")
    stderr.flush()
    answer = stdin.readline()
    if not answer:
        stderr.write("\n")
    return answer.strip().lower() in YES
