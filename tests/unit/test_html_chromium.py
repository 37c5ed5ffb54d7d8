"""The HTML report as a person sees it: rendered by headless Chromium (Debian's `chromium`, which
.ci/run installs), and the screenshot must show the charts drawn in their colours."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from cost_watcher.report.cells import View
from cost_watcher.report.charts import IN_USE, RECLAIMABLE, TREND_BARS
from cost_watcher.report.formats import render
from cost_watcher.report.history import Night
from tests.digest_samples import act_report
from tests.support.png import colour_counts

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed here (.ci/run installs it "
                                                         "with apt-get install chromium)")


def screenshot(html: str, tmp_path, size: str = "900,1100"):
    page = tmp_path / "report.html"
    page.write_text(html)
    shot = tmp_path / "shot.png"
    subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                    "--disable-extensions", "--no-first-run", "--user-data-dir=" + str(tmp_path / "profile"),
                    f"--window-size={size}", f"--screenshot={shot}", page.as_uri()],
                   check=True, capture_output=True, timeout=120)
    return colour_counts(shot)


def test_the_charts_are_drawn(tmp_path):
    history = [Night(f"2024-05-{d:02d}", f"r{d}", "", True, 9, d % 4, 1, 4000.0, 1000.0 + 100 * d, 0, 0, "x")
               for d in range(1, 31)]
    counts = screenshot(render(act_report(), "html", View(account_id="123456789012", history=history)), tmp_path)
    assert counts[RECLAIMABLE] > 2000, "the reclaimable bars of 'where the money goes'"
    assert counts[IN_USE] > 500, "the in-use part of the bars"
    assert counts[TREND_BARS] > 2000, "the bars of the night-by-night trend"


def test_without_history_there_is_no_trend_chart(tmp_path):
    counts = screenshot(render(act_report(), "html", View(account_id="123456789012")), tmp_path)
    assert counts[RECLAIMABLE] > 2000
    assert counts[TREND_BARS] == 0
