"""Ask before acting on a person's terminal: --apply on a pseudo-terminal shows the account, the regions
and the changes, and acts only on 'y'; without a terminal, or with --yes, it acts as before."""

from __future__ import annotations

import os
import pty
import re
import select
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
QUESTION = "Apply these changes? [y/N]"
ENV = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "lambda_src"), str(ROOT)]), "COLUMNS": "200",
       "NO_COLOR": "1"}


def on_a_terminal(args: list[str], answer: str | None, timeout: float = 120) -> tuple[int, str]:
    """Run the CLI with stdin, stdout and stderr on a pseudo-terminal; type `answer` at the question."""
    master, slave = pty.openpty()
    child = subprocess.Popen([sys.executable, "-m", "cost_watcher.faces.cli", *args], stdin=slave, stdout=slave,
                             stderr=slave, env=ENV, close_fds=True)
    os.close(slave)
    seen, answered, deadline = b"", False, time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.2)
            if ready:
                try:
                    chunk = os.read(master, 65536)
                except OSError:  # the child closed the terminal
                    break
                if not chunk:
                    break
                seen += chunk
            if answer is not None and not answered and QUESTION.encode() in seen:
                os.write(master, answer.encode() + b"\n")
                answered = True
            if child.poll() is not None and not ready:
                break
        code = child.wait(timeout=10)
    finally:
        if child.poll() is None:
            child.kill()
        os.close(master)
    text = seen.decode(errors="replace")
    return code, re.sub(r"\r\x1b\[K(?:cost-watcher: [^\r\n]*)?", "", text).replace("\r\n", "\n")


def changes_made(screen: str) -> int:
    """The 'N changes made' of the header, checked against the plan line's done actions."""
    made = int(re.search(r"apply mode: (\d+) changes? made", screen).group(1))
    plan = re.search(r"plan: ([^\n]*)", screen).group(1)
    assert made == sum(int(n) for n in re.findall(r"(\d+) [a-z-]+ \(done\)", plan)), plan
    return made


def test_no_changes_unless_the_answer_is_yes():
    code, screen = on_a_terminal(["scan", "--demo", "--apply"], "n")
    assert QUESTION in screen
    question = screen[:screen.index(QUESTION)]
    assert "simulated demo account 123456789012, regions us-east-1, eu-west-1" in question
    assert re.search(r"scale down \(restore record first\)\s+image-embed-gpu \(us-east-1, \$1,075/month\)", question)
    assert "mark idle" in question and "churn-model-v1" in question
    assert "not applied; nothing was changed" in screen
    assert "dry run: nothing was changed" in screen and "(done)" not in screen
    assert code == 3  # the demo account has a part that cannot be seen


def test_yes_acts():
    code, screen = on_a_terminal(["scan", "--demo", "--apply"], "y")
    assert QUESTION in screen
    after = screen[screen.index(QUESTION):]
    assert changes_made(after) >= 3 and "scale-down (done)" in after
    assert code == 3


def test_yes_flag_and_scripts_are_not_asked():
    code, screen = on_a_terminal(["scan", "--demo", "--apply", "--yes"], None)
    assert code == 3
    assert QUESTION not in screen and changes_made(screen) >= 3
    done = subprocess.run([sys.executable, "-m", "cost_watcher.faces.cli", "scan", "--demo", "--apply"], env=ENV,
                          stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=120)
    assert QUESTION not in done.stderr and changes_made(done.stdout) == changes_made(screen)
