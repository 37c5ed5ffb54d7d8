"""`cost-watcher scan`: who we are first (exit 4 within seconds when AWS cannot be reached as you),
then the run, then the report in the format asked for. Asks before acting on a terminal."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from contextlib import ExitStack

from cost_watcher.errors import UsageError
from cost_watcher.faces import confirm
from cost_watcher.faces.config import Gathered, gather
from cost_watcher.faces.identity import Identity, demo_identity, enabled_regions, open_session, who_am_i
from cost_watcher.faces.org_args import organization_report, wants_organization
from cost_watcher.faces.terminal import ProgressLine, colour, width
from cost_watcher.model import Report
from cost_watcher.report.cells import View
from cost_watcher.scan.clients import Clients
from cost_watcher.settings import Settings

EXIT_OK, EXIT_INCOMPLETE = 0, 3
DEMO_MISSING = "--demo needs moto, which this install does not have: pip install 'cost-watcher[demo]' " \
               "(or pipx install '.[demo]' in a clone)"
HISTORY_DAYS = 30  # the nights an HTML report charts when the ledger holds them


def command_scan(args: argparse.Namespace) -> int:
    from cost_watcher.engine import run

    gathered = gather(args, os.environ, args.argv)
    for note in gathered.notes:
        print(f"cost-watcher: note: {note}", file=sys.stderr)
    progress = ProgressLine()
    progress("checking who you are on AWS…")
    with ExitStack() as stack:
        if args.demo and not wants_organization(args):
            settings, clients, identity = _demo(stack, gathered)
        else:
            settings, clients, identity = _aws(args.profile, gathered)
        view = identity.view(width=width(), colour=colour(), show_all=args.show_all,
                             last_used_days=settings.last_used_days)

        def scan(chosen: Settings) -> Report:  # one account, or (organization flags) every account asked for
            if wants_organization(args):
                return organization_report(args, chosen, clients, identity.arn, progress.callback())
            return run(chosen, clients, progress=progress.callback())

        if not settings.dry_run and confirm.should_ask(args.yes):
            preview = _preview(settings, scan)
            progress.done()
            if not confirm.nothing_to_do(preview) and not confirm.ask(confirm.plan_text(preview, identity)):
                print("cost-watcher: not applied; nothing was changed (the dry run follows)", file=sys.stderr)
                return _show(preview, args.output, view, clients, None)
            progress("acting…")
        report = scan(settings)
        progress.done()
        return _show(report, args.output, view, clients, settings.ledger)


def _preview(settings: Settings, scan: Callable[[Settings], Report]) -> Report:
    """The plan --apply would carry out: a dry run with no digest, whose report is kept in a throwaway
    folder (a dry run reads no ledger, but the policy plans a reclaim only where one is configured)."""
    import shutil
    import tempfile

    folder = tempfile.mkdtemp(prefix="cost-watcher-preview-")
    try:
        preview = scan(settings.replace(dry_run=True, notify="never", ledger=folder if settings.ledger else None))
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    preview.report_location = None
    return preview


def _show(report: Report, output: str | None, view: View, clients: Clients, ledger: str | None) -> int:
    from cost_watcher.report.formats import render
    from cost_watcher.report.history import nights_from_ledger

    if output == "html":
        view.history = nights_from_ledger(report, ledger, clients, HISTORY_DAYS)
    sys.stdout.write(render(report, output or "table", view))
    sys.stdout.flush()
    return EXIT_INCOMPLETE if report.errors else EXIT_OK


def _aws(profile: str | None, gathered: Gathered) -> tuple[Settings, Clients, Identity]:
    session = open_session(profile)
    settings = gathered.settings
    if not settings.regions and not gathered.all_regions and not session.region_name:
        raise UsageError("no region given and none configured: pass --region R (or --region all), "
                         "or set AWS_REGION / the profile's region")
    identity = who_am_i(session)
    regions = enabled_regions(session) if gathered.all_regions else list(settings.regions)
    return _narrowed(settings, regions, gathered), Clients(session, max_workers=settings.max_workers), identity


def _demo(stack: ExitStack, gathered: Gathered) -> tuple[Settings, Clients, Identity]:
    import importlib.util
    import tempfile

    if importlib.util.find_spec("moto") is None:
        raise UsageError(DEMO_MISSING)
    from cost_watcher.sim.account import build_demo_account, demo_stack
    from cost_watcher.sim.specs import DEMO_REGIONS

    settings = gathered.settings
    changes: dict[str, object] = {}
    if settings.pricing == Settings().pricing and "pricing" not in gathered.given:
        changes["pricing"] = "table"
    if not settings.ledger:
        changes["ledger"] = tempfile.mkdtemp(prefix="cost-watcher-demo-ledger-")
    settings = settings.replace(**changes)
    regions = list(DEMO_REGIONS) if gathered.all_regions or not settings.regions else list(settings.regions)
    stack.enter_context(demo_stack())
    clients = Clients(max_workers=settings.max_workers)
    build_demo_account(clients)
    return _narrowed(settings, regions, gathered), clients, demo_identity()


def _narrowed(settings: Settings, regions: list[str], gathered: Gathered) -> Settings:
    kept = [r for r in regions if r not in gathered.exclude]
    if regions and not kept:
        raise UsageError(f"--exclude-region leaves no region to scan (of {', '.join(regions)})")
    return settings.replace(regions=tuple(kept))
