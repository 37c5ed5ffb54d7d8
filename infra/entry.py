"""The CDK app: context -> DeploySettings -> CostWatcherStack, checked by cdk-nag at synth.

A bad setting is a user's mistake, not a bug: `main` prints the one-line reason and exits
non-zero instead of a stack trace.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from typing import Any

from aws_cdk import App

from cost_watcher.settings import SettingsError
from infra.checks import add_checks
from infra.settings import DeploySettings, load
from infra.stack import CostWatcherStack


def add_stack(app: App, settings: DeploySettings) -> CostWatcherStack:
    return CostWatcherStack(app, settings.stack_name, settings=settings)


def create_app(context: Mapping[str, Any] | None = None, *, outdir: str | None = None) -> App:
    """The app as `cdk synth` builds it; `context` adds to what the CLI passes (cdk.json and -c)."""
    app = App(context=dict(context or {}), outdir=outdir)
    settings = load(app.node.get_all_context())
    add_stack(app, settings)
    add_checks(app)
    return app


def main(context: Mapping[str, Any] | None = None) -> int:
    try:
        app = create_app(context)
    except SettingsError as error:
        print(f"cost-watcher: {error}", file=sys.stderr)
        return 2
    try:
        app.synth()
    except RuntimeError as error:  # cdk-nag found something: the CLI prints the report
        if "ValidationFailed" not in str(error):
            raise
        print(f"cost-watcher: synth refused by checks: {str(error).splitlines()[0]}", file=sys.stderr)
        return 1
    return 0
